"""What the office does with a marriage or divorce record after registration (the archive side):

- reissue (补领/补发): a lost, damaged or ID-inconsistent certificate, after checking the archive. A new
  `BJ` (marriage) or `BL` (divorce) number; the record's earlier certificate(s) become "replaced" and no
  longer verify. Refused with REISSUE_STATUS_CHANGED when the marital status has changed since (the record
  is no longer in force, or another record or the provincial extract shows a later change): the office
  then issues the marriage registration record proof (婚姻登记记录证明) instead.
- record proof: the 婚姻登记记录证明 PDF listing every registration in the archive naming a person.
- court annotation: a judgment declaring a marriage invalid (CC 1051) or revoking it (CC 1052, 1053) is
  annotated on the record (status "invalidated"/"revoked"), with the court, case number and archive
  number; earlier annotations and the archive remark are kept. Supervisor only.
- voiding a certificate: the number stays on record as "voided" and is never reused; while the record is
  in force a replacement with the next number of the same type is issued in the same transaction.

Each operation is one transaction, audited, and (except the proof, which is only a view) appends its
sync event."""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from registry_app.certificates.forms import MarriageRecordEntry, marriage_record_proof
from registry_app.certificates.render import render_form
from registry_app.certificates.views import PartyView
from registry_app.domain.field_rules import normalise_id, structure_issues, text_issues, type_issue, valid_record_id
from registry_app.domain.ids import IdType, InvalidIdNumber, mask_id, parse_resident_id, validate_document
from registry_app.domain.roles import Permission
from registry_app.domain.states import BlankState, CertificateState, DivorceState, MarriageState, record_status_zh
from registry_app.errors import InvalidState, Issue, NotFound, Refused
from registry_app.services import audit
from registry_app.services.context import AppContext
from registry_app.services.events import append_event
from registry_app.services.numbering import allocate
from registry_app.services.people import standing
from registry_app.services.settings import load_settings
from registry_app.services.stock import use_blank
from registry_app.services.transitions import move
from registry_app.storage.models import BlankCertificate, Certificate, Party, Record

REISSUE_REASONS = {"lost": "遗失", "damaged": "损毁", "inconsistent": "证件记载与身份证件不一致"}
# What may be reissued: record kind -> (status in force, reissue type, booklet type, certificate name)
_REISSUABLE = {
    "marriage": (MarriageState.REGISTERED, "BJ", "marriage", "结婚证"),
    "divorce": (DivorceState.ISSUED, "BL", "divorce", "离婚证"),
}
# certificate types per record kind (the original and its reissue)
_TYPES_OF_KIND = {"marriage": ("J", "BJ"), "divorce": ("L", "BL")}
_BOOKLET_OF_TYPE = {"J": "marriage", "BJ": "marriage", "L": "divorce", "BL": "divorce"}
# A court decides; the office annotates (CC 1051-1053; registry_app/domain/RULES.md).
EFFECTS = {"invalid": (MarriageState.INVALIDATED, "婚姻无效"), "revoked": (MarriageState.REVOKED, "婚姻被撤销")}
GROUNDS = {
    "bigamy": ("invalid", "重婚（民法典第1051条）"),
    "prohibited_kinship": ("invalid", "有禁止结婚的亲属关系（民法典第1051条）"),
    "under_age": ("invalid", "未到法定婚龄（民法典第1051条）"),
    "coercion": ("revoked", "因胁迫结婚（民法典第1052条）"),
    "illness_not_disclosed": ("revoked", "一方婚前未如实告知重大疾病（民法典第1053条）"),
}
M = MarriageState
ANNOTATABLE = (M.REGISTERED, M.DISSOLVED, M.INVALIDATED, M.REVOKED)
PROVINCE_ZH = {"married": "有配偶", "divorced": "离婚", "widowed": "丧偶"}
PROOF_OFFER = "可申请出具婚姻登记记录证明"
# marriage statuses that are an archive fact worth listing on the record proof
_PROOF_MARRIAGE_STATUSES = (M.REGISTERED, M.DIVORCE_PENDING, M.DISSOLVED, M.INVALIDATED, M.REVOKED)
_VARIANT_ZH = {"ordinary": "结婚登记", "remarriage": "复婚登记", "supplementary": "补办结婚登记"}


def _issue(code: str, message: str, field_name: str | None = None) -> Issue:
    return Issue(code, message, field_name)


