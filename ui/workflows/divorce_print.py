"""Showing a rendered document to the clerk: the PDF is written (atomically, owner-only) into a
private directory of this run and handed to the system's PDF viewer, which prints it. The directory
is made with mkdtemp (mode 0700, a fresh name: nothing to pre-create or link) and emptied when the
application quits. Tests pass their own callable instead and keep the bytes."""
from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QCoreApplication, QUrl
from PySide6.QtGui import QDesktopServices

from registry_app.fsutil import write_atomic

log = logging.getLogger(__name__)

OpenPdf = Callable[[bytes, str], None]


class PrivatePdfViewer:
    """open_pdf(data, name): `name` is a file name without personal data (e.g. divorce-slip-12.pdf)."""

    def __init__(self) -> None:
        self.directory: Path | None = None

    def __call__(self, data: bytes, name: str) -> None:
        if self.directory is None:
            self.directory = Path(tempfile.mkdtemp(prefix="registry-print-"))
            app = QCoreApplication.instance()
            if app is not None:
                app.aboutToQuit.connect(self.cleanup)
        path = write_atomic(self.directory / Path(name).name, data, 0o600)
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
            raise OSError("没有可以打开PDF的程序，请安装PDF阅读器")

    def cleanup(self) -> None:
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None


__all__ = ["OpenPdf", "PrivatePdfViewer"]
