import pytest

from ui.app import make_application


@pytest.fixture(scope="session")
def qapp_cls():
    from PySide6.QtWidgets import QApplication

    return QApplication


@pytest.fixture(autouse=True)
def _styled_app(qapp):
    make_application()
    yield


def type_into(qtbot, edit, text: str) -> None:
    """Type like a clerk: ASCII key by key; Chinese arrives from the input method as committed text
    (QTest cannot synthesise key events for non-ASCII characters)."""
    if text.isascii():
        qtbot.keyClicks(edit, text)
    else:
        edit.setFocus()
        edit.insert(text)
