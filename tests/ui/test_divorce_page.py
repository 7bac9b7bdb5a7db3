"""The divorce page driven like a clerk would: the example couple applies, the work list counts down the
cooling-off, 发证 waits for the window, a withdrawal by one party; real widgets, the real service."""
from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QApplication

from registry_app.services.divorce import DivorceService
from registry_app.services.marriage import MarriageCase, MarriageService
from registry_app.services.stock import BlankStock
from tests.ui.conftest import type_into
from ui.main_window import AppState, MainWindow
from ui.prompts import RecordingPrompter
from ui.main_window import HOURLY_MS
from ui.workflows.divorce_page import DivorcePage

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"
EXAMPLE = json.loads((EXAMPLES / "divorce-case.json").read_text("utf-8"))
MARRIAGE = json.loads((EXAMPLES / "marriage-case.json").read_text("utf-8"))
TODAY = dt.date(2026, 6, 15)           # the clock fixture; a Monday
WINDOW_OPENS = dt.date(2026, 7, 16)    # cooling-off ends 15 July; collect by 14 August
COLLECT_BY = dt.date(2026, 8, 14)
# The couple is married two years before "today" (the clock moved back): a training database.
pytestmark = pytest.mark.training


@pytest.fixture
def marriage_id(clerk_ctx, clock):
    """The couple of the examples, married here two years before."""
    clock.set(dt.date(2024, 5, 20))
    record_id = MarriageService(clerk_ctx).register_case(MarriageCase.from_dict(MARRIAGE)).record_id
    clock.set(TODAY)
    return record_id


class PdfRecorder:
    def __init__(self):
        self.opened: list[tuple[str, bytes]] = []

    def __call__(self, data: bytes, name: str) -> None:
        self.opened.append((name, data))

    def last_text(self) -> str:
        data = self.opened[-1][1]
        return "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).replace("\n", "").replace(" ", "")


def _make_window(ctx) -> MainWindow:
    win = MainWindow(AppState(ctx=ctx, prompter=RecordingPrompter()))
    win.resize(1280, 800)
    win.show()
    win.show_page("divorce")
    return win


def _close(win: MainWindow) -> None:
    win.idle_timer.stop()
    win.close()
    win.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@pytest.fixture
def window(qtbot, clerk_ctx, marriage_id):
    win = _make_window(clerk_ctx)
    yield win
    _close(win)


@pytest.fixture
def page(window) -> DivorcePage:
    p = window.page("divorce")
    assert isinstance(p, DivorcePage)
    p.open_pdf = PdfRecorder()
    return p


def click(qtbot, button) -> None:
    assert button.isEnabled() and button.isVisible(), (button.text(), button.toolTip())
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def choose(qtbot, combo, value) -> None:
    """Home, then down-arrow through a closed combo box until it shows `value` (its item data)."""
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Home)
    for _ in range(combo.count()):
        if combo.currentData() == value:
            return
        qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert combo.currentData() == value


def tick(qtbot, box) -> None:
    box.setFocus()
    qtbot.keyClick(box, Qt.Key.Key_Space)


def fill_example(qtbot, page: DivorcePage) -> None:
    for form, key in ((page.party1, "party1"), (page.party2, "party2")):
        type_into(qtbot, form.name.edit, EXAMPLE[key]["name"])
        qtbot.keyClicks(form.id_number.edit, EXAMPLE[key]["id_number"])
    for key in ("party1", "party2"):
        choose(qtbot, page.certificates[key], EXAMPLE["certificates"][key])
        choose(qtbot, page.capacity[key], "yes")
    agreement = page.agreement
    choose(qtbot, agreement.will, "yes")
    tick(qtbot, agreement.has_children)
    for table, key in ((agreement.children, "children"), (agreement.property, "property"),
                       (agreement.debts, "debts")):
        for item in EXAMPLE["agreement"][key]:
            click(qtbot, table.add_button)
            row = table.table.rowCount() - 1
            for field, value in item.items():
                table.set_cell(row, field, str(value))
    agreement.signed_text.setFocus()
    agreement.signed_text.insertPlainText(EXAMPLE["agreement"]["signed_text"])


