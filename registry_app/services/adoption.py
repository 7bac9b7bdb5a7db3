"""Adoption registration (收养登记, CC 1093–1105; AR) and its dissolution (CC 1114–1116) and
revocation (AR 13), as a state machine over one record of kind "adoption":

    (case) --register--> registered --dissolve--> dissolved
                         registered --revoke (supervisor)--> revoked

The conditions themselves live in `registry_app.domain.adoption` (a pure rule engine); this
service adds what needs the office: its settings, the clock, numbering, blank stock, the audit
trail and the sync events. Each public operation is one transaction: a refusal stores nothing.

The registration date is always the office's "today" (`ctx.clock`, so `registry --date` works). A
case may leave `registration_date` out and it is filled in; a case that names another day is
refused, because the adoption exists from the day it is registered (CC 1105) and a case file
written for one day must not be registered as if it were another.
"""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry_app.domain.adoption import (
    AdoptionCase,
    ConditionResult,
    DissolutionCase,
    PlacingKind,
    Status,
    dissolution_refusals,
    evaluate,
    evaluate_dissolution,
    refusals,
)
from registry_app.domain.adoption_rules import RecordedFamily
from registry_app.domain.field_rules import valid_record_id
from registry_app.domain.ids import IdType
from registry_app.domain.parties import PersonInput
from registry_app.domain.roles import Permission
from registry_app.domain.states import AdoptionState, CertificateState
from registry_app.errors import InvalidState, Issue, NotFound, Refused
from registry_app.services import audit, documents, versions
from registry_app.services.context import AppContext
from registry_app.services.events import append_event
from registry_app.services.numbering import allocate
from registry_app.services.people import party_row
from registry_app.services.results import RegistrationResult
from registry_app.services.settings import OfficeSettings, load_settings
from registry_app.services.stock import use_blank
from registry_app.services.transitions import move
from registry_app.storage.models import Certificate, Party, Record

KIND = "adoption"
CERT_ADOPTION = "SY"
CERT_DISSOLUTION = "JC"
# Party roles: the placing parent(s) or guardian are stored as persons when they have names; a
# welfare institution is not a person and stays in the record's data.
PLACING_ROLE = {PlacingKind.BIRTH_PARENTS: "placing_parent", PlacingKind.GUARDIAN: "guardian"}


# --- the checklist, without the office ------------------------------------------------------

def case_on(case_dict: Any, today: dt.date) -> AdoptionCase:
    """Build the case for registration on `today`: a missing registration date is filled in; a
    different one is refused. Malformed input raises Refused (never KeyError/TypeError)."""
    if not isinstance(case_dict, dict):
        raise Refused([Issue("CASE_FORMAT", "登记数据应为JSON对象", None)])
    data = dict(case_dict)
    given = data.get("registration_date")
    if given in (None, ""):
        data["registration_date"] = today.isoformat()
    case = AdoptionCase.from_dict(data)
    if case.registration_date != today:
        raise Refused([Issue(
            "REGISTRATION_DATE_NOT_TODAY",
            f"登记日期应为办理当日{today.isoformat()}，案卷填写为{case.registration_date.isoformat()}"
            "（收养关系自登记之日起成立，不能倒签或预填）", "registration_date")])
    return case


def checklist(case: AdoptionCase | dict, today: dt.date) -> list[ConditionResult]:
    """Every condition of CC 1093–1105 for the case, as the clerk goes through them."""
    if not isinstance(case, AdoptionCase):
        case = case_on(case, today)
    return evaluate(case)


STATUS_LABEL = {Status.MET: "符合", Status.FAILING: "不符合", Status.WAIVED: "免除",
                Status.NOT_APPLICABLE: "不适用"}


def status_label(r: ConditionResult) -> str:
    """符合 / 不符合 / 免除（依据…） / 不适用: the words the checklist shows for a line."""
    if r.status is Status.WAIVED:
        return f"免除（依据{r.waived_by}）" if r.waived_by else "免除"
    return STATUS_LABEL[r.status]


# --- results handed to callers ----------------------------------------------------------------

AdoptionResult = RegistrationResult


