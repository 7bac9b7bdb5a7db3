"""The PostgreSQL backup and the restore drill, as the IT administrator runs them:
resources/postgresql/backup.sh (pg_dump | gpg, owner-only, a temporary name renamed, a .sha256 beside it)
and resources/postgresql/restore-drill.sh (checksum, gpg's integrity check, pg_restore in one transaction
into an empty database, then `audit verify` and `db check`). A changed byte or a wrong key restores
nothing."""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import stat
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from registry_app.services.accounts import Accounts
from registry_app.services.context import AppContext
from registry_app.services.marriage import MarriageCase, MarriageService
from tests.factories import marriage_case, person
from tests.postgres.conftest import ADMIN_URL, PASSWORDS, ROOT, database_url, objects_in, registry

pytestmark = pytest.mark.postgres
SCRIPTS = ROOT / "resources" / "postgresql"
D = dt.date
COUPLES = [("张伟", "李娜", D(1995, 3, 8)), ("王强", "赵敏", D(1990, 1, 1)), ("刘洋", "陈静", D(1988, 7, 9))]


@pytest.fixture
def tools():
    for tool in ("pg_dump", "pg_restore", "psql", "gpg", "sha256sum"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} not installed (build/scripts/system-packages.sh)")


@pytest.fixture
def office(pg_office, tools):
    """The office's URL after three registrations."""
    url, db, clock = pg_office
    ctx = AppContext(db=db, clock=clock)
    ctx.user = Accounts(ctx).login("clerk", PASSWORDS["clerk"])
    for man, woman, born in COUPLES:
        MarriageService(ctx).register_case(MarriageCase.from_dict(
            marriage_case(person(man, "M", born), person(woman, "F", D(1997, 11, 20)))))
    db.engine.dispose()
    return url


@pytest.fixture
def drill_databases():
    """new_database() -> the URL of a new, empty database; all dropped at the end."""
    made: list[str] = []
    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")

    def new_database() -> str:
        name = "drill_" + uuid.uuid4().hex[:10]
        with admin.connect() as c:
            c.execute(sa.text(f'CREATE DATABASE "{name}"'))
        made.append(name)
        return database_url(ADMIN_URL, name)

    yield new_database
    with admin.connect() as c:
        for name in made:
            c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def keys(tmp_path):
    """(the backup key, another key): owner-only passphrase files."""
    out = []
    for label in ("backup", "other"):
        path = tmp_path / f"{label}.key"
        path.write_text(uuid.uuid4().hex + uuid.uuid4().hex + "\n")
        path.chmod(0o600)
        out.append(path)
    return out


def run(script: str, *args, tmp_path: Path) -> subprocess.CompletedProcess:
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700, exist_ok=True)
    env = {**os.environ, "GNUPGHOME": str(home), "PYTHONPATH": str(ROOT),
           "REGISTRY": f"{sys.executable} -m registry_app.cli"}
    if script == "restore-drill.sh":  # where the drill keeps its private copy of the backup
        (tmp_path / "drill-tmp").mkdir(mode=0o700, exist_ok=True)
        env["TMPDIR"] = str(tmp_path / "drill-tmp")
    return subprocess.run(["bash", str(SCRIPTS / script), *map(str, args)], env=env, check=False,
                          capture_output=True, text=True, timeout=300)



def contents(url: str) -> dict:
    engine = sa.create_engine(url)
    with engine.connect() as c:
        found = {
            "records": c.execute(sa.text("SELECT certificate_no, status, registration_date FROM records "
                                         "ORDER BY id")).all(),
            "parties": c.execute(sa.text("SELECT record_id, position, name, id_number FROM parties "
                                         "ORDER BY record_id, position")).all(),
            "audit": c.execute(sa.text("SELECT id, entry_hash FROM audit_log ORDER BY id")).all(),
        }
    engine.dispose()
    return found


