"""Certificates and forms for a record: fill the views from the archive, sign the QR with the
office key, render to memory (never a temporary file), log every print, verify a scanned payload."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import func, select

from registry_app.certificates import (
    KIND_CODES,
    Calibration,
    CertificateView,
    PartyView,
    extract_payload_from_pdf,
    fields_for_certificate,
    forms,
    make_payload,
    render_certificate,
    render_form,
    render_many,
    verify_payload,
)
from registry_app.certificates.form_pdf import render_forms
from registry_app.domain.field_rules import valid_record_id
from registry_app.domain.parties import PRIOR_STATUSES
from registry_app.domain.roles import Permission, can
from registry_app.domain.states import CertificateState, RecordKind
from registry_app.errors import (
    AuthenticationFailed,
    InvalidState,
    NotFound,
    PermissionDenied,
    RegistryError,
)
from registry_app.fsutil import write_atomic
from registry_app.services import audit
from registry_app.services.accounts import Accounts
from registry_app.services.context import AppContext
from registry_app.services.office_keys import active_office_key, office_public_keys
from registry_app.services.settings import load_settings
from registry_app.storage.models import (
    Certificate,
    Document,
    PrinterCalibration,
    PrintJob,
    Record,
    User,
)

_KIND_OF_TYPE = {code: kind for kind, code in KIND_CODES.items()}  # certificate type -> booklet layout
# certificates of which each holder gets a booklet (an adoption certificate is one)
_ONE_BOOKLET_EACH = ("marriage", "divorce", "reissue_marriage", "reissue_divorce")


def _party_view(p) -> PartyView:
    return PartyView(p.name, p.sex or "", p.nationality, p.birth_date, p.id_type, p.id_number or "",
                     (p.data or {}).get("ethnicity", ""))


def certificate_views(s, rec: Record, cert: Certificate) -> list[CertificateView]:
    """One view per booklet of `cert` (each holder of a marriage or divorce certificate has one), with the
    QR payload signed by the office key: everything a print needs, read in the caller's transaction."""
    settings = load_settings(s)
    kind = _KIND_OF_TYPE[cert.cert_type]
    if kind.startswith("adoption"):
        holders = [_party_view(p) for p in rec.parties if p.role.startswith("adopter")]
        adoptee = next((_party_view(p) for p in rec.parties if p.role == "adoptee"), None)
        extra = {"adoptee": adoptee} if adoptee else {}
    else:
        holders = [_party_view(p) for p in rec.parties[:2]]
        extra = {}
    photo = None
    doc_id = (rec.data or {}).get("photo_document_id")
    if doc_id:
        doc = s.get(Document, doc_id)
        photo = doc.content if doc else None
    serials = (cert.data or {}).get("blank_serials") or [cert.blank_serial or ""]
    base = CertificateView(kind=kind, number=cert.number, registration_date=cert.issued_on,
                           office_name=settings.office_name, office_code=settings.office_code, holders=holders,
                           remarks=(rec.data or {}).get("remarks", ""), photo=photo, extra=extra,
                           training=settings.training)
    _key_id, private = active_office_key(s)
    base.qr_payload = make_payload(fields_for_certificate(base), private)
    bearers = range(len(holders)) if kind in _ONE_BOOKLET_EACH else [0]
    views = []
    for i in bearers:
        serial = serials[i] if i < len(serials) else ""
        views.append(CertificateView(**{**base.__dict__, "bearer_index": i, "blank_serial": serial or ""}))
    return views


def valid_certificate(s, record_id: int) -> tuple[Record, Certificate]:
    """The record and its valid certificate (the latest issued); RECORD_NOT_FOUND, NO_VALID_CERTIFICATE."""
    rec = s.get(Record, record_id) if valid_record_id(record_id) else None
    if rec is None:
        raise NotFound(f"记录不存在：{record_id}", code="RECORD_NOT_FOUND")
    cert = s.execute(select(Certificate).where(Certificate.record_id == record_id,
                                               Certificate.status == CertificateState.ISSUED)
                     .order_by(Certificate.id.desc())).scalars().first()
    if cert is None:
        raise RegistryError("该记录没有有效的证书", code="NO_VALID_CERTIFICATE")
    return rec, cert


def load_calibration(s, name: str | None) -> Calibration | None:
    """A saved printer correction by name (None: print uncorrected); CALIBRATION_NOT_FOUND."""
    if not name:
        return None
    row = s.get(PrinterCalibration, name)
    if row is None:
        raise NotFound(f"打印机校准“{name}”不存在", code="CALIBRATION_NOT_FOUND")
    return Calibration(row.name, row.dx_mm, row.dy_mm, row.scale)


