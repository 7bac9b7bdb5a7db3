"""The log file the help desk reads, with nothing personal in it.

One rotating file in the data directory (`logs/registry-app.log`, owner-only). A defect is written as a
reference number (the clerk reads it out from the error dialog), the exception's type and the code
locations of its traceback (file, line, function): never the exception's text, its arguments, locals or
source lines, which may hold a name or an ID number. Every line written to the file also passes through
`scrub`, so a message logged by any other module cannot carry one either.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import re
import secrets
import traceback
from logging.handlers import RotatingFileHandler
from pathlib import Path

LOG_FILE = "registry-app.log"
MAX_BYTES = 1_000_000  # a year of defects at a counter is far less; five old files are kept
BACKUP_COUNT = 5

defects = logging.getLogger("registry.defect")

# Chinese text (names, addresses, the clerk-facing messages) and any token with six or more digits
# (ID numbers, passport and permit numbers, phone numbers, certificate numbers).
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]+")
_TOKEN = re.compile(r"[0-9A-Za-z]+")


def scrub(text: str) -> str:
    """`text` with Chinese runs replaced by ＊ and number-like tokens by [number]."""
    text = _CJK.sub("＊", text)
    return _TOKEN.sub(lambda m: "[number]" if sum(c.isdigit() for c in m.group()) >= 6 else m.group(), text)


def new_reference(now: dt.datetime | None = None) -> str:
    """A short reference a clerk can read out: month-day, hour-minute and four random hex digits
    (no group has six digits, so the scrubber leaves it intact)."""
    now = now or dt.datetime.now()
    return f"{now:%m%d}-{now:%H%M}-{secrets.token_hex(2).upper()}"


def _place(filename: str) -> str:
    # The last two path components: enough to find the file, nothing of this machine's layout.
    parts = Path(filename).parts
    return "/".join(parts[-2:]) if len(parts) >= 2 else filename


def defect_report(exc: BaseException, reference: str) -> str:
    """Type and code locations of `exc` and of the exceptions it was raised from."""
    lines = [f"defect {reference}"]
    seen: set[int] = set()
    current: BaseException | None = exc
    prefix = ""
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        kind = type(current)
        code = getattr(current, "code", None)
        lines.append(f"{prefix}{kind.__module__}.{kind.__qualname__}"
                     + (f" code={code}" if isinstance(code, str) and code.isascii() else ""))
        for frame in traceback.extract_tb(current.__traceback__) if current.__traceback__ else []:
            lines.append(f"  at {_place(frame.filename)}:{frame.lineno} in {frame.name}")
        nxt = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
        prefix = "raised while handling " if nxt is not None else ""
        current = nxt
    return "\n".join(lines)


def record_defect(exc: BaseException, where: str = "") -> str:
    """Log `exc` as a defect and return its reference number."""
    reference = new_reference()
    defects.error("%s%s", defect_report(exc, reference), f"\n  reported by {where}" if where else "")
    return reference


class _Scrubbed(logging.Filter):
    """Replaces a record's message by its scrubbed text; an attached traceback keeps only its places."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 — a malformed call must not lose the line
            message = str(record.msg)
        if record.exc_info and record.exc_info[1] is not None:
            message += "\n" + defect_report(record.exc_info[1], "attached")
        record.msg, record.args = scrub(message), None
        record.exc_info = record.exc_text = record.stack_info = None
        return True


class _PrivateRotatingFileHandler(RotatingFileHandler):
    """Each file (also after a rollover) is created readable by its owner only."""

    def _open(self):
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        return os.fdopen(fd, "a", encoding=self.encoding)


_handler: logging.Handler | None = None


def configure_log_file(log_dir: Path, level: int = logging.WARNING) -> Path:
    """Send warnings and errors of every logger to `log_dir/registry-app.log` (rotating, scrubbed).
    Calling it again moves the file (tests, a second start in one process)."""
    global _handler
    log_dir = Path(log_dir)
    log_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = log_dir / LOG_FILE
    handler = _PrivateRotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT, encoding="utf-8")
    handler.setLevel(level)
    handler.addFilter(_Scrubbed())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    if _handler is not None:
        root.removeHandler(_handler)
        _handler.close()
    root.addHandler(handler)
    if root.level > level or root.level == logging.NOTSET:
        root.setLevel(level)
    _handler = handler
    return path


def close_log_file() -> None:
    global _handler
    if _handler is not None:
        logging.getLogger().removeHandler(_handler)
        _handler.close()
        _handler = None


__all__ = ["close_log_file", "configure_log_file", "defect_report", "new_reference", "record_defect", "scrub"]
