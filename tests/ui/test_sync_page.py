"""The end-of-day page: the day's counts and quality rate, an export run in the background to a
file on disk, and for a supervisor the acknowledgement import and the work list."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import QDate, Qt

from registry_app.services.marriage import MarriageCase, MarriageService
from registry_app.services.stock import BlankStock
from registry_app.sync.keys import KeyRing, ProvinceKeyPair, load_public_key_file, province_keygen
from registry_app.sync.province import build_ack, open_batch
from registry_app.sync.service import SyncService
from tests.factories import jpeg_photo, marriage_case, person
from tests.ui.conftest import type_into
from ui.main_window import AppState, MainWindow
from ui.prompts import RecordingPrompter
from ui.workflows.sync_page import SyncPage

D = dt.date


def open_page(qtbot, ctx, chooser) -> SyncPage:
    window = MainWindow(AppState(ctx=ctx, prompter=RecordingPrompter()))
    qtbot.addWidget(window)
    window.resize(1280, 900)
    window.show()
    window.show_page("sync")
    page = window.page("sync")
    assert isinstance(page, SyncPage)
    page.chooser = chooser
    return page


def table_rows(table) -> list[list[str]]:
    return [[table.item(r, c).text() for c in range(table.columnCount())] for r in range(table.rowCount())]


def two_registrations(clerk_ctx, supervisor_ctx) -> None:
    BlankStock(supervisor_ctx).receive("marriage", "Z0000001", "Z0000010")
    for serial, case in (("Z0000001", marriage_case()),
                         ("Z0000002", marriage_case(person("王强", "M", D(1990, 1, 2)),
                                                    person("赵敏", "F", D(1992, 5, 6))))):
        c = MarriageCase.from_dict({**case, "blank_serial": serial})
        c.photo = jpeg_photo()
        MarriageService(clerk_ctx).register_case(c)


def province_key(tmp_path, admin_ctx) -> ProvinceKeyPair:
    paths = province_keygen(tmp_path / "province")
    SyncService(admin_ctx).set_province_key(paths.public)
    return ProvinceKeyPair.from_private_file_bytes(paths.private.read_bytes())


def test_the_page_shows_the_day_and_exports_its_batch(qtbot, db, clerk_ctx, supervisor_ctx, admin_ctx, tmp_path):
    two_registrations(clerk_ctx, supervisor_ctx)
    province_key(tmp_path, admin_ctx)
    out = tmp_path / "outbox"
    asked = []
    page = open_page(qtbot, clerk_ctx, lambda kind, title: asked.append(kind) or str(out))
    page.date_edit.setDate(QDate(2026, 6, 15))
    assert table_rows(page.counts_table) == [["结婚登记", "2"]]
    assert "100.0%" in page.quality_label.text() and "2/2" in page.quality_label.text()
    assert page.defects_table.rowCount() == 0
    assert not page.cases_box.isVisible() and not page.import_ack_button.isEnabled()
    assert "尚未导入" in page.reference_label.text()

    qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not page.running(), timeout=30_000)
    assert asked == ["directory"] and page.last_error is None
    assert page.last_export is not None and Path(page.last_export.path).exists()
    assert Path(page.last_export.path).parent == out and Path(page.last_export.public_key_path).exists()
    assert page.progress.value() == page.progress.maximum()
    assert "已导出批次1" in page.message.text()
    assert "当日已导出批次：1" in page.pending_label.text()
    head = page.report.audit_head  # the paper anchor: the trail's head after this check, as printed
    assert head["seq"] > 0 and f"第{head['seq']}条 {head['hash'][:16]}" in page.anchor_label.text()
    assert page.last_export.audit_head["seq"] < head["seq"]  # the batch carried the head at its export


def test_a_supervisor_imports_the_ack_and_works_the_cases(qtbot, db, clerk_ctx, supervisor_ctx, admin_ctx, tmp_path):
    two_registrations(clerk_ctx, supervisor_ctx)
    province = province_key(tmp_path, admin_ctx)
    result = SyncService(clerk_ctx).export(D(2026, 6, 15), tmp_path / "out")
    opened = open_batch(Path(result.path).read_bytes(), [province],
                        KeyRing.of([load_public_key_file(result.public_key_path)]))
    ack = tmp_path / "ack.json"
    ack.write_bytes(build_ack(opened, province_key=province, rejects={opened.events[0]["event_id"]: "R002"},
                              created_at="2026-06-16T08:00:00+08:00"))
    page = open_page(qtbot, supervisor_ctx, lambda kind, title: str(ack))
    assert page.cases_box.isVisible() and page.cases_table.rowCount() == 0

    qtbot.mouseClick(page.import_ack_button, Qt.MouseButton.LeftButton)  # off the GUI thread
    qtbot.waitUntil(lambda: not page.running(), timeout=30_000)
    assert page.last_error is None and "退回1件" in page.message.text()
    rows = table_rows(page.cases_table)
    assert [(r[1], r[4], r[5]) for r in rows] == [("省级退回", "R002", "证件号码无效")]
    assert any(r[0] == "省级退回" for r in table_rows(page.open_table))

    page.cases_table.selectRow(0)
    qtbot.mouseClick(page.resolve_button, Qt.MouseButton.LeftButton)  # no note: refused, still listed
    assert page.last_error is not None and page.last_error.code == "NOTE_REQUIRED"
    assert page.cases_table.rowCount() == 1
    type_into(qtbot, page.case_note, "已更正姓名，次日重新上报")
    page.cases_table.selectRow(0)
    qtbot.mouseClick(page.resolve_button, Qt.MouseButton.LeftButton)
    assert page.cases_table.rowCount() == 0


def test_the_page_says_when_an_interrupted_export_is_still_unsettled(qtbot, db, clerk_ctx, supervisor_ctx, admin_ctx,
                                                                      tmp_path):
    from registry_app.storage.models import Batch

    two_registrations(clerk_ctx, supervisor_ctx)
    province_key(tmp_path, admin_ctx)
    with db.write() as s:  # recorded pending by another counter that was switched off mid-export
        s.add(Batch(batch_seq=1, business_date=D(2026, 6, 15), file_name="320102-20260615-000001.rgb",
                    file_hash="f" * 64, prev_hash=None, first_event_seq=1, last_event_seq=2, event_count=2,
                    created_at="x", created_by="clerk", acknowledged=False, status="pending", chain_hash="c" * 64,
                    outbox={"dir": "/elsewhere", "host": "counter-9"}))
    out = tmp_path / "outbox"
    page = open_page(qtbot, clerk_ctx, lambda kind, title: str(out))
    page.date_edit.setDate(QDate(2026, 6, 15))
    assert "批次1导出时中断" in page.pending_label.text()
    qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not page.running(), timeout=30_000)
    assert page.last_error is not None and page.last_error.code == "SYNC_BATCH_PENDING"
    assert "counter-9" in page.message.text() and not list(out.glob("*.rgb"))


def test_the_administrator_imports_an_ack_on_the_page_and_the_same_file_again_changes_nothing(
        qtbot, db, clerk_ctx, supervisor_ctx, admin_ctx, tmp_path):
    two_registrations(clerk_ctx, supervisor_ctx)
    province = province_key(tmp_path, admin_ctx)
    result = SyncService(clerk_ctx).export(D(2026, 6, 15), tmp_path / "out")
    opened = open_batch(Path(result.path).read_bytes(), [province],
                        KeyRing.of([load_public_key_file(result.public_key_path)]))
    ack = tmp_path / "ack.json"
    ack.write_bytes(build_ack(opened, province_key=province, created_at="2026-06-16T08:00:00+08:00"))
    page = open_page(qtbot, admin_ctx, lambda kind, title: str(ack))
    for expected in ("接收2件，退回0件，冲突0件", "已导入过，未作改动"):
        qtbot.mouseClick(page.import_ack_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not page.running(), timeout=30_000)
        assert page.last_error is None and expected in page.message.text()
    assert SyncService(admin_ctx).batches()[0].acknowledged


def test_a_supervisor_releases_a_quarantined_batch_file_the_province_never_received(qtbot, db, supervisor_ctx):
    from sqlalchemy import select

    from registry_app.storage.models import AuditEntry
    from registry_app.sync.base import put_setting
    from registry_app.sync.reconcile import ORPHANS

    name = "320102-20260615-000001.rgb"
    with db.write() as s:
        put_setting(s, ORPHANS, [{"file": name, "moved_to": name, "batch_seq": 1, "status": "open",
                                  "blocking": True}])
    page = open_page(qtbot, supervisor_ctx, lambda kind, title: None)
    assert page.orphan_row.isVisible() and page.orphan_files.currentData() == name
    qtbot.mouseClick(page.release_button, Qt.MouseButton.LeftButton)  # no note: refused, still blocking
    assert page.last_error.code == "NOTE_REQUIRED" and page.orphan_row.isVisible()
    type_into(qtbot, page.orphan_note, "省级确认未收到该批次")
    qtbot.mouseClick(page.release_button, Qt.MouseButton.LeftButton)
    assert not page.orphan_row.isVisible() and "已确认省级未收到" in page.message.text()
    with db.read() as s:
        [entry] = s.execute(select(AuditEntry).where(AuditEntry.action == "sync.orphan_released")).scalars()
        assert entry.entity_id == name and entry.reason == "省级确认未收到该批次"
