"""`registry db check` and `registry audit verify` on PostgreSQL: the same checks, the same exit codes as on
SQLCipher. A clean office passes; a change made around the program — an insider with psql and the owner's
rights — is found by the named check."""
from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa

from registry_app.services.accounts import Accounts
from registry_app.services.context import AppContext
from registry_app.services.marriage import MarriageCase, MarriageService
from tests.factories import marriage_case, person
from tests.postgres.conftest import PASSWORDS, registry

pytestmark = pytest.mark.postgres
D = dt.date


def _office_with_two_marriages(pg_office):
    url, db, clock = pg_office
    ctx = AppContext(db=db, clock=clock)
    ctx.user = Accounts(ctx).login("clerk", PASSWORDS["clerk"])
    for man, woman, born in (("张伟", "李娜", D(1995, 3, 8)), ("王强", "赵敏", D(1990, 1, 1))):
        case = marriage_case(person(man, "M", born), person(woman, "F", D(1997, 11, 20)))
        MarriageService(ctx).register_case(MarriageCase.from_dict(case))
    db.engine.dispose()  # the insider's psql is another connection: nothing of ours cached
    return url


def psql(url: str, *statements: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as c:
        for sql in statements:
            c.execute(sa.text(sql))
    engine.dispose()


def failing(out: str) -> dict[str, set[str]]:
    return {c["name"]: {p["code"] for p in c["problems"]} for c in json.loads(out)["checks"] if not c["ok"]}


def test_a_clean_office_passes_both_checks(pg_office):
    url = _office_with_two_marriages(pg_office)
    check = registry("--url", url, "db", "check")
    assert check.returncode == 0, check.stdout + check.stderr
    report = json.loads(check.stdout)
    assert report["ok"]
    digests = next(c for c in report["checks"] if c["name"] == "record_digests")
    assert digests["checked"] == 2
    verify = registry("--url", url, "audit", "verify")
    assert verify.returncode == 0, verify.stderr
    assert json.loads(verify.stdout)["ok"] and json.loads(verify.stdout)["checked"] > 2


ATTACKS = [
    ("party name changed", ["UPDATE parties SET name = '张三' WHERE position = 1 AND record_id = 1"],
     "record_digests", "RECORD_TAMPERED"),
    ("ID number changed", ["UPDATE parties SET id_number = '110105194912310021' WHERE record_id = 1 AND position = 2"],
     "record_digests", "RECORD_TAMPERED"),
    ("registration date moved", ["UPDATE records SET registration_date = '2020-01-01' WHERE id = 1",
                                 "UPDATE parties SET registration_date = '2020-01-01' WHERE record_id = 1"],
     "record_digests", "RECORD_TAMPERED"),
    ("record inserted around the program",
     [("INSERT INTO records (uid, kind, status, office_code, back_entered, data, created_by, created_at, updated_at) "
       "VALUES ('x-1', 'marriage', 'dissolved', '320102', true, '{}', 'li', '2026-06-15', '2026-06-15')")],
     "record_digests", "RECORD_UNSEALED"),
    ("certificate counter moved back", ["UPDATE certificate_sequences SET last_value = 1"],
     "certificate_numbers", "CERT_NUMBER_BEYOND_COUNTER"),
    ("event deleted", ["DELETE FROM events WHERE seq = 1"], "event_numbers", "EVENT_SEQ_GAP"),
    ("audit entry edited", ["UPDATE audit_log SET username = 'nobody' WHERE id = 2"],
     "audit_chain", "AUDIT_CHAIN_BROKEN"),
]


@pytest.mark.parametrize("what, sql, check, code", ATTACKS, ids=[a[0] for a in ATTACKS])
def test_each_change_around_the_program_is_found(pg_office, what, sql, check, code):
    url = _office_with_two_marriages(pg_office)
    psql(url, *sql)
    done = registry("--url", url, "db", "check")
    assert done.returncode == 1, done.stdout + done.stderr
    assert code in failing(done.stdout).get(check, set()), failing(done.stdout)
    assert check in done.stderr  # the summary line names the failing check


@pytest.mark.parametrize("sql", ["UPDATE audit_log SET username = 'nobody' WHERE id = 2",
                                 "DELETE FROM audit_log WHERE id = 3"], ids=["edited", "deleted"])
def test_audit_verify_names_the_first_broken_entry(pg_office, sql):
    url = _office_with_two_marriages(pg_office)
    psql(url, sql)
    done = registry("--url", url, "audit", "verify")
    assert done.returncode == 1, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert not report["ok"] and report["first_broken_id"] in (2, 3, 4)
