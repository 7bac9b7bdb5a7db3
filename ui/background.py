"""One way to run long work off the GUI thread (as Anki does): an operation object with progress
and cancel, run on the global QThreadPool, reporting back through Qt signals."""
from __future__ import annotations

import threading
import traceback
from typing import Any, Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal


class Cancelled(Exception):
    pass


class OperationSignals(QObject):
    progress = Signal(int, int, str)   # done, total, label
    succeeded = Signal(object)
    failed = Signal(object)            # the exception
    finished = Signal()


class BackgroundOperation(QRunnable):
    """Runs fn(report, cancelled) on a worker thread.
    `report(done, total, label)` updates progress; `cancelled()` tells the work to stop."""

    def __init__(self, fn: Callable[[Callable[[int, int, str], None], Callable[[], bool]], Any]):
        super().__init__()
        self.fn = fn
        self.signals = OperationSignals()
        self._cancel = threading.Event()
        self.setAutoDelete(False)

    def cancel(self) -> None:
        self._cancel.set()

    def is_cancelled(self) -> bool:
        return self._cancel.is_set()

    def run(self) -> None:  # worker thread
        try:
            result = self.fn(lambda d, t, label="": self.signals.progress.emit(d, t, label), self.is_cancelled)
        except BaseException as exc:  # noqa: BLE001 — reported to the GUI thread, never swallowed
            exc.__traceback_text__ = traceback.format_exc()  # type: ignore[attr-defined]
            self.signals.failed.emit(exc)
        else:
            self.signals.succeeded.emit(result)
        finally:
            self.signals.finished.emit()


def start(op: BackgroundOperation, pool: QThreadPool | None = None) -> BackgroundOperation:
    (pool or QThreadPool.globalInstance()).start(op)
    return op
