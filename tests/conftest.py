"""Shared fixtures: every test makes its own database, keys and passphrase."""
from __future__ import annotations

import datetime as dt
import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from registry_app.clock import FixedClock  # noqa: E402
from registry_app.domain.roles import Role  # noqa: E402
from registry_app.services.accounts import Accounts  # noqa: E402
from registry_app.services.context import AppContext, CurrentUser  # noqa: E402
from registry_app.services.office_setup import OfficeSetup, initialise  # noqa: E402
from registry_app.storage.denormalized import mismatched_registration_dates  # noqa: E402

PASSPHRASE = "test passphrase 0123"
OFFICE_CODE = "320102"
OFFICE_NAME = "南京市玄武区民政局婚姻登记处"
PASSWORDS = {"admin": "Root-pass-2026", "clerk": "Desk-pass-2026", "supervisor": "Head-pass-2026"}


@pytest.fixture
def clock():
    return FixedClock(dt.date(2026, 6, 15))


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "office.db"


@pytest.fixture
def db(db_path, clock, request):
    # A test marked `training` gets a training database: one that accepts `--date` and a clock moved back.
    training = request.node.get_closest_marker("training") is not None
    database = initialise(
        OfficeSetup(OFFICE_CODE, OFFICE_NAME, PASSPHRASE, "admin", "王管理", PASSWORDS["admin"], training=training),
        db_path, clock,
    )
    add_staff(database, clock)
    yield database
    # The copy of each record's registration date on its parties (name search) never drifts.
    with database.read() as s:
        assert mismatched_registration_dates(s) == 0, "parties.registration_date differs from its record's"
    database.close()


def add_staff(database, clock) -> None:
    """The office's staff in every test office: two clerks and a supervisor (the admin comes with init)."""
    ctx = AppContext(db=database, clock=clock)
    with database.write() as s:
        acc = Accounts(ctx)
        acc.create_user(s, "clerk", "李登记", Role.CLERK, PASSWORDS["clerk"], must_change=False)
        acc.create_user(s, "clerk2", "赵登记", Role.CLERK, PASSWORDS["clerk"], must_change=False)
        acc.create_user(s, "supervisor", "张主任", Role.SUPERVISOR, PASSWORDS["supervisor"], must_change=False)


def _login(db, clock, username: str) -> AppContext:
    ctx = AppContext(db=db, clock=clock)
    password = PASSWORDS.get(username, PASSWORDS["clerk"])
    ctx.user = Accounts(ctx).login(username, password)
    return ctx


@pytest.fixture
def ctx_for(db, clock):
    """ctx_for('clerk') -> an AppContext logged in as that user."""
    return lambda username: _login(db, clock, username)


@pytest.fixture
def clerk_ctx(ctx_for) -> AppContext:
    return ctx_for("clerk")


@pytest.fixture
def supervisor_ctx(ctx_for) -> AppContext:
    return ctx_for("supervisor")


@pytest.fixture
def admin_ctx(ctx_for) -> AppContext:
    return ctx_for("admin")


def as_current(ctx: AppContext) -> CurrentUser:
    assert ctx.user is not None
    return ctx.user
