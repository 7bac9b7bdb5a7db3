"""The session around the main window: sign-in, the lock screen, 切换用户 (menu and shortcut), the
window maximised and titled once, the idle-lock time applied at once, the keyring setting."""
from __future__ import annotations

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QPushButton
from sqlalchemy import select

from registry_app.services.accounts import Accounts
from registry_app.services.context import AppContext
from registry_app.services.unlock_memory import UnlockMemory
from registry_app.services.workspace import office_settings
from registry_app.storage.models import AuditEntry
from tests.conftest import OFFICE_NAME, PASSWORDS
from tests.fake_keyring import memory_keyring  # noqa: F401 — fixture
from ui.login import ChangePasswordDialog, LockDialog, LoginDialog
from ui.prompts import RecordingPrompter
from ui.session import ClientSession


@pytest.fixture
def session(qtbot, db, db_path, clock):
    quits: list[int] = []
    s = ClientSession(AppContext(db=db, clock=clock), prompter=RecordingPrompter(answer=True),
                      window_prompter=RecordingPrompter, on_quit=lambda: quits.append(1), db_path=db_path)
    s.quits = quits
    yield s
    if s.dialog is not None:
        s.dialog.hide()
        s.dialog.deleteLater()
    s._close_window()


def log_in(qtbot, session, username: str, password: str | None = None) -> None:
    dialog = session.dialog
    assert isinstance(dialog, LoginDialog)
    qtbot.waitExposed(dialog)
    qtbot.keyClicks(dialog.username.edit, username)
    qtbot.keyClick(dialog.username.edit, Qt.Key.Key_Tab)
    qtbot.keyClicks(dialog.password.edit, password or PASSWORDS.get(username, PASSWORDS["clerk"]))
    qtbot.keyClick(dialog.password.edit, Qt.Key.Key_Return)


def first_field(window) -> QLineEdit:
    return window.page("marriage").findChildren(QLineEdit)[0]


def test_login_opens_one_maximised_window_titled_by_the_office(qtbot, session):
    session.sign_in()
    log_in(qtbot, session, "clerk")
    window = session.window
    assert window is not None and session.dialog is None and window.isVisible()
    assert window.windowState() & Qt.WindowState.WindowMaximized
    assert window.windowTitle() == OFFICE_NAME  # Qt adds the application's name once, itself
    assert "李登记" in window.status_user.text()
    # a status-bar warning longer than the line ends in … and the whole text is the tooltip
    narrowest = window.minimumSizeHint().width()
    warning = "下一年度节假日安排尚未导入，" * 40
    window.calendar_warning.setText(warning)
    window.calendar_warning.setVisible(True)
    qtbot.waitUntil(lambda: window.calendar_warning.shown_text().endswith("…"))
    assert window.calendar_warning.toolTip() == warning and window.calendar_warning.text() == warning
    assert window.minimumSizeHint().width() == narrowest  # the warning never widens the window


def test_cancelling_the_first_login_password_change_returns_to_the_login_window(qtbot, session, admin_ctx):
    Accounts(admin_ctx).add("newclerk", "钱新", "clerk", "Initial-pass-1")
    session.sign_in()
    log_in(qtbot, session, "newclerk", "Initial-pass-1")
    change = session.dialog
    assert isinstance(change, ChangePasswordDialog)
    qtbot.waitExposed(change)
    qtbot.keyClick(change.focusWidget(), Qt.Key.Key_Escape)
    assert isinstance(session.dialog, LoginDialog) and "密码未修改" in session.dialog.message.text()
    assert session.window is None and session.quits == [] and session.prompter.shown == []


def test_cancelling_the_login_asks_before_quitting(qtbot, session):
    session.prompter.answer = False
    session.sign_in()
    dialog = session.dialog
    qtbot.waitExposed(dialog)
    qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Escape)
    assert session.dialog is dialog and dialog.isVisible() and session.quits == []
    session.prompter.answer = True
    qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Escape)
    assert session.quits == [1]
    assert [s[2] for s in session.prompter.shown] == ["退出程序？", "退出程序？"]


