"""Multi-row INSERTs for bulk writers (archive import, demo data) in the caller's transaction.

On SQLite the rows go straight to the driver's executemany as tuples, each value converted by its column
type's own bind processor (the conversion SQLAlchemy itself would apply); conversions of repeated values
(dates, times, a SharedData document) are done once per distinct value. Elsewhere (PostgreSQL) it is a
Core INSERT. Building a Core statement or an ORM object per row costs more than the row's insert.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from registry_app.storage.digests import SEALED_CHILDREN, created_records, touched_records


class SharedData(dict):
    """A JSON `data` value shared by many rows: serialised once."""

    __hash__ = object.__hash__


_MEMO_TYPES = (dt.date, dt.datetime, SharedData)


def insert_rows(session: Session, table: Table, rows: list[dict],
                memo: dict[tuple[str, str], dict] | None = None) -> None:
    """INSERT `rows` (dicts with the same keys) into `table`. `memo` may be kept by the caller across
    calls so that a value converted once stays converted."""
    if not rows:
        return
    _note_records(session, table, rows)
    conn = session.connection()
    dialect = conn.dialect
    if dialect.name != "sqlite":
        session.execute(insert(table), rows)
        return
    memo = {} if memo is None else memo
    columns = list(rows[0])
    converters = [(c, table.c[c].type._cached_bind_processor(dialect), memo.setdefault((table.name, c), {}))
                  for c in columns]
    out = []
    for row in rows:
        values = []
        for c, proc, seen in converters:
            v = row[c]
            if proc is not None and v is not None:
                if type(v) in _MEMO_TYPES:
                    p = seen.get(v)
                    if p is None:
                        p = seen[v] = proc(v)
                    v = p
                else:
                    v = proc(v)
            values.append(v)
        out.append(tuple(values))
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.executemany(sql, out)
    finally:
        cursor.close()


def _note_records(session: Session, table: Table, rows: list[dict]) -> None:
    """Records written here bypass the ORM: note them, so the commit seals their state in the audit
    trail like any other change (services/record_seals.py)."""
    key = "id" if table.name == "records" else "record_id" if table.name in SEALED_CHILDREN else None
    if key and key in rows[0]:
        touched_records(session).update(row[key] for row in rows if row[key] is not None)
    if table.name == "records" and "id" in rows[0]:
        created_records(session).update(row["id"] for row in rows if row["id"] is not None)


__all__ = ["SharedData", "insert_rows"]
