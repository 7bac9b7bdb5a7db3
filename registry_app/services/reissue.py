"""Reissue (补领/补发) of a marriage or divorce certificate that was lost, damaged or disagrees with the
holder's ID document, after checking the archive: a new `BJ` (marriage) or `BL` (divorce) number; the
record's earlier certificate(s) become "replaced" and no longer verify. Refused with REISSUE_STATUS_CHANGED
when the marital status has changed since (the record is no longer in force, or another record or the
provincial extract shows a later change): the office then issues the record proof (services/record_proof.py)
instead. One transaction, audited, with its sync event; the record is claimed at the version the page read
(services/versions.py: RECORD_CHANGED otherwise)."""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from registry_app.domain.annulment import effect_of
from registry_app.domain.field_rules import normalise_id, structure_issues
from registry_app.domain.ids import IdType, validate_document
from registry_app.domain.roles import Permission
from registry_app.domain.states import (
    CertificateState,
    DivorceState,
    MarriageState,
    RecordKind,
    record_status_zh,
)
from registry_app.errors import InvalidState, Issue, Refused
from registry_app.services import audit, versions
from registry_app.services.context import AppContext
from registry_app.services.events import append_event
from registry_app.services.numbering import allocate
from registry_app.services.people import standing
from registry_app.services.registered_records import (
    IN_FORCE,
    marital_record_by_ref,
    parties_payload,
    registered_fact,
    valid_certificates,
)
from registry_app.services.settings import load_settings
from registry_app.services.stock import use_blank
from registry_app.services.transitions import move
from registry_app.storage.models import Certificate, Party, Record

M = MarriageState
REISSUE_REASONS = {"lost": "遗失", "damaged": "损毁", "inconsistent": "证件记载与身份证件不一致"}
# record kind -> (reissue type, booklet type, certificate name)
_REISSUE_OF_KIND = {RecordKind.MARRIAGE: ("BJ", "marriage", "结婚证"), RecordKind.DIVORCE: ("BL", "divorce", "离婚证")}
# a record in these states has no certificate yet (or will never have one)
_NOT_REGISTERED = {RecordKind.MARRIAGE: frozenset({M.ACCEPTED, M.REVIEWED, M.CANCELLED}),
                   RecordKind.DIVORCE: frozenset(DivorceState) - {DivorceState.ISSUED}}
PROVINCE_ZH = {"married": "有配偶", "divorced": "离婚", "widowed": "丧偶"}
PROOF_OFFER = "可申请出具婚姻登记记录证明"


def _issue(code: str, message: str, field_name: str | None = None) -> Issue:
    return Issue(code, message, field_name)


def _text(d: dict, key: str) -> str:
    value = d.get(key)
    return value.strip() if isinstance(value, str) else ""


