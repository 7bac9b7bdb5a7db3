"""Two counters on one case, through the pages (both engines): the divorce work list and the marriage page
at counter 1, the case changed at counter 2. The page's step is refused with RECORD_CHANGED through the
presenter (under the page's title, naming 赵登记), everything the clerk typed is still there, nothing was
written, and only the clerk's own 刷新 / 重新读取受理记录 reads the record again — after which the step
goes through."""
from __future__ import annotations

import copy
import os

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from sqlalchemy import func, select

from registry_app.services.corrections import Corrections
from registry_app.services.divorce import DivorceService
from registry_app.services.marriage import MarriageService
from registry_app.services.stock import BlankStock
from registry_app.storage.models import Certificate, Record
from tests.integration.test_versioned_divorce_marriage import QUESTIONED, WINDOW_OPENS, applied
from tests.two_counters import counters  # noqa: F401  (fixture)
from tests.ui.conftest import type_into
from tests.ui.test_marriage_page import fill_valid_case
from ui.main_window import AppState
from ui.prompts import RecordingPrompter
from ui.workflows.divorce_page import DivorcePage
from ui.workflows.marriage_page import ACCEPTED, CORRECT, DONE, REVIEWED, MarriagePage

SHOTS = os.environ.get("REGISTRY_TEST_SHOTS")  # a folder to keep the screenshots in, to look at them


def click(qtbot, button) -> None:
    assert button.isEnabled() and button.isVisible(), (button.text(), button.toolTip())
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def tick(qtbot, box) -> None:
    box.setFocus()
    qtbot.keyClick(box, Qt.Key.Key_Space)


def shown(page) -> tuple[str, str, str]:
    return page.state.prompter.shown[-1]


def told_record_changed(page, who: str = "赵登记") -> None:
    kind, title, text = shown(page)
    assert (kind, title) == ("warn", page.title)
    assert who in text and "RECORD_CHANGED" in text


def certificates(ctx) -> int:
    with ctx.db.read() as s:
        return s.execute(select(func.count()).select_from(Certificate)).scalar()


def status(ctx, rid: int) -> str:
    with ctx.db.read() as s:
        return s.get(Record, rid).status


def _open(qtbot, page):
    qtbot.addWidget(page)
    page.resize(1366, 768)
    page.show()
    return page


# --- the divorce work list -----------------------------------------------------------------------------

@pytest.fixture
def divorce_page(qtbot, counters):
    return _open(qtbot, DivorcePage(AppState(ctx=counters.a, prompter=RecordingPrompter())))


def open_worklist(qtbot, page: DivorcePage, app_id: int):
    page.tabs.setCurrentIndex(1)
    wl = page.worklist
    row = next(r for r, d in enumerate(wl.model.rows()) if d["application_id"] == app_id)
    qtbot.mouseClick(wl.view.viewport(), Qt.MouseButton.LeftButton,
                     pos=wl.view.visualRect(wl.model.index(row, 0)).center())
    assert wl.selected_id() == app_id
    return wl


def fill_issue(qtbot, wl) -> None:
    tick(qtbot, wl.both_present)
    for key, text in QUESTIONED.items():
        wl.questioning[key].setFocus()
        wl.questioning[key].insertPlainText(text)
    tick(qtbot, wl.signed)
    qtbot.keyClicks(wl.serials[0], "L0000001")
    qtbot.keyClicks(wl.serials[1], "L0000002")


def issue_boxes_kept(wl) -> None:
    assert wl.both_present.isChecked() and wl.signed.isChecked()
    assert {k: e.toPlainText() for k, e in wl.questioning.items()} == QUESTIONED
    assert [e.text() for e in wl.serials] == ["L0000001", "L0000002"]


def test_divorce_issue_after_the_other_counter_issued_is_refused_and_the_boxes_stay(qtbot, counters, divorce_page):
    app_id, read_at = applied(counters.a)
    counters.clock.set(WINDOW_OPENS)
    BlankStock(counters.supervisor_a).receive("divorce", "L0000001", "L0000010")
    wl = open_worklist(qtbot, divorce_page, app_id)
    assert wl.selected_row()["version"] == read_at
    fill_issue(qtbot, wl)
    DivorceService(counters.b).issue(app_id, both_present=True, questioning=QUESTIONED, signed=True)  # counter 2
    click(qtbot, wl.issue_button)
    told_record_changed(divorce_page)
    issue_boxes_kept(wl)
    assert "刷新" in wl.message.text() and not wl.certificate_number.isVisible()
    assert certificates(counters.a) == 2     # the marriage's and counter 2's divorce certificate: none of ours
    if SHOTS:
        QApplication.processEvents()
        divorce_page.grab().save(f"{SHOTS}/divorce-record-changed.png")
    click(qtbot, wl.refresh_button)          # read again: the application is no longer open
    assert wl.model.rowCount() == 0
    issue_boxes_kept(wl)


def test_divorce_withdrawal_after_the_other_counter_withdrew_is_refused_and_the_note_stays(qtbot, counters,
                                                                                         divorce_page):
    app_id, _read_at = applied(counters.a)
    wl = open_worklist(qtbot, divorce_page, app_id)
    wl.withdraw_party.setCurrentIndex(1)
    tick(qtbot, wl.slip_lost)
    type_into(qtbot, wl.withdraw_note, "回执单遗失，书面说明撤回")
    DivorceService(counters.b).withdraw(app_id, 1)
    click(qtbot, wl.withdraw_button)
    told_record_changed(divorce_page)
    assert wl.withdraw_party.currentData() == 2 and wl.slip_lost.isChecked()
    assert wl.withdraw_note.text() == "回执单遗失，书面说明撤回"
    assert DivorceService(counters.a).view(app_id)["version"] == _read_at + 1
    assert wl.last_withdrawn is None and not wl.print_withdrawal_button.isEnabled()


