"""Revision 0008 on a database at revision 0007 holding the old certificate values: "void" becomes
"ended_by_divorce" (a divorce) or "replaced" (a later reissue, as demo databases wrote it), the records are
re-sealed so `db check` stays clean, and every status column refuses a value outside its set."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy.exc
from alembic import command
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from registry_app.services.health import DatabaseHealth
from registry_app.services.marriage import MarriageCase, MarriageService
from registry_app.services.certificate_voiding import CertificateVoiding
from registry_app.services.reissue import CertificateReissue
from registry_app.services.record_seals import reseal
from registry_app.storage.migrate import _config, current_revision, head_revision, upgrade
from registry_app.storage.models import AuditEntry, Certificate
from tests.factories import marriage_case, person
from registry_app.services.divorce import DivorceService
from tests.integration.test_after_registration import REQUEST, divorce_application

D = dt.date
REISSUE_REMARK = "已补领，原证作废"  # what the demo generator wrote on a reissued certificate


def _register(ctx, man, woman, born):
    case = marriage_case(person(man, "M", born), person(woman, "F", D(1997, 11, 20)))
    return case, MarriageService(ctx).register_case(MarriageCase.from_dict(case))


def _statuses(db) -> dict[str, str]:
    with db.read() as s:
        return dict(s.execute(select(Certificate.number, Certificate.status)).all())


def _migrate(db, direction, revision):
    cfg = _config()
    with db.engine.connect() as conn:
        cfg.attributes["connection"] = conn
        direction(cfg, revision)
        conn.commit()


def _failing(report):
    return {c.name: [p["code"] for p in c.problems] for c in report.checks if not c.ok}


@pytest.fixture
def old_database(clerk_ctx, supervisor_ctx, db, clock):
    """Divorced, reissued, reissued-then-divorced and voided certificates, at revision 0007 in the old words."""
    divorced_case, divorced = _register(clerk_ctx, "张伟", "李娜", D(1995, 3, 8))
    _, reissued = _register(clerk_ctx, "王强", "赵敏", D(1990, 1, 1))
    both_case, both = _register(clerk_ctx, "陈刚", "周丽", D(1991, 2, 2))
    _, voided = _register(clerk_ctx, "刘洋", "孙悦", D(1992, 4, 4))
    reissues = CertificateReissue(clerk_ctx)
    reissues.reissue(reissued.record_id, REQUEST)
    reissues.reissue(both.record_id, REQUEST)
    CertificateVoiding(supervisor_ctx).void_certificate(voided.certificate_no, "打印错位", reissue_number=False)
    divorces = DivorceService(clerk_ctx)
    apps = [divorces.apply(divorce_application(case, rec.record_id))["application_id"]
            for case, rec in ((divorced_case, divorced), (both_case, both))]
    clock.set(D(2026, 7, 16))
    for app_id in apps:
        divorces.issue(app_id, both_present=True, questioning={"party1": "自愿", "party2": "自愿"}, signed=True)
    _migrate(db, command.downgrade, "0007")
    assert current_revision(db) == "0007"
    # as an older client or the demo generator left it: reissued certificates "void" with the reissue remark
    with db.write() as s:
        old = [r[0] for r in s.execute(text("SELECT record_id FROM certificates WHERE status = 'replaced'"))]
        s.execute(text("UPDATE certificates SET status = 'void', void_reason = :r WHERE status = 'replaced'"),
                  {"r": REISSUE_REMARK})
        reseal(s, old, "record.sealed", "测试：旧版本写入的状态")
    assert DatabaseHealth(clerk_ctx).run().ok
    return {"divorced": divorced, "reissued": reissued, "both": both, "voided": voided}


def test_0008_renames_the_old_values_and_keeps_db_check_clean(clerk_ctx, db, old_database):
    before = _statuses(db)
    assert set(before.values()) == {"issued", "void", "voided"}
    upgrade(db)
    assert current_revision(db) == head_revision()
    after = _statuses(db)
    r = old_database
    assert after[r["divorced"].certificate_no] == "ended_by_divorce"
    assert after[r["reissued"].certificate_no] == "replaced"
    assert after["BJ320102-2026-000001"] == "issued"          # the reissue of the second marriage
    assert after[r["both"].certificate_no] == "replaced"       # J replaced by its BJ ...
    assert after["BJ320102-2026-000002"] == "ended_by_divorce"  # ... which the divorce then ended
    assert after[r["voided"].certificate_no] == "voided"
    assert "void" not in after.values()
    report = DatabaseHealth(clerk_ctx).run()
    assert report.ok, _failing(report)
    with db.read() as s:
        entries = s.execute(select(AuditEntry).where(AuditEntry.action == "records.vocabulary_migrated")).scalars().all()
    sealed = {int(k) for e in entries for k in (e.detail or {}).get("state", {})}
    assert sealed == {r["divorced"].record_id, r["reissued"].record_id, r["both"].record_id}
    assert all(e.username == "system" and e.reason for e in entries)


@pytest.mark.parametrize("sql", [
    "UPDATE certificates SET status = 'void' WHERE id = 1",
    "UPDATE records SET status = 'issued' WHERE kind = 'marriage'",          # a divorce's state on a marriage
    "UPDATE records SET kind = 'divorce' WHERE kind = 'marriage'",           # states are per kind
    "INSERT INTO blank_stock (serial, booklet_type, status, received_on, received_by, spoiled_reason) "
    "VALUES ('J9', 'marriage', 'lost', '2026-01-01', 'x', '')",
    "UPDATE events SET sync_status = 'sent'",
    "INSERT INTO work_cases (kind, status, code, message, opened_at) VALUES ('x', 'closed', 'C', 'm', '2026-01-01')",
])
def test_after_0008_a_value_outside_the_set_is_refused(clerk_ctx, db, old_database, sql):
    upgrade(db)
    before = _statuses(db)
    with pytest.raises(sqlalchemy.exc.DatabaseError, match="STATE_NOT_IN_SET|CHECK|check"):
        with db.write() as s:
            s.execute(text(sql))
    assert _statuses(db) == before
    assert DatabaseHealth(clerk_ctx).run().ok


def test_0008_downgrades_to_the_old_words(clerk_ctx, db, old_database):
    upgrade(db)
    _migrate(db, command.downgrade, "0007")
    assert "ended_by_divorce" not in _statuses(db).values()
    with db.write() as s:  # no trigger left
        s.execute(text("UPDATE work_cases SET status = 'anything'"))
    assert DatabaseHealth(clerk_ctx).run().ok
    with Session(db.engine) as s:
        assert s.execute(text("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'ck_%'")).scalar() == 0


def test_0008_sets_are_the_enums():
    """The revision writes its sets out; a state added to domain/states.py needs a revision that adds it."""
    import importlib.util
    from pathlib import Path

    from registry_app.domain.states import RECORD_STATES, STATUS_COLUMNS, STATUS_COLUMNS_SINCE

    path = Path(__file__).resolve().parents[2] / "registry_app/storage/migrations/versions/0008_state_vocabulary.py"
    spec = importlib.util.spec_from_file_location("rev0008", path)
    rev = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(rev)
    assert {k: set(v) for k, v in rev.RECORD_STATES.items()} == {k: {m.value for m in e} for k, e in RECORD_STATES.items()}
    assert {k: set(v) for k, v in rev.SETS.items()} == {
        k: {m.value for e in enums for m in e} for k, enums in STATUS_COLUMNS.items()
        if k != ("records", "status") and k not in STATUS_COLUMNS_SINCE}