@dataclass
class Agent:
    """Someone applying for the parties with a notarised power of attorney (委托书经公证)."""

    name: str
    id_type: str
    id_number: str
    notarial_certificate_no: str

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class ReissueRequest:
    reason: str
    applicants: list[int]
    agent: Agent | None = None
    explanation: str = ""
    blank_serials: list[str] = field(default_factory=list)
    remarks: str = ""

    @classmethod
    def from_dict(cls, d: dict, today: dt.date | None = None) -> ReissueRequest:
        """Parse the request JSON (resources/examples/reissue-request.json); raises Refused with every issue."""
        if not isinstance(d, dict):
            raise Refused([_issue("REQUEST_MALFORMED", "补领申请应为JSON对象")])
        issues: list[Issue] = structure_issues(d)  # types, lengths and characters: field_rules
        if issues:
            raise Refused(issues)
        reason = d.get("reason")
        if not isinstance(reason, str) or reason not in REISSUE_REASONS:
            issues.append(_issue("REISSUE_REASON_INVALID", "补领原因应为遗失（lost）、损毁（damaged）或证件记载与身份证件不一致"
                                 "（inconsistent）", "reason"))
        raw_applicants = d.get("applicants")
        applicants: list[int] = []
        if isinstance(raw_applicants, list) and raw_applicants and all(
                isinstance(a, int) and not isinstance(a, bool) and a in (1, 2) for a in raw_applicants) \
                and len(set(raw_applicants)) == len(raw_applicants):
            applicants = sorted(raw_applicants)
        else:
            issues.append(_issue("REISSUE_APPLICANT_INVALID", "申请人应为当事人一方或双方（1、2）", "applicants"))
        explanation = _text(d, "explanation")
        if reason == "inconsistent" and not explanation:
            issues.append(_issue("REISSUE_EXPLANATION_REQUIRED", "证件记载与身份证件不一致的，须写明不一致之处", "explanation"))
        agent = None
        raw_agent = d.get("agent")
        if raw_agent is not None:
            if not isinstance(raw_agent, dict):
                issues.append(_issue("REQUEST_MALFORMED", "agent 应为对象", "agent"))
            else:
                agent = Agent(name=_text(raw_agent, "name"),
                              id_type=_text(raw_agent, "id_type") or IdType.RESIDENT.value,
                              id_number=normalise_id(_text(raw_agent, "id_number")),
                              notarial_certificate_no=_text(raw_agent, "notarial_certificate_no"))
                if not agent.name:
                    issues.append(_issue("AGENT_NAME_REQUIRED", "须填写受委托人姓名", "agent.name"))
                if agent.id_type not in {t.value for t in IdType} or agent.id_type == IdType.NONE.value:
                    issues.append(_issue("AGENT_ID_TYPE_INVALID", "受委托人身份证件类型无效", "agent.id_type"))
                else:
                    bad = validate_document(agent.id_type, agent.id_number, today)
                    if bad is not None:
                        issues.append(_issue(bad.code, f"受委托人{bad.message}", "agent.id_number"))
                if not agent.notarial_certificate_no:
                    issues.append(_issue("AGENT_NOTARIAL_CERT_REQUIRED",
                                         "委托他人办理补领的，须提交经公证的委托书，并录入公证书编号",
                                         "agent.notarial_certificate_no"))
        serials: list[str] = []
        raw_serials = d.get("blank_serials")
        if d.get("blank_serial") not in (None, ""):
            raw_serials = [d.get("blank_serial"), *raw_serials] if isinstance(raw_serials, list) \
                else [d.get("blank_serial")] if raw_serials is None else raw_serials
        if raw_serials is not None:
            if isinstance(raw_serials, list) and all(isinstance(x, str) and x.strip() for x in raw_serials) \
                    and len(raw_serials) <= 2 and len(set(raw_serials)) == len(raw_serials):
                serials = [x.strip() for x in raw_serials]
            else:
                issues.append(_issue("REQUEST_MALFORMED", "空白证书印制号应为一至两个不同的字符串", "blank_serials"))
        remarks = d.get("remarks")
        if remarks is not None and not isinstance(remarks, str):
            issues.append(_issue("REQUEST_MALFORMED", "remarks 应为字符串", "remarks"))
        if issues:
            raise Refused(issues)
        return cls(reason=reason, applicants=applicants, agent=agent, explanation=explanation,
                   blank_serials=serials, remarks=(remarks or "").strip())

    def to_dict(self) -> dict:
        return {"reason": self.reason, "applicants": list(self.applicants),
                "agent": self.agent.to_dict() if self.agent else None, "explanation": self.explanation,
                "blank_serials": list(self.blank_serials), "remarks": self.remarks}


@dataclass
class ReissueResult:
    record_id: int
    certificate_no: str
    cert_type: str
    replaced: list[str]
    blank_serials: list[str]
    status: str = CertificateState.ISSUED.value

    def to_dict(self) -> dict:
        return asdict(self)



