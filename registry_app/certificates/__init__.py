"""Certificates and forms as PDF, layouts of the pre-printed blanks, printer calibration, and
the signed QR payload. Services fill the views; these modules only print and verify."""
from registry_app.certificates.calibration import Calibration, calibration_sheet_pdf
from registry_app.certificates.layout import Layout, load_layout, parse_layout
from registry_app.certificates.qr import (
    KIND_CODES,
    QrFields,
    VerifyResult,
    extract_payload_from_pdf,
    fields_for_certificate,
    holders_digest,
    make_payload,
    qr_png,
    verify_payload,
)
from registry_app.certificates.render import render_certificate, render_form, render_many
from registry_app.certificates.views import CERTIFICATE_KINDS, CertificateView, FormView, PartyView

__all__ = [
    "CERTIFICATE_KINDS", "KIND_CODES", "Calibration", "CertificateView", "FormView", "Layout", "PartyView",
    "QrFields", "VerifyResult", "calibration_sheet_pdf", "extract_payload_from_pdf", "fields_for_certificate",
    "holders_digest", "load_layout", "make_payload", "parse_layout", "qr_png", "render_certificate",
    "render_form", "render_many", "verify_payload",
]
