"""Questions to the user go through one small interface that tests replace (pytest-qt's advice:
no test may hang on a modal box)."""
from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget


class Prompter:
    """Real dialogs. Tests pass a RecordingPrompter instead."""

    def __init__(self, parent: QWidget | None = None):
        self.parent = parent

    def inform(self, title: str, text: str) -> None:
        QMessageBox.information(self.parent, title, text)

    def warn(self, title: str, text: str) -> None:
        QMessageBox.warning(self.parent, title, text)

    def confirm(self, title: str, text: str) -> bool:
        return QMessageBox.question(self.parent, title, text) == QMessageBox.StandardButton.Yes


class RecordingPrompter(Prompter):
    """Answers confirmations with a preset value and remembers what was shown."""

    def __init__(self, answer: bool = True):
        super().__init__(None)
        self.answer = answer
        self.shown: list[tuple[str, str, str]] = []

    def inform(self, title: str, text: str) -> None:
        self.shown.append(("inform", title, text))

    def warn(self, title: str, text: str) -> None:
        self.shown.append(("warn", title, text))

    def confirm(self, title: str, text: str) -> bool:
        self.shown.append(("confirm", title, text))
        return self.answer
