"""Everything on every page is reachable on a small counter screen (1366×768, 1280×800): each button,
brought into view the way focus brings it (the scroll areas around it scroll), lies inside the window and
inside every view around it. A field that takes focus is scrolled to with its group box title whole."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QApplication,
    QFormLayout,
    QGroupBox,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ui.main_window import AppState, MainWindow
from ui.prompts import RecordingPrompter
from ui.widgets.input_guard import install_input_guard, reveal

SCREENS = [(1366, 768), (1280, 800)]
TASKBAR_AND_TITLE = 70   # a maximised window on such a screen is this much shorter than the screen


def shown_rect(widget: QWidget) -> QRect:
    """The part of `widget` a person can see, in window coordinates (clipped by every view around it)."""
    window = widget.window()
    rect = QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())
    w = widget.parentWidget()
    while w is not None and w is not window:
        if isinstance(w, QAbstractScrollArea):
            view = w.viewport()
            rect = rect.intersected(QRect(view.mapTo(window, QPoint(0, 0)), view.size()))
        w = w.parentWidget()
    return rect.intersected(window.rect())


def buttons(page: QWidget) -> list[QPushButton]:
    return [b for b in page.findChildren(QPushButton) if b.isVisibleTo(page) and b.width() > 0]


@pytest.mark.parametrize("who, size", [("clerk", SCREENS[0]), ("clerk", SCREENS[1]), ("supervisor", SCREENS[0]),
                                       ("admin", SCREENS[1])], ids=lambda v: v if isinstance(v, str) else "x".join(map(str, v)))
def test_every_button_of_every_page_can_be_brought_into_view(qtbot, ctx_for, size, who):
    install_input_guard()
    window = MainWindow(AppState(ctx=ctx_for(who), prompter=RecordingPrompter()))
    qtbot.addWidget(window)
    window.resize(size[0], size[1] - TASKBAR_AND_TITLE)  # what a maximised window gets
    window.show()
    qtbot.waitExposed(window)
    unreachable = []
    height = size[1] - TASKBAR_AND_TITLE
    for row, key in enumerate(window.pages):
        window.nav.setCurrentRow(row)
        page = window.pages[key]
        QApplication.processEvents()
        # no page may need a taller window than the screen has (its bottom would be off-screen)
        if window.minimumSizeHint().height() > height or window.height() > height:
            unreachable.append(f"{key}: needs a window {window.minimumSizeHint().height()} px tall")
        found = buttons(page)
        assert found or key not in ("marriage", "divorce", "adoption"), key
        for button in found:
            if not button.isVisible():
                continue   # on a tab not shown: reached by choosing the tab
            reveal(button)
            QApplication.processEvents()
            seen = shown_rect(button)
            if seen.height() < button.height() - 1 or seen.width() < min(button.width(), 40):
                unreachable.append(f"{key}: {button.text()} {seen.getRect()} of {button.size().toTuple()}")
    assert unreachable == []


def test_focus_shows_the_whole_group_box_with_its_title(qtbot):
    install_input_guard()
    window = QWidget()
    scroll = QScrollArea(window)
    scroll.setWidgetResizable(True)
    body = QWidget()
    column = QVBoxLayout(body)
    boxes = []
    for title in ("男方", "女方"):
        box = QGroupBox(title)
        form = QFormLayout(box)
        for label in ("姓名", "证件号码", "出生日期", "民族", "住址"):
            form.addRow(label, QLineEdit())
        column.addWidget(box)
        boxes.append(box)
    column.addSpacing(800)
    scroll.setWidget(body)
    QVBoxLayout(window).addWidget(scroll)
    window.resize(500, 400)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    first = boxes[1].findChildren(QLineEdit)[0]
    # the view left where a cancelled case had scrolled it: the box title half above the top edge
    scroll.verticalScrollBar().setValue(boxes[1].y() + 8)
    window.activateWindow()
    first.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(first.hasFocus)
    top = boxes[1].mapTo(scroll.viewport(), QPoint(0, 0)).y()
    assert top >= 0 and top + boxes[1].height() <= scroll.viewport().height()
