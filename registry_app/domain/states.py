"""One vocabulary of states: an enum per entity, each member with its Chinese label, and the moves allowed.

Every status column holds one of these values (revision 0008 keeps them in the set with database checks);
services move an entity with `registry_app.services.transitions.move`, which checks `TRANSITIONS`. The
enums are `str` enums, so a member compares equal to the stored string and is stored as it.

Choices (why the values are what they are):

- A certificate a divorce ends was stored as "void", next to "voided" (spoiled or withdrawn by a
  supervisor): two words one letter apart for different facts. It is now `ended_by_divorce` ("双方离婚，
  证件失效"): the certificate was correct and lawful, the marriage it proves has ended. "voided" stays for a
  certificate a supervisor declared void (misprint, error); "replaced" for one a reissue superseded (补领),
  "surrendered" for an adoption certificate taken back at dissolution, "invalidated" for a certificate a
  court judgment (invalid or revoked marriage) ended. The demo generator wrote "void" also for reissued
  certificates; they are `replaced` (revision 0008 tells them apart by the later BJ/BL certificate).
- Record states keep their stored values (they were already one word per fact); a record's states depend on
  its kind, so the set is per kind (`RECORD_STATES`). A divorce application's "window open" (待领证) is a
  phase computed from the dates (domain/deadlines.py), not a stored state: `DivorcePhase` labels it.
- Marriage labels were written three times with different wording; the one kept names the court for both
  judgments ("婚姻无效（法院判决）", "婚姻被撤销（法院判决）").
- Blank booklets, corrections, sync events, batches and supervisor work cases keep their values; their
  labels live here once.
- A move to the state the entity is already in is not a move (a second judgment of the same effect):
  `allowed` accepts it and `move` changes nothing.
"""
from __future__ import annotations

from enum import Enum, StrEnum


class _Labelled(StrEnum):
    """A stored value with its Chinese label (`.zh`)."""

    def __new__(cls, value: str, zh: str):
        obj = str.__new__(cls, value)
        obj._value_ = value
        obj.zh = zh
        return obj

    @classmethod
    def label(cls, value: str | None, default: str | None = None) -> str:
        """The Chinese label of a stored value; an unknown value shows as itself (or `default`)."""
        try:
            return cls(value).zh
        except ValueError:
            return default if default is not None else str(value or "")

    @classmethod
    def labels(cls) -> dict[str, str]:
        return {m.value: m.zh for m in cls}


class RecordKind(_Labelled):
    MARRIAGE = "marriage", "结婚登记"
    DIVORCE = "divorce", "离婚登记"
    ADOPTION = "adoption", "收养登记"


class MarriageState(_Labelled):
    ACCEPTED = "accepted", "已受理"
    REVIEWED = "reviewed", "已审查"
    REGISTERED = "registered", "已登记"
    CANCELLED = "cancelled", "已取消"
    DIVORCE_PENDING = "divorce_pending", "离婚申请中"
    DISSOLVED = "dissolved", "已离婚"
    INVALIDATED = "invalidated", "婚姻无效（法院判决）"
    REVOKED = "revoked", "婚姻被撤销（法院判决）"


class DivorceState(_Labelled):
    COOLING_OFF = "cooling_off", "冷静期"
    WITHDRAWN = "withdrawn", "已撤回"
    EXPIRED = "expired", "视为撤回"
    ISSUED = "issued", "已发证"


class DivorcePhase(_Labelled):
    """Phases of a divorce application in its cooling-off period (computed, not stored)."""

    COOLING_OFF = "cooling_off", "冷静期"
    WINDOW_OPEN = "window_open", "待领证"
    EXPIRED = "expired", "视为撤回"


class AdoptionState(_Labelled):
    REGISTERED = "registered", "已登记"
    DISSOLVED = "dissolved", "已解除收养关系"
    REVOKED = "revoked", "已撤销登记"


class CertificateState(_Labelled):
    ISSUED = "issued", "有效"
    ENDED_BY_DIVORCE = "ended_by_divorce", "已失效（双方离婚）"
    VOIDED = "voided", "已作废"
    REPLACED = "replaced", "已失效（已补领新证）"
    SURRENDERED = "surrendered", "已收回（解除收养关系）"
    INVALIDATED = "invalidated", "已失效（法院判决）"


