#!/usr/bin/env bash
# Refresh the Qt translation source from the UI code and compile it. The UI's source language is
# Simplified Chinese; resources/translations/registry_en.ts is where English is filled in (Qt Linguist:
# .venv/bin/pyside6-linguist resources/translations/registry_en.ts), then run this script again.
set -euo pipefail
cd "$(dirname "$0")/../.."
mapfile -t sources < <(find ui -name '*.py' | sort)
.venv/bin/pyside6-lupdate "${sources[@]}" -source-language zh_CN -target-language en \
  -ts resources/translations/registry_en.ts
.venv/bin/python build/translations/fill_en.py
.venv/bin/pyside6-lrelease resources/translations/registry_en.ts -qm resources/translations/registry_en.qm
