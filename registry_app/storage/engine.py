"""Opening the database: SQLCipher file by default, PostgreSQL by URL.

SQLCipher derives the page key from the passphrase itself (PBKDF2-HMAC-SHA512, 256,000 iterations
in SQLCipher 4), so the passphrase never reaches the disk. The key derivation runs once per
connection, which is why the pool keeps connections open.
"""
from __future__ import annotations

import os
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from sqlalchemy import URL, create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DatabaseError, DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from registry_app.errors import ConnectionLost, DatabaseLocked, StorageError, WrongPassphrase
from registry_app.fsutil import lock_exclusive
from registry_app.storage import denormalized  # noqa: F401 — registers the copy-keeping listeners


@dataclass
class Database:
    """An open database: engine, session factory and, for a file, its exclusive-use lock."""

    engine: Engine
    url: URL
    path: Path | None = None
    _lock_fd: int | None = field(default=None, repr=False)
    _sessions: sessionmaker = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def encrypted(self) -> bool:
        return self.url.drivername == "sqlite+pysqlcipher"

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction that may write. On SQLite it starts with BEGIN IMMEDIATE, so two counters
        never interleave inside a numbering or a hash chain; commit on success, roll back on error."""
        committing = False
        with self._sessions() as session:
            try:
                with session.begin():
                    yield session
                    committing = True
            except DBAPIError as exc:
                if self._lost(exc):
                    raise _connection_lost(committing) from None
                raise

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only transaction (BEGIN DEFERRED on SQLite: does not block other readers)."""
        with self._sessions(bind=self.engine.execution_options(sqlite_begin="DEFERRED")) as session:
            try:
                with session.begin():
                    yield session
            except DBAPIError as exc:
                if self._lost(exc):
                    raise ConnectionLost("与数据库服务器的连接中断，本次查询未完成。请检查网络或联系管理员；"
                                         "连接恢复后重试即可，无需重启程序") from None
                raise

    def _lost(self, exc: DBAPIError) -> bool:
        """A dropped server connection (not a refusal by the database). SQLAlchemy has then already
        invalidated the pool, and pool_pre_ping replaces any stale connection on the next checkout."""
        if self.dialect == "sqlite":
            return False
        return exc.connection_invalidated or _disconnect_error(exc)

    def close(self) -> None:
        self.engine.dispose()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None


# SQLSTATE class 08 (connection exception), and the server shutting down or restarting (57P01-57P03).
_DISCONNECT_STATES = ("08", "57P01", "57P02", "57P03")


def _disconnect_error(exc: DBAPIError) -> bool:
    state = getattr(exc.orig, "sqlstate", None) or ""
    if state.startswith(_DISCONNECT_STATES):
        return True
    # psycopg reports a refused or broken socket as an OperationalError without any SQLSTATE.
    return isinstance(exc, OperationalError) and not state


def _connection_lost(committing: bool) -> ConnectionLost:
    if committing:
        # The commit was sent but its answer never came: the server either committed whole or not at all.
        return ConnectionLost("与数据库服务器的连接在保存时中断，无法确认本次操作是否已保存。"
                              "连接恢复后请先查询确认，再决定是否重新办理")
    return ConnectionLost("与数据库服务器的连接中断，本次操作未保存（没有写入任何内容）。请检查网络或联系管理员；"
                          "连接恢复后重试即可，无需重启程序")


_URL_LIKE_PATH = re.compile(r"^\s*[A-Za-z][A-Za-z0-9+.\-]+:/")


def sqlcipher_url(path: Path | str, passphrase: str) -> URL:
    # SQLCipher treats an empty key as "no key" and answers in English; refuse it before it gets there.
    if not passphrase:
        raise WrongPassphrase("须输入数据库口令", code="PASSPHRASE_REQUIRED", field="passphrase")
    return URL.create("sqlite+pysqlcipher", password=passphrase, database=str(path))


def plain_sqlite_url(path: Path | str) -> URL:
    """Unencrypted SQLite: only for the benchmark's cost-of-encryption comparison."""
    return URL.create("sqlite", database=str(path))


