"""Showing a rendered document (slip, confirmation, notice) to the clerk inside the client: the PDF
stays in memory (no file with personal data is left on disk, not even after a crash), is shown with
the same preview widget as certificates, and printed through the Qt print dialog. Tests pass their
own callable instead and keep the bytes."""
from __future__ import annotations

from typing import Callable

from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ui.pdf_preview import PdfPreview
from ui.workflows.certificates_printing import PrintTarget

OpenPdf = Callable[[bytes, str], None]


class DocumentDialog(QDialog):
    def __init__(self, pdf: bytes, title: str, print_target: PrintTarget, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(title)
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
        self.resize(820, 900)

    def print_document(self) -> int:
        if not self.print_target.choose(self, self.windowTitle()):
            self.message.setText(self.tr("已取消打印"))
            return 0
        pages = self.print_target.print_pdf(self.pdf, self.windowTitle())
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


__all__ = ["DocumentDialog", "InAppPdfViewer", "OpenPdf"]
