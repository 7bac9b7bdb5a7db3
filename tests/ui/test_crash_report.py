"""An exception escaping a button's slot reaches the clerk as a Chinese dialog with a reference number,
and the log file in the data directory has the reference, the type and the code places — not the names
or ID numbers the exception's text carried."""
from __future__ import annotations

import re
import sys
import threading

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from registry_app.diagnostics import close_log_file, configure_log_file
from registry_app.errors import RegistryError
from ui import errors
from ui.errors import INTERNAL_ERROR, install_excepthook
from ui.prompts import RecordingPrompter

PERSONAL = ["王小明", "11010519491231002X", "13912345678"]


@pytest.fixture
def hooked(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    monkeypatch.setattr(errors, "_prompter", None)
    log_file = configure_log_file(tmp_path / "data" / "logs")
    prompter = RecordingPrompter()
    install_excepthook(prompter)
    yield prompter, log_file
    close_log_file()


def _click_raising(qtbot, exc: BaseException) -> None:
    button = QPushButton("登记")
    qtbot.addWidget(button)

    def register():
        raise exc

    button.clicked.connect(register)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_a_defect_shows_a_reference_and_logs_it_without_personal_data(qtbot, hooked):
    prompter, log_file = hooked
    _click_raising(qtbot, ValueError(f"bad party {' '.join(PERSONAL)}"))
    qtbot.waitUntil(lambda: bool(prompter.shown), timeout=5_000)
    [(kind, title, text)] = prompter.shown
    assert (kind, title) == ("warn", "发生错误") and text.startswith(INTERNAL_ERROR)
    reference = re.search(r"参考编号：(\S+)$", text).group(1)
    log = log_file.read_text(encoding="utf-8")
    assert f"defect {reference}" in log and "builtins.ValueError" in log
    assert re.search(r"at ui/test_crash_report\.py:\d+ in register", log)
    for fragment in PERSONAL + ["bad party"]:
        assert fragment not in log and fragment not in text


def test_a_coded_error_escaping_a_slot_keeps_its_message_and_gets_a_reference(qtbot, hooked):
    prompter, log_file = hooked
    _click_raising(qtbot, RegistryError("数据库已损坏", code="DB_DAMAGED"))
    qtbot.waitUntil(lambda: bool(prompter.shown), timeout=5_000)
    [(kind, title, text)] = prompter.shown
    reference = re.search(r"参考编号 (\S+)）", title).group(1)
    assert "数据库已损坏" in text and "DB_DAMAGED" in text
    log = log_file.read_text(encoding="utf-8")
    assert f"defect {reference}" in log and "code=DB_DAMAGED" in log and "数据库已损坏" not in log
