"""Divorce by agreement (协议离婚), CC 1076–1078 and 民发〔2020〕116号, as a state machine:

    apply --> cooling_off --(today > cooling_off_ends)--> window open --issue--> issued
              cooling_off --withdraw (either party alone, during cooling-off)--> withdrawn
              not collected by collect_by --> expired (deemed withdrawn; run at start-up and daily)

The stored status is `cooling_off` until an end state; the phase (cooling-off or window) comes from
the dates, so no timer has to fire for the window to open.

Two counters: `pending()` and `view()` give each application's `version`; `withdraw` and `issue` take the
version the clerk's list showed and claim the application before any check (services/versions.py), so a
step from an older read is refused with RECORD_CHANGED and nothing is written."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry_app.domain.counselling import counselling_from_dict
from registry_app.domain.deadlines import DivorceDeadlines, divorce_deadlines
from registry_app.domain.divorce_rules import (DivorceCheck, MarriageOnRecord, agreement_issues, capacity_issues,
                                               certificate_issues, marriage_issues)
from registry_app.domain.field_rules import (record_id_issue, structure_issues, text_issues, type_issue,
                                             valid_record_id)
from registry_app.domain.parties import PersonInput, person_issues
from registry_app.domain.roles import Permission
from registry_app.domain.states import (
    DIVORCE_ACTIONS,
    CertificateState,
    DivorcePhase,
    DivorceState,
    MarriageState,
    divorce_phase_zh,
)
from registry_app.errors import InvalidState, Issue, NotFound, Refused
from registry_app.services import audit, versions
from registry_app.services.calendar import calendar_in_force
from registry_app.services.context import AppContext
from registry_app.services.events import append_event
from registry_app.services.numbering import allocate
from registry_app.services.people import party_row, party_to_input
from registry_app.services.settings import load_settings
from registry_app.services.stock import use_blank
from registry_app.services.transitions import move
from registry_app.storage.models import Certificate, Party, Record

VOID_REMARK = "双方离婚，证件失效"


def _issue(code, msg, field=None):
    return Issue(code, msg, field)


@dataclass
class DivorceApplication:
    party1: PersonInput
    party2: PersonInput
    marriage_record_id: int | None
    marriage_elsewhere: dict | None
    certificates: dict
    agreement: dict
    capacity: dict
    counselling: dict = field(default_factory=dict)   # 婚姻家庭辅导: recorded, never a condition

    @classmethod
    def from_dict(cls, d: dict) -> "DivorceApplication":
        if not isinstance(d, dict):
            raise Refused([_issue("CASE_MALFORMED", "申请数据应为JSON对象")])
        issues = structure_issues(d)  # types, lengths and characters: field_rules
        if issues:
            raise Refused(issues)
        p1, i1 = PersonInput.from_dict(d.get("party1"), "party1")
        p2, i2 = PersonInput.from_dict(d.get("party2"), "party2")
        issues += i1 + i2
        marriage = d.get("marriage") if isinstance(d.get("marriage"), dict) else {}
        rid = marriage.get("record_id")
        if rid is not None and (bad := record_id_issue(rid, "marriage.record_id")):
            issues.append(bad)
            rid = None
        elsewhere = marriage.get("registered_elsewhere")
        if elsewhere is not None and not isinstance(elsewhere, dict):
            issues.append(_issue("CASE_MALFORMED", "marriage.registered_elsewhere 应为对象", "marriage"))
            elsewhere = None
        for key in ("certificates", "agreement", "capacity"):
            if d.get(key) is not None and not isinstance(d.get(key), dict):
                issues.append(_issue("CASE_MALFORMED", f"{key} 应为对象", key))
        counselling, bad = counselling_from_dict(d.get("counselling"))
        issues += bad
        if issues or p1 is None or p2 is None:
            raise Refused(issues or [_issue("PARTY_MISSING", "缺少当事人信息")])
        return cls(p1, p2, rid, elsewhere, d.get("certificates") or {}, d.get("agreement") or {}, d.get("capacity") or {},
                   counselling)


@dataclass(frozen=True)
class MarriageMatch:
    """This office's marriage of two people, as the divorce counter needs to see it."""

    record_id: int
    status: str
    registration_date: str | None
    certificate_no: str | None
    names: list[str]