def test_divorce_issue_goes_through_once_the_list_is_read_again(qtbot, counters, divorce_page):
    """A correction approved at counter 2 (张主任): refused, 刷新 shows the corrected name and the new
    version, the boxes and the chosen row stay, and 发证 then goes through."""
    app_id, read_at = applied(counters.a)
    counters.clock.set(WINDOW_OPENS)
    BlankStock(counters.supervisor_a).receive("divorce", "L0000001", "L0000010")
    wl = open_worklist(qtbot, divorce_page, app_id)
    fill_issue(qtbot, wl)
    cid = Corrections(counters.b).propose(app_id, [{"path": "parties.2.name", "new": "刘芳芳"}], "笔误")
    Corrections(counters.supervisor_b).approve(cid)
    click(qtbot, wl.issue_button)
    told_record_changed(divorce_page, "张主任")
    click(qtbot, wl.refresh_button)
    assert wl.selected_id() == app_id and wl.selected_row()["version"] == read_at + 1
    assert "刘芳芳" in wl.model.index(0, 1).data()
    issue_boxes_kept(wl)
    click(qtbot, wl.issue_button)
    assert wl.certificate_number.isVisible(), wl.message.text()
    assert DivorceService(counters.a).view(app_id)["status"] == "issued"


# --- the marriage page ---------------------------------------------------------------------------------

@pytest.fixture
def marriage_page(qtbot, counters):
    return _open(qtbot, MarriagePage(AppState(ctx=counters.a, prompter=RecordingPrompter())))


def corrected_at_counter_two(counters, rid: int, name: str) -> None:
    svc = MarriageService(counters.b)
    view = svc.view(rid)                     # counter 2 reads the case, then saves its correction
    with counters.b.db.read() as s:
        fixed = copy.deepcopy(MarriageService._case_of(s.get(Record, rid)))
    fixed.party1.name = name
    svc.correct(rid, fixed, "姓名录错", version=view.version)


def test_marriage_register_after_the_other_counters_correction_is_refused_then_read_again(qtbot, counters,
                                                                                          marriage_page):
    page = marriage_page
    BlankStock(counters.supervisor_a).receive("marriage", "A00000101", "A00000110")
    fill_valid_case(qtbot, page)
    click(qtbot, page.primary)               # 受理
    click(qtbot, page.primary)               # 审查通过
    assert page.step == REVIEWED
    rid = page.record_id
    qtbot.keyClicks(page.blank_serial.edit, "A00000101")
    corrected_at_counter_two(counters, rid, "张巍")
    assert not page.reload_button.isVisible()
    click(qtbot, page.primary)               # 登记, from the older read
    told_record_changed(page)
    assert page.step == REVIEWED and page.blank_serial.text() == "A00000101"
    assert page.party1.name.text() == "张伟"  # the form is not reloaded behind the clerk's back
    assert page.reload_button.isVisible() and "重新读取" in page.panel.text()
    assert status(counters.a, rid) == "accepted" and certificates(counters.a) == 0
    if SHOTS:
        QApplication.processEvents()
        page.grab().save(f"{SHOTS}/marriage-record-changed.png")

    click(qtbot, page.reload_button)         # the clerk asks: the case as it now is (back at 审查)
    assert page.step == ACCEPTED and page.party1.name.text() == "张巍"
    assert page.version == MarriageService(counters.a).view(rid).version
    assert not page.reload_button.isVisible() and page.blank_serial.text() == "A00000101"
    if SHOTS:
        QApplication.processEvents()
        page.grab().save(f"{SHOTS}/marriage-read-again.png")
    tick(qtbot, page.declarations["signed"])
    click(qtbot, page.primary)               # 审查通过, on the corrected facts
    click(qtbot, page.primary)               # 登记
    assert page.step == DONE and page.result.record_id == rid and page.result.blank_serial == "A00000101"


def test_marriage_correction_form_stays_when_the_other_counter_saved_first(qtbot, counters, marriage_page):
    page = marriage_page
    fill_valid_case(qtbot, page)
    click(qtbot, page.primary)               # 受理
    rid = page.record_id
    click(qtbot, page.correct_button)
    page.party1.name.setText("")
    type_into(qtbot, page.party1.name.edit, "张维")
    corrected_at_counter_two(counters, rid, "张巍")
    click(qtbot, page.primary)               # 保存更正, from the older read
    told_record_changed(page)
    assert page.step == CORRECT and page.party1.name.text() == "张维"
    assert MarriageService(counters.a).view(rid).parties[0]["name"] == "张巍"

    page.state.prompter.answer = False       # 重新读取 would replace the typed correction: asked first
    click(qtbot, page.reload_button)
    assert shown(page)[0] == "confirm" and page.step == CORRECT and page.party1.name.text() == "张维"
    page.state.prompter.answer = True
    click(qtbot, page.reload_button)
    assert page.step == ACCEPTED and page.party1.name.text() == "张巍"


def test_marriage_cancelled_at_the_other_counter_reads_back_as_nothing_left_to_do(qtbot, counters,
                                                                                  marriage_page):
    page = marriage_page
    fill_valid_case(qtbot, page)
    click(qtbot, page.primary)               # 受理
    rid = page.record_id
    MarriageService(counters.b).cancel(rid, "当事人放弃")
    type_into(qtbot, page.cancel_reason.edit, "当事人放弃")
    click(qtbot, page.cancel_button)
    told_record_changed(page)
    assert page.record_id == rid and page.cancel_reason.text() == "当事人放弃"
    click(qtbot, page.reload_button)
    assert page.record_id is None and "已取消" in page.panel.text()
