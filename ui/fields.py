"""Form fields that validate as the clerk types and show the reason right under the field."""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QLineEdit, QVBoxLayout, QWidget

from registry_app.errors import Issue

Validator = Callable[[str], "Issue | None"]


class IssueSlot(QWidget):
    """Any input widget with an error label under it: show_issue() puts an Issue's Chinese message there
    and marks the input invalid (a combo box, a check box, or the line edit of CheckedLineEdit)."""

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


class CheckedLineEdit(IssueSlot):
    """A line edit plus its error label. `validator` returns an Issue (shown) or None."""

    validity_changed = Signal(bool)

    def __init__(self, validator: Validator | None = None, placeholder: str = "", password: bool = False,
                 parent: QWidget | None = None):
        self.edit = QLineEdit()
        super().__init__(self.edit, parent)
        self.validator = validator
        self.edit.setPlaceholderText(placeholder)
        if password:
            self.edit.setEchoMode(QLineEdit.EchoMode.Password)
        self._valid = validator is None
        self.edit.textChanged.connect(self._check)

    def text(self) -> str:
        return self.edit.text()

    def setText(self, value: str) -> None:  # noqa: N802 — Qt naming
        self.edit.setText(value)

    def is_valid(self) -> bool:
        return self._valid

    def _check(self, value: str) -> None:
        issue = self.validator(value) if self.validator else None
        # An empty field is not shouted at while the clerk has not typed anything yet.
        self.show_issue(issue if value else None)
        valid = issue is None
        if valid != self._valid:
            self._valid = valid
            self.validity_changed.emit(valid)
