"""Crash-safe file writing: a reader sees either the old file or the whole new one, never a torn
write, and a key file is never readable by others, not even for the instant between create and chmod."""
from __future__ import annotations

import os
import re
import secrets
import time
from pathlib import Path

from registry_app.errors import StorageError


def write_atomic(path: str | os.PathLike, data: bytes, mode: int = 0o600) -> Path:
    """Replace `path` with `data`. The temporary file lives in the same directory (so os.replace
    is a rename on one file system) and is created with `mode` from the start."""
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    tmp = temp_name(target)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), mode)
    except OSError as exc:
        raise StorageError(f"无法在{directory}中创建文件（cannot create file: {exc.strerror}）",
                           code="FILE_WRITE_FAILED") from exc
    try:
        try:
            if hasattr(os, "fchmod"):
                os.fchmod(fd, mode)  # the umask may have taken bits away; set exactly what was asked
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise StorageError(f"写入{target.name}失败（write failed: {exc.strerror}）",
                           code="FILE_WRITE_FAILED") from exc
    fsync_dir(directory)
    return target


def lock_exclusive(fd: int) -> bool:
    """Take an exclusive, non-blocking lock on an open file: True, or False when another process holds it.
    The system drops the lock when the process dies, so a crash leaves no stale lock. POSIX: flock on the
    whole file; Windows: a byte-range lock on its first byte (msvcrt), which the same processes respect."""
    try:
        if os.name == "nt":  # pragma: no cover - no Windows runner
            import msvcrt

            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def fsync_dir(directory: Path) -> None:
    # Makes the rename itself durable. Not possible on Windows, where opening a directory fails.
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# What write_atomic (and the backup, which names its temporary file the same way) leaves behind when
# killed between create and rename: ".NAME.<12 hex>.tmp", and the SQLite side files of such a file.
TEMP_NAME = re.compile(r"^\..+\.[0-9a-f]{12}\.tmp(-wal|-shm|-journal)?$")
STALE_AFTER_S = 10 * 60


def temp_name(target: Path) -> Path:
    """The temporary sibling of `target` that write_atomic would use (and the sweep recognises)."""
    return target.parent / f".{target.name}.{secrets.token_hex(6)}.tmp"


def sweep_temp_files(*directories: str | os.PathLike | None, older_than_s: float = STALE_AFTER_S,
                     now: float | None = None) -> list[Path]:
    """Remove temporary files a killed writer left in `directories` (None and missing ones are
    skipped). Only regular files whose name matches TEMP_NAME exactly and that have not changed for
    `older_than_s` seconds: a writer still at work keeps its file. Returns what was removed."""
    now = time.time() if now is None else now
    removed: list[Path] = []
    for directory in directories:
        if directory is None or not str(directory):
            continue
        try:
            entries = list(os.scandir(directory))
        except OSError:
            continue  # not there (an unplugged drive): nothing to sweep
        for entry in entries:
            if not TEMP_NAME.match(entry.name):
                continue
            try:
                if not entry.is_file(follow_symlinks=False):
                    continue
                if now - entry.stat(follow_symlinks=False).st_mtime < older_than_s:
                    continue
                os.unlink(entry.path)
            except OSError:
                continue
            removed.append(Path(entry.path))
    return removed
