"""Backups that restore: an online encrypted copy, refused for non-administrators; a restore that
checks every page and the audit chain and refuses a damaged or tampered backup, writing nothing;
the daily backup kept N deep; stale temporary files swept; the command line honouring the lock."""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from registry_app.errors import PermissionDenied, Refused, StorageError, WrongPassphrase
from registry_app.fsutil import STALE_AFTER_S, sweep_temp_files, write_atomic
from registry_app.services import audit
from registry_app.services.backup import Backups, backup_file_name, restore_backup
from registry_app.services.context import AppContext
from registry_app.services.marriage import MarriageCase, MarriageService
from registry_app.storage.engine import open_database, sqlcipher_url
from registry_app.storage.models import AuditEntry, Party, Record
from tests.conftest import PASSPHRASE, PASSWORDS
from tests.factories import marriage_case, person

NAME = "欧阳明月"
BIRTH = dt.date(1994, 5, 6)


def _register(ctx, name: str = NAME) -> str:
    man = person(name, "M", BIRTH)
    MarriageService(ctx).register_case(MarriageCase.from_dict(marriage_case(man=man)))
    return man["id_number"]


def _contents(db) -> list[tuple]:
    with db.read() as s:
        return [(r.uid, r.kind, r.status, tuple((p.name, p.id_number) for p in r.parties))
                for r in s.execute(select(Record).order_by(Record.id)).scalars()]


def _open(path: Path, passphrase: str = PASSPHRASE):
    return open_database(sqlcipher_url(path, passphrase))


@pytest.fixture
def made(db, clerk_ctx, admin_ctx, tmp_path):
    """A database with two marriages and an administrator's backup of it."""
    ids = [_register(clerk_ctx), _register(clerk_ctx, "司马青云")]
    out = tmp_path / "usb" / "office-backup.db"
    out.parent.mkdir()
    result = Backups(admin_ctx).backup_to(out)
    return out, result, ids


# --- backup ------------------------------------------------------------------------------------------
def test_backup_is_encrypted_owner_only_audited_and_restores_the_same_records(db, made, admin_ctx, tmp_path):
    out, result, ids = made
    data = out.read_bytes()
    for needle in (NAME.encode("utf-8"), *(i.encode() for i in ids), b"SQLite format 3", "婚姻登记处".encode()):
        assert needle not in data
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    assert result.bytes == len(data) and result.sha256 == hashlib.sha256(data).hexdigest()
    assert sorted(p.name for p in out.parent.iterdir()) == ["office-backup.db"]  # no temp, no -journal
    with db.read() as s:
        entry = s.execute(select(AuditEntry).where(AuditEntry.action == "backup.made")).scalar_one()
        head_after = audit.chain_head(s)
    assert entry.username == "admin" and entry.detail["sha256"] == result.sha256
    assert entry.detail["file"] == "office-backup.db" and entry.detail["bytes"] == len(data)
    assert result.chain_head == {"seq": entry.id - 1, "hash": entry.prev_hash}  # the head the copy holds
    assert head_after["seq"] == entry.id

    target = tmp_path / "restored" / "office.db"
    target.parent.mkdir()
    restored = restore_backup(out, target, PASSPHRASE, admin_ctx.clock)
    assert restored.chain_head == result.chain_head and restored.records == 2
    assert oct(target.stat().st_mode & 0o777) == "0o600"
    assert sorted(p.name for p in target.parent.iterdir()) == ["office.db"]
    copy = _open(target)
    try:
        assert _contents(copy) == _contents(db)
        report = audit.verify_chain(AppContext(db=copy))
        assert report.ok and report.checked == result.chain_head["seq"] + 1
        with copy.read() as s:
            last = s.execute(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).scalar_one()
        assert last.action == "backup.restored" and last.detail["sha256"] == result.sha256
    finally:
        copy.close()


