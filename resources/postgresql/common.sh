# Shared by backup.sh and restore-drill.sh (sourced, not run).

say() { echo "$*" >&2; }

# The URL must name its database: an empty one (a variable unset in a cron line) or one without a name would
# let libpq fall back to its defaults and act on another database than the one meant. Exit 2 otherwise.
require_database_in_url() {  # URL EXAMPLE_DATABASE
  local url="$1" rest dbname
  rest="${url#*://}"; rest="${rest##*@}"; dbname="${rest#*/}"; dbname="${dbname%%\?*}"
  case "$url" in
    postgresql://*/*|postgresql+psycopg://*/*) ;;
    *) dbname="" ;;
  esac
  if [ -z "$dbname" ] || [[ "$dbname" == *[[:space:]/]* ]]; then
    say "数据库URL须写明数据库名，如 postgresql://用户@主机/$2：“$url”"
    exit 2
  fi
}

require_tools() {  # TOOL...
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || { say "缺少程序 $tool：请安装 postgresql-client 和 gnupg"; exit 2; }
  done
}
