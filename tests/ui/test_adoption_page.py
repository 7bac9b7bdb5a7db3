"""The adoption page: a registration driven through real widgets from the example case, and the
checklist following the case (a step-parent adoption waives CC 1098)."""
from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QPoint, Qt
from sqlalchemy import select

from registry_app.domain.adoption_rules import ADOPTEE_CONSENT_AGE
from registry_app.services.settings import load_settings, save_settings
from registry_app.storage.models import Certificate, Record
from tests.ui.conftest import type_into
from ui.main_window import AppState, MainWindow
from ui.prompts import RecordingPrompter
from ui.workflows.adoption_page import AdoptionPage

EXAMPLE = Path(__file__).resolve().parents[2] / "resources" / "examples" / "adoption-case.json"


def open_page(qtbot, ctx) -> tuple[MainWindow, AdoptionPage]:
    window = MainWindow(AppState(ctx=ctx, prompter=RecordingPrompter()))
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    window.show_page("adoption")
    page = window.page("adoption")
    assert isinstance(page, AdoptionPage)
    return window, page


def choose(combo, value: str) -> None:
    index = combo.findData(value)
    assert index >= 0, value
    combo.setCurrentIndex(index)


def tick(qtbot, box, wanted: bool) -> None:
    if box.isChecked() != wanted:
        # on the box itself: a row-wide check box only reacts on its indicator and text
        qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))
    assert box.isChecked() == wanted


def set_date(qtbot, field, iso: str) -> None:
    """Typed as a clerk types a date: digits only."""
    field.setText("")
    qtbot.keyClicks(field.edit, iso.replace("-", ""))


def fill_from_case(qtbot, page: AdoptionPage, case: dict) -> None:
    choose(page.form.relationship, case["relationship"])
    choose(page.form.adopter_count, str(len(case["adopters"])))
    for form, adopter in zip(page.form.adopter_forms, case["adopters"]):
        type_into(qtbot, form.name, adopter["name"])
        qtbot.keyClicks(form.id_number.edit, adopter["id_number"])
        tick(qtbot, form.able, adopter["able_to_raise"])
        tick(qtbot, form.health, adopter["no_unfit_disease"])
        tick(qtbot, form.record, adopter["no_harmful_criminal_record"])
    tick(qtbot, page.form.spouses_consent, case["consents"]["spouses"])
    child = case["adoptee"]
    type_into(qtbot, page.form.child_name, child["name"])
    qtbot.keyClicks(page.form.child_id.edit, child["id_number"])
    choose(page.form.situation, child["situation"])
    choose(page.form.placing_kind, case["placing"]["kind"])
    tick(qtbot, page.form.in_institution, child["in_welfare_institution"])
    type_into(qtbot, page.form.institution, case["placing"]["names"][0])
    a = case["assessment"]
    type_into(qtbot, page.form.assess_body, a["body"])
    type_into(qtbot, page.form.assessors, "、".join(a["assessors"]))
    tick(qtbot, page.form.assess_by_office, a["performed_by_civil_affairs_office"])
    set_date(qtbot, page.form.assess_started, a["started"])
    set_date(qtbot, page.form.assess_finished, a["finished"])
    type_into(qtbot, page.form.assess_areas, "、".join(a["areas"]))
    choose(page.form.conclusion, a["conclusion"])


def test_one_registration_through_the_page(qtbot, clerk_ctx, db):
    window, page = open_page(qtbot, clerk_ctx)
    case = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    assert not page.can_register()
    assert any(status == "incomplete" for status, _l, _t in page.checklist_rows())
    fill_from_case(qtbot, page, case)
    # the form asks only what the case needs
    assert page.form.adopter_forms[1].isVisible() and page.form.institution.isVisible()
    assert not page.form.father.isVisible() and not page.form.notice_form.isVisible()
    assert not page.form.adopter_forms[0].children.isVisible()  # an orphan: CC 1100 second paragraph
    assert page.form.adopter_forms[0].derived.text() == "男，1988-04-12"
    rows = page.checklist_rows()
    assert rows and not [r for r in rows if r[0] in ("failing", "incomplete")]
    assert ("waived", "免除（依据民法典第1100条第2款）") in {(s, label) for s, label, _t in rows}
    assert page.can_register() and page.register_button.isEnabled()
    # the case the page built is the example, field for field
    built = page.form.case_dict()
    for key in ("relationship", "adopters", "adoptee", "consents", "assessment", "public_notice"):
        assert built[key] == case[key], key
    assert {k: built["placing"][k] for k in case["placing"]} == case["placing"]

    qtbot.mouseClick(page.register_button, Qt.MouseButton.LeftButton)
    assert "SY320102-2026-000001" in page.result.text()
    assert not page.register_button.isEnabled()  # no second registration of the same case
    assert not page.form.isEnabled()
    qtbot.mouseClick(page.print_button, Qt.MouseButton.LeftButton)  # the certificate, on the certificates page
    certificates = window.page("certificates")
    assert window.stack.currentWidget() is certificates
    assert certificates.print_tab.record_edit.text() == "SY320102-2026-000001"
    window.show_page("adoption")
    assert page.state.prompter.shown[0][0] == "confirm"
    with db.read() as s:
        rec = s.execute(select(Record).where(Record.kind == "adoption")).scalar_one()
        assert rec.certificate_no == "SY320102-2026-000001" and rec.status == "registered"
        assert [p.name for p in rec.parties] == ["陈立军", "周晓梅", "党小禾"]
        assert rec.data["assessment"]["assessors"] == ["吴静", "孙海峰"]
        assert s.execute(select(Certificate.number)).scalar_one() == "SY320102-2026-000001"
    qtbot.mouseClick(page.new_button, Qt.MouseButton.LeftButton)
    assert page.form.child_name.text() == "" and page.result.text() == "" and not page.can_register()