@pytest.fixture
def backup(office, keys, tmp_path):
    out = tmp_path / "backups" / "registry-20260615.dump.gpg"
    out.parent.mkdir()
    done = run("backup.sh", office, keys[0], out, tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    return out


def test_backup_is_encrypted_owner_only_with_its_checksum(office, backup, keys, tmp_path):
    data = backup.read_bytes()
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert "张伟".encode() not in data and b"J320102" not in data and b"PGDMP" not in data  # no clear text
    assert (backup.parent / (backup.name + ".sha256")).read_text() == \
        f"{hashlib.sha256(data).hexdigest()}  {backup.name}\n"
    assert sorted(p.name for p in backup.parent.iterdir()) == [backup.name, backup.name + ".sha256"]  # no .part

    again = run("backup.sh", office, keys[0], backup, tmp_path=tmp_path)
    assert again.returncode == 2 and "不会覆盖" in again.stderr
    assert backup.read_bytes() == data


def test_backup_refuses_a_key_others_can_read_and_leaves_nothing(office, keys, tmp_path):
    keys[0].chmod(0o644)
    out = tmp_path / "b.dump.gpg"
    done = run("backup.sh", office, keys[0], out, tmp_path=tmp_path)
    assert done.returncode == 2 and "chmod 600" in done.stderr
    assert not out.exists() and not list(tmp_path.glob("*.part"))


def test_a_failed_dump_leaves_no_backup(keys, tmp_path, tools):
    out = tmp_path / "b.dump.gpg"
    done = run("backup.sh", database_url(ADMIN_URL, "no_such_office"), keys[0], out, tmp_path=tmp_path)
    assert done.returncode == 1, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["backup.key", "gnupg", "other.key"]


def test_the_drill_restores_the_same_office_and_its_checks_pass(office, backup, keys, drill_databases, tmp_path):
    drill = drill_databases()
    done = run("restore-drill.sh", drill, keys[0], backup, tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "恢复演练通过" in done.stderr
    for command in (["audit", "verify"], ["db", "check"]):
        checked = registry("--url", drill, *command)
        assert checked.returncode == 0, checked.stdout + checked.stderr
    restored, original = contents(drill), contents(office)
    assert restored == original
    assert list((tmp_path / "drill-tmp").iterdir()) == []   # the private copy is gone
    assert len(restored["records"]) == len(COUPLES) and len(restored["parties"]) == 2 * len(COUPLES)


def _changed_copy(backup: Path, folder: Path, with_checksum: bool) -> Path:
    folder.mkdir()
    copy = folder / backup.name
    data = bytearray(backup.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit of one byte, in the middle of the encrypted dump
    copy.write_bytes(bytes(data))
    if with_checksum:
        shutil.copy(backup.parent / (backup.name + ".sha256"), folder)
    return copy


@pytest.mark.parametrize("with_checksum, said", [(True, "SHA-256 与"), (False, "gpg 无法解密")], ids=["checksum", "gpg"])
def test_a_changed_byte_is_refused_and_nothing_is_restored(backup, keys, drill_databases, tmp_path,
                                                           with_checksum, said):
    changed = _changed_copy(backup, tmp_path / "changed", with_checksum)
    drill = drill_databases()
    done = run("restore-drill.sh", drill, keys[0], changed, tmp_path=tmp_path)
    assert done.returncode == 1, done.stderr
    assert said in done.stderr and "恢复演练通过" not in done.stderr
    assert objects_in(drill) == 0
    assert list((tmp_path / "drill-tmp").iterdir()) == []


def test_the_drill_restores_the_copy_it_checked_not_the_file_swapped_in_after(backup, keys, drill_databases,
                                                                             tmp_path):
    """The drill copies the backup before checking it; the checks and the restore read the copy. A wrapper
    around gpg swaps the file in the backup folder for a changed one after gpg's checking pass, just before
    the restoring pass: the restore still gets the bytes that were checked."""
    folder = tmp_path / "swap"
    folder.mkdir()
    target = folder / backup.name
    shutil.copy(backup, target)
    shutil.copy(backup.parent / (backup.name + ".sha256"), folder)
    changed = _changed_copy(backup, tmp_path / "changed", with_checksum=False)
    shims = tmp_path / "shims"
    shims.mkdir()
    real_gpg = shutil.which("gpg")
    marker = tmp_path / "first-pass-done"
    (shims / "gpg").write_text(f'#!/usr/bin/env bash\nif [ -e "{marker}" ]; then cp -f "{changed}" "{target}"; '
                               f'else touch "{marker}"; fi\nexec "{real_gpg}" "$@"\n')
    (shims / "gpg").chmod(0o755)
    drill = drill_databases()
    old_path = os.environ["PATH"]
    os.environ["PATH"] = f"{shims}:{old_path}"
    try:
        done = run("restore-drill.sh", drill, keys[0], target, tmp_path=tmp_path)
    finally:
        os.environ["PATH"] = old_path
    assert target.read_bytes() == changed.read_bytes()     # the folder's file was swapped during the drill
    assert done.returncode == 0, done.stderr                # yet what was checked is what was restored
    assert objects_in(drill) > 0


def test_gpg_itself_refuses_the_changed_file(backup, keys, tmp_path):
    """What the drill relies on: gpg's own integrity check fails on the changed file (exit nonzero)."""
    changed = _changed_copy(backup, tmp_path / "changed", with_checksum=False)
    home = tmp_path / "gnupg"
    done = subprocess.run(["gpg", "--homedir", str(home), "--batch", "--no-symkey-cache", "--pinentry-mode", "loopback",
                           "--passphrase-file", str(keys[0]), "--decrypt", "--output", "/dev/null", str(changed)],
                          capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode != 0, done.stderr


def test_a_wrong_key_is_refused_and_nothing_is_restored(backup, keys, drill_databases, tmp_path):
    drill = drill_databases()
    done = run("restore-drill.sh", drill, keys[1], backup, tmp_path=tmp_path)
    assert done.returncode == 1, done.stderr
    assert "密钥不对" in done.stderr
    assert objects_in(drill) == 0


def test_the_drill_never_restores_over_a_database_in_use(office, backup, keys, tmp_path):
    before = contents(office)
    done = run("restore-drill.sh", office, keys[0], backup, tmp_path=tmp_path)
    assert done.returncode == 1 and "不是空的" in done.stderr
    assert contents(office) == before