class CertificateType(_Labelled):
    J = "J", "结婚证"
    L = "L", "离婚证"
    BJ = "BJ", "结婚证（补发）"
    BL = "BL", "离婚证（补发）"
    SY = "SY", "收养登记证"
    JC = "JC", "解除收养关系证明"


class BlankState(_Labelled):
    AVAILABLE = "available", "未使用"
    USED = "used", "已使用"
    SPOILED = "spoiled", "已作废"


class CorrectionState(_Labelled):
    PROPOSED = "proposed", "待审批"
    APPROVED = "approved", "已批准"
    REJECTED = "rejected", "已驳回"


class SyncState(_Labelled):
    """An event's state towards the province (events.sync_status), and an acknowledgement entry's verdict."""

    PENDING = "pending", "待上报"
    EXPORTED = "exported", "已上报"
    ACCEPTED = "accepted", "省级已接收"
    REJECTED = "rejected", "被退回"
    CONFLICT = "conflict", "有冲突"


class BatchState(_Labelled):
    """A sync batch: `pending` from before its file is written until the export settles it."""

    PENDING = "pending", "待确认写出"
    WRITTEN = "written", "已写出"


class WorkCaseState(_Labelled):
    OPEN = "open", "待处理"
    RESOLVED = "resolved", "已处理"


class QueueState(_Labelled):
    """A ticket of the day's queue (revision 0010)."""

    WAITING = "waiting", "等候中"
    CALLED = "called", "已叫号"
    AT_COUNTER = "at_counter", "办理中"
    DONE = "done", "已办结"
    NO_SHOW = "no_show", "过号未到"


class AppointmentState(_Labelled):
    """A booking of a slot (revision 0010): kept, cancelled, or the couple did not come."""

    BOOKED = "booked", "已预约"
    ARRIVED = "arrived", "已到场"
    CANCELLED = "cancelled", "预约已取消"
    MISSED = "missed", "预约未到"


class JointRequestState(_Labelled):
    """A joint-service request (婚育户一件事, revision 0009): asked for with both parties' consent, sent in the
    end-of-day batch to its department, answered in the province's acknowledgement."""

    REQUESTED = "requested", "已申请（待推送）"
    WITHDRAWN = "withdrawn", "已撤回同意"
    SENT = "sent", "已推送"
    ACCEPTED = "accepted", "部门已接收"
    REJECTED = "rejected", "部门已退回"


RECORD_STATES: dict[str, type[_Labelled]] = {
    RecordKind.MARRIAGE: MarriageState, RecordKind.DIVORCE: DivorceState, RecordKind.ADOPTION: AdoptionState}

M, D, A, C = MarriageState, DivorceState, AdoptionState, CertificateState

#: Where an entity may start: by registration, and by back entry of a paper file (archive import, demo data).
INITIAL: dict[type[_Labelled], frozenset] = {
    MarriageState: frozenset({M.ACCEPTED, M.REGISTERED, M.DISSOLVED}),
    DivorceState: frozenset({D.COOLING_OFF, D.ISSUED}),
    AdoptionState: frozenset({A.REGISTERED}),
    CertificateState: frozenset({C.ISSUED}),
    BlankState: frozenset({BlankState.AVAILABLE}),
    CorrectionState: frozenset({CorrectionState.PROPOSED}),
    SyncState: frozenset({SyncState.PENDING}),
    BatchState: frozenset({BatchState.PENDING, BatchState.WRITTEN}),
    WorkCaseState: frozenset({WorkCaseState.OPEN}),
    QueueState: frozenset({QueueState.WAITING}),
    AppointmentState: frozenset({AppointmentState.BOOKED}),
    JointRequestState: frozenset({JointRequestState.REQUESTED}),
}

_JUDGED = frozenset({M.INVALIDATED, M.REVOKED})