def select_row(qtbot, page: DivorcePage, app_id: int) -> None:
    view = page.worklist.view
    model = page.worklist.model
    row = next(r for r, d in enumerate(model.rows()) if d["application_id"] == app_id)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.visualRect(model.index(row, 0)).center())
    assert page.worklist.selected_id() == app_id


def test_application_cooling_off_and_issue_through_the_page(qtbot, page, window, clerk_ctx, supervisor_ctx,
                                                            clock, qtmodeltester, tmp_path):
    BlankStock(supervisor_ctx).receive("divorce", "L0000001", "L0000010")
    fill_example(qtbot, page)
    assert page.collect()["agreement"]["children"][0] == {**EXAMPLE["agreement"]["children"][0]}
    click(qtbot, page.primary)

    assert page.application is not None, page.panel.text()
    app_id = page.application["application_id"]
    shown = page.deadlines.text()
    for text in ("2026年6月15日", "冷静期届满：2026年7月15日", "2026年7月16日 至 2026年8月14日"):
        assert text in shown
    assert "J320102-2024-000001" in page.marriage_found.text()
    assert not page.form_body.isEnabled()

    click(qtbot, page.print_slip_button)
    name, _pdf = page.open_pdf.opened[-1]
    assert name == f"divorce-slip-{app_id}.pdf"
    slip = page.open_pdf.last_text()
    assert "张伟" in slip and "李娜" in slip and "2026年07月15日" in slip and "2026年08月14日" in slip

    page.tabs.setCurrentIndex(1)
    model = page.worklist.model
    qtmodeltester.check(model)
    assert model.rowCount() == 1
    row = model.row(0)
    assert (row["application_id"], row["phase_zh"], row["days_left"]) == (app_id, "冷静期", 30)
    assert model.index(0, 3).data() == "冷静期"
    assert "30 天" in model.index(0, 6).data()
    select_row(qtbot, page, app_id)
    issue_button = page.worklist.issue_button
    assert not issue_button.isEnabled()
    assert "冷静期未届满" in issue_button.toolTip() and "2026年7月16日" in issue_button.toolTip()
    assert "冷静期未届满" in page.worklist.issue_reason.text()
    assert page.worklist.withdraw_button.isEnabled()

    window.grab().save(str(tmp_path / "divorce-worklist.png"))

    clock.set(WINDOW_OPENS)
    click(qtbot, page.worklist.refresh_button)
    qtmodeltester.check(model)
    assert page.worklist.selected_id() == app_id
    assert model.row(0)["phase_zh"] == "待领证"
    assert issue_button.isEnabled() and issue_button.toolTip() == ""
    assert not page.worklist.withdraw_button.isEnabled()
    assert "冷静期" in page.worklist.withdraw_button.toolTip()

    wl = page.worklist
    click(qtbot, issue_button)                          # nothing recorded yet: refused, every reason listed
    assert "BOTH_MUST_APPEAR" in wl.message.text() and "QUESTIONING_NOT_RECORDED" in wl.message.text()
    tick(qtbot, wl.both_present)
    for key, text in (("party1", "男方称自愿离婚，对协议无异议"), ("party2", "女方称自愿离婚，对协议无异议")):
        wl.questioning[key].setFocus()
        wl.questioning[key].insertPlainText(text)
    tick(qtbot, wl.signed)
    qtbot.keyClicks(wl.serials[0], "L0000001")
    qtbot.keyClicks(wl.serials[1], "L0000002")
    click(qtbot, issue_button)
    assert wl.certificate_number.isVisible()
    assert "L320102-2026-000001" in wl.certificate_number.text()
    assert "J320102-2024-000001" in wl.message.text()
    assert model.rowCount() == 0
    assert DivorceService(clerk_ctx).view(app_id)["status"] == "issued"
    assert [s[1] for s in window.state.prompter.shown if s[0] == "confirm"] == ["发给离婚证"] * 2


