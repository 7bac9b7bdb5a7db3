"""A record's content as one digest: the record row, its parties, certificates and attached documents.

The audit trail keeps, for every change, the digest of each record's state after it (see
services/record_seals.py). `registry db check` recomputes the digests from the tables and compares: a name
changed directly in the file, with the passphrase and a SQLite shell, no longer matches its last audited
state. The digest reads the stored values through the column types (dates as dates, JSON as objects), so
an ORM write and a bulk INSERT of the same values give the same digest.

Left out: row ids (storage detail) and columns that are copies of others (name initials, the ID tail, the
party's copy of the registration date) — they are derived, and a mismatch there is found by other checks.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from registry_app.storage.models import Certificate, Document, Party, Record

#: Digests are truncated to 128 bits: enough against a forged state, half the size in the trail.
DIGEST_HEX = 32
#: Rows read per query when digesting many records.
CHUNK = 2000

#: Tables whose rows belong to a record's state, besides `records` itself.
SEALED_CHILDREN = ("parties", "certificates", "documents")
_TOUCHED = "registry.touched_records"


def touched_records(session: Session) -> set[int]:
    """Ids of records this transaction has changed so far (kept in the session; sealed at commit)."""
    return session.info.setdefault(_TOUCHED, set())


_SKIP = {
    "records": {"id"},
    "parties": {"id", "record_id", "name_initials", "id_tail", "registration_date"},
    "certificates": {"id", "record_id"},
    "documents": {"id", "record_id"},
}


def _columns(table: Table):
    return [c for c in table.c if c.name not in _SKIP[table.name]]


def _plain(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, bytes):
        return hashlib.sha256(value).hexdigest()
    return value


def _row(columns, row) -> dict:
    return {c.name: _plain(v) for c, v in zip(columns, row)}


def _canonical(obj) -> bytes:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str).encode()


def digest_of(state: dict) -> str:
    return hashlib.sha256(_canonical(state)).hexdigest()[:DIGEST_HEX]


def _children(session: Session, table: Table, ids: list[int], order: str) -> dict[int, list[dict]]:
    cols = _columns(table)
    out: dict[int, list[dict]] = defaultdict(list)
    stmt = select(table.c.record_id, *cols).where(table.c.record_id.in_(ids)).order_by(table.c.record_id,
                                                                                      table.c[order])
    for row in session.execute(stmt):
        out[row[0]].append(_row(cols, row[1:]))
    return out


def record_states(session: Session, ids: Iterable[int]) -> dict[int, dict | None]:
    """The content of each record as plain data (None for a record that does not exist)."""
    ids = sorted(set(ids))
    out: dict[int, dict | None] = {}
    records, parties = Record.__table__, Party.__table__
    certificates, documents = Certificate.__table__, Document.__table__
    for i in range(0, len(ids), CHUNK):
        part = ids[i:i + CHUNK]
        cols = _columns(records)
        rows = {r[0]: _row(cols, r[1:]) for r in session.execute(
            select(records.c.id, *cols).where(records.c.id.in_(part)))}
        ps = _children(session, parties, part, "position")
        cs = _children(session, certificates, part, "number")
        ds = _children(session, documents, part, "sha256")
        for rid in part:
            row = rows.get(rid)
            out[rid] = None if row is None else {"record": row, "parties": ps.get(rid, []),
                                                 "certificates": cs.get(rid, []), "documents": ds.get(rid, [])}
    return out


def record_digests(session: Session, ids: Iterable[int]) -> dict[int, str | None]:
    """Digest of each record's stored state (None: no such record)."""
    return {rid: None if state is None else digest_of(state) for rid, state in record_states(session, ids).items()}


def all_record_ids(session: Session) -> Iterator[list[int]]:
    """Every record id, in chunks, in id order."""
    last = 0
    records = Record.__table__
    while True:
        part = list(session.execute(select(records.c.id).where(records.c.id > last)
                                    .order_by(records.c.id).limit(CHUNK)).scalars())
        if not part:
            return
        yield part
        last = part[-1]


__all__ = ["DIGEST_HEX", "SEALED_CHILDREN", "touched_records", "all_record_ids", "digest_of", "record_digests", "record_states"]
