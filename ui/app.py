"""Entry point of the client (`registry-app`): first-start wizard or unlock, then the session (login, main
window, lock, switch user: ui/session.py)."""
from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

from PySide6.QtCore import QLocale, QTranslator
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication, QDialog

from registry_app.diagnostics import configure_log_file
from registry_app.errors import RegistryError
from registry_app.paths import data_dir, default_db_path
from registry_app.resources import resources_dir
from registry_app.services.backup import sweep_stale_temp_files
from registry_app.services.context import AppContext
from registry_app.services.unlock_memory import UnlockMemory
from registry_app.services.workspace import database_exists, office_settings, open_workspace
from registry_app.demo.sandbox import sweep_stale_demos
from ui import smoke
from ui.demo import run_demo
from ui.errors import install_excepthook
from ui.login import UnlockDialog
from ui.main_window import MainWindow
from ui.session import ClientSession
from ui.qt_chinese import install_qt_chinese
from ui.setup_wizard import SetupWizard
from ui.widgets.input_guard import install_input_guard


def make_application(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    app.setApplicationName("registry-app")
    app.setApplicationDisplayName("婚姻收养登记系统")
    res = resources_dir()
    # A CJK font that ships with the product, so Chinese renders the same on every counter.
    for font_file in sorted((res / "fonts").glob("*.tt[fc]")):
        QFontDatabase.addApplicationFont(str(font_file))
    families = set(QFontDatabase.families())
    for family in ("Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "Droid Sans Fallback"):
        if family in families:
            app.setFont(QFont(family, 11))
            break
    locale = os.environ.get("REGISTRY_LANG") or QLocale.system().name()
    translator = QTranslator(app)
    if not locale.startswith("zh") and translator.load(str(res / "translations" / f"registry_{locale[:2]}.qm")):
        app.installTranslator(translator)
    else:
        install_qt_chinese(app)  # Qt's own buttons and dialogs speak the pages' language
    install_input_guard(app)  # wheel never changes an unfocused field; focus scrolls into view
    qss = res / "styles" / "app.qss"
    if qss.exists():
        app.setStyleSheet(qss.read_text(encoding="utf-8"))
    return app


def _unlock_from_keyring(db_path: Path, memory: UnlockMemory) -> AppContext | None:
    """Open with the passphrase typed earlier on this machine start, where the office allows it."""
    passphrase = memory.recall()
    if not passphrase:
        return None
    try:
        return open_workspace(db_path, passphrase)
    except RegistryError:
        return None  # changed passphrase or locked database: ask as usual, with the message


def _start_duties(window: MainWindow) -> None:
    window.start_backups()
    window.settle_interrupted_exports()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="registry-app", description="婚姻收养登记系统")
    parser.add_argument("--db", type=Path, default=None, help="数据库文件")
    parser.add_argument("--demo", action="store_true", help="试用演示：临时演示数据库，关闭后删除")
    parser.add_argument("--date", type=dt.date.fromisoformat, default=None, help="演示中的业务日期 YYYY-MM-DD")
    args, _qt_args = parser.parse_known_args(argv)
    if args.date and not args.demo:
        parser.error("--date 只用于 --demo（演示数据库是培训数据库）")
    app = make_application(sys.argv[:1])
    smoke.install(app)  # REGISTRY_SMOKE_EXIT: a build's start-up check (ui/smoke.py)
    sweep_stale_demos()  # what a crashed demo left
    # Between the login window and the main window no window is open; the session ends the program.
    app.setQuitOnLastWindowClosed(False)
    # Defects go to a rotating log file in the data directory, scrubbed of personal data; an exception
    # escaping a slot is shown with its reference number (none of its text shown or written).
    # Installed here, not in make_application: tests keep pytest-qt's own hook.
    configure_log_file(data_dir() / "logs")
    install_excepthook()
    if args.demo:
        return run_demo(app, args.date)
    db_path = args.db or default_db_path()
    if not database_exists(db_path):
        wizard = SetupWizard(db_path)
        result = wizard.exec()
        if result == SetupWizard.DEMO:
            return run_demo(app)
        if result != QDialog.DialogCode.Accepted:
            return 1
        ctx = wizard.context
    else:
        memory = UnlockMemory(db_path)
        ctx = _unlock_from_keyring(db_path, memory)
        typed = None
        if ctx is None:
            unlock = UnlockDialog(db_path)
            if unlock.exec() != QDialog.DialogCode.Accepted:
                return 1
            ctx, typed = unlock.context, unlock.passphrase.text()
            unlock.passphrase.setText("")
        memory.settle(office_settings(ctx).keyring_unlock, typed)
    sweep_stale_temp_files(ctx)  # what a killed writer left (we hold the database's lock now)
    session = ClientSession(ctx, db_path=db_path, start_duties=_start_duties)
    session.window_opened.connect(lambda window: install_excepthook(window.state.prompter))
    session.window_closed.connect(install_excepthook)  # errors then show over no window, not a deleted one
    session.sign_in()
    code = app.exec()
    ctx.db.close()
    return code


if __name__ == "__main__":
    sys.exit(main())
