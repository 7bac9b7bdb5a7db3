"""A field and its error, side by side in the form: any input widget wrapped with the label that
shows an Issue's Chinese message under it, and a date field typed as digits."""
from __future__ import annotations

import datetime as dt
import re

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from registry_app.errors import Issue
from ui.fields import CheckedLineEdit

_DATE = re.compile(r"^(\d{4})-?(\d{1,2})-?(\d{1,2})$")


def parse_date_text(text: str) -> dt.date | None:
    """'1995-03-08', '1995-3-8' or '19950308' -> a date; anything else -> None."""
    value = (text or "").strip().replace("/", "-").replace(".", "-")
    m = _DATE.match(value)
    if not m or ("-" not in value and len(value) != 8):
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def _date_issue(text: str) -> Issue | None:
    if not text.strip():
        return None
    if parse_date_text(text) is None:
        return Issue("DATE_FORMAT", "日期格式应为 年-月-日，如 1995-03-08 或 19950308")
    return None


class DateField(CheckedLineEdit):
    """A date typed at the keyboard (19950308 or 1995-03-08), shown back as YYYY-MM-DD."""

    def __init__(self, placeholder: str = "如 1995-03-08", parent: QWidget | None = None):
        super().__init__(_date_issue, placeholder, parent=parent)
        self.edit.setMaxLength(10)
        self.edit.editingFinished.connect(self._normalise)

    def date(self) -> dt.date | None:
        return parse_date_text(self.text())

    def set_date(self, value: dt.date | None) -> None:
        self.setText(value.isoformat() if value else "")

    def local_issue(self) -> Issue | None:
        return _date_issue(self.text())

    def _normalise(self) -> None:
        d = self.date()
        if d is not None and self.text() != d.isoformat():
            self.setText(d.isoformat())


class IssueSlot(QWidget):
    """Wraps a combo box, check box or any other input with an error label under it, so every field
    of a form answers to show_issue() the same way CheckedLineEdit does."""

    def __init__(self, widget: QWidget, parent: QWidget | None = None):
        super().__init__(parent)
        self.widget = widget
        self.error = QLabel(self)
        self.error.setObjectName("fieldError")
        self.error.setWordWrap(True)
        self.error.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(widget)
        layout.addWidget(self.error)
        self.setFocusProxy(widget)

    def show_issue(self, issue: Issue | None) -> None:
        self.error.setText(issue.message if issue else "")
        self.error.setVisible(issue is not None)
        self.widget.setProperty("invalid", issue is not None)
        self.widget.style().unpolish(self.widget)
        self.widget.style().polish(self.widget)

    def local_issue(self) -> Issue | None:
        return None
