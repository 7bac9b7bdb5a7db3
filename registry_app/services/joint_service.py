"""The joint service (婚育户一件事): at a marriage (or divorce) registration the couple may ask the office to
pass on the marital-status change to the household register (公安), a spouse's household transfer
application (公安) and the birth-service registration (卫健).

A request is kept with both parties' consent (who, when, what is passed on, to whom) and sent in the
end-of-day batch as its own event type; its event is made only when the batch is built (`materialise`),
so consent withdrawn before then leaves nothing to send, and the gap-free event numbering never has a
hole. After that the request has left the office and withdrawal is refused (JOINT_ALREADY_SENT). The
province's acknowledgement accepts or rejects each one (`on_ack`); a rejection also opens a work case,
as for any event.
"""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import asdict, dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry_app.domain.joint_service import (
    RequestType,
    build_payload,
    read_details,
    request_types,
)
from registry_app.domain.roles import Permission
from registry_app.domain.states import (
    DivorceState,
    JointRequestState,
    MarriageState,
    SyncState,
)
from registry_app.errors import InvalidState, Issue, NotFound, Refused
from registry_app.services import audit
from registry_app.services.context import AppContext
from registry_app.services.events import append_event
from registry_app.services.settings import load_settings
from registry_app.services.transitions import move
from registry_app.storage.models import JointRequest, Record, RecordEvent

J = JointRequestState
# The record states a request may follow: the registration done, the certificate issued.
_REGISTERED = {"marriage": {MarriageState.REGISTERED}, "divorce": {DivorceState.ISSUED}}
_ACTIVE = {J.REQUESTED, J.SENT, J.ACCEPTED}


@dataclass(frozen=True)
class JointRequestView:
    id: int
    record_id: int
    request_type: str
    request_zh: str
    department: str
    department_zh: str
    status: str
    status_zh: str
    consents: list
    passed_on: str
    follow_up: str
    requested_at: str
    requested_by: str
    event_id: str | None
    reason: str

    def to_dict(self) -> dict:
        return asdict(self)


def _view(row: JointRequest) -> JointRequestView:
    rtype = request_types()[row.request_type]
    return JointRequestView(row.id, row.record_id, row.request_type, rtype.zh, row.department, rtype.department_zh,
                            row.status, J.label(row.status), list(row.consents or []), rtype.fields_zh(),
                            rtype.follow_up, row.requested_at.isoformat(timespec="seconds"), row.requested_by,
                            row.event_id, row.reason or "")


