"""The setup wizard, unlock, login and the main window, driven through real widgets."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWizard

from registry_app.services.accounts import Accounts
from registry_app.services.context import AppContext
from registry_app.services.workspace import office_settings
from tests.conftest import PASSPHRASE, PASSWORDS
from ui.login import ChangePasswordDialog, LoginDialog, UnlockDialog
from ui.main_window import AppState, MainWindow
from ui.prompts import RecordingPrompter
from ui.setup_wizard import SetupWizard
from tests.ui.conftest import type_into


def test_setup_wizard_creates_the_office(qtbot, tmp_path, clock):
    path = tmp_path / "new.db"
    wizard = SetupWizard(path, clock)
    qtbot.addWidget(wizard)
    wizard.show()
    nxt = wizard.button(QWizard.WizardButton.NextButton)
    type_into(qtbot, wizard.office.name.edit, "南京市玄武区民政局婚姻登记处")
    qtbot.keyClicks(wizard.office.code.edit, "3201")
    assert not wizard.office.isComplete()
    assert "6位" in wizard.office.code.error.text()
    qtbot.keyClicks(wizard.office.code.edit, "02")
    assert wizard.office.isComplete() and wizard.office.code.error.isHidden()
    qtbot.mouseClick(nxt, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(wizard.secret.passphrase.edit, "short")
    assert not wizard.secret.isComplete()
    wizard.secret.passphrase.setText(PASSPHRASE)
    qtbot.keyClicks(wizard.secret.repeat.edit, PASSPHRASE)
    assert wizard.secret.isComplete()
    qtbot.mouseClick(nxt, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(wizard.admin.username.edit, "admin")
    type_into(qtbot, wizard.admin.display.edit, "王管理")
    qtbot.keyClicks(wizard.admin.password.edit, "admin12345x")
    assert "用户名" in wizard.admin.password.error.text()  # contains the user name
    wizard.admin.password.setText(PASSWORDS["admin"])
    qtbot.keyClicks(wizard.admin.repeat.edit, PASSWORDS["admin"])
    assert wizard.admin.isComplete()
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.FinishButton), Qt.MouseButton.LeftButton)
    assert wizard.context is not None
    settings = office_settings(wizard.context)
    assert settings.office_code == "320102" and settings.office_name.startswith("南京")
    assert Accounts(wizard.context).login("admin", PASSWORDS["admin"]).role.value == "admin"
    wizard.context.db.close()


def test_unlock_refuses_wrong_passphrase_then_opens(qtbot, db, db_path, clock):
    db.close()
    dialog = UnlockDialog(db_path, clock)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.passphrase.edit, "wrong passphrase!")
    qtbot.keyClick(dialog.passphrase.edit, Qt.Key.Key_Return)
    assert dialog.context is None and "口令" in dialog.message.text()
    dialog.passphrase.setText(PASSPHRASE)
    qtbot.keyClick(dialog.passphrase.edit, Qt.Key.Key_Return)
    assert dialog.context is not None
    dialog.context.db.close()


def test_login_then_forced_password_change(qtbot, admin_ctx, db, clock):
    Accounts(admin_ctx).add("newclerk", "钱新", "clerk", "Initial-pass-1")
    ctx = AppContext(db=db, clock=clock)
    login = LoginDialog(ctx)
    qtbot.addWidget(login)
    login.show()
    qtbot.keyClicks(login.username.edit, "newclerk")
    qtbot.keyClicks(login.password.edit, "bad-password-0")
    qtbot.keyClick(login.password.edit, Qt.Key.Key_Return)
    assert login.user is None and "错误" in login.message.text()
    qtbot.keyClicks(login.password.edit, "Initial-pass-1")
    qtbot.keyClick(login.password.edit, Qt.Key.Key_Return)
    assert login.user is not None and login.user.must_change_password
    change = ChangePasswordDialog(ctx, login.user)
    qtbot.addWidget(change)
    qtbot.keyClicks(change.old.edit, "Initial-pass-1")
    qtbot.keyClicks(change.new.edit, "Fresh-pass-777")
    qtbot.keyClicks(change.repeat.edit, "Fresh-pass-777")
    change.submit()
    assert not change.user.must_change_password
    assert Accounts(ctx).login("newclerk", "Fresh-pass-777").username == "newclerk"


def test_main_window_shows_every_section_in_chinese(qtbot, clerk_ctx):
    window = MainWindow(AppState(ctx=clerk_ctx, prompter=RecordingPrompter()))
    qtbot.addWidget(window)
    labels = [window.nav.item(i).text() for i in range(window.nav.count())]
    for label in ("结婚登记", "离婚登记", "收养登记", "档案查询", "证书打印", "日终上报", "统计报表", "系统管理"):
        assert label in labels
    assert "李登记" in window.status_user.text()
    window.show()
    window.activateWindow()
    qtbot.waitActive(window)
    window.nav.setFocus()
    qtbot.keyClick(window.nav, Qt.Key.Key_Down)
    assert window.stack.currentIndex() == 1


def test_idle_lock_fires_after_the_configured_time(qtbot, clerk_ctx):
    window = MainWindow(AppState(ctx=clerk_ctx, prompter=RecordingPrompter()))
    qtbot.addWidget(window)
    window.idle_limit_s = 0.05
    window.idle.last_input -= 1
    with qtbot.waitSignal(window.lock_requested, timeout=2000):
        window._check_idle()


def test_status_bar_warns_when_next_years_holidays_are_missing(qtbot, clerk_ctx, clock):
    import datetime as dt

    window = MainWindow(AppState(ctx=clerk_ctx, prompter=RecordingPrompter()))
    qtbot.addWidget(window)
    assert window.calendar_warning.isHidden()  # 15 June 2026: deadlines stay in 2026
    clock.set(dt.date(2026, 11, 23))
    window.refresh_warnings()
    assert not window.calendar_warning.isHidden() and "2027" in window.calendar_warning.text()


def test_administrator_opens_on_the_administration_page(qtbot, admin_ctx, clerk_ctx):
    admin_window = MainWindow(AppState(ctx=admin_ctx, prompter=RecordingPrompter()))
    qtbot.addWidget(admin_window)
    assert admin_window.stack.currentWidget() is admin_window.page("admin")
    clerk_window = MainWindow(AppState(ctx=clerk_ctx, prompter=RecordingPrompter()))
    qtbot.addWidget(clerk_window)
    assert clerk_window.stack.currentWidget() is clerk_window.page("marriage")


def test_main_window_expires_uncollected_divorces_at_start(qtbot, clerk_ctx, clock):
    import copy
    import datetime as dt
    import json
    from pathlib import Path

    from registry_app.services.divorce import DivorceService
    from registry_app.services.marriage import MarriageCase, MarriageService
    from tests.factories import marriage_case

    case = marriage_case()
    married = MarriageService(clerk_ctx).register_case(MarriageCase.from_dict(case))
    app = json.loads((Path(__file__).resolve().parents[2] / "resources/examples/divorce-case.json").read_text("utf-8"))
    app = copy.deepcopy(app)
    for k in ("party1", "party2"):
        app[k] = {f: case[k][f] for f in ("name", "sex", "birth_date", "id_type", "id_number")}
    app["marriage"] = {"record_id": married.record_id}
    app_id = DivorceService(clerk_ctx).apply(app)["application_id"]
    clock.set(dt.date(2026, 8, 15))  # the day after the collection window closed
    window = MainWindow(AppState(ctx=clerk_ctx, prompter=RecordingPrompter()))
    qtbot.addWidget(window)
    assert DivorceService(clerk_ctx).view(app_id)["status"] == "expired"


def test_main_window_settles_what_a_killed_export_left_and_says_so(qtbot, clerk_ctx, admin_ctx, tmp_path):
    from registry_app.sync.keys import province_keygen
    from registry_app.sync.service import SyncService

    SyncService(admin_ctx).set_province_key(province_keygen(tmp_path / "province").public)
    outbox = tmp_path / "outbox"
    SyncService(clerk_ctx).export(clerk_ctx.clock.today(), outbox)
    stray = outbox / "320102-20260615-000009.rgb"  # a batch file this database never made
    stray.write_bytes(b"RGB1 not ours")
    prompter = RecordingPrompter()
    window = MainWindow(AppState(ctx=clerk_ctx, prompter=prompter))
    qtbot.addWidget(window)
    window.settle_interrupted_exports()
    qtbot.waitUntil(lambda: bool(prompter.shown), timeout=10_000)
    kind, title, text = prompter.shown[0]
    assert (kind, title) == ("inform", "日终上报") and "quarantine" in text
    assert not stray.exists() and (outbox / "quarantine" / stray.name).exists()
