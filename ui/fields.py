"""Form fields that validate as the clerk types and show the reason right under the field."""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QLineEdit, QVBoxLayout, QWidget

from registry_app.errors import Issue

Validator = Callable[[str], "Issue | None"]


class CheckedLineEdit(QWidget):
    """A line edit plus its error label. `validator` returns an Issue (shown) or None."""

    validity_changed = Signal(bool)

    def __init__(self, validator: Validator | None = None, placeholder: str = "", password: bool = False,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.validator = validator
        self.edit = QLineEdit(self)
        self.edit.setPlaceholderText(placeholder)
        if password:
            self.edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.error = QLabel(self)
        self.error.setObjectName("fieldError")
        self.error.setWordWrap(True)
        self.error.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.edit)
        layout.addWidget(self.error)
        self.setFocusProxy(self.edit)
        self._valid = validator is None
        self.edit.textChanged.connect(self._check)

    def text(self) -> str:
        return self.edit.text()

    def setText(self, value: str) -> None:  # noqa: N802 — Qt naming
        self.edit.setText(value)

    def is_valid(self) -> bool:
        return self._valid

    def show_issue(self, issue: Issue | None) -> None:
        if issue is None:
            self.error.hide()
            self.error.setText("")
            self.edit.setProperty("invalid", False)
        else:
            self.error.setText(issue.message)
            self.error.show()
            self.edit.setProperty("invalid", True)
        self.edit.style().unpolish(self.edit)
        self.edit.style().polish(self.edit)

    def _check(self, value: str) -> None:
        issue = self.validator(value) if self.validator else None
        # An empty field is not shouted at while the clerk has not typed anything yet.
        self.show_issue(issue if value else None)
        valid = issue is None
        if valid != self._valid:
            self._valid = valid
            self.validity_changed.emit(valid)
