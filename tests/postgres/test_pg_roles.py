"""A database role per office (`registry db grant-role`): the counters connect as it and can do their work,
but cannot drop or alter the schema, and cannot rewrite or delete the audit trail."""
from __future__ import annotations

import datetime as dt
import json
import uuid

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from registry_app.services.accounts import Accounts
from registry_app.services.audit import verify_chain
from registry_app.services.context import AppContext
from registry_app.services.marriage import MarriageCase, MarriageService
from registry_app.storage.engine import open_database
from tests.factories import marriage_case, person
from tests.postgres.conftest import ADMIN_URL, PASSWORDS, registry

pytestmark = pytest.mark.postgres


@pytest.fixture
def office_role(pg_office):
    """(owner's url, the office role's url): the role made and granted as an office's DBA would."""
    url, db, clock = pg_office
    role = "office_" + uuid.uuid4().hex[:8]
    script = registry("--url", url, "db", "grant-role", role, "--sql")
    assert script.returncode == 0, script.stderr
    owner = sa.create_engine(url)
    with owner.begin() as c:
        c.execute(sa.text(f'CREATE ROLE "{role}" LOGIN'))
        c.exec_driver_sql(script.stdout)  # psql -1 -f: one transaction
    owner.dispose()
    yield url, make_url(url).set(username=role).render_as_string(hide_password=False), clock
    db.engine.dispose()
    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
        c.execute(sa.text(f'DROP ROLE IF EXISTS "{role}"'))
    admin.dispose()


def test_the_office_role_registers_and_the_checks_pass(office_role):
    _owner, role_url, clock = office_role
    db = open_database(role_url)
    try:
        ctx = AppContext(db=db, clock=clock)
        ctx.user = Accounts(ctx).login("clerk", PASSWORDS["clerk"])  # a login writes too (audited)
        for k, (man, woman) in enumerate((("张伟", "李娜"), ("王强", "赵敏"))):
            case = marriage_case(person(man, "M", dt.date(1990, 1, 1 + k)), person(woman, "F", dt.date(1992, 2, 2 + k)))
            result = MarriageService(ctx).register_case(MarriageCase.from_dict(case))
            assert result.certificate_no == f"J320102-2026-{k + 1:06d}"
        assert verify_chain(ctx).ok
    finally:
        db.close()
    for command in (["db", "check"], ["audit", "verify"]):
        done = registry("--url", role_url, *command)
        assert done.returncode == 0, done.stdout + done.stderr


FORBIDDEN = [
    ("DROP TABLE records", "must be owner"),
    ("ALTER TABLE records ADD COLUMN x text", "must be owner"),
    ("ALTER TABLE audit_log DISABLE ROW LEVEL SECURITY", "must be owner"),
    ("DROP POLICY registry_audit_seal ON audit_log", "must be owner"),
    ("TRUNCATE audit_log", "permission denied"),
    ("DELETE FROM audit_log", "permission denied"),
    ("DELETE FROM records", "permission denied"),
    ("UPDATE audit_log SET username = 'nobody'", "permission denied"),
    ("CREATE TABLE notes (x text)", "permission denied"),
]


@pytest.mark.parametrize("sql, said", FORBIDDEN, ids=[f[0] for f in FORBIDDEN])
def test_the_office_role_cannot(office_role, sql, said):
    _owner, role_url, _clock = office_role
    with psycopg.connect(make_url(role_url).set(drivername="postgresql").render_as_string(False)) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege) as err:
            conn.execute(sql)
        assert said in str(err.value)


def test_an_earlier_audit_entry_is_out_of_reach_even_in_its_sealed_columns(office_role):
    owner_url, role_url, _clock = office_role
    with psycopg.connect(make_url(role_url).set(drivername="postgresql").render_as_string(False)) as conn:
        cur = conn.execute("UPDATE audit_log SET detail = '{}', entry_hash = 'x' WHERE id = 1")
        assert cur.rowcount == 0  # the row policy lets the role touch only what its own transaction wrote
        conn.commit()
    done = registry("--url", owner_url, "audit", "verify")
    assert done.returncode == 0 and json.loads(done.stdout)["ok"]


def test_grant_role_needs_a_postgresql_url_and_a_plain_role_name(tmp_path, pg_url):
    done = registry("--db", str(tmp_path / "office.db"), "db", "grant-role", "office_1")
    assert done.returncode == 2
    assert [e["code"] for e in json.loads(done.stdout)["errors"]] == ["GRANT_ROLE_NEEDS_URL"]
    for bad in ('x"; DROP TABLE records; --', "Office", "1office", ""):
        done = registry("--url", pg_url, "db", "grant-role", bad)
        assert done.returncode == 2, bad
        assert [e["code"] for e in json.loads(done.stdout)["errors"]] == ["ROLE_NAME_INVALID"]
