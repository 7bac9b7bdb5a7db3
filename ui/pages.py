"""Page registry of the main window and the honest placeholder for work not yet available."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


class PageBase(QWidget):
    """A page of the main window. `title` is shown above it; `on_shown` refreshes it."""

    title = ""

    def __init__(self, app_state, parent=None):
        super().__init__(parent)
        self.state = app_state
        self.layout_ = QVBoxLayout(self)
        heading = QLabel(self.title)
        heading.setObjectName("pageTitle")
        self.layout_.addWidget(heading)

    def on_shown(self) -> None:
        pass


class NotYetAvailablePage(PageBase):
    def __init__(self, app_state, title: str, what: str, parent=None):
        self.title = title
        super().__init__(app_state, parent)
        note = QLabel(self.tr("此功能尚未提供。") + "\n\n" + what)
        note.setObjectName("notice")
        note.setWordWrap(True)
        note.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.layout_.addWidget(note, 1)
