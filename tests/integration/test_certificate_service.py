"""Certificates printed from a registered record: QR signed by the office key and verified offline."""
from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from registry_app.errors import PermissionDenied, RegistryError
from registry_app.services.certificate_print import CertificatePrinting
from registry_app.services.marriage import MarriageCase, MarriageService
from tests.factories import marriage_case


def test_render_verify_and_reprint_rules(clerk_ctx, supervisor_ctx):
    case = marriage_case()
    result = MarriageService(clerk_ctx).register_case(MarriageCase.from_dict(case))
    printing = CertificatePrinting(clerk_ctx)
    pdf = printing.render(result.record_id)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 2  # one booklet per spouse
    text = reader.pages[0].extract_text()
    assert case["party1"]["name"] in text and result.certificate_no in text
    verdict = printing.verify(pdf=pdf)
    assert verdict["valid"] and verdict["certificate_no"] == result.certificate_no
    # a second print is a numbered copy that needs a supervisor
    with pytest.raises(PermissionDenied):
        printing.render(result.record_id)
    assert CertificatePrinting(supervisor_ctx).render(result.record_id, approved_by="supervisor")
    form = printing.render(result.record_id, "form")
    assert "结婚登记审查处理表" in PdfReader(io.BytesIO(form)).pages[0].extract_text()


@pytest.mark.parametrize(
    "approved_by, password, code",
    [
        ("supervisor", None, "APPROVER_INVALID"),           # a name alone proves nothing
        ("supervisor", "wrong-pass-123", "APPROVER_INVALID"),
        ("clerk2", "Desk-pass-2026", "NOT_A_SUPERVISOR"),   # a real password, but not a supervisor
        ("clerk", "Desk-pass-2026", "REPRINT_NEEDS_SUPERVISOR"),  # never self-approved by a clerk
        (None, None, "REPRINT_NEEDS_SUPERVISOR"),
    ],
)
def test_reprint_approval_is_checked_in_the_service(clerk_ctx, approved_by, password, code):
    result = MarriageService(clerk_ctx).register_case(MarriageCase.from_dict(marriage_case()))
    printing = CertificatePrinting(clerk_ctx)
    printing.render(result.record_id)
    with pytest.raises(PermissionDenied) as err:
        printing.render(result.record_id, approved_by=approved_by, approver_password=password)
    assert err.value.code == code


@pytest.mark.parametrize("username, password, code", [
    ("", "", "APPROVAL_INCOMPLETE"),
    ("supervisor", "wrong-pass-123", "APPROVER_INVALID"),   # counted and audited (tests/integration/test_access.py)
    ("clerk2", "Desk-pass-2026", "NOT_A_SUPERVISOR"),
])
def test_the_counters_early_approval_check_refuses_with_a_code(clerk_ctx, username, password, code):
    with pytest.raises(RegistryError) as err:
        CertificatePrinting(clerk_ctx).approve_reprint(username, password)
    assert err.value.code == code


def test_the_counters_early_approval_check_names_the_supervisor(clerk_ctx):
    from tests.conftest import PASSWORDS

    assert CertificatePrinting(clerk_ctx).approve_reprint("supervisor", PASSWORDS["supervisor"]) == "supervisor"


def test_reprint_with_the_supervisors_password_is_logged_with_the_approver(clerk_ctx, db):
    from sqlalchemy import select

    from registry_app.storage.models import PrintJob
    from tests.conftest import PASSWORDS

    result = MarriageService(clerk_ctx).register_case(MarriageCase.from_dict(marriage_case()))
    printing = CertificatePrinting(clerk_ctx)
    printing.render(result.record_id)
    printing.render(result.record_id, approved_by="supervisor", approver_password=PASSWORDS["supervisor"])
    with db.read() as s:
        jobs = s.execute(select(PrintJob.copy_no, PrintJob.approved_by).order_by(PrintJob.copy_no)).all()
    assert [tuple(j) for j in jobs] == [(1, None), (2, "supervisor")]
