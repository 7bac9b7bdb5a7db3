"""The throwaway demo office (registry-app --demo): a training database with demo accounts, from which
nothing leaves (export and backups refused in the services), deleted on close, and swept after a crash."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select

from registry_app.demo import sandbox
from registry_app.demo.guard import is_demo_sandbox
from registry_app.errors import Refused, RegistryError
from registry_app.services.accounts import Accounts
from registry_app.services.backup import Backups
from registry_app.services.workspace import office_settings
from registry_app.storage.models import AuditEntry, Record, RecordEvent
from registry_app.sync.service import SyncService

DAY = dt.date(2026, 6, 15)


@pytest.fixture
def demo(tmp_path):
    box = sandbox.create_demo(DAY, records=400, root=tmp_path)
    yield box
    box.close()


def _as(box, username):
    return box.ctx.as_user(Accounts(box.ctx).login(username, sandbox.PASSWORD))


def test_demo_is_a_training_office_with_the_accounts_it_shows(demo):
    assert demo.folder.name.startswith(sandbox.DEMO_PREFIX)
    settings = office_settings(demo.ctx)
    assert settings.training  # so a date may be chosen, and every print says 培训样本
    assert demo.ctx.clock.today() == DAY
    for account in sandbox.ACCOUNTS:
        user = Accounts(demo.ctx).login(account.username, sandbox.PASSWORD)
        assert (user.role, user.must_change_password) == (account.role, False)
        assert account.username in sandbox.credentials_text()
    assert sandbox.PASSWORD in sandbox.credentials_text()
    with demo.ctx.db.read() as s:
        assert s.execute(select(func.count()).select_from(Record)).scalar() >= 400
        # the last month's registrations wait for the end-of-day batch, as in an office mid-month
        assert s.execute(select(func.count()).select_from(RecordEvent)).scalar() > 0
        actions = set(s.execute(select(AuditEntry.action)).scalars())
    assert {"office.initialised", "demo.sandbox_created", "demo.generated"} <= actions
    assert is_demo_sandbox(demo.ctx.db)


def test_nothing_leaves_a_demo(demo, tmp_path):
    out = tmp_path / "outbox"
    out.mkdir()
    sync = SyncService(_as(demo, "dengji"))
    for attempt in (lambda: sync.export(DAY, out), lambda: sync.reexport(DAY, out)):
        with pytest.raises(Refused) as err:
            attempt()
        assert err.value.code == "DEMO_NOTHING_LEAVES" and "演示" in err.value.message
    backups = Backups(_as(demo, "guanli"))
    with pytest.raises(Refused) as err:
        backups.backup_to(tmp_path / "copy.db")
    assert err.value.code == "DEMO_NOTHING_LEAVES"
    with pytest.raises(Refused):
        backups.backup_now()
    assert backups.run_daily() is None  # the client's daily backup quietly does nothing
    assert backups.status().warning == ""  # and the status bar does not ask for one
    assert list(out.iterdir()) == [] and not (tmp_path / "copy.db").exists()


def test_an_office_database_is_not_a_demo(db, clerk_ctx, tmp_path):
    assert not is_demo_sandbox(db)
    out = tmp_path / "outbox"
    out.mkdir()
    # the guard lets the export through to the office's own checks (here: no provincial key yet)
    with pytest.raises(RegistryError) as err:
        SyncService(clerk_ctx).export(dt.date(2026, 6, 15), out)
    assert err.value.code == "PROVINCE_KEY_MISSING"


def test_close_deletes_the_folder(tmp_path):
    box = sandbox.create_demo(DAY, records=50, root=tmp_path)
    assert box.db_path.exists()
    box.close()
    box.close()  # idempotent: the client may close it from two places
    assert not box.folder.exists()


def test_a_crashed_demo_is_swept_at_the_next_start_and_a_running_one_is_not(tmp_path):
    script = ("import os, signal, sys, datetime as dt; from registry_app.demo import sandbox; "
              "box = sandbox.create_demo(dt.date(2026, 6, 15), records=30, root=sys.argv[1]); "
              "print(box.folder, flush=True); os.kill(os.getpid(), signal.SIGKILL)")
    run = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True,
                         cwd=os.getcwd(), timeout=300)
    crashed = tmp_path / os.path.basename(run.stdout.strip())
    assert run.returncode != 0 and crashed.is_dir() and crashed.name.startswith(sandbox.DEMO_PREFIX)
    live = sandbox.create_demo(DAY, records=30, root=tmp_path)  # its own start sweeps the crashed one
    try:
        assert not crashed.exists()
        assert sandbox.sweep_stale_demos(tmp_path) == []  # the live demo holds its lock
        assert live.folder.exists()
    finally:
        live.close()


def test_sweep_leaves_a_folder_being_created_and_other_names(tmp_path):
    fresh = tmp_path / (sandbox.DEMO_PREFIX + "fresh")
    fresh.mkdir()  # no lock file yet: being created right now
    old = tmp_path / (sandbox.DEMO_PREFIX + "old")
    old.mkdir()
    past = time.time() - sandbox.UNLOCKED_GRACE_SECONDS - 60
    os.utime(old, (past, past))
    other = tmp_path / "registry-data"
    other.mkdir()
    (other / sandbox.LOCK_NAME).write_text("")
    assert sandbox.sweep_stale_demos(tmp_path) == [old]
    assert fresh.exists() and other.exists()