class JointService:
    def __init__(self, ctx: AppContext):
        self.ctx = ctx

    def request(self, record_id: int, request_type: str, consents: object, details: object = None) -> JointRequestView:
        """Record what the couple asks for. `consents` lists the parties (1, 2) who signed the consent;
        both must, since each request passes on both parties' data."""
        user = self.ctx.require(Permission.REGISTER)
        rtype = request_types().get(request_type) if isinstance(request_type, str) else None
        if rtype is None:
            raise Refused([Issue("JOINT_TYPE_UNKNOWN", "联办事项应为：" + "、".join(
                f"{t.key}（{t.zh}）" for t in request_types().values()), "request_type")])
        issues = []
        if not isinstance(consents, list | tuple) or any(isinstance(c, bool) or c not in (1, 2) for c in consents):
            issues.append(Issue("JOINT_CONSENT_INVALID", "同意的当事人应为1（男方/一方）或2（女方/另一方）", "consents"))
        elif set(consents) != {1, 2}:
            issues.append(Issue("JOINT_CONSENT_MISSING", f"“{rtype.zh}”须经双方当事人同意并签字，缺少"
                                + "、".join(f"第{p}方" for p in sorted({1, 2} - set(consents))) + "的同意",
                                "consents"))
        values, detail_issues = read_details(rtype, details)
        issues += detail_issues
        if issues:
            raise Refused(issues)
        with self.ctx.db.write() as s:
            rec = self._record(s, record_id)
            if rec.kind not in rtype.record_kinds or rec.status not in _REGISTERED.get(rec.kind, set()):
                raise InvalidState(f"“{rtype.zh}”只能在{'或'.join(_kind_zh(k) for k in rtype.record_kinds)}"
                                   "办结（已登记、已发证）后申请", code="JOINT_RECORD_STATE")
            taken = s.execute(select(JointRequest).where(
                JointRequest.record_id == rec.id, JointRequest.request_type == rtype.key,
                JointRequest.status.in_([str(v) for v in _ACTIVE]))).scalars().first()
            if taken is not None:
                raise Refused([Issue("JOINT_ALREADY_REQUESTED", f"本登记已申请过“{rtype.zh}”（{J.label(taken.status)}）",
                                     "request_type")])
            missing = _missing_party_fields(rec, rtype)
            if missing:
                raise Refused(missing)
            now = self.ctx.clock.now()
            parties = rec.parties[:2]
            consent_rows = [{"party": p, "name": parties[p - 1].name, "at": now.isoformat(timespec="seconds"),
                             "recorded_by": user.username, "what": rtype.fields_zh(), "to": rtype.department_zh}
                            for p in (1, 2)]
            row = JointRequest(uid=str(uuid.uuid4()), record_id=rec.id, request_type=rtype.key,
                               department=rtype.department, status=J.REQUESTED, consents=consent_rows,
                               details=values, requested_by=user.username, requested_at=now, reason="")
            s.add(row)
            s.flush()
            # the trail names what was passed on and to whom, never the data itself
            audit.record(self.ctx, s, "joint.requested", "joint_request", row.id,
                         {"record_id": rec.id, "request_type": rtype.key, "department": rtype.department,
                          "consents": [1, 2], "fields": list(rtype.person_fields + rtype.record_fields)})
            return _view(row)

    def withdraw(self, request_id: int, party: object, reason: str = "") -> JointRequestView:
        """A party withdraws consent: the request is dropped, before its batch is built only."""
        user = self.ctx.require(Permission.REGISTER)
        if isinstance(party, bool) or party not in (1, 2):
            raise Refused([Issue("JOINT_CONSENT_INVALID", "撤回同意的当事人应为1或2", "party")])
        if not isinstance(reason, str) or len(reason) > 200:
            raise Refused([Issue("JOINT_REASON_INVALID", "撤回原因应为不超过200字的文字", "reason")])
        with self.ctx.db.write() as s:
            row = s.get(JointRequest, request_id) if isinstance(request_id, int) else None
            if row is None:
                raise NotFound(f"联办申请{request_id}不存在", code="JOINT_REQUEST_NOT_FOUND")
            if row.status == J.WITHDRAWN:
                raise InvalidState("该联办申请已撤回", code="JOINT_ALREADY_WITHDRAWN")
            if row.status != J.REQUESTED:
                raise InvalidState(f"该联办申请已随日终批次推送给{request_types()[row.request_type].department_zh}"
                                   f"（{J.label(row.status)}），不能再撤回；请当事人向该部门申请撤销",
                                   code="JOINT_ALREADY_SENT")
            now = self.ctx.clock.now()
            consents = [dict(c) for c in row.consents or []]
            for c in consents:
                if c.get("party") == party:
                    c.update(withdrawn_at=now.isoformat(timespec="seconds"), withdrawn_recorded_by=user.username)
            row.consents, row.reason = consents, reason.strip()
            move(self.ctx, s, row, J.WITHDRAWN, action="joint.withdrawn",
                 detail={"record_id": row.record_id, "request_type": row.request_type, "party": party},
                 reason=reason.strip())
            return _view(row)

    def list(self, record_id: int) -> list[JointRequestView]:
        self.ctx.require(Permission.VIEW_RECORD)
        with self.ctx.db.read() as s:
            self._record(s, record_id)
            rows = s.execute(select(JointRequest).where(JointRequest.record_id == record_id)
                             .order_by(JointRequest.id)).scalars().all()
            return [_view(r) for r in rows]

    def receipt(self, record_id: int) -> bytes:
        """联办事项告知单 for the couple: what was passed on, to whom, how to follow it up."""
        from registry_app.certificates.joint_receipt import joint_receipt
        from registry_app.certificates.render import render_form

        self.ctx.require(Permission.PRINT)
        with self.ctx.db.write() as s:
            rec = self._record(s, record_id)
            rows = s.execute(select(JointRequest).where(JointRequest.record_id == rec.id)
                             .order_by(JointRequest.id)).scalars().all()
            views = [_view(r) for r in rows if r.status != J.WITHDRAWN]
            if not views:
                raise InvalidState("本登记没有待推送或已推送的联办事项", code="JOINT_NOTHING_REQUESTED")
            settings = load_settings(s)
            names = [p.name for p in rec.parties[:2]]
            view = joint_receipt(views, names=names, office_name=settings.office_name,
                                 certificate_no=rec.certificate_no or "", issue_date=self.ctx.clock.today())
            view.training = settings.training
            pdf = render_form(view)
            audit.record(self.ctx, s, "form.rendered", "record", rec.id, {"form": "joint_receipt"})
            return pdf

    @staticmethod
    def _record(s: Session, record_id: object) -> Record:
        rec = s.get(Record, record_id) if isinstance(record_id, int) and not isinstance(record_id, bool) else None
        if rec is None:
            raise NotFound(f"登记记录{record_id}不存在", code="RECORD_NOT_FOUND")
        return rec


