"""Printing set-up: calibrations saved and used by the renderer, bulk printing of the day's
certificates (one page per booklet, each print logged, cancel leaves nothing), blank stock and
calibration through the command line."""
from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from registry_app.errors import PermissionDenied, Refused, RegistryError
from registry_app.services.certificate_print import CertificatePrinting
from registry_app.services.marriage import MarriageCase, MarriageService
from registry_app.services.printing_setup import PrintingSetup
from registry_app.storage.models import AuditEntry, PrintJob
from tests.conftest import PASSPHRASE, PASSWORDS
from tests.factories import marriage_case, person

ROOT = Path(__file__).resolve().parents[2]
DAY = dt.date(2026, 6, 15)


def register(ctx, n: int = 1) -> list:
    out = []
    for i in range(n):
        case = marriage_case(person("张伟" + "一二三四"[i], "M", dt.date(1990, 1, 1 + i)),
                             person("李娜" + "一二三四"[i], "F", dt.date(1992, 2, 1 + i)))
        out.append(MarriageService(ctx).register_case(MarriageCase.from_dict(case)))
    return out


def text_positions(pdf: bytes, wanted: str) -> list[tuple[float, float]]:
    """Where (x, y in points) each text run containing `wanted` starts on the first page."""
    found: list[tuple[float, float]] = []

    def visit(text, cm, tm, _font, _size):
        if wanted in text:
            found.append((round(tm[4] * cm[0] + cm[4], 1), round(tm[5] * cm[3] + cm[5], 1)))

    PdfReader(io.BytesIO(pdf)).pages[0].extract_text(visitor_text=visit)
    return found


# --- calibrations ---------------------------------------------------------------------------

def test_a_saved_calibration_moves_every_field_of_the_render(clerk_ctx):
    [result] = register(clerk_ctx)
    setup = PrintingSetup(clerk_ctx)
    saved = setup.save_calibration("窗口1", 3.0, -2.0)
    assert saved.to_dict() == {"name": "窗口1", "dx_mm": 3.0, "dy_mm": -2.0, "scale": 1.0}
    assert [c.name for c in setup.calibrations()] == ["窗口1"]
    printing = CertificatePrinting(clerk_ctx)
    plain = printing.preview(result.record_id)
    moved = printing.preview(result.record_id, calibration="窗口1")
    assert plain != moved
    before, after = text_positions(plain, result.certificate_no), text_positions(moved, result.certificate_no)
    assert before and after
    mm = 72 / 25.4
    # 3 mm to the right and 2 mm up (PDF y grows upwards; dy < 0 moves up)
    assert after[0][0] - before[0][0] == pytest.approx(3 * mm, abs=0.2)
    assert after[0][1] - before[0][1] == pytest.approx(2 * mm, abs=0.2)
    # the printed copy uses it too and is accepted by verification
    pdf = printing.render(result.record_id, calibration="窗口1")
    assert printing.verify(pdf=pdf)["valid"]
    # an update is audited with the values before and after
    setup.save_calibration("窗口1", 1.5, 0.5, 1.01)
    with clerk_ctx.db.read() as s:
        entries = s.execute(select(AuditEntry).where(AuditEntry.action == "calibration.saved")
                            .order_by(AuditEntry.id)).scalars().all()
    assert [e.detail["before"] for e in entries] == [None, saved.to_dict()]
    assert entries[-1].detail["after"]["scale"] == 1.01


@pytest.mark.parametrize("name, dx, dy, scale, code, field", [
    ("", 0, 0, 1.0, "CALIBRATION_NAME_REQUIRED", "name"),
    ("x" * 65, 0, 0, 1.0, "CALIBRATION_NAME_TOO_LONG", "name"),
    ("A", 25.0, 0, 1.0, "CALIBRATION_INVALID", "dx_mm"),
    ("A", 0, -21.0, 1.0, "CALIBRATION_INVALID", "dx_mm"),
    ("A", 0, 0, 1.2, "CALIBRATION_INVALID", "scale"),
    ("A", "abc", 0, 1.0, "CALIBRATION_INVALID", "dx_mm"),
])
def test_bad_calibrations_are_refused_and_nothing_is_stored(clerk_ctx, name, dx, dy, scale, code, field):
    setup = PrintingSetup(clerk_ctx)
    with pytest.raises(Refused) as exc:
        setup.save_calibration(name, dx, dy, scale)
    assert exc.value.issues[0].code == code and exc.value.issues[0].field == field
    assert setup.calibrations() == []


