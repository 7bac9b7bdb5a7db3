"""One way to move an entity from one state to another, inside the calling service's transaction.

`move` checks the move against domain/states.py's table, sets the status, stamps the row's time where it
has one, and writes the audit entry when the move is the operation (`action`); an operation that moves
several entities at once (a divorce issued: the application, the marriage, its certificates) writes one
entry of its own and moves the others without `action`, so the trail keeps one entry per operation. A move
the table does not allow raises InvalidState STATE_TRANSITION_FORBIDDEN: the services check their own
conditions first (with their own codes), so this is the last guard, not the clerk's usual refusal.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from registry_app.domain.states import (
    ENTITY_ZH,
    AppointmentState,
    BatchState,
    BlankState,
    CertificateState,
    CorrectionState,
    JointRequestState,
    QueueState,
    SyncState,
    WorkCaseState,
    allowed,
    next_states,
    record_states,
)
from registry_app.errors import InvalidState
from registry_app.services import audit
from registry_app.storage.models import (
    Appointment,
    Batch,
    BlankCertificate,
    Certificate,
    Correction,
    JointRequest,
    QueueTicket,
    Record,
    RecordEvent,
    WorkCase,
)

FORBIDDEN = "STATE_TRANSITION_FORBIDDEN"

# row type -> (enum, status attribute, time stamped on a move or None)
_ROWS = {
    Certificate: (CertificateState, "status", None),
    BlankCertificate: (BlankState, "status", "changed_at"),
    Correction: (CorrectionState, "status", "decided_at"),
    RecordEvent: (SyncState, "sync_status", None),
    Batch: (BatchState, "status", None),
    WorkCase: (WorkCaseState, "status", None),
    QueueTicket: (QueueState, "status", "changed_at"),
    Appointment: (AppointmentState, "status", "changed_at"),
    JointRequest: (JointRequestState, "status", "changed_at"),
}
# the audit trail's entity names (as the services wrote them before)
_ENTITY = {QueueTicket: "queue_ticket", Appointment: "appointment", Record: "record", Certificate: "certificate", BlankCertificate: "blank_stock", Correction: "correction",
           RecordEvent: "event", Batch: "batch", WorkCase: "work_case",
           JointRequest: "joint_request"}


def states_of(row):
    """The enum, status attribute and time column of a row."""
    if isinstance(row, Record):
        return record_states(row.kind), "status", "updated_at"
    return _ROWS[type(row)]


def can_move(row, target: str) -> bool:
    states, attr, _ = states_of(row)
    return allowed(states, getattr(row, attr), target)


def allowed_next(row) -> frozenset:
    """The states this row may move to next (pages ask this instead of restating the rules)."""
    states, attr, _ = states_of(row)
    return next_states(states, getattr(row, attr))


def move(ctx, session: Session, row, target: str, *, action: str | None = None, detail: dict | None = None,
         reason: str = "", entity_id: object = None):
    """Move `row` to `target` (a member of its entity's enum). Returns the row."""
    states, attr, stamp = states_of(row)
    current = states(getattr(row, attr))
    new = states(target)
    if not allowed(states, current, new):
        raise InvalidState(f"{ENTITY_ZH[states]}当前为“{current.zh}”，不能改为“{new.zh}”", code=FORBIDDEN)
    if current != new:
        setattr(row, attr, new.value)
        if stamp is not None:
            setattr(row, stamp, ctx.clock.now())
    if action is not None:
        ident = entity_id if entity_id is not None else _ident(row)
        audit.record(ctx, session, action, _ENTITY[type(row)], ident, detail, reason=reason)
    return row


def _ident(row):
    for key in ("id", "serial", "seq", "batch_seq"):
        value = getattr(row, key, None)
        if value is not None:
            return value
    return None


__all__ = ["FORBIDDEN", "allowed_next", "can_move", "move", "states_of"]
