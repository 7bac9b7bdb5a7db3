"""Showing a rendered document (slip, confirmation, notice) to the clerk inside the client: the PDF
stays in memory (no file with personal data is left on disk, not even after a crash), is shown with
the same preview widget as certificates, and printed through the Qt print dialog. Tests pass their
own callable instead and keep the bytes."""
from __future__ import annotations

from typing import Callable

import pypdfium2 as pdfium
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ui.pdf_preview import PDFIUM_LOCK, PdfPreview
from ui.workflows.certificates_printing import PrintTarget

OpenPdf = Callable[[bytes, str], None]


def document_title(pdf: bytes, given: str) -> str:
    """What the document is, for the window title and the print job: the caller's name for it, unless that
    is only a file name ("divorce-slip-4.pdf"); then the title the PDF carries (every form sets it:
    离婚登记申请受理回执单)."""
    if given.strip() and not given.strip().lower().endswith(".pdf"):
        return given.strip()
    try:
        with PDFIUM_LOCK:
            doc = pdfium.PdfDocument(pdf)
            try:
                title = (doc.get_metadata_dict().get("Title") or "").strip()
            finally:
                doc.close()
    except pdfium.PdfiumError:
        title = ""
    return title or "文书"


class DocumentDialog(QDialog):
    def __init__(self, pdf: bytes, title: str, print_target: PrintTarget, parent: QWidget | None = None):
        super().__init__(parent)
        self.document_title = document_title(pdf, title)
        self.setWindowTitle(f"{self.document_title} — 预览")
        self.pdf = pdf
        self.print_target = print_target
        self.preview = PdfPreview(self)
        self.preview.set_pdf(pdf)
        self.message = QLabel()
        print_button = QPushButton(self.tr("打印"))
        print_button.setDefault(True)
        print_button.clicked.connect(self.print_document)
        close = QPushButton(self.tr("关闭"))
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addWidget(self.message, 1)
        buttons.addWidget(print_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.preview, 1)
        layout.addLayout(buttons)
        # As tall as the screen allows (a 768-pixel screen has no room for 900), wide enough that an A4
        # page fitted to the width reads like paper.
        screen = self.screen().availableGeometry() if self.screen() else None
        self.resize(900, min(960, screen.height() - 60) if screen else 700)

    def print_document(self) -> int:
        if not self.print_target.choose(self, self.document_title):
            self.message.setText(self.tr("已取消打印"))
            return 0
        pages = self.print_target.print_pdf(self.pdf, self.document_title)
        self.message.setText(self.tr("已送打印机：%n 页", "", pages))
        return pages


class InAppPdfViewer:
    """open_pdf(data, title): a non-modal document window; the clerk prints from it."""

    def __init__(self, parent: QWidget | None = None, print_target: PrintTarget | None = None):
        self.parent = parent
        self.print_target = print_target or PrintTarget()
        self.open_dialogs: list[DocumentDialog] = []

    def __call__(self, data: bytes, title: str) -> DocumentDialog:
        dialog = DocumentDialog(data, title, self.print_target, self.parent)
        self.open_dialogs = [d for d in self.open_dialogs if d.isVisible()] + [dialog]
        dialog.show()
        return dialog


__all__ = ["DocumentDialog", "InAppPdfViewer", "OpenPdf", "document_title"]
