"""Where the certificate page's printing goes, and the supervisor's second check for a reprint.

Both are injectable: tests pass a RecordingPrintTarget (no print dialog ever opens) and a function
that answers the supervisor dialog, so no test blocks on a modal window."""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget
from PySide6.QtPrintSupport import QPrintDialog, QPrinter

from registry_app.operations import Progress
from ui.pdf_preview import page_sizes, paint_pdf



class PrintTarget:
    """The office printer, chosen in the system print dialog. `choose` runs on the GUI thread;
    `print_pdf` may run on a worker thread (painting on a QPrinter is allowed there)."""

    def __init__(self) -> None:
        self.printer: QPrinter | None = None

    def choose(self, parent: QWidget | None, title: str) -> bool:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName(title)
        dialog = QPrintDialog(printer, parent)
        dialog.setWindowTitle(title)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return False
        self.printer = printer
        return True

    def print_pdf(self, pdf: bytes, title: str, progress: Progress | None = None,
                  cancelled: Callable[[], bool] | None = None) -> int:
        if self.printer is None:
            raise RuntimeError("no printer chosen")
        self.printer.setDocName(title)
        return paint_pdf(self.printer, pdf, progress=progress, cancelled=cancelled)


class RecordingPrintTarget(PrintTarget):
    """For tests: accepts (or refuses) the print dialog and remembers what would have printed."""

    def __init__(self, accept: bool = True) -> None:
        super().__init__()
        self.accept = accept
        self.chosen: list[str] = []
        self.printed: list[tuple[str, int, bytes]] = []   # title, pages, pdf

    def choose(self, parent: QWidget | None, title: str) -> bool:
        self.chosen.append(title)
        return self.accept

    def print_pdf(self, pdf: bytes, title: str, progress: Progress | None = None,
                  cancelled: Callable[[], bool] | None = None) -> int:
        pages = len(page_sizes(pdf))
        self.printed.append((title, pages, pdf))
        if progress is not None:
            progress(pages, pages, "送往打印机")
        return pages


class SupervisorDialog(QDialog):
    """The approving supervisor types their own user name and password."""

    def __init__(self, reason: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("负责人批准")
        layout = QVBoxLayout(self)
        note = QLabel(reason)
        note.setWordWrap(True)
        layout.addWidget(note)
        form = QFormLayout()
        self.username = QLineEdit()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow("负责人用户名", self.username)
        form.addRow("密码", self.password)
        layout.addLayout(form)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("批准")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


AskSupervisor = Callable[[QWidget | None, str], "tuple[str, str] | None"]


def ask_supervisor_dialog(parent: QWidget | None, reason: str) -> tuple[str, str] | None:
    dialog = SupervisorDialog(reason, parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return dialog.username.text().strip(), dialog.password.text()