class DivorceService:
    def __init__(self, ctx: AppContext):
        self.ctx = ctx

    def find_marriage(self, id_number1: str, id_number2: str) -> MarriageMatch | None:
        """The marriage record of this office (back-entered ones included) naming both ID numbers; a live
        one first. The lookup is audited like a search."""
        self.ctx.require(Permission.REGISTER)
        ids = [(n or "").strip().upper() for n in (id_number1, id_number2)]
        if not all(ids) or ids[0] == ids[1]:
            return None
        with self.ctx.db.write() as s:
            both = (select(Party.record_id).where(Party.id_number.in_(ids)).group_by(Party.record_id)
                    .having(func.count(func.distinct(Party.id_number)) == 2))
            records = s.execute(select(Record).where(Record.id.in_(both), Record.kind == "marriage")
                                .order_by(Record.id.desc())).scalars().all()
            audit.record(self.ctx, s, "record.search", "query", "divorce.find_marriage",
                         {"hits": len(records)})
            if not records:
                return None
            rec = next((r for r in records if r.status == MarriageState.REGISTERED), records[0])
            return MarriageMatch(rec.id, rec.status,
                                 rec.registration_date.isoformat() if rec.registration_date else None,
                                 rec.certificate_no, [p.name for p in rec.parties])

    # --- application -----------------------------------------------------------------------------
    def _application_issues(self, s: Session, app: DivorceApplication) -> tuple[list[Issue], Record | None]:
        today = self.ctx.clock.today()
        issues = person_issues(app.party1, "party1", today) + person_issues(app.party2, "party2", today)
        issues += capacity_issues(app.capacity)
        issues += agreement_issues(app.agreement)
        issues += certificate_issues(app.certificates)
        marriage = None
        if app.marriage_record_id is not None:
            marriage = s.get(Record, app.marriage_record_id)
            if marriage is not None and marriage.kind != "marriage":
                marriage = None
        on_record = MarriageOnRecord(marriage.status, frozenset(p.id_number for p in marriage.parties if p.id_number)) \
            if marriage is not None else None
        issues += marriage_issues(on_record, app.marriage_record_id is not None, app.marriage_elsewhere,
                                  {app.party1.id_number, app.party2.id_number})
        return issues, marriage

    def check(self, case: dict | DivorceApplication) -> DivorceCheck:
        """Live check while the clerk types (the rules of `apply`; nothing stored, nothing looked up by
        name): the legal refusals and the missing input, apart."""
        self.ctx.require(Permission.REGISTER)
        try:
            app = case if isinstance(case, DivorceApplication) else DivorceApplication.from_dict(case)
        except Refused as exc:
            return DivorceCheck.of(exc.issues)
        with self.ctx.db.read() as s:
            return DivorceCheck.of(self._application_issues(s, app)[0])

    def apply(self, case: dict | DivorceApplication) -> dict:
        user = self.ctx.require(Permission.REGISTER)
        app = case if isinstance(case, DivorceApplication) else DivorceApplication.from_dict(case)
        with self.ctx.db.write() as s:
            issues, marriage = self._application_issues(s, app)
            if issues:
                raise Refused(issues)
            today = self.ctx.clock.today()
            deadlines = divorce_deadlines(today, calendar_in_force(s))  # MissingSchedule names the year
            settings = load_settings(s)
            now = self.ctx.clock.now()
            rec = Record(uid=str(uuid.uuid4()), kind="divorce", status=DivorceState.COOLING_OFF, office_code=settings.office_code,
                         application_date=today, created_by=user.username, created_at=now, updated_at=now,
                         linked_record_id=marriage.id if marriage else None,
                         data={"deadlines": deadlines.to_dict(), "agreement": app.agreement,
                               "certificates": app.certificates, "marriage_elsewhere": app.marriage_elsewhere,
                               "counselling": app.counselling})
            rec.parties.append(party_row(app.party1, 1, "party1"))
            rec.parties.append(party_row(app.party2, 2, "party2"))
            s.add(rec)
            if marriage:
                move(self.ctx, s, marriage, MarriageState.DIVORCE_PENDING)
            s.flush()
            audit.record(self.ctx, s, "divorce.applied", "record", rec.id, deadlines.to_dict())
            append_event(self.ctx, s, "divorce.applied", rec.id,
                         {"kind": "divorce", "record_uid": rec.uid, "marriage_uid": marriage.uid if marriage else None,
                          **deadlines.to_dict(), "parties": _parties_payload(rec)})
            return {"application_id": rec.id, "status": rec.status, **deadlines.to_dict()}

    # --- transitions -----------------------------------------------------------------------------
    def _get(self, s: Session, app_id: int) -> Record:
        rec = s.get(Record, app_id) if valid_record_id(app_id) else None
        if rec is None or rec.kind != "divorce":
            raise NotFound(f"离婚申请不存在：{app_id}", code="APPLICATION_NOT_FOUND")
        return rec

    def phase(self, rec: Record) -> str:
        if rec.status != DivorceState.COOLING_OFF:
            return rec.status
        return DivorceDeadlines.from_dict(rec.data["deadlines"]).phase_on(self.ctx.clock.today())

    def allowed_actions(self, rec: Record) -> frozenset[str]:
        """What may be done next to this application today: "withdraw", "issue" or "reissue"."""
        return DIVORCE_ACTIONS.get(self.phase(rec), frozenset())

    def _release_marriage(self, s: Session, rec: Record,
                          status: MarriageState = MarriageState.REGISTERED) -> Record | None:
        if rec.linked_record_id:
            m = s.get(Record, rec.linked_record_id)
            if m is not None and m.status == MarriageState.DIVORCE_PENDING:
                move(self.ctx, s, m, status)
            return m
        return None

    def _claimed(self, s: Session, app_id: int, version: int | None) -> Record:
        """The application, claimed at the version the clerk read (None: not read first, no check)."""
        rec = self._get(s, app_id)
        versions.claim(self.ctx, s, rec, version)
        return rec

    def withdraw(self, app_id: int, party: int, slip_lost: bool = False, note: str = "", *,
                 version: int | None = None) -> dict:
        self.ctx.require(Permission.REGISTER)
        if party not in (1, 2):
            raise Refused([_issue("PARTY_INVALID", "撤回人应为申请人一或申请人二", "party")])
        with self.ctx.db.write() as s:
            rec = self._claimed(s, app_id, version)
            phase = self.phase(rec)
            if phase != DivorcePhase.COOLING_OFF:
                raise InvalidState(f"只能在离婚冷静期内撤回（当前：{divorce_phase_zh(phase)}）", code="NOT_IN_COOLING_OFF")
            bad = text_issues(note, "note") if isinstance(note, str) else [type_issue("note", "文字")]
            if bad:
                raise Refused(bad)
            if slip_lost and not note.strip():
                raise Refused([_issue("WRITTEN_NOTE_REQUIRED", "受理回执单遗失的，须提交书面说明", "note")])
            move(self.ctx, s, rec, DivorceState.WITHDRAWN)  # audited below
            rec.data = {**rec.data, "withdrawn": {"by_party": party, "on": self.ctx.clock.today().isoformat(),
                                                  "slip_lost": slip_lost, "note": note}}
            self._release_marriage(s, rec)
            audit.record(self.ctx, s, "divorce.withdrawn", "record", rec.id, {"by_party": party})
            append_event(self.ctx, s, "divorce.withdrawn", rec.id, {"kind": "divorce", "record_uid": rec.uid,
                                                                     "by_party": party})
            return {"application_id": rec.id, "status": rec.status, "version": rec.version}

    def issue(self, app_id: int, *, both_present: bool, questioning: dict, signed: bool,
              blank_serials: list[str] | None = None, version: int | None = None) -> dict:
        self.ctx.require(Permission.REGISTER)
        with self.ctx.db.write() as s:
            rec = self._claimed(s, app_id, version)
            phase = self.phase(rec)
            d = DivorceDeadlines.from_dict(rec.data["deadlines"])
            if phase == DivorcePhase.COOLING_OFF:
                raise InvalidState(f"冷静期未届满，{d.window_opens:%Y年%m月%d日}起方可领证", code="WINDOW_NOT_OPEN")
            if phase != DivorcePhase.WINDOW_OPEN:
                raise InvalidState(f"申请已{divorce_phase_zh(phase)}，不能发证", code="WINDOW_CLOSED")
            issues = []
            if not both_present:
                issues.append(_issue("BOTH_MUST_APPEAR", "双方须共同到场申请发给离婚证", "both_present"))
            questioning = questioning if isinstance(questioning, dict) else {}
            issues += structure_issues(questioning, "questioning")
            for k in ("party1", "party2"):
                answer = questioning.get(k)
                if not isinstance(answer, str) or not answer.strip():
                    issues.append(_issue("QUESTIONING_NOT_RECORDED", "须分别询问双方并记录", f"questioning.{k}"))
            if not signed:
                issues.append(_issue("NOT_SIGNED", "双方须在监誓人面前签署声明书和离婚协议书", "signed"))
            issues += agreement_issues(rec.data.get("agreement", {}))
            if issues:
                raise Refused(issues)
            settings = load_settings(s)
            today = self.ctx.clock.today()
            number = allocate(s, "L", settings.number_scope, today.year)
            cert = Certificate(number=number, cert_type="L", record_id=rec.id, issued_on=today, status=CertificateState.ISSUED,
                               data={"blank_serials": list(blank_serials or [])})
            s.add(cert)
            s.flush()
            for serial in blank_serials or []:
                use_blank(self.ctx, s, serial, "divorce", cert)
            cert.blank_serial = (blank_serials or [None])[0]
            marriage = self._release_marriage(s, rec, MarriageState.DISSOLVED)
            voided = []
            if marriage is not None:
                move(self.ctx, s, marriage, MarriageState.DISSOLVED)  # also when the link was not pending
                for mc in s.execute(select(Certificate).where(Certificate.record_id == marriage.id,
                                                              Certificate.status == CertificateState.ISSUED)).scalars():
                    move(self.ctx, s, mc, CertificateState.ENDED_BY_DIVORCE)
                    mc.void_reason = VOID_REMARK
                    voided.append(mc.number)
            move(self.ctx, s, rec, DivorceState.ISSUED)  # the operation's entry below lists all three moves
            rec.registration_date = today
            rec.certificate_no = number
            rec.data = {**rec.data, "questioning": questioning, "signed": True, "marriage_certificates_voided": voided,
                        "void_remark": VOID_REMARK}
            audit.record(self.ctx, s, "divorce.issued", "record", rec.id, {"certificate_no": number, "voided": voided})
            append_event(self.ctx, s, "divorce.issued", rec.id,
                         {"kind": "divorce", "record_uid": rec.uid, "certificate_no": number,
                          "registration_date": today.isoformat(), "marriage_uid": marriage.uid if marriage else None,
                          "voided_marriage_certificates": voided, "blank_serials": list(blank_serials or []),
                          "parties": _parties_payload(rec)})
            return {"application_id": rec.id, "status": rec.status, "certificate_no": number,
                    "voided_marriage_certificates": voided, "version": rec.version}

    def expire_overdue(self) -> list[int]:
        """Applications nobody collected by the end of the window are deemed withdrawn. Runs without a
        button: at start-up and daily in the client, and before every divorce command."""
        today = self.ctx.clock.today()
        expired = []
        system = replace(self.ctx, user=None)  # the version is stamped as the audit entry is: the system's
        with self.ctx.db.write() as s:
            for rec in s.execute(select(Record).where(Record.kind == "divorce", Record.status == DivorceState.COOLING_OFF)).scalars().all():
                if DivorceDeadlines.from_dict(rec.data["deadlines"]).phase_on(today) == DivorcePhase.EXPIRED:
                    versions.claim(system, s, rec, None)  # a sweep reads nothing first: raised, not checked
                    move(self.ctx, s, rec, DivorceState.EXPIRED)
                    self._release_marriage(s, rec)
                    audit.record(self.ctx, s, "divorce.expired", "record", rec.id, {"collect_by": rec.data["deadlines"]["collect_by"]},
                                 username="system", role="system")
                    append_event(self.ctx, s, "divorce.expired", rec.id, {"kind": "divorce", "record_uid": rec.uid})
                    expired.append(rec.id)
        return expired

    def pending(self, only_mine: bool = False) -> list[dict]:
        """Work list: open applications with their phase and days left."""
        user = self.ctx.require(Permission.REGISTER)
        today = self.ctx.clock.today()
        out = []
        with self.ctx.db.read() as s:
            q = select(Record).where(Record.kind == "divorce", Record.status == DivorceState.COOLING_OFF)
            if only_mine:
                q = q.where(Record.created_by == user.username)
            for rec in s.execute(q.order_by(Record.application_date)).scalars():
                d = DivorceDeadlines.from_dict(rec.data["deadlines"])
                phase = d.phase_on(today)
                target = d.cooling_off_ends if phase == DivorcePhase.COOLING_OFF else d.collect_by
                out.append({"application_id": rec.id, "version": rec.version, "phase": phase,
                            "phase_zh": divorce_phase_zh(phase),
                            "actions": sorted(DIVORCE_ACTIONS.get(phase, ())),
                            "days_left": (target - today).days, **d.to_dict(),
                            "parties": [p.name for p in rec.parties]})
        return out

    def view(self, app_id: int) -> dict:
        self.ctx.require(Permission.VIEW_RECORD)
        with self.ctx.db.write() as s:
            rec = self._get(s, app_id)
            audit.record(self.ctx, s, "record.view", "record", rec.id)
            return {"application_id": rec.id, "version": rec.version, "status": rec.status, "phase": self.phase(rec),
                    "certificate_no": rec.certificate_no, **rec.data.get("deadlines", {}),
                    "counselling": rec.data.get("counselling", {}),
                    "parties": [party_to_input(p).to_dict() for p in rec.parties]}


def _parties_payload(rec: Record) -> list[dict]:
    return [{"role": p.role, "name": p.name, "sex": p.sex, "birth_date": p.birth_date.isoformat() if p.birth_date else None,
             "id_type": p.id_type, "id_number": p.id_number} for p in rec.parties]
