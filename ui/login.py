"""Unlock the database, log in, change a first-login password, and the idle lock screen."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QVBoxLayout

from registry_app.errors import Issue, RegistryError
from registry_app.services.accounts import Accounts, password_issues
from registry_app.services.context import AppContext, CurrentUser
from registry_app.services.workspace import office_settings, open_workspace
from ui.fields import CheckedLineEdit


class _FormDialog(QDialog):
    def __init__(self, title: str, intro: str, parent=None):
        super().__init__(parent)
        self.setWindowTitle(title)
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
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText(self.tr("确定"))
        ok.setDefault(True)  # Enter in any field submits: keyboard first
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("取消"))
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.resize(440, 220)

    def submit(self) -> None:  # overridden
        self.accept()


class UnlockDialog(_FormDialog):
    """Asks for the database passphrase and opens the office database."""

    def __init__(self, db_path: Path, clock=None, parent=None):
        super().__init__(self.tr("打开登记数据库"), self.tr("请输入数据库口令以解密本机登记数据。"), parent)
        self.db_path = db_path
        self.clock = clock
        self.passphrase = CheckedLineEdit(password=True)
        self.passphrase.setObjectName("passphrase")
        self.form.addRow(self.tr("数据库口令"), self.passphrase)
        self.context: AppContext | None = None

    def submit(self) -> None:
        try:
            self.context = open_workspace(self.db_path, self.passphrase.text(), clock=self.clock)
        except RegistryError as exc:
            self.message.setText(exc.message)
            self.passphrase.edit.selectAll()
            self.passphrase.setFocus()
            return
        self.accept()


class LoginDialog(_FormDialog):
    def __init__(self, ctx: AppContext, username: str = "", locked: bool = False, parent=None):
        office = office_settings(ctx)
        intro = (self.tr("屏幕已锁定，请重新输入密码。") if locked else office.office_name)
        super().__init__(self.tr("登录 — 婚姻收养登记系统"), intro, parent)
        self.ctx = ctx
        self.username = CheckedLineEdit()
        self.username.setObjectName("username")
        self.username.setText(username)
        self.username.edit.setReadOnly(locked)
        self.password = CheckedLineEdit(password=True)
        self.password.setObjectName("password")
        self.form.addRow(self.tr("用户名"), self.username)
        self.form.addRow(self.tr("密码"), self.password)
        self.user: CurrentUser | None = None
        (self.password if username else self.username).setFocus()

    def submit(self) -> None:
        try:
            self.user = Accounts(self.ctx).login(self.username.text().strip(), self.password.text())
        except RegistryError as exc:
            self.message.setText(exc.message)
            self.password.setText("")
            self.password.setFocus()
            return
        self.accept()


class ChangePasswordDialog(_FormDialog):
    def __init__(self, ctx: AppContext, user: CurrentUser, parent=None):
        super().__init__(self.tr("修改密码"), self.tr("首次登录请设置自己的密码（至少10位，含字母和数字）。"), parent)
        self.ctx = ctx
        self.user = user
        self.old = CheckedLineEdit(password=True)
        self.new = CheckedLineEdit(lambda v: (password_issues(v, user.username) or [None])[0], password=True)
        self.repeat = CheckedLineEdit(lambda v: None if v == self.new.text() else Issue("MISMATCH", "两次输入不一致"),
                                      password=True)
        for name, w in (("old_password", self.old), ("new_password", self.new), ("repeat_password", self.repeat)):
            w.setObjectName(name)
        self.form.addRow(self.tr("原密码"), self.old)
        self.form.addRow(self.tr("新密码"), self.new)
        self.form.addRow(self.tr("再次输入"), self.repeat)

    def submit(self) -> None:
        if self.new.text() != self.repeat.text():
            self.message.setText(self.tr("两次输入的新密码不一致"))
            return
        try:
            self.user = Accounts(self.ctx).change_password(self.user, self.old.text(), self.new.text())
        except RegistryError as exc:
            self.message.setText(exc.message)
            return
        self.accept()