def test_calibrations_need_the_print_permission(admin_ctx):
    with pytest.raises(PermissionDenied):
        PrintingSetup(admin_ctx).save_calibration("窗口1", 0, 0)


def test_unknown_calibration_and_lookup_by_number(clerk_ctx):
    [result] = register(clerk_ctx)
    setup = PrintingSetup(clerk_ctx)
    assert setup.find_record(result.certificate_no) == result.record_id
    assert setup.find_record(f" {result.record_id} ") == result.record_id
    with pytest.raises(RegistryError) as exc:
        setup.find_record("J320102-2026-999999")
    assert exc.value.code == "CERTIFICATE_NOT_FOUND"
    with pytest.raises(Refused):
        setup.find_record("张伟")
    with pytest.raises(RegistryError) as exc:
        setup.calibration_sheet("无此校准")
    assert exc.value.code == "CALIBRATION_NOT_FOUND"


def test_preview_is_not_a_print(clerk_ctx):
    [result] = register(clerk_ctx)
    printing = CertificatePrinting(clerk_ctx)
    printing.preview(result.record_id)
    printing.preview(result.record_id, on_blank=True)
    assert not printing.reprint_needed(result.record_id)
    printing.render(result.record_id)
    assert printing.reprint_needed(result.record_id)


# --- the day's certificates -----------------------------------------------------------------

def test_render_day_gives_one_page_per_booklet_and_logs_each_print(clerk_ctx, supervisor_ctx):
    results = register(clerk_ctx, 3)
    setup = PrintingSetup(clerk_ctx)
    listed = setup.day_certificates(DAY)
    assert [c.record_id for c in listed] == [r.record_id for r in results]
    assert listed[0].holders == "张伟一、李娜一" and listed[0].type_zh == "结婚证" and listed[0].print_count == 0
    assert setup.day_certificates(DAY + dt.timedelta(days=1)) == []
    # the first certificate was printed at the counter already: bulk printing leaves it out
    CertificatePrinting(clerk_ctx).render(results[0].record_id)
    seen = []
    day = setup.render_day(DAY, progress=lambda d, t, label: seen.append((d, t)))
    assert day.pages == 4 and len(PdfReader(io.BytesIO(day.pdf)).pages) == 4   # two booklets per marriage
    assert day.certificates == [r.certificate_no for r in results[1:]]
    assert day.skipped == [results[0].certificate_no]
    assert seen[-1] == (4, 4)
    with clerk_ctx.db.read() as s:
        jobs = s.execute(select(PrintJob).order_by(PrintJob.id)).scalars().all()
    assert [(j.copy_no, j.printed_by) for j in jobs] == [(1, "clerk")] * 3
    assert [c.print_count for c in setup.day_certificates(DAY)] == [1, 1, 1]
    # all printed now: nothing left, and a reprint of the whole day needs a supervisor
    with pytest.raises(Refused) as exc:
        setup.render_day(DAY)
    assert exc.value.code == "NOTHING_TO_PRINT"
    with pytest.raises(Refused) as exc:
        setup.render_day(DAY, include_printed=True)
    assert exc.value.code == "REPRINT_NEEDS_SUPERVISOR"
    again = PrintingSetup(supervisor_ctx).render_day(DAY, include_printed=True, approved_by="supervisor")
    assert again.pages == 6
    with clerk_ctx.db.read() as s:
        copies = s.execute(select(PrintJob.copy_no).order_by(PrintJob.id)).scalars().all()
    assert copies == [1, 1, 1, 2, 2, 2]


def test_cancel_stops_the_bulk_print_and_logs_nothing(clerk_ctx):
    register(clerk_ctx, 3)
    setup = PrintingSetup(clerk_ctx)
    seen = []
    with pytest.raises(RegistryError) as exc:
        setup.render_day(DAY, progress=lambda d, t, label: seen.append(d), cancelled=lambda: len(seen) >= 2)
    assert exc.value.code == "CANCELLED"
    assert seen == [1, 2]
    with clerk_ctx.db.read() as s:
        assert s.execute(select(PrintJob)).first() is None
    assert setup.render_day(DAY).pages == 6   # nothing was logged, so all are still to print


