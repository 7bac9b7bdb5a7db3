"""The unlock, login, first-login password and lock windows, driven by the keyboard as a clerk would:
the cursor starts in the first empty field, Enter submits (also after Tab has moved to another button),
an empty field is refused at the field, and nothing quits without asking 「退出程序？」."""
from __future__ import annotations

import re

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QPushButton

from registry_app.services.accounts import Accounts
from registry_app.services.context import AppContext
from tests.conftest import PASSPHRASE, PASSWORDS
from ui import login as login_module
from ui.login import ChangePasswordDialog, LockDialog, LoginDialog, UnlockDialog
from ui.prompts import RecordingPrompter

FIRST_LOGIN = "Initial-pass-1"


def _show(qtbot, dialog):
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def _new_clerk(request, prompter):
    admin_ctx = request.getfixturevalue("admin_ctx")
    Accounts(admin_ctx).add("newclerk", "钱新", "clerk", FIRST_LOGIN)
    ctx = AppContext(db=admin_ctx.db, clock=admin_ctx.clock)
    return ChangePasswordDialog(ctx, Accounts(ctx).login("newclerk", FIRST_LOGIN), prompter=prompter)


def _unlock(request, prompter):
    request.getfixturevalue("db").close()  # the unlock window opens the file itself, with its exclusive lock
    return UnlockDialog(request.getfixturevalue("db_path"), request.getfixturevalue("clock"),
                        prompter=prompter)


def _login(request, prompter):
    db, clock = request.getfixturevalue("db"), request.getfixturevalue("clock")
    return LoginDialog(AppContext(db=db, clock=clock), prompter=prompter)


def _lock(request, prompter):
    ctx = request.getfixturevalue("clerk_ctx")
    return LockDialog(ctx, ctx.user, prompter=prompter)


# name: (make the dialog, what the clerk types field by field, has the dialog done its work?)
CASES = {
    "unlock": (_unlock, [PASSPHRASE], lambda d: d.context is not None),
    "login": (_login, ["clerk", PASSWORDS["clerk"]], lambda d: d.user is not None),
    "change_password": (_new_clerk, [FIRST_LOGIN, "Fresh-pass-777", "Fresh-pass-777"],
                        lambda d: not d.user.must_change_password),
    "lock": (_lock, [PASSWORDS["clerk"]], lambda d: d.result() == QDialog.DialogCode.Accepted),
}


@pytest.fixture
def make(request):
    def build(name: str, prompter=None):
        return CASES[name][0](request, prompter or RecordingPrompter(answer=False))
    return build


def _fill(qtbot, dialog, values):
    """Type each value and press Tab to the next field, as a clerk does; the last field keeps the cursor."""
    editable = [f for f in dialog.fields if not f.edit.isReadOnly()]
    for n, (field, value) in enumerate(zip(editable, values)):
        assert dialog.focusWidget() is field.edit, f"the cursor is not in {field.objectName()}"
        qtbot.keyClicks(field.edit, value)
        if n < len(values) - 1:
            qtbot.keyClick(field.edit, Qt.Key.Key_Tab)


def _close(dialog):
    context = getattr(dialog, "context", None)
    if context is not None:
        context.db.close()


@pytest.mark.parametrize("name", list(CASES))
def test_cursor_starts_in_the_first_field_and_enter_submits(qtbot, make, name):
    dialog = _show(qtbot, make(name))
    _fill(qtbot, dialog, CASES[name][1])
    qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Return)
    assert CASES[name][2](dialog)
    _close(dialog)


@pytest.mark.parametrize("name", list(CASES))
def test_enter_submits_after_tab_has_reached_every_other_button(qtbot, make, name):
    prompter = RecordingPrompter(answer=True)  # were 退出程序 pressed, the quit would be confirmed
    dialog = _show(qtbot, make(name, prompter))
    _fill(qtbot, dialog, CASES[name][1])
    others = [b for b in dialog.buttons.buttons() if b is not dialog.submit_button]
    assert others and all(not b.autoDefault() and not b.isDefault() for b in others)
    assert dialog.submit_button.isDefault()
    for _ in range(len(dialog.fields) + len(dialog.buttons.buttons())):  # Tab round to the last button
        if dialog.focusWidget() is others[-1]:
            break
        qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Tab)
    assert isinstance(dialog.focusWidget(), QPushButton) and dialog.focusWidget() is others[-1]
    qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Return)
    assert CASES[name][2](dialog) and prompter.shown == []
    _close(dialog)


def test_an_empty_passphrase_is_refused_at_the_field_and_never_reaches_the_database(qtbot, make, monkeypatch):
    opened = []
    monkeypatch.setattr(login_module, "open_workspace", lambda *a, **k: opened.append(a))
    dialog = _show(qtbot, make("unlock"))
    qtbot.keyClick(dialog.passphrase.edit, Qt.Key.Key_Return)
    assert opened == [] and dialog.isVisible()
    assert dialog.passphrase.error.isVisible() and dialog.passphrase.error.text() == "请输入数据库口令"
    qtbot.keyClicks(dialog.passphrase.edit, "x")  # typing clears it
    assert not dialog.passphrase.error.isVisible()


