"""The one protocol for long work (import, export, print, check, demo data): the operation takes
`progress(done, total, label)` and polls `cancelled()`; a True answer raises `Cancelled` inside the
operation's transaction, so that a cancelled operation leaves nothing. Results are typed dataclasses
with `to_dict()`."""
from __future__ import annotations

from collections.abc import Callable

from registry_app.errors import Cancelled

Progress = Callable[[int, int, str], None]
IsCancelled = Callable[[], bool]


def NO_PROGRESS(_done: int, _total: int, _label: str = "") -> None:  # noqa: N802 — a constant callable
    pass


def NEVER_CANCELLED() -> bool:  # noqa: N802 — a constant callable
    return False


def stop_if(cancelled: IsCancelled, message: str = "已取消") -> None:
    """Raise Cancelled when the clerk asked to stop."""
    if cancelled():
        raise Cancelled(message)


__all__ = ["Cancelled", "IsCancelled", "NEVER_CANCELLED", "NO_PROGRESS", "Progress", "stop_if"]
