"""Where the certificate page's printing goes, and the supervisor's second check for a reprint.

Both are injectable: tests pass a RecordingPrintTarget (no print dialog ever opens) and a function
that answers the supervisor dialog, so no test blocks on a modal window."""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget
from PySide6.QtPrintSupport import QPrintDialog, QPrinter

from registry_app.domain.roles import Permission, can
from registry_app.errors import AuthenticationFailed, PermissionDenied
from registry_app.services.accounts import Accounts
from registry_app.services.context import AppContext
from ui.pdf_preview import page_sizes, paint_pdf

Progress = Callable[[int, int], None]


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
            progress(pages, pages)
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


def supervisor_approval(ctx: AppContext, username: str, password: str) -> str:
    """A real second check: the supervisor's password is verified (failures count towards the
    lock-out like any login) and the account must be allowed to approve reprints. Returns the
    approving user name; raises AuthenticationFailed or PermissionDenied."""
    if not username or not password:
        raise AuthenticationFailed("请输入负责人的用户名和密码", code="APPROVAL_INCOMPLETE")
    approver = Accounts(ctx).login(username, password)
    if not can(approver.role, Permission.APPROVE_REPRINT):
        raise PermissionDenied(f"{approver.display_name}（{approver.role.zh}）无权批准补打", code="NOT_A_SUPERVISOR")
    return approver.username
