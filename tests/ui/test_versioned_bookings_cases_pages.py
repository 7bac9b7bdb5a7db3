"""预约 and 日终上报's work list with two counters on one database: the page at counter 1 lists a booking
(a work item); counter 2 changes it; counter 1's 到场/取消 (标记已处理) from the list it showed is refused —
RECORD_CHANGED through the presenter, what the clerk typed still there, nothing issued — and the clerk
chooses to re-read the list, after which the row shows what counter 2 did."""
from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QApplication
from sqlalchemy import func, select

from registry_app.services.appointments import Appointments
from registry_app.storage.models import QueueTicket, WorkCase
from registry_app.sync.service import SyncService
from tests.two_counters import counters  # noqa: F401  (fixture)
from tests.ui.conftest import type_into
from ui.main_window import AppState, MainWindow
from ui.prompts import RecordingPrompter

DAY = dt.date(2026, 6, 15)


@pytest.fixture
def window_at(qtbot):
    opened = []

    def open_at(ctx, page_name: str, answer: bool = True):
        win = MainWindow(AppState(ctx=ctx, prompter=RecordingPrompter(answer)))
        win.resize(1366, 768)
        win.show()
        win.show_page(page_name)
        opened.append(win)
        return win.page(page_name)

    yield open_at
    for win in opened:
        win.idle_timer.stop()
        win.close()
        win.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def click(qtbot, button) -> None:
    assert button.isEnabled() and button.isVisible(), button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def _warnings(page) -> list[tuple[str, str]]:
    return [(title, text) for kind, title, text in page.state.prompter.shown if kind == "warn"]


def _tickets(ctx) -> int:
    with ctx.db.read() as s:
        return s.execute(select(func.count()).select_from(QueueTicket)).scalar()


def test_arrival_at_counter_one_after_counter_two_cancelled(qtbot, counters, window_at):
    slot = Appointments(counters.supervisor_a).open_slot(DAY, "1号窗口", "14:00", "15:00", 5)
    booking = Appointments(counters.a).book(slot.id, "marriage", "张伟、李娜", "13800138000")
    page = window_at(counters.a, "appointments")
    assert page.bookings_model.rows == [("14:00", "1号窗口", "结婚登记", "张伟、李娜", "13800138000", "已预约")]
    page.bookings_view.selectRow(0)
    type_into(qtbot, page.book_names, "王五、赵六")          # the clerk is also keying in the next couple
    Appointments(counters.b).cancel(booking.id, "来电取消", version=booking.version)   # counter 2

    click(qtbot, page.arrive_button)
    title, text = _warnings(page)[-1]
    assert title == "到场取号" and "RECORD_CHANGED" in text and "赵登记" in text
    assert _tickets(counters.a) == 0 and page.arrived_note.text() == ""
    assert page.book_names.text() == "王五、赵六"              # typed input kept
    assert page.state.prompter.shown[-1][0] == "confirm"       # offered a re-read; answered yes
    assert page.bookings_model.rows[0][5] == "预约已取消"
    assert page.bookings_view.selectionModel().selectedRows()[0].row() == 0   # still the same booking


def test_cancelling_from_an_old_list_keeps_the_reason_typed(qtbot, counters, window_at):
    slot = Appointments(counters.supervisor_a).open_slot(DAY, "1号窗口", "14:00", "15:00", 5)
    booking = Appointments(counters.a).book(slot.id, "marriage", "张伟、李娜")
    page = window_at(counters.a, "appointments", answer=True)
    page.bookings_view.selectRow(0)
    Appointments(counters.b).arrive(booking.id, version=booking.version)   # the couple came to counter 2
    type_into(qtbot, page.cancel_reason, "双方要求改期")

    click(qtbot, page.cancel_button)
    title, text = _warnings(page)[-1]
    assert title == "取消预约" and "RECORD_CHANGED" in text and "赵登记" in text
    assert page.cancel_reason.text() == "双方要求改期"
    assert page.bookings_model.rows[0][5] == "已到场"
    assert _tickets(counters.a) == 1                            # counter 2's, and only that one


def test_a_work_item_resolved_at_the_other_desk(qtbot, counters, window_at):
    with counters.a.db.write() as s:
        case = WorkCase(kind="sync_conflict", code="C001", message="省级记录显示一方已婚",
                        opened_at=counters.clock.now(), resolution="")
        s.add(case)
        s.flush()
        case_id = case.id
    page = window_at(counters.supervisor_a, "sync", answer=False)
    assert [c.id for c in page.cases] == [case_id]
    SyncService(counters.supervisor_b).resolve_case(case_id, "已电话核实", version=1)   # the other desk
    type_into(qtbot, page.case_note, "已核实：外省离婚登记未上报")
    page.cases_table.selectRow(0)

    click(qtbot, page.resolve_button)
    text = _warnings(page)[-1][1]
    assert "RECORD_CHANGED" in text and "张主任" in text
    assert page.last_error.code == "RECORD_CHANGED" and "张主任" in page.message.text()
    assert page.case_note.text() == "已核实：外省离婚登记未上报"   # typed note kept
    assert page.cases_table.rowCount() == 1                    # declined the re-read: the list as it was
    with counters.a.db.read() as s:
        assert s.get(WorkCase, case_id).resolution == "已电话核实"

    page.state.prompter.answer = True                          # the second time, re-read
    click(qtbot, page.resolve_button)
    assert page.state.prompter.shown[-1][0] == "confirm"
    assert page.cases_table.rowCount() == 0 and page.case_note.text() == "已核实：外省离婚登记未上报"