def _text(d: dict, key: str) -> str:
    value = d.get(key)
    return value.strip() if isinstance(value, str) else ""


# --- requests -----------------------------------------------------------------------------------


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
    def from_dict(cls, d: dict, today: dt.date | None = None) -> "ReissueRequest":
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
class Judgment:
    """A court judgment on a marriage, as the office records it."""

    court: str
    case_number: str
    judgment_date: dt.date
    effect: str
    archive_number: str
    remark: str = ""
    ground: str = ""
    effective_date: dt.date | None = None

    @classmethod
    def from_dict(cls, d: dict, today: dt.date) -> "Judgment":
        """Parse the judgment JSON (resources/examples/annotation.json); raises Refused with every issue."""
        if not isinstance(d, dict):
            raise Refused([_issue("REQUEST_MALFORMED", "法院判决信息应为JSON对象")])
        issues: list[Issue] = structure_issues(d)
        if issues:
            raise Refused(issues)
        court, case_number, archive_number = _text(d, "court"), _text(d, "case_number"), _text(d, "archive_number")
        if not court:
            issues.append(_issue("JUDGMENT_COURT_REQUIRED", "须填写作出判决的人民法院", "court"))
        if not case_number:
            issues.append(_issue("JUDGMENT_CASE_NUMBER_REQUIRED", "须填写判决书案号", "case_number"))
        if not archive_number:
            issues.append(_issue("ARCHIVE_NUMBER_REQUIRED", "须填写婚姻登记档案号（备注写在审查处理表上）", "archive_number"))
        dates: dict[str, dt.date | None] = {}
        for key, zh in (("judgment_date", "判决日期"), ("effective_date", "判决生效日期")):
            raw = d.get(key)
            dates[key] = None
            if raw in (None, "") and key == "effective_date":
                continue
            try:
                dates[key] = dt.date.fromisoformat(str(raw))
            except ValueError:
                issues.append(_issue("JUDGMENT_DATE_INVALID", f"{zh}格式应为YYYY-MM-DD", key))
                continue
            if dates[key] > today:
                issues.append(_issue("JUDGMENT_DATE_FUTURE", f"{zh}不能晚于今天", key))
        if dates.get("judgment_date") and dates.get("effective_date") and \
                dates["effective_date"] < dates["judgment_date"]:
            issues.append(_issue("JUDGMENT_DATE_INVALID", "判决生效日期不能早于判决日期", "effective_date"))
        effect = d.get("effect")
        if not isinstance(effect, str) or effect not in EFFECTS:
            issues.append(_issue("JUDGMENT_EFFECT_INVALID", "判决结果应为婚姻无效（invalid）或撤销婚姻（revoked）", "effect"))
        ground = _text(d, "ground")
        if ground:
            if ground not in GROUNDS:
                issues.append(_issue("JUDGMENT_GROUND_INVALID", "判决理由应为 " + "、".join(GROUNDS), "ground"))
            elif effect in EFFECTS and GROUNDS[ground][0] != effect:
                issues.append(_issue("JUDGMENT_GROUND_MISMATCH",
                                     f"“{GROUNDS[ground][1]}”对应的判决结果不是“{EFFECTS[effect][1]}”", "ground"))
        remark = d.get("remark")
        if remark is not None and not isinstance(remark, str):
            issues.append(_issue("REQUEST_MALFORMED", "remark 应为字符串", "remark"))
        if issues:
            raise Refused(issues)
        return cls(court=court, case_number=case_number, judgment_date=dates["judgment_date"], effect=effect,
                   archive_number=archive_number, remark=(remark or "").strip(), ground=ground,
                   effective_date=dates.get("effective_date"))

    def default_remark(self) -> str:
        text = f"经{self.court}（{self.case_number}）判决，{EFFECTS[self.effect][1]}"
        if self.ground:
            text += f"，理由：{GROUNDS[self.ground][1]}"
        return text + f"。档案号：{self.archive_number}。"


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


# --- the service ----------------------------------------------------------------------------------


def _parties_payload(rec: Record) -> list[dict]:
    return [{"role": p.role, "name": p.name, "sex": p.sex, "id_type": p.id_type, "id_number": p.id_number,
             "birth_date": p.birth_date.isoformat() if p.birth_date else None} for p in rec.parties]


