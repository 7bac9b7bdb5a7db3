"""Where the bundled resources (fonts, layouts, schemas) live: next to the package, both in a
checkout and in the wheel (pyproject ships `resources/` beside `registry_app/`)."""
from __future__ import annotations

from pathlib import Path


def resources_dir() -> Path:
    return Path(__file__).resolve().parents[1] / "resources"
