#!/usr/bin/env bash
# Encrypted backup of an office's PostgreSQL database, run on the server each night.
#
#   backup.sh URL KEY_FILE OUT_FILE
#
# URL       the office database, postgresql://owner@dbhost/registry (postgresql+psycopg:// is accepted);
#           the password from ~/.pgpass, never on the command line
# KEY_FILE  the backup passphrase, owner-only (chmod 600), kept away from the backups
# OUT_FILE  e.g. /backup/registry-$(date +%Y%m%d).dump.gpg; never overwritten
#
# pg_dump (custom format, one consistent snapshot) is encrypted with gpg (AES-256, integrity-protected)
# as it streams: no clear copy touches the disk. The file is written owner-only under a temporary name
# and renamed when complete; OUT_FILE.sha256 beside it (sha256sum -c) is written first, so a backup that
# exists always has its checksum. Exit 0 done, 1 failed (nothing left under OUT_FILE), 2 bad arguments.
set -euo pipefail
umask 077

# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
if [ $# -ne 3 ]; then
  say "用法：backup.sh URL 密钥文件 备份文件   (usage: backup.sh URL KEY_FILE OUT_FILE)"
  exit 2
fi
url="$1"; key="$2"; out="$3"
require_database_in_url "$url" registry
require_tools pg_dump gpg sha256sum
if [ ! -r "$key" ] || [ ! -s "$key" ]; then
  say "读不到密钥文件，或文件为空：$key"; exit 2
fi
case "$(stat -c %a "$key")" in
  *00) ;;
  *) say "密钥文件须仅本人可读（chmod 600 $key）"; exit 2 ;;
esac
if [ -e "$out" ] || [ -e "$out.sha256" ]; then
  say "备份文件已存在，不会覆盖：$out"; exit 2
fi
dir="$(dirname -- "$out")"; name="$(basename -- "$out")"
[ -d "$dir" ] && [ -w "$dir" ] || { say "备份目录不存在或不可写：$dir"; exit 2; }
pg_url="${url/#postgresql+psycopg:\/\//postgresql://}"

tmp="$(mktemp "$dir/.$name.XXXXXX.part")"
tmp_sum="$(mktemp "$dir/.$name.sha256.XXXXXX.part")"
trap 'rm -f -- "$tmp" "$tmp_sum"' EXIT

# --no-symkey-cache: the passphrase is not left in a gpg-agent for the next command to use.
# The shell opens $tmp (not gpg --output, which creates it only at the end): when this script is
# stopped mid-dump its EXIT trap unlinks the file, and the dump left running writes to nothing visible.
if ! pg_dump --format=custom --no-owner --dbname="$pg_url" \
    | gpg --batch --quiet --no-symkey-cache --pinentry-mode loopback --passphrase-file "$key" \
          --symmetric --cipher-algo AES256 > "$tmp"; then
  say "备份失败：pg_dump 或 gpg 出错（见上方信息），未生成备份文件"
  exit 1
fi
sync -- "$tmp"
sum="$(sha256sum -- "$tmp" | cut -d' ' -f1)"
printf '%s  %s\n' "$sum" "$name" > "$tmp_sum"
sync -- "$tmp_sum"
mv -T -- "$tmp_sum" "$out.sha256"
mv -T -- "$tmp" "$out"
sync -- "$dir"
say "备份完成：$out（$(stat -c %s "$out") 字节，SHA-256 $sum）"
