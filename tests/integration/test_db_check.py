"""`registry db check` and record seals: every change of a record leaves its digest in the audit trail, and
a change made around the program — with the passphrase and a SQLite shell — is found.

The attacks are done the way an insider would: raw SQL on the encrypted file, through a connection of its own.
"""
from __future__ import annotations

import datetime as dt

import pytest
import sqlcipher3
from sqlalchemy import select

from registry_app.services.context import AppContext
from registry_app.services.health import DatabaseHealth
from registry_app.services.marriage import MarriageCase, MarriageService
from registry_app.storage.engine import open_database, sqlcipher_url
from registry_app.storage.models import AuditEntry, Record
from tests.conftest import PASSPHRASE
from tests.factories import marriage_case, person

D = dt.date


def register(ctx, man="张伟", woman="李娜", born=D(1995, 3, 8)):
    case = marriage_case(person(man, "M", born), person(woman, "F", D(1997, 11, 20)))
    return MarriageService(ctx).register_case(MarriageCase.from_dict(case))


def raw(db_path, *statements):
    """What an insider holding the passphrase can do with a SQLite shell."""
    conn = sqlcipher3.connect(str(db_path))
    conn.execute(f"PRAGMA key = '{PASSPHRASE}'")
    conn.execute("PRAGMA foreign_keys = OFF")
    for sql in statements:
        conn.execute(sql)
    conn.commit()
    conn.close()


def failing(report) -> dict[str, set[str]]:
    return {c.name: {p["code"] for p in c.problems} for c in report.checks if not c.ok}


def test_a_fresh_office_and_its_registrations_are_clean(clerk_ctx, db):
    register(clerk_ctx)
    register(clerk_ctx, "王强", "赵敏", D(1990, 1, 1))
    report = DatabaseHealth(clerk_ctx).run()
    assert report.ok, failing(report)
    digests = next(c for c in report.checks if c.name == "record_digests")
    assert digests.checked == 2


def test_the_registration_entry_carries_the_records_digest(clerk_ctx, db):
    result = register(clerk_ctx)
    with db.read() as s:
        entries = s.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars().all()
    sealed = [e for e in entries if str(result.record_id) in ((e.detail or {}).get("state") or {})]
    assert sealed, "no audit entry holds the new record's state"
    assert sealed[-1].action != "record.sealed"  # carried by the operation's own entry


ATTACKS = [
    # (what the insider does, the check that must fail, the code it must give)
    ("party name changed", ["UPDATE parties SET name = '张三' WHERE position = 1 AND record_id = 1"],
     "record_digests", "RECORD_TAMPERED"),
    ("ID number changed", ["UPDATE parties SET id_number = '110105194912310021' WHERE record_id = 1 AND position = 2"],
     "record_digests", "RECORD_TAMPERED"),
    ("registration date moved", ["UPDATE records SET registration_date = '2020-01-01' WHERE id = 1",
                                 "UPDATE parties SET registration_date = '2020-01-01' WHERE record_id = 1"],
     "record_digests", "RECORD_TAMPERED"),
    ("certificate voided by hand", ["UPDATE certificates SET status = 'voided' WHERE record_id = 1"],
     "record_digests", "RECORD_TAMPERED"),
    ("record inserted around the program",
     ["INSERT INTO records (uid, kind, status, office_code, back_entered, data, created_by, created_at, updated_at) "
      "VALUES ('x-1', 'marriage', 'dissolved', '320102', 1, '{}', 'li', '2026-06-15', '2026-06-15')"],
     "record_digests", "RECORD_UNSEALED"),
    ("record deleted", ["DELETE FROM parties WHERE record_id = 2", "DELETE FROM certificates WHERE record_id = 2",
                        "DELETE FROM events WHERE record_id = 2", "DELETE FROM records WHERE id = 2"],
     "record_digests", "RECORD_MISSING"),
    ("audit entry edited", ["UPDATE audit_log SET username = 'nobody' WHERE id = 2"],
     "audit_chain", "AUDIT_CHAIN_BROKEN"),
    ("certificate counter moved back", ["UPDATE certificate_sequences SET last_value = 1"],
     "certificate_numbers", "CERT_NUMBER_BEYOND_COUNTER"),
    ("certificate counter moved forward", ["UPDATE certificate_sequences SET last_value = 5"],
     "certificate_numbers", "CERT_NUMBER_MISSING"),
    ("second certificate printed on the first blank",
     ["UPDATE certificates SET blank_serial = 'J0000001'"], "blank_serials", "BLANK_USED_TWICE"),
    ("event deleted", ["DELETE FROM events WHERE seq = 1"], "event_numbers", "EVENT_SEQ_GAP"),
]


@pytest.mark.parametrize("what, sql, check, code", ATTACKS, ids=[a[0] for a in ATTACKS])
def test_each_change_around_the_program_is_found(clerk_ctx, db, db_path, what, sql, check, code):
    register(clerk_ctx)
    register(clerk_ctx, "王强", "赵敏", D(1990, 1, 1))
    assert DatabaseHealth(clerk_ctx).run().ok
    db.engine.dispose()  # the insider's shell is another connection: nothing of ours cached
    raw(db_path, *sql)
    report = DatabaseHealth(clerk_ctx).run()
    assert not report.ok
    assert code in failing(report).get(check, set()), failing(report)


def test_a_marriage_left_accepted_yesterday_is_half_finished(clerk_ctx, db, clock):
    case = MarriageCase.from_dict(marriage_case())
    MarriageService(clerk_ctx).accept(case)
    assert DatabaseHealth(clerk_ctx).run().ok  # still the same day: work in progress
    clock.advance(days=1)
    report = DatabaseHealth(clerk_ctx).run()
    assert failing(report) == {"half_finished": {"RECORD_HALF_FINISHED"}}


def test_outbox_temp_and_unknown_batch_files_are_reported(clerk_ctx, db, tmp_path):
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    (outbox / ".320102-20260615-000001.rgb.abc123.tmp").write_bytes(b"x")
    (outbox / "320102-20260615-000009.rgb").write_bytes(b"x")
    report = DatabaseHealth(clerk_ctx).run(outbox=outbox)
    assert failing(report) == {"outbox": {"OUTBOX_TEMP_FILE", "OUTBOX_ORPHAN_BATCH"}}


def test_a_damaged_page_is_reported_not_raised(clerk_ctx, db, db_path, tmp_path, clock):
    register(clerk_ctx)
    db.engine.dispose()
    raw(db_path, "PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(db_path.read_bytes())
    data[4096 * 2 + 100] ^= 0xFF  # a byte in the middle of page 3
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(bytes(data))
    copy = open_database(sqlcipher_url(damaged, PASSPHRASE))
    try:
        report = DatabaseHealth(AppContext(db=copy, clock=clock)).run()
    finally:
        copy.close()
    assert not report.ok
    assert failing(report).get("integrity"), failing(report)


def test_the_check_reads_only(clerk_ctx, db):
    register(clerk_ctx)
    with db.read() as s:
        before = s.execute(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1)).scalar()
        records = s.execute(select(Record.id)).scalars().all()
    DatabaseHealth(clerk_ctx).run()
    with db.read() as s:
        assert s.execute(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1)).scalar() == before
        assert s.execute(select(Record.id)).scalars().all() == records
