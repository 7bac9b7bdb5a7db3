"""The certificate page: preview of a registered record, reprint approval by a supervisor's own
password, bulk printing through the background operation into a recording printer, blank stock,
calibration, and QR verification in plain Chinese."""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import select

from registry_app.certificates import extract_payload_from_pdf
from registry_app.services.certificate_print import CertificatePrinting
from registry_app.services.marriage import MarriageCase, MarriageService
from registry_app.services.printing_setup import PrintingSetup
from registry_app.storage.models import PrintJob
from tests.conftest import PASSWORDS
from tests.factories import marriage_case, person
from tests.ui.conftest import type_into
from ui.main_window import AppState, MainWindow
from ui.prompts import RecordingPrompter
from ui.workflows.certificates_page import CertificatesPage
from ui.workflows.certificates_printing import RecordingPrintTarget


def register(ctx, n: int = 1) -> list:
    out = []
    for i in range(n):
        case = marriage_case(person("王强" + "一二三"[i], "M", dt.date(1991, 5, 1 + i)),
                             person("陈静" + "一二三"[i], "F", dt.date(1993, 8, 1 + i)))
        out.append(MarriageService(ctx).register_case(MarriageCase.from_dict(case)))
    return out


def open_page(qtbot, ctx, **kwargs) -> tuple[MainWindow, CertificatesPage]:
    window = MainWindow(AppState(ctx=ctx, prompter=RecordingPrompter()))
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    window.show_page("certificates")
    page = window.page("certificates")
    assert isinstance(page, CertificatesPage)
    page.print_target = RecordingPrintTarget()
    for key, value in kwargs.items():
        setattr(page, key, value)
    return window, page


def click(qtbot, button) -> None:
    assert button.isEnabled(), button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_preview_shows_the_certificate_and_the_page_renders(qtbot, clerk_ctx, tmp_path):
    [result] = register(clerk_ctx)
    window, page = open_page(qtbot, clerk_ctx)
    tab = page.print_tab
    assert tab.day_table.rowCount() == 1 and tab.day_table.item(0, 0).text() == result.certificate_no
    qtbot.keyClicks(tab.record_edit, result.certificate_no)
    click(qtbot, tab.preview_button)
    qtbot.waitUntil(lambda: tab.preview_widget.page_count() == 2)   # one booklet per spouse
    assert tab.preview_widget.current_pixmap() is not None
    assert tab.preview_widget.page_label.text() == "第 1 / 2 页"
    click(qtbot, tab.preview_widget.next_button)
    assert tab.preview_widget.page_label.text() == "第 2 / 2 页"
    # a preview is not a print: the first real print is still copy 1, needing no approval
    assert not CertificatePrinting(clerk_ctx).reprint_needed(result.record_id)
    # the blank-paper preview of the same record, by record id
    tab.record_edit.clear()
    qtbot.keyClicks(tab.record_edit, str(result.record_id))
    tab.mode.setCurrentIndex(1)
    click(qtbot, tab.preview_button)
    qtbot.waitUntil(lambda: tab.preview_widget.page_count() == 2 and not tab.preview_widget.busy())
    shot = Path(os.environ.get("REGISTRY_SCREENSHOT_DIR", tmp_path)) / "certificates-page.png"
    window.resize(1280, 800)
    assert window.grab().save(str(shot))
    # an unknown number is said plainly
    tab.record_edit.clear()
    qtbot.keyClicks(tab.record_edit, "J320102-2026-999999")
    click(qtbot, tab.preview_button)
    assert "没有字号为" in tab.message.text()


def test_a_reprint_needs_a_supervisor_password(qtbot, clerk_ctx):
    [result] = register(clerk_ctx)
    answers = []
    window, page = open_page(qtbot, clerk_ctx, ask_supervisor=lambda parent, reason: answers.pop(0))
    tab = page.print_tab
    target = page.print_target
    qtbot.keyClicks(tab.record_edit, result.certificate_no)
    click(qtbot, tab.print_button)       # the first print needs nobody
    qtbot.waitUntil(lambda: tab.print_operation is None and len(target.printed) == 1)
    assert target.printed[0][1] == 2
    for answer, expected in [(None, "未获负责人批准"), (("supervisor", "wrong-password"), "用户名或密码错误"),
                             (("clerk2", PASSWORDS["clerk"]), "无权批准补打")]:
        answers.append(answer)
        click(qtbot, tab.print_button)
        assert expected in tab.message.text()
        assert len(target.printed) == 1
    answers.append(("supervisor", PASSWORDS["supervisor"]))
    click(qtbot, tab.print_button)
    qtbot.waitUntil(lambda: tab.print_operation is None and len(target.printed) == 2)
    assert "负责人 张主任 批准" in tab.message.text()   # the person, not the login
    with clerk_ctx.db.read() as s:
        jobs = [(j.copy_no, j.printed_by, j.approved_by) for j in s.execute(select(PrintJob)).scalars()]
    assert jobs == [(1, "clerk", None), (2, "clerk", "supervisor")]


def test_bulk_print_goes_through_the_background_operation(qtbot, clerk_ctx):
    results = register(clerk_ctx, 3)
    window, page = open_page(qtbot, clerk_ctx)
    tab = page.print_tab
    assert tab.day_table.rowCount() == 3
    click(qtbot, tab.bulk_button)
    assert tab.bulk_operation is not None and tab.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: tab.bulk_operation is None)
    [(title, pages, _pdf)] = page.print_target.printed
    assert pages == 6 and title == "2026-06-15 证书"
    assert "已送打印机 6 页，共 3 份证书" in tab.bulk_message.text()
    assert [tab.day_table.item(r, 3).text() for r in range(3)] == ["是"] * 3
    assert [c.print_count for c in PrintingSetup(clerk_ctx).day_certificates(dt.date(2026, 6, 15))] == [1, 1, 1]
    # again: nothing left to print, and the printer is not called
    click(qtbot, tab.bulk_button)
    qtbot.waitUntil(lambda: tab.bulk_operation is None)
    assert len(page.print_target.printed) == 1 and "没有待打印的证书" in tab.bulk_message.text()
    assert results


