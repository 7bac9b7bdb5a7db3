"""Day-one annoyances of long forms, driven through real widgets: the wheel over an unfocused drop-down
or date field scrolls the page and leaves the value alone; the page follows keyboard focus; Tab leaves a
combo box placed in a table; Qt's own dialogs speak Chinese; a coded error's headline is its Chinese
message."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QDate, QPoint, QPointF, Qt
from PySide6.QtGui import QTextDocument, QWheelEvent
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDateEdit,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTableWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from registry_app.errors import Issue, Refused
from ui.errors import present_error
from ui.prompts import RecordingPrompter
from ui.qt_chinese import install_qt_chinese
from ui.widgets.input_guard import install_input_guard


def wheel(widget: QWidget, steps: int = -3) -> None:
    """One notch of the wheel is 120; negative scrolls down (towards the bottom of the page)."""
    pos = QPointF(widget.rect().center())
    event = QWheelEvent(pos, QPointF(widget.mapToGlobal(pos.toPoint())), QPoint(0, 0), QPoint(0, 120 * steps),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase,
                        False)
    QApplication.sendEvent(widget, event)


class LongForm(QWidget):
    """A form taller than its window: fields spaced out inside a scroll area, like the marriage page."""

    def __init__(self):
        super().__init__()
        self.scroll = QScrollArea(self)
        self.scroll.setWidgetResizable(True)
        body = QWidget()
        column = QVBoxLayout(body)
        self.first = QLineEdit()
        self.combo = QComboBox()
        self.combo.addItems(["未婚", "离婚", "丧偶"])
        self.date = QDateEdit(QDate(1995, 3, 8))
        self.spin = QSpinBox()
        self.spin.setValue(5)
        self.last = QLineEdit()
        column.addWidget(self.first)
        for w in (self.combo, self.date, self.spin):
            column.addSpacing(300)
            column.addWidget(w)
        column.addSpacing(900)
        column.addWidget(self.last)
        self.scroll.setWidget(body)
        QVBoxLayout(self).addWidget(self.scroll)
        self.resize(500, 400)


@pytest.fixture
def form(qtbot):
    install_input_guard()
    form = LongForm()
    qtbot.addWidget(form)
    form.show()
    qtbot.waitExposed(form)
    form.first.setFocus()
    return form


@pytest.mark.parametrize("field", ["combo", "date", "spin"])
def test_the_wheel_over_an_unfocused_field_scrolls_the_page_and_keeps_the_value(form, field):
    widget = getattr(form, field)
    before = (form.combo.currentText(), form.date.date(), form.spin.value())
    bar = form.scroll.verticalScrollBar()
    start = bar.value()
    wheel(widget)
    assert (form.combo.currentText(), form.date.date(), form.spin.value()) == before
    assert bar.value() > start          # the page moved instead
    assert not widget.hasFocus()        # and the wheel did not take focus either
    assert widget.focusPolicy() == Qt.FocusPolicy.StrongFocus


def test_the_wheel_over_a_tab_bar_does_not_switch_tabs(qtbot):
    install_input_guard()
    tabs = QTabWidget()
    for name in ("打印", "空白证书", "打印校准"):
        tabs.addTab(QWidget(), name)
    qtbot.addWidget(tabs)
    tabs.show()
    qtbot.waitExposed(tabs)
    wheel(tabs.tabBar(), steps=-1)
    wheel(tabs.tabBar(), steps=1)
    wheel(tabs.tabBar(), steps=-2)
    assert tabs.currentIndex() == 0


def test_a_focused_field_still_takes_the_wheel(form):
    form.combo.setFocus()
    assert form.combo.hasFocus()
    wheel(form.combo, steps=-1)
    assert form.combo.currentText() == "离婚"


def test_the_page_scrolls_to_the_field_that_receives_keyboard_focus(form, qtbot):
    bar = form.scroll.verticalScrollBar()
    assert bar.value() == 0
    form.last.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(lambda: form.last.hasFocus())
    top_left = form.last.mapTo(form.scroll.viewport(), QPoint(0, 0))
    assert bar.value() > 0
    assert 0 <= top_left.y() and top_left.y() + form.last.height() <= form.scroll.viewport().height()


def test_tab_leaves_a_combo_box_placed_in_a_table(qtbot):
    install_input_guard()
    window = QWidget()
    before = QLineEdit()
    table = QTableWidget(2, 2)
    combos = []
    for row in range(2):
        box = QComboBox()
        box.addItems(["婚前个人财产", "夫妻共同财产"])
        table.setCellWidget(row, 1, box)
        combos.append(box)
    after = QPushButton("下一步")
    column = QVBoxLayout(window)
    for w in (before, table, after):
        column.addWidget(w)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(combos[0].isVisible)   # a cell widget is shown once the view lays out its cells
    window.activateWindow()
    combos[0].setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(combos[0].hasFocus)
    qtbot.keyClick(combos[0], Qt.Key.Key_Tab)
    assert after.hasFocus()
    combos[1].setFocus()
    qtbot.keyClick(combos[1], Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    assert before.hasFocus()


def test_qt_message_box_buttons_are_in_chinese(qtbot):
    install_qt_chinese(QApplication.instance())
    box = QMessageBox(QMessageBox.Icon.Question, "确认", "发给结婚证？",
                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
                      | QMessageBox.StandardButton.Cancel)
    qtbot.addWidget(box)
    texts = {b: box.button(b).text() for b in (QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.No,
                                               QMessageBox.StandardButton.Cancel)}
    assert "是" in texts[QMessageBox.StandardButton.Yes]
    assert "否" in texts[QMessageBox.StandardButton.No]
    assert "取消" in texts[QMessageBox.StandardButton.Cancel]
    assert not any("Yes" in t or "Cancel" in t for t in texts.values())


def test_the_dialog_headline_is_the_chinese_message_and_the_code_is_small(qtbot):
    """What QMessageBox renders from the presenter's text: the message as the first line, the code
    after it (never first)."""
    prompter = RecordingPrompter()
    present_error(prompter, Refused([Issue("NAME_REQUIRED", "请输入姓名", "party1.name")]), "受理")
    _kind, _title, text = prompter.shown[0]
    box = QMessageBox(QMessageBox.Icon.Warning, "受理", text)
    qtbot.addWidget(box)
    label = box.findChild(QWidget, "qt_msgbox_label")
    assert label.textFormat() != Qt.TextFormat.PlainText
    doc = QTextDocument()
    doc.setHtml(label.text())
    lines = [line for line in doc.toPlainText().splitlines() if line.strip()]
    assert lines == ["请输入姓名", "错误代码：NAME_REQUIRED"]
    assert "font-size:12px" in text.split("错误代码")[0].rsplit("<p", 1)[1]
