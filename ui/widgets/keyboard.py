"""Keyboard-first forms: Enter moves to the next field, Ctrl+Enter runs the page's main action."""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractButton, QCheckBox, QComboBox, QWidget


class KeyboardFlow(QObject):
    """Installed on a form's input widgets. Enter/Return (no modifier) moves focus to the next widget
    in the tab chain; Ctrl+Enter calls `submit`. Push buttons keep Enter for themselves (it presses
    them); an open combo box popup keeps Enter to pick its item."""

    ENTER_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)

    def __init__(self, submit: Callable[[], None], parent: QObject | None = None):
        super().__init__(parent)
        self.submit = submit

    def watch(self, *widgets: QWidget) -> None:
        for w in widgets:
            w.installEventFilter(self)
            if isinstance(w, QComboBox) and w.lineEdit() is not None:
                w.lineEdit().installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 — Qt naming
        if event.type() != QEvent.Type.KeyPress or event.key() not in self.ENTER_KEYS:
            return False
        mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if mods & Qt.KeyboardModifier.ControlModifier:
            self.submit()
            return True
        if mods != Qt.KeyboardModifier.NoModifier:
            return False
        if isinstance(obj, QAbstractButton) and not isinstance(obj, QCheckBox):
            return False
        combo = obj if isinstance(obj, QComboBox) else obj.parent() if isinstance(obj.parent(), QComboBox) else None
        if combo is not None and combo.view().isVisible():
            return False
        focus_next(obj)
        return True


def focus_next(widget: QWidget) -> None:
    """Move focus to the next widget of the tab chain that takes keyboard focus."""
    w = widget.nextInFocusChain()
    while w is not None and w is not widget:
        if (w.focusPolicy() & Qt.FocusPolicy.TabFocus) == Qt.FocusPolicy.TabFocus and w.isEnabled() \
                and w.isVisible() and w.focusProxy() is None:
            w.setFocus(Qt.FocusReason.TabFocusReason)
            return
        w = w.nextInFocusChain()
