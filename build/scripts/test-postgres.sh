#!/usr/bin/env bash
# Start a throwaway PostgreSQL server for the multi-counter tests and print its URL.
# Usage: eval "$(bash build/scripts/test-postgres.sh start DIR)"; ...; bash build/scripts/test-postgres.sh stop DIR
# With REGISTRY_TEST_PG_SSL_DIR holding server.crt and server.key, the server takes TLS connections only.
set -euo pipefail
action="$1"; dir="$2"
bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "# PostgreSQL server binaries not found: PostgreSQL tests will be skipped" >&2
  exit 0
fi
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
free_port() {  # a port nothing listens on, so a second run (or another server) does not collide
  for p in $(seq "${REGISTRY_TEST_PG_PORT:-54329}" 54399); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
  echo "no free port for the test PostgreSQL server" >&2; exit 1
}
case "$action" in
  start)
    port="$(free_port)"
    mkdir -p "$dir"
    if [ "$(id -u)" -eq 0 ]; then chown postgres "$dir"; fi
    as_owner "$bin/initdb" -D "$dir/data" -A trust -U registry -E UTF8 --locale=C.UTF-8 >/dev/null
    opts="-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off"
    if [ -n "${REGISTRY_TEST_PG_SSL_DIR:-}" ]; then
      cp "$REGISTRY_TEST_PG_SSL_DIR/server.crt" "$REGISTRY_TEST_PG_SSL_DIR/server.key" "$dir/data/"
      chmod 600 "$dir/data/server.key"
      if [ "$(id -u)" -eq 0 ]; then chown postgres "$dir/data/server.crt" "$dir/data/server.key"; fi
      # TCP only over TLS; a plain connection is turned away
      printf 'local all all trust\nhostssl all all 127.0.0.1/32 trust\nhostnossl all all 0.0.0.0/0 reject\n' \
        > "$dir/data/pg_hba.conf"
      opts="$opts -c ssl=on"
    fi
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -o "$opts" start >/dev/null
    echo "export REGISTRY_TEST_PG_URL='postgresql+psycopg://registry@127.0.0.1:$port/postgres'"
    echo "# test PostgreSQL server on port $port" >&2
    ;;
  stop)
    [ -d "$dir/data" ] && as_owner "$bin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
esac
