"""Outbound events for the provincial sync: one per registration event, numbered gap-free per
office inside the operation's transaction (a rolled-back operation leaves no event and no gap)."""
from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry_app.domain.states import SyncState
from registry_app.services.audit import lock_chain
from registry_app.services.context import AppContext
from registry_app.storage.models import RecordEvent

EVENT_TYPES = (
    "marriage.registered", "divorce.applied", "divorce.withdrawn", "divorce.expired", "divorce.issued",
    "adoption.registered", "adoption.dissolved", "adoption.revoked", "certificate.reissued",
    "certificate.voided", "blank.spoiled", "marriage.annotated", "record.corrected", "office.key_published",
    # the joint service (婚育户一件事), each addressed to its department: services/joint_service.py
    "joint.hukou_marital", "joint.hukou_transfer", "joint.birth_registration",
)


# Chinese names shown at the counter (record page, close-the-day page)
EVENT_TYPE_ZH = {
    "marriage.registered": "结婚登记", "divorce.applied": "离婚申请", "divorce.withdrawn": "撤回离婚申请",
    "divorce.expired": "离婚申请视为撤回", "divorce.issued": "离婚登记", "adoption.registered": "收养登记",
    "adoption.dissolved": "解除收养", "adoption.revoked": "撤销收养登记", "certificate.reissued": "补发证书",
    "certificate.voided": "作废证书", "blank.spoiled": "空白证书作废", "marriage.annotated": "婚姻登记备注",
    "record.corrected": "档案更正", "office.key_published": "公布签名密钥",
    "joint.hukou_marital": "联办：户籍婚姻状况变更", "joint.hukou_transfer": "联办：夫妻投靠落户",
    "joint.birth_registration": "联办：生育登记",
}


def append_event(ctx: AppContext, session: Session, event_type: str, record_id: int | None, data: dict) -> RecordEvent:
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type}")
    lock_chain(session, "events", "0")
    last = session.execute(select(func.max(RecordEvent.seq))).scalar() or 0
    now = ctx.clock.now()
    ev = RecordEvent(
        seq=last + 1, event_id=str(uuid.uuid4()), event_type=event_type, record_id=record_id,
        business_date=now.date(), occurred_at=now.isoformat(timespec="seconds"),
        actor=ctx.user.username if ctx.user else "system", data=data, sync_status=SyncState.PENDING,
    )
    session.add(ev)
    session.flush()
    return ev