def _install_sqlite_hooks(engine: Engine, encrypted: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # noqa: ANN001
        # Take transaction control away from the driver so BEGIN is ours (see Database.write).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        if encrypted:
            cur.execute("PRAGMA cipher_log_level = NONE")
        cur.execute("PRAGMA foreign_keys = ON")
        # Write-ahead log: one sync per commit instead of several, readers never wait for a writer.
        # synchronous stays FULL: a registration the clerk saw committed survives a power cut.
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = FULL")
        cur.execute("PRAGMA busy_timeout = 10000")
        # Temporary tables and sort spills stay in memory: SQLite temp files would be outside the cipher.
        cur.execute("PRAGMA temp_store = MEMORY")
        cur.execute("PRAGMA secure_delete = ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # noqa: ANN001
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")


def _lock_file(path: Path) -> int:
    lock_path = path.with_name(path.name + ".lock")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    if not lock_exclusive(fd):
        os.close(fd)
        raise DatabaseLocked("数据库正被另一个程序使用（可能另一个窗口已打开此数据库），请先关闭它") from None
    return fd


def open_database(
    url: URL | str,
    *,
    exclusive: bool = False,
    must_exist: bool = True,
    pool_size: int = 4,
) -> Database:
    """Open and check a database. A wrong passphrase raises WrongPassphrase and writes nothing."""
    if isinstance(url, str):
        from sqlalchemy.engine import make_url

        url = make_url(url)
    is_sqlite = url.get_backend_name() == "sqlite"
    path: Path | None = None
    lock_fd = None
    if is_sqlite:
        if not url.database or url.database == ":memory:":
            raise StorageError("需要数据库文件路径", code="DB_PATH_REQUIRED")
        path = Path(url.database)
        if _URL_LIKE_PATH.match(url.database):
            # "postgresql+psycopg://…" given as a file name (folded to "…:/…"): never create it.
            raise StorageError("数据库文件路径看起来是一个数据库 URL；连接数据库服务器请用 --url",
                               code="DB_PATH_IS_URL")
        if must_exist and not path.exists():
            raise StorageError(f"数据库文件不存在：{path.name}", code="DB_NOT_FOUND")
        if not must_exist and path.exists():
            raise StorageError(f"数据库文件已存在，不会覆盖：{path.name}", code="DB_EXISTS")
        path.parent.mkdir(parents=True, exist_ok=True)
        if exclusive:
            lock_fd = _lock_file(path)
        if not path.exists():
            # Permissions first, data after: the new file is never readable by others.
            os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600))
        # A queue of long-lived connections: the key derivation runs once per connection, and
        # background workers (exports, searches) may use the database from other threads.
        engine = create_engine(url, poolclass=QueuePool, pool_size=pool_size, max_overflow=8,
                               connect_args={"check_same_thread": False})
        _install_sqlite_hooks(engine, encrypted=url.drivername == "sqlite+pysqlcipher")
    else:
        engine = create_engine(url, pool_size=pool_size, max_overflow=8, pool_pre_ping=True)
    db = Database(engine=engine, url=url, path=path, _lock_fd=lock_fd)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT count(*) FROM sqlite_master" if is_sqlite else "SELECT 1"))
            conn.rollback()
    except DatabaseError as exc:
        db.close()
        msg = str(exc.orig) if getattr(exc, "orig", None) else str(exc)
        if not is_sqlite:
            from registry_app.storage.pg_refusals import open_refusal

            raise open_refusal(url, msg) from None  # in Chinese; psycopg's English only to the log
        if "file is not a database" in msg:
            raise WrongPassphrase("数据库口令错误，或该文件不是本系统的数据库") from None
        if "locked" in msg or "busy" in msg:
            raise DatabaseLocked("数据库正被另一个程序占用，请稍后再试") from None
        raise StorageError(f"无法打开数据库：{msg}", code="DB_OPEN_FAILED") from None
    return db


def translate_db_error(exc: Exception) -> StorageError:
    msg = str(getattr(exc, "orig", exc))
    if "locked" in msg or "busy" in msg:
        return DatabaseLocked("数据库正被另一个程序占用，请稍后再试")
    return StorageError(f"数据库错误：{msg}", code="DB_ERROR")