def test_switch_user_from_the_menu_discards_the_page_after_a_warning(qtbot, session, db):
    session.sign_in()
    log_in(qtbot, session, "clerk")
    first = session.window
    qtbot.keyClicks(first_field(first), "half-typed")
    action = next(a for a in first.account_menu.actions() if a.text().startswith("切换用户"))
    assert action.shortcut().toString() == "Ctrl+Shift+L"
    session.prompter.answer = False  # the clerk thinks again: nothing changes
    action.trigger()
    assert session.window is first and first.isVisible() and session.dialog is None
    assert first_field(first).text() == "half-typed"
    session.prompter.answer = True
    action.trigger()
    kind, title, text = session.prompter.shown[-1]
    assert (kind, title) == ("confirm", "切换用户") and "李登记" in text and "未保存的输入将被清除" in text
    assert isinstance(session.dialog, LoginDialog) and not first.isVisible() and session.ctx.user is None
    qtbot.waitUntil(lambda: not shiboken6.isValid(first))  # the previous user's window is gone
    log_in(qtbot, session, "supervisor")  # the database was never closed: no passphrase asked
    second = session.window
    assert session.ctx.user.username == "supervisor" and "张主任" in second.status_user.text()
    assert first_field(second).text() == ""
    with db.read() as s:
        entries = s.execute(select(AuditEntry).where(AuditEntry.action.in_(["login", "logout"]))
                            .order_by(AuditEntry.id)).scalars()
        actions = [(e.action, e.username) for e in entries]
    assert actions[-3:] == [("login", "clerk"), ("logout", "clerk"), ("login", "supervisor")]


def test_the_lock_screen_keeps_the_page_for_the_same_user_and_hands_over_with_a_warning(qtbot, session):
    session.sign_in()
    log_in(qtbot, session, "clerk")
    window = session.window
    qtbot.keyClicks(first_field(window), "half-typed")
    lock_action = next(a for a in window.account_menu.actions() if a.text() == "锁定屏幕")
    assert lock_action.shortcut().toString() == "Ctrl+L"
    lock_action.trigger()
    lock = session.dialog
    assert isinstance(lock, LockDialog) and not window.isVisible()
    window.lock_requested.emit()  # the idle timer firing again while locked opens no second lock screen
    assert session.dialog is lock
    qtbot.waitExposed(lock)
    qtbot.keyClick(lock.focusWidget(), Qt.Key.Key_Escape)
    assert lock.isVisible() and session.quits == []
    qtbot.keyClicks(lock.password.edit, PASSWORDS["clerk"])
    qtbot.keyClick(lock.password.edit, Qt.Key.Key_Return)
    assert session.dialog is None and session.window is window and window.isVisible()
    assert first_field(window).text() == "half-typed"  # the same user finds the page as they left it
    # someone else at the counter: 切换用户 on the lock screen, declined once, then confirmed
    window.lock_requested.emit()
    session.prompter.answer = False
    qtbot.mouseClick(session.dialog.switch_button, Qt.MouseButton.LeftButton)
    assert isinstance(session.dialog, LockDialog) and session.window is window  # still locked
    session.prompter.answer = True
    qtbot.mouseClick(session.dialog.switch_button, Qt.MouseButton.LeftButton)
    assert isinstance(session.dialog, LoginDialog) and session.window is None
    log_in(qtbot, session, "clerk2")
    assert session.ctx.user.username == "clerk2" and first_field(session.window).text() == ""
    assert session.quits == []


def test_a_changed_idle_lock_time_and_keyring_setting_apply_at_once(qtbot, session, db_path,
                                                                     memory_keyring):  # noqa: F811
    memory = UnlockMemory(db_path)
    memory.remember("kept on this machine start")
    session.sign_in()
    log_in(qtbot, session, "admin")
    window = session.window
    page = window.page("admin")
    assert window.idle_limit_s == 600
    page.s_idle.setValue(1)
    page.s_keyring.setChecked(False)
    save = next(b for b in page.findChildren(QPushButton) if b.text() == "保存设置")
    qtbot.mouseClick(save, Qt.MouseButton.LeftButton)
    assert page.message.text() == "设置已保存"
    assert window.idle_limit_s == 60  # no restart
    assert memory.recall() is None and memory_keyring.entries == {}  # turned off: forgotten at once
    window.idle.last_input -= 61
    with qtbot.waitSignal(window.lock_requested, timeout=2000):
        window._check_idle()
    assert isinstance(session.dialog, LockDialog)
    page.s_keyring.setChecked(True)
    page.save_settings()
    assert office_settings(session.ctx).keyring_unlock is True


def test_the_client_opens_with_the_passphrase_kept_on_this_machine_start(db, db_path, memory_keyring):  # noqa: F811
    from tests.conftest import PASSPHRASE
    from ui.app import _unlock_from_keyring

    db.close()
    memory = UnlockMemory(db_path, start=lambda: "boot:today")
    assert _unlock_from_keyring(db_path, memory) is None  # nothing kept: the unlock window asks
    memory.remember("an old passphrase")
    assert _unlock_from_keyring(db_path, memory) is None  # a changed passphrase: asked, not an error
    memory.remember(PASSPHRASE)
    ctx = _unlock_from_keyring(db_path, memory)
    assert ctx is not None
    ctx.db.close()
    assert _unlock_from_keyring(db_path, UnlockMemory(db_path, start=lambda: "boot:tomorrow")) is None