class CertificateReissue:
    def __init__(self, ctx: AppContext):
        self.ctx = ctx

    def status_changes(self, s: Session, rec: Record) -> list[Issue]:
        """Why the marital status recorded by `rec` no longer holds (empty: it still holds)."""
        name = _REISSUE_OF_KIND[rec.kind][2]
        is_marriage = rec.kind == RecordKind.MARRIAGE
        if rec.status != IN_FORCE[rec.kind]:
            return [_issue("REISSUE_STATUS_CHANGED",
                           f"该记录的状态为“{record_status_zh(rec.kind, rec.status)}”，婚姻状况已发生变化，"
                           f"不能补领{name}；{PROOF_OFFER}", "record")]
        out: list[Issue] = []
        seen: set[str] = set()
        for p in rec.parties[:2]:
            if not p.id_number or p.id_number in seen:
                continue
            seen.add(p.id_number)
            reasons: list[str] = []
            st = standing(s, p.id_number, rec.id if is_marriage else None)
            if st.recorded_status == "married":
                reasons.append(f"本机关档案中另有其婚姻登记（记录{st.spouse_record_id}）")
            changed_in_province = ("divorced", "widowed") if is_marriage else ("married", "widowed")
            if st.province_status in changed_in_province:
                reasons.append(f"省级比对数据显示其婚姻状况为“{PROVINCE_ZH[st.province_status]}”")
            later = self._later_records(s, rec, p.id_number)
            if later:
                reasons.append("此后另有登记（" + "、".join(later) + "）")
            if reasons:
                out.append(_issue("REISSUE_STATUS_CHANGED",
                                  f"{p.name}的婚姻状况已发生变化：{'；'.join(reasons)}，不能补领{name}；{PROOF_OFFER}",
                                  f"parties.{p.position}"))
        if not is_marriage and rec.linked_record_id:
            marriage = s.get(Record, rec.linked_record_id)
            judged = effect_of(marriage.status) if marriage is not None else None
            if judged is not None:
                out.append(_issue("REISSUE_STATUS_CHANGED", f"所解除的婚姻已经法院判决{judged.zh}，"
                                  f"不能补领离婚证；{PROOF_OFFER}", "record"))
        return out

    @staticmethod
    def _later_records(s: Session, rec: Record, id_number: str) -> list[str]:
        """Registrations naming the person after `rec` (a later marriage or divorce, here or back-entered)."""
        if rec.registration_date is None:
            return []
        rows = s.execute(
            select(Record.id, Record.kind, Record.registration_date)
            .join(Party, Party.record_id == Record.id)
            .where(Party.id_number == id_number, Record.id != rec.id, registered_fact(),
                   or_(Record.registration_date > rec.registration_date,
                       and_(Record.registration_date == rec.registration_date, Record.id > rec.id)))
            .order_by(Record.registration_date)
        ).all()
        return [f"{r.registration_date.isoformat()}{RecordKind.label(r.kind)}，记录{r.id}" for r in rows]

    def reissue(self, ref: int | str, request: dict | ReissueRequest, *, version: int | None = None) -> ReissueResult:
        """补领: `ref` is a record id (int) or a certificate number (str). The record kind decides the
        type: a marriage gets a BJ number, a divorce a BL number. `version` is the record's as the page
        showed it (None: not read first)."""
        user = self.ctx.require(Permission.REGISTER)
        today = self.ctx.clock.today()
        versions.checked_version(version)
        req = request if isinstance(request, ReissueRequest) else ReissueRequest.from_dict(request, today)
        with self.ctx.db.write() as s:
            rec = marital_record_by_ref(s, ref)
            versions.claim(self.ctx, s, rec, version)
            cert_type, booklet, _ = _REISSUE_OF_KIND[rec.kind]
            if rec.status in _NOT_REGISTERED[rec.kind]:
                raise InvalidState(f"该申请尚未登记发证（{record_status_zh(rec.kind, rec.status)}），没有可补领的证书",
                                   code="RECORD_NOT_REGISTERED")
            changed = self.status_changes(s, rec)
            if changed:
                raise Refused(changed)
            settings = load_settings(s)
            number = allocate(s, cert_type, settings.number_scope, today.year)
            previous = valid_certificates(s, rec)
            replaced = [c.number for c in previous]
            for old in previous:
                move(self.ctx, s, old, CertificateState.REPLACED)
                old.void_reason = f"因{REISSUE_REASONS[req.reason]}已补发{number}，原证失效"
                old.data = {**(old.data or {}), "replaced_by": number, "replaced_on": today.isoformat()}
            entry = {"certificate_no": number, "date": today.isoformat(), "by": user.username,
                     "replaced": replaced, **req.to_dict()}
            cert = Certificate(number=number, cert_type=cert_type, record_id=rec.id,
                               holder_position=req.applicants[0] if len(req.applicants) == 1 else None,
                               issued_on=today, status=CertificateState.ISSUED,
                               data={"reissue": entry, "blank_serials": list(req.blank_serials)})
            s.add(cert)
            s.flush()
            for serial in req.blank_serials:
                use_blank(self.ctx, s, serial, booklet, cert)
            cert.blank_serial = req.blank_serials[0] if req.blank_serials else None
            rec.data = {**(rec.data or {}), "reissues": [*(rec.data or {}).get("reissues", []), entry]}
            rec.updated_at = self.ctx.clock.now()
            agent = req.agent
            audit.record(self.ctx, s, "certificate.reissued", "record", rec.id, {
                "certificate_no": number, "replaced": replaced, "reason": req.reason, "applicants": req.applicants,
                "agent": {"name": agent.name, "notarial_certificate_no": agent.notarial_certificate_no} if agent else None,
                "blank_serials": req.blank_serials})
            append_event(self.ctx, s, "certificate.reissued", rec.id, {
                "kind": rec.kind, "record_uid": rec.uid, "certificate_no": number, "cert_type": cert_type,
                "original_certificate_no": rec.certificate_no, "replaced": replaced, "issued_on": today.isoformat(),
                "reason": req.reason, "applicants": req.applicants, "agent": agent.to_dict() if agent else None,
                "blank_serials": list(req.blank_serials), "parties": parties_payload(rec)})
            return ReissueResult(rec.id, number, cert_type, replaced, list(req.blank_serials))
