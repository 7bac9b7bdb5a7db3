"""One way to run long work off the GUI thread (as Anki does): an operation object with progress
and cancel, run on the global QThreadPool, reporting back through Qt signals.

The work follows the core's protocol (registry_app.operations): `fn(report, cancelled)` gets
`report(done, total, label)` and `cancelled()`, and stops by raising Cancelled. A failure nobody
connected to is not lost: it is shown through the one error presenter (ui/errors.py), as Anki's
QueryOp does."""
from __future__ import annotations

import threading
from typing import Any, Callable

from PySide6.QtCore import SIGNAL, QObject, QRunnable, QThreadPool, Signal

from registry_app.operations import Cancelled, IsCancelled, Progress
from ui.errors import present_error
from ui.prompts import Prompter


class OperationSignals(QObject):
    progress = Signal(int, int, str)   # done, total, label
    succeeded = Signal(object)
    failed = Signal(object)            # the exception
    finished = Signal()


class BackgroundOperation(QRunnable):
    """Runs fn(report, cancelled) on a worker thread.
    `report(done, total, label)` updates progress; `cancelled()` tells the work to stop."""

    def __init__(self, fn: Callable[[Progress, IsCancelled], Any], *, prompter: Prompter | None = None,
                 title: str = "未能完成"):
        super().__init__()
        self.fn = fn
        self.prompter = prompter   # where an unhandled failure is shown (a page passes state.prompter)
        self.title = title
        self.signals = OperationSignals()
        self.signals.failed.connect(self._default_failure)
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
            self.signals.failed.emit(exc)
        else:
            self.signals.succeeded.emit(result)
        finally:
            self.signals.finished.emit()

    def _default_failure(self, exc: BaseException) -> None:  # GUI thread
        """Present the failure when no one else handles it; a cancel the clerk asked for is no error."""
        if self.signals.receivers(SIGNAL("failed(PyObject)")) > 1 or isinstance(exc, Cancelled):
            return
        present_error(self.prompter, exc, self.title)


def start(op: BackgroundOperation, pool: QThreadPool | None = None) -> BackgroundOperation:
    (pool or QThreadPool.globalInstance()).start(op)
    return op
