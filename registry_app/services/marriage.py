"""Marriage registration (结婚登记) as a state machine:

    accepted (初审/受理) --review--> reviewed (审查: declarations signed, witnessed, photo)
    reviewed --register--> registered (登记/发证: number, blank serial)      any open state --cancel--> cancelled
    registered --divorce issued--> dissolved;  --court judgment--> invalidated | revoked

Every transition is checked here (not in the page), audited, and is one transaction. A step on an accepted
case (review, register, cancel, correct) takes the `version` the page read and claims the record before any
check (services/versions.py): a step from an older read is refused with RECORD_CHANGED, nothing written."""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry_app.domain.field_rules import (read_text, record_id_issue, structure_issues, text_issues,
                                             valid_record_id)
from registry_app.domain.marriage_rules import MarriageDeclarations, eligibility_issues
from registry_app.domain.parties import PersonInput, person_issues
from registry_app.domain.roles import Permission
from registry_app.domain.states import ACTIONS, CertificateState, MarriageState
from registry_app.errors import InvalidState, Issue, NotFound, Refused
from registry_app.services import audit, documents, versions
from registry_app.services.context import AppContext
from registry_app.services.events import append_event
from registry_app.services.numbering import allocate
from registry_app.services.people import party_row, party_to_input, standing
from registry_app.services.settings import load_settings
from registry_app.services.stock import use_blank
from registry_app.services.transitions import move
from registry_app.services.results import RegistrationResult
from registry_app.storage.models import Certificate, Record, User

#: the version of a record just accepted: a record starts at 1 and its creating transaction does not raise it
ACCEPTED_VERSION = 1
VARIANTS = {"ordinary": "结婚登记", "remarriage": "复婚登记", "supplementary": "补办结婚登记"}
OPEN_STATES = (MarriageState.ACCEPTED, MarriageState.REVIEWED)


@dataclass
class MarriageCase:
    party1: PersonInput
    party2: PersonInput
    declarations: MarriageDeclarations
    declarations_signed: bool = False
    variant: str = "ordinary"
    union_began: dt.date | None = None
    previous_record_id: int | None = None
    witness: str | None = None
    blank_serial: str | None = None
    photo: bytes | None = None
    photo_name: str = "joint-photo.jpg"
    remarks: str = ""

    @classmethod
    def from_dict(cls, d: dict) -> "MarriageCase":
        """Parse the case JSON (see resources/examples/marriage-case.json). Raises Refused, never KeyError."""
        if not isinstance(d, dict):
            raise Refused([Issue("CASE_MALFORMED", "登记数据应为JSON对象", None)])
        issues: list[Issue] = structure_issues(d)  # types, lengths and characters: field_rules
        if issues:
            raise Refused(issues)
        p1, i1 = PersonInput.from_dict(d.get("party1"), "party1")
        p2, i2 = PersonInput.from_dict(d.get("party2"), "party2")
        issues += i1 + i2
        decl = d.get("declarations") or {}
        if not isinstance(decl, dict):
            decl = {}
            issues.append(Issue("CASE_MALFORMED", "declarations 应为对象", "declarations"))
        variant = d.get("variant") or "ordinary"
        if not isinstance(variant, str) or variant not in VARIANTS:
            issues.append(Issue("VARIANT_INVALID", "登记类别应为 ordinary、remarriage 或 supplementary", "variant"))
        began = None
        if d.get("union_began"):
            try:
                began = dt.date.fromisoformat(d["union_began"]) if isinstance(d["union_began"], str) else None
            except ValueError:
                pass
            if began is None:
                issues.append(Issue("DATE_INVALID", "同居起始日期格式应为YYYY-MM-DD", "union_began"))
        prev = d.get("previous_record_id")
        if prev is not None and (bad := record_id_issue(prev, "previous_record_id")):
            issues.append(bad)
        witness = read_text(d, "witness", "witness", issues)
        serial = read_text(d, "blank_serial", "blank_serial", issues)
        remarks = read_text(d, "remarks", "remarks", issues)
        if issues or p1 is None or p2 is None:
            raise Refused(issues or [Issue("PARTY_MISSING", "缺少当事人信息", None)])
        return cls(
            party1=p1, party2=p2,
            declarations=MarriageDeclarations(
                free_will=decl.get("free_will") is True, no_prohibited_kinship=decl.get("no_prohibited_kinship") is True,
                no_spouse=decl.get("no_spouse") is True),
            declarations_signed=decl.get("signed") is True, variant=variant, union_began=began,
            previous_record_id=prev, witness=witness or None, blank_serial=serial or None,
            remarks=remarks,
        )


