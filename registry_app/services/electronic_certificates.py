"""Electronic certificates (电子证照): issue one for a record's valid certificate, and verify one.

Issuing is one transaction: the page is built from the archive (certificate_print.certificate_views, so
the fields are the booklet's), signed, written atomically, noted on the certificate (`data["electronic"]`:
identifier, version, content digest, file digest, who and when) and audited. Verifying checks the PAdES
signature against the office's keys, the credential inside, the identifier's check character, and the
database: the certificate must still be valid (not voided, replaced or invalidated by an annotation) and the
record's content must be what the file shows (a later correction makes it stale).

The GB/T 36903 codes the client cannot know — the authority's unified social credit code and each
certificate type's licence type code from the national catalogue — are office settings
(`registry certificate electronic-settings`), kept as their own rows of the settings table."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from registry_app.certificates import pades
from registry_app.certificates.electronic import (
    LicenceData,
    claims_to_be_electronic,
    prepare_writer,
    read_licence_metadata,
    render_page,
)
from registry_app.certificates.formatting import display
from registry_app.certificates.licence import (
    LicenceId,
    issuer_code_problem,
    parse_licence_id,
    serial_of,
)
from registry_app.certificates.qr import KIND_CODES, certificate_holders, verify_payload
from registry_app.certificates.views import CERTIFICATE_KINDS, CertificateView
from registry_app.domain.roles import Permission
from registry_app.domain.states import CertificateState
from registry_app.errors import Issue, Refused, RegistryError
from registry_app.fsutil import write_atomic
from registry_app.services import audit
from registry_app.services.certificate_print import (
    CertificatePrinting,
    certificate_views,
    still_valid,
    valid_certificate,
)
from registry_app.services.context import AppContext
from registry_app.services.office_keys import office_public_keys
from registry_app.services.settings import load_settings
from registry_app.storage.digests import claimed_records
from registry_app.storage.models import Certificate, KeyMaterial, Record, Setting

ISSUER_KEY = "ecert_issuer_code"
TYPE_CODES_KEY = "ecert_type_codes"
_TYPE_CODES = ("J", "L", "BJ", "BL", "SY", "JC")


def content_digest(view: CertificateView) -> str:
    """SHA-256 of what the page shows about the people and the registration (not the QR or blank serial)."""
    people = [[p.name, display(p.sex, "sex"), p.nationality, display(p.birth_date), display(p.id_type, "id_type"),
               p.id_number, p.ethnicity] for p in certificate_holders(view)]
    body = {"kind": view.kind, "number": view.number, "date": view.registration_date.isoformat(),
            "office": view.office_name, "people": people, "remarks": view.remarks}
    return hashlib.sha256(json.dumps(body, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()


class ElectronicCertificates:
    def __init__(self, ctx: AppContext):
        self.ctx = ctx

    # --- settings ---------------------------------------------------------------------------------------

    def configure(self, issuer_code: str | None = None, type_codes: dict[str, str] | None = None) -> dict:
        """Set the authority's credit code and/or licence type codes (J=..., L=...); audited."""
        self.ctx.require(Permission.MANAGE_SETTINGS)
        issues = []
        if issuer_code is not None:
            problem = issuer_code_problem(issuer_code)
            if problem:
                issues.append(Issue("ECERT_ISSUER_CODE_INVALID", f"颁证单位代码{problem}", "issuer_code"))
        for kind, code in (type_codes or {}).items():
            if kind not in _TYPE_CODES:
                issues.append(Issue("ECERT_TYPE_UNKNOWN", f"未知的证书种类：{kind}", "type_codes"))
            else:
                try:
                    LicenceId(code, "0", "0", 1)
                except RegistryError:
                    issues.append(Issue("ECERT_TYPE_CODE_INVALID", f"{kind}的证照类型代码应为数字或大写字母", "type_codes"))
        if issues:
            raise Refused(issues)
        with self.ctx.db.write() as s:
            before = _config(s)
            if issuer_code is not None:
                _put(s, ISSUER_KEY, issuer_code)
            if type_codes:
                _put(s, TYPE_CODES_KEY, {**before["type_codes"], **type_codes})
            after = _config(s)
            audit.record(self.ctx, s, "certificate.electronic_settings", "office", load_settings(s).office_code,
                         {"before": before, "after": after})
        return after

    # --- issuing ----------------------------------------------------------------------------------------

    def issue(self, record_id: int, out: Path) -> dict:
        """Issue the electronic certificate of the record's valid certificate to `out` (a PDF)."""
        user = self.ctx.require(Permission.PRINT)
        now = self.ctx.clock.now()
        written: Path | None = None
        try:
            with self.ctx.db.write() as s:
                result = self._issue_in(s, user, now, record_id, Path(out))
                s.flush()  # every statement has run: what is left to fail is the commit itself
                written = write_atomic(Path(out), result.pop("pdf"))
        except BaseException:
            if written is not None:      # not committed: no file for an issue the certificate's log lacks
                written.unlink(missing_ok=True)
            raise
        return result

    def _issue_in(self, s, user, now: dt.datetime, record_id: int, out: Path) -> dict:
        rec, cert = valid_certificate(s, record_id)
        # two counters issuing at once: the second waits here for the first and numbers its version after it
        s.refresh(cert, with_for_update=True)
        cert = still_valid(s, cert.id, cert.number)
        config = _config(s)
        if issuer_code_problem(config["issuer_code"] or ""):
            raise RegistryError("请管理员先设置颁证单位的统一社会信用代码（certificate electronic-settings）",
                                code="ECERT_ISSUER_CODE_MISSING")
        type_code = config["type_codes"].get(cert.cert_type)
        if not type_code:
            raise RegistryError(f"请管理员先设置{CERTIFICATE_KINDS.get(_kind(cert), cert.cert_type)}的证照类型代码",
                                code="ECERT_TYPE_CODE_MISSING")
        view = certificate_views(s, rec, cert)[0]
        view.blank_serial = ""           # the paper booklet's serial is not the electronic one's
        issued = list((cert.data or {}).get("electronic", []))
        licence_id = LicenceId(type_code, config["issuer_code"], serial_of(cert.number), len(issued) + 1)
        people = certificate_holders(view)
        licence = LicenceData(
            licence_name=CERTIFICATE_KINDS[view.kind], type_code=type_code, licence_number=cert.number,
            identifier=str(licence_id), authority=view.office_name, authority_code=config["issuer_code"],
            issue_date=cert.issued_on,
            holders=tuple((p.name, display(p.id_type, "id_type"), p.id_number) for p in people),
            credential=view.qr_payload or "")
        key_row = _active_key_row(s)
        private = Ed25519PrivateKey.from_private_bytes(key_row.private_key)
        signing_cert = pades.office_certificate(private, view.office_name, config["issuer_code"],
                                                key_row.created_at)
        writer = prepare_writer(render_page(view, licence), licence, _aware(now))
        pdf = pades.sign_pdf(writer, private, signing_cert, f"颁发电子证照 {licence_id}")
        entry = {"identifier": str(licence_id), "version": licence_id.version, "content": content_digest(view),
                 "sha256": hashlib.sha256(pdf).hexdigest(), "key_id": key_row.key_id,
                 "issued_at": _aware(now).isoformat(timespec="seconds"), "by": user.username}
        cert.data = {**(cert.data or {}), "electronic": [*issued, entry]}
        # a copy handed out, like a print: sealed into the trail, but no change of the record that
        # another counter's correction or annotation must be refused for (its version is not raised)
        claimed_records(s).add(rec.id)
        audit.record(self.ctx, s, "certificate.electronic_issued", "certificate", cert.number,
                     {"record_id": rec.id, "identifier": str(licence_id), "sha256": entry["sha256"],
                      "file": Path(out).name})
        return {"record_id": record_id, "certificate_no": cert.number, "identifier": str(licence_id),
                "version": licence_id.version, "out": str(out), "bytes": len(pdf), "sha256": entry["sha256"],
                "pdf": pdf}

    # --- verifying --------------------------------------------------------------------------------------

    def verify(self, payload: str | None = None, pdf: bytes | None = None) -> dict:
        """Either format: a signed electronic certificate PDF, or a QR payload / printed PDF (RGC1 or RGC2)."""
        if pdf is not None and _is_electronic(pdf):
            return self.verify_pdf(pdf)
        return CertificatePrinting(self.ctx).verify(payload=payload, pdf=pdf)

    def verify_pdf(self, pdf: bytes) -> dict:
        with self.ctx.db.read() as s:
            keys = office_public_keys(s)
            check = pades.check_signature(pdf, keys)
            out: dict = {"electronic": True, "signature_intact": check.intact, "signature_valid": check.valid,
                         "signed_by_office": check.trusted, "key_id": check.key_id}
            if not (check.intact and check.valid):
                return _verdict(out, "ECERT_SIGNATURE_INVALID", "电子签名校验失败，文件已被改动")
            if not check.trusted:
                return _verdict(out, "ECERT_UNKNOWN_SIGNER", "签名密钥不是本登记机关的密钥")
            if not check.covers_whole_file:
                return _verdict(out, "ECERT_CHANGED_AFTER_SIGNING", "文件在签名之后被追加了内容")
            meta = read_licence_metadata(pdf)
            out.update({"identifier": meta.get("LicenceIdentifier"), "certificate_no": meta.get("LicenceNumber"),
                        "licence_name": meta.get("LicenceName"), "issue_date": meta.get("IssueDate")})
            try:
                parse_licence_id(meta.get("LicenceIdentifier", ""))
            except RegistryError as exc:
                return _verdict(out, exc.code or "LICENCE_ID_INVALID", str(exc))
            result = verify_payload(meta.get("Credential", ""), keys, lambda number: _revoked(s, number))
            if not result.valid:
                return _verdict(out, result.reason_code, result.reason)
            if result.fields.number != meta.get("LicenceNumber"):
                return _verdict(out, "ECERT_MISMATCH", "凭证与电子证照编号不一致")
            cert = s.execute(select(Certificate).where(Certificate.number == result.fields.number)).scalar_one()
            entry = next((e for e in (cert.data or {}).get("electronic", [])
                          if e.get("identifier") == meta.get("LicenceIdentifier")), None)
            if entry is None:
                return _verdict(out, "ECERT_NOT_ISSUED", "本登记机关没有签发过该电子证照")
            rec = s.get(Record, cert.record_id)
            if content_digest(certificate_views(s, rec, cert)[0]) != entry["content"]:
                return _verdict(out, "ECERT_STALE", "登记内容在电子证照签发后已更正，该电子证照不再有效")
        out.update({"valid": True, "reason_code": "OK", "reason": "电子证照有效"})
        return out


