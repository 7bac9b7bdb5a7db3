#!/usr/bin/env bash
# Build the one-folder desktop build: dist/registry-app/ holding registry-app (the client) and registry
# (the command line), with fonts, layouts, schemas, calendars and Qt's Chinese translations inside.
# Usage: bash build/scripts/package.sh   (from a clean checkout; sets up .venv with the build extra)
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "${REGISTRY_SKIP_SETUP:-}" != "1" ]; then
  bash build/scripts/system-packages.sh
  # PyInstaller reads and links ELF files with binutils (objdump, objcopy) on Linux
  if ! command -v objcopy >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get install -y -qq --no-install-recommends binutils >/dev/null
  fi
  bash build/scripts/venv.sh build
fi
rm -rf dist/registry-app
# PyInstaller's own cache goes under the work folder too, so a build leaves nothing in the home folder.
export PYINSTALLER_CONFIG_DIR="$PWD/.build-work/config"
.venv/bin/python -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath dist --workpath .build-work build/pyinstaller/registry.spec
echo "built: dist/registry-app ($(du -sh dist/registry-app | cut -f1))" >&2
