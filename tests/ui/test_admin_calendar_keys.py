"""系统管理 driven through real widgets: the holiday notice pasted, checked and imported (the status-bar
warning for next year clearing at once), the province key imported after its fingerprint is shown, the
office key exported and rotated, and Enter adding a user."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from PySide6.QtCore import Qt
from sqlalchemy import select

from registry_app.clock import FixedClock
from registry_app.services.accounts import Accounts
from registry_app.services.calendar import HolidaySchedules
from registry_app.services.context import AppContext
from registry_app.services.office_keys import KeyManagement
from registry_app.storage.models import AuditEntry, CalendarYear
from registry_app.sync.keys import load_public_key_file, province_keygen
from tests.conftest import PASSWORDS
from tests.ui.conftest import type_into
from ui.main_window import AppState, MainWindow
from ui.prompts import RecordingPrompter
from ui.workflows.admin_page import AdminPage

NOTICES = Path(__file__).resolve().parents[1] / "unit" / "notices"
# Not the published 2027 notice: a made-up year in the published form, for a year the package lacks.
NOTICE_2027 = """国务院办公厅关于2027年部分节假日安排的通知
国办发明电〔2026〕9号
　　一、元旦：1月1日（周五）至3日（周日）放假，共3天。
　　二、春节：2月6日（周六）至12日（周五）放假调休，共7天。2月13日（周六）上班。
"""


def admin_on(db, day: dt.date) -> AppContext:
    ctx = AppContext(db=db, clock=FixedClock(day))
    ctx.user = Accounts(ctx).login("admin", PASSWORDS["admin"])
    return ctx


def open_admin(qtbot, ctx, answer=True, files=None, folder=None, in_window=False):
    prompter = RecordingPrompter(answer)
    state = AppState(ctx=ctx, prompter=prompter)
    if in_window:
        window = MainWindow(state)
        qtbot.addWidget(window)
        window.resize(1366, 768)
        window.show()
        window.show_page("admin")
        page = window.page("admin")
    else:
        window = page = AdminPage(state)
        qtbot.addWidget(page)
        page.on_shown()
    assert isinstance(page, AdminPage)
    files = list(files or [])
    page.choose_file = lambda *_: str(files.pop(0)) if files else ""
    page.choose_dir = lambda *_: str(folder) if folder else ""
    return window, page, prompter


def click(qtbot, button) -> None:
    assert button.isEnabled(), button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def rows(table) -> list[list[str]]:
    return [[table.item(r, c).text() for c in range(table.columnCount())] for r in range(table.rowCount())]


def audited(db, action: str) -> list[dict]:
    with db.read() as s:
        return [e.detail for e in s.execute(select(AuditEntry).where(AuditEntry.action == action)).scalars()]


# --- the holiday notice ----------------------------------------------------------------------------------


def test_paste_a_notice_check_the_days_import_and_the_warning_is_gone(qtbot, db):
    window, page, _ = open_admin(qtbot, admin_on(db, dt.date(2026, 11, 2)), in_window=True)
    tab = page.calendar_tab
    page.tabs.setCurrentWidget(tab)
    assert "未载入2027年" in window.calendar_warning.text() and not window.calendar_warning.isHidden()
    assert "未载入2027年" in tab.warning.text()
    assert not tab.import_button.isEnabled()

    tab.notice_box.setFocus()
    tab.notice_box.insertPlainText(NOTICE_2027)  # what a paste does
    click(qtbot, tab.parse_button)
    table = rows(tab.days_table)
    assert len(table) == 11
    assert table[0] == ["2027-01-01", "星期五", "放假", "元旦"]
    assert table[-1] == ["2027-02-13", "星期六", "上班", "春节"]
    assert "放假10天，调休上班1天" in tab.summary.text() and "国办发明电〔2026〕9号" in tab.summary.text()

    click(qtbot, tab.import_button)
    assert "已导入2027年节假日安排" in tab.message.text()
    assert window.calendar_warning.text() == "" and window.calendar_warning.isHidden()
    assert tab.warning.isHidden() and "2027年（国务院办公厅关于2027年" in tab.years_label.text()
    assert [d["form"] for d in audited(db, "calendar.imported")] == ["notice"]
    assert not tab.import_button.isEnabled()  # imported once: pasting again starts over


def test_a_wrong_weekday_is_shown_with_its_line_and_nothing_can_be_imported(qtbot, db, admin_ctx):
    _, page, _ = open_admin(qtbot, admin_ctx)
    tab = page.calendar_tab
    tab.notice_box.setPlainText(NOTICE_2027.replace("2月13日（周六）", "2月13日（周日）"))
    click(qtbot, tab.parse_button)
    assert "第4行" in tab.message.text() and "实为星期六" in tab.message.text()
    assert tab.days_table.rowCount() == 0 and not tab.import_button.isEnabled()
    assert tab.notice_box.textCursor().selectedText().startswith("　　二、春节：2月6日")  # the line to fix


def test_changing_the_text_after_parsing_needs_a_new_parse(qtbot, db, admin_ctx):
    _, page, _ = open_admin(qtbot, admin_ctx)
    tab = page.calendar_tab
    tab.notice_box.setPlainText(NOTICE_2027)
    click(qtbot, tab.parse_button)
    assert tab.import_button.isEnabled()
    qtbot.keyClicks(tab.notice_box, "x")
    assert not tab.import_button.isEnabled() and "重新解析" in tab.summary.text()
    tab.import_notice()  # even called directly: nothing the clerk did not see is stored
    with db.read() as s:
        assert s.execute(select(CalendarYear)).first() is None


def test_replacing_a_loaded_year_asks_first(qtbot, db, admin_ctx):
    _, page, prompter = open_admin(qtbot, admin_ctx, answer=False)
    tab = page.calendar_tab
    tab.notice_box.setPlainText((NOTICES / "notice-2026.txt").read_text(encoding="utf-8"))
    click(qtbot, tab.parse_button)
    click(qtbot, tab.import_button)
    [(kind, _title, text)] = prompter.shown
    assert kind == "confirm" and "2026年已有节假日安排" in text
    assert audited(db, "calendar.imported") == []
    prompter.answer = True
    click(qtbot, tab.import_button)
    assert audited(db, "calendar.imported")[0]["source"].endswith("（国办发明电〔2025〕7号）")


def test_a_notice_file_is_shown_for_checking_and_a_json_file_imports(qtbot, db, admin_ctx, tmp_path):
    notice = tmp_path / "2027.txt"
    notice.write_text(NOTICE_2027, encoding="gb18030")
    schedule = tmp_path / "2028.json"
    schedule.write_text(json.dumps({"format": "registry-holiday-schedule", "version": 1, "year": 2028,
                                    "source": "测试用安排", "holidays": [{"date": "2028-01-01", "name": "元旦"}]},
                                   ensure_ascii=False), encoding="utf-8")
    _, page, _ = open_admin(qtbot, admin_ctx, files=[notice, schedule])
    tab = page.calendar_tab
    click(qtbot, tab.file_button)
    assert tab.days_table.rowCount() == 11 and audited(db, "calendar.imported") == []
    click(qtbot, tab.file_button)
    assert [d["form"] for d in audited(db, "calendar.imported")] == ["file"]
    assert "2028年" in tab.years_label.text()


# --- keys --------------------------------------------------------------------------------------------------


def test_the_province_key_is_imported_from_the_administration_page_after_its_fingerprint(qtbot, db, admin_ctx,
                                                                                        tmp_path):
    paths = province_keygen(tmp_path / "province")
    _, page, prompter = open_admin(qtbot, admin_ctx, answer=False, files=[paths.public, paths.public])
    tab = page.keys_tab
    page.tabs.setCurrentWidget(tab)
    assert "尚未导入省级公钥" in tab.province_status.text()
    click(qtbot, tab.province_button)  # the administrator says the fingerprint does not match
    key = load_public_key_file(paths.public)
    fingerprint = KeyManagement(admin_ctx).inspect_key_file(paths.public).fingerprint
    [(kind, _title, text)] = prompter.shown
    assert kind == "confirm" and key.key_id in text and fingerprint in text and "省级（32）" in text
    assert audited(db, "sync.province_key_set") == [] and "未导入" in tab.message.text()

    prompter.answer = True
    click(qtbot, tab.province_button)
    assert audited(db, "sync.province_key_set") == [{"owner": "province:32", "new": True}]
    assert ["省级（32）", key.key_id, "在用"] in [r[:3] for r in rows(tab.table)]
    assert "已导入省级公钥" in tab.message.text() and tab.province_status.isHidden()


def test_an_office_key_file_is_not_taken_for_the_province_key(qtbot, db, admin_ctx, tmp_path):
    _, page, prompter = open_admin(qtbot, admin_ctx, folder=tmp_path)
    tab = page.keys_tab
    office_pub = tab.export_office_key()
    page.choose_file = lambda *_: office_pub
    click(qtbot, tab.province_button)
    assert "不是省级公钥" in tab.message.text() and prompter.shown == []


def test_the_office_key_is_exported_and_rotated_from_the_page(qtbot, db, admin_ctx, tmp_path):
    _, page, prompter = open_admin(qtbot, admin_ctx, folder=tmp_path)
    tab = page.keys_tab
    page.tabs.setCurrentWidget(tab)
    [old] = [r for r in rows(tab.table) if r[0].startswith("本处")]
    click(qtbot, tab.export_button)
    [first] = list(tmp_path.glob("office-320102-*.pub"))
    assert load_public_key_file(first).key_id == old[1] and "已导出本处公钥" in tab.message.text()

    click(qtbot, tab.rotate_button)  # confirmed, then the new public key exported at once
    assert [p[0] for p in prompter.shown] == ["confirm", "confirm"]
    office = [r for r in rows(tab.table) if r[0].startswith("本处")]
    assert [r[2] for r in office] == ["在用", "已停用（仍用于核验）"] and office[1][1] == old[1]
    assert len(list(tmp_path.glob("office-320102-*.pub"))) == 2
    assert audited(db, "sync.office_key_rotated")[0]["replaces"] == old[1]
    assert audited(db, "sync.office_key_exported")[-1]["file"] == f"office-320102-{office[0][1]}.pub"


def test_rotation_declined_changes_nothing(qtbot, db, admin_ctx):
    _, page, _ = open_admin(qtbot, admin_ctx, answer=False)
    tab = page.keys_tab
    before = rows(tab.table)
    click(qtbot, tab.rotate_button)
    assert rows(tab.table) == before and audited(db, "sync.office_key_rotated") == []


# --- users ---------------------------------------------------------------------------------------------------


def test_enter_adds_the_user(qtbot, db, admin_ctx):
    _, page, _ = open_admin(qtbot, admin_ctx)
    qtbot.keyClicks(page.new_username, "zhou")
    type_into(qtbot, page.new_name, "周登记")
    qtbot.keyClicks(page.new_password, "Fresh-desk-88")
    qtbot.keyClick(page.new_password, Qt.Key.Key_Return)
    assert "zhou" in [u.username for u in page.users_model.users]
    assert page.new_username.text() == "" and "已添加用户" in page.message.text()
    assert HolidaySchedules(admin_ctx).years()  # the page stays usable


# --- the audit trail against the province's acknowledgements ---------------------------------------------


def test_the_audit_trail_is_checked_against_the_acknowledgements_in_a_folder(qtbot, db, admin_ctx, clerk_ctx,
                                                                               tmp_path):
    from registry_app.storage.models import AuditEntry as Entry
    from registry_app.sync.keys import KeyRing, ProvinceKeyPair
    from registry_app.sync.province import build_ack, open_batch
    from registry_app.sync.service import SyncService

    paths = province_keygen(tmp_path / "province")
    SyncService(admin_ctx).set_province_key(paths.public)
    province = ProvinceKeyPair.from_private_file_bytes(paths.private.read_bytes())
    batch = SyncService(clerk_ctx).export(dt.date(2026, 6, 15), tmp_path / "out")
    opened = open_batch(Path(batch.path).read_bytes(), [province],
                        KeyRing.of([load_public_key_file(batch.public_key_path)]))
    acks = tmp_path / "acks"
    acks.mkdir()
    (acks / "ack.json").write_bytes(build_ack(opened, province_key=province, created_at="2026-06-16T08:00:00+08:00"))
    _, page, _ = open_admin(qtbot, admin_ctx, folder=acks)
    click(qtbot, page.anchored_button)
    qtbot.waitUntil(lambda: page.anchored_op is None, timeout=30_000)
    assert "与 1 个回执锚点一致" in page.audit_result.text()

    with db.write() as s:  # an entry the province's anchor covers, edited in place
        s.get(Entry, 3).reason = "改过"
    click(qtbot, page.anchored_button)
    qtbot.waitUntil(lambda: page.anchored_op is None, timeout=30_000)
    assert "不符" in page.audit_result.text() and "AUDIT_CHAIN_BROKEN" in page.audit_result.text()
