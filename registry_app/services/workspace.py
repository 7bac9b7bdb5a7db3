"""Opening an office's database for the client or a command: the one door the UI uses."""
from __future__ import annotations

from pathlib import Path

from registry_app.clock import Clock
from registry_app.services.context import AppContext
from registry_app.services.office_setup import OfficeSetup, initialise
from registry_app.services.settings import OfficeSettings, load_settings
from registry_app.storage.engine import Database, open_database, sqlcipher_url
from registry_app.storage.migrate import current_revision, require_initialised, upgrade


def database_exists(path: Path) -> bool:
    return Path(path).exists() and Path(path).stat().st_size > 0


def open_workspace(path: Path, passphrase: str, *, clock: Clock | None = None, exclusive: bool = True,
                   url: str | None = None) -> AppContext:
    """Open (and if needed migrate, after a backup) the office database. Raises WrongPassphrase,
    DatabaseLocked or StorageError with a message for the clerk."""
    db = open_database(url or sqlcipher_url(path, passphrase), exclusive=exclusive and url is None)
    try:
        upgrade_schema(db, clock)
    except Exception:
        db.close()
        raise
    return AppContext(db=db, clock=clock or Clock())


def upgrade_schema(db: Database, clock: Clock | None = None) -> Path | None:
    """Bring a database made by an earlier version to this version's schema: the file is copied to
    backups/ first (storage/migrate.py), and the upgrade is audited with both revisions and the copy's
    name, so the audit trail shows when a counter's program changed the schema and where the old file is.
    A database without the schema is refused (DB_NOT_INITIALISED) with nothing created: only `init`
    (services/office_setup.initialise) makes a new office's schema."""
    from registry_app.services import audit

    before = require_initialised(db)
    backup = upgrade(db)
    after = current_revision(db)
    if before is not None and after != before:
        ctx = AppContext(db=db, clock=clock or Clock())
        with db.write() as s:
            audit.record(ctx, s, "schema.upgraded", "database", after,
                         {"from": before, "to": after, "backup": backup.name if backup else None},
                         reason="程序升级：数据库结构迁移", username="system", role="system")
    return backup


def create_workspace(setup: OfficeSetup, path: Path, clock: Clock | None = None) -> AppContext:
    db = initialise(setup, path, clock)
    return AppContext(db=db, clock=clock or Clock())


def office_settings(ctx: AppContext) -> OfficeSettings:
    with ctx.db.read() as s:
        return load_settings(s)


def close_workspace(ctx: AppContext) -> None:
    ctx.db.close()


def passphrase_opens(path: Path, passphrase: str) -> bool:
    """Check a passphrase against the file without taking the client's exclusive lock."""
    from registry_app.errors import WrongPassphrase

    try:
        db = open_database(sqlcipher_url(path, passphrase), exclusive=False)
    except WrongPassphrase:
        return False
    db.close()
    return True
