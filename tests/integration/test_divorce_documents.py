"""The printed documents of divorce by agreement, read back from the PDF with pypdf."""
from __future__ import annotations

import copy
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from registry_app.errors import InvalidState, Issue, NotFound, PermissionDenied, Refused
from registry_app.services.divorce import DivorceService
from registry_app.services.divorce_documents import DivorceDocuments
from registry_app.services.marriage import MarriageCase, MarriageService
from registry_app.storage.models import AuditEntry
from tests.factories import marriage_case

EXAMPLE = json.loads((Path(__file__).resolve().parents[2] / "resources/examples/divorce-case.json").read_text("utf-8"))


def text_of(pdf: bytes) -> str:
    assert pdf.startswith(b"%PDF")
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).replace("\n", "").replace(" ", "")


@pytest.fixture
def application(clerk_ctx):
    case = marriage_case()
    result = MarriageService(clerk_ctx).register_case(MarriageCase.from_dict(case))
    app = copy.deepcopy(EXAMPLE)
    for key in ("party1", "party2"):
        app[key] = {k: case[key][k] for k in ("name", "sex", "birth_date", "id_type", "id_number")}
    app["marriage"] = {"record_id": result.record_id}
    out = DivorceService(clerk_ctx).apply(app)
    return out["application_id"], app


def _audit_actions(db) -> list[tuple[str, dict]]:
    with db.read() as s:
        return [(e.action, e.detail or {}) for e in s.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars()]


def test_slip_names_both_parties_and_both_deadlines(clerk_ctx, db, application):
    app_id, app = application
    text = text_of(DivorceDocuments(clerk_ctx).acknowledgement_slip(app_id))
    assert "离婚登记申请受理回执单" in text
    for name in (app["party1"]["name"], app["party2"]["name"]):
        assert name in text
    # received Mon 15 June 2026: cooling-off ends 15 July, collect by 14 August
    assert "2026年07月15日" in text or "2026年7月15日" in text
    assert "2026年08月14日" in text or "2026年8月14日" in text
    assert app["party1"]["id_number"] in text
    assert ("form.rendered", {"form": "divorce_acknowledgement"}) in _audit_actions(db)


@pytest.mark.parametrize("party", [1, 2])
def test_withdrawal_confirmation_names_the_withdrawing_party(clerk_ctx, db, application, party):
    app_id, app = application
    DivorceService(clerk_ctx).withdraw(app_id, party)
    text = text_of(DivorceDocuments(clerk_ctx).withdrawal_confirmation(app_id))
    withdrawing, other = app[f"party{party}"], app[f"party{3 - party}"]
    assert "撤回离婚登记申请确认单" in text
    assert f"撤回申请人{withdrawing['name']}" in text
    assert withdrawing["id_number"] in text
    assert f"另一方当事人{other['name']}" in text
    assert ("form.rendered", {"form": "divorce_withdrawal", "by_party": party}) in _audit_actions(db)


def test_no_confirmation_for_an_application_not_withdrawn(clerk_ctx, application):
    app_id, _ = application
    with pytest.raises(InvalidState) as err:
        DivorceDocuments(clerk_ctx).withdrawal_confirmation(app_id)
    assert err.value.code == "NOT_WITHDRAWN"
    with pytest.raises(NotFound):
        DivorceDocuments(clerk_ctx).acknowledgement_slip(app_id + 999)


def test_refusal_notice_lists_every_reason(clerk_ctx, db, application):
    _, app = application
    bad = copy.deepcopy(app)
    bad["capacity"]["party2"] = False
    bad["agreement"]["signed_text"] = ""
    with pytest.raises(Refused) as err:
        DivorceService(clerk_ctx).apply(bad)
    pdf = DivorceDocuments(clerk_ctx).refusal_notice(err.value.issues, ["张伟", "李娜"], dt.date(2026, 6, 15))
    text = text_of(pdf)
    assert "不予受理告知书" in text
    assert "张伟、李娜" in text
    assert {"LACKS_CAPACITY", "AGREEMENT_TEXT_MISSING"} <= set(err.value.codes())
    # the legal ground is on the notice; input still missing is no ground to refuse, so it is not
    assert "LACKS_CAPACITY" in text and "完全民事行为能力" in text
    assert "AGREEMENT_TEXT_MISSING" not in text
    codes = [d.get("codes") for a, d in _audit_actions(db) if a == "form.rendered"]
    assert codes[-1] == [c for c in err.value.codes() if c != "AGREEMENT_TEXT_MISSING"]
    # names are never written to the audit trail for a refused (unstored) application
    assert "张伟" not in json.dumps(_audit_actions(db)[-1], ensure_ascii=False)


@pytest.mark.parametrize("issues, parties, code", [
    ([], ["张伟"], "REFUSAL_REASONS_MISSING"),
    ([Issue("AGREEMENT_TEXT_MISSING", "须附协议书")], ["张伟"], "REFUSAL_REASONS_MISSING"),  # missing input only
    ([Issue("NO_AGREEMENT", "须有协议")], [], "ADDRESSEE_MISSING"),
    ([Issue("NO_AGREEMENT", "须有协议")], ["  "], "ADDRESSEE_MISSING"),
])
def test_refusal_notice_needs_reasons_and_addressees(clerk_ctx, issues, parties, code):
    with pytest.raises(Refused) as err:
        DivorceDocuments(clerk_ctx).refusal_notice(issues, parties)
    assert err.value.codes() == [code]


def test_printing_needs_the_print_permission(admin_ctx, clerk_ctx, application):
    app_id, _ = application
    docs = DivorceDocuments(admin_ctx)
    for call in (lambda: docs.acknowledgement_slip(app_id), lambda: docs.withdrawal_confirmation(app_id),
                 lambda: docs.refusal_notice([Issue("NO_AGREEMENT", "须有协议")], ["张伟"])):
        with pytest.raises(PermissionDenied):
            call()
