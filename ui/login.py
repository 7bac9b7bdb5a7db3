"""Unlock the database, log in, change a first-login password, and the lock screen.

Keyboard first: each dialog opens with the cursor in its first empty field and Enter submits from any
field, also after Tab has moved to another button (only the submit button is a default button). An
empty field is refused at the field before anything is asked of the database, and no dialog ends the
program without asking 「退出程序？」.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from registry_app.errors import Issue, RegistryError
from registry_app.services.accounts import Accounts, password_issues
from registry_app.services.context import AppContext, CurrentUser
from registry_app.services.workspace import office_settings, open_workspace
from ui.errors import error_text
from ui.fields import CheckedLineEdit
from ui.prompts import Prompter

Role = QDialogButtonBox.ButtonRole


class _FormDialog(QDialog):
    """Intro, a form of line edits, a message line, and buttons of which only `submit_button` is a
    default: Enter anywhere in the dialog submits."""

    def __init__(self, title: str, intro: str, submit_text: str, parent=None, prompter: Prompter | None = None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.prompter = prompter  # None: real dialogs over this one (made when asked: no reference cycle)
        layout = QVBoxLayout(self)
        self.intro = QLabel(intro)
        self.intro.setWordWrap(True)
        layout.addWidget(self.intro)
        self.form = QFormLayout()
        layout.addLayout(self.form)
        self.message = QLabel()
        self.message.setObjectName("fieldError")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        self.buttons = QDialogButtonBox()
        layout.addWidget(self.buttons)
        self.fields: list[CheckedLineEdit] = []
        self.submit_button = self.add_button(submit_text, Role.AcceptRole, self.submit)
        self.submit_button.setObjectName("submit")
        self.submit_button.setDefault(True)
        self.resize(460, 240)

    def add_button(self, text: str, role: QDialogButtonBox.ButtonRole, slot) -> QPushButton:
        button = self.buttons.addButton(text, role)
        button.setAutoDefault(False)  # a focused 取消 must not take Enter from the submit button
        button.clicked.connect(slot)
        return button

    def add_field(self, label: str, field: CheckedLineEdit, name: str) -> CheckedLineEdit:
        field.setObjectName(name)
        self.form.addRow(label, field)
        self.fields.append(field)
        return field

    def showEvent(self, event) -> None:  # noqa: N802 — Qt naming
        super().showEvent(event)
        # Fields first, then the buttons (the buttons were created first), and the cursor in a field.
        chain: list[QWidget] = [f.edit for f in self.fields] + self.buttons.buttons()
        for first, second in zip(chain, chain[1:]):
            QWidget.setTabOrder(first, second)
        self.first_empty_field().edit.setFocus()

    def first_empty_field(self) -> CheckedLineEdit:
        return next((f for f in self.fields if not f.text() and not f.edit.isReadOnly()), self.fields[-1])

    def require(self, *checks: tuple[CheckedLineEdit, str]) -> bool:
        """Refuse an empty field at the field (in Chinese), before anything else is asked."""
        for field, message in checks:
            if not field.text():
                field.show_issue(Issue("REQUIRED", message))
                field.edit.setFocus()
                return False
        return True

    def show_failure(self, exc: RegistryError, fields: dict[str, CheckedLineEdit] | None = None) -> None:
        """An issue naming one of this dialog's fields is shown at that field; the rest on the message line."""
        fields = fields or {}
        at_field = [issue for issue in exc.issues if issue.field in fields]
        for issue in at_field:
            fields[issue.field].show_issue(issue)
        self.message.setText("" if len(at_field) == len(exc.issues) else error_text(exc))

    def ask_quit(self) -> None:
        if (self.prompter or Prompter(self)).confirm(self.tr("退出程序"), self.tr("退出程序？")):
            self.done(QDialog.DialogCode.Rejected)

    def submit(self) -> None:  # overridden
        self.accept()


class UnlockDialog(_FormDialog):
    """Asks for the database passphrase and opens the office database. Cancelling asks 「退出程序？」."""

    def __init__(self, db_path: Path, clock=None, parent=None, prompter: Prompter | None = None):
        super().__init__(self.tr("打开登记数据库"), self.tr("请输入数据库口令以解密本机登记数据。"),
                         self.tr("确定"), parent, prompter)
        self.db_path = db_path
        self.clock = clock
        self.passphrase = self.add_field(self.tr("数据库口令"), CheckedLineEdit(password=True), "passphrase")
        self.add_button(self.tr("退出程序"), Role.RejectRole, self.reject)
        self.context: AppContext | None = None

    def reject(self) -> None:  # the 退出程序 button, Escape and the window's close box
        self.ask_quit()

    def submit(self) -> None:
        if not self.require((self.passphrase, self.tr("请输入数据库口令"))):
            return
        try:
            self.context = open_workspace(self.db_path, self.passphrase.text(), clock=self.clock)
        except RegistryError as exc:
            self.show_failure(exc)
            self.passphrase.edit.selectAll()
            self.passphrase.edit.setFocus()
            return
        self.accept()