def _kind_zh(kind: str) -> str:
    return {"marriage": "结婚登记", "divorce": "离婚登记"}.get(kind, kind)


def _party_facts(rec: Record) -> list[dict]:
    return [{"name": p.name, "id_type": p.id_type, "id_number": p.id_number or "",
             "residence": str((p.data or {}).get("residence") or "").strip()} for p in rec.parties[:2]]


def _missing_party_fields(rec: Record, rtype: RequestType) -> list[Issue]:
    facts = _party_facts(rec)
    issues = []
    for n, p in enumerate(facts, start=1):
        for f, zh in (("id_number", "身份证件号码"), ("residence", "户籍地址（常住户口所在地）")):
            if f in rtype.person_fields and not p[f]:
                issues.append(Issue("JOINT_PARTY_INCOMPLETE", f"第{n}方当事人没有{zh}，无法申请“{rtype.zh}”"
                                                              "（请先更正登记信息）", f"party{n}.{f}"))
    return issues


def materialise(ctx: AppContext, s: Session, day: dt.date) -> list[str]:
    """Inside the export's step 1: an event for each request still `requested` from up to `day`, built
    from the record as it is now with only its department's fields; the request becomes `sent`. Left for
    the next export when later-day events already wait (they would come before these)."""
    later = s.execute(select(RecordEvent.seq).where(RecordEvent.batch_seq.is_(None),
                                                    RecordEvent.business_date > day).limit(1)).first()
    if later:
        return []
    rows = s.execute(select(JointRequest).where(JointRequest.status == J.REQUESTED)
                     .order_by(JointRequest.id)).scalars().all()
    made = []
    for row in rows:
        if row.requested_at.date() > day:
            continue
        rtype = request_types()[row.request_type]
        rec = s.get(Record, row.record_id)
        data = build_payload(rtype, row.uid, _record_facts(s, rec), _party_facts(rec), dict(row.details or {}))
        ev = append_event(ctx, s, rtype.event_type, rec.id, data)
        ev.business_date = day
        row.event_id = ev.event_id
        move(ctx, s, row, J.SENT, action="joint.sent",
             detail={"record_id": rec.id, "request_type": rtype.key, "event_seq": ev.seq})
        made.append(ev.event_id)
    return made


def current_data(s: Session, ev: RecordEvent) -> dict | None:
    """A rejected joint event's data rebuilt from its record as corrected since (the export's resend), or
    None when the event is not a joint one."""
    request_uid = (ev.data or {}).get("request_id")
    row = s.execute(select(JointRequest).where(JointRequest.uid == request_uid)).scalar_one_or_none() \
        if request_uid and str(ev.event_type).startswith("joint.") else None
    if row is None:
        return None
    rec = s.get(Record, row.record_id)
    return build_payload(request_types()[row.request_type], row.uid, _record_facts(s, rec), _party_facts(rec),
                         dict(row.details or {}))


def _record_facts(s: Session, rec: Record) -> dict:
    return {"record_kind": rec.kind, "certificate_no": rec.certificate_no or "",
            "registration_date": rec.registration_date.isoformat() if rec.registration_date else "",
            "office_code": load_settings(s).office_code}


def on_ack(ctx: AppContext, s: Session, ev: RecordEvent, status: str, code: str | None) -> None:
    """The province's verdict on a joint-service event, applied to its request (the acknowledgement's own
    audit entry records the import; the case a rejection opens is the sync service's)."""
    request_uid = (ev.data or {}).get("request_id")
    if not request_uid or not str(ev.event_type).startswith("joint."):
        return
    row = s.execute(select(JointRequest).where(JointRequest.uid == request_uid)).scalar_one_or_none()
    if row is None:
        return
    target = {SyncState.ACCEPTED: J.ACCEPTED, SyncState.REJECTED: J.REJECTED,
              SyncState.CONFLICT: J.REJECTED}.get(SyncState(status))
    if target is None or row.status == target or target not in (J.ACCEPTED, J.REJECTED):
        return
    if row.status == J.REJECTED and target != J.ACCEPTED:
        return
    row.event_id = ev.event_id
    move(ctx, s, row, target)
    if target == J.REJECTED:
        row.reason = code or ""


__all__ = ["JointRequestView", "JointService", "materialise", "on_ack"]
