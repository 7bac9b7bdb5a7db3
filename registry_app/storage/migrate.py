"""Schema migrations (Alembic), with an automatic backup before any upgrade of an existing file."""
from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from registry_app.errors import StorageError
from registry_app.storage.engine import Database

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def head_revision() -> str:
    return ScriptDirectory.from_config(_config()).get_current_head()


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as conn:
        rev = MigrationContext.configure(conn).get_current_revision()
        conn.rollback()
        return rev


def known_revision(revision: str) -> bool:
    try:
        return ScriptDirectory.from_config(_config()).get_revision(revision) is not None
    except Exception:  # alembic's own errors for an id it has never seen (CommandError, ResolutionError)
        return False


def require_initialised(db: Database) -> str:
    """The schema revision of an office database. A database without the schema (an empty one, or a
    mistyped database name on the server) is refused before anything is created in it: only `init`
    makes an office's schema, so a counter never silently starts a second, empty office."""
    revision = current_revision(db)
    if revision is not None:
        if not known_revision(revision):
            # upgraded by a newer program, or another application's Alembic table: touch nothing
            raise StorageError(f"数据库的结构版本（{revision}）不是本程序认识的版本，未作任何改动：它可能已由较新版本的"
                               "程序升级（请把本机程序升级到相同版本），或不是登记系统的数据库（请核对路径或 URL）",
                               code="DB_SCHEMA_UNKNOWN")
        return revision
    if db.path is None:
        raise StorageError(f"数据库“{db.url.database}”尚未初始化（其中没有登记系统的数据表），未作任何改动。"
                           "请核对 URL 中的数据库名称；新办公室的数据库须由管理员运行 registry --url … init 建立",
                           code="DB_NOT_INITIALISED")
    raise StorageError(f"数据库文件 {db.path.name} 尚未初始化（是空文件），未作任何改动。请核对文件路径；"
                       "新办公室的数据库用 registry init 或客户端的首次设置建立", code="DB_NOT_INITIALISED")


def backup_file(db: Database, label: str) -> Path | None:
    """Copy the (already encrypted) database file next to it, under backups/, before touching it.
    SQLite's online backup would decrypt-and-re-encrypt; a file copy of a quiescent database keeps the
    exact encrypted bytes. The copy is made with owner-only permissions."""
    if db.path is None or not db.path.exists() or db.path.stat().st_size == 0:
        return None
    backups = db.path.parent / "backups"
    backups.mkdir(mode=0o700, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    target = backups / f"{db.path.stem}-{stamp}-{label}{db.path.suffix}"
    raw = db.engine.raw_connection()  # outside any transaction: fold the write-ahead log into the file
    try:
        raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        raw.close()
    db.engine.dispose()  # close pooled connections so the file is quiescent
    tmp = target.with_suffix(target.suffix + ".part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out, open(db.path, "rb") as src:
        shutil.copyfileobj(src, out)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, target)
    return target


def upgrade(db: Database, revision: str = "head") -> Path | None:
    """Bring the schema to `revision`. Returns the backup made, if the database had a schema before."""
    before = current_revision(db)
    target = head_revision() if revision == "head" else revision
    if before == target:
        return None
    backup = backup_file(db, f"before-{target}") if before is not None else None
    cfg = _config()
    with db.engine.connect() as conn:
        # Alembic manages its own transaction; our BEGIN hook makes it BEGIN IMMEDIATE on SQLite.
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        conn.commit()
    return backup