def still_valid(s, cert_id: int, number: str) -> Certificate:
    """Re-read in the write that logs a print: the certificate read before the PDF was built must still be
    valid (a supervisor may have voided it, or a reissue replaced it, in between)."""
    cert = s.get(Certificate, cert_id)
    if cert is None or cert.status != CertificateState.ISSUED:
        raise InvalidState(f"证书{number}在打印期间已失效，请重新打印", code="CERTIFICATE_VOIDED")
    return cert


def _render_certificate(views: list[CertificateView], cal: Calibration | None, on_blank: bool) -> bytes:
    return render_many(views, calibration=cal, on_blank=on_blank) if len(views) > 1 \
        else render_certificate(views[0], calibration=cal, on_blank=on_blank)


def _staff_name(s, username: str | None) -> str:
    """A staff member's name for a form (records keep the login name)."""
    if not username:
        return ""
    return s.execute(select(User.display_name).where(User.username == username)).scalar() or username


def _form_views(s, record_id: int, with_declarations: bool = False) -> list:
    """The review form (结婚登记审查处理表); with the two declarations (申请结婚登记声明书, or the
    补办 version) before it, for signing in front of the registrar at 受理/审查."""
    rec = s.get(Record, record_id) if valid_record_id(record_id) else None
    if rec is None or rec.kind != RecordKind.MARRIAGE:
        raise NotFound("只有结婚登记记录有声明书和审查处理表", code="RECORD_NOT_FOUND")
    settings = load_settings(s)
    parties = [_party_view(p) for p in rec.parties[:2]]
    statuses = [PRIOR_STATUSES.get((p.data or {}).get("prior_status", ""), "") for p in rec.parties[:2]]
    data = rec.data or {}
    review = forms.marriage_review_form(
        parties, office_name=settings.office_name, marital_statuses=statuses,
        application_date=rec.application_date or rec.created_at.date(), registration_date=rec.registration_date,
        number=rec.certificate_no or "", blank_serial="", documents="居民身份证、申请结婚登记声明书、双方合影照片",
        remarks=data.get("remarks", ""), reference=rec.archive_no or "",  # the archive number, once there is one
        registrar=_staff_name(s, rec.created_by), witness=_staff_name(s, data.get("witness")))
    review.training = settings.training
    if not with_declarations:
        return [review]
    began = dt.date.fromisoformat(data["union_began"]) if data.get("union_began") else None
    declarations = []
    for i, (party, row) in enumerate(zip(parties, rec.parties[:2])):
        extra = row.data or {}
        declarations.append(forms.marriage_declaration(
            party, parties[1 - i].name, office_name=settings.office_name, marital_status=statuses[i],
            occupation=extra.get("occupation", ""), education=extra.get("education", ""),
            residence=extra.get("residence", ""), cohabiting_since=began))
    for view in declarations:
        view.training = settings.training
    return declarations + [review]


