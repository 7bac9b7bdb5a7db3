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


def default_backup_dir(db_path: Path) -> Path:
    """Where daily backups go until the administrator names a folder on another disk: next to the
    database (the migration backups live there too, under a different naming pattern)."""
    return Path(db_path).parent / "backups"