@dataclass
class AdoptionView:
    record_id: int
    status: str
    status_zh: str
    registration_date: str | None
    certificate_no: str | None
    parties: list[dict]
    certificates: list[dict]
    data: dict = field(default_factory=dict)
    version: int = 1          # the record's version as read: dissolve/revoke name it (RECORD_CHANGED otherwise)

    def to_dict(self) -> dict:
        return dict(self.__dict__)


class AdoptionService:
    def __init__(self, ctx: AppContext):
        self.ctx = ctx

    # --- checks -------------------------------------------------------------------------------
    def check(self, case: AdoptionCase | dict) -> list[ConditionResult]:
        """The live checklist: the rule engine on the case as typed, for today. Nothing is read
        from or written to the database, so it may run on every keystroke."""
        return checklist(case, self.ctx.clock.today())

    def _office_issues(self, s: Session, settings: OfficeSettings, case: AdoptionCase) -> list[Issue]:
        issues = []
        foreign = [i for i, a in enumerate(case.adopters) if a.id_type.is_foreign_or_hmt]
        if foreign and not settings.handles_foreign_cases:
            issues += [Issue("FOREIGN_CASE_NOT_HANDLED",
                             f"收养人持{case.adopters[i].id_type.zh}，应到省级指定的收养登记机关办理",
                             f"adopters[{i}].id_type") for i in foreign]
        number = case.adoptee.id_number
        if number:
            taken = s.execute(
                select(Record.certificate_no).join(Party, Party.record_id == Record.id)
                .where(Record.kind == KIND, Record.status == AdoptionState.REGISTERED, Party.role == "adoptee",
                       Party.id_number == number.upper())
            ).scalars().first()
            if taken is not None:
                issues.append(Issue("ADOPTEE_ALREADY_ADOPTED",
                                    f"被收养人已有有效的收养登记（收养登记证{taken}），须先解除原收养关系",
                                    "adoptee.id_number"))
        return issues

    @staticmethod
    def _require_handled(settings: OfficeSettings) -> None:
        if not settings.handles_adoption:
            raise Refused([Issue("ADOPTION_NOT_HANDLED", "本登记机关未开办收养登记业务", None)])

    # --- transitions --------------------------------------------------------------------------
    def register(self, case_dict: dict, blank_serial: str | None = None, photo: bytes | None = None,
                 photo_name: str = "adoption-photo.jpg") -> dict:
        """Register one adoption: checked, numbered, stored, audited, announced; all or nothing.
        Returns {"record_id", "certificate_no", "status", "blank_serial"}."""
        user = self.ctx.require(Permission.REGISTER)
        today = self.ctx.clock.today()
        remarks = case_dict.get("remarks", "") if isinstance(case_dict, dict) else ""
        if not isinstance(remarks, str):
            raise Refused([Issue("FIELD_INVALID", "remarks 应为文字", "remarks")])
        case = case_on(case_dict, today)
        with self.ctx.db.write() as s:
            settings = load_settings(s)
            self._require_handled(settings)
            recorded = recorded_families(s, case)
            conditions = evaluate(case, recorded)
            issues = refusals(case, recorded) + self._office_issues(s, settings, case)
            if issues:
                raise Refused(issues)
            now = self.ctx.clock.now()
            rec = Record(
                uid=str(uuid.uuid4()), kind=KIND, status=AdoptionState.REGISTERED, office_code=settings.office_code,
                application_date=today, registration_date=today, created_by=user.username,
                created_at=now, updated_at=now,
                data={**case.to_dict(), "conditions": [c.to_dict() for c in conditions], "remarks": remarks},
            )
            for position, (role, person) in enumerate(_parties(case), start=1):
                rec.parties.append(party_row(person, position, role))
            s.add(rec)
            s.flush()
            number = allocate(s, CERT_ADOPTION, settings.number_scope, today.year, settings.adoption_number_format)
            cert = Certificate(number=number, cert_type=CERT_ADOPTION, record_id=rec.id, issued_on=today,
                               blank_serial=None, status=CertificateState.ISSUED)
            s.add(cert)
            s.flush()
            if blank_serial:
                use_blank(self.ctx, s, blank_serial, "adoption", cert)
            rec.certificate_no = number
            if photo:
                doc = documents.attach(s, rec.id, "adoption_photo", photo_name, photo, user.username, now)
                rec.data = {**rec.data, "photo_document_id": doc.id}
            audit.record(self.ctx, s, "adoption.registered", "record", rec.id,
                         {"certificate_no": number, "blank_serial": blank_serial})
            append_event(self.ctx, s, "adoption.registered", rec.id,
                         _registration_payload(rec, case, number, blank_serial))
            return AdoptionResult(rec.id, number, rec.status, blank_serial).to_dict()

    def check_dissolution(self, record_id: int, dissolution_dict: dict) -> list[ConditionResult]:
        """The dissolution checklist (CC 1114/1115) for a registered adoption, for today."""
        self.ctx.require(Permission.REGISTER)
        with self.ctx.db.read() as s:
            rec = self._get(s, record_id)
            return evaluate_dissolution(self._dissolution_case(rec, dissolution_dict))

    def dissolve(self, record_id: int, dissolution_dict: dict, blank_serial: str | None = None, *,
                 version: int | None = None) -> dict:
        """Register the dissolution of an adoption by agreement: the adoption certificate is taken
        back (surrendered) and a dissolution certificate (JC) is issued. `version` is the record's as
        the page showed it (None: not read first; RECORD_CHANGED when it has changed since)."""
        user = self.ctx.require(Permission.REGISTER)
        today = self.ctx.clock.today()
        versions.checked_version(version)
        with self.ctx.db.write() as s:
            rec = self._get(s, record_id)
            versions.claim(self.ctx, s, rec, version)
            settings = load_settings(s)
            self._require_handled(settings)
            if rec.status != AdoptionState.REGISTERED:
                raise InvalidState(f"当前状态为“{AdoptionState.label(rec.status)}”，不能解除收养关系",
                                   code="ADOPTION_NOT_REGISTERED")
            d = self._dissolution_case(rec, dissolution_dict)
            conditions = evaluate_dissolution(d)
            issues = dissolution_refusals(d)
            if issues:
                raise Refused(issues)
            old = self._certificate(s, rec.id, CERT_ADOPTION)
            if old is not None:
                move(self.ctx, s, old, CertificateState.SURRENDERED)
                old.data = {**(old.data or {}), "surrendered_on": today.isoformat(),
                            "received_by": user.username}
            number = allocate(s, CERT_DISSOLUTION, settings.number_scope, today.year,
                              settings.adoption_dissolution_number_format)
            cert = Certificate(number=number, cert_type=CERT_DISSOLUTION, record_id=rec.id, issued_on=today,
                               status=CertificateState.ISSUED)
            s.add(cert)
            s.flush()
            if blank_serial:
                use_blank(self.ctx, s, blank_serial, "adoption_dissolution", cert)
            move(self.ctx, s, rec, AdoptionState.DISSOLVED)  # audited below with the certificates
            rec.data = {**rec.data, "dissolution": {
                **d.to_dict(), "conditions": [c.to_dict() for c in conditions], "certificate_no": number,
                "blank_serial": blank_serial, "surrendered_certificate_no": old.number if old else None,
            }}
            audit.record(self.ctx, s, "adoption.dissolved", "record", rec.id,
                         {"certificate_no": number, "surrendered": old.number if old else None})
            append_event(self.ctx, s, "adoption.dissolved", rec.id, {
                "kind": KIND, "record_uid": rec.uid, "certificate_no": number, "blank_serial": blank_serial,
                "adoption_certificate_no": rec.certificate_no, "registration_date": today.isoformat(),
                "adoption_registration_date": rec.registration_date.isoformat() if rec.registration_date else None,
                "adoptee_adult": any(c.article_key == "CC1115" and c.status is Status.MET for c in conditions),
                "agreement": {"adopters": d.adopters_agree, "placing_party": d.placing_party_agrees,
                              "adoptee": d.adoptee_agrees},
            })
            return AdoptionResult(rec.id, number, rec.status, blank_serial).to_dict()

    def revoke(self, record_id: int, reason: str, *, version: int | None = None) -> dict:
        """AR 13: an adoption obtained by fraud is void; the office revokes the registration and
        takes back (voids) the certificate. Supervisor only. `version` as for `dissolve`."""
        user = self.ctx.require(Permission.REVOKE)
        if not isinstance(reason, str) or not reason.strip():
            raise Refused([Issue("REASON_REQUIRED", "请填写撤销理由（弄虚作假骗取收养登记的事实和依据）", "reason")])
        today = self.ctx.clock.today()
        versions.checked_version(version)
        with self.ctx.db.write() as s:
            rec = self._get(s, record_id)
            versions.claim(self.ctx, s, rec, version)
            if rec.status != AdoptionState.REGISTERED:
                raise InvalidState(f"当前状态为“{AdoptionState.label(rec.status)}”，不能撤销",
                                   code="ADOPTION_NOT_REGISTERED")
            cert = self._certificate(s, rec.id, CERT_ADOPTION)
            if cert is not None:
                move(self.ctx, s, cert, CertificateState.VOIDED)
                cert.void_reason = reason
                cert.voided_by = user.username
            move(self.ctx, s, rec, AdoptionState.REVOKED)  # audited below
            rec.data = {**rec.data, "revocation": {"date": today.isoformat(), "reason": reason,
                                                   "by": user.username, "basis": "《中国公民收养子女登记办法》第十三条"}}
            audit.record(self.ctx, s, "adoption.revoked", "record", rec.id,
                         {"certificate_no": rec.certificate_no}, reason=reason)
            append_event(self.ctx, s, "adoption.revoked", rec.id, {
                "kind": KIND, "record_uid": rec.uid, "certificate_no": rec.certificate_no,
                "revoked_on": today.isoformat(), "reason": reason,
            })
            return AdoptionResult(rec.id, rec.certificate_no, rec.status).to_dict()

    def view(self, record_id: int) -> AdoptionView:
        """Open a record: audited as a view of personal data."""
        self.ctx.require(Permission.VIEW_RECORD)
        with self.ctx.db.write() as s:
            rec = self._get(s, record_id)
            audit.record(self.ctx, s, "record.view", "record", rec.id)
            certs = s.execute(select(Certificate).where(Certificate.record_id == rec.id)
                              .order_by(Certificate.id)).scalars().all()
            return AdoptionView(
                rec.id, rec.status, AdoptionState.label(rec.status),
                rec.registration_date.isoformat() if rec.registration_date else None, rec.certificate_no,
                [{"role": p.role, "name": p.name, "sex": p.sex,
                  "birth_date": p.birth_date.isoformat() if p.birth_date else None,
                  "id_type": p.id_type, "id_number": p.id_number} for p in rec.parties],
                [{"number": c.number, "cert_type": c.cert_type, "status": c.status,
                  "issued_on": c.issued_on.isoformat(), "blank_serial": c.blank_serial} for c in certs],
                dict(rec.data), rec.version,
            )

    # --- helpers ------------------------------------------------------------------------------
    def _get(self, s: Session, record_id: int) -> Record:
        rec = s.get(Record, record_id) if valid_record_id(record_id) else None
        if rec is None or rec.kind != KIND:
            raise NotFound(f"收养登记记录不存在：{record_id}", code="RECORD_NOT_FOUND")
        return rec

    @staticmethod
    def _certificate(s: Session, record_id: int, cert_type: str) -> Certificate | None:
        return s.execute(select(Certificate).where(
            Certificate.record_id == record_id, Certificate.cert_type == cert_type,
            Certificate.status == CertificateState.ISSUED)).scalars().first()

    def _dissolution_case(self, rec: Record, given: Any) -> DissolutionCase:
        """The agreement as filed, completed from the record: names and the adoptee's birth date
        may be left out and are taken from the registration; if given, they must match it."""
        if not isinstance(given, dict):
            raise Refused([Issue("CASE_FORMAT", "解除收养数据应为JSON对象", None)])
        today = self.ctx.clock.today()
        stored = rec.data or {}
        known = {
            "adopter_names": [a["name"] for a in stored.get("adopters", [])],
            "adoptee_name": stored.get("adoptee", {}).get("name"),
            "adoptee_birth_date": stored.get("adoptee", {}).get("birth_date"),
            "placing_party_names": list(stored.get("placing", {}).get("names", [])),
        }
        data = dict(given)
        issues = []
        for key, value in known.items():
            if data.get(key) in (None, "", []):
                data[key] = value
            elif data[key] != value:
                issues.append(Issue("DISSOLUTION_PARTIES_MISMATCH", f"{key} 与收养登记记录不一致", key))
        if data.get("registration_date") in (None, ""):
            data["registration_date"] = today.isoformat()
        d = DissolutionCase.from_dict(data)
        if d.registration_date != today:
            issues.append(Issue("REGISTRATION_DATE_NOT_TODAY",
                                f"登记日期应为办理当日{today.isoformat()}", "registration_date"))
        if issues:
            raise Refused(issues)
        return d