def _verdict(out: dict, code: str, reason: str) -> dict:
    return {**out, "valid": False, "reason_code": code, "reason": reason}


def _revoked(s, number: str) -> str | None:
    cert = s.execute(select(Certificate).where(Certificate.number == number)).scalar_one_or_none()
    if cert is None:
        return "本登记机关没有该证书"
    if cert.status == CertificateState.ISSUED:
        return None
    return f"本机关记录显示该证书已失效（{cert.void_reason or CertificateState.label(cert.status)}）"


def _is_electronic(pdf: bytes) -> bool:
    """Signed by us, or saying it is an e-certificate: a file whose signature was stripped is checked, and
    refused, as an e-certificate, not read as a printed page."""
    return (pades.SIGNATURE_FIELD.encode() in pdf and b"/ByteRange" in pdf) or claims_to_be_electronic(pdf)


def _kind(cert: Certificate) -> str:
    return {v: k for k, v in KIND_CODES.items()}.get(cert.cert_type, "")


def _config(s) -> dict:
    issuer = s.get(Setting, ISSUER_KEY)
    codes = s.get(Setting, TYPE_CODES_KEY)
    return {"issuer_code": issuer.value if issuer else "", "type_codes": dict(codes.value) if codes else {}}


def _put(s, key: str, value) -> None:
    row = s.get(Setting, key)
    if row is None:
        s.add(Setting(key=key, value=value))
    else:
        row.value = value


def _active_key_row(s) -> KeyMaterial:
    row = s.execute(select(KeyMaterial).where(KeyMaterial.purpose == "office_signing",
                                              KeyMaterial.active.is_(True))).scalar_one_or_none()
    if row is None or row.private_key is None:
        raise RegistryError("本处尚无签名密钥，请管理员生成", code="OFFICE_KEY_MISSING")
    return row


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
