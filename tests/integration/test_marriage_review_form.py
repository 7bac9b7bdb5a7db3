"""The marriage review form (结婚登记审查处理表) as printed at 审查 (issue 14 item 13): the archive number
is the record's real one, or nothing until there is one — never a fragment of an internal id — and the
registrar and the witness are named as people, not by their login names."""
from __future__ import annotations

import io

from pypdf import PdfReader

from registry_app.services.certificate_print import CertificatePrinting
from registry_app.services.marriage import MarriageCase, MarriageService
from registry_app.storage.models import Record
from tests.factories import marriage_case


def text_of(pdf: bytes) -> str:
    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).replace("\n", "").replace(" ", "")


def test_review_form_shows_the_archive_number_and_names(clerk_ctx, db):
    service = MarriageService(clerk_ctx)
    record_id = service.accept(MarriageCase.from_dict(marriage_case()))
    service.review(record_id, True)  # the clerk witnesses: stored as the login name "clerk"
    with db.read() as s:
        uid = s.get(Record, record_id).uid
    text = text_of(CertificatePrinting(clerk_ctx).render(record_id, "form"))
    assert "结婚登记审查处理表" in text
    assert "档案编号" not in text and uid[:8] not in text  # no archive number yet: nothing
    assert "受理登记员李登记" in text and "监誓人李登记" in text
    assert "clerk" not in text

    with db.write() as s:
        s.get(Record, record_id).archive_no = "HY-2026-00017"
    assert "档案编号：HY-2026-00017" in text_of(CertificatePrinting(clerk_ctx).render(record_id, "form"))
