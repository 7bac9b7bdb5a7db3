"""Certificates printed from a registered record: QR signed by the office key and verified offline."""
from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from registry_app.errors import PermissionDenied
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
