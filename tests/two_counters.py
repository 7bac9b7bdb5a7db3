"""Two counters on one office database, on both engines: each with its own connection pool and its own
clerk signed in, as two desks in one office are. A test module uses it with

    from tests.two_counters import counters  # noqa: F401  (the fixture)

and takes `counters` -> Counters(a, b, supervisor_a, supervisor_b, engine). The PostgreSQL case needs the
throwaway server `./test` starts (REGISTRY_TEST_PG_URL); without one it is skipped, except in CI."""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from registry_app.clock import FixedClock
from registry_app.services.accounts import Accounts
from registry_app.services.context import AppContext
from registry_app.services.office_setup import OfficeSetup, initialise
from registry_app.storage.engine import open_database, sqlcipher_url
from tests.conftest import OFFICE_CODE, OFFICE_NAME, PASSPHRASE, PASSWORDS, add_staff
from tests.postgres.conftest import database_url, need_server

ENGINES = ("sqlcipher", "postgresql")


@dataclass
class Counters:
    a: AppContext            # 李登记 at counter 1
    b: AppContext            # 赵登记 at counter 2
    supervisor_a: AppContext  # 张主任 (counter 1's database connection)
    supervisor_b: AppContext  # 张主任 at another desk (counter 2's connection)
    engine: str
    clock: FixedClock


def _login(db, clock, username: str) -> AppContext:
    ctx = AppContext(db=db, clock=clock)
    ctx.user = Accounts(ctx).login(username, PASSWORDS.get(username, PASSWORDS["clerk"]))
    return ctx


@pytest.fixture(params=ENGINES)
def counters(request, tmp_path):
    clock = FixedClock(dt.date(2026, 6, 15))
    setup = OfficeSetup(OFFICE_CODE, OFFICE_NAME, "" if request.param == "postgresql" else PASSPHRASE,
                        "admin", "王管理", PASSWORDS["admin"])
    cleanup = None
    if request.param == "postgresql":
        admin_url = need_server()
        name = "counters_" + uuid.uuid4().hex[:10]
        admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = database_url(admin_url, name)
        first = initialise(setup, None, clock, url=url)

        def cleanup():
            with admin.connect() as c:
                c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    else:
        path = tmp_path / "office.db"
        first = initialise(setup, path, clock)
        url = sqlcipher_url(path, PASSPHRASE)
    add_staff(first, clock)
    second = open_database(url)
    try:
        yield Counters(_login(first, clock, "clerk"), _login(second, clock, "clerk2"),
                       _login(first, clock, "supervisor"), _login(second, clock, "supervisor"),
                       request.param, clock)
    finally:
        second.close()
        first.close()
        if cleanup:
            cleanup()