def test_a_refused_print_dialog_prints_and_logs_nothing(qtbot, clerk_ctx):
    register(clerk_ctx)
    window, page = open_page(qtbot, clerk_ctx)
    page.print_target = RecordingPrintTarget(accept=False)
    click(qtbot, page.print_tab.bulk_button)
    assert page.print_tab.bulk_operation is None and page.print_target.printed == []
    assert PrintingSetup(clerk_ctx).day_certificates(dt.date(2026, 6, 15))[0].print_count == 0


def test_stock_tab_receives_a_range_and_shows_it(qtbot, supervisor_ctx):
    window, page = open_page(qtbot, supervisor_ctx)
    page.tabs.setCurrentWidget(page.stock_tab)
    tab = page.stock_tab
    tab.booklet_type.setCurrentIndex(tab.booklet_type.findData("marriage"))
    qtbot.keyClicks(tab.first, "j0000101")
    qtbot.keyClicks(tab.last, "J0000150")
    click(qtbot, tab.receive_button)
    assert "已入库结婚证 50 本" in tab.message.text()
    assert [tab.summary_table.item(0, c).text() for c in range(4)] == ["结婚证", "50", "0", "0"]
    qtbot.keyClicks(tab.serial, "J0000101")
    type_into(qtbot, tab.reason.lineEdit(), "卡纸")
    click(qtbot, tab.spoil_button)
    assert [tab.summary_table.item(0, c).text() for c in range(4)] == ["结婚证", "49", "0", "1"]
    # overlapping range: refused with the service's reason
    qtbot.keyClicks(tab.first, "J0000150")
    qtbot.keyClicks(tab.last, "J0000160")
    click(qtbot, tab.receive_button)
    assert "已入库" in tab.message.text() and tab.message.property("tone") == "bad"


def test_calibration_measured_then_saved_and_offered_for_printing(qtbot, clerk_ctx):
    window, page = open_page(qtbot, clerk_ctx)
    tab = page.calibration_tab
    page.tabs.setCurrentWidget(tab)
    click(qtbot, tab.sheet_button)
    qtbot.waitUntil(lambda: tab.operation is None and len(page.print_target.printed) == 1)
    assert page.print_target.printed[0][:2] == ("打印校准页", 1)
    tab.measured_x.setValue(21.5)
    tab.measured_y.setValue(19.0)
    click(qtbot, tab.compute_button)
    assert (tab.dx.value(), tab.dy.value(), tab.scale.value()) == (-1.5, 1.0, 1.0)
    type_into(qtbot, tab.name.lineEdit(), "一号窗口")
    click(qtbot, tab.save_button)
    assert "已保存校准“一号窗口”" in tab.message.text()
    assert PrintingSetup(clerk_ctx).calibration("一号窗口").dx_mm == -1.5
    assert page.print_tab.calibration.findData("一号窗口") >= 0
    assert tab.table.rowCount() == 1


def test_verify_tab_accepts_the_pdf_and_rejects_a_changed_payload(qtbot, clerk_ctx, tmp_path):
    [result] = register(clerk_ctx)
    pdf = CertificatePrinting(clerk_ctx).render(result.record_id)
    path = tmp_path / "cert.pdf"
    path.write_bytes(pdf)
    window, page = open_page(qtbot, clerk_ctx, choose_pdf=lambda parent: str(path))
    tab = page.verify_tab
    page.tabs.setCurrentWidget(tab)
    click(qtbot, tab.pdf_button)
    assert tab.verdict.text() == "✔ 有效"
    assert result.certificate_no in tab.details.text()
    payload = extract_payload_from_pdf(pdf)
    tab.payload.setPlainText(payload)
    click(qtbot, tab.verify_button)
    assert tab.verdict.text() == "✔ 有效"
    i = len(payload) - 10
    changed = payload[:i] + ("A" if payload[i] != "A" else "B") + payload[i + 1:]
    tab.payload.setPlainText(changed)
    click(qtbot, tab.verify_button)
    assert tab.verdict.text().startswith("✘") and "有效" not in tab.verdict.text()
    tab.payload.setPlainText("随便一段文字")
    click(qtbot, tab.verify_button)
    assert tab.verdict.text() == "✘ 无法识别"


def test_paint_pdf_prints_every_page_at_actual_size(qtbot, clerk_ctx, tmp_path):
    """The real printing path, on a PDF printer: one printed page per certificate page, each the
    size of the booklet (no fit-to-page)."""
    from pypdf import PdfReader
    from PySide6.QtPrintSupport import QPrinter

    from ui.pdf_preview import page_sizes, paint_pdf

    [result] = register(clerk_ctx)
    pdf = CertificatePrinting(clerk_ctx).preview(result.record_id, on_blank=True)
    printer = QPrinter(QPrinter.PrinterMode.ScreenResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setResolution(150)
    out = tmp_path / "printed.pdf"
    printer.setOutputFileName(str(out))
    seen = []
    assert paint_pdf(printer, pdf, progress=lambda d, t, label: seen.append((d, t))) == 2
    assert seen == [(1, 2), (2, 2)]
    printed = PdfReader(out).pages
    assert len(printed) == 2
    for page, (w, h) in zip(printed, page_sizes(pdf)):
        assert float(page.mediabox.width) == pytest.approx(w, abs=1.5)
        assert float(page.mediabox.height) == pytest.approx(h, abs=1.5)
