"""Finding a marriage or divorce record and its certificates after registration: shared by reissue
(services/reissue.py), the record proof (record_proof.py), court annotation (court_annotation.py) and
voiding (certificate_voiding.py)."""
from __future__ import annotations

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from registry_app.domain.field_rules import valid_record_id
from registry_app.domain.states import (
    CertificateState,
    DivorceState,
    MarriageState,
    RecordKind,
)
from registry_app.errors import NotFound
from registry_app.storage.models import Certificate, Record

M = MarriageState
#: The status in which a record's certificate proves the marital status it records.
IN_FORCE = {RecordKind.MARRIAGE: M.REGISTERED, RecordKind.DIVORCE: DivorceState.ISSUED}
#: Certificate types per record kind (the original and its reissue).
TYPES_OF_KIND = {RecordKind.MARRIAGE: ("J", "BJ"), RecordKind.DIVORCE: ("L", "BL")}
REISSUE_TYPES = ("BJ", "BL")
BOOKLET_OF_TYPE = {"J": "marriage", "BJ": "marriage", "L": "divorce", "BL": "divorce"}
#: Marriage statuses that are an archive fact: listed on the record proof, a later change for a reissue.
FACT_MARRIAGE_STATES = (M.REGISTERED, M.DIVORCE_PENDING, M.DISSOLVED, M.INVALIDATED, M.REVOKED)


def registered_fact():
    """SQL condition: a record that is a registration on file (a marriage registered, a divorce issued)."""
    return or_(and_(Record.kind == RecordKind.MARRIAGE, Record.status.in_(FACT_MARRIAGE_STATES)),
               and_(Record.kind == RecordKind.DIVORCE, Record.status == DivorceState.ISSUED))


def marital_record(s: Session, record_id: int) -> Record:
    """A marriage or divorce record by id; RECORD_NOT_FOUND otherwise."""
    rec = s.get(Record, record_id) if valid_record_id(record_id) else None  # 10**30 is no key, not a crash
    if rec is None or rec.kind not in TYPES_OF_KIND:
        raise NotFound(f"婚姻登记记录不存在：{record_id}", code="RECORD_NOT_FOUND")
    return rec


def marital_record_by_ref(s: Session, ref: int | str) -> Record:
    """A record id (int) or a certificate number (str, also a back-entered record's historical number)."""
    if isinstance(ref, int) and not isinstance(ref, bool):
        return marital_record(s, ref)
    number = str(ref or "").strip().upper()
    record_id = s.execute(select(Certificate.record_id).where(Certificate.number == number)).scalar()
    if record_id is None:  # a back-entered record holds its historical number without a certificate row
        record_id = s.execute(select(Record.id).where(Record.certificate_no == number)).scalar()
    if record_id is None:
        raise NotFound(f"证书字号不存在：{number}", code="CERTIFICATE_NOT_FOUND")
    return marital_record(s, record_id)


def valid_certificates(s: Session, rec: Record) -> list[Certificate]:
    """The record's certificates that are still valid (the original or its latest reissue, per holder)."""
    return list(s.execute(select(Certificate).where(
        Certificate.record_id == rec.id, Certificate.status == CertificateState.ISSUED,
        Certificate.cert_type.in_(TYPES_OF_KIND[rec.kind])).order_by(Certificate.id)).scalars())


def parties_payload(rec: Record) -> list[dict]:
    """The parties as a sync event carries them."""
    return [{"role": p.role, "name": p.name, "sex": p.sex, "id_type": p.id_type, "id_number": p.id_number,
             "birth_date": p.birth_date.isoformat() if p.birth_date else None} for p in rec.parties]


def blank_serials(cert: Certificate) -> list[str]:
    """The blank booklets a certificate was printed on."""
    listed = (cert.data or {}).get("blank_serials") or []
    return [x for x in listed if x] or ([cert.blank_serial] if cert.blank_serial else [])
