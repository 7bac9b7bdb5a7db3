"""Outbound events for the provincial sync: one per registration event, numbered gap-free per
office inside the operation's transaction (a rolled-back operation leaves no event and no gap)."""
from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry_app.services.audit import lock_chain
from registry_app.services.context import AppContext
from registry_app.storage.models import RecordEvent

EVENT_TYPES = (
    "marriage.registered", "divorce.applied", "divorce.withdrawn", "divorce.expired", "divorce.issued",
    "adoption.registered", "adoption.dissolved", "adoption.revoked", "certificate.reissued",
    "certificate.voided", "blank.spoiled", "marriage.annotated", "record.corrected", "office.key_published",
)


def append_event(ctx: AppContext, session: Session, event_type: str, record_id: int | None, data: dict) -> RecordEvent:
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type}")
    lock_chain(session, "events", "0")
    last = session.execute(select(func.max(RecordEvent.seq))).scalar() or 0
    now = ctx.clock.now()
    ev = RecordEvent(
        seq=last + 1, event_id=str(uuid.uuid4()), event_type=event_type, record_id=record_id,
        business_date=now.date(), occurred_at=now.isoformat(timespec="seconds"),
        actor=ctx.user.username if ctx.user else "system", data=data, sync_status="pending",
    )
    session.add(ev)
    session.flush()
    return ev