def recorded_families(s: Session, case: AdoptionCase) -> dict[str, RecordedFamily]:
    """What this office's records hold about each adopter (CC 1098(1), 1100), found by ID number, as the
    marriage check finds a spouse's earlier marriages: the adoptions registered here and in force, and
    the distinct children recorded for them: those adoptees and the children named in their divorce
    agreements, a child being its name and birth date. A child whose adoption by them was dissolved or
    revoked is no longer theirs through it and is not counted from any record."""
    numbers = sorted({(a.id_number or "").upper() for a in case.adopters} - {""})
    out: dict[str, RecordedFamily] = {}
    for number in numbers:
        mine = select(Party.record_id).where(Party.id_number == number)
        adoptions: list[str] = []
        children: set[tuple[str, str]] = set()
        gone: set[tuple[str, str]] = set()
        rows = s.execute(
            select(Record.certificate_no, Record.status, Party.name, Party.birth_date)
            .join(Party, Party.record_id == Record.id)
            .where(Record.kind == KIND, Party.role == "adoptee",
                   Record.id.in_(mine.where(Party.role.like("adopter%"))))
            .order_by(Record.registration_date, Record.id)).all()
        for number_, status, name, birth in rows:
            child = ((name or "").strip(), birth.isoformat() if birth else "")
            if status == AdoptionState.REGISTERED:
                adoptions.append(number_ or "")
                children.add(child)
            else:
                gone.add(child)
        for (data,) in s.execute(select(Record.data).where(Record.kind == "divorce", Record.id.in_(mine))):
            listed = ((data or {}).get("agreement") or {}).get("children")
            for c in listed if isinstance(listed, list) else []:
                if isinstance(c, dict) and str(c.get("name") or "").strip():
                    children.add((str(c["name"]).strip(), str(c.get("birth_date") or "")))
        out[number] = RecordedFamily(tuple(adoptions), len(children - gone))
    return out


