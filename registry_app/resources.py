"""Where the bundled resources (fonts, layouts, schemas) live: next to the package, both in a
checkout and in the wheel (pyproject ships `resources/` beside `registry_app/`), and in the desktop
build's own folder (PyInstaller's sys._MEIPASS, where build/pyinstaller/registry.spec puts them)."""
from __future__ import annotations

import sys
from pathlib import Path


def resources_dir() -> Path:
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    return Path(__file__).resolve().parents[1] / "resources"