class LoginDialog(_FormDialog):
    """User name and password. Cancelling asks 「退出程序？」: there is no one to go back to."""

    def __init__(self, ctx: AppContext, username: str = "", parent=None, prompter: Prompter | None = None,
                 notice: str = ""):
        office = office_settings(ctx)
        super().__init__(self.tr("登录"), office.office_name, self.tr("登录"), parent, prompter)
        self.ctx = ctx
        self.username = self.add_field(self.tr("用户名"), CheckedLineEdit(), "username")
        self.username.setText(username)
        self.password = self.add_field(self.tr("密码"), CheckedLineEdit(password=True), "password")
        self.add_button(self.tr("退出程序"), Role.RejectRole, self.reject)
        self.message.setText(notice)
        self.user: CurrentUser | None = None

    def reject(self) -> None:
        self.ask_quit()

    def submit(self) -> None:
        if not self.require((self.username, self.tr("请输入用户名")), (self.password, self.tr("请输入密码"))):
            return
        try:
            self.user = Accounts(self.ctx).login(self.username.text().strip(), self.password.text())
        except RegistryError as exc:
            self.show_failure(exc)
            self.password.setText("")
            self.password.edit.setFocus()
            return
        self.accept()


class ChangePasswordDialog(_FormDialog):
    """First login: the user sets a password of their own. 返回登录 (or Escape) goes back to the login
    window; the account still has to change its password there."""

    def __init__(self, ctx: AppContext, user: CurrentUser, parent=None, prompter: Prompter | None = None):
        super().__init__(self.tr("修改密码"), self.tr("首次登录请设置自己的密码（至少10位，含字母和数字）。"),
                         self.tr("确定"), parent, prompter)
        self.ctx = ctx
        self.user = user
        self.old = self.add_field(self.tr("原密码"), CheckedLineEdit(password=True), "old_password")
        self.new = self.add_field(
            self.tr("新密码"),
            CheckedLineEdit(lambda v: (password_issues(v, user.username) or [None])[0], password=True),
            "new_password")
        self.repeat = self.add_field(
            self.tr("再次输入"),
            CheckedLineEdit(lambda v: None if v == self.new.text() else Issue("MISMATCH", "两次输入不一致"),
                            password=True),
            "repeat_password")
        self.add_button(self.tr("返回登录"), Role.RejectRole, self.reject)

    def submit(self) -> None:
        if not self.require((self.old, self.tr("请输入原密码")), (self.new, self.tr("请输入新密码")),
                            (self.repeat, self.tr("请再次输入新密码"))):
            return
        if self.new.text() != self.repeat.text():
            self.repeat.show_issue(Issue("MISMATCH", self.tr("两次输入的新密码不一致")))
            self.repeat.edit.setFocus()
            return
        try:
            self.user = Accounts(self.ctx).change_password(self.user, self.old.text(), self.new.text())
        except RegistryError as exc:
            self.show_failure(exc, {"old_password": self.old, "new_password": self.new, "password": self.new})
            return
        self.accept()


class LockDialog(_FormDialog):
    """The idle lock: the same user unlocks with their password and finds their page as they left it.
    Someone else takes over with 切换用户 (the session warns that unsaved input is discarded). There is
    no 取消: Escape and the close box do nothing, and 退出程序 asks first."""

    SWITCH_USER = 2  # result code besides Accepted (unlocked) and Rejected (quit)

    def __init__(self, ctx: AppContext, user: CurrentUser, parent=None, prompter: Prompter | None = None):
        super().__init__(self.tr("屏幕已锁定"),
                         self.tr("屏幕已锁定。{name}（{role}）请输入密码解锁；\n其他人接替请点“切换用户”。").format(
                             name=user.display_name, role=user.role.zh),
                         self.tr("解锁"), parent, prompter)
        self.ctx = ctx
        self.user = user
        self.username = self.add_field(self.tr("用户名"), CheckedLineEdit(), "username")
        self.username.setText(user.username)
        self.username.edit.setReadOnly(True)
        self.username.edit.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.password = self.add_field(self.tr("密码"), CheckedLineEdit(password=True), "password")
        self.switch_button = self.add_button(self.tr("切换用户"), Role.ActionRole,
                                             lambda: self.done(self.SWITCH_USER))
        self.add_button(self.tr("退出程序"), Role.RejectRole, self.ask_quit)

    def reject(self) -> None:  # Escape: stays locked
        pass

    def closeEvent(self, event) -> None:  # noqa: N802 — the close box: stays locked
        event.ignore()

    def submit(self) -> None:
        if not self.require((self.password, self.tr("请输入密码"))):
            return
        try:
            self.user = Accounts(self.ctx).login(self.user.username, self.password.text())
        except RegistryError as exc:
            self.show_failure(exc)
            self.password.setText("")
            self.password.edit.setFocus()
            return
        self.accept()
