"""Where the client keeps its files by default (per-user data directory, platformdirs)."""
from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_dir

APP_NAME = "registry-app"


def data_dir() -> Path:
    override = os.environ.get("REGISTRY_DATA_DIR")
    return Path(override) if override else Path(user_data_dir(APP_NAME, appauthor=False))


def default_db_path() -> Path:
    return data_dir() / "registry.db"