@dataclass
class MarriageView:
    record_id: int
    status: str
    status_zh: str
    variant: str
    registration_date: str | None
    certificate_no: str | None
    parties: list[dict]
    data: dict = field(default_factory=dict)
    version: int = ACCEPTED_VERSION  # what a step on this record sends back


class ChangedFields(list):
    """`correct`'s answer: the changed fields (a list, as before), and the record's new `version`."""

    def __init__(self, fields, version: int):
        super().__init__(fields)
        self.version = version


class MarriageService:
    def __init__(self, ctx: AppContext):
        self.ctx = ctx

    # --- checks ---------------------------------------------------------------------------------
    def _issues(self, s: Session, case: MarriageCase, exclude: int | None = None) -> list[Issue]:
        today = self.ctx.clock.today()
        settings = load_settings(s)
        issues = person_issues(case.party1, "party1", today) + person_issues(case.party2, "party2", today)
        for key in ("remarks", "witness", "blank_serial"):
            if isinstance(value := getattr(case, key), str):
                issues += text_issues(value, key)
        if any(i.code in ("ID_TYPE_INVALID", "FIELD_TYPE_INVALID") for i in issues):
            return issues  # the eligibility rules need a known document type
        s1 = standing(s, case.party1.id_number, exclude)
        s2 = standing(s, case.party2.id_number, exclude)
        issues += eligibility_issues(case.party1, case.party2, today, s1, s2, case.declarations,
                                     settings.handles_foreign_cases)
        if case.variant == "supplementary":
            if case.union_began is None:
                issues.append(Issue("UNION_BEGAN_REQUIRED", "补办结婚登记须填写双方开始以夫妻名义共同生活的日期", "union_began"))
            elif case.union_began > today:
                issues.append(Issue("UNION_BEGAN_FUTURE", "共同生活起始日期不能晚于今天", "union_began"))
        if case.previous_record_id is not None and (bad := record_id_issue(case.previous_record_id,
                                                                           "previous_record_id")):
            issues.append(bad)
        elif case.previous_record_id is not None and case.variant != "remarriage":
            issues.append(Issue("PREVIOUS_RECORD_NOT_REMARRIAGE", "只有复婚登记才须指明原婚姻记录", "previous_record_id"))
        elif case.variant == "remarriage" and case.previous_record_id is not None:
            prev = s.get(Record, case.previous_record_id)
            ids = {case.party1.id_number, case.party2.id_number}
            if prev is None or prev.kind != "marriage" or prev.status != MarriageState.DISSOLVED or \
                    {p.id_number for p in prev.parties} != ids:
                issues.append(Issue("REMARRIAGE_LINK_MISMATCH", "所指原婚姻记录不存在、未解除，或当事人不是同一对", "previous_record_id"))
        if case.witness and not s.execute(select(User.id).where(User.username == case.witness)).first():
            issues.append(Issue("WITNESS_UNKNOWN", "监誓登记员不存在", "witness"))
        return issues

    def check(self, case: MarriageCase, record_id: int | None = None) -> list[Issue]:
        """Live check while the clerk types (same rules as acceptance; nothing stored). `record_id`: the
        accepted case being corrected, which does not count against its own parties."""
        self.ctx.require(Permission.REGISTER)
        with self.ctx.db.read() as s:
            return self._issues(s, case, exclude=record_id if valid_record_id(record_id) else None)

    # --- transitions ----------------------------------------------------------------------------
    def _accept(self, s: Session, case: MarriageCase) -> Record:
        user = self.ctx.require(Permission.REGISTER)
        issues = self._issues(s, case)
        if issues:
            raise Refused(issues)
        settings = load_settings(s)
        now = self.ctx.clock.now()
        rec = Record(
            uid=str(uuid.uuid4()), kind="marriage", status=MarriageState.ACCEPTED, office_code=settings.office_code,
            application_date=now.date(), created_by=user.username, created_at=now, updated_at=now,
            data={"variant": case.variant, "declarations": case.declarations.__dict__,
                  "union_began": case.union_began.isoformat() if case.union_began else None,
                  "remarks": case.remarks},
            linked_record_id=case.previous_record_id,
        )
        rec.parties.append(party_row(case.party1, 1, "party1"))
        rec.parties.append(party_row(case.party2, 2, "party2"))
        s.add(rec)
        s.flush()
        audit.record(self.ctx, s, "marriage.accepted", "record", rec.id, {"variant": case.variant})
        return rec

    def _review(self, s: Session, rec: Record, signed: bool, witness: str | None, photo: bytes | None,
                photo_name: str) -> None:
        user = self.ctx.require(Permission.REGISTER)
        if rec.status != MarriageState.ACCEPTED:
            raise InvalidState(f"当前状态为“{MarriageState.label(rec.status)}”，不能审查", code="MARRIAGE_NOT_ACCEPTED")
        issues = []
        if not signed:
            issues.append(Issue("DECLARATIONS_NOT_SIGNED", "双方须在登记员面前签署《申请结婚登记声明书》", "declarations.signed"))
        if issues:
            raise Refused(issues)
        data = dict(rec.data)
        data["declarations_signed"] = True
        data["witness"] = witness or user.username
        if photo:
            doc = documents.attach(s, rec.id, "joint_photo", photo_name, photo, user.username, self.ctx.clock.now())
            data["photo_document_id"] = doc.id
        rec.data = data
        move(self.ctx, s, rec, MarriageState.REVIEWED, action="marriage.reviewed",
             detail={"witness": data["witness"], "photo": bool(photo)})

    def _register(self, s: Session, rec: Record, blank_serial: str | None) -> RegistrationResult:
        self.ctx.require(Permission.REGISTER)
        if rec.status != MarriageState.REVIEWED:
            raise InvalidState(f"当前状态为“{MarriageState.label(rec.status)}”，须先完成审查", code="MARRIAGE_NOT_REVIEWED")
        # Re-check at the moment of registration: records may have changed since acceptance.
        case = self._case_of(rec)
        issues = self._issues(s, case, exclude=rec.id)
        if issues:
            raise Refused(issues)
        settings = load_settings(s)
        today = self.ctx.clock.today()
        number = allocate(s, "J", settings.number_scope, today.year)
        cert = Certificate(number=number, cert_type="J", record_id=rec.id, issued_on=today,
                           blank_serial=blank_serial, status=CertificateState.ISSUED)
        s.add(cert)
        s.flush()
        if blank_serial:
            use_blank(self.ctx, s, blank_serial, "marriage", cert)
        move(self.ctx, s, rec, MarriageState.REGISTERED)  # audited below, with the certificate
        rec.registration_date = today
        rec.certificate_no = number
        if rec.linked_record_id:
            rec.data = {**rec.data, "remarriage_of": rec.linked_record_id}
        audit.record(self.ctx, s, "marriage.registered", "record", rec.id, {"certificate_no": number,
                                                                             "blank_serial": blank_serial})
        append_event(self.ctx, s, "marriage.registered", rec.id, registration_payload(rec, number, blank_serial))
        return RegistrationResult(rec.id, number, rec.status, blank_serial)

    def accept(self, case: MarriageCase) -> int:
        self.ctx.require(Permission.REGISTER)  # before the database is touched: no record probed for a refused user
        with self.ctx.db.write() as s:
            return self._accept(s, case).id

    def review(self, record_id: int, signed: bool, witness: str | None = None, photo: bytes | None = None,
               photo_name: str = "joint-photo.jpg", *, version: int | None = None) -> int:
        """审查; returns the record's new version (the page's next step sends it)."""
        self.ctx.require(Permission.REGISTER)
        with self.ctx.db.write() as s:
            rec = self._claimed(s, record_id, version)
            self._review(s, rec, signed, witness, photo, photo_name)
            return rec.version

    def register(self, record_id: int, blank_serial: str | None = None, *,
                 version: int | None = None) -> RegistrationResult:
        self.ctx.require(Permission.REGISTER)
        with self.ctx.db.write() as s:
            return self._register(s, self._claimed(s, record_id, version), blank_serial)

    def register_case(self, case: MarriageCase) -> RegistrationResult:
        """All steps in one transaction (the command line and batch use): all or nothing."""
        self.ctx.require(Permission.REGISTER)
        with self.ctx.db.write() as s:
            rec = self._accept(s, case)
            self._review(s, rec, case.declarations_signed, case.witness, case.photo, case.photo_name)
            return self._register(s, rec, case.blank_serial)

    def cancel(self, record_id: int, reason: str, *, version: int | None = None) -> int:
        """Cancel an accepted case before 登记; returns the record's new version."""
        self.ctx.require(Permission.REGISTER)
        if not isinstance(reason, str) or not reason.strip():
            raise Refused([Issue("REASON_REQUIRED", "请填写取消原因", "reason")])
        if bad := text_issues(reason, "reason"):
            raise Refused(bad)
        with self.ctx.db.write() as s:
            rec = self._claimed(s, record_id, version)
            if rec.status not in OPEN_STATES:
                raise InvalidState("只能取消尚未登记的申请", code="MARRIAGE_NOT_OPEN")
            move(self.ctx, s, rec, MarriageState.CANCELLED, action="marriage.cancelled", reason=reason)
            return rec.version

    def correct(self, record_id: int, case: MarriageCase, reason: str = "", *,
                version: int | None = None) -> ChangedFields:
        """Correct the form of an accepted case before 登记 (a typo seen at 审查): the same record and
        acceptance number, the corrected case checked again as at 受理. A reviewed case goes back to
        审查: the signed declarations named the old facts. The audit entry names the changed fields, never
        their values. Returns the changed fields, with the record's new version."""
        self.ctx.require(Permission.REGISTER)
        if not isinstance(reason, str) or (bad := text_issues(reason, "reason")):
            raise Refused(bad if isinstance(reason, str) else [Issue("FIELD_TYPE_INVALID", "更正原因应为文字", "reason")])
        with self.ctx.db.write() as s:
            rec = self._claimed(s, record_id, version)
            if rec.status not in OPEN_STATES:
                raise InvalidState("只能更正已受理、尚未登记的申请", code="MARRIAGE_NOT_OPEN")
            issues = self._issues(s, case, exclude=rec.id)
            if issues:
                raise Refused(issues)
            old = self._case_of(rec)
            old.remarks = rec.data.get("remarks", "")
            changed = changed_fields(old, case)
            if not changed:
                raise Refused([Issue("CORRECTION_NOTHING_CHANGED", "没有更改任何信息", None)])
            for row, person in zip(rec.parties[:2], (case.party1, case.party2)):
                fresh = party_row(person, row.position, row.role)
                for attr in ("name", "name_initials", "sex", "birth_date", "id_type", "id_number", "id_tail",
                             "nationality", "data"):
                    setattr(row, attr, getattr(fresh, attr))
            data = {**rec.data, "variant": case.variant, "declarations": case.declarations.__dict__,
                    "union_began": case.union_began.isoformat() if case.union_began else None,
                    "remarks": case.remarks}
            was = rec.status
            if was == MarriageState.REVIEWED:
                data.pop("declarations_signed", None)  # to be signed again, on the corrected facts
            rec.data = data
            rec.linked_record_id = case.previous_record_id
            rec.updated_at = self.ctx.clock.now()
            move(self.ctx, s, rec, MarriageState.ACCEPTED, action="marriage.corrected",
                 detail={"fields": changed, "from": str(was)}, reason=reason.strip())
            return ChangedFields(changed, rec.version)

    @staticmethod
    def allowed_actions(rec: Record) -> frozenset[str]:
        """What may be done next to this marriage record ("review", "register", "cancel", ...)."""
        return ACTIONS.get(rec.status, frozenset())

    def view(self, record_id: int) -> MarriageView:
        """Open a record: audited as a view of personal data."""
        self.ctx.require(Permission.VIEW_RECORD)
        with self.ctx.db.write() as s:
            rec = self._get(s, record_id)
            audit.record(self.ctx, s, "record.view", "record", rec.id)
            return MarriageView(rec.id, rec.status, MarriageState.label(rec.status), rec.data.get("variant", ""),
                                rec.registration_date.isoformat() if rec.registration_date else None,
                                rec.certificate_no, [party_to_input(p).to_dict() for p in rec.parties], dict(rec.data),
                                rec.version)

    # --- helpers --------------------------------------------------------------------------------
    def _claimed(self, s: Session, record_id: int, version: int | None) -> Record:
        """The record, claimed at the version the clerk read (None: not read first, no check)."""
        rec = self._get(s, record_id)
        versions.claim(self.ctx, s, rec, version)
        return rec

    def _get(self, s: Session, record_id: int) -> Record:
        rec = s.get(Record, record_id) if valid_record_id(record_id) else None
        if rec is None or rec.kind != "marriage":
            raise NotFound(f"结婚登记记录不存在：{record_id}", code="RECORD_NOT_FOUND")
        return rec

    @staticmethod
    def _case_of(rec: Record) -> MarriageCase:
        p1, p2 = (party_to_input(p) for p in rec.parties[:2])
        d = rec.data
        began = dt.date.fromisoformat(d["union_began"]) if d.get("union_began") else None
        return MarriageCase(p1, p2, MarriageDeclarations(**d.get("declarations", {})), True, d.get("variant", "ordinary"),
                            began, rec.linked_record_id)


