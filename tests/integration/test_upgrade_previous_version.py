"""A counter's database made by the previous version, opened by this one (the client's door and the
command line's): the file is copied to backups/ before the schema changes, the copy is the old database
at the old revision, and the upgrade stands in the audit chain with both revisions and the copy's name."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import select

from registry_app.services.audit import verify_chain
from registry_app.services.context import AppContext
from registry_app.services.workspace import open_workspace
from registry_app.storage.engine import open_database, sqlcipher_url
from registry_app.storage.migrate import _config, current_revision, head_revision
from registry_app.storage.models import AuditEntry, User
from tests.conftest import PASSPHRASE

ROOT = Path(__file__).resolve().parents[2]


def _previous_revision() -> str:
    down = ScriptDirectory.from_config(_config()).get_revision(head_revision()).down_revision
    return down[0] if isinstance(down, tuple) else down


@pytest.fixture
def previous_office(db, db_path):
    """An office database as the previous version left it: its data, at the revision before this one's."""
    previous = _previous_revision()
    cfg = _config()
    with db.engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, previous)
        conn.commit()
    assert current_revision(db) == previous
    db.close()
    return previous


def _upgrade_entries(ctx) -> list[AuditEntry]:
    with ctx.db.read() as s:
        return list(s.execute(select(AuditEntry).where(AuditEntry.action == "schema.upgraded")).scalars())


def _check_backup(db_path: Path, previous: str, entry: AuditEntry) -> None:
    copies = sorted((db_path.parent / "backups").iterdir())
    assert [c.name for c in copies] == [entry.detail["backup"]]
    assert copies[0].name.endswith(f"-before-{head_revision()}.db")
    if os.name == "posix":
        assert oct(copies[0].stat().st_mode & 0o777) == "0o600"
    old = open_database(sqlcipher_url(copies[0], PASSPHRASE))  # the same passphrase opens the copy
    try:
        assert current_revision(old) == previous
        with old.read() as s:
            assert s.execute(select(User.username).where(User.username == "clerk")).scalar() == "clerk"
    finally:
        old.close()


def test_the_client_upgrades_the_previous_version_after_a_backup_and_audits_it(db_path, previous_office, clock):
    ctx = open_workspace(db_path, PASSPHRASE, clock=clock)
    try:
        assert current_revision(ctx.db) == head_revision()
        [entry] = _upgrade_entries(ctx)
        assert entry.detail["from"] == previous_office and entry.detail["to"] == head_revision()
        assert (entry.username, entry.role) == ("system", "system")
        assert verify_chain(ctx).ok
        _check_backup(db_path, previous_office, entry)
    finally:
        ctx.db.close()
    again = open_workspace(db_path, PASSPHRASE, clock=clock)  # already current: no second copy, no entry
    try:
        assert len(_upgrade_entries(again)) == 1
        assert len(list((db_path.parent / "backups").iterdir())) == 1
    finally:
        again.db.close()


def test_the_command_line_upgrades_the_previous_version_the_same_way(db_path, previous_office):
    env = dict(os.environ, REGISTRY_PASSPHRASE=PASSPHRASE)
    run = subprocess.run([sys.executable, "-m", "registry_app", "--db", str(db_path), "audit", "verify"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    db = open_database(sqlcipher_url(db_path, PASSPHRASE))
    try:
        ctx = AppContext(db=db)
        assert current_revision(db) == head_revision()
        [entry] = _upgrade_entries(ctx)
        assert entry.detail["from"] == previous_office
        _check_backup(db_path, previous_office, entry)
    finally:
        db.close()


def test_a_new_database_needs_no_backup_and_no_upgrade_entry(db, db_path, clock):
    db.close()
    ctx = open_workspace(db_path, PASSPHRASE, clock=clock)
    try:
        assert _upgrade_entries(ctx) == []
        assert not (db_path.parent / "backups").exists()
    finally:
        ctx.db.close()
