"""The one error presenter: a coded error with its code, a refusal as a list of its reasons, a defect as
"内部错误" with none of its text on screen or in the log; the application-wide hooks present the same
way; and no page formats errors by hand."""
from __future__ import annotations

import logging
import re
import sys
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, Signal

from registry_app.errors import Cancelled, Issue, NotFound, Refused, RegistryError
from ui import errors
from ui.errors import INTERNAL_ERROR, error_text, install_excepthook, present_error
from ui.prompts import RecordingPrompter

SECRET = "李四 320102198001011234"  # what an unexpected error's text may carry

REFUSED = Refused([Issue("AGE_UNDER_LIMIT", "男方未满二十二周岁", "party1.birth_date"),
                   Issue("PHOTO_REQUIRED", "请提供双方合影照片", "photo")])


def _raised(exc: BaseException) -> BaseException:
    try:
        raise exc
    except BaseException as caught:  # noqa: BLE001 — the test wants it with its traceback
        return caught


def _coded(messages: str, codes: str) -> str:
    return (f'<p style="font-size:16px;">{messages}</p>'
            f'<p style="color:#8a94a3; font-size:12px;">错误代码：{codes}</p>')


@pytest.mark.parametrize("exc, expected", [
    (REFUSED, _coded("· 男方未满二十二周岁<br/>· 请提供双方合影照片", "AGE_UNDER_LIMIT、PHOTO_REQUIRED")),
    (NotFound("找不到档案", code="RECORD_NOT_FOUND"), _coded("找不到档案", "RECORD_NOT_FOUND")),
    (RegistryError("数据库已损坏", code="DB_DAMAGED"), _coded("数据库已损坏", "DB_DAMAGED")),
    (Cancelled(), _coded("已取消", "CANCELLED")),
    (RegistryError("姓名<b>过长</b>", code="NAME_TOO_LONG"), _coded("姓名&lt;b&gt;过长&lt;/b&gt;", "NAME_TOO_LONG")),
    (_raised(ValueError(SECRET)), INTERNAL_ERROR),
    (_raised(KeyError(SECRET)), INTERNAL_ERROR),
])
def test_present_error_headlines_the_chinese_message_and_never_a_defects_text(exc, expected, caplog):
    """The message the clerk reads out comes first; the codes follow, small and grey."""
    prompter = RecordingPrompter()
    with caplog.at_level(logging.ERROR, logger="registry.ui"):
        present_error(prompter, exc, "登记")
    assert prompter.shown == [("warn", "登记", expected)]
    assert "李四" not in caplog.text and "1234" not in caplog.text
    if not isinstance(exc, RegistryError):  # the log says where, so the defect can be found
        assert re.search(rf"{type(exc).__name__} at test_errors\.py:\d+ in _raised", caplog.text)
    else:
        assert caplog.text == ""


def test_error_text_is_one_line_for_a_label():
    assert error_text(REFUSED) == "男方未满二十二周岁（AGE_UNDER_LIMIT）；请提供双方合影照片（PHOTO_REQUIRED）"
    assert error_text(RuntimeError(SECRET)) == INTERNAL_ERROR


class _Emitter(QObject):
    fire = Signal()


def test_the_excepthook_presents_an_error_escaping_a_slot(qtbot, monkeypatch, caplog):
    prompter = RecordingPrompter()
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    install_excepthook(prompter)
    monkeypatch.setattr(errors, "_prompter", prompter)
    assert sys.excepthook is errors._excepthook

    def slot():
        raise RuntimeError(SECRET)

    emitter = _Emitter()
    emitter.fire.connect(slot)
    with caplog.at_level(logging.ERROR, logger="registry.defect"):
        emitter.fire.emit()  # PySide hands the escaping exception to sys.excepthook
        qtbot.waitUntil(lambda: bool(prompter.shown), timeout=5_000)
    [(kind, title, text)] = prompter.shown
    reference = re.search(r"参考编号：(\d{4}-\d{4}-[0-9A-F]{4})$", text).group(1)
    assert (kind, title) == ("warn", "发生错误") and text.startswith(INTERNAL_ERROR)
    assert f"defect {reference}" in caplog.text and "builtins.RuntimeError" in caplog.text
    assert "李四" not in caplog.text and "ui/test_errors.py:" in caplog.text


def test_the_thread_hook_logs_the_place_only(monkeypatch, caplog):
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    prompter = RecordingPrompter()
    install_excepthook(prompter)

    def work():
        raise ValueError(SECRET)

    with caplog.at_level(logging.ERROR, logger="registry.defect"):
        t = threading.Thread(target=work, name="worker-1")
        t.start()
        t.join()
    assert "builtins.ValueError" in caplog.text and "ui/test_errors.py:" in caplog.text
    assert "worker-1" in caplog.text
    assert "李四" not in caplog.text and prompter.shown == []  # no dialog from a worker thread


# --- no page goes around the presenter --------------------------------------------------------------------

UI = Path(__file__).resolve().parents[2] / "ui"
WORKFLOWS = UI / "workflows"
# The pages, and the windows around them (unlock, login, lock, set-up, the main window).
SCREENS = sorted(WORKFLOWS.glob("*.py")) + [UI / f"{name}.py" for name in
                                            ("login", "setup_wizard", "main_window", "session", "app")]
# Each pattern is a way a page used to show an error by itself; the presenter (ui/errors.py) replaces them.
BYPASSES = {
    "a message box of its own": re.compile(r"QMessageBox"),
    "an exception's text on screen": re.compile(r"str\(exc\)|\{exc\}|\{exc!r\}|repr\(exc\)"),
    "a coded error without its code": re.compile(r"\bexc\.message\b"),
    "reasons joined by hand": re.compile(r"for i in exc\.issues|\.join\([^)]*\.message for"),
    "its own error helper": re.compile(r"def (issues_text|_show_error|show_error|error_message)\b"),
    "a traceback with personal data in the log": re.compile(r"log\.exception|traceback\.print_exc|format_exc"),
}


@pytest.mark.parametrize("path", SCREENS, ids=lambda p: p.name)
def test_no_page_bypasses_the_presenter(path):
    found = [f"{path.name}:{n}: {what}: {line.strip()}"
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             for what, pattern in BYPASSES.items() if pattern.search(line)]
    assert not found, "\n".join(found)


def test_the_bypass_patterns_catch_what_they_name():
    samples = ['QMessageBox.warning(self, "x", "y")', 'self.label.setText(f"失败：{exc}")', "say(str(exc))",
               "self.message.setText(exc.message)", '"；".join(i.message for i in exc.issues)',
               "def issues_text(exc):", 'log.exception("failed")']
    for sample in samples:
        assert any(p.search(sample) for p in BYPASSES.values()), sample
    assert not any(p.search("self.message.setText(error_text(exc))") for p in BYPASSES.values())