# --- the command line -----------------------------------------------------------------------

def _cli(*args, user_password=PASSWORDS["supervisor"]):
    env = {**os.environ, "REGISTRY_PASSPHRASE": PASSPHRASE, "REGISTRY_USER_PASSWORD": user_password}
    return subprocess.run([sys.executable, "-m", "registry_app.cli", *args], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=120)


def test_stock_receive_spoil_summary_through_the_command_line(db, db_path):
    base = ("--db", str(db_path), "stock")
    r = _cli(*base, "receive", "marriage", "J0000101", "J0000150", "--user", "supervisor")
    assert r.returncode == 0, r.stdout + r.stderr
    assert json.loads(r.stdout)["received"] == 50
    again = _cli(*base, "receive", "marriage", "J0000150", "J0000160", "--user", "supervisor")
    assert again.returncode == 2 and json.loads(again.stdout)["errors"][0]["code"] == "SERIAL_ALREADY_RECEIVED"
    # a clerk may not receive stock but may spoil a jammed blank
    clerk = _cli(*base, "receive", "divorce", "L0000001", "L0000010", "--user", "clerk",
                 user_password=PASSWORDS["clerk"])
    assert clerk.returncode == 2 and json.loads(clerk.stdout)["errors"][0]["code"] == "PERMISSION_DENIED"
    r = _cli(*base, "spoil", "J0000101", "--reason", "卡纸", "--user", "clerk", user_password=PASSWORDS["clerk"])
    assert r.returncode == 0, r.stdout + r.stderr
    r = _cli(*base, "spoil", "J0000101", "--reason", "卡纸", "--user", "clerk", user_password=PASSWORDS["clerk"])
    assert r.returncode == 2 and "BLANK_ALREADY_SPOILED" in r.stdout
    r = _cli(*base, "spoil", "J0000102", "--reason", " ", "--user", "clerk", user_password=PASSWORDS["clerk"])
    assert r.returncode == 2 and "REASON_REQUIRED" in r.stdout
    r = _cli(*base, "summary", "--user", "clerk", user_password=PASSWORDS["clerk"])
    assert r.returncode == 0, r.stdout + r.stderr
    rows = {row["booklet_type"]: row for row in json.loads(r.stdout)}
    assert rows["marriage"] == {"booklet_type": "marriage", "available": 49, "used": 0, "spoiled": 1,
                                "booklet_zh": "结婚证"}
    assert rows["divorce"]["available"] == 0


def test_calibration_set_and_sheet_through_the_command_line(db, db_path, tmp_path, clerk_ctx):
    r = _cli("--db", str(db_path), "calibration", "set", "窗口2", "--dx", "1.5", "--dy", "-0.5", "--user", "clerk",
             user_password=PASSWORDS["clerk"])
    assert r.returncode == 0, r.stdout + r.stderr
    assert json.loads(r.stdout) == {"name": "窗口2", "dx_mm": 1.5, "dy_mm": -0.5, "scale": 1.0}
    bad = _cli("--db", str(db_path), "calibration", "set", "窗口2", "--dx", "30", "--dy", "0", "--user", "clerk",
               user_password=PASSWORDS["clerk"])
    assert bad.returncode == 2 and json.loads(bad.stdout)["errors"][0]["code"] == "CALIBRATION_INVALID"
    assert PrintingSetup(clerk_ctx).calibration("窗口2").dx_mm == 1.5
    out = tmp_path / "sheet.pdf"
    r = _cli("calibration", "sheet", "--out", str(out))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "打印校准页" in PdfReader(out).pages[0].extract_text()
    checked = tmp_path / "checked.pdf"
    r = _cli("--db", str(db_path), "calibration", "sheet", "--out", str(checked), "--name", "窗口2",
             "--user", "clerk", user_password=PASSWORDS["clerk"])
    assert r.returncode == 0, r.stdout + r.stderr
    assert "窗口2" in PdfReader(checked).pages[0].extract_text()
