"""The backup script and the restore drill against an administrator's slips and a hostile day: paths with
spaces, a missing key, an existing or unwritable output, an empty or database-less URL (libpq would fall
back to its defaults: the server's maintenance database or the login's own), a script stopped half-way.
Each is refused or completes, and leaves nothing partial behind."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.postgres.conftest import ADMIN_URL, ROOT
from tests.postgres.test_pg_backup_drill import (  # noqa: F401  (fixtures)
    SCRIPTS,
    backup,
    contents,
    drill_databases,
    keys,
    objects_in,
    office,
    run,
    tools,
)

pytestmark = pytest.mark.postgres


@pytest.fixture(autouse=True)
def _no_agent_left(tmp_path):
    """gpg starts an agent for the test's GNUPGHOME; it is stopped with the test."""
    yield
    if (tmp_path / "gnupg").exists():
        subprocess.run(["gpgconf", "--homedir", str(tmp_path / "gnupg"), "--kill", "gpg-agent"],
                       capture_output=True, check=False, timeout=30)


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_paths_with_spaces_back_up_and_drill(office, keys, drill_databases, tmp_path):
    folder = tmp_path / "备份 目录 2026"
    folder.mkdir()
    key = tmp_path / "密钥 文件.key"
    key.write_bytes(keys[0].read_bytes())
    key.chmod(0o600)
    out = folder / "registry 2026-06-15.dump.gpg"
    done = run("backup.sh", office, key, out, tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    assert _files(folder) == [out.name, out.name + ".sha256"]
    drill = drill_databases()
    restored = run("restore-drill.sh", drill, key, out, tmp_path=tmp_path)
    assert restored.returncode == 0, restored.stderr
    assert contents(drill) == contents(office)


@pytest.mark.parametrize("script", ["backup.sh", "restore-drill.sh"])
def test_a_missing_key_file_is_refused_and_nothing_is_written(script, office, backup, keys, drill_databases,
                                                              tmp_path):
    target = office if script == "backup.sh" else drill_databases()
    out = tmp_path / "backups" / "again.dump.gpg" if script == "backup.sh" else backup
    before = _files(backup.parent)
    done = run(script, target, tmp_path / "no such.key", out, tmp_path=tmp_path)
    assert done.returncode == 2 and "密钥文件" in done.stderr, done.stderr
    assert _files(backup.parent) == before
    if script == "restore-drill.sh":
        assert objects_in(target) == 0


def test_a_backup_into_a_missing_folder_is_refused(office, keys, tmp_path):
    done = run("backup.sh", office, keys[0], tmp_path / "no folder" / "b.dump.gpg", tmp_path=tmp_path)
    assert done.returncode == 2 and "备份目录" in done.stderr
    assert not (tmp_path / "no folder").exists()


def test_an_existing_checksum_alone_also_stops_a_backup(office, keys, tmp_path):
    """A run stopped between its two renames leaves OUT.sha256 only: the next run does not write over it."""
    out = tmp_path / "b.dump.gpg"
    (tmp_path / "b.dump.gpg.sha256").write_text("0" * 64 + "  b.dump.gpg\n")
    done = run("backup.sh", office, keys[0], out, tmp_path=tmp_path)
    assert done.returncode == 2 and not out.exists()


def _server_defaults() -> dict:
    """libpq's environment pointing at the test server: what an administrator's shell or ~/.pgpass gives."""
    parts = urlsplit(ADMIN_URL.replace("postgresql+psycopg://", "postgresql://"))
    return {"PGHOST": parts.hostname or "", "PGPORT": str(parts.port or 5432), "PGUSER": parts.username or "",
            "PGPASSWORD": parts.password or ""}


@pytest.mark.parametrize("url", ["", " ", "postgresql://", "registry", "/tmp/office.db", "postgresql+psycopg://h:1"])
def test_a_url_without_a_database_is_refused_before_anything(url, office, backup, keys, drill_databases, tmp_path,
                                                             monkeypatch):
    """An empty URL (a variable unset in a cron line) or one without a database name would make libpq use
    its defaults: the drill would restore the office's personal data into whatever empty database that is
    (here PGDATABASE: an empty one standing for the server's maintenance database), the backup would dump
    it. Both scripts refuse such a URL with exit 2."""
    fallback = drill_databases()
    monkeypatch.setattr(os, "environ", {**os.environ, **_server_defaults(),
                                        "PGDATABASE": urlsplit(fallback).path.lstrip("/")})
    drilled = run("restore-drill.sh", url, keys[0], backup, tmp_path=tmp_path)
    assert drilled.returncode == 2, drilled.stderr
    assert objects_in(fallback) == 0
    out = tmp_path / "backups" / "other.dump.gpg"
    dumped = run("backup.sh", url, keys[0], out, tmp_path=tmp_path)
    assert dumped.returncode == 2, dumped.stderr
    assert not out.exists() and not list(out.parent.glob(".*.part"))


def test_a_backup_stopped_half_way_leaves_no_partial_file(keys, tmp_path, tools):
    """`timeout` (or an administrator's kill) stops the script itself while pg_dump is still running: its
    own clean-up runs, and the dump and encryption it left running write no file into the backup folder."""
    fake = tmp_path / "bin"
    fake.mkdir()
    started, go = tmp_path / "started", tmp_path / "go"
    # still waiting for its locks on a busy server: nothing written yet when the script is stopped
    (fake / "pg_dump").write_text(f"#!/usr/bin/env bash\ntouch '{started}'\n"
                                  f"while [ ! -e '{go}' ]; do sleep 0.05; done\nhead -c 200000 /dev/urandom\n")
    (fake / "pg_dump").chmod(0o755)
    folder = tmp_path / "backups"
    folder.mkdir()
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    env = {**os.environ, "GNUPGHOME": str(home), "PATH": f"{fake}:{os.environ['PATH']}"}
    script = subprocess.Popen(["bash", str(SCRIPTS / "backup.sh"), "postgresql://office@dbhost/registry",
                               str(keys[0]), str(folder / "b.dump.gpg")], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # the orphans keep pipes open
    for _ in range(600):
        if started.exists():
            break
        time.sleep(0.05)
    assert started.exists()
    script.send_signal(signal.SIGTERM)
    try:
        assert script.wait(timeout=60) != 0
    finally:
        go.touch()                                 # the dump it left behind runs to its end
    for _ in range(600):                       # ... and the encryption after it
        left = subprocess.run(["pgrep", "-f", str(keys[0])], capture_output=True, text=True).stdout.split()
        if not left:
            break
        time.sleep(0.05)
    assert _files(folder) == []
