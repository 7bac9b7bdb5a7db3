#!/usr/bin/env bash
# System packages the client and its tests need on Debian/Ubuntu: Qt's runtime libraries, a CJK
# screen font, Xvfb for screenshots, poppler-utils (pdftoppm) for looking at printed pages,
# PostgreSQL for the multi-counter tests, and its client tools with gnupg for the encrypted backup and
# restore drill (resources/postgresql/). Installs only what is missing; needs root or sudo.
set -euo pipefail
PKGS=(libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3 libxcb-cursor0
      libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0 libxcb-randr0 libxcb-render-util0
      libxcb-image0 fonts-noto-cjk xvfb xauth poppler-utils postgresql postgresql-client gnupg)
if ! command -v apt-get >/dev/null 2>&1; then
  echo "apt-get not found: install the equivalents of: ${PKGS[*]}" >&2
  exit 0
fi
missing=()
for p in "${PKGS[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "installing system packages: ${missing[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
