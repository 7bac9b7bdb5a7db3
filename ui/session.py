"""Who works at this counter: sign-in, the idle lock, 切换用户, and the one main window.

The database stays open for the whole run; only the person changes. The lock screen is for the same
person: they unlock with their password and find their page exactly as they left it (a clerk called
away mid-case must not lose the form). Anyone else presses 切换用户 there or in the 账户 menu: after a
warning that the unsaved input on screen is discarded, the user is logged out (audited), the main window
is closed and the login window asks who comes next; the new user gets a fresh window built for their
role, with nothing of the previous user's input on it.

Nothing here quits without asking: cancelling the login asks 「退出程序？」, cancelling the first-login
password change goes back to the login window, and the lock screen has no 取消.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication, QDialog

from registry_app.services.accounts import Accounts
from registry_app.services.context import AppContext
from registry_app.services.unlock_memory import UnlockMemory
from registry_app.services.workspace import office_settings
from ui.login import ChangePasswordDialog, LockDialog, LoginDialog
from ui.main_window import AppState, MainWindow
from ui.prompts import Prompter

SWITCH_WARNING = "切换用户将退出{name}的登录，当前页面上未保存的输入将被清除。继续？"


class ClientSession(QObject):
    """Drives the windows after the database is open. `prompter` asks the session's own questions (and
    the dialogs' 「退出程序？」); `window_prompter` makes the prompter of each new main window;
    `on_quit` ends the program; `start_duties` starts a new window's backups and export check."""

    window_opened = Signal(object)  # the MainWindow just shown
    window_closed = Signal()  # it is gone (switch user, quit): nothing may still point at it
    ended = Signal()

    def __init__(self, ctx: AppContext, *, prompter: Prompter | None = None,
                 window_prompter: Callable[[], Prompter] | None = None, on_quit: Callable[[], None] | None = None,
                 start_duties: Callable[[MainWindow], None] | None = None, db_path: Path | None = None,
                 maximised: bool = True):
        super().__init__()
        self.ctx = ctx
        self.prompter = prompter or Prompter(None)
        self.window_prompter = window_prompter or (lambda: Prompter(None))
        self._quit = on_quit or QApplication.quit
        self.start_duties = start_duties
        self.db_path = db_path
        self.maximised = maximised
        self.window: MainWindow | None = None
        self.dialog: QDialog | None = None  # the login, password or lock window now showing

    # --- signing in -----------------------------------------------------------------------------
    def sign_in(self, notice: str = "") -> None:
        self._show(LoginDialog(self.ctx, prompter=self.prompter, notice=notice), self._logged_in)

    def _logged_in(self, dialog: LoginDialog, result: int) -> None:
        if result != QDialog.DialogCode.Accepted:
            self.quit()  # the dialog asked 「退出程序？」 first
            return
        if dialog.user.must_change_password:
            change = ChangePasswordDialog(self.ctx, dialog.user, prompter=self.prompter)
            self._show(change, self._password_changed)
            return
        self._open_window(dialog.user)

    def _password_changed(self, dialog: ChangePasswordDialog, result: int) -> None:
        if result != QDialog.DialogCode.Accepted:
            self.sign_in(notice=dialog.tr("密码未修改。首次登录须先设置自己的密码，请重新登录。"))
            return
        self._open_window(dialog.user)

    def _open_window(self, user) -> None:
        self.ctx.user = user
        prompter = self.window_prompter()
        window = MainWindow(AppState(ctx=self.ctx, prompter=prompter))
        if prompter.parent is None:
            prompter.parent = window
        window.ask_before_close = True
        window.lock_requested.connect(self.lock)
        window.switch_user_requested.connect(self.switch_user)
        window.quit_requested.connect(self.quit)
        window.state.signals.settings_changed.connect(self._settings_changed)
        self.window = window
        if self.maximised:
            window.showMaximized()
        else:
            window.show()
        if self.start_duties is not None:
            self.start_duties(window)
        self.window_opened.emit(window)

    # --- lock and switch ------------------------------------------------------------------------
    def lock(self) -> None:
        if self.window is None or self.dialog is not None or self.ctx.user is None:
            return  # already locked, or signing in
        self.window.hide()
        self._show(LockDialog(self.ctx, self.ctx.user, prompter=self.prompter), self._unlocked)

    def _unlocked(self, dialog: LockDialog, result: int) -> None:
        if result == QDialog.DialogCode.Accepted:
            self.ctx.user = dialog.user
            self.window.show()
        elif result == LockDialog.SWITCH_USER:
            if not self._confirm_switch():
                self._show(LockDialog(self.ctx, self.ctx.user, prompter=self.prompter), self._unlocked)
                return
            self._end_user()
            self.sign_in()
        else:
            self.quit()

    def switch_user(self) -> None:
        """From the 账户 menu (Ctrl+Shift+L)."""
        if self.window is None or self.dialog is not None:
            return
        if not self._confirm_switch():
            return
        self._end_user()
        self.sign_in()

    def _confirm_switch(self) -> bool:
        user = self.ctx.user
        return self.prompter.confirm("切换用户", SWITCH_WARNING.format(name=user.display_name if user else ""))

    def _end_user(self) -> None:
        user = self.ctx.user
        if user is not None:
            Accounts(self.ctx).logout(user)
        self.ctx.user = None
        self._close_window()

    def _close_window(self) -> None:
        window, self.window = self.window, None
        if window is None:
            return
        window.ask_before_close = False
        for signal in (window.lock_requested, window.switch_user_requested, window.quit_requested):
            signal.disconnect()
        window.idle_timer.stop()
        window.hourly.stop()
        window.backup_timer.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(window.idle)
        window.hide()
        window.deleteLater()
        self.window_closed.emit()

    def _settings_changed(self) -> None:
        # The administrator turned the once-per-machine-start unlock off: forget the kept passphrase now.
        if self.db_path is not None and not office_settings(self.ctx).keyring_unlock:
            UnlockMemory(self.db_path).forget()

    # --- plumbing -------------------------------------------------------------------------------
    def _show(self, dialog: QDialog, then: Callable[[QDialog, int], None]) -> None:
        self.dialog = dialog

        def finished(result: int) -> None:
            self.dialog = None
            dialog.deleteLater()
            then(dialog, result)

        dialog.finished.connect(finished)
        dialog.show()  # a new top-level window comes up in front by itself
        dialog.activateWindow()

    def quit(self) -> None:
        self._close_window()
        self.ended.emit()
        self._quit()
