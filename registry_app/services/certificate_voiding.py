"""Voiding a certificate (spoiled, wrongly printed, wrongly numbered): the number stays on record as
"voided" and is never reused; the blank booklets it was printed on are spoiled; while the record is in
force a replacement with the next number of the same type is issued in the same transaction. Supervisor
only. One transaction, audited, with its sync event; the record holding the certificate is claimed at the
version the page read (services/versions.py: RECORD_CHANGED otherwise)."""
from __future__ import annotations

from sqlalchemy import select

from registry_app.domain.field_rules import text_issues
from registry_app.domain.roles import Permission
from registry_app.domain.states import BlankState, CertificateState
from registry_app.errors import InvalidState, Issue, NotFound, Refused
from registry_app.services import audit, versions
from registry_app.services.context import AppContext
from registry_app.services.events import append_event
from registry_app.services.numbering import allocate
from registry_app.services.registered_records import (
    BOOKLET_OF_TYPE,
    IN_FORCE,
    blank_serials,
    marital_record,
)
from registry_app.services.settings import load_settings
from registry_app.services.stock import use_blank
from registry_app.services.transitions import move
from registry_app.storage.models import BlankCertificate, Certificate


class CertificateVoiding:
    def __init__(self, ctx: AppContext):
        self.ctx = ctx

    def void_certificate(self, certificate_no: str, reason: str, reissue_number: bool = True,
                         blank_serial: str | None = None, *, version: int | None = None) -> dict:
        """Void an issued certificate (spoiled, wrongly printed, wrongly numbered). The number stays on
        record as voided; while the record is in force a replacement with the next number of the same
        type is issued in the same transaction (unless `reissue_number` is False). `version` is that of
        the record holding the certificate, as the page showed it (None: not read first)."""
        user = self.ctx.require(Permission.VOID_CERTIFICATE)
        versions.checked_version(version)
        if not isinstance(reason, str) or not reason.strip():
            raise Refused([Issue("REASON_REQUIRED", "请填写作废原因", "reason")])
        if bad := text_issues(reason, "reason"):
            raise Refused(bad)
        reason = reason.strip()
        today = self.ctx.clock.today()
        with self.ctx.db.write() as s:
            number = str(certificate_no or "").strip().upper()
            record_id = s.execute(select(Certificate.record_id).where(Certificate.number == number)).scalar()
            if record_id is None:
                raise NotFound(f"证书字号不存在：{number}", code="CERTIFICATE_NOT_FOUND")
            # the record first: the certificate is read after the claim, as the record now holds it
            rec = marital_record(s, record_id)
            versions.claim(self.ctx, s, rec, version)
            cert = s.execute(select(Certificate).where(Certificate.number == number)).scalar_one()
            if cert.cert_type not in BOOKLET_OF_TYPE:
                raise Refused([Issue("CERTIFICATE_TYPE_UNSUPPORTED", "此处只作废结婚证、离婚证及其补发证", "certificate_no")])
            if cert.status != CertificateState.ISSUED:
                raise InvalidState(f"证书{number}已失效（{cert.void_reason or CertificateState.label(cert.status)}），不能再作废",
                                   code="CERTIFICATE_NOT_ISSUED")
            in_force = rec.status == IN_FORCE[rec.kind]
            replace = bool(reissue_number) and in_force
            if blank_serial and not replace:
                raise Refused([Issue("BLANK_WITHOUT_REPLACEMENT", "不补发新号时不使用空白证书", "blank_serial")])
            move(self.ctx, s, cert, CertificateState.VOIDED)
            cert.void_reason = reason
            cert.voided_by = user.username
            cert.data = {**(cert.data or {}), "voided_on": today.isoformat()}
            spoiled = []
            for serial in blank_serials(cert):
                blank = s.get(BlankCertificate, serial)
                if blank is not None and blank.status == BlankState.USED and blank.certificate_id == cert.id:
                    move(self.ctx, s, blank, BlankState.SPOILED)
                    blank.spoiled_reason = f"证书{number}作废：{reason}"
                    blank.spoiled_by = user.username
                    blank.changed_at = self.ctx.clock.now()
                    spoiled.append(serial)
            replacement = None
            if replace:
                settings = load_settings(s)
                replacement = allocate(s, cert.cert_type, settings.number_scope, today.year)
                data = {"replaces": number, "blank_serials": [blank_serial] if blank_serial else []}
                if (cert.data or {}).get("reissue"):
                    data["reissue"] = cert.data["reissue"]
                new = Certificate(number=replacement, cert_type=cert.cert_type, record_id=rec.id,
                                  holder_position=cert.holder_position, issued_on=today, status=CertificateState.ISSUED, data=data)
                s.add(new)
                s.flush()
                if blank_serial:
                    use_blank(self.ctx, s, blank_serial, BOOKLET_OF_TYPE[cert.cert_type], new)
                cert.data = {**cert.data, "replaced_by": replacement}
                if rec.certificate_no == number:
                    rec.certificate_no = replacement
                rec.updated_at = self.ctx.clock.now()
            audit.record(self.ctx, s, "certificate.voided", "certificate", number,
                         {"record_id": rec.id, "replacement": replacement, "spoiled_blanks": spoiled}, reason=reason)
            append_event(self.ctx, s, "certificate.voided", rec.id, {
                "kind": rec.kind, "record_uid": rec.uid, "certificate_no": number, "cert_type": cert.cert_type,
                "voided_on": today.isoformat(), "reason": reason, "replacement_no": replacement,
                "replacement_blank_serial": blank_serial if replacement else None, "spoiled_blanks": spoiled})
            return {"certificate_no": number, "status": cert.status, "record_id": rec.id,
                    "replacement_no": replacement, "spoiled_blanks": spoiled}
