"""The outbox folder an export writes into, as files: its lock, what is in it, and the quarantine.

No database here. The lock is held by an export (and a re-export) from before its batch is recorded
pending until the batch is marked written, and by a reconcile while it decides; the operating system
drops it when the process dies, so a reconcile that gets the lock knows no export is still at work
in that folder."""
from __future__ import annotations

import hashlib
import os
import re
import socket
import struct
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from registry_app.errors import RegistryError
from registry_app.fsutil import fsync_dir, lock_exclusive
from registry_app.sync import container
from registry_app.sync.batch import FILE_SUFFIX

LOCK_NAME = ".registry-export.lock"  # only where a folder cannot be locked itself (Windows)
QUARANTINE = "quarantine"
# write_atomic's temporary sibling of a batch or key file: ".NAME.<12 hex>.tmp"
_TEMP = re.compile(r"^\..+\.(rgb|pub)\.[0-9a-f]{12}\.tmp$")



def host_name() -> str:
    return socket.gethostname() or "?"


def outbox_key(path: Path) -> str:
    """How a folder is recorded on a batch: absolute, so a later start finds it from any working dir."""
    return str(Path(path).expanduser().resolve())


def _busy(folder: Path) -> RegistryError:
    return RegistryError(f"文件夹{folder.name or folder}正由另一个导出使用，请稍后再试（export in progress）",
                         code="SYNC_EXPORT_BUSY", field="out")


@contextmanager
def outbox_lock(folder: Path, create: bool = True) -> Iterator[Path]:
    """Exclusive, non-blocking. SYNC_EXPORT_BUSY when another process holds it. Only an export creates
    the folder: a reconcile must not make one where an unplugged drive should be (SYNC_OUTBOX_MISSING)."""
    if not create and not folder.is_dir():
        raise RegistryError(f"找不到文件夹{folder}（可能是移动硬盘未接上）", code="SYNC_OUTBOX_MISSING", field="out")
    try:
        if create:
            folder.mkdir(parents=True, exist_ok=True)
        # POSIX locks the folder itself, so the outbox holds nothing but batches and keys
        fd = os.open(folder, os.O_RDONLY) if os.name == "posix" else \
            os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise RegistryError(f"无法使用文件夹{folder.name or folder}（{exc.strerror}）", code="FILE_WRITE_FAILED",
                            field="out") from None
    try:
        if not lock_exclusive(fd):
            raise _busy(folder)
        yield folder
    finally:
        os.close(fd)  # closing releases the lock


@dataclass(frozen=True)
class BatchFile:
    """A batch-like file found in an outbox, with what its clear header says (None: not readable)."""

    path: Path
    office_code: str | None = None
    business_date: str | None = None
    batch_seq: int | None = None
    chain_hash: str | None = None

    def describe(self) -> dict:
        return {"file": self.path.name, "office_code": self.office_code, "business_date": self.business_date,
                "batch_seq": self.batch_seq, "chain_hash": self.chain_hash}


def peek(path: Path) -> BatchFile:
    """Read only the clear header (a batch may be hundreds of MB); unauthenticated for the office,
    which cannot decrypt its own file, so it is used to decide what to keep, never as proof."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(container.HEADER.size)
    except OSError:
        return BatchFile(path)
    if len(head) < container.HEADER.size or head[:len(container.MAGIC)] != container.MAGIC:
        return BatchFile(path)
    try:
        magic, version, _kid, _eph, office, day, seq, content, _n = container.HEADER.unpack(head)
    except struct.error:  # pragma: no cover - the length was checked
        return BatchFile(path)
    if version != container.FORMAT_VERSION:
        return BatchFile(path)
    day_text = day.decode("ascii", "replace")
    return BatchFile(path, office.decode("ascii", "replace"), f"{day_text[:4]}-{day_text[4:6]}-{day_text[6:]}",
                     seq, content.hex())


def batch_files(folder: Path) -> list[Path]:
    """Regular files named like a batch directly in `folder` (the quarantine below it is not scanned)."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return []
    return [Path(e.path) for e in entries
            if e.name.endswith(FILE_SUFFIX) and not e.name.startswith(".") and e.is_file(follow_symlinks=False)]


def remove_temp_files(folder: Path) -> list[str]:
    """Temporary files of a batch or key write that never got renamed (the writer was killed). Only
    called with the folder's lock held, so no writer is at work on them."""
    removed: list[str] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for e in entries:
        if _TEMP.match(e.name) and e.is_file(follow_symlinks=False):
            try:
                os.unlink(e.path)
                removed.append(e.name)
            except OSError:
                continue
    return removed


def file_sha256(path: Path) -> str | None:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


def quarantine_target(path: Path) -> Path:
    """Where `path` goes in `quarantine/` beside it, never over a file already there. Chosen before the
    move so the database can record it first (a crash in between leaves the file where the next
    reconcile finds it again)."""
    target_dir = path.parent / QUARANTINE
    target = target_dir / path.name
    n = 1
    while target.exists():
        target = target_dir / f"{path.stem}.{n}{path.suffix}"
        n += 1
    return target


def quarantine(path: Path, target: Path) -> Path:
    target_dir = target.parent
    try:
        target_dir.mkdir(exist_ok=True)
        os.replace(path, target)
        fsync_dir(path.parent)
        fsync_dir(target_dir)
    except OSError as exc:
        raise RegistryError(f"无法将{path.name}移入隔离文件夹（{exc.strerror}）", code="SYNC_QUARANTINE_FAILED") from None
    return target
