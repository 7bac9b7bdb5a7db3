"""Bulk writing of generated rows: buffered per table, written in chunks, in foreign-key order."""
from __future__ import annotations

from sqlalchemy.orm import Session

from registry_app.storage.bulk import insert_rows
from registry_app.storage.models import Certificate, Party, Record, RecordEvent


class BulkWriter:
    """Buffers rows per table and writes them with one multi-row INSERT per chunk, in foreign-key order.

    The INSERTs are storage.bulk.insert_rows, with one memo of converted values for the whole run."""

    ORDER = ("records", "parties", "certificates", "events")

    def __init__(self, session: Session):
        self.s = session
        self.rows: dict[str, list[dict]] = {name: [] for name in self.ORDER}
        self.tables = {"records": Record.__table__, "parties": Party.__table__,
                       "certificates": Certificate.__table__, "events": RecordEvent.__table__}
        self.memo: dict[tuple[str, str], dict] = {}

    def add(self, table: str, row: dict) -> None:
        self.rows[table].append(row)

    def pending(self) -> int:
        return len(self.rows["records"])

    def flush(self) -> None:
        for name in self.ORDER:
            rows = self.rows[name]
            if rows:
                insert_rows(self.s, self.tables[name], rows, self.memo)
                self.rows[name] = []
