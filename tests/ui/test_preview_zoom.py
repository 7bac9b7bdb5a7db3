"""Document previews: fitted to the width by default so the divorce receipt reads like paper, whole-page
fit, zoom in and out by button, Ctrl+= / Ctrl+- and Ctrl+wheel; the window is titled with what it
shows, never a file name."""
from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from registry_app.certificates.form_pdf import render_form
from registry_app.certificates.forms import divorce_acknowledgement
from registry_app.certificates.views import PartyView
from ui.document_viewer import DocumentDialog, document_title
from ui.pdf_preview import FIT_PAGE, FIT_WIDTH, FIXED, ZOOM_STEP, page_sizes
from ui.workflows.certificates_printing import PrintTarget

D = dt.date


@pytest.fixture(scope="module")
def receipt() -> bytes:
    parties = [PartyView("张伟", "M", "中国", D(1995, 3, 8), "resident_id", "320102199503080019"),
               PartyView("李娜", "F", "中国", D(1997, 11, 20), "resident_id", "320104199711200022")]
    return render_form(divorce_acknowledgement(
        parties, office_name="南京市玄武区民政局婚姻登记处", received_date=D(2026, 6, 15),
        cooling_off_end=D(2026, 7, 15), collection_deadline=D(2026, 8, 14), application_number="4"))


@pytest.fixture
def dialog(qtbot, receipt):
    d = DocumentDialog(receipt, "divorce-slip-4.pdf", PrintTarget())
    qtbot.addWidget(d)
    d.resize(900, 700)   # what a 768-pixel screen leaves for it
    d.show()
    qtbot.waitExposed(d)
    qtbot.waitUntil(lambda: d.preview.page_count() == 1)
    return d


def ctrl_wheel(widget, notches: int) -> None:
    pos = QPointF(widget.rect().center())
    QApplication.sendEvent(widget, QWheelEvent(
        pos, QPointF(widget.mapToGlobal(pos.toPoint())), QPoint(0, 0), QPoint(0, 120 * notches),
        Qt.MouseButton.NoButton, Qt.KeyboardModifier.ControlModifier, Qt.ScrollPhase.NoScrollPhase, False))


def test_the_window_is_titled_with_the_document_not_a_file_name(dialog, receipt):
    assert dialog.windowTitle() == "离婚登记申请受理回执单 — 预览"
    assert document_title(receipt, "结婚登记审查处理表") == "结婚登记审查处理表"   # a name, not a file name
    assert document_title(b"not a pdf", "divorce-refusal.pdf") == "文书"


def test_default_is_fit_to_width_and_the_receipt_is_readable(dialog, receipt):
    preview = dialog.preview
    assert preview.fit == FIT_WIDTH
    view_width = preview.scroll.viewport().width()
    assert view_width * 0.85 <= preview.canvas.width() <= view_width
    # the smallest text of the receipt (table cells) is 10.5 pt: on screen at least 11 pixels high
    width_pt, _height_pt = page_sizes(receipt)[0]
    pixels_per_point = preview.canvas.width() / width_pt
    assert 10.5 * pixels_per_point >= 11
    assert preview.canvas.height() > preview.scroll.viewport().height()  # so the page scrolls


def test_whole_page_and_zoom_steps(qtbot, dialog):
    preview = dialog.preview
    width_fit = preview.canvas.width()
    qtbot.mouseClick(preview.fit_page_button, Qt.MouseButton.LeftButton)
    assert preview.fit == FIT_PAGE
    assert preview.canvas.height() <= preview.scroll.viewport().height()
    assert preview.canvas.width() < width_fit
    qtbot.mouseClick(preview.fit_width_button, Qt.MouseButton.LeftButton)
    assert preview.canvas.width() == width_fit
    before = preview.factor
    qtbot.mouseClick(preview.zoom_in_button, Qt.MouseButton.LeftButton)
    assert preview.fit == FIXED and preview.factor == pytest.approx(before * ZOOM_STEP)
    assert preview.canvas.width() > width_fit
    qtbot.mouseClick(preview.zoom_out_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(preview.zoom_out_button, Qt.MouseButton.LeftButton)
    assert preview.factor == pytest.approx(before / ZOOM_STEP)
    assert preview.zoom_label.text() == f"{preview.percent()}%"


def test_keyboard_and_ctrl_wheel_zoom(qtbot, dialog):
    preview = dialog.preview
    start = preview.factor
    preview.scroll.setFocus()
    qtbot.keyClick(preview.scroll, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    assert preview.factor == pytest.approx(start * ZOOM_STEP)
    qtbot.keyClick(preview.scroll, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    assert preview.factor == pytest.approx(start)
    ctrl_wheel(preview.scroll.viewport(), 1)
    assert preview.factor == pytest.approx(start * ZOOM_STEP)
    ctrl_wheel(preview.scroll.viewport(), -1)
    assert preview.factor == pytest.approx(start)
    qtbot.keyClick(preview.scroll, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert preview.fit == FIT_WIDTH


def test_the_fit_follows_the_window(qtbot, dialog):
    preview = dialog.preview
    narrow = preview.canvas.width()
    dialog.resize(1200, 700)
    qtbot.waitUntil(lambda: preview.canvas.width() > narrow)