def test_withdrawal_by_party_two_through_the_page(qtbot, page, clerk_ctx, marriage_id):
    case = {**EXAMPLE, "marriage": {"record_id": marriage_id}}
    app_id = DivorceService(clerk_ctx).apply(case)["application_id"]
    page.tabs.setCurrentIndex(1)
    wl = page.worklist
    select_row(qtbot, page, app_id)
    assert not wl.print_withdrawal_button.isEnabled()
    choose(qtbot, wl.withdraw_party, 2)
    assert "李娜" in wl.withdraw_party.currentText()
    tick(qtbot, wl.slip_lost)                 # slip lost: a written note is needed
    click(qtbot, wl.withdraw_button)
    assert "WRITTEN_NOTE_REQUIRED" in wl.message.text()
    type_into(qtbot, wl.withdraw_note, "回执单不慎遗失，本人书面说明撤回")
    choose(qtbot, wl.withdraw_party, 2)
    click(qtbot, wl.withdraw_button)
    assert "已由申请人二" in wl.message.text()
    assert wl.model.rowCount() == 0
    assert DivorceService(clerk_ctx).view(app_id)["status"] == "withdrawn"

    click(qtbot, wl.print_withdrawal_button)
    assert page.open_pdf.opened[-1][0] == f"divorce-withdrawal-{app_id}.pdf"
    text = page.open_pdf.last_text()
    assert "撤回申请人李娜" in text and "另一方当事人张伟" in text


def test_refusal_lists_reasons_and_prints_the_notice(qtbot, page, clerk_ctx):
    fill_example(qtbot, page)
    choose(qtbot, page.capacity["party2"], "no")      # 女方 lacks full capacity: a legal refusal
    page.agreement.signed_text.clear()               # missing input: to complete, no ground to refuse
    assert not page.print_refusal_button.isEnabled()
    click(qtbot, page.primary)
    assert page.application is None
    codes = {i.code for i in page.panel.issues}
    assert codes == {"LACKS_CAPACITY", "AGREEMENT_TEXT_MISSING"}
    assert page.panel.header.text().startswith("不予受理")
    assert page.capacity_slots["party2"].error.isVisible()
    assert "完全民事行为能力" in page.capacity_slots["party2"].error.text()
    click(qtbot, page.print_refusal_button)
    text = page.open_pdf.last_text()
    assert "不予受理告知书" in text and "张伟、李娜" in text and "LACKS_CAPACITY" in text
    assert "AGREEMENT_TEXT_MISSING" not in text
    assert DivorceService(clerk_ctx).pending() == []
    # the parties say capacity was misread: once corrected, only missing input is left, no notice
    choose(qtbot, page.capacity["party2"], "yes")
    qtbot.waitUntil(lambda: {i.code for i in page.panel.issues} == {"AGREEMENT_TEXT_MISSING"}, timeout=3000)
    assert not page.print_refusal_button.isEnabled()
    assert page.capacity_slots["party2"].error.isHidden()


def test_missing_input_is_no_refusal_and_errors_clear_as_the_clerk_fixes_them(qtbot, page, clerk_ctx):
    fill_example(qtbot, page)
    choose(qtbot, page.capacity["party1"], "")        # skipped: never read as "no capacity"
    choose(qtbot, page.agreement.will, "")
    qtbot.waitUntil(lambda: "CAPACITY_NOT_CONFIRMED" in page.panel.text(), timeout=3000)
    assert not page.capacity_slots["party1"].error.isVisible()  # still filling in: listed, not red yet
    click(qtbot, page.primary)
    assert page.application is None
    assert {i.code for i in page.panel.issues} == {"CAPACITY_NOT_CONFIRMED", "AGREEMENT_WILL_MISSING"}
    assert not page.panel.header.text().startswith("不予受理")
    assert not page.print_refusal_button.isEnabled()  # nothing to print for missing input
    assert page.capacity_slots["party1"].error.isVisible()

    choose(qtbot, page.capacity["party1"], "yes")     # each fix clears its error without resubmitting
    qtbot.waitUntil(lambda: page.capacity_slots["party1"].error.isHidden(), timeout=3000)
    assert [i.code for i in page.panel.issues] == ["AGREEMENT_WILL_MISSING"]
    choose(qtbot, page.agreement.will, "yes")
    qtbot.waitUntil(lambda: "符合受理条件" in page.panel.text(), timeout=3000)
    click(qtbot, page.primary)
    assert page.application is not None


