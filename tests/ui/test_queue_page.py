"""叫号 driven like a clerk: take numbers, call the next with F5, at the counter, served, passed over."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QApplication

from ui.main_window import AppState, MainWindow
from ui.prompts import RecordingPrompter
from ui.workflows.queue_page import QueuePage


@pytest.fixture
def page(qtbot, clerk_ctx):
    win = MainWindow(AppState(ctx=clerk_ctx, prompter=RecordingPrompter()))
    win.resize(1366, 768)
    win.show()
    win.show_page("queue")
    p = win.page("queue")
    assert isinstance(p, QueuePage)
    yield p
    win.idle_timer.stop()
    win.close()
    win.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def click(qtbot, button) -> None:
    assert button.isEnabled() and button.isVisible(), button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_take_call_serve_and_pass_over(qtbot, page, clock):
    click(qtbot, page.issue_button)
    assert page.issued.text().startswith("A001")
    page.service.setCurrentIndex(page.service.findData("divorce_collection"))
    click(qtbot, page.issue_button)
    assert page.issued.text() == "A002　领取离婚证"
    assert page.model.rowCount() == 2 and not page.finish_button.isEnabled()

    clock.advance(minutes=12)
    page.counter.setFocus()
    qtbot.keyClick(page.counter, Qt.Key.Key_F5)
    assert page.now_serving.text().startswith("请 A001 号到1号窗口")
    assert page.model.rows[0][2] == "已叫号" and page.model.rows[0][6] == "12"
    click(qtbot, page.start_button)
    click(qtbot, page.finish_button)
    assert "已办结" in page.now_serving.text() and not page.finish_button.isEnabled()

    click(qtbot, page.call_button)
    click(qtbot, page.no_show_button)
    assert page.model.rows[1][2] == "过号未到"
    assert "办结 1" in page.figures.text() and "过号 1" in page.figures.text()
    assert "平均等候 12 分钟" in page.figures.text()

    click(qtbot, page.call_button)                 # nobody waits: a coded message, nothing changes
    kind, title, text = page.state.prompter.shown[-1]
    assert (kind, title) == ("warn", "叫号") and "QUEUE_EMPTY" in text