def test_backup_is_one_moment_while_counters_keep_writing(db, clerk_ctx, admin_ctx, tmp_path):
    for i in range(10):
        _register(clerk_ctx, "上官" + "甲乙丙丁戊己庚辛壬癸"[i])
    stop = threading.Event()
    writes = []

    def writer():
        while not stop.is_set():
            with db.write() as s:
                audit.record(clerk_ctx, s, "record.view", "record", 1)
            writes.append(1)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        time.sleep(0.05)
        result = Backups(admin_ctx).backup_to(tmp_path / "live.db")
        time.sleep(0.05)
    finally:
        stop.set()
        thread.join()
    assert writes, "the writer never ran"
    target = tmp_path / "restored.db"
    restored = restore_backup(tmp_path / "live.db", target, PASSPHRASE, admin_ctx.clock)
    copy = _open(target)
    try:
        assert audit.verify_chain(AppContext(db=copy)).ok
        assert restored.chain_head == result.chain_head
        assert restored.audit_entries == result.chain_head["seq"]
    finally:
        copy.close()


@pytest.mark.parametrize("username", ["clerk", "supervisor"])
def test_backup_is_refused_to_anyone_but_an_administrator(db, ctx_for, tmp_path, username):
    with pytest.raises(PermissionDenied):
        Backups(ctx_for(username)).backup_to(tmp_path / "b.db")
    with pytest.raises(PermissionDenied):
        Backups(ctx_for(username)).backup_now()
    assert not (tmp_path / "b.db").exists()


def test_backup_never_overwrites_and_needs_an_existing_folder(db, made, admin_ctx, tmp_path):
    out, _result, _ids = made
    before = out.read_bytes()
    with pytest.raises(Refused) as err:
        Backups(admin_ctx).backup_to(out)
    assert err.value.codes() == ["BACKUP_EXISTS"] and out.read_bytes() == before
    with pytest.raises(Refused) as err:
        Backups(admin_ctx).backup_to(tmp_path / "no-such-drive" / "b.db")
    assert err.value.codes() == ["BACKUP_DIR_NOT_FOUND"]
    assert sorted(p.name for p in out.parent.iterdir()) == [out.name]


# --- restore -----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """One backup for the refusal tables (read only: each test damages its own copy)."""
    from registry_app.clock import FixedClock
    from registry_app.domain.roles import Role
    from registry_app.services.accounts import Accounts
    from registry_app.services.office_setup import OfficeSetup, initialise
    from tests.conftest import OFFICE_CODE, OFFICE_NAME

    folder = tmp_path_factory.mktemp("sample")
    clock = FixedClock(dt.date(2026, 6, 15))
    database = initialise(OfficeSetup(OFFICE_CODE, OFFICE_NAME, PASSPHRASE, "admin", "王管理", PASSWORDS["admin"]),
                          folder / "office.db", clock)
    ctx = AppContext(db=database, clock=clock)
    with database.write() as s:
        Accounts(ctx).create_user(s, "clerk", "李登记", Role.CLERK, PASSWORDS["clerk"], must_change=False)
    clerk = AppContext(db=database, clock=clock, user=Accounts(ctx).login("clerk", PASSWORDS["clerk"]))
    _register(clerk)
    admin = AppContext(db=database, clock=clock, user=Accounts(ctx).login("admin", PASSWORDS["admin"]))
    out = folder / "sample-backup.db"
    Backups(admin).backup_to(out)
    database.close()
    return out


def _refused(source: Path, target: Path, passphrase: str = PASSPHRASE) -> str:
    with pytest.raises((Refused, StorageError)) as err:
        restore_backup(source, target, passphrase)
    assert not target.exists()
    assert [p.name for p in target.parent.iterdir() if p.name.startswith(".")] == []  # no temp left
    return err.value.code


def _variant(out: Path, tmp_path: Path, change) -> Path:
    data = bytearray(out.read_bytes())
    bad = tmp_path / "variant.db"
    bad.write_bytes(bytes(change(data)))
    return bad


def _flip(at):
    def change(data):
        data[at(len(data))] ^= 0x01
        return data
    return change


