"""Bulk writing of generated rows: buffered per table, written in chunks, in foreign-key order."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import insert
from sqlalchemy.orm import Session

from registry_app.storage.models import Certificate, Party, Record, RecordEvent


class SharedData(dict):
    """A `data` value shared by many rows: the writer serialises it once."""

    __hash__ = object.__hash__


class BulkWriter:
    """Buffers rows per table and writes them with one multi-row INSERT per chunk, in foreign-key order.

    On SQLite the rows go to the driver's executemany as tuples, each value converted by its column
    type's own bind processor (what SQLAlchemy would apply), with the conversions of repeated values
    (dates, shared JSON documents) done once; elsewhere it is `session.execute(insert(table), rows)`."""

    ORDER = ("records", "parties", "certificates", "events")

    def __init__(self, session: Session):
        self.s = session
        self.rows: dict[str, list[dict]] = {name: [] for name in self.ORDER}
        self.tables = {"records": Record.__table__, "parties": Party.__table__,
                       "certificates": Certificate.__table__, "events": RecordEvent.__table__}
        self.conn = session.connection()
        self.dialect = self.conn.dialect
        self.sqlite = self.dialect.name == "sqlite"
        self.memo: dict[tuple[str, str], dict] = {}

    def add(self, table: str, row: dict) -> None:
        self.rows[table].append(row)

    def pending(self) -> int:
        return len(self.rows["records"])

    def flush(self) -> None:
        for name in self.ORDER:
            rows = self.rows[name]
            if rows:
                if self.sqlite:
                    self._executemany(self.tables[name], rows)
                else:
                    self.s.execute(insert(self.tables[name]), rows)
                self.rows[name] = []

    def _executemany(self, table, rows: list[dict]) -> None:
        columns = list(rows[0])
        converters = []
        for c in columns:
            proc = table.c[c].type._cached_bind_processor(self.dialect)
            memo = self.memo.setdefault((table.name, c), {})
            converters.append((c, proc, memo))
        out = []
        for row in rows:
            values = []
            for c, proc, memo in converters:
                v = row[c]
                if proc is not None and v is not None:
                    kind = type(v)
                    if kind is dt.date or kind is dt.datetime or kind is SharedData:
                        p = memo.get(v)
                        if p is None:
                            p = memo[v] = proc(v)
                        v = p
                    else:
                        v = proc(v)
                values.append(v)
            out.append(tuple(values))
        sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        cursor = self.conn.connection.dbapi_connection.cursor()
        try:
            cursor.executemany(sql, out)
        finally:
            cursor.close()
