"""Qt's own dialogs (message box buttons, file and print dialogs) in Chinese, from the translations that
ship with PySide6, so a clerk never meets "Yes/No/Cancel" or "Look in:" beside Chinese pages."""
from __future__ import annotations

from PySide6.QtCore import QLibraryInfo, QTranslator
from PySide6.QtWidgets import QApplication

CATALOGUES = ("qtbase_zh_CN",)   # message box, file and print dialogs are all in qtbase
_loaded: dict[int, list[QTranslator]] = {}


def install_qt_chinese(app: QApplication) -> list[QTranslator]:
    """Load Qt's Simplified Chinese catalogues into `app` once; returns those loaded (none if not shipped)."""
    if id(app) in _loaded:
        return _loaded[id(app)]
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    loaded = _loaded[id(app)] = []
    for name in CATALOGUES:
        translator = QTranslator(app)
        if translator.load(name, folder):
            app.installTranslator(translator)
            loaded.append(translator)
    return loaded


__all__ = ["install_qt_chinese"]
