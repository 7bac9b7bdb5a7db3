"""预约 driven like staff: a supervisor plans a peak day (adds it, opens slots on it); a clerk books a couple
into a slot, the couple arrives and takes a ticket; a full slot says so."""
from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QApplication

from tests.ui.conftest import type_into
from ui.main_window import AppState, MainWindow
from ui.prompts import RecordingPrompter
from ui.workflows.appointments_page import AppointmentsPage


def _page(qtbot, ctx):
    win = MainWindow(AppState(ctx=ctx, prompter=RecordingPrompter()))
    win.resize(1366, 768)
    win.show()
    win.show_page("appointments")
    p = win.page("appointments")
    assert isinstance(p, AppointmentsPage)
    return win, p


def _close(win):
    win.idle_timer.stop()
    win.close()
    win.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@pytest.fixture
def supervisor_page(qtbot, supervisor_ctx):
    win, p = _page(qtbot, supervisor_ctx)
    yield p
    _close(win)


@pytest.fixture
def clerk_page(qtbot, clerk_ctx):
    win, p = _page(qtbot, clerk_ctx)
    yield p
    _close(win)


def click(qtbot, button) -> None:
    assert button.isEnabled() and button.isVisible(), button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_planning_a_peak_day(qtbot, supervisor_page):
    page = supervisor_page
    page.tabs.setCurrentIndex(1)
    names = [row[2] for row in page.peaks_model.rows]
    assert names == ["七夕（农历七月初七）", "2月14日（情人节）", "5月20日"]       # from 15 Jun 2026, a year on
    assert page.peaks_model.rows[0][0] == "2026-08-19" and page.peaks_model.rows[0][4] == "无往年数据"
    qtbot.keyClicks(page.peak_day.edit, "2026-10-01")
    type_into(qtbot, page.peak_name, "国庆节")
    click(qtbot, page.add_peak_button)
    assert [row[2] for row in page.peaks_model.rows][1] == "国庆节"

    page.peaks_view.selectRow(0)                     # 七夕: plan its slots
    click(qtbot, page.plan_button)
    assert page.tabs.currentIndex() == 0 and page.day.date() == dt.date(2026, 8, 19)
    assert "高峰日：七夕" in page.peak_note.text()
    page.slot_quota.setValue(30)
    click(qtbot, page.open_button)
    page.slot_counter.setText("2号窗口")
    click(qtbot, page.open_button)
    assert [r[1:3] for r in page.slots_model.rows] == [("1号窗口", "30"), ("2号窗口", "30")]


def test_booking_a_slot_and_arrival(qtbot, clerk_page, supervisor_ctx):
    from registry_app.services.appointments import Appointments

    Appointments(supervisor_ctx).open_slot(dt.date(2026, 6, 15), "1号窗口", "14:00", "15:00", 1)
    page = clerk_page
    assert not page.open_box.isVisible()              # a clerk books, the supervisor opens slots
    click(qtbot, page.show_button)
    assert page.slots_model.rows == [("14:00–15:00", "1号窗口", "1", "0", "1")]
    type_into(qtbot, page.book_names, "张伟、李娜")
    qtbot.keyClicks(page.book_phone, "13800138000")
    click(qtbot, page.book_button)
    assert page.bookings_model.rows == [("14:00", "1号窗口", "结婚登记", "张伟、李娜", "13800138000", "已预约")]
    assert page.slots_model.rows[0][4] == "0"

    type_into(qtbot, page.book_names, "赵六")
    click(qtbot, page.book_button)
    kind, title, text = page.state.prompter.shown[-1]
    assert (kind, title) == ("warn", "预约") and "APPOINTMENT_SLOT_FULL" in text
    assert len(page.bookings_model.rows) == 1

    page.bookings_view.selectRow(0)
    click(qtbot, page.arrive_button)
    assert page.bookings_model.rows[0][5] == "已到场" and "A001" in page.arrived_note.text()
