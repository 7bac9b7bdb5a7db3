"""系统管理 driven through real widgets; permissions stay in the services."""
from __future__ import annotations

import json

import pytest

from registry_app.errors import PermissionDenied, Refused
from registry_app.services.accounts import Accounts
from registry_app.services.office_admin import OfficeAdmin
from tests.ui.conftest import type_into
from ui.main_window import AppState
from ui.prompts import RecordingPrompter
from ui.workflows.admin_page import AdminPage


def make_page(qtbot, ctx, tmp_path=None, answers=None):
    answers = list(answers or [])
    page = AdminPage(AppState(ctx=ctx, prompter=RecordingPrompter()),
                     choose_file=lambda *_: str(tmp_path / "2027.json") if tmp_path else "",
                     ask_text=lambda *_: answers.pop(0) if answers else None)
    qtbot.addWidget(page)
    page.on_shown()
    return page


def test_admin_adds_disables_and_resets_a_user(qtbot, admin_ctx):
    page = make_page(qtbot, admin_ctx, answers=["调岗", "Reset-pass-123"])
    model = page.users_model
    qtbot.keyClicks(page.new_username, "zhou")
    type_into(qtbot, page.new_name, "周登记")
    qtbot.keyClicks(page.new_password, "Fresh-desk-88")
    page.add_user()
    assert "zhou" in [u.username for u in model.users]
    row = [u.username for u in model.users].index("zhou")
    page.users_view.selectRow(row)
    page.set_disabled(True)
    assert next(u for u in model.users if u.username == "zhou").disabled
    page.users_view.selectRow([u.username for u in model.users].index("zhou"))
    page.reset_password()
    assert "重置" in page.message.text()


def test_bad_password_is_shown_not_stored(qtbot, admin_ctx):
    page = make_page(qtbot, admin_ctx)
    qtbot.keyClicks(page.new_username, "wu")
    type_into(qtbot, page.new_name, "吴")
    qtbot.keyClicks(page.new_password, "short")
    page.add_user()
    assert "密码" in page.message.text()
    assert "wu" not in [u.username for u in page.users_model.users]


def test_users_model_passes_the_model_tester(qtbot, qtmodeltester, admin_ctx):
    page = make_page(qtbot, admin_ctx)
    qtmodeltester.check(page.users_model)


def test_settings_saved_and_validated(qtbot, admin_ctx):
    page = make_page(qtbot, admin_ctx)
    page.s_idle.setValue(5)
    page.save_settings()
    assert OfficeAdmin(admin_ctx).settings().idle_lock_minutes == 5
    with pytest.raises(Refused) as err:
        OfficeAdmin(admin_ctx).update({"idle_lock_minutes": 0, "office_code": "110101"})
    assert {i.code for i in err.value.issues} == {"SETTING_OUT_OF_RANGE", "SETTING_NOT_EDITABLE"}


def test_calendar_import_through_the_page(qtbot, admin_ctx, tmp_path):
    schedule = {"format": "registry-holiday-schedule", "version": 1, "year": 2027, "source": "测试用安排",
                "holidays": [{"date": "2027-01-01", "name": "元旦"}], "workdays": []}
    (tmp_path / "2027.json").write_text(json.dumps(schedule, ensure_ascii=False), encoding="utf-8")
    page = make_page(qtbot, admin_ctx, tmp_path)
    page.import_calendar()
    assert "2027年" in page.years_label.text()


def test_audit_check_button(qtbot, admin_ctx):
    page = make_page(qtbot, admin_ctx)
    page.verify_audit()
    assert "审计链完整" in page.audit_result.text()


def test_clerk_sees_no_admin_tools_and_services_refuse(qtbot, clerk_ctx):
    page = make_page(qtbot, clerk_ctx)
    assert not hasattr(page, "users_model")
    with pytest.raises(PermissionDenied):
        OfficeAdmin(clerk_ctx).update({"idle_lock_minutes": 30})
    with pytest.raises(PermissionDenied):
        Accounts(clerk_ctx).list()


def test_database_check_from_the_page_shows_each_check_and_finds_a_changed_record(qtbot, admin_ctx, clerk_ctx,
                                                                                     db, db_path):
    import sqlcipher3
    from PySide6.QtCore import Qt

    from registry_app.services.marriage import MarriageCase, MarriageService
    from tests.conftest import PASSPHRASE
    from tests.factories import marriage_case

    MarriageService(clerk_ctx).register_case(MarriageCase.from_dict(marriage_case()))
    page = make_page(qtbot, admin_ctx)
    health = page.health
    qtbot.mouseClick(health.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: health.op is None and health.report is not None, timeout=30_000)
    labels = [health.table.item(r, 0).text() for r in range(health.table.rowCount())]
    assert "记录内容与审计摘要" in labels and "证书字号连续无重复" in labels
    assert "全部检查通过" in health.summary.text()

    db.engine.dispose()
    conn = sqlcipher3.connect(str(db_path))  # an insider with the passphrase and a SQLite shell
    conn.execute(f"PRAGMA key = '{PASSPHRASE}'")
    conn.execute("UPDATE parties SET name = '张三' WHERE position = 1")
    conn.commit()
    conn.close()
    health.report = None
    health.run_check()
    qtbot.waitUntil(lambda: health.op is None and health.report is not None, timeout=30_000)
    row = labels.index("记录内容与审计摘要")
    assert health.table.item(row, 1).text() == "未通过"
    assert "被直接改动" in health.table.item(row, 3).text()
    assert "未通过" in health.summary.text()
