"""Every transaction that changes a record leaves the digest of the record's new state in the audit trail.

The audit chain proves that no entry was edited or removed; the digests tie the records to it. Whatever
changed a record — a service through the ORM, a bulk writer, a correction — the transaction's audit entry
carries `detail["state"] = {record_id: digest}` (None for a deleted record), computed from the tables just
before commit. `registry db check` recomputes every record's digest and compares it with the last one the
trail holds, so a party's name changed directly in the file, with the passphrase and a SQLite shell, is
found. The hooks are on every Session: no service has to remember them, and none can forget.

How: ORM flushes note which records they touched (a record row, or a party, certificate or document of
it); bulk writers that bypass the ORM call `touch()`. Before commit the digests are read back through the
same session and added to the last audit entry the transaction wrote (its hash recomputed — the
transaction holds the chain's lock, so that entry is still the newest). A transaction that changed records
without writing an entry, or that changed very many (an archive import, demo data), gets `record.sealed`
entries of its own.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from itertools import chain

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from registry_app.clock import Clock
from registry_app.services import audit
from registry_app.storage.digests import (
    CLAIMED_KEY,
    CREATED_KEY,
    TOUCHED_KEY,
    all_record_ids,
    created_records,
    record_digests,
    touched_records,
)
from registry_app.storage.models import AuditEntry, Certificate, Document, Party, Record

TOUCHED = TOUCHED_KEY
LAST_ENTRY = audit.LAST_ENTRY
#: Digests added to an operation's own entry; above this, separate `record.sealed` entries.
INLINE_MAX = 200
#: Digests per `record.sealed` entry of a bulk write.
SEAL_CHUNK = 5000


def touch(session: Session, ids: Iterable[int]) -> None:
    """Bulk writers: these records were changed outside the ORM in this transaction (an UPDATE statement;
    storage.bulk notes the rows it inserts itself)."""
    touched_records(session).update(int(i) for i in ids)


@event.listens_for(Session, "after_flush")
def _note_touched(session: Session, _context) -> None:
    touched = touched_records(session)
    for obj in chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, Record):
            rid = obj.id
        elif isinstance(obj, (Party, Certificate, Document)):
            rid = obj.record_id if obj.record_id is not None else getattr(obj.record, "id", None)
        else:
            continue
        if rid is not None and (obj not in session.dirty or session.is_modified(obj)):
            touched.add(rid)
            if isinstance(obj, Record) and obj in session.new:
                created_records(session).add(rid)


def _forget_all(session: Session) -> None:
    for key in (TOUCHED, LAST_ENTRY, CREATED_KEY, CLAIMED_KEY):
        session.info.pop(key, None)


@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        _forget_all(session)


@event.listens_for(Session, "after_commit")
def _done(session: Session) -> None:
    _forget_all(session)


@event.listens_for(Session, "before_commit")
def _seal(session: Session) -> None:
    if not session.info.get(TOUCHED):
        return
    session.flush()  # the last changes, and the ids they noted
    ids = sorted(session.info.pop(TOUCHED, set()))
    if not ids:
        return
    last = session.info.get(LAST_ENTRY)
    _raise_versions(session, ids, last[0] if last else None)
    if last is not None and len(ids) <= INLINE_MAX and _is_newest(session, last[0]):
        entry, _ctx = last
        state = dict((entry.detail or {}).get("state") or {})
        state.update({str(k): v for k, v in record_digests(session, ids).items()})
        entry.detail = {**(entry.detail or {}), "state": state}
        entry.entry_hash = audit.entry_hash(entry.prev_hash, audit._entry_body(entry))
        audit.lock_chain(session, "audit", audit.GENESIS).value = entry.entry_hash
        session.flush()
        session.info.pop(TOUCHED, None)
        return
    _seal_in_entries(session, ids, last[1] if last else None, "record.sealed")
    session.info.pop(TOUCHED, None)


def _raise_versions(session: Session, ids: list[int], entry: AuditEntry | None) -> None:
    """Versioned edits: every record this transaction changed gets a new version, stamped with who and
    when (the operation's audit entry). Records it created start at 1; records a service claimed
    (services/versions.py) were raised already."""
    skip = session.info.get(CREATED_KEY, set()) | session.info.get(CLAIMED_KEY, set())
    bump = [i for i in ids if i not in skip]
    who = entry.username if entry is not None else "system"
    when = dt.datetime.fromisoformat(entry.ts) if entry is not None else Clock().now()
    for i in range(0, len(bump), SEAL_CHUNK):
        session.execute(update(Record).where(Record.id.in_(bump[i:i + SEAL_CHUNK]))
                        .values(version=Record.version + 1, changed_by=who, changed_at=when)
                        .execution_options(synchronize_session="fetch"))


def _is_newest(session: Session, entry: AuditEntry) -> bool:
    newest = session.execute(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1)).scalar()
    return newest == entry.id


def _seal_in_entries(session: Session, ids: list[int], ctx, action: str, reason: str = "") -> int:
    from registry_app.services.context import AppContext

    if ctx is None:
        ctx = AppContext(db=None, clock=Clock())  # type: ignore[arg-type]
    entries = 0
    for i in range(0, len(ids), SEAL_CHUNK):
        part = ids[i:i + SEAL_CHUNK]
        digests = record_digests(session, part)
        audit.record(ctx, session, action, "records", f"{part[0]}-{part[-1]}",
                     {"state": {str(k): v for k, v in digests.items()}}, reason=reason)
        entries += 1
    session.info.pop(TOUCHED, None)
    return entries


def reseal(session: Session, ids: Iterable[int], action: str, reason: str) -> int:
    """A migration that changes stored values of records re-seals them in audited entries of its own
    (`action`, by "system", with `reason`), so `db check` stays clean and the trail says why the state
    changed. Call it on the migration's session after the UPDATEs. Returns the records sealed."""
    ids = sorted(set(int(i) for i in ids))
    if ids:
        _seal_in_entries(session, ids, None, action, reason=reason)
    return len(ids)


def seal_existing(session: Session) -> int:
    """Seal every record in audited entries of their own (the upgrade that brought record seals: revision
    0007, so `db check` has a state for records written before). Returns the records sealed."""
    count = 0
    for part in all_record_ids(session):
        _seal_in_entries(session, part, None, "records.sealed_at_upgrade", reason="升级：为此前的记录补记内容摘要")
        count += len(part)
    return count


__all__ = ["reseal", "seal_existing", "touch"]
