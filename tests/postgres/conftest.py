"""PostgreSQL fixtures: a fresh database per test on the throwaway server `./test` starts
(REGISTRY_TEST_PG_URL); without one the tests are skipped, except in CI where that would hide a failure."""
from __future__ import annotations

import datetime as dt
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
from registry_app.services.context import AppContext
from registry_app.services.office_setup import OfficeSetup, initialise

ADMIN_URL = os.environ.get("REGISTRY_TEST_PG_URL")
ROOT = Path(__file__).resolve().parents[2]
PASSWORDS = {"admin": "Root-pass-2026", "clerk": "Desk-pass-2026"}


def need_server() -> str:
    if not ADMIN_URL:
        if os.environ.get("CI"):
            pytest.fail("CI run without the test PostgreSQL server (REGISTRY_TEST_PG_URL not set)")
        pytest.skip("no PostgreSQL server (REGISTRY_TEST_PG_URL)")
    return ADMIN_URL


def objects_in(url: str) -> int:
    """Tables, sequences, indexes and views in the public schema (what an upgrade or a restore made)."""
    engine = sa.create_engine(url)
    with engine.connect() as c:
        found = c.execute(sa.text("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                                  "WHERE n.nspname = 'public'")).scalar()
    engine.dispose()
    return found


def database_url(base: str, name: str) -> str:
    return base.rsplit("/", 1)[0] + "/" + name


@pytest.fixture
def pg_url():
    admin_url = need_server()
    name = "office_" + uuid.uuid4().hex[:10]
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield database_url(admin_url, name)
    with admin.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def pg_office(pg_url):
    """An initialised office on PostgreSQL with a clerk: (url, db, clock)."""
    clock = FixedClock(dt.date(2026, 6, 15))
    db = initialise(OfficeSetup("320102", "玄武区婚姻登记处（多窗口）", "", "admin", "王管理", PASSWORDS["admin"]),
                    None, clock, url=pg_url)
    ctx = AppContext(db=db, clock=clock)
    with db.write() as s:
        Accounts(ctx).create_user(s, "clerk", "李登记", Role.CLERK, PASSWORDS["clerk"], must_change=False)
    yield pg_url, db, clock
    db.close()


def registry(*args: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """The `registry` command in its own process (as an office runs it)."""
    full = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "registry_app.cli", *args], cwd=cwd or ROOT, env=full,
                          check=False, capture_output=True, text=True, timeout=300)