#: The moves allowed: state -> states it may become.
TRANSITIONS: dict[type[_Labelled], dict] = {
    MarriageState: {
        M.ACCEPTED: frozenset({M.REVIEWED, M.CANCELLED}),
        M.REVIEWED: frozenset({M.REGISTERED, M.CANCELLED, M.ACCEPTED}),  # back to 审查 after a correction
        M.REGISTERED: frozenset({M.DIVORCE_PENDING, M.DISSOLVED} | _JUDGED),
        M.DIVORCE_PENDING: frozenset({M.REGISTERED, M.DISSOLVED}),
        M.DISSOLVED: _JUDGED,
        M.INVALIDATED: _JUDGED,
        M.REVOKED: _JUDGED,
        M.CANCELLED: frozenset(),
    },
    DivorceState: {
        D.COOLING_OFF: frozenset({D.WITHDRAWN, D.EXPIRED, D.ISSUED}),
        D.WITHDRAWN: frozenset(), D.EXPIRED: frozenset(), D.ISSUED: frozenset(),
    },
    AdoptionState: {
        A.REGISTERED: frozenset({A.DISSOLVED, A.REVOKED}),
        A.DISSOLVED: frozenset(), A.REVOKED: frozenset(),
    },
    CertificateState: {
        C.ISSUED: frozenset({C.ENDED_BY_DIVORCE, C.VOIDED, C.REPLACED, C.SURRENDERED, C.INVALIDATED}),
        C.ENDED_BY_DIVORCE: frozenset(), C.VOIDED: frozenset(), C.REPLACED: frozenset(),
        C.SURRENDERED: frozenset(), C.INVALIDATED: frozenset(),
    },
    BlankState: {
        BlankState.AVAILABLE: frozenset({BlankState.USED, BlankState.SPOILED}),
        BlankState.USED: frozenset({BlankState.SPOILED}),  # the certificate printed on it was voided
        BlankState.SPOILED: frozenset(),
    },
    CorrectionState: {
        CorrectionState.PROPOSED: frozenset({CorrectionState.APPROVED, CorrectionState.REJECTED}),
        CorrectionState.APPROVED: frozenset(), CorrectionState.REJECTED: frozenset(),
    },
    SyncState: {
        SyncState.PENDING: frozenset({SyncState.EXPORTED}),
        SyncState.EXPORTED: frozenset({SyncState.ACCEPTED, SyncState.REJECTED, SyncState.CONFLICT}),
        SyncState.ACCEPTED: frozenset(), SyncState.REJECTED: frozenset(), SyncState.CONFLICT: frozenset(),
    },
    BatchState: {BatchState.PENDING: frozenset({BatchState.WRITTEN}), BatchState.WRITTEN: frozenset()},
    WorkCaseState: {WorkCaseState.OPEN: frozenset({WorkCaseState.RESOLVED}), WorkCaseState.RESOLVED: frozenset()},
    QueueState: {  # a called ticket nobody answers is passed over (过号); a late arrival takes a new ticket
        QueueState.WAITING: frozenset({QueueState.CALLED}),
        QueueState.CALLED: frozenset({QueueState.AT_COUNTER, QueueState.NO_SHOW}),
        QueueState.AT_COUNTER: frozenset({QueueState.DONE}),
        QueueState.DONE: frozenset(), QueueState.NO_SHOW: frozenset(),
    },
    AppointmentState: {
        AppointmentState.BOOKED: frozenset({AppointmentState.ARRIVED, AppointmentState.CANCELLED,
                                            AppointmentState.MISSED}),
        AppointmentState.ARRIVED: frozenset(), AppointmentState.CANCELLED: frozenset(),
        AppointmentState.MISSED: frozenset(),
    },
    JointRequestState: {  # rejected -> accepted: the corrected record's event resent and accepted
        JointRequestState.REQUESTED: frozenset({JointRequestState.WITHDRAWN, JointRequestState.SENT}),
        JointRequestState.SENT: frozenset({JointRequestState.ACCEPTED, JointRequestState.REJECTED}),
        JointRequestState.REJECTED: frozenset({JointRequestState.ACCEPTED}),
        JointRequestState.WITHDRAWN: frozenset(), JointRequestState.ACCEPTED: frozenset(),
    },
}

