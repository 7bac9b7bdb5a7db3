"""Page registry of the main window and the honest placeholder for work not yet available."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QVBoxLayout, QWidget


class _PageBody(QWidget):
    """The scrolled body of a page. A scroll area sizes a body whose layout has height-for-width (any
    word-wrapped label) to its *preferred* height, so a page would scroll although everything fits; the
    body's minimum size decides instead."""

    def heightForWidth(self, _width: int) -> int:  # noqa: N802 — Qt naming
        return -1


class PageBase(QWidget):
    """A page of the main window. `title` is shown above it; `on_shown` refreshes it.

    Pages add their content to `layout_`, which lives inside a scroll area: on a small screen
    (1366×768, 1280×800) a page taller than the window scrolls instead of cutting off its bottom
    buttons; on a larger one the content fills the view as before (the body never shrinks below its
    minimum size, and grows to the view)."""

    title = ""

    def __init__(self, app_state, parent=None):
        super().__init__(parent)
        self.state = app_state
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.page_scroll = QScrollArea(self)
        self.page_scroll.setObjectName("pageScroll")
        self.page_scroll.setWidgetResizable(True)
        self.page_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.body = _PageBody()
        self.body.setObjectName("pageBody")
        self.layout_ = QVBoxLayout(self.body)
        self.page_scroll.setWidget(self.body)
        outer.addWidget(self.page_scroll)
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