def test_step_parent_waives_article_1098(qtbot, clerk_ctx):
    _window, page = open_page(qtbot, clerk_ctx)
    fill_from_case(qtbot, page, json.loads(EXAMPLE.read_text(encoding="utf-8")))
    choose(page.form.relationship, "step_parent")
    # one step-parent adopts; no assessment, no CC 1098 declarations asked, the parent's consent is
    assert not page.form.adopter_forms[1].isVisible() and not page.form.adopter_count.isEnabled()
    assert not page.form.assess_form.isVisible() and not page.form.adopter_forms[0].able.isVisible()
    assert page.form.birth_parent_consent.isVisible()
    rows_1098 = [r for r in page.results if r.article_key.startswith("CC1098")]
    assert len(rows_1098) == 5 and all(r.status.value == "waived" for r in rows_1098)
    shown = [(s, label) for s, label, text in page.checklist_rows() if "民法典第1098条" in text.split("\n")[0]]
    assert len(shown) == 5
    assert all(s == "waived" and label.startswith("免除（依据民法典第1103条") for s, label in shown)
    assert ("STEP_PARENT_CONSENT", "failing") in {(r.code, r.status.value) for r in page.results}
    assert not page.can_register()
    tick(qtbot, page.form.birth_parent_consent, True)
    assert ("STEP_PARENT_CONSENT", "met") in {(r.code, r.status.value) for r in page.results}


def test_office_without_adoption_checks_but_does_not_register(qtbot, clerk_ctx, db):
    with db.write() as s:
        settings = load_settings(s)
        settings.handles_adoption = False
        save_settings(s, settings)
    _window, page = open_page(qtbot, clerk_ctx)
    fill_from_case(qtbot, page, json.loads(EXAMPLE.read_text(encoding="utf-8")))
    assert page.results and not page.register_button.isEnabled()
    assert "未开办收养登记" in page.office_notice.text()


def test_facts_start_empty_and_a_skipped_field_refuses_at_the_field(qtbot, clerk_ctx, db):
    window, page = open_page(qtbot, clerk_ctx)
    form = page.form
    # nothing the clerk did not say: no birth date, no dates of the assessment, no conclusion, no situation
    assert form.child_birth.text() == "" and form.assess_started.text() == "" and form.assess_finished.text() == ""
    assert form.conclusion.currentData() == "" and form.situation.currentData() == ""
    assert form.child_sex.currentData() == ""
    fill_from_case(qtbot, page, json.loads(EXAMPLE.read_text(encoding="utf-8")))
    choose(form.conclusion, "")                 # the clerk skips the conclusion
    slot = form.slots["assessment.conclusion"]
    assert not slot.error.isVisible()           # still filling in: listed, not yet red
    assert any("请选择评估结论" in text for _s, _l, text in page.checklist_rows())
    window.activateWindow()
    qtbot.waitActive(window)
    form.child_name.setFocus()
    qtbot.keyClick(form.child_name, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)  # 登记
    assert slot.error.isVisible() and "评估结论" in slot.error.text()
    assert "不能登记" in page.result.text() and page.registered is None
    assert page.state.prompter.shown == []      # not even asked to confirm
    with db.read() as s:
        assert s.execute(select(Record)).first() is None
    choose(form.conclusion, "unsuitable")      # a failing condition: shown at its field at once
    assert slot.error.isVisible() and "不宜收养" in slot.error.text()
    choose(form.conclusion, "suitable")
    assert slot.error.isHidden()
    qtbot.mouseClick(page.register_button, Qt.MouseButton.LeftButton)
    assert page.registered is not None


def test_a_date_is_typed_and_the_consent_age_comes_from_the_rules(qtbot, clerk_ctx):
    _window, page = open_page(qtbot, clerk_ctx)
    form = page.form
    fill_from_case(qtbot, page, json.loads(EXAMPLE.read_text(encoding="utf-8")))
    form.child_id.setText("")                   # no ID number: sex and birth date are typed
    choose(form.child_sex, "F")
    qtbot.keyClicks(form.child_birth.edit, "2018-0305")
    assert form.child_birth.error.isHidden()
    form.child_birth.edit.editingFinished.emit()
    assert form.child_birth.text() == "2018-03-05"
    assert form.case_dict()["adoptee"]["birth_date"] == "2018-03-05"
    # eight on the registration day (2026-06-15): her own consent is asked, by the rules' age
    assert f"{ADOPTEE_CONSENT_AGE}周岁" in form.adoptee_consent.text() and form.adoptee_consent.isVisible()
    consent = form.slots["consents.adoptee"]
    assert ("ADOPTEE_CONSENT", "failing") in {(r.code, r.status.value) for r in page.results}
    assert consent.error.isVisible() and "同意" in consent.error.text()
    tick(qtbot, form.adoptee_consent, True)
    assert consent.error.isHidden() and page.can_register()
    # a date typed wrong is said at the field
    form.child_birth.setText("")
    qtbot.keyClicks(form.child_birth.edit, "2018-02-30")
    assert form.child_birth.error.isVisible() and not page.can_register()
