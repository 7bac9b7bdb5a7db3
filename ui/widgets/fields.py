"""A date field typed as digits (the field-with-its-error widgets themselves are in ui.fields)."""
from __future__ import annotations

import datetime as dt
import re

from PySide6.QtWidgets import QWidget

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