class CertificatePrinting:
    """Printing runs in three steps so a long render never holds the write lock other counters wait for:
    read what the PDF needs (a read transaction), build the PDF outside any transaction, then log the print
    and its audit entry in one short write."""

    def __init__(self, ctx: AppContext):
        self.ctx = ctx

    def render(self, record_id: int, kind: str = "certificate", *, calibration: str | None = None,
               on_blank: bool = False, approved_by: str | None = None,
               approver_password: str | None = None, out: str | Path | None = None) -> bytes:
        """Render a record's certificate (each holder's booklet one page) or its review form. A print of
        the certificate after the first is a numbered copy and needs a supervisor.

        With `out`, the PDF is written there (atomically) inside the print's write transaction, before it
        commits: a PDF that cannot be written (a full disk) rolls the print log back, so no copy number is
        used up without a PDF, and a commit that fails removes the file again."""
        self.ctx.require(Permission.PRINT)
        if kind in ("form", "declarations"):
            with self.ctx.db.read() as s:
                views = _form_views(s, record_id, with_declarations=kind == "declarations")
            pdf = render_forms(views) if len(views) > 1 else render_form(views[0])

            def log(s) -> None:
                audit.record(self.ctx, s, "form.rendered", "record", record_id)
        else:
            with self.ctx.db.read() as s:
                rec, cert = valid_certificate(s, record_id)
                views = certificate_views(s, rec, cert)
                cal = load_calibration(s, calibration)
                cert_id, number = cert.id, cert.number
            pdf = _render_certificate(views, cal, on_blank)

            def log(s) -> None:
                cert = still_valid(s, cert_id, number)
                if not on_blank:
                    self.log_print(s, cert, approved_by, approver_password)
                audit.record(self.ctx, s, "certificate.rendered", "certificate", number,
                             {"on_blank": on_blank, "calibration": calibration})
        written: Path | None = None
        try:
            with self.ctx.db.write() as s:
                log(s)
                if out is not None:
                    s.flush()  # every statement has run: what is left to fail is the commit itself
                    written = write_atomic(out, pdf)
        except BaseException:
            if written is not None:
                written.unlink(missing_ok=True)
            raise
        return pdf

    def log_print(self, s, cert: Certificate, approved_by: str | None = None,
                  approver_password: str | None = None) -> int:
        """Log one print of `cert` in the caller's transaction and return its copy number. The first
        print is copy 1; any later one is a reprint approved by a supervisor: the supervisor printing it
        themselves, or one who confirms with their own password here (checked in this service, so the
        command line and any caller get the same four-eyes rule as the page)."""
        user = self.ctx.require(Permission.PRINT)
        copies = s.execute(select(func.count()).select_from(PrintJob)
                           .where(PrintJob.certificate_id == cert.id)).scalar()
        approver = None
        if copies >= 1:
            if can(user.role, Permission.APPROVE_REPRINT) and approved_by in (None, user.username):
                approver = user.username
            elif not approved_by:
                raise PermissionDenied("补打证书须经负责人批准", code="REPRINT_NEEDS_SUPERVISOR")
            elif approved_by == user.username:
                raise PermissionDenied("不能自行批准补打", code="REPRINT_NEEDS_SUPERVISOR")
            else:
                approver = Accounts(self.ctx).check_approver(s, approved_by, approver_password,
                                                             Permission.APPROVE_REPRINT).username
            audit.record(self.ctx, s, "certificate.reprint_approved", "certificate", cert.number,
                         {"approved_by": approver, "copy_no": copies + 1})
        s.add(PrintJob(certificate_id=cert.id, copy_no=copies + 1, blank_serial=cert.blank_serial,
                       printed_by=user.username, approved_by=approver, printed_at=self.ctx.clock.now()))
        return copies + 1

    def preview(self, record_id: int, *, calibration: str | None = None, on_blank: bool = False) -> bytes:
        """The certificate as it would print, for the screen: not a print, so nothing is logged as a
        copy; the view of the holders' data is audited."""
        self.ctx.require(Permission.PRINT)
        with self.ctx.db.read() as s:
            rec, cert = valid_certificate(s, record_id)
            views = certificate_views(s, rec, cert)
            cal = load_calibration(s, calibration)
            number = cert.number
        pdf = render_many(views, calibration=cal, on_blank=on_blank)
        with self.ctx.db.write() as s:
            audit.record(self.ctx, s, "certificate.previewed", "certificate", number,
                         {"on_blank": on_blank, "calibration": calibration})
        return pdf

    def reprint_needed(self, record_id: int) -> bool:
        """Has the record's valid certificate been printed already (so the next print is a reprint)?"""
        self.ctx.require(Permission.PRINT)
        with self.ctx.db.read() as s:
            _rec, cert = valid_certificate(s, record_id)
            return bool(s.execute(select(func.count()).select_from(PrintJob)
                                  .where(PrintJob.certificate_id == cert.id)).scalar())

    def approve_reprint(self, username: str, password: str) -> str:
        """The supervisor's approval given at the counter, checked before the print is sent: their
        password is verified as Accounts.check_approver does (failures count towards their lock-out and
        are audited) and the account must be allowed to approve reprints. Returns the approving user
        name; raises AuthenticationFailed or PermissionDenied. (render() checks the password again inside
        the print transaction.)"""
        self.ctx.require(Permission.PRINT)
        if not username or not password:
            raise AuthenticationFailed("请输入负责人的用户名和密码", code="APPROVAL_INCOMPLETE")
        with self.ctx.db.write() as s:
            return Accounts(self.ctx).check_approver(s, username, password, Permission.APPROVE_REPRINT).username

    def verify(self, payload: str | None = None, pdf: bytes | None = None) -> dict:
        """Offline verification with this office's public keys (all of them: rotation keeps old ones)."""
        if payload is None and pdf is not None:
            payload = extract_payload_from_pdf(pdf)
            if payload is None:
                return {"valid": False, "reason_code": "NO_QR", "reason": "PDF中未找到二维码"}
        with self.ctx.db.read() as s:
            keys = office_public_keys(s)

            def revoked(number: str) -> str | None:
                cert = s.execute(select(Certificate).where(Certificate.number == number)).scalar_one_or_none()
                if cert is None or cert.status == CertificateState.ISSUED:
                    return None
                return f"本机关记录显示该证书已失效（{cert.void_reason or CertificateState.label(cert.status)}）"

            result = verify_payload(payload or "", keys, revoked)
        out = {"valid": result.valid, "reason_code": result.reason_code, "reason": result.reason}
        if result.fields is not None:
            f = result.fields
            out.update({"certificate_no": f.number, "kind": f.kind_code, "registration_date": f.registration_date.isoformat(),
                        "office_code": f.office_code})
        return out
