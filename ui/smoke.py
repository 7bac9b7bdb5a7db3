"""Start-up check for a build: with REGISTRY_SMOKE_EXIT=1 the client starts as usual and, as soon as its first
window is on screen (a progress window does not count), prints one JSON line naming that window and ends
with exit code 0; REGISTRY_SMOKE_EXIT=LoginDialog waits for that window class instead. The CI step
(build/scripts/ci-build.sh) runs the packaged client this way, offscreen, to prove it starts."""
from __future__ import annotations

import json
import os
import sys
import time
from typing import Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QMainWindow, QProgressDialog, QWidget

ENV = "REGISTRY_SMOKE_EXIT"
_STARTED = time.monotonic()
_cleanups: list[Callable[[], None]] = []


def requested() -> str:
    """"" (off), "1" (the first window) or the class name of the window to wait for."""
    return os.environ.get(ENV, "")


def on_exit(fn: Callable[[], None]) -> None:
    """Work that must run before a smoke run ends the process (the demo deletes its folder)."""
    _cleanups.append(fn)


class _FirstWindow(QObject):
    def __init__(self, wanted: str, exit_fn: Callable[[int], None]):
        super().__init__()
        self.wanted = wanted
        self.exit_fn = exit_fn
        self.reported = False

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 — Qt naming
        if (not self.reported and event.type() == QEvent.Type.Show and isinstance(obj, (QDialog, QMainWindow))
                and isinstance(obj, QWidget) and obj.isWindow() and self._wanted(obj)):
            self.reported = True
            line = {"first_window": type(obj).__name__, "title": obj.windowTitle(),
                    "seconds_since_import": round(time.monotonic() - _STARTED, 2)}
            print(json.dumps(line, ensure_ascii=False), flush=True)
            QTimer.singleShot(0, self._finish)
        return False

    def _wanted(self, window: QWidget) -> bool:
        if self.wanted == "1":
            return not isinstance(window, QProgressDialog)
        return type(window).__name__ == self.wanted

    def _finish(self) -> None:
        for fn in reversed(_cleanups):
            fn()
        sys.stdout.flush()
        self.exit_fn(0)


def install(app: QApplication, exit_fn: Callable[[int], None] = os._exit) -> _FirstWindow | None:
    """With REGISTRY_SMOKE_EXIT set, end the process once the first (or the named) window shows. The exit
    is immediate (os._exit): the windows' own 「退出程序？」 questions must not hold a headless run."""
    wanted = requested()
    if not wanted:
        return None
    watcher = _FirstWindow(wanted, exit_fn)
    app.installEventFilter(watcher)
    app._smoke_watcher = watcher  # kept alive with the application
    return watcher
