#!/usr/bin/env bash
# The monthly restore drill: a backup made by backup.sh is restored into a new, empty database and
# checked with the program's own checks.
#
#   createdb registry_drill
#   restore-drill.sh postgresql://owner@dbhost/registry_drill KEY_FILE /backup/registry-20260615.dump.gpg
#   dropdb registry_drill
#
# 0. The file is copied (still encrypted) into a private temporary folder, and every later step reads that
#    copy: a file swapped in the backup folder between the checks and the restore cannot slip through.
# 1. FILE.sha256 (when it is beside the file) must match: a changed or truncated file stops here.
# 2. gpg decrypts the whole file once to nowhere: a changed byte or a wrong key stops here, before
#    anything is written (gpg reports a manipulated message only at its end, after it has already
#    passed the earlier plaintext on).
# 3. Only then is it decrypted again into pg_restore, as one transaction that stops at the first error.
#    The target must be empty: the drill never restores over an office's database.
# 4. `registry --url … audit verify` and `registry --url … db check` on the restored database.
# The `registry` command is taken from $REGISTRY when set (e.g. "/opt/registry/bin/registry").
# Exit 0 the drill passed, 1 it failed (nothing restored when before step 4), 2 bad arguments.
set -euo pipefail
umask 077

# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
if [ $# -ne 3 ]; then
  say "用法：restore-drill.sh 演练数据库URL 密钥文件 备份文件   (usage: restore-drill.sh URL KEY_FILE IN_FILE)"
  exit 2
fi
url="$1"; key="$2"; in="$3"
require_database_in_url "$url" registry_drill
read -r -a registry <<< "${REGISTRY:-registry}"
require_tools pg_restore psql gpg sha256sum
[ -r "$key" ] && [ -s "$key" ] || { say "读不到密钥文件，或文件为空：$key"; exit 2; }
[ -r "$in" ] && [ -s "$in" ] || { say "读不到备份文件，或文件为空：$in"; exit 2; }
pg_url="${url/#postgresql+psycopg:\/\//postgresql://}"
app_url="${pg_url/#postgresql:\/\//postgresql+psycopg://}"
gpg_opts=(--batch --quiet --no-symkey-cache --pinentry-mode loopback --passphrase-file "$key" --decrypt)

# 0. a private copy: what is checked is what is restored
work="$(mktemp -d "${TMPDIR:-/tmp}/registry-drill.XXXXXX")"
trap 'rm -rf -- "$work"' EXIT
if ! cp -- "$in" "$work/backup.gpg"; then
  say "无法复制备份文件到临时文件夹 ${TMPDIR:-/tmp}（空间不足？）：未恢复任何内容"
  exit 1
fi
sums="$in.sha256"; in_name="$in"; in="$work/backup.gpg"

# 1. the checksum written beside the backup
if [ -e "$sums" ]; then
  want="$(cut -d' ' -f1 < "$sums")"
  have="$(sha256sum -- "$in" | cut -d' ' -f1)"
  if [ "$want" != "$have" ]; then
    say "备份文件的 SHA-256 与 $sums 不符：文件已被改动或不完整，不予恢复"
    exit 1
  fi
else
  say "（没有 $sums，只凭 gpg 的完整性校验）"
fi

# 2. decrypt once, writing nothing: the key and the file's integrity
if ! gpg "${gpg_opts[@]}" --output /dev/null -- "$in" 2>/dev/null; then
  say "gpg 无法解密或校验失败：密钥不对，或备份文件已被改动、损坏。未恢复任何内容"
  exit 1
fi

# 3. into an empty database, one transaction
tables="$(psql --no-psqlrc -At --dbname="$pg_url" -c \
  "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'")" \
  || { say "无法连接演练数据库（见上方信息）；请先用 createdb 建立"; exit 1; }
if [ "$tables" != "0" ]; then
  say "演练数据库不是空的（public 中有 $tables 个对象）：恢复演练只写入新建的空数据库"
  exit 1
fi
# Owner and privileges are the production server's; the drill's database belongs to whoever runs it.
if ! gpg "${gpg_opts[@]}" -- "$in" \
    | pg_restore --no-owner --no-privileges --single-transaction --exit-on-error --dbname="$pg_url"; then
  say "恢复失败（见上方信息）：整个恢复已回滚，演练数据库仍是空的"
  exit 1
fi

# 4. the program's own checks on what was restored
failed=0
"${registry[@]}" --url "$app_url" audit verify > /dev/null || failed=1
"${registry[@]}" --url "$app_url" db check > /dev/null || failed=1
if [ "$failed" -ne 0 ]; then
  say "恢复演练未通过：audit verify 或 db check 报告了问题（见上方信息）"
  exit 1
fi
say "恢复演练通过：$in_name 已恢复到演练数据库，审计链和数据库检查均通过。用完请 dropdb 删除演练数据库"
