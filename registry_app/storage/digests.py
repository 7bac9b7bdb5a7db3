"""A record's content as one digest: the record row, its parties, certificates and attached documents.

The audit trail keeps, for every change, the digest of each record's state after it (see
services/record_seals.py). `registry db check` recomputes the digests from the tables and compares: a name
changed directly in the file, with the passphrase and a SQLite shell, no longer matches its last audited
state. The digest is of the values as stored (read without the column types' conversions), always
computed from the tables after the write — so however a value was written (ORM, bulk INSERT), the digest
is of what is on disk.

Left out: row ids (storage detail) and columns that are copies of others (name initials, the ID tail, the
party's copy of the registration date) — they are derived, and a mismatch there is found by other checks.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator

from sqlalchemy import Table, select, text
from sqlalchemy.orm import Session

from registry_app.storage.models import Certificate, Document, Party, Record

#: Digests are truncated to 128 bits: enough against a forged state, half the size in the trail.
DIGEST_HEX = 32
#: Rows read per query when digesting many records.
CHUNK = 2000

#: Tables whose rows belong to a record's state, besides `records` itself.
SEALED_CHILDREN = ("parties", "certificates", "documents")
TOUCHED_KEY = "registry.touched_records"
CREATED_KEY = "registry.created_records"
CLAIMED_KEY = "registry.claimed_records"


def touched_records(session: Session) -> set[int]:
    """Ids of records this transaction has changed so far (kept in the session; sealed at commit)."""
    return session.info.setdefault(TOUCHED_KEY, set())


def created_records(session: Session) -> set[int]:
    """Ids of records this transaction inserted: nobody can hold an older version of them."""
    return session.info.setdefault(CREATED_KEY, set())


def claimed_records(session: Session) -> set[int]:
    """Ids of records whose version this transaction has already raised (services/versions.py)."""
    return session.info.setdefault(CLAIMED_KEY, set())


_SKIP = {
    "records": {"id", "version", "changed_by", "changed_at"},
    "parties": {"id", "record_id", "name_initials", "id_tail", "registration_date"},
    "certificates": {"id", "record_id"},
    "documents": {"id", "record_id"},
}


def _columns(table: Table) -> list[str]:
    return [c.name for c in table.c if c.name not in _SKIP[table.name]]


def _select(table: Table, key: str, ids: list[int], order: str):
    """The stored values as the driver returns them, without the column types' conversions: the digest is
    of what is on disk, and decoding every JSON document would cost more than the hashing."""
    cols = ", ".join(_columns(table))
    marks = ", ".join(str(int(i)) for i in ids)
    return text(f"SELECT {key}, {cols} FROM {table.name} WHERE {key} IN ({marks}) ORDER BY {key}, {order}")


def record_digests(session: Session, ids: Iterable[int]) -> dict[int, str | None]:
    """Digest of each record's stored state: its row, then its parties, certificates and documents in a
    fixed order (None: no such record)."""
    ids = sorted({int(i) for i in ids})
    out: dict[int, str | None] = {}
    for i in range(0, len(ids), CHUNK):
        part = ids[i:i + CHUNK]
        parts: dict[int, list[str]] = {rid: [] for rid in part}
        rows = {row[0]: repr(tuple(row[1:])) for row in session.execute(_select(Record.__table__, "id", part, "id"))}
        for table, order in ((Party.__table__, "position"), (Certificate.__table__, "number"),
                             (Document.__table__, "id")):
            for row in session.execute(_select(table, "record_id", part, order)):
                parts[row[0]].append(f"{table.name}:{row[1:]!r}")
        for rid in part:
            if rid not in rows:
                out[rid] = None
                continue
            h = hashlib.sha256(rows[rid].encode())
            for piece in parts[rid]:
                h.update(b"\n" + piece.encode())
            out[rid] = h.hexdigest()[:DIGEST_HEX]
    return out


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


__all__ = ["DIGEST_HEX", "SEALED_CHILDREN", "TOUCHED_KEY", "all_record_ids", "record_digests", "touched_records"]
