"""The marriage page driven like a clerk would: real widgets, keys and clicks, the real service."""
from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

from registry_app.errors import NotFound
from registry_app.services.marriage import MarriageService
from registry_app.services.stock import BlankStock
from registry_app.storage.models import AuditEntry
from tests.factories import id_number
from tests.ui.conftest import type_into
from ui.main_window import AppState, MainWindow
from ui.prompts import RecordingPrompter
from ui.workflows.marriage_page import ACCEPTED, CORRECT, DONE, FORM, REVIEWED, MarriagePage

MAN_BIRTH = dt.date(1995, 3, 8)
WOMAN_BIRTH = dt.date(1997, 11, 20)


@pytest.fixture
def window(qtbot, clerk_ctx):
    win = MainWindow(AppState(ctx=clerk_ctx, prompter=RecordingPrompter()))
    win.resize(1280, 800)
    win.show()
    win.show_page("marriage")
    yield win
    # Really delete the window (a deleteLater from outside an event loop would keep it, and every
    # later restyle of the application would walk its widgets).
    win.idle_timer.stop()
    win.close()
    win.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@pytest.fixture
def page(window) -> MarriagePage:
    p = window.page("marriage")
    assert isinstance(p, MarriagePage)
    return p


def click(qtbot, button) -> None:
    assert button.isEnabled() and button.isVisible(), button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def fill_party(qtbot, form, name: str, id_no: str, occupation: str = "", residence: str = "") -> None:
    type_into(qtbot, form.name.edit, name)
    qtbot.keyClicks(form.id_number.edit, id_no)
    if occupation:
        type_into(qtbot, form.occupation.edit, occupation)
    if residence:
        type_into(qtbot, form.residence.edit, residence)


def tick(qtbot, box) -> None:
    """Space toggles a check box: the keyboard way."""
    box.setFocus()
    qtbot.keyClick(box, Qt.Key.Key_Space)


def fill_valid_case(qtbot, page, man_id: str | None = None, woman_id: str | None = None) -> tuple[str, str]:
    man_id = man_id or id_number(MAN_BIRTH, "M")
    woman_id = woman_id or id_number(WOMAN_BIRTH, "F")
    fill_party(qtbot, page.party1, "张伟", man_id, "工程师", "江苏省南京市玄武区中山路100号")
    qtbot.keyClicks(page.party1.phone.edit, "13800138000")
    fill_party(qtbot, page.party2, "李娜", woman_id, "教师", "江苏省南京市鼓楼区北京西路8号")
    for key in ("free_will", "no_prohibited_kinship", "no_spouse", "signed"):
        tick(qtbot, page.declarations[key])
    return man_id, woman_id


def photo_file(tmp_path):
    image = QImage(300, 200, QImage.Format.Format_RGB32)
    image.fill(QColor("#c62f2f"))
    path = tmp_path / "joint.png"
    assert image.save(str(path))
    return path