#: What each entity is called in a refusal.
ENTITY_ZH: dict[type[_Labelled], str] = {
    MarriageState: "结婚登记", DivorceState: "离婚申请", AdoptionState: "收养登记", CertificateState: "证书",
    BlankState: "空白证书", CorrectionState: "更正申请", SyncState: "上报事件", BatchState: "上报批次",
    QueueState: "排队号", AppointmentState: "预约",
    WorkCaseState: "待办事项", JointRequestState: "联办申请",
}


#: What a clerk may do next to a record in a state or phase (pages ask the service instead of restating it).
ACTIONS: dict[str, frozenset[str]] = {
    MarriageState.ACCEPTED: frozenset({"review", "correct", "cancel"}),
    MarriageState.REVIEWED: frozenset({"register", "correct", "cancel"}),
    MarriageState.REGISTERED: frozenset({"reissue", "annotate_judgment"}),
    MarriageState.DISSOLVED: frozenset({"annotate_judgment"}),
    MarriageState.INVALIDATED: frozenset({"annotate_judgment"}),
    MarriageState.REVOKED: frozenset({"annotate_judgment"}),
}
DIVORCE_ACTIONS: dict[str, frozenset[str]] = {
    DivorcePhase.COOLING_OFF: frozenset({"withdraw"}),
    DivorcePhase.WINDOW_OPEN: frozenset({"issue"}),
    DivorceState.ISSUED: frozenset({"reissue"}),
}


def allowed(states: type[_Labelled], current: str, target: str) -> bool:
    """May an entity in `current` become `target`? (Staying where it is is always allowed.)"""
    cur, tgt = states(current), states(target)
    return cur == tgt or tgt in TRANSITIONS[states].get(cur, frozenset())


def next_states(states: type[_Labelled], current: str) -> frozenset:
    return TRANSITIONS[states].get(states(current), frozenset())


def record_states(kind: str) -> type[_Labelled]:
    return RECORD_STATES[RecordKind(kind)]


def divorce_phase_zh(phase: str | None) -> str:
    """A divorce application's phase (while in cooling-off) or its stored state, in Chinese."""
    return DivorcePhase.label(phase, DivorceState.label(phase))


def record_status_zh(kind: str | None, status: str | None) -> str:
    """The label of a record's status whatever its kind (the raw value if unknown)."""
    states = RECORD_STATES.get(kind or "")
    return states.label(status) if states else str(status or "")


#: Every enum whose values a database column stores: column -> enum(s). Revision 0008's checks use it.
STATUS_COLUMNS: dict[tuple[str, str], tuple[type[Enum], ...]] = {
    ("records", "status"): tuple(RECORD_STATES.values()),
    ("certificates", "status"): (CertificateState,),
    ("blank_stock", "status"): (BlankState,),
    ("corrections", "status"): (CorrectionState,),
    ("events", "sync_status"): (SyncState,),
    ("batches", "status"): (BatchState,),
    ("work_cases", "status"): (WorkCaseState,),
    ("queue_tickets", "status"): (QueueState,),  # checked since revision 0010
    ("appointments", "status"): (AppointmentState,),
    ("joint_requests", "status"): (JointRequestState,),  # checked since revision 0009
}
#: Columns a revision after 0008 added, with that revision (it carries their check).
STATUS_COLUMNS_SINCE: dict[tuple[str, str], str] = {("joint_requests", "status"): "0009",
                                                     ("queue_tickets", "status"): "0010",
                                                     ("appointments", "status"): "0010"}

__all__ = [
    "ACTIONS", "AdoptionState", "BatchState", "BlankState", "CertificateState", "CertificateType", "CorrectionState",
    "AppointmentState", "QueueState",
    "DIVORCE_ACTIONS", "DivorcePhase", "DivorceState", "ENTITY_ZH", "INITIAL", "JointRequestState", "MarriageState", "RECORD_STATES", "RecordKind",
    "STATUS_COLUMNS", "STATUS_COLUMNS_SINCE", "SyncState", "TRANSITIONS", "WorkCaseState", "allowed", "divorce_phase_zh", "next_states", "record_states",
    "record_status_zh",
]
