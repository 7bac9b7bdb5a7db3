"""Application-wide input behaviour for long forms, installed once (ui/app.py) and by tests:

- the mouse wheel over a drop-down, date or number field (or a tab bar) that does not have keyboard
  focus scrolls the page and never changes the value (a clerk scrolling past 婚姻状况 must not turn 未婚 into 丧偶);
  those fields take focus by click or Tab only (Qt.StrongFocus), never by the wheel;
- the page scrolls to the field that receives keyboard focus (Tab, Enter = next field);
- Tab and Shift+Tab leave a widget placed in a table cell (a combo box in an agreement row) for the
  next field of the form instead of being kept inside the table.
"""
from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractScrollArea,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QGroupBox,
    QScrollArea,
    QTabBar,
    QWidget,
)

# QDateEdit and QSpinBox are spin boxes; a tab bar would otherwise switch tabs under a scrolling wheel.
VALUE_WIDGETS = (QComboBox, QAbstractSpinBox, QTabBar)
VISIBLE_MARGIN = 24                              # px kept around a focused field when scrolling to it


def _value_widget(obj: QObject) -> QWidget | None:
    """The combo box or spin box that `obj` is (or is part of: its line edit), within one window."""
    w = obj if isinstance(obj, QWidget) else None
    while w is not None:
        if isinstance(w, VALUE_WIDGETS):
            return w
        if w.isWindow():  # an open combo popup is its own window: the wheel scrolls its list
            return None
        w = w.parentWidget()
    return None


def _ancestor(widget: QWidget, kind: type) -> QWidget | None:
    w = widget.parentWidget()
    while w is not None and not w.isWindow():
        if isinstance(w, kind):
            return w
        w = w.parentWidget()
    return None


def _cell_view(widget: QWidget) -> QAbstractItemView | None:
    """The item view whose cell holds `widget` (a cell widget or an open editor), if any."""
    view = _ancestor(widget, QAbstractItemView)
    if view is None or widget is view or widget is view.viewport():
        return None
    return view


class InputGuard(QObject):
    """The application event filter; see the module docstring."""

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 — Qt naming
        kind = event.type()
        if kind == QEvent.Type.Polish and isinstance(obj, VALUE_WIDGETS):
            if obj.focusPolicy() == Qt.FocusPolicy.WheelFocus:
                obj.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        elif kind == QEvent.Type.Wheel:
            return self._wheel(obj, event)
        elif kind == QEvent.Type.KeyPress and event.key() in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab) \
                and isinstance(obj, QWidget) and obj.hasFocus():
            return self._tab(obj, event)
        return False

    @staticmethod
    def _wheel(obj, event) -> bool:
        target = _value_widget(obj)
        if target is None or target.hasFocus():
            return False
        # Hand the wheel to the nearest container that can scroll (the table the field sits in, else the page).
        horizontal = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        w = target
        while (w := _ancestor(w, QAbstractScrollArea)) is not None:
            bar = w.horizontalScrollBar() if horizontal else w.verticalScrollBar()
            if bar.maximum() > bar.minimum():
                QCoreApplication.sendEvent(bar, event)
                break
        return True  # never the field's own value

    @staticmethod
    def _tab(widget: QWidget, event) -> bool:
        view = _cell_view(widget)
        if view is None or view.state() == QAbstractItemView.State.EditingState:
            return False  # an item editor: the view commits it and moves on itself
        forward = event.key() == Qt.Key.Key_Tab and not event.modifiers() & Qt.KeyboardModifier.ShiftModifier
        return focus_past(view, forward)


def focus_past(view: QWidget, forward: bool) -> bool:
    """Give focus to the first widget after (or before) `view` and everything inside it in the tab
    chain that can take it. False if there is none."""
    w = view
    for _ in range(2000):   # the chain is a ring; a bound keeps a broken chain from hanging the client
        w = w.nextInFocusChain() if forward else w.previousInFocusChain()
        if w is None or w is view:
            return False
        if view.isAncestorOf(w) or w.focusProxy() is not None:
            continue
        if (w.focusPolicy() & Qt.FocusPolicy.TabFocus) == Qt.FocusPolicy.TabFocus and w.isEnabled() \
                and w.isVisible() and w.window() is view.window():
            w.setFocus(Qt.FocusReason.TabFocusReason if forward else Qt.FocusReason.BacktabFocusReason)
            return True
    return False


def reveal_focus(_old: QWidget | None, new: QWidget | None) -> None:
    """Scroll every scroll area around the newly focused field so the field is in view."""
    if new is None or QApplication.mouseButtons() != Qt.MouseButton.NoButton:
        return  # a click lands on something already in view: the page must not jump under the mouse
    reveal(new)


def reveal(widget: QWidget) -> None:
    """Scroll the scroll areas around `widget`, innermost first, until it is in view."""
    target = widget
    w = widget.parentWidget()
    while w is not None and not w.isWindow():
        if isinstance(w, QScrollArea) and w.widget() is not None and w.widget().isAncestorOf(target):
            w.ensureWidgetVisible(_shown_with(target, w), VISIBLE_MARGIN, VISIBLE_MARGIN)
            target = w  # an outer scroll area then shows the inner one
        w = w.parentWidget()


def _shown_with(field: QWidget, area: QScrollArea) -> QWidget:
    """The field's group box when the whole box fits in the view: the clerk sees whose field it is
    (男方 / 女方), and the box title is never left half cut off at the top edge (男方 read as 男万)."""
    w = field.parentWidget()
    while w is not None and w is not area.widget():
        if isinstance(w, QGroupBox):
            return w if w.height() + 2 * VISIBLE_MARGIN <= area.viewport().height() else field
        w = w.parentWidget()
    return field


_installed: dict[int, InputGuard] = {}


def install_input_guard(app: QApplication | None = None) -> InputGuard:
    """Install the filter and the focus follower on the application (idempotent)."""
    app = app or QApplication.instance()
    guard = _installed.get(id(app))
    if guard is None:
        guard = InputGuard(app)
        app.installEventFilter(guard)
        app.focusChanged.connect(reveal_focus)
        _installed[id(app)] = guard
        for widget in app.allWidgets():  # widgets polished before the filter was there
            if isinstance(widget, VALUE_WIDGETS) and widget.focusPolicy() == Qt.FocusPolicy.WheelFocus:
                widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    return guard


__all__ = ["InputGuard", "focus_past", "install_input_guard", "reveal", "reveal_focus"]
