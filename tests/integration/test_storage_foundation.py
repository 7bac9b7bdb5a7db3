"""Encrypted storage, migrations, accounts, roles and the audit chain."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest
from sqlalchemy import select, text, update

from registry_app.domain.roles import Permission
from registry_app.errors import AuthenticationFailed, PermissionDenied, Refused, StorageError, WrongPassphrase
from registry_app.services.accounts import Accounts
from registry_app.services.audit import record, verify_chain
from registry_app.services.context import AppContext
from registry_app.storage.engine import open_database, plain_sqlite_url, sqlcipher_url
from registry_app.storage.migrate import current_revision, head_revision, upgrade
from registry_app.storage.models import AuditEntry, Party, Record, User
from tests.conftest import PASSPHRASE, PASSWORDS


def _store_person(db, name: str, id_number: str):
    now = dt.datetime(2026, 6, 15, 9, 0)
    with db.write() as s:
        rec = Record(uid="u-" + id_number, kind="marriage", status="registered", office_code="320102",
                     created_by="t", created_at=now, updated_at=now)
        rec.parties.append(Party(position=1, role="party1", name=name, id_type="resident_id",
                                 id_number=id_number))
        s.add(rec)


def test_database_file_holds_no_plaintext(db, db_path):
    name, number = "欧阳明月", "11010519491231002X"
    _store_person(db, name, number)
    db.close()
    raw = b"".join(p.read_bytes() for p in db_path.parent.glob(db_path.name + "*") if p.is_file())
    for needle in (name.encode("utf-8"), number.encode(), b"SQLite format 3", "婚姻登记处".encode()):
        assert needle not in raw
    assert oct(db_path.stat().st_mode & 0o777) == "0o600"


def test_plain_sqlite_would_show_the_name(tmp_path):
    # the control for the test above: the same write to an unencrypted file is readable
    path = tmp_path / "plain.db"
    db = open_database(plain_sqlite_url(path), must_exist=False)
    upgrade(db)
    _store_person(db, "欧阳明月", "11010519491231002X")
    db.close()
    assert "欧阳明月".encode() in path.read_bytes()


def test_wrong_passphrase_fails_cleanly_and_changes_nothing(db, db_path):
    db.close()
    before = db_path.read_bytes()
    with pytest.raises(WrongPassphrase) as err:
        open_database(sqlcipher_url(db_path, "not the passphrase"))
    assert "口令" in err.value.message
    assert db_path.read_bytes() == before
    reopened = open_database(sqlcipher_url(db_path, PASSPHRASE))
    with reopened.read() as s:
        assert s.execute(select(User.username).where(User.username == "clerk")).scalar() == "clerk"
    reopened.close()


def test_second_exclusive_open_is_refused_with_a_clear_message(db, db_path):
    first = open_database(sqlcipher_url(db_path, PASSPHRASE), exclusive=True)
    try:
        with pytest.raises(StorageError) as err:
            open_database(sqlcipher_url(db_path, PASSPHRASE), exclusive=True)
        assert err.value.code == "DATABASE_LOCKED"
    finally:
        first.close()


def test_init_refuses_to_overwrite(db, db_path):
    with pytest.raises(StorageError) as err:
        open_database(sqlcipher_url(db_path, PASSPHRASE), must_exist=False)
    assert err.value.code == "DB_EXISTS"


def test_migrates_an_empty_database_to_head(tmp_path):
    db = open_database(sqlcipher_url(tmp_path / "e.db", PASSPHRASE), must_exist=False)
    assert current_revision(db) is None
    assert upgrade(db) is None  # nothing to back up in an empty file
    assert current_revision(db) == head_revision()
    db.close()


@pytest.mark.parametrize("old_revision", ["0001", "0002"])
def test_upgrade_from_previous_revision_keeps_data_and_backs_up(tmp_path, old_revision):
    path = tmp_path / "old.db"
    db = open_database(sqlcipher_url(path, PASSPHRASE), must_exist=False)
    upgrade(db, old_revision)
    with db.write() as s:  # written in the old schema's own columns
        s.execute(text("INSERT INTO records (id, uid, kind, status, office_code, registration_date, back_entered, "
                       "data, created_by, created_at, updated_at) VALUES (1, 'u-old', 'marriage', 'registered', "
                       "'320102', '2001-05-20', 1, '{\"archive_no\": \"HY-2001-00031\", \"source\": \"x\"}', 't', "
                       "'2026-06-15 09:00:00', '2026-06-15 09:00:00')"))
        s.execute(text("INSERT INTO parties (record_id, position, role, name, name_initials, id_type, id_number, "
                       "nationality, data) VALUES (1, 1, 'party1', '旧版本', 'jbb', 'resident_id', "
                       "'11010519491231002X', '中国', '{}')"))
    backup = upgrade(db)
    assert current_revision(db) == head_revision()
    assert backup is not None and backup.exists()
    assert oct(backup.stat().st_mode & 0o777) == "0o600"
    with db.read() as s:
        assert s.execute(select(Party.name)).scalar() == "旧版本"
        # revision 0004 copies each record's registration date onto its parties
        assert s.execute(select(Party.registration_date)).scalar() == dt.date(2001, 5, 20)
        # ... and moves a back-entered record's archive number out of its JSON into the indexed column
        rec = s.execute(select(Record)).scalar_one()
        assert rec.archive_no == "HY-2001-00031" and rec.data == {"source": "x"}
        s.execute(text("SELECT count(*) FROM corrections")).scalar()  # table of the newer revision
    db.close()
    # the backup is the encrypted old database, openable with the same passphrase, at the old revision
    old = open_database(sqlcipher_url(backup, PASSPHRASE))
    assert current_revision(old) == old_revision
    old.close()


def test_login_lockout_after_repeated_failures(db, clock):
    ctx = AppContext(db=db, clock=clock)
    acc = Accounts(ctx)
    for _ in range(5):
        with pytest.raises(AuthenticationFailed) as err:
            acc.login("clerk", "wrong password 1")
        assert err.value.code == "AUTH_FAILED"
    with pytest.raises(AuthenticationFailed) as err:
        acc.login("clerk", PASSWORDS["clerk"])  # the right password is refused while locked
    assert err.value.code == "ACCOUNT_LOCKED"
    clock.advance(minutes=16)
    assert acc.login("clerk", PASSWORDS["clerk"]).username == "clerk"
    with db.read() as s:
        actions = s.execute(select(AuditEntry.action).where(AuditEntry.entity_id == "clerk")).scalars().all()
    assert actions.count("login.failed") == 5 and "login.refused" in actions


def test_unknown_user_and_wrong_password_read_the_same(db, clock):
    acc = Accounts(AppContext(db=db, clock=clock))
    msgs = []
    for user in ("nobody", "clerk"):
        with pytest.raises(AuthenticationFailed) as err:
            acc.login(user, "wrong password 1")
        msgs.append(err.value.message)
    assert msgs[0] == msgs[1]


def test_new_user_must_change_password_before_working(admin_ctx, db, clock):
    Accounts(admin_ctx).add("newclerk", "钱新", "clerk", "Initial-pass-1")
    ctx = AppContext(db=db, clock=clock)
    user = Accounts(ctx).login("newclerk", "Initial-pass-1")
    assert user.must_change_password
    ctx.user = user
    with pytest.raises(PermissionDenied) as err:
        ctx.require(Permission.REGISTER)
    assert err.value.code == "PASSWORD_CHANGE_REQUIRED"
    with pytest.raises(Refused):
        Accounts(ctx).change_password(user, "Initial-pass-1", "short")
    ctx.user = Accounts(ctx).change_password(user, "Initial-pass-1", "Better-pass-22")
    assert ctx.require(Permission.REGISTER).username == "newclerk"


@pytest.mark.parametrize(
    "role_ctx, allowed",
    [("clerk_ctx", False), ("supervisor_ctx", False), ("admin_ctx", True)],
)
def test_only_admin_manages_users_in_the_service_layer(request, role_ctx, allowed):
    ctx = request.getfixturevalue(role_ctx)
    acc = Accounts(ctx)
    if allowed:
        assert acc.add("x_user", "孙某", "clerk", "Some-pass-123").username == "x_user"
    else:
        with pytest.raises(PermissionDenied):
            acc.add("x_user", "孙某", "clerk", "Some-pass-123")
        with pytest.raises(PermissionDenied):
            acc.list()


def test_disabled_user_cannot_log_in(admin_ctx, db, clock):
    Accounts(admin_ctx).set_disabled("clerk2", True, "调岗")
    with pytest.raises(AuthenticationFailed) as err:
        Accounts(AppContext(db=db, clock=clock)).login("clerk2", PASSWORDS["clerk"])
    assert err.value.code == "ACCOUNT_DISABLED"


def test_audit_chain_holds_then_detects_a_changed_row(clerk_ctx, db):
    with db.write() as s:
        for i in range(5):
            record(clerk_ctx, s, "record.view", "record", i, {"n": i})
    report = verify_chain(clerk_ctx)
    assert report.ok and report.checked >= 5
    with db.write() as s:
        s.execute(update(AuditEntry).where(AuditEntry.id == 3).values(reason="改过"))
    report = verify_chain(clerk_ctx)
    assert not report.ok and report.first_broken_id == 3


def test_audit_chain_detects_a_deleted_row(clerk_ctx, db):
    with db.write() as s:
        for i in range(3):
            record(clerk_ctx, s, "record.view", "record", i)
        last = s.execute(select(AuditEntry.id).order_by(AuditEntry.id.desc())).scalar()
    with db.write() as s:
        s.execute(AuditEntry.__table__.delete().where(AuditEntry.id == last))
    assert not verify_chain(clerk_ctx).ok
    with db.write() as s:
        s.execute(AuditEntry.__table__.delete().where(AuditEntry.id == 2))
    report = verify_chain(clerk_ctx)
    assert not report.ok and report.first_broken_id == 2


def test_failed_operation_leaves_no_audit_entry(clerk_ctx, db):
    with db.read() as s:
        before = s.execute(text("SELECT count(*) FROM audit_log")).scalar()
    with pytest.raises(RuntimeError):
        with db.write() as s:
            record(clerk_ctx, s, "record.view", "record", 1)
            raise RuntimeError("crash inside the operation")
    with db.read() as s:
        assert s.execute(text("SELECT count(*) FROM audit_log")).scalar() == before


def _cli(*args, env_extra=None, cwd=None):
    env = {**os.environ, "REGISTRY_PASSPHRASE": PASSPHRASE, **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "registry_app.cli", *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=120)


def test_cli_init_users_and_audit_verify(tmp_path):
    path = tmp_path / "cli.db"
    r = _cli("--db", str(path), "init", "--office-code", "320102", "--office-name", "玄武区婚姻登记处",
             "--admin", "boss", env_extra={"REGISTRY_ADMIN_PASSWORD": "Chief-key-2026"})
    assert r.returncode == 0, r.stderr
    again = _cli("--db", str(path), "init", "--office-code", "320102", "--office-name", "x", "--admin", "boss",
                 env_extra={"REGISTRY_ADMIN_PASSWORD": "Chief-key-2026"})
    assert again.returncode != 0 and "DB_EXISTS" in again.stdout
    r = _cli("--db", str(path), "users", "add", "li", "--name", "李四", "--role", "clerk", "--as", "boss",
             env_extra={"REGISTRY_USER_PASSWORD": "Chief-key-2026", "REGISTRY_NEW_PASSWORD": "Desk-key-98765"})
    assert r.returncode == 0, r.stdout + r.stderr
    r = _cli("--db", str(path), "audit", "verify")
    assert r.returncode == 0 and '"ok": true' in r.stdout
    bad = _cli("--db", str(path), "audit", "verify", env_extra={"REGISTRY_PASSPHRASE": "wrong passphrase"})
    assert bad.returncode == 3 and "WRONG_PASSPHRASE" in bad.stdout
    # tamper with one entry through SQLCipher directly, as an attacker holding the passphrase would
    db = open_database(sqlcipher_url(path, PASSPHRASE))
    with db.write() as s:
        s.execute(update(AuditEntry).where(AuditEntry.id == 2).values(action="user.add.edited"))
    db.close()
    r = _cli("--db", str(path), "audit", "verify")
    assert r.returncode == 1 and '"first_broken_id": 2' in r.stdout


def test_migrations_build_exactly_the_models(tmp_path):
    """A model changed without a migration (or the reverse) is caught here, not at an office."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from registry_app.storage.models import Base

    db = open_database(plain_sqlite_url(tmp_path / "m.db"), must_exist=False)
    upgrade(db)
    with db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
        conn.rollback()
    db.close()


@pytest.mark.parametrize("passphrase", ["", None])
def test_an_empty_passphrase_is_refused_in_chinese_and_nothing_is_made(tmp_path, passphrase):
    """SQLCipher reads an empty key as "no key" and answers in English; the client refuses it first."""
    path = tmp_path / "office.db"
    with pytest.raises(WrongPassphrase) as caught:
        open_database(sqlcipher_url(path, passphrase))
    assert caught.value.code == "PASSPHRASE_REQUIRED" and caught.value.field == "passphrase"
    assert "口令" in caught.value.message and not path.exists()