def test_a_wrong_passphrase_is_told_in_chinese(qtbot, make):
    dialog = _show(qtbot, make("unlock"))
    qtbot.keyClicks(dialog.passphrase.edit, "not the passphrase")
    qtbot.keyClick(dialog.passphrase.edit, Qt.Key.Key_Return)
    text = dialog.message.text()
    assert dialog.context is None and "数据库口令错误" in text
    assert not re.search(r"[a-z]{3,}", text)  # no English sentence from SQLCipher; the code is upper case
    assert dialog.passphrase.edit.selectedText() == "not the passphrase"  # retyping replaces it


@pytest.mark.parametrize("name, fields", [
    ("login", {"username": "请输入用户名", "password": "请输入密码"}),
    ("change_password", {"old_password": "请输入原密码", "new_password": "请输入新密码",
                         "repeat_password": "请再次输入新密码"}),
    ("lock", {"password": "请输入密码"}),
])
def test_each_empty_field_is_refused_at_the_field(qtbot, make, name, fields):
    dialog = _show(qtbot, make(name))
    for field_name, message in fields.items():
        field = dialog.findChild(type(dialog.fields[0]), field_name)
        qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Return)
        assert field.error.isVisible() and field.error.text() == message
        assert dialog.focusWidget() is field.edit and dialog.isVisible()
        qtbot.keyClicks(field.edit, "Filled-in-1")


def test_a_wrong_old_password_is_shown_at_its_field(qtbot, make):
    dialog = _show(qtbot, make("change_password"))
    _fill(qtbot, dialog, ["Not-the-old-1", "Fresh-pass-777", "Fresh-pass-777"])
    qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Return)
    assert dialog.old.error.text() == "原密码错误" and dialog.message.text() == ""
    assert dialog.user.must_change_password


@pytest.mark.parametrize("name", ["unlock", "login"])
def test_cancelling_asks_before_quitting(qtbot, make, name):
    prompter = RecordingPrompter(answer=False)
    dialog = _show(qtbot, make(name, prompter))
    qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Escape)
    assert prompter.shown == [("confirm", "退出程序", "退出程序？")] and dialog.isVisible()
    quit_button = next(b for b in dialog.buttons.buttons() if b.text() == "退出程序")
    prompter.answer = True
    qtbot.mouseClick(quit_button, Qt.MouseButton.LeftButton)
    assert len(prompter.shown) == 2 and not dialog.isVisible()
    assert dialog.result() == QDialog.DialogCode.Rejected


def test_cancelling_the_password_change_goes_back_without_quitting(qtbot, make):
    prompter = RecordingPrompter(answer=True)
    dialog = _show(qtbot, make("change_password", prompter))
    qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Escape)
    assert dialog.result() == QDialog.DialogCode.Rejected and prompter.shown == []  # the session shows the login


def test_the_lock_screen_has_no_cancel(qtbot, make):
    prompter = RecordingPrompter(answer=False)
    dialog = _show(qtbot, make("lock", prompter))
    assert sorted(b.text() for b in dialog.buttons.buttons()) == sorted(["解锁", "切换用户", "退出程序"])
    assert dialog.username.text() == "clerk" and dialog.username.edit.isReadOnly()
    assert "李登记" in dialog.intro.text()
    qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Escape)
    dialog.close()
    assert dialog.isVisible() and prompter.shown == []
    qtbot.mouseClick(next(b for b in dialog.buttons.buttons() if b.text() == "退出程序"), Qt.MouseButton.LeftButton)
    assert prompter.shown == [("confirm", "退出程序", "退出程序？")] and dialog.isVisible()
    qtbot.keyClicks(dialog.password.edit, "Wrong-pass-1")
    qtbot.keyClick(dialog.password.edit, Qt.Key.Key_Return)
    assert "用户名或密码错误" in dialog.message.text() and dialog.isVisible()
    qtbot.mouseClick(dialog.switch_button, Qt.MouseButton.LeftButton)
    assert dialog.result() == LockDialog.SWITCH_USER and not dialog.isVisible()


def test_cancelling_the_setup_wizard_asks_before_quitting(qtbot, tmp_path, clock):
    from ui.setup_wizard import SetupWizard

    prompter = RecordingPrompter(answer=False)
    wizard = SetupWizard(tmp_path / "new.db", clock, prompter=prompter)
    qtbot.addWidget(wizard)
    wizard.show()
    qtbot.keyClick(wizard, Qt.Key.Key_Escape)
    assert wizard.isVisible() and prompter.shown == [("confirm", "退出程序", "首次设置尚未完成，退出程序？")]
    prompter.answer = True
    wizard.reject()
    assert not wizard.isVisible() and not (tmp_path / "new.db").exists()