@pytest.mark.parametrize("change, expected", [
    (_flip(lambda n: n // 2), "BACKUP_DAMAGED"),            # a page in the middle
    (_flip(lambda n: n - 1), "BACKUP_DAMAGED"),             # the last byte (a page's MAC)
    (_flip(lambda n: 4096 + 17), "BACKUP_DAMAGED"),         # the second page
    (_flip(lambda n: 0), "WRONG_PASSPHRASE"),               # the salt: the key no longer fits
    (_flip(lambda n: 100), "WRONG_PASSPHRASE"),             # the first page: cannot be told from a wrong key
    (lambda d: d[: len(d) // 2 - (len(d) // 2) % 4096], "BACKUP_DAMAGED"),   # truncated at a page boundary
    (lambda d: d[: len(d) // 2 + 123], "BACKUP_DAMAGED"),   # truncated mid-page
    (lambda d: d[:-4096], "BACKUP_DAMAGED"),                # the last page lost
    (lambda d: d[:100], "WRONG_PASSPHRASE"),
    (lambda d: b"", "BACKUP_DAMAGED"),
    (lambda d: d + bytes(4096), "BACKUP_DAMAGED"),           # a page of zeros appended
], ids=["mid", "last", "page2", "salt", "page1", "trunc-page", "trunc-mid", "last-page", "100-bytes", "empty",
        "appended"])
def test_a_damaged_backup_is_refused_and_nothing_is_written(sample, tmp_path, change, expected):
    out = sample
    target_dir = tmp_path / "restore-here"
    target_dir.mkdir()
    assert _refused(_variant(out, tmp_path, change), target_dir / "office.db") == expected


def test_a_wrong_passphrase_is_a_coded_error(sample, tmp_path):
    out = sample
    (tmp_path / "r").mkdir()
    with pytest.raises(WrongPassphrase) as err:
        restore_backup(out, tmp_path / "r" / "office.db", "not the passphrase 1")
    assert err.value.code == "WRONG_PASSPHRASE" and "口令" in err.value.message
    assert list((tmp_path / "r").iterdir()) == []


@pytest.mark.parametrize("tamper", [
    "UPDATE audit_log SET reason = 'x' WHERE id = 2",
    "DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)",
    "DELETE FROM audit_log WHERE id = 3",
])
def test_a_backup_whose_audit_trail_was_rewritten_is_refused(sample, tmp_path, tamper):
    """Someone with the passphrase edits the backup itself: its pages are sound, its chain is not."""
    out = tmp_path / "edited.db"
    out.write_bytes(sample.read_bytes())
    edited = _open(out)
    with edited.write() as s:
        s.execute(text(tamper))
    edited.close()
    for side in out.parent.glob(out.name + "-*"):
        side.unlink()
    (tmp_path / "r").mkdir()
    assert _refused(out, tmp_path / "r" / "office.db") == "BACKUP_AUDIT_BROKEN"


def test_restore_never_overwrites(sample, tmp_path):
    out = sample
    existing = tmp_path / "existing.db"
    existing.write_bytes(b"someone's file")
    with pytest.raises(Refused) as err:
        restore_backup(out, existing, PASSPHRASE)
    assert err.value.codes() == ["RESTORE_TARGET_EXISTS"] and existing.read_bytes() == b"someone's file"
    with pytest.raises(Refused) as err:
        restore_backup(tmp_path / "missing.db", tmp_path / "new.db", PASSPHRASE)
    assert err.value.codes() == ["BACKUP_NOT_FOUND"]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(position=st.floats(min_value=0, max_value=1, exclude_max=True), bit=st.integers(0, 7))
def test_any_flipped_bit_is_refused(sample, tmp_path, position, bit):
    data = bytearray(sample.read_bytes())
    data[int(position * len(data))] ^= 1 << bit
    bad = tmp_path / "flipped.db"
    bad.write_bytes(bytes(data))
    target = tmp_path / "flip-target" / "office.db"
    target.parent.mkdir(exist_ok=True)
    assert _refused(bad, target) in {"BACKUP_DAMAGED", "WRONG_PASSPHRASE", "BACKUP_AUDIT_BROKEN"}


# --- the daily backup, its folder and its state -------------------------------------------------------
def test_daily_backup_once_a_day_kept_n_deep_and_only_its_own_files_pruned(db, ctx_for, clock, tmp_path):
    admin = ctx_for("admin")
    folder = tmp_path / "usb"
    folder.mkdir()
    strangers = ["registry-backup-110101-20260101-000000.db", "registry-backup-320102-notes.txt",
                 "my-registry-backup-320102-20200101-000000.db", "holiday.jpg"]
    for name in strangers:
        (folder / name).write_bytes(b"not ours")
    Backups(admin).configure(str(folder), 3)
    clerk = ctx_for("clerk")  # the client runs it for whoever is signed in
    made = []
    for _day in range(5):
        first = Backups(clerk).run_daily()
        assert first is not None and Backups(clerk).run_daily() is None  # once a day
        made.append(first.file)
        clock.advance(days=1)
    ours = sorted(p.name for p in folder.iterdir() if p.name not in strangers)
    assert ours == sorted(made[-3:])
    assert all((folder / name).read_bytes() == b"not ours" for name in strangers)
    with db.read() as s:
        daily = s.execute(select(AuditEntry).where(AuditEntry.action == "backup.made")).scalars().all()
    assert [e.username for e in daily] == ["system"] * 5 and [e.detail["trigger"] for e in daily] == ["daily"] * 5


def test_status_warns_when_the_last_backup_is_old_or_the_folder_is_gone(db, admin_ctx, clock, tmp_path):
    folder = tmp_path / "usb"
    folder.mkdir()
    backups = Backups(admin_ctx)
    backups.configure(str(folder), 14)
    assert "尚无" in backups.status().warning and backups.last_backup() is None
    made = backups.backup_now()
    status = backups.status()
    assert status.warning == "" and status.last_file == made.file and status.reachable
    assert backups.last_backup()["sha256"] == made.sha256
    clock.advance(hours=23)
    assert backups.status().warning == ""
    clock.advance(hours=2)
    assert "超过一天" in backups.status().warning
    # a file of our naming that the trail never recorded (or that was altered in size) does not count
    fake = folder / backup_file_name("320102", clock.now())
    fake.write_bytes(b"x" * 4096)
    assert backups.status().last_file == made.file
    (folder / made.file).write_bytes(b"short")
    assert backups.status().last_file is None
    # the drive is unplugged
    for p in folder.iterdir():
        p.unlink()
    folder.rmdir()
    status = backups.status()
    assert not status.reachable and "无法访问" in status.warning
    with pytest.raises(Refused) as err:
        backups.run_daily()
    assert err.value.codes() == ["BACKUP_DIR_UNREACHABLE"]


def test_without_a_folder_set_backups_go_next_to_the_database_and_the_warning_says_so(db, admin_ctx, clerk_ctx,
                                                                                      db_path):
    backups = Backups(admin_ctx)
    made = backups.run_daily()
    assert Path(made.path).parent == db_path.parent / "backups"
    status = backups.status()
    assert status.last_file == made.file and not status.configured
    assert status.warning == ""
    admin_ctx.clock.advance(days=2)
    assert "请在系统管理中设置备份文件夹" in backups.status().warning
    # a clerk cannot set it: the status bar says whom to ask
    assert "请系统管理员设置备份文件夹" in Backups(clerk_ctx).status().warning


@pytest.mark.parametrize("folder, keep, codes", [
    ("relative/dir", 14, ["BACKUP_DIR_INVALID"]),
    ("{tmp}/missing", 14, ["BACKUP_DIR_NOT_FOUND"]),
    ("{tmp}", 0, ["SETTING_OUT_OF_RANGE"]),
    ("{tmp}", 366, ["SETTING_OUT_OF_RANGE"]),
    ("{tmp}", True, ["SETTING_OUT_OF_RANGE"]),
    ("{tmp}", "14", ["SETTING_OUT_OF_RANGE"]),
])
def test_configure_refuses_bad_values_and_changes_nothing(db, admin_ctx, tmp_path, folder, keep, codes):
    backups = Backups(admin_ctx)
    with pytest.raises(Refused) as err:
        backups.configure(folder.format(tmp=tmp_path), keep)
    assert err.value.codes() == codes
    assert (backups.settings().backup_dir, backups.settings().backup_keep) == ("", 14)


def test_configure_is_for_the_administrator_and_audited(db, ctx_for, tmp_path):
    with pytest.raises(PermissionDenied):
        Backups(ctx_for("clerk")).configure(str(tmp_path), 5)
    Backups(ctx_for("admin")).configure(str(tmp_path), 5)
    with db.read() as s:
        entry = s.execute(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).scalar_one()
    assert entry.action == "settings.changed" and entry.detail["after"] == {"backup_dir": str(tmp_path),
                                                                             "backup_keep": 5}


# --- temporary files ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name, swept", [
    (".registry.db.0123456789ab.tmp", True),
    (".batch-2026-06-15.json.abcdef012345.tmp", True),
    (".office.db.0123456789ab.tmp-wal", True),
    (".office.db.0123456789ab.tmp-journal", True),
    (".registry.db.0123456789AB.tmp", False),     # not what secrets.token_hex makes
    (".registry.db.0123456789a.tmp", False),
    ("registry.db.0123456789ab.tmp", False),
    (".0123456789ab.tmp", False),
    ("notes.tmp", False),
    (".registry.db.0123456789ab.tmp.bak", False),
])
def test_sweep_removes_only_stale_files_of_the_exact_pattern(tmp_path, name, swept):
    path = tmp_path / name
    path.write_bytes(b"x")
    old = time.time() - STALE_AFTER_S - 60
    os.utime(path, (old, old))
    assert sweep_temp_files(tmp_path, None, tmp_path / "unplugged") == ([path] if swept else [])
    assert path.exists() is not swept


def test_sweep_keeps_a_fresh_temp_file_a_directory_and_a_symlink(tmp_path):
    fresh = tmp_path / ".a.db.0123456789ab.tmp"
    fresh.write_bytes(b"being written")
    folder = tmp_path / ".b.db.0123456789ab.tmp"
    folder.mkdir()
    target = tmp_path / "precious"
    target.write_bytes(b"keep")
    link = tmp_path / ".c.db.0123456789ab.tmp"
    link.symlink_to(target)
    old = time.time() - STALE_AFTER_S - 60
    for p in (folder, target):
        os.utime(p, (old, old))
    os.utime(link, (old, old), follow_symlinks=False)
    assert sweep_temp_files(tmp_path) == []
    assert fresh.exists() and folder.is_dir() and target.read_bytes() == b"keep"


def test_write_atomic_temp_names_are_what_the_sweep_recognises(tmp_path, monkeypatch):
    """A writer killed between create and rename: its temp file is swept once stale."""
    def killed(*_a):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", killed)
    with pytest.raises(StorageError):
        write_atomic(tmp_path / "report.csv", b"data")
    monkeypatch.undo()
    # write_atomic removes its own temp on an error it sees; a SIGKILL leaves it. Make one the same way.
    from registry_app.fsutil import temp_name
    left = temp_name(tmp_path / "report.csv")
    left.write_bytes(b"names and ID numbers")
    assert sweep_temp_files(tmp_path, now=time.time() + STALE_AFTER_S + 1) == [left]


# --- the command line --------------------------------------------------------------------------------
def _cli(*args, **env_extra):
    env = {**os.environ, "REGISTRY_PASSPHRASE": PASSPHRASE, "REGISTRY_USER_PASSWORD": PASSWORDS["admin"],
           **env_extra}
    return subprocess.run([sys.executable, "-m", "registry_app.cli", *map(str, args)], capture_output=True,
                          text=True, env=env, timeout=120)


def test_cli_backup_and_restore_round_trip_and_refusals(db, clerk_ctx, db_path, tmp_path):
    import json

    _register(clerk_ctx)
    out = tmp_path / "cli-backup.db"
    r = _cli("--db", db_path, "backup", "--out", out, "--user", "admin")
    assert r.returncode == 0, r.stdout + r.stderr
    made = json.loads(r.stdout)
    assert made["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    r = _cli("--db", db_path, "backup", "--out", tmp_path / "x.db", "--user", "clerk",
             REGISTRY_USER_PASSWORD=PASSWORDS["clerk"])
    assert r.returncode == 2 and "PERMISSION_DENIED" in r.stdout and not (tmp_path / "x.db").exists()
    r = _cli("backup", "--out", tmp_path / "pg.db", "--user", "admin",
             REGISTRY_DB_URL="postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert r.returncode == 2 and "BACKUP_USE_PG_DUMP" in r.stdout and "pg_dump" in r.stdout
    r = _cli("restore", out, "--to", tmp_path / "restored.db")
    assert r.returncode == 0, r.stdout + r.stderr
    assert json.loads(r.stdout)["chain_head"] == made["chain_head"]
    copy = _open(tmp_path / "restored.db")
    try:
        assert _contents(copy) == _contents(db)
    finally:
        copy.close()
    r = _cli("restore", out, "--to", tmp_path / "again.db", REGISTRY_PASSPHRASE="wrong passphrase 12")
    assert r.returncode == 3 and "WRONG_PASSPHRASE" in r.stdout and not (tmp_path / "again.db").exists()
    bad = _variant(out, tmp_path, _flip(lambda n: n // 2))
    r = _cli("restore", bad, "--to", tmp_path / "damaged.db")
    assert r.returncode == 2 and "BACKUP_DAMAGED" in r.stdout and not (tmp_path / "damaged.db").exists()


def test_cli_is_refused_while_the_client_holds_the_lock(db, db_path, tmp_path):
    client = open_database(sqlcipher_url(db_path, PASSPHRASE), exclusive=True)  # as the client opens it
    try:
        before = db_path.read_bytes()
        for args in (["users", "list", "--as", "admin"],
                     ["backup", "--out", tmp_path / "b.db", "--user", "admin"]):
            r = _cli("--db", db_path, *args)
            assert r.returncode == 3, r.stdout + r.stderr
            assert "DATABASE_LOCKED" in r.stdout and "另一个程序" in r.stdout
        assert not (tmp_path / "b.db").exists()
        with db.read() as s:
            assert s.execute(select(AuditEntry).where(AuditEntry.action.like("backup%"))).first() is None
        assert db_path.read_bytes() == before
    finally:
        client.close()
    r = _cli("--db", db_path, "users", "list", "--as", "admin")
    assert r.returncode == 0, r.stdout + r.stderr


def test_a_command_sweeps_stale_temp_files_next_to_the_database_and_where_it_writes(db, db_path, tmp_path):
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    left = [db_path.parent / f".{db_path.name}.0123456789ab.tmp", outbox / ".batch.json.0123456789ab.tmp"]
    fresh = outbox / ".batch.json.abcdefabcdef.tmp"  # another writer's, still at work
    old = time.time() - STALE_AFTER_S - 60
    for p in (*left, fresh):
        p.write_bytes(b"half a file")
    for p in left:
        os.utime(p, (old, old))
    r = _cli("--db", db_path, "audit", "verify")
    assert r.returncode == 0, r.stdout + r.stderr
    assert not left[0].exists() and left[1].exists()
    r = _cli("--db", db_path, "sync", "export", "--date", "2026-06-15", "--out", outbox, "--user", "clerk",
             REGISTRY_USER_PASSWORD=PASSWORDS["clerk"])
    assert not left[1].exists() and fresh.exists(), r.stdout + r.stderr


def test_parties_named_in_the_backup_are_the_ones_registered(made):
    """The control for the leak check: the names are really in the (decrypted) backup."""
    out, _result, ids = made
    copy = _open(out)
    try:
        with copy.read() as s:
            names = set(s.execute(select(Party.name)).scalars())
            numbers = set(s.execute(select(Party.id_number)).scalars())
    finally:
        copy.close()
    assert NAME in names and set(ids) <= numbers
