"""`registry-app --demo` and the first-start screen's 「试用演示」: a throwaway demo office to try every page.

The demo office is made by the core (registry_app/demo/sandbox.py) on a worker thread behind a progress
window; the login window names the demo accounts and their password; every main window carries a banner
saying it is a demo and that nothing leaves it (the services refuse the export and backups); the folder is
deleted when the program ends, and a crashed demo's folder at the next start."""
from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QEventLoop, Qt
from PySide6.QtWidgets import QApplication, QLabel, QProgressDialog

from registry_app.demo.sandbox import ACCOUNTS, PASSWORD, DemoSandbox, create_demo, credentials_text
from ui import smoke
from ui.background import BackgroundOperation, start
from ui.errors import install_excepthook, present_error
from ui.login import LoginDialog
from ui.main_window import MainWindow
from ui.prompts import Prompter
from ui.session import ClientSession

BANNER = "演示环境 — 虚构数据，不能导出、不能备份，关闭程序后全部删除"


def prepare_demo(day: dt.date | None = None) -> DemoSandbox | None:
    """Make the demo office behind a progress window; None (the failure shown) if it could not be made."""
    progress = QProgressDialog("正在准备演示数据……", "", 0, 0)
    progress.setObjectName("demoProgress")
    progress.setWindowTitle("试用演示")
    progress.setCancelButton(None)  # the database is made in one go; closing the program ends it
    progress.setMinimumDuration(0)
    progress.setWindowModality(Qt.WindowModality.ApplicationModal)
    outcome: dict = {}
    loop = QEventLoop()
    op = BackgroundOperation(lambda report, _cancelled: create_demo(day, progress=report), title="演示环境未能建立")

    def advanced(done: int, total: int, label: str) -> None:
        progress.setMaximum(max(total, 1))
        progress.setValue(min(done, max(total, 1)))
        progress.setLabelText(f"正在准备演示数据：{label}")

    op.signals.progress.connect(advanced)
    op.signals.succeeded.connect(lambda box: outcome.update(box=box))
    op.signals.failed.connect(lambda exc: outcome.update(error=exc))
    op.signals.finished.connect(loop.quit)
    progress.show()
    start(op)
    loop.exec()
    progress.close()
    if "error" in outcome:
        present_error(Prompter(None), outcome["error"], "演示环境未能建立")
        return None
    return outcome.get("box")


class DemoSession(ClientSession):
    """The client's session on the demo office: the login window names the demo accounts."""

    def sign_in(self, notice: str = "") -> None:
        super().sign_in(notice)
        dialog = self.dialog
        if isinstance(dialog, LoginDialog):
            accounts = "\n".join(f"　{a.label}" for a in ACCOUNTS)
            dialog.intro.setText(f"{dialog.intro.text()}\n【演示账号】\n{accounts}\n　密码均为 {PASSWORD}")
            dialog.intro.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            if not dialog.username.text():
                dialog.username.setText(ACCOUNTS[0].username)


def decorate(window: MainWindow) -> QLabel:
    """Put the demo banner above every page (in place of the training banner, which it includes)."""
    banner = QLabel(f"{BANNER}　｜　{credentials_text()}")
    banner.setObjectName("demoBanner")
    banner.setWordWrap(True)
    banner.setAlignment(Qt.AlignmentFlag.AlignCenter)
    banner.setStyleSheet("background: #e65100; color: white; font-weight: bold; padding: 4px;")
    training = getattr(window, "training_banner", None)
    if training is not None:
        training.setVisible(False)
    window.centralWidget().layout().insertWidget(0, banner)
    banner.show()  # the window is already on screen when the session reports it
    window.setWindowTitle("【演示】" + window.windowTitle())
    return banner


def run_demo(app: QApplication, day: dt.date | None = None) -> int:
    """Run the client on a new demo office until the person quits; the office is deleted afterwards."""
    box = prepare_demo(day)
    if box is None:
        return 1
    smoke.on_exit(box.close)
    app.aboutToQuit.connect(box.close)
    # no daily backups and no export check: nothing leaves a demo
    session = DemoSession(box.ctx, db_path=None, start_duties=None)
    session.window_opened.connect(decorate)
    session.window_opened.connect(lambda window: install_excepthook(window.state.prompter))
    session.sign_in()
    try:
        return app.exec()
    finally:
        box.close()