def test_full_registration_through_the_page(qtbot, window, page, clerk_ctx, supervisor_ctx, tmp_path,
                                            monkeypatch):
    BlankStock(supervisor_ctx).receive("marriage", "A00000101", "A00000110")
    prompter = window.state.prompter
    man_id, woman_id = fill_valid_case(qtbot, page)
    # the joint photo through its button (the file dialog answers with a file)
    path = photo_file(tmp_path)
    monkeypatch.setattr("ui.widgets.photo.QFileDialog.getOpenFileName", lambda *a, **k: (str(path), ""))
    click(qtbot, page.photo.button)
    assert page.photo.data == path.read_bytes()
    # the debounced live check
    qtbot.waitUntil(lambda: "符合结婚登记条件" in page.panel.text(), timeout=3000)

    click(qtbot, page.primary)  # 受理
    assert page.step == ACCEPTED and page.record_id is not None
    assert not page.party1.isEnabled() and page.declarations["signed"].isEnabled()
    assert MarriageService(clerk_ctx).view(page.record_id).status == "accepted"

    click(qtbot, page.primary)  # 审查通过
    assert page.step == REVIEWED
    summary = page.summary.text()
    for expected in ("张伟", "李娜", man_id, woman_id, "工程师", "已当面签署", "joint.png", "李登记"):
        assert expected in summary
    assert "clerk" not in summary  # the witness by name, not by login
    qtbot.keyClicks(page.blank_serial.edit, "A00000103")
    assert "A00000103" in page.summary.text()

    with qtbot.waitSignal(window.state.signals.records_changed, timeout=2000):
        click(qtbot, page.primary)  # 登记
    assert page.step == DONE
    assert page.certificate_number.text() == "J320102-2026-000001"
    assert page.certificate_number.isVisible()
    view = MarriageService(clerk_ctx).view(page.result.record_id)
    assert view.status == "registered" and view.certificate_no == "J320102-2026-000001"
    assert view.registration_date == "2026-06-15"
    assert [p["id_number"] for p in view.parties] == [man_id, woman_id]
    assert view.parties[0]["occupation"] == "工程师" and view.parties[0]["phone"] == "13800138000"
    assert view.data["witness"] == "clerk" and view.data["photo_document_id"]
    assert page.result.blank_serial == "A00000103"

    click(qtbot, page.print_button)  # opens the certificates page on this certificate, with its preview
    certificates = window.page("certificates")
    assert window.stack.currentWidget() is certificates
    assert certificates.print_tab.record_edit.text() == "J320102-2026-000001"
    qtbot.waitUntil(lambda: certificates.print_tab.preview_widget.page_count() == 2, timeout=10000)
    window.show_page("marriage")

    qtbot.keyClick(page.print_button, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert page.step == FORM and page.party1.name.text() == "" and page.record_id is None


def test_under_age_is_shown_live_and_accept_refuses(qtbot, page, clerk_ctx):
    # a man born 2005-01-01 is 21 on 2026-06-15: under 22
    fill_valid_case(qtbot, page, man_id=id_number(dt.date(2005, 1, 1), "M"))
    qtbot.waitUntil(lambda: "MARRIAGE_UNDER_AGE" in page.panel.text(), timeout=3000)
    assert "符合结婚登记条件" not in page.panel.text()
    assert "法定婚龄" in page.party1.birth_date.error.text() and page.party1.birth_date.error.isVisible()

    click(qtbot, page.primary)  # 受理
    assert page.step == FORM and page.record_id is None
    assert page.panel.header.text() == "不予受理"
    assert "MARRIAGE_UNDER_AGE" in page.panel.text()
    with pytest.raises(NotFound):
        MarriageService(clerk_ctx).view(1)

    # the clerk corrects the birth date through the ID; the panel follows
    page.party1.id_number.setText("")
    page.party1.birth_date.setText("")
    qtbot.keyClicks(page.party1.id_number.edit, id_number(MAN_BIRTH, "M"))
    assert "符合结婚登记条件" in page.panel.text() or page.run_check() == []
    assert "符合结婚登记条件" in page.panel.text()


def test_a_typed_id_fills_birth_date_and_sex(qtbot, page):
    form = page.party2
    form.sex.setCurrentIndex(0)  # 请选择
    number = id_number(dt.date(1999, 2, 28), "F")
    qtbot.keyClicks(form.id_number.edit, number[:17])
    assert "18位" in form.id_number.error.text() and form.birth_date.text() == ""
    qtbot.keyClicks(form.id_number.edit, number[17])
    assert form.id_number.error.isHidden()
    assert form.birth_date.text() == "1999-02-28"
    assert form.sex.currentText() == "女"

    # a wrong check character is refused as typed
    bad = number[:17] + ("0" if number[17] != "0" else "1")
    page.party1.id_number.setText("")
    qtbot.keyClicks(page.party1.id_number.edit, bad)
    assert "校验位" in page.party1.id_number.error.text()

    # a birth date the clerk typed is not overwritten: a disagreement is reported by the service
    man = page.party1
    man.id_number.setText("")
    qtbot.keyClicks(man.birth_date.edit, "19950309")
    qtbot.keyClicks(man.id_number.edit, id_number(MAN_BIRTH, "M"))
    assert man.birth_date.text() == "19950309"
    page.run_check()
    assert "BIRTH_DATE_MISMATCH" in page.panel.text()
    assert "不符" in man.birth_date.error.text()


def test_keyboard_enter_moves_on_and_ctrl_enter_takes_the_step(qtbot, window, page):
    window.activateWindow()
    qtbot.waitActive(window)
    page.party1.name.edit.setFocus()
    qtbot.keyClick(page.party1.name.edit, Qt.Key.Key_Return)
    assert page.party1.id_type.hasFocus()
    qtbot.keyClick(page.party1.id_type, Qt.Key.Key_Return)
    assert page.party1.id_number.edit.hasFocus()
    page.party1.prior_status.setFocus()
    qtbot.keyClick(page.party1.prior_status, Qt.Key.Key_Tab)
    assert page.party2.name.edit.hasFocus()  # the man's column, then the woman's
    qtbot.keyClick(page.party2.name.edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert page.panel.header.text() == "不予受理" and page.step == FORM
    assert "请输入姓名" in page.party2.name.error.text()  # asked to go on: empty fields are shown now


def test_review_needs_the_signed_declaration_and_cancel_needs_a_reason(qtbot, window, page, clerk_ctx):
    prompter = window.state.prompter
    fill_valid_case(qtbot, page)
    tick(qtbot, page.declarations["signed"])  # untick
    assert not page.declarations["signed"].isChecked()
    click(qtbot, page.primary)
    assert page.step == ACCEPTED
    record_id = page.record_id

    click(qtbot, page.primary)  # 审查通过 without the signed declaration
    assert page.step == ACCEPTED and "DECLARATIONS_NOT_SIGNED" in page.panel.text()
    assert page.declaration_slots["signed"].error.isVisible()

    assert page.cancel_box.isVisible()
    click(qtbot, page.cancel_button)  # no reason
    assert "REASON_REQUIRED" in page.panel.text() and page.cancel_reason.error.isVisible()
    assert MarriageService(clerk_ctx).view(record_id).status == "accepted"

    type_into(qtbot, page.cancel_reason.edit, "当事人放弃登记")
    click(qtbot, page.cancel_button)
    assert prompter.shown[-2][0] == "confirm" and prompter.shown[-1][0] == "inform"
    assert MarriageService(clerk_ctx).view(record_id).status == "cancelled"
    assert page.step == FORM and page.party1.name.text() == "" and not page.cancel_box.isVisible()


def test_supplementary_registration_asks_for_the_union_date(qtbot, page):
    assert page.union_began.isHidden()
    page.variant.setCurrentIndex(page.variant.findData("supplementary"))
    assert page.union_began.isVisible()
    fill_valid_case(qtbot, page)
    page.run_check()
    assert "UNION_BEGAN_REQUIRED" in page.panel.text()
    qtbot.keyClicks(page.union_began.edit, "20200501")
    page.run_check()
    assert "符合结婚登记条件" in page.panel.text()
    click(qtbot, page.primary)
    assert page.step == ACCEPTED


def test_an_unexpected_error_goes_to_the_prompter_not_a_crash(qtbot, window, page, monkeypatch):
    fill_valid_case(qtbot, page)

    def broken(case):
        raise RuntimeError("disk unplugged under 张三")  # the text of a defect may hold a name

    monkeypatch.setattr(page.service, "accept", broken)
    click(qtbot, page.primary)
    assert page.step == FORM
    kind, _title, text = window.state.prompter.shown[-1]
    assert kind == "warn" and "内部错误" in text and "张三" not in text and "unplugged" not in text


def test_a_wrong_blank_serial_is_refused_next_to_the_field(qtbot, page, clerk_ctx):
    fill_valid_case(qtbot, page)
    click(qtbot, page.primary)
    click(qtbot, page.primary)
    assert page.step == REVIEWED
    qtbot.keyClicks(page.blank_serial.edit, "Z999")
    click(qtbot, page.primary)
    assert page.step == REVIEWED and "BLANK_NOT_IN_STOCK" in page.panel.text()
    assert "未入库" in page.blank_serial.error.text()
    page.blank_serial.setText("")
    click(qtbot, page.primary)
    assert page.step == DONE and page.certificate_number.text() == "J320102-2026-000001"


def test_declarations_and_review_form_print_after_acceptance(qtbot, page):
    import io

    from pypdf import PdfReader

    p = page
    opened = []
    p.open_pdf = lambda data, title: opened.append((data, title))
    assert not p.forms_button.isVisible()
    fill_valid_case(qtbot, p)
    qtbot.waitUntil(lambda: "符合结婚登记条件" in p.panel.text(), timeout=3000)
    click(qtbot, p.primary)  # 受理
    assert p.forms_button.isVisible()
    click(qtbot, p.forms_button)
    [(pdf, title)] = opened
    pages = [pg.extract_text() for pg in PdfReader(io.BytesIO(pdf)).pages]
    text = "".join(pages)
    assert text.count("申请结婚登记声明书") >= 2 and "结婚登记审查处理表" in text
    assert "张伟" in text and "李娜" in text and "监誓人" in text


def test_going_back_from_review_corrects_the_same_case(qtbot, page, clerk_ctx):
    """A typo seen at 审查: 返回修改信息 opens the form again, the acceptance number stays, the correction is
    checked again and audited by field; 放弃修改 restores what is stored."""
    fill_valid_case(qtbot, page)
    click(qtbot, page.primary)  # 受理
    click(qtbot, page.primary)  # 审查通过
    assert page.step == REVIEWED
    record_id = page.record_id
    assert page.witness.text() == "clerk" and page.witness_name.text() == "李登记"  # the login, and who it is

    click(qtbot, page.correct_button)
    assert page.step == CORRECT and page.party1.isEnabled() and page.discard_button.isVisible()
    assert f"受理号 {record_id}" in page.banner.text()
    page.party1.name.setText("")
    type_into(qtbot, page.party1.name.edit, "张维")
    click(qtbot, page.discard_button)  # second thoughts: back to the readback, the record untouched
    assert page.step == REVIEWED and page.party1.name.text() == "张伟"

    click(qtbot, page.correct_button)
    page.party1.name.setText("")
    type_into(qtbot, page.party1.name.edit, "张维")
    page.party1.birth_date.setText("")
    qtbot.keyClicks(page.party1.birth_date.edit, "2010-01-01")  # a new mistake: refused at its field
    qtbot.keyClick(page.party1.name.edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert page.step == CORRECT
    assert page.party1.birth_date.error.isVisible()
    page.party1.birth_date.setText("")
    qtbot.keyClicks(page.party1.birth_date.edit, MAN_BIRTH.isoformat())
    qtbot.keyClick(page.party1.name.edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)  # 保存更正
    assert page.step == ACCEPTED and page.record_id == record_id
    assert "受理号" in page.panel.text() and not page.declarations["signed"].isChecked()

    service = MarriageService(clerk_ctx)
    view = service.view(record_id)
    assert view.status == "accepted" and view.parties[0]["name"] == "张维"
    with clerk_ctx.db.read() as s:
        last = s.execute(select(AuditEntry).where(AuditEntry.action == "marriage.corrected")).scalar_one()
        assert last.entity_id == str(record_id) and last.username == "clerk"
        assert last.detail["fields"] == ["party1.name"] and "张维" not in str(last.detail)

    tick(qtbot, page.declarations["signed"])
    click(qtbot, page.primary)  # 审查通过, again
    click(qtbot, page.primary)  # 登记
    assert page.step == DONE and page.result.record_id == record_id
