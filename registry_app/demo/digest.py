"""Inspecting a database the generator filled: whether it is demo data, and a digest of its content."""
from __future__ import annotations

import hashlib
import json

from sqlalchemy import text

from registry_app.storage.engine import Database
from registry_app.storage.models import Setting

DEMO_SETTING = "demo_data"


def is_demo_database(db: Database) -> bool:
    """True when the database holds generated data (the benchmark only copies such a database in clear)."""
    with db.read() as s:
        return s.get(Setting, DEMO_SETTING) is not None


def content_digest(db: Database) -> str:
    """SHA-256 over what the generator decides (records, parties, certificates, counters): equal for equal
    seeds and dates. Row ids and the wall-clock parts of the audit trail are left out."""
    h = hashlib.sha256()
    with db.read() as s:
        conn = s.connection()
        for sql in (
            "SELECT uid, kind, status, registration_date, application_date, certificate_no, back_entered, "
            "archive_no, linked_record_id, data FROM records ORDER BY id",
            "SELECT record_id, position, role, name, name_initials, sex, birth_date, id_type, id_number, id_tail, "
            "registration_date, data FROM parties ORDER BY record_id, position",
            "SELECT number, cert_type, record_id, issued_on, status, void_reason FROM certificates ORDER BY id",
            "SELECT scope, cert_type, year, last_value FROM certificate_sequences ORDER BY scope, cert_type, year",
            "SELECT seq, event_id, event_type, record_id, business_date, occurred_at, data FROM events ORDER BY seq",
        ):
            for row in conn.execute(text(sql)):
                h.update(json.dumps(list(row), ensure_ascii=False, default=str).encode())
    return h.hexdigest()
