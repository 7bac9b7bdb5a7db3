"""How a command ends when something goes wrong: a coded error in JSON, never a traceback.

`translate` turns any exception into a RegistryError and an exit code (the documented ones: 2 the
request was refused, 3 could not open or failed):
- a full disk (ENOSPC/EDQUOT while writing a file, SQLite's "database or disk is full") -> DISK_FULL, 3;
- a damaged database (SQLite "malformed", a page SQLCipher cannot authenticate) -> DB_DAMAGED, 3;
- any other operating-system error -> FILE_ACCESS_FAILED, 3;
- anything unexpected -> INTERNAL_ERROR, 3, with where it happened (file, line, function) on stderr for
  the maintainer: never the exception's text or variables, which may hold a party's name or ID number.
"""
from __future__ import annotations

import errno
import traceback
from pathlib import Path

import click

from registry_app.errors import RegistryError, StorageError

_FULL_ERRNOS = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
_DISK_FULL_TEXT = ("database or disk is full", "disk is full")
_DAMAGED_TEXT = ("malformed", "file is not a database", "file is encrypted or is not a database",
                 "database corruption", "disk i/o error")
# Exceptions click itself uses to end a command (usage errors, --help, a declined prompt).
PASSTHROUGH = (click.exceptions.Exit, click.exceptions.Abort, click.exceptions.ClickException)


def _chain(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        # `raise ... from None` hides the context on purpose (a wrong passphrase is not a damaged file)
        exc = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)


def _is_db_error(exc: BaseException) -> bool:
    module = type(exc).__module__ or ""
    return module.startswith(("sqlalchemy", "sqlite3", "sqlcipher3", "psycopg")) or type(exc).__name__ in (
        "DatabaseError", "OperationalError")


def _db_text(exc: BaseException) -> str:
    return str(getattr(exc, "orig", None) or exc).lower()


def disk_full(exc: BaseException) -> bool:
    for e in _chain(exc):
        if isinstance(e, OSError) and e.errno in _FULL_ERRNOS:
            return True
        if _is_db_error(e) and any(t in _db_text(e) for t in _DISK_FULL_TEXT):
            return True
    return False


def db_damaged(exc: BaseException) -> bool:
    return any(_is_db_error(e) and any(t in _db_text(e) for t in _DAMAGED_TEXT) for e in _chain(exc))


def translate(exc: BaseException, refused_exit: int = 2) -> tuple[RegistryError, int]:
    if disk_full(exc):
        detail = f"：{exc.message}" if isinstance(exc, RegistryError) else ""
        return RegistryError(f"磁盘空间已满，未能完成{detail}。请腾出空间后重试（已保存的数据不受影响）",
                             code="DISK_FULL"), 3
    generic = not isinstance(exc, RegistryError) or exc.code in ("DB_OPEN_FAILED", "DB_ERROR")
    if generic and (db_damaged(exc) or any(t in str(getattr(exc, "message", "")).lower() for t in _DAMAGED_TEXT)):
        return RegistryError("数据库文件已损坏，无法读取。请停止使用此文件，从最近的备份恢复（registry restore），"
                             "并用 registry db check 检查", code="DB_DAMAGED"), 3
    if isinstance(exc, StorageError):
        return exc, 3
    if isinstance(exc, RegistryError):
        return exc, refused_exit
    if isinstance(exc, OSError):
        name = Path(exc.filename).name if isinstance(exc.filename, (str, bytes)) and exc.filename else ""
        where = f"（{name}）" if name else ""
        return RegistryError(f"文件操作失败{where}：{exc.strerror or type(exc).__name__}",
                             code="FILE_ACCESS_FAILED"), 3
    report_internal(exc)
    return RegistryError(f"内部错误（{type(exc).__name__}），操作未完成。详细位置已写入错误输出，请告知系统维护人员",
                         code="INTERNAL_ERROR"), 3


def report_internal(exc: BaseException) -> None:
    """Where the unexpected error happened, for the maintainer (stderr): frames only, no values."""
    frames = traceback.extract_tb(exc.__traceback__)
    click.echo(f"INTERNAL_ERROR {type(exc).__module__}.{type(exc).__name__}", err=True)
    for f in frames[-12:]:
        click.echo(f"  {_short(f.filename)}:{f.lineno} in {f.name}", err=True)


def _short(filename: str) -> str:
    parts = Path(filename).parts
    for anchor in ("registry_app", "ui", "site-packages"):
        if anchor in parts:
            return "/".join(parts[parts.index(anchor):])
    return Path(filename).name


def fail_with(exc: BaseException, refused_exit: int = 2) -> None:
    """Print the coded error as the commands do (JSON on stdout) and end with its exit code."""
    from registry_app.cli import fail

    error, code = translate(exc, refused_exit)
    fail(error, code)


class GuardedGroup(click.Group):
    """The `registry` group: whatever a command lets escape ends as a coded error, not a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except PASSTHROUGH:
            raise
        except Exception as exc:  # noqa: BLE001 — the last line of defence; translate() sorts it out
            fail_with(exc, 3)


__all__ = ["GuardedGroup", "PASSTHROUGH", "db_damaged", "disk_full", "fail_with", "translate"]
