"""Crash-safe file writing: a reader sees either the old file or the whole new one, never a torn
write, and a key file is never readable by others, not even for the instant between create and chmod."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from registry_app.errors import StorageError


def write_atomic(path: str | os.PathLike, data: bytes, mode: int = 0o600) -> Path:
    """Replace `path` with `data`. The temporary file lives in the same directory (so os.replace
    is a rename on one file system) and is created with `mode` from the start."""
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    tmp = directory / f".{target.name}.{secrets.token_hex(6)}.tmp"
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
    _fsync_dir(directory)
    return target


def _fsync_dir(directory: Path) -> None:
    # Makes the rename itself durable. Not possible on Windows, where opening a directory fails.
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