def changed_fields(old: MarriageCase, new: MarriageCase) -> list[str]:
    """The form fields that differ ("party1.name", "declarations.free_will", "union_began"), in form order."""
    out = []
    for key in ("party1", "party2"):
        a, b = getattr(old, key).to_dict(), getattr(new, key).to_dict()
        out += [f"{key}.{f}" for f in a if f != "extra" and a[f] != b.get(f)]
        if a.get("extra", {}) != b.get("extra", {}):
            out.append(f"{key}.extra")
    a, b = old.declarations.__dict__, new.declarations.__dict__
    out += [f"declarations.{f}" for f in a if a[f] != b.get(f)]
    out += [f for f in ("variant", "union_began", "previous_record_id", "remarks") if getattr(old, f) != getattr(new, f)]
    return out


def registration_payload(rec: Record, number: str, blank_serial: str | None) -> dict:
    """What the province receives for a registration (inside the encrypted batch)."""
    return {
        "kind": rec.kind, "record_uid": rec.uid, "certificate_no": number, "blank_serial": blank_serial,
        "registration_date": rec.registration_date.isoformat() if rec.registration_date else None,
        "variant": rec.data.get("variant"), "back_entered": rec.back_entered,
        "parties": [
            {"role": p.role, "name": p.name, "sex": p.sex, "birth_date": p.birth_date.isoformat() if p.birth_date else None,
             "id_type": p.id_type, "id_number": p.id_number, "nationality": p.nationality,
             "prior_status": (p.data or {}).get("prior_status")}
            for p in rec.parties
        ],
    }
