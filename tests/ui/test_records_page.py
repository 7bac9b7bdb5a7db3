"""档案查询 driven through real widgets: search as you type (off the GUI thread), filters and paging,
the record page with its timeline, a correction proposed and approved, the archive import dialog."""
from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, Qt, QThread
from PySide6.QtWidgets import QApplication
from sqlalchemy import func, select

from registry_app.resources import resources_dir
from registry_app.services.marriage import MarriageCase, MarriageService
from registry_app.services.record_history import RecordHistory
from registry_app.storage.models import AuditEntry, Record
from tests.factories import marriage_case, person
from tests.ui.conftest import type_into
from ui.main_window import AppState
from ui.prompts import RecordingPrompter
from ui.workflows import archive_import_dialog
from ui.workflows.records_page import PAGE_SIZE, RecordsPage

D = dt.date


@pytest.fixture
def two_marriages(clerk_ctx) -> list[int]:
    service = MarriageService(clerk_ctx)
    ids = []
    for man, woman in ((("张伟", D(1995, 3, 8)), ("李娜", D(1997, 11, 20))),
                       (("张强", D(1990, 5, 1)), ("王芳", D(1992, 7, 9)))):
        case = marriage_case(person(man[0], "M", man[1]), person(woman[0], "F", woman[1]))
        ids.append(service.register_case(MarriageCase.from_dict(case)).record_id)
    return ids


def make_page(qtbot, ctx, **kw) -> RecordsPage:
    page = RecordsPage(AppState(ctx=ctx, prompter=RecordingPrompter()), **kw)
    qtbot.addWidget(page)
    page.resize(1280, 800)
    page.show()
    page.on_shown()
    return page


def settle(qtbot, page: RecordsPage) -> None:
    qtbot.waitUntil(lambda: not page.searching and page.shown_generation == page.generation, timeout=10_000)


def search(qtbot, page: RecordsPage, text: str) -> None:
    page.search_edit.clear()
    type_into(qtbot, page.search_edit, text)
    settle(qtbot, page)


def names(page: RecordsPage) -> list[str]:
    return [page.model.rows[r][4] for r in range(page.model.rowCount())]


def views(ctx, record_id: int) -> int:
    with ctx.db.read() as s:
        return s.execute(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "record.view", AuditEntry.entity_id == str(record_id))).scalar()


def screenshot(widget, name: str, tmp_path: Path) -> Path:
    out = Path(os.environ.get("REGISTRY_SCREENSHOT_DIR") or tmp_path) / name
    widget.resize(1280, 800)
    QApplication.processEvents()
    assert widget.grab().save(str(out))
    return out


def test_typing_a_name_shows_hits_from_the_background(qtbot, clerk_ctx, two_marriages):
    page = make_page(qtbot, clerk_ctx)
    threads = []
    page.model.modelReset.connect(lambda: threads.append(QThread.currentThread()))
    type_into(qtbot, page.search_edit, "张")
    qtbot.waitUntil(lambda: page.model.rowCount() == 2, timeout=10_000)
    settle(qtbot, page)
    assert sorted(names(page)) == ["张伟、李娜", "张强、王芳"]
    assert all(t is QApplication.instance().thread() for t in threads)  # results arrive on the GUI thread
    assert "按姓名" in page.message.text()
    type_into(qtbot, page.search_edit, "伟")
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=10_000)
    settle(qtbot, page)
    assert names(page) == ["张伟、李娜"]
    row = page.model.rows[0]
    assert row[:2] == ("结婚登记", "已登记") and row[2].startswith("J320102-2026-")
    assert "********" in row[5]  # ID numbers masked in the list


def test_hits_model_passes_the_model_tester(qtbot, qtmodeltester, clerk_ctx, two_marriages):
    page = make_page(qtbot, clerk_ctx)
    search(qtbot, page, "zw")
    assert page.model.rowCount() == 1
    qtmodeltester.check(page.model)


def test_a_newer_query_wins_over_an_older_answer(qtbot, clerk_ctx, two_marriages):
    page = make_page(qtbot, clerk_ctx)
    page.search_edit.setText("张")
    page.run_search()
    page.search_edit.setText("王芳")
    page.run_search()
    settle(qtbot, page)
    assert names(page) == ["张强、王芳"]
    old = page.result
    page._show(page.generation - 1, None)  # a late answer to an older query is dropped
    assert page.result is old and names(page) == ["张强、王芳"]


def test_unrecognised_query_and_filters(qtbot, clerk_ctx, two_marriages):
    page = make_page(qtbot, clerk_ctx)
    search(qtbot, page, "@@")
    assert page.model.rowCount() == 0 and "无法识别" in page.message.text()
    search(qtbot, page, "张")
    page.kind.setCurrentIndex(page.kind.findData("divorce"))
    settle(qtbot, page)
    assert page.model.rowCount() == 0 and "没有找到" in page.message.text()
    page.kind.setCurrentIndex(page.kind.findData("marriage"))
    page.status.setCurrentIndex(page.status.findData("registered"))
    type_into(qtbot, page.date_from.edit, "2026-06-01")
    settle(qtbot, page)
    assert page.model.rowCount() == 2
    page.date_to.edit.setText("2026-06-14")
    settle(qtbot, page)
    assert page.model.rowCount() == 0