def test_marriage_registered_elsewhere_and_not_in_the_mainland(qtbot, page):
    fill_example(qtbot, page)
    click(qtbot, page.marriage_elsewhere)
    choose(qtbot, page.registered_in, "abroad")
    type_into(qtbot, page.office_name.edit, "某国某市婚姻登记机关")
    qtbot.keyClicks(page.certificate_no.edit, "X-2019-0001")
    assert page.collect()["marriage"] == {"registered_elsewhere": {
        "registered_in": "abroad", "office_name": "某国某市婚姻登记机关", "certificate_no": "X-2019-0001",
        "archive_no": "", "registration_date": None}}
    click(qtbot, page.primary)
    assert [i.code for i in page.panel.issues] == ["MARRIAGE_NOT_MAINLAND"]
    assert page.registered_in_slot.error.isVisible()
    choose(qtbot, page.registered_in, "mission")
    click(qtbot, page.primary)
    assert page.application is not None, page.panel.text()


def test_overdue_applications_expire_when_the_page_is_created(qtbot, db, ctx_for, clock, marriage_id):
    clerk = ctx_for("clerk")
    case = {**EXAMPLE, "marriage": {"record_id": marriage_id}}
    app_id = DivorceService(clerk).apply(case)["application_id"]
    clock.set(COLLECT_BY + dt.timedelta(days=1))
    win = _make_window(clerk)
    try:
        page = win.page("divorce")
        assert win.hourly.isActive() and win.hourly.interval() == HOURLY_MS  # the one schedule
        assert not hasattr(page, "expiry_timer")
        assert DivorceService(clerk).view(app_id)["status"] == "expired"
        assert page.worklist.model.rowCount() == 0
    finally:
        _close(win)


def test_an_administrator_sees_why_there_is_no_list(qtbot, admin_ctx):
    win = _make_window(admin_ctx)
    try:
        page = win.page("divorce")
        assert page.worklist.model.rowCount() == 0
        assert "无权" in page.worklist.empty.text()
    finally:
        _close(win)


def test_page_renders_readably_at_1280x800(qtbot, page, window, tmp_path):
    fill_example(qtbot, page)
    QApplication.processEvents()
    for name, scroll in (("divorce-form-top.png", 0), ("divorce-form-agreement.png", 10_000)):
        page.form_scroll.verticalScrollBar().setValue(scroll)
        QApplication.processEvents()
        image = window.grab()
        assert (image.width(), image.height()) == (1280, 800)
        assert image.save(str(tmp_path / name))
    # the side column keeps its buttons on screen
    for button in (page.primary, page.print_slip_button, page.print_refusal_button):
        assert button.isVisible()
        assert window.rect().contains(button.mapTo(window, button.rect().bottomRight()))


def test_the_default_viewer_shows_the_document_in_the_client_and_prints_it(qtbot):
    from registry_app.certificates import FormView, render_form
    from ui.workflows.certificates_printing import RecordingPrintTarget
    from ui.document_viewer import InAppPdfViewer

    pdf = render_form(FormView(kind="notice", title="测试文书", office_name="玄武区婚姻登记处",
                               fields=[("申请人", "张三")], paragraphs=["内容"], signature_lines=[]))
    target = RecordingPrintTarget()
    viewer = InAppPdfViewer(print_target=target)
    dialog = viewer(pdf, "离婚登记申请受理回执单")
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.preview.page_count() == 1, timeout=10000)
    assert dialog.print_document() == 1
    assert [(t, n) for t, n, _pdf in target.printed] == [("离婚登记申请受理回执单", 1)]
