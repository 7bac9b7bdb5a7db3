"""A multi-counter office on PostgreSQL: the same code, migrations, numbering and audit chain.

`./test` starts a throwaway server and sets REGISTRY_TEST_PG_URL; without one these tests are skipped."""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from registry_app.clock import FixedClock
from registry_app.domain.roles import Role
from registry_app.services.accounts import Accounts
from registry_app.services.audit import verify_chain
from registry_app.services.context import AppContext
from registry_app.services.marriage import MarriageCase, MarriageService
from registry_app.services.office_setup import OfficeSetup, initialise
from registry_app.services.search import RecordSearch
from registry_app.storage.migrate import current_revision, head_revision
from tests.factories import marriage_case, person

pytestmark = pytest.mark.postgres
ADMIN_URL = os.environ.get("REGISTRY_TEST_PG_URL")
ROOT = Path(__file__).resolve().parents[2]
NUMERALS = "一二三四五六"


@pytest.fixture
def pg_url():
    if not ADMIN_URL:
        if os.environ.get("CI"):  # CI installs and starts the server: a skip there would hide a failure
            pytest.fail("CI run without the test PostgreSQL server (REGISTRY_TEST_PG_URL not set)")
        pytest.skip("no PostgreSQL server (REGISTRY_TEST_PG_URL)")
    name = "office_" + uuid.uuid4().hex[:10]
    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    yield url
    sa.create_engine(url).dispose()
    with admin.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def pg_office(pg_url):
    clock = FixedClock(dt.date(2026, 6, 15))
    db = initialise(OfficeSetup("320102", "玄武区婚姻登记处（多窗口）", "", "admin", "王管理", "Root-pass-2026"),
                    None, clock, url=pg_url)
    ctx = AppContext(db=db, clock=clock)
    with db.write() as s:
        Accounts(ctx).create_user(s, "clerk", "李登记", Role.CLERK, "Desk-pass-2026", must_change=False)
    yield pg_url, db, clock
    db.close()


def test_migrations_and_a_registration_on_postgres(pg_office):
    url, db, clock = pg_office
    assert current_revision(db) == head_revision()
    ctx = AppContext(db=db, clock=clock)
    ctx.user = Accounts(ctx).login("clerk", "Desk-pass-2026")
    case = marriage_case()
    result = MarriageService(ctx).register_case(MarriageCase.from_dict(case))
    assert result.certificate_no == "J320102-2026-000001"
    assert verify_chain(ctx).ok
    # name search walks the (name, registration date, record) index on PostgreSQL too
    name = case["party1"]["name"]
    hits = RecordSearch(ctx).search(name[:1]).hits
    assert [h.certificate_no for h in hits] == ["J320102-2026-000001"]
    assert hits[0].registration_date == "2026-06-15"
    assert RecordSearch(ctx).search(name, kind="divorce").hits == []


WORKER = r"""
import datetime as dt, json, sys
from registry_app.clock import FixedClock
from registry_app.services.accounts import Accounts
from registry_app.services.context import AppContext
from registry_app.services.marriage import MarriageCase, MarriageService
from registry_app.storage.engine import open_database
db = open_database(sys.argv[1])
ctx = AppContext(db=db, clock=FixedClock(dt.date(2026, 6, 15)))
ctx.user = Accounts(ctx).login("clerk", "Desk-pass-2026")
out = [MarriageService(ctx).register_case(MarriageCase.from_dict(c)).certificate_no for c in json.loads(sys.argv[2])]
print(json.dumps(out))
"""


def test_two_counters_in_two_processes_get_distinct_consecutive_numbers(pg_office):
    url, db, clock = pg_office
    batches = []
    for side in "甲乙":
        batches.append([marriage_case(person("男" + side + NUMERALS[k], "M", dt.date(1990, 1, 1 + k)),
                                      person("女" + side + NUMERALS[k], "F", dt.date(1991, 1, 1 + k)))
                         for k in range(6)])
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, url, json.dumps(b)], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for b in batches]
    numbers = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        numbers += json.loads(out)
    assert sorted(numbers) == [f"J320102-2026-{n:06d}" for n in range(1, 13)]
    ctx = AppContext(db=db, clock=clock)
    ctx.user = Accounts(ctx).login("admin", "Root-pass-2026")
    assert verify_chain(ctx).ok
