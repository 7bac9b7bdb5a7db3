"""A certificate's PDF is built outside any transaction: another counter can write while it is built, and the
print is logged (copy number, audit) in a short write afterwards that checks the certificate is still valid."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

import registry_app.services.certificate_print as certificate_print
from registry_app.errors import InvalidState
from registry_app.services.certificate_print import CertificatePrinting
from registry_app.services.certificate_voiding import CertificateVoiding
from registry_app.services.marriage import MarriageCase, MarriageService
from registry_app.services.printing_setup import PrintingSetup
from registry_app.storage.models import AuditEntry, PrintJob
from tests.factories import marriage_case


def _count(db, model, *where) -> int:
    with db.read() as s:
        return s.execute(select(func.count()).select_from(model).where(*where)).scalar()


@pytest.fixture
def registered(clerk_ctx):
    return MarriageService(clerk_ctx).register_case(MarriageCase.from_dict(marriage_case()))


@pytest.fixture
def during_build(monkeypatch):
    """Run `step` while the certificate's PDF is being built (a marriage certificate: two booklets)."""
    steps = []
    build = certificate_print.render_many

    def render_many(*args, **kwargs):
        for step in steps:
            step()
        return build(*args, **kwargs)

    monkeypatch.setattr(certificate_print, "render_many", render_many)
    return steps.append


def test_another_counter_writes_while_a_certificate_is_built(clerk_ctx, supervisor_ctx, db, registered,
                                                             during_build):
    saved = []
    # a second writer: with the write lock held here it would wait, then fail with DATABASE_LOCKED
    during_build(lambda: saved.append(PrintingSetup(supervisor_ctx).save_calibration("二号窗口", 0.5, -0.5)))
    pdf = CertificatePrinting(clerk_ctx).render(registered.record_id)
    assert pdf.startswith(b"%PDF") and saved[0].dx_mm == 0.5
    assert _count(db, PrintJob) == 1
    assert _count(db, AuditEntry, AuditEntry.action == "certificate.rendered") == 1


def test_nothing_is_logged_before_the_pdf_is_built(clerk_ctx, db, registered, during_build):
    seen = []
    during_build(lambda: seen.append((_count(db, PrintJob),
                                      _count(db, AuditEntry, AuditEntry.action == "certificate.rendered"))))
    CertificatePrinting(clerk_ctx).render(registered.record_id)
    assert seen == [(0, 0)]
    assert (_count(db, PrintJob), _count(db, AuditEntry, AuditEntry.action == "certificate.rendered")) == (1, 1)


def test_a_certificate_voided_while_its_pdf_is_built_is_not_logged(clerk_ctx, supervisor_ctx, db, registered,
                                                                  during_build, tmp_path):
    during_build(lambda: CertificateVoiding(supervisor_ctx).void_certificate(registered.certificate_no, "卡纸"))
    out = tmp_path / "certificate.pdf"
    with pytest.raises(InvalidState) as exc:
        CertificatePrinting(clerk_ctx).render(registered.record_id, out=out)
    assert exc.value.code == "CERTIFICATE_VOIDED"
    assert _count(db, PrintJob) == 0 and not out.exists()
    assert _count(db, AuditEntry, AuditEntry.action == "certificate.rendered") == 0


def test_a_preview_is_built_outside_the_write_lock_too(clerk_ctx, supervisor_ctx, db, registered, during_build):
    saved = []
    during_build(lambda: saved.append(PrintingSetup(supervisor_ctx).save_calibration("三号窗口", 0.0, 0.0)))
    CertificatePrinting(clerk_ctx).preview(registered.record_id)
    assert saved and _count(db, PrintJob) == 0
    assert _count(db, AuditEntry, AuditEntry.action == "certificate.previewed") == 1