def _parties(case: AdoptionCase) -> list[tuple[str, PersonInput]]:
    out = []
    for i, a in enumerate(case.adopters, start=1):
        out.append((f"adopter{i}", PersonInput(
            name=a.name, sex=a.sex.value, birth_date=a.birth_date, id_type=a.id_type.value,
            id_number=a.id_number.upper(), prior_status="",
            extra={"marital_status": a.marital_status.value, "overseas_chinese": a.overseas_chinese})))
    child = case.adoptee
    out.append(("adoptee", PersonInput(
        name=child.name, sex=child.sex.value, birth_date=child.birth_date,
        id_type=IdType.RESIDENT.value if child.id_number else IdType.NONE.value,
        id_number=(child.id_number or "").upper(), prior_status="")))
    role = PLACING_ROLE.get(case.placing.kind)
    if role:
        for name in case.placing.names:
            if name.strip():
                out.append((role, PersonInput(name=name.strip(), sex="", birth_date=None,
                                              id_type=IdType.NONE.value, prior_status="")))
    return out


def _registration_payload(rec: Record, case: AdoptionCase, number: str, blank_serial: str | None) -> dict:
    """What the province receives for an adoption registration (inside the encrypted batch)."""
    return {
        "kind": KIND, "record_uid": rec.uid, "certificate_no": number, "blank_serial": blank_serial,
        "registration_date": case.registration_date.isoformat(), "relationship": case.relationship.value,
        "adoptee_situation": case.adoptee.situation.value, "placing_kind": case.placing.kind.value,
        "placing_names": list(case.placing.names),
        "parties": [
            {"role": p.role, "name": p.name, "sex": p.sex,
             "birth_date": p.birth_date.isoformat() if p.birth_date else None,
             "id_type": p.id_type, "id_number": p.id_number}
            for p in rec.parties
        ],
        "assessment": ({"body": case.assessment.body, "finished": case.assessment.finished.isoformat(),
                        "conclusion": case.assessment.conclusion.value} if case.assessment else None),
        "waived": sorted({k for c in rec.data.get("conditions", []) for k in c.get("waived_by_keys", [])}),
    }