def _serials(cert: Certificate) -> list[str]:
    listed = (cert.data or {}).get("blank_serials") or []
    return [x for x in listed if x] or ([cert.blank_serial] if cert.blank_serial else [])


class MarriageArchive:
    def __init__(self, ctx: AppContext):
        self.ctx = ctx

    # --- lookups ----------------------------------------------------------------------------------
    @staticmethod
    def _record(s: Session, record_id: int) -> Record:
        rec = s.get(Record, record_id) if valid_record_id(record_id) else None  # 10**30 is no key, not a crash
        if rec is None or rec.kind not in ("marriage", "divorce"):
            raise NotFound(f"婚姻登记记录不存在：{record_id}", code="RECORD_NOT_FOUND")
        return rec

    def _record_by_ref(self, s: Session, ref: int | str) -> Record:
        if isinstance(ref, int) and not isinstance(ref, bool):
            return self._record(s, ref)
        number = str(ref or "").strip().upper()
        record_id = s.execute(select(Certificate.record_id).where(Certificate.number == number)).scalar()
        if record_id is None:  # a back-entered record holds its historical number without a certificate row
            record_id = s.execute(select(Record.id).where(Record.certificate_no == number)).scalar()
        if record_id is None:
            raise NotFound(f"证书字号不存在：{number}", code="CERTIFICATE_NOT_FOUND")
        return self._record(s, record_id)

    @staticmethod
    def _issued(s: Session, rec: Record) -> list[Certificate]:
        return list(s.execute(select(Certificate).where(
            Certificate.record_id == rec.id, Certificate.status == CertificateState.ISSUED,
            Certificate.cert_type.in_(_TYPES_OF_KIND[rec.kind])).order_by(Certificate.id)).scalars())

    # --- reissue ----------------------------------------------------------------------------------
    def status_changes(self, s: Session, rec: Record) -> list[Issue]:
        """Why the marital status recorded by `rec` no longer holds (empty: it still holds)."""
        in_force, _, _, name = _REISSUABLE[rec.kind]
        if rec.status != in_force:
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
            st = standing(s, p.id_number, rec.id if rec.kind == "marriage" else None)
            if st.recorded_status == "married":
                reasons.append(f"本机关档案中另有其婚姻登记（记录{st.spouse_record_id}）")
            changed_in_province = ("divorced", "widowed") if rec.kind == "marriage" else ("married", "widowed")
            if st.province_status in changed_in_province:
                reasons.append(f"省级比对数据显示其婚姻状况为“{PROVINCE_ZH[st.province_status]}”")
            later = self._later_records(s, rec, p.id_number)
            if later:
                reasons.append("此后另有登记（" + "、".join(later) + "）")
            if reasons:
                out.append(_issue("REISSUE_STATUS_CHANGED",
                                  f"{p.name}的婚姻状况已发生变化：{'；'.join(reasons)}，不能补领{name}；{PROOF_OFFER}",
                                  f"parties.{p.position}"))
        if rec.kind == "divorce" and rec.linked_record_id:
            marriage = s.get(Record, rec.linked_record_id)
            if marriage is not None and marriage.status in (M.INVALIDATED, M.REVOKED):
                out.append(_issue("REISSUE_STATUS_CHANGED",
                                  f"所解除的婚姻已经法院判决{EFFECTS['invalid' if marriage.status == M.INVALIDATED else 'revoked'][1]}，"
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
            .where(Party.id_number == id_number, Record.id != rec.id,
                   or_(and_(Record.kind == "marriage", Record.status.in_(_PROOF_MARRIAGE_STATUSES)),
                       and_(Record.kind == "divorce", Record.status == DivorceState.ISSUED)),
                   or_(Record.registration_date > rec.registration_date,
                       and_(Record.registration_date == rec.registration_date, Record.id > rec.id)))
            .order_by(Record.registration_date)
        ).all()
        kinds = {"marriage": "结婚登记", "divorce": "离婚登记"}
        return [f"{r.registration_date.isoformat()}{kinds[r.kind]}，记录{r.id}" for r in rows]

    def reissue(self, ref: int | str, request: dict | ReissueRequest) -> ReissueResult:
        """补领: `ref` is a record id (int) or a certificate number (str). The record kind decides the
        type: a marriage gets a BJ number, a divorce a BL number."""
        user = self.ctx.require(Permission.REGISTER)
        today = self.ctx.clock.today()
        req = request if isinstance(request, ReissueRequest) else ReissueRequest.from_dict(request, today)
        with self.ctx.db.write() as s:
            rec = self._record_by_ref(s, ref)
            _, cert_type, booklet, _ = _REISSUABLE[rec.kind]
            if (rec.kind == "marriage" and rec.status in (M.ACCEPTED, M.REVIEWED, M.CANCELLED)) or \
                    (rec.kind == "divorce" and rec.status != DivorceState.ISSUED):
                raise InvalidState(f"该申请尚未登记发证（{record_status_zh(rec.kind, rec.status)}），没有可补领的证书",
                                   code="RECORD_NOT_REGISTERED")
            changed = self.status_changes(s, rec)
            if changed:
                raise Refused(changed)
            settings = load_settings(s)
            number = allocate(s, cert_type, settings.number_scope, today.year)
            previous = self._issued(s, rec)
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
                "blank_serials": list(req.blank_serials), "parties": _parties_payload(rec)})
            return ReissueResult(rec.id, number, cert_type, replaced, list(req.blank_serials))

    # --- record proof -----------------------------------------------------------------------------
    def record_proof(self, person: str | dict, purpose: str = "") -> bytes:
        """婚姻登记记录证明 for a person: every marriage and divorce registration (and reissued certificate)
        in this office's archive naming them. Pass an ID number, or a dict with `id_number`, or, for
        historical records without one, `name` and `birth_date`."""
        self.ctx.require(Permission.VIEW_RECORD)
        query = self._person_query(person)
        if bad := text_issues(purpose, "purpose") if isinstance(purpose, str) else [type_issue("purpose", "文字")]:
            raise Refused(bad)
        today = self.ctx.clock.today()
        with self.ctx.db.write() as s:
            settings = load_settings(s)
            cond = Party.id_number == query["id_number"] if query["id_number"] else \
                and_(Party.name == query["name"], Party.birth_date == query["birth_date"])
            matches = list(s.execute(
                select(Party, Record).join(Record, Party.record_id == Record.id)
                .where(cond, or_(and_(Record.kind == "marriage", Record.status.in_(_PROOF_MARRIAGE_STATUSES)),
                                 and_(Record.kind == "divorce", Record.status == DivorceState.ISSUED)))
            ).all())
            entries: list[tuple[dt.date | None, int, MarriageRecordEntry]] = []
            record_ids: list[int] = []
            for party, rec in matches:
                if rec.id in record_ids:
                    continue
                record_ids.append(rec.id)
                other = next((p for p in rec.parties[:2] if p.id != party.id), None)
                office = (rec.data or {}).get("office_name") or settings.office_name
                kind_zh = self._proof_kind(rec)
                entries.append((rec.registration_date, 0, MarriageRecordEntry(
                    kind_zh, rec.registration_date, other.name if other else "", (other.id_number or "") if other else "",
                    rec.certificate_no or "", office)))
                for cert in s.execute(select(Certificate).where(
                        Certificate.record_id == rec.id, Certificate.cert_type.in_(("BJ", "BL")),
                        Certificate.status != CertificateState.VOIDED).order_by(Certificate.id)).scalars():
                    entries.append((cert.issued_on, 1, MarriageRecordEntry(
                        "补发结婚证" if cert.cert_type == "BJ" else "补发离婚证", cert.issued_on,
                        other.name if other else "", (other.id_number or "") if other else "", cert.number, office)))
            if matches:
                first = matches[0][0]
                view = PartyView(query["name"] or first.name, first.sex or "", first.nationality, first.birth_date,
                                 first.id_type, first.id_number or "", (first.data or {}).get("ethnicity", ""))
            elif query["name"]:
                view = PartyView(query["name"], query["sex"], query["nationality"], query["birth_date"],
                                 query["id_type"], query["id_number"] or "")
            else:
                raise Refused([_issue("PROOF_NAME_REQUIRED", "本机关档案中没有此人的婚姻登记记录；出具无记录证明须填写姓名",
                                      "name")])
            entries.sort(key=lambda e: (e[0] or dt.date.min, e[1]))
            entry = audit.record(self.ctx, s, "record.proof", "person",
                                 mask_id(query["id_number"]) or query["name"],
                                 {"record_ids": record_ids, "entries": len(entries), "purpose": purpose})
            proof_number = f"{settings.office_code}-{today.year}-{entry.id:06d}"
            form = marriage_record_proof(office_name=settings.office_name, person=view,
                                         records=[e[2] for e in entries], issue_date=today,
                                         proof_number=proof_number, purpose=purpose)
            form.training = settings.training
            return render_form(form)

    def _person_query(self, person: str | dict) -> dict:
        today = self.ctx.clock.today()
        q = {"id_number": "", "name": "", "birth_date": None, "sex": "", "nationality": "中国",
             "id_type": IdType.RESIDENT.value}
        if isinstance(person, str):
            q["id_number"] = normalise_id(person)
        elif isinstance(person, dict):
            q["id_number"] = normalise_id(_text(person, "id_number"))
            q["name"] = _text(person, "name")
            q["sex"] = _text(person, "sex").upper()
            q["nationality"] = _text(person, "nationality") or "中国"
            q["id_type"] = _text(person, "id_type") or IdType.RESIDENT.value
            raw = person.get("birth_date")
            if raw not in (None, ""):
                try:
                    q["birth_date"] = dt.date.fromisoformat(str(raw))
                except ValueError:
                    raise Refused([_issue("BIRTH_DATE_INVALID", "出生日期格式应为YYYY-MM-DD", "birth_date")]) from None
        else:
            raise Refused([_issue("PROOF_PERSON_REQUIRED", "须提供身份证件号码，或姓名和出生日期", "id_number")])
        if bad := [i for k in ("id_number", "name", "sex", "nationality", "id_type") for i in text_issues(q[k], k)]:
            raise Refused(bad)
        if q["id_number"] and q["id_type"] == IdType.RESIDENT.value:
            try:
                rid = parse_resident_id(q["id_number"], today)
            except InvalidIdNumber as exc:
                raise Refused([exc.issue("id_number")]) from None
            q["birth_date"] = q["birth_date"] or rid.birth_date
            q["sex"] = q["sex"] or rid.sex.value
        if not q["id_number"] and not (q["name"] and q["birth_date"]):
            raise Refused([_issue("PROOF_PERSON_REQUIRED", "须提供身份证件号码，或姓名和出生日期", "id_number")])
        return q

    @staticmethod
    def _proof_kind(rec: Record) -> str:
        if rec.kind == "divorce":
            return "离婚登记"
        text = _VARIANT_ZH.get((rec.data or {}).get("variant") or "ordinary", "结婚登记")
        if rec.back_entered:
            text += "（历史档案）"
        if rec.status == M.INVALIDATED:
            text += "（经法院判决无效）"
        elif rec.status == M.REVOKED:
            text += "（经法院判决撤销）"
        return text

    # --- court annotation -------------------------------------------------------------------------
    def annotate_judgment(self, record_id: int, judgment: dict | Judgment) -> dict:
        """Annotate a court judgment (invalid or revoked marriage) on the record and its archive."""
        user = self.ctx.require(Permission.ANNOTATE_JUDGMENT)
        today = self.ctx.clock.today()
        j = judgment if isinstance(judgment, Judgment) else Judgment.from_dict(judgment, today)
        with self.ctx.db.write() as s:
            rec = self._record(s, record_id)
            if rec.kind != "marriage":
                raise Refused([_issue("ANNOTATION_KIND_UNSUPPORTED", "法院宣告婚姻无效或撤销婚姻的判决只能备注在结婚登记记录上",
                                      "record")])
            if rec.status == M.DIVORCE_PENDING:
                raise InvalidState("该婚姻有离婚申请正在办理中，须先终止离婚申请再备注法院判决",
                                   code="ANNOTATION_DIVORCE_PENDING")
            if rec.status not in ANNOTATABLE:
                raise InvalidState(f"该结婚申请尚未登记（{record_status_zh(rec.kind, rec.status)}），不能备注法院判决",
                                   code="RECORD_NOT_REGISTERED")
            annotations = list((rec.data or {}).get("annotations", []))
            issues = []
            if any(a.get("case_number") == j.case_number for a in annotations):
                issues.append(_issue("JUDGMENT_ALREADY_ANNOTATED", f"判决（{j.case_number}）已备注在该记录上", "case_number"))
            if rec.registration_date and j.judgment_date < rec.registration_date:
                issues.append(_issue("JUDGMENT_BEFORE_REGISTRATION", "判决日期早于结婚登记日期，请核对", "judgment_date"))
            if issues:
                raise Refused(issues)
            new_status = EFFECTS[j.effect][0]
            invalidated = []
            reason = f"{j.court}（{j.case_number}）判决{EFFECTS[j.effect][1]}"
            for cert in self._issued(s, rec):
                move(self.ctx, s, cert, CertificateState.INVALIDATED)
                cert.void_reason = reason
                cert.voided_by = user.username
                invalidated.append(cert.number)
            note = {"court": j.court, "case_number": j.case_number, "judgment_date": j.judgment_date.isoformat(),
                    "effective_date": j.effective_date.isoformat() if j.effective_date else None,
                    "effect": j.effect, "ground": j.ground, "archive_number": j.archive_number,
                    "remark": j.remark or j.default_remark(), "previous_status": rec.status,
                    "certificates_invalidated": invalidated, "annotated_by": user.username,
                    "annotated_on": today.isoformat()}
            rec.data = {**(rec.data or {}), "annotations": [*annotations, note]}
            previous = rec.status
            move(self.ctx, s, rec, new_status)  # audited below with the judgment
            audit.record(self.ctx, s, "marriage.annotated", "record", rec.id,
                         {"case_number": j.case_number, "court": j.court, "effect": j.effect,
                          "archive_number": j.archive_number, "previous_status": previous,
                          "certificates_invalidated": invalidated}, reason=note["remark"])
            append_event(self.ctx, s, "marriage.annotated", rec.id, {
                "kind": "marriage", "record_uid": rec.uid, "certificate_no": rec.certificate_no,
                "status": new_status, "previous_status": previous, **{k: note[k] for k in (
                    "court", "case_number", "judgment_date", "effective_date", "effect", "ground", "archive_number",
                    "remark")},
                "certificates_invalidated": invalidated, "parties": _parties_payload(rec)})
            return {"record_id": rec.id, "status": new_status, "previous_status": previous,
                    "certificates_invalidated": invalidated, "annotations": len(annotations) + 1,
                    "remark": note["remark"]}

    # --- voiding ----------------------------------------------------------------------------------
    def void_certificate(self, certificate_no: str, reason: str, reissue_number: bool = True,
                         blank_serial: str | None = None) -> dict:
        """Void an issued certificate (spoiled, wrongly printed, wrongly numbered). The number stays on
        record as voided; while the record is in force a replacement with the next number of the same
        type is issued in the same transaction (unless `reissue_number` is False)."""
        user = self.ctx.require(Permission.VOID_CERTIFICATE)
        if not isinstance(reason, str) or not reason.strip():
            raise Refused([_issue("REASON_REQUIRED", "请填写作废原因", "reason")])
        if bad := text_issues(reason, "reason"):
            raise Refused(bad)
        reason = reason.strip()
        today = self.ctx.clock.today()
        with self.ctx.db.write() as s:
            number = str(certificate_no or "").strip().upper()
            cert = s.execute(select(Certificate).where(Certificate.number == number)).scalar_one_or_none()
            if cert is None:
                raise NotFound(f"证书字号不存在：{number}", code="CERTIFICATE_NOT_FOUND")
            if cert.cert_type not in _BOOKLET_OF_TYPE:
                raise Refused([_issue("CERTIFICATE_TYPE_UNSUPPORTED", "此处只作废结婚证、离婚证及其补发证", "certificate_no")])
            if cert.status != CertificateState.ISSUED:
                raise InvalidState(f"证书{number}已失效（{cert.void_reason or CertificateState.label(cert.status)}），不能再作废",
                                   code="CERTIFICATE_NOT_ISSUED")
            rec = self._record(s, cert.record_id)
            in_force = rec.status == _REISSUABLE[rec.kind][0]
            replace = bool(reissue_number) and in_force
            if blank_serial and not replace:
                raise Refused([_issue("BLANK_WITHOUT_REPLACEMENT", "不补发新号时不使用空白证书", "blank_serial")])
            move(self.ctx, s, cert, CertificateState.VOIDED)
            cert.void_reason = reason
            cert.voided_by = user.username
            cert.data = {**(cert.data or {}), "voided_on": today.isoformat()}
            spoiled = []
            for serial in _serials(cert):
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
                    use_blank(self.ctx, s, blank_serial, _BOOKLET_OF_TYPE[cert.cert_type], new)
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
