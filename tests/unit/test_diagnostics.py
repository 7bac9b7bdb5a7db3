"""The log file: a defect under a reference number, its type and code places, never personal data."""
from __future__ import annotations

import logging
import os
import re
import stat

import pytest

from registry_app import diagnostics
from registry_app.diagnostics import close_log_file, configure_log_file, defect_report, record_defect, scrub
from registry_app.errors import WrongPassphrase

PERSONAL = "张三 11010519491231002X 13912345678 E12345678 J320102-2026-000001"


@pytest.fixture
def log_file(tmp_path):
    path = configure_log_file(tmp_path / "logs")
    yield path
    close_log_file()


@pytest.mark.parametrize("text, kept, gone", [
    ("name 张三 failed", "name ＊ failed", "张三"),
    ("id 11010519491231002X", "id [number]", "11010519491231002X"),
    ("id 110105491231002", "id [number]", "110105491231002"),  # 15-digit ID number
    ("phone 13912345678", "phone [number]", "13912345678"),
    ("passport E12345678", "passport [number]", "E12345678"),
    ("cert J320102-2026-000001", "cert [number]-2026-[number]", "320102"),
    ("ValueError at marriage_page.py:1234 in submit", "ValueError at marriage_page.py:1234 in submit", None),
    ("defect 1201-1805-7F3A", "defect 1201-1805-7F3A", None),
])
def test_scrub(text, kept, gone):
    assert scrub(text) == kept
    if gone:
        assert gone not in scrub(text)


def _raise_with_personal_data():
    try:
        {}[PERSONAL]
    except KeyError as inner:
        raise WrongPassphrase(PERSONAL) from inner


def test_defect_report_names_types_and_places_only():
    with pytest.raises(WrongPassphrase) as caught:
        _raise_with_personal_data()
    report = defect_report(caught.value, "1201-1805-7F3A")
    assert report.splitlines()[0] == "defect 1201-1805-7F3A"
    assert "registry_app.errors.WrongPassphrase code=WRONG_PASSPHRASE" in report
    assert "raised while handling builtins.KeyError" in report
    assert re.search(r"at unit/test_diagnostics\.py:\d+ in _raise_with_personal_data", report)
    for fragment in PERSONAL.split():
        assert fragment not in report


def test_a_defect_goes_to_the_log_file_under_its_reference(log_file):
    with pytest.raises(WrongPassphrase) as caught:
        _raise_with_personal_data()
    reference = record_defect(caught.value, "a test")
    assert re.fullmatch(r"\d{4}-\d{4}-[0-9A-F]{4}", reference)
    text = log_file.read_text(encoding="utf-8")
    assert f"defect {reference}" in text and "WrongPassphrase" in text and "reported by a test" in text
    for fragment in PERSONAL.split():
        assert fragment not in text


def test_any_logger_is_scrubbed_and_a_traceback_keeps_only_its_places(log_file):
    log = logging.getLogger("registry_app.somewhere")
    try:
        raise ValueError(PERSONAL)
    except ValueError:
        log.exception("could not register %s", PERSONAL)
    text = log_file.read_text(encoding="utf-8")
    assert "could not register" in text and "builtins.ValueError" in text and "test_diagnostics.py" in text
    for fragment in PERSONAL.split():
        assert fragment not in text


@pytest.mark.skipif(os.name != "posix", reason="owner-only permissions are POSIX modes")
def test_the_log_file_is_owner_only_and_rotates(log_file, monkeypatch):
    logging.getLogger("registry.defect").error("first")
    assert stat.S_IMODE(os.stat(log_file).st_mode) == 0o600
    handler = diagnostics._handler
    assert handler.maxBytes == diagnostics.MAX_BYTES and handler.backupCount == diagnostics.BACKUP_COUNT
    handler.maxBytes = 200  # a small limit to see a rollover
    for n in range(20):
        logging.getLogger("registry.defect").error("line %d of a long day at the counter", n)
    rotated = log_file.with_name(log_file.name + ".1")
    assert rotated.exists() and stat.S_IMODE(os.stat(log_file).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(rotated).st_mode) == 0o600
