"""颁证仪式 driven like a clerk: record a group wedding with a registered couple, add another, refuse a
record that is not a registered marriage, print the list and keepsakes."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QApplication
from pypdf import PdfReader

from registry_app.services.marriage import MarriageCase, MarriageService
from tests.factories import jpeg_photo, marriage_case, person
from ui.main_window import AppState, MainWindow
from ui.prompts import RecordingPrompter
from ui.workflows.ceremonies_page import CeremoniesPage, parse_record_ids

D = dt.date


def registered(ctx, man: str, woman: str) -> int:
    c = MarriageCase.from_dict(marriage_case(person(man, "M", D(1995, 3, 8)), person(woman, "F", D(1997, 11, 20))))
    c.photo = jpeg_photo()
    return MarriageService(ctx).register_case(c).record_id


@pytest.fixture
def window(qtbot, clerk_ctx):
    prompter = RecordingPrompter()
    win = MainWindow(AppState(ctx=clerk_ctx, prompter=prompter))
    win.resize(1366, 768)
    win.show()
    win.show_page("ceremonies")
    yield win, prompter
    win.idle_timer.stop()
    win.close()
    win.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def click(qtbot, button) -> None:
    assert button.isEnabled() and button.isVisible(), button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_record_a_group_wedding_and_print(qtbot, window, clerk_ctx, tmp_path):
    win, prompter = window
    first, second = registered(clerk_ctx, "张伟", "李娜"), registered(clerk_ctx, "陈刚", "周丽")
    page = win.page("ceremonies")
    assert isinstance(page, CeremoniesPage)
    opened = []
    page.open_pdf = lambda pdf, title: opened.append((pdf, title))

    page.kind.setCurrentIndex(page.kind.findData("group_wedding"))
    page.day.setText("2026-08-19")
    page.place.setText("市民中心婚礼堂")   # Chinese comes through the input method, not key clicks
    page.officiant.setText("刘主任")
    qtbot.keyClicks(page.records, str(first))
    click(qtbot, page.add_button)
    assert not prompter.shown, prompter.shown
    assert page.model.rowCount() == 1 and page.selected().record_ids == [first]

    qtbot.keyClicks(page.couple, str(first))           # twice: refused, nothing added
    click(qtbot, page.add_couple_button)
    assert "CEREMONY_COUPLE_TWICE" in prompter.shown[-1][2]
    page.couple.clear()
    qtbot.keyClicks(page.couple, str(second))
    click(qtbot, page.add_couple_button)
    assert page.selected().record_ids == [first, second]

    win.grab().save(str(tmp_path / "ceremonies.png"))
    click(qtbot, page.print_button)
    [(pdf, title)] = opened
    assert title == "集体婚礼名单 2026-08-19" and len(PdfReader(io.BytesIO(pdf)).pages) == 3


def test_an_unregistered_record_is_refused_by_name(qtbot, window, clerk_ctx):
    win, prompter = window
    page = win.page("ceremonies")
    page.place.setText("颁证厅")
    page.officiant.setText("刘主任")
    qtbot.keyClicks(page.records, "999999, abc")
    click(qtbot, page.add_button)
    assert "RECORD_NOT_FOUND" in prompter.shown[-1][2] and "RECORD_ID_INVALID" in prompter.shown[-1][2]
    assert page.model.rowCount() == 0 and page.place.text() == "颁证厅"   # nothing lost, nothing stored


def test_parse_record_ids():
    assert parse_record_ids(" 12, 15，3、7 ") == [12, 15, 3, 7]
    assert parse_record_ids("12 x") == [12, "x"]
    assert parse_record_ids("") == []
