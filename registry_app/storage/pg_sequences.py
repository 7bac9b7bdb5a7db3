"""PostgreSQL id sequences after rows written with explicit ids (the demo generator's bulk inserts).

SQLite gives a new row max(id) + 1 by itself; a PostgreSQL serial column takes the next value of its
sequence, which explicit ids never advanced, so the first registration after a bulk load would collide
with a generated row. Called inside the writing transaction, so the move commits with the rows."""
from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from registry_app.storage.models import Base


def catch_up_sequences(session: Session) -> None:
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        return
    for table in Base.metadata.sorted_tables:
        if "id" not in table.c or not table.c.id.primary_key:
            continue
        seq = conn.execute(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table.name}).scalar()
        if seq is None:
            continue
        conn.execute(text(f'SELECT setval(:seq, (SELECT coalesce(max(id), 0) + 1 FROM "{table.name}"), false)'),
                     {"seq": seq})