def test_enter_opens_the_record_with_its_events_and_audits_the_view(qtbot, clerk_ctx, two_marriages):
    page = make_page(qtbot, clerk_ctx)
    search(qtbot, page, "张伟")
    before = views(clerk_ctx, two_marriages[0])
    qtbot.keyClick(page.view, Qt.Key.Key_Return)
    assert page.stack.currentWidget() is page.detail
    assert views(clerk_ctx, two_marriages[0]) == before + 1
    detail = page.detail
    events = [detail.events_model.rows[r][3] for r in range(detail.events_model.rowCount())]
    assert events[:3] == ["受理结婚登记申请", "审查（声明书签署、监誓）", "结婚登记、发证"]
    assert events[-1] == "查阅档案"
    assert [detail.parties_model.rows[r][1] for r in range(2)] == ["张伟", "李娜"]
    assert detail.certs_model.rows[0][2] == "有效"
    assert detail.sync_model.rows[0][4] == "待上报"
    assert "结婚登记" in detail.heading.text()
    qtbot.keyClick(detail.events_view, Qt.Key.Key_Escape)
    assert page.stack.currentIndex() == 0


def test_double_click_opens_and_detail_models_pass_the_tester(qtbot, qtmodeltester, clerk_ctx, two_marriages):
    page = make_page(qtbot, clerk_ctx)
    search(qtbot, page, "王芳")
    rect = page.view.visualRect(page.model.index(0, 0))
    # a real double click is a click followed by a double-click event
    qtbot.mouseClick(page.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(page.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert page.detail.page.record_id == two_marriages[1]
    for model in (page.detail.events_model, page.detail.parties_model, page.detail.certs_model):
        qtmodeltester.check(model)


def test_correction_proposed_in_the_dialog_and_approved_by_a_supervisor(qtbot, clerk_ctx, supervisor_ctx,
                                                                          two_marriages, tmp_path):
    record_id = two_marriages[0]
    clerk = make_page(qtbot, clerk_ctx)
    assert clerk.open_record(record_id)
    assert not clerk.detail.approve_button.isVisible()
    dialog = clerk.detail.propose_correction()
    dialog.select_path("parties.2.name")
    assert dialog.current.text() == "李娜"
    dialog.new_value.setFocus()
    dialog.new_value.lineEdit().insert("李妍")
    type_into(qtbot, dialog.reason, "原登记录入错误")
    type_into(qtbot, dialog.evidence, "户口簿")
    qtbot.mouseClick(dialog.submit_button, Qt.MouseButton.LeftButton)
    assert dialog.result() == dialog.DialogCode.Accepted
    detail = clerk.detail
    assert detail.corrections_model.rows[0][1:5] == ("待审批", "女方/当事人二·姓名", "李娜", "李妍")
    assert "待审批" in detail.tabs.tabText(4)

    boss = make_page(qtbot, supervisor_ctx, ask_text=lambda *_: "不予更正")
    assert boss.pending_model.rowCount() == 1
    assert boss.open_pending(0)
    assert boss.detail.approve_button.isVisible()
    boss.detail.corrections_view.selectRow(0)
    qtbot.mouseClick(boss.detail.approve_button, Qt.MouseButton.LeftButton)
    assert boss.detail.parties_model.rows[1][1] == "李妍"
    assert boss.detail.corrections_model.rows[0][1:5] == ("已批准", "女方/当事人二·姓名", "李娜", "李妍")
    assert boss.pending_model.rowCount() == 0
    history = RecordHistory(supervisor_ctx).record(record_id)
    assert history.corrections[0].changes[0]["old"] == "李娜"
    assert "批准更正" in [e.action_zh for e in history.events]
    screenshot(boss, "records-corrections.png", tmp_path)
    boss.detail.tabs.setCurrentIndex(0)
    screenshot(boss, "records-detail.png", tmp_path)


def test_a_bad_correction_stays_in_the_dialog_and_a_rejection_needs_a_note(qtbot, clerk_ctx, supervisor_ctx,
                                                                            two_marriages):
    clerk = make_page(qtbot, clerk_ctx)
    clerk.open_record(two_marriages[1])
    dialog = clerk.detail.propose_correction()
    dialog.select_path("parties.1.birth_date")
    dialog.new_value.lineEdit().insert("1990-13-01")
    type_into(qtbot, dialog.reason, "核对")
    dialog.submit()
    assert dialog.isVisible() and "出生日期" in dialog.message.text()
    dialog.new_value.lineEdit().setText("1990-05-02")   # well formed, but not the ID number's birth date
    dialog.submit()
    assert dialog.isVisible() and dialog.message.text()
    dialog.select_path("parties.1.occupation")
    dialog.new_value.lineEdit().setText("教师")
    dialog.submit()
    assert dialog.result() == dialog.DialogCode.Accepted
    boss = make_page(qtbot, supervisor_ctx, ask_text=lambda *_: "与身份证不符")
    boss.open_pending(0)
    boss.detail.reject_selected()
    assert boss.detail.corrections_model.rows[0][1] == "已驳回"


def test_paging_through_back_entered_records(qtbot, clerk_ctx, tmp_path):
    rows = ["record_type,registration_date,party1_name,party1_sex,party2_name,party2_sex,archive_no"]
    rows += [f"marriage,1980-01-{i + 1:02d},欧阳{chr(0x4e00 + i)},男,林{chr(0x4e00 + i)},女,1980-J-{i:04d}" for i in range(PAGE_SIZE + 5)]
    csv = tmp_path / "many.csv"
    csv.write_text("\n".join(rows) + "\n", encoding="utf-8")
    page = make_page(qtbot, clerk_ctx, choose_file=lambda *_: str(csv))
    dialog = page.open_import()
    assert dialog.choose()
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.report is not None and not dialog.running, timeout=20_000)
    assert dialog.report.imported == PAGE_SIZE + 5
    search(qtbot, page, "欧阳")
    assert page.model.rowCount() == PAGE_SIZE and page.next_button.isEnabled()
    assert not page.prev_button.isEnabled() and page.model.rows[0][6] == "历史补录"
    qtbot.mouseClick(page.next_button, Qt.MouseButton.LeftButton)
    settle(qtbot, page)
    assert page.model.rowCount() == 5 and not page.next_button.isEnabled()
    assert "第 2 页" in page.summary.text()
    qtbot.mouseClick(page.prev_button, Qt.MouseButton.LeftButton)
    settle(qtbot, page)
    assert page.model.rowCount() == PAGE_SIZE
    screenshot(page, "records-search.png", tmp_path)
    dialog.close()


def test_archive_import_dialog_with_the_sample_file(qtbot, clerk_ctx, tmp_path):
    sample = tmp_path / "archive-sample.csv"
    shutil.copy(resources_dir() / "examples" / "archive-sample.csv", sample)
    page = make_page(qtbot, clerk_ctx, choose_file=lambda *_: str(sample))
    changed = []
    page.state.signals.records_changed.connect(lambda: changed.append(True))
    dialog = page.open_import()
    assert not dialog.start_button.isEnabled()
    qtbot.mouseClick(dialog.choose_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.report is not None and not dialog.running, timeout=20_000)
    report = dialog.report
    assert (report.total, report.imported, report.refused) == (10, 4, 6)
    assert Path(report.report_path).exists() and report.report_path in dialog.result.text()
    assert "导入 4 件" in dialog.result.text() and "拒收 6 行" in dialog.result.text()
    assert changed
    search(qtbot, page, "王建国")
    assert {page.model.rows[r][0] for r in range(page.model.rowCount())} == {"结婚登记", "离婚登记"}
    shot = screenshot(dialog, "archive-import.png", tmp_path)
    assert shot.exists()
    dialog.close()


def test_archive_import_cancelled_leaves_nothing(qtbot, clerk_ctx, tmp_path, monkeypatch):
    sample = tmp_path / "archive-sample.csv"
    shutil.copy(resources_dir() / "examples" / "archive-sample.csv", sample)
    real_start = archive_import_dialog.start

    def cancel_first(op):  # the clerk presses 取消 before the first chunk is checked
        op.cancel()
        return real_start(op)

    monkeypatch.setattr(archive_import_dialog, "start", cancel_first)
    page = make_page(qtbot, clerk_ctx, choose_file=lambda *_: str(sample))
    dialog = page.open_import()
    dialog.choose()
    dialog.start_import()
    assert dialog.cancel_button.isEnabled() and not dialog.close_button.isEnabled()
    qtbot.waitUntil(lambda: not dialog.running, timeout=20_000)
    assert dialog.cancelled and dialog.report is None and "已取消" in dialog.status.text()
    with clerk_ctx.db.read() as s:
        assert s.execute(select(func.count()).select_from(Record)).scalar() == 0
    dialog.close()


def test_a_refused_file_is_explained(qtbot, clerk_ctx, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("name,date\n张三,1980-01-01\n", encoding="utf-8")
    page = make_page(qtbot, clerk_ctx, choose_file=lambda *_: str(bad))
    dialog = page.open_import()
    dialog.choose()
    dialog.start_import()
    qtbot.waitUntil(lambda: not dialog.running, timeout=20_000)
    assert dialog.report is None and "表头缺少必需的列" in dialog.status.text()
    dialog.close()


def teardown_module(_module):
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
