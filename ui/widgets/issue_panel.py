"""The panel beside a form that lists what the service says about the case as typed: a headline
(符合…条件 / 有N项不符合 / a step's instructions) and every issue: its Chinese message, then (small) its code."""
from __future__ import annotations

from html import escape
from typing import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QGroupBox, QLabel, QScrollArea, QVBoxLayout, QWidget

from registry_app.errors import Issue


PANEL_STYLE = """
QLabel#panelOk { color: #2e7d32; font-weight: bold; font-size: 16px; }
QLabel#panelBad { color: #c62f2f; font-weight: bold; font-size: 16px; }
QLabel#panelInfo { color: #1f3a5f; font-weight: bold; font-size: 16px; }
QLabel#issueItem { border-left: 3px solid #c62f2f; padding: 2px 0 2px 6px; }
"""


class IssuePanel(QGroupBox):
    """A page's answer from the service: a headline (ok / bad / info) and each issue, code and message."""

    def __init__(self, title: str, field_label: Callable[[str], str] | None = None,
                 parent: QWidget | None = None):
        """field_label names an issue's field for the clerk (party1.name -> 男方·姓名)."""
        super().__init__(title, parent)
        self.field_label = field_label or (lambda _f: "")
        self.setStyleSheet(PANEL_STYLE)
        self.header = QLabel()
        self.header.setWordWrap(True)
        self.list = QVBoxLayout()
        self.list.setSpacing(6)
        body = QWidget()
        inner = QVBoxLayout(body)
        inner.setContentsMargins(0, 0, 4, 0)
        # the headline scrolls with the issues: a long one (three lines at 1366×768) is never cut off, as a
        # word-wrapped label above a stretching scroll area in a group box was
        inner.addWidget(self.header)
        inner.addLayout(self.list)
        inner.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(body)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        self.issues: list[Issue] = []

    def show_state(self, kind: str, text: str, issues: list[Issue] = ()) -> None:
        """kind: ok | bad | info."""
        self.header.setObjectName({"ok": "panelOk", "bad": "panelBad"}.get(kind, "panelInfo"))
        self.header.setText(text)
        self.header.style().unpolish(self.header)
        self.header.style().polish(self.header)
        while self.list.count():
            item = self.list.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        self.issues = list(issues)
        for issue in self.issues:
            # The message first, in the clerk's words; where it is and the code (for the help desk) after,
            # small and grey, and the code again in the tooltip.
            where = self.field_label(issue.field) if issue.field else ""
            note = f"{escape(where)} · {escape(issue.code)}" if where else escape(issue.code)
            label = QLabel(f'{escape(issue.message)}<br/>'
                           f'<span style="color:#8a94a3; font-size:12px;">{note}</span>')
            label.setToolTip(f"错误代码：{issue.code}")
            label.setObjectName("issueItem")
            label.setWordWrap(True)
            label.setTextFormat(Qt.TextFormat.RichText)
            self.list.addWidget(label)

    def text(self) -> str:
        """Everything shown, for tests and screen readers."""
        return "\n".join([self.header.text()] + [f"{i.message}（{i.code}）" for i in self.issues])
