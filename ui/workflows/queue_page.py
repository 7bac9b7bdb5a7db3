"""叫号: take a number for a walk-in, call the next ticket to this counter, mark it at the counter, served
or passed over; today's tickets with their waiting times and the day's figures. The rules are
services.queue's; the page only shows."""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
)

from registry_app.domain.states import QueueState
from registry_app.services.queue import SERVICES, Queue, TicketView
from ui.errors import present_error
from ui.main_window import register_page
from ui.pages import PageBase
from ui.workflows.record_detail import RowsModel, make_table

REFRESH_MS = 30_000   # the waiting times move on while the page is open


def _minutes(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


class QueuePage(PageBase):
    title = "叫号"

    def __init__(self, app_state, parent=None):
        super().__init__(app_state, parent)
        self.queue = Queue(app_state.ctx)
        self.current: TicketView | None = None

        take = QGroupBox("取号")
        self.service = QComboBox()
        for key, text in SERVICES.items():
            self.service.addItem(text, key)
        self.issue_button = QPushButton("取号")
        self.issued = QLabel("")
        self.issued.setObjectName("issuedTicket")
        self.issued.setStyleSheet("font-size:22px;font-weight:bold;")
        tl = QGridLayout(take)
        tl.addWidget(QLabel("业务"), 0, 0)
        tl.addWidget(self.service, 0, 1)
        tl.addWidget(self.issue_button, 0, 2)
        tl.addWidget(self.issued, 1, 0, 1, 3)

        call = QGroupBox("本窗口")
        self.counter = QLineEdit("1号窗口")
        self.counter.setMaxLength(16)
        self.call_button = QPushButton("叫下一号 (F5)")
        self.call_button.setObjectName("callNext")
        self.start_button = QPushButton("到窗口办理")
        self.finish_button = QPushButton("办结")
        self.no_show_button = QPushButton("过号")
        self.now_serving = QLabel("尚未叫号")
        self.now_serving.setObjectName("nowServing")
        self.now_serving.setStyleSheet("font-size:22px;font-weight:bold;color:#b00020;")
        cl = QGridLayout(call)
        cl.addWidget(QLabel("窗口"), 0, 0)
        cl.addWidget(self.counter, 0, 1)
        cl.addWidget(self.call_button, 0, 2)
        cl.addWidget(self.now_serving, 1, 0, 1, 3)
        steps = QHBoxLayout()
        for b in (self.start_button, self.finish_button, self.no_show_button):
            steps.addWidget(b)
        steps.addStretch(1)
        cl.addLayout(steps, 2, 0, 1, 3)

        day = QGroupBox("今日")
        self.figures = QLabel("")
        self.figures.setObjectName("dayFigures")
        self.figures.setWordWrap(True)
        QVBoxLayout(day).addWidget(self.figures)

        top = QHBoxLayout()
        top.addWidget(take, 1)
        top.addWidget(call, 1)
        top.addWidget(day, 1)
        self.layout_.addLayout(top)

        self.model = RowsModel(["号", "业务", "状态", "窗口", "取号时间", "叫号时间", "等候（分钟）"])
        self.table = make_table(self.model, stretch=1)
        self.layout_.addWidget(self.table, 1)

        self.issue_button.clicked.connect(self.issue)
        self.call_button.clicked.connect(self.call_next)
        self.start_button.clicked.connect(lambda: self._step(self.queue.start))
        self.finish_button.clicked.connect(lambda: self._step(self.queue.finish))
        self.no_show_button.clicked.connect(lambda: self._step(self.queue.no_show))
        shortcut = QShortcut(QKeySequence(Qt.Key.Key_F5), self)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shortcut.activated.connect(self.call_next)
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        self._show_current()

    # --- actions --------------------------------------------------------------------------------
    def issue(self) -> None:
        try:
            t = self.queue.issue(self.service.currentData())
        except Exception as exc:  # noqa: BLE001 — shown through the one presenter
            present_error(self.state.prompter, exc, "取号")
            return
        self.issued.setText(f"{t.label}　{t.service_zh}")
        self.refresh()

    def call_next(self) -> None:
        try:
            self.current = self.queue.call_next(self.counter.text())
        except Exception as exc:  # noqa: BLE001
            present_error(self.state.prompter, exc, "叫号")
            return
        self._show_current()
        self.refresh()

    def _step(self, method) -> None:
        if self.current is None:
            return
        try:
            self.current = method(self.current.id)
        except Exception as exc:  # noqa: BLE001
            present_error(self.state.prompter, exc, "叫号")
            return
        self._show_current()
        self.refresh()

    # --- showing --------------------------------------------------------------------------------
    def _show_current(self) -> None:
        t = self.current
        status = QueueState(t.status) if t else None
        self.now_serving.setText(f"请 {t.label} 号到{t.counter}　{t.service_zh}　（{t.status_zh}）" if t else "尚未叫号")
        self.start_button.setEnabled(status is QueueState.CALLED)
        self.no_show_button.setEnabled(status is QueueState.CALLED)
        self.finish_button.setEnabled(status is QueueState.AT_COUNTER)

    def refresh(self) -> None:
        try:
            tickets = self.queue.tickets()
            report = self.queue.report()
        except Exception as exc:  # noqa: BLE001
            present_error(self.state.prompter, exc, "叫号")
            return
        self.model.set_rows([(t.label, t.service_zh, t.status_zh, t.counter, f"{t.issued_at:%H:%M}",
                              f"{t.called_at:%H:%M}" if t.called_at else "", _minutes(t.wait_minutes))
                             for t in tickets], tickets)
        avg = "—" if report.average_wait_minutes is None else f"{report.average_wait_minutes:g} 分钟"
        longest = "—" if report.longest_wait_minutes is None else f"{report.longest_wait_minutes:g} 分钟"
        self.figures.setText(f"取号 {report.issued}　办结 {report.served}　过号 {report.no_shows}<br/>"
                             f"等候中 {report.waiting}　办理中 {report.in_progress}<br/>"
                             f"平均等候 {avg}　最长等候 {longest}")

    def on_shown(self) -> None:
        self.refresh()
        self.timer.start()
        (self.call_button if self.counter.text() else self.counter).setFocus()

    def hideEvent(self, event) -> None:
        self.timer.stop()
        super().hideEvent(event)


register_page("queue", "叫号", lambda state: QueuePage(state))
