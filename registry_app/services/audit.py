"""The audit trail: who, role, when, what, why; hash-chained so an edit or deletion is detected.

Each entry's hash covers the previous entry's hash and the entry's canonical JSON. Appends take
the `audit` chain head row inside the caller's transaction, so the chain is linear even with
several counters writing (BEGIN IMMEDIATE on SQLite, SELECT ... FOR UPDATE on PostgreSQL)."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry_app.services import clock_guard
from registry_app.services.context import AppContext
from registry_app.storage.models import AuditEntry, ChainHead

GENESIS = "0" * 64
#: session.info key: the transaction's newest entry and its context (record seals add digests to it).
LAST_ENTRY = "registry.last_audit_entry"


def canonical(obj) -> bytes:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str).encode()


def _entry_body(e: AuditEntry) -> dict:
    return {
        "id": e.id, "ts": e.ts, "username": e.username, "role": e.role, "action": e.action,
        "entity_type": e.entity_type, "entity_id": e.entity_id, "detail": e.detail or {},
        "reason": e.reason or "",
    }


def entry_hash(prev_hash: str, body: dict) -> str:
    return hashlib.sha256(prev_hash.encode() + canonical(body)).hexdigest()


def lock_chain(session: Session, name: str, initial: str) -> ChainHead:
    head = session.execute(select(ChainHead).where(ChainHead.name == name).with_for_update()).scalar_one_or_none()
    if head is None:
        head = ChainHead(name=name, value=initial)
        session.add(head)
        session.flush()
    return head


def record(
    ctx: AppContext,
    session: Session,
    action: str,
    entity_type: str,
    entity_id: object,
    detail: dict | None = None,
    reason: str = "",
    username: str | None = None,
    role: str | None = None,
) -> AuditEntry:
    """Append one entry in the caller's transaction (it commits or rolls back with the operation)."""
    clock_guard.check_write_clock(ctx, session)  # a clock set back writes nothing (production only)
    head = lock_chain(session, "audit", GENESIS)
    last_id = session.execute(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1)).scalar()
    entry = AuditEntry(
        id=(last_id or 0) + 1,
        ts=ctx.clock.now().isoformat(timespec="microseconds"),
        username=username or (ctx.user.username if ctx.user else "system"),
        role=role or (ctx.user.role.value if ctx.user else "system"),
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        detail=json.loads(canonical(detail or {})),
        reason=reason or "",
        prev_hash=head.value,
    )
    entry.entry_hash = entry_hash(head.value, _entry_body(entry))
    head.value = entry.entry_hash
    session.add(entry)
    session.flush()
    # The transaction's newest entry: record seals add the changed records' digests to it at commit.
    session.info[LAST_ENTRY] = (entry, ctx)
    return entry


def chain_head(session: Session) -> dict:
    """The chain's newest entry as {"seq", "hash"}: what a batch carries up to the province and the
    close-of-day report prints, so a trail rewritten later disagrees with an anchor held elsewhere."""
    row = session.execute(select(AuditEntry.id, AuditEntry.entry_hash).order_by(AuditEntry.id.desc())
                          .limit(1)).first()
    return {"seq": row[0], "hash": row[1]} if row else {"seq": 0, "hash": GENESIS}


@dataclass
class ChainReport:
    ok: bool
    checked: int
    first_broken_id: int | None = None
    problem: str = ""

    def to_dict(self) -> dict:
        return {"ok": self.ok, "checked": self.checked, "first_broken_id": self.first_broken_id,
                "problem": self.problem}


def verify_chain(ctx: AppContext) -> ChainReport:
    """Walk the chain from the start; report the first entry whose link or content does not hold."""
    prev = GENESIS
    expected_id = 1
    checked = 0
    with ctx.db.read() as session:
        head = session.get(ChainHead, "audit")
        for e in session.execute(select(AuditEntry).order_by(AuditEntry.id)).yield_per(2000).scalars():
            if e.id != expected_id:
                return ChainReport(False, checked, expected_id, f"第{expected_id}条审计记录缺失（已被删除）")
            if e.prev_hash != prev:
                return ChainReport(False, checked, e.id, f"第{e.id}条审计记录的前序哈希不符（链条被改动）")
            if entry_hash(prev, _entry_body(e)) != e.entry_hash:
                return ChainReport(False, checked, e.id, f"第{e.id}条审计记录内容被改动")
            prev = e.entry_hash
            expected_id += 1
            checked += 1
        if head is not None and head.value != prev:
            return ChainReport(False, checked, expected_id, "审计链末尾的记录被删除")
    return ChainReport(True, checked)


# Registers the session hooks that put each changed record's digest into the trail (after this module's
# names exist: record_seals uses them).
from registry_app.services import record_seals  # noqa: E402,F401
