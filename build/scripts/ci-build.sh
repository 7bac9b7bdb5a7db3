#!/usr/bin/env bash
# CI step after the tests: build the desktop folder from this checkout, then use it as an office would.
# - the built `registry` checks ID numbers and makes an office in a temporary data directory;
# - the built client starts offscreen to the login window of the demo (and the demo's folder is gone after),
#   and to the unlock window of the office just made;
# - nothing new appears beside the program (the folder is also made read-only, which binds only non-root users).
# Prints the folder's size and the start times.
set -euo pipefail
cd "$(dirname "$0")/../.."
started=$(date +%s)
bash build/scripts/package.sh
built=$(date +%s)
dist="$PWD/dist/registry-app"
work="$(mktemp -d /tmp/registry-build-check.XXXXXX)"
trap 'chmod -R u+w "$dist"; rm -rf "$work"' EXIT
(cd "$dist" && find . | sort) > "$work/before"
chmod -R a-w "$dist"
mkdir -p "$work/tmp" "$work/home"
export QT_QPA_PLATFORM=offscreen TMPDIR="$work/tmp" HOME="$work/home" REGISTRY_DATA_DIR="$work/data"
fail() { echo "ci-build: FAILED: $*" >&2; exit 1; }
seconds() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$1" "$2"; }

"$dist/registry" id check 11010519491231002X > "$work/id.json" || fail "registry id check of a valid number"
grep -q '"valid": true' "$work/id.json" || fail "a valid number was not valid: $(cat "$work/id.json")"
set +e
"$dist/registry" id check 110101199003077777 > "$work/id-bad.json"; code=$?
set -e
[ "$code" -eq 1 ] && grep -q ID_CHECK_CHAR "$work/id-bad.json" || fail "a wrong check character: exit $code"

export REGISTRY_PASSPHRASE="ci-build-passphrase-2026" REGISTRY_ADMIN_PASSWORD="Guanli-2026-ci"
"$dist/registry" init --office-code 320102 --office-name 构建检查登记处 --admin admin > "$work/init.json" \
  || fail "registry init: $(cat "$work/init.json")"
[ -s "$work/data/registry.db" ] || fail "registry init made no database in the data directory"
"$dist/registry" audit verify > /dev/null || fail "registry audit verify on the new office"

t0=$(date +%s.%N)
REGISTRY_SMOKE_EXIT=LoginDialog timeout 300 "$dist/registry-app" --demo > "$work/demo.json" \
  || fail "the client did not reach the demo's login window"
t1=$(date +%s.%N)
grep -q '"first_window": "LoginDialog"' "$work/demo.json" || fail "demo: $(cat "$work/demo.json")"
if compgen -G "$work/tmp/registry-demo-*" > /dev/null; then fail "the demo's folder was left behind"; fi

t2=$(date +%s.%N)
REGISTRY_SMOKE_EXIT=1 timeout 120 "$dist/registry-app" > "$work/unlock.json" || fail "the client did not start"
t3=$(date +%s.%N)
grep -q '"first_window": "UnlockDialog"' "$work/unlock.json" || fail "office: $(cat "$work/unlock.json")"

(cd "$dist" && find . | sort) > "$work/after"
diff "$work/before" "$work/after" > "$work/new-files" || fail "written beside the program: $(cat "$work/new-files")"

echo "desktop build: dist/registry-app $(du -sh "$dist" | cut -f1) in $(find "$dist" -type f | wc -l) files," \
     "built in $((built - started)) s"
echo "client start to the unlock window: $(seconds "$t2" "$t3") s; demo made and at its login window: $(seconds "$t0" "$t1") s"
echo "ci-build: the desktop build passed its checks"
