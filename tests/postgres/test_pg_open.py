"""Opening a PostgreSQL database by URL.

- A database without the schema (a mistyped database name, or one nobody has initialised) is refused by
  every command but `init`, and by the client's door (open_workspace), with DB_NOT_INITIALISED: nothing is
  created in it, so an IT person's typo never becomes a second, empty office.
- A server that refuses or cannot be reached is DB_OPEN_FAILED with a Chinese message that says what
  happened and what to check; psycopg's English sentence goes only to the diagnostics log."""
from __future__ import annotations

import glob
import json
import os
import re
import shutil
import subprocess
import tempfile

import pytest
import sqlalchemy as sa
from sqlalchemy import URL
from sqlalchemy.engine import make_url

from registry_app.diagnostics import close_log_file, configure_log_file
from registry_app.errors import StorageError
from registry_app.services.workspace import open_workspace
from registry_app.storage.engine import open_database
from tests.postgres.conftest import ROOT, need_server, objects_in, registry

pytestmark = pytest.mark.postgres
SCRIPT = ROOT / "build" / "scripts" / "test-postgres.sh"
# What psycopg and libpq say in English: none of it may reach the clerk's message.
ENGLISH = re.compile(r"failed|FATAL|refused|does not exist|password|server at|Is the server|psycopg|connection",
                     re.IGNORECASE)



COMMANDS = [["audit", "verify"], ["db", "check"], ["users", "list", "--as", "admin"],
            ["search", "王伟", "--user", "admin"], ["demo-data", "--records", "5"]]


@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c[:2]) for c in COMMANDS])
def test_a_command_on_an_uninitialised_database_is_refused_and_creates_nothing(pg_url, command):
    done = registry("--url", pg_url, *command, env={"REGISTRY_USER_PASSWORD": "x"})
    assert done.returncode in (2, 3), done.stdout + done.stderr
    errors = json.loads(done.stdout)["errors"]
    assert [e["code"] for e in errors] == ["DB_NOT_INITIALISED"], errors
    assert make_url(pg_url).database in errors[0]["message"] and "init" in errors[0]["message"]
    assert "Traceback" not in done.stderr
    assert objects_in(pg_url) == 0


def test_the_client_gets_the_same_refusal_and_init_still_works_after(pg_url):
    with pytest.raises(StorageError) as refused:
        open_workspace(None, "", exclusive=False, url=pg_url)  # the door the login window uses
    assert refused.value.code == "DB_NOT_INITIALISED"
    assert "尚未初始化" in refused.value.message and not ENGLISH.search(refused.value.message)
    assert objects_in(pg_url) == 0
    done = registry("--url", pg_url, "init", "--office-code", "320102", "--office-name", "玄武区婚姻登记处",
                    "--admin", "admin", env={"REGISTRY_ADMIN_PASSWORD": "Root-pass-2026"})
    assert done.returncode == 0, done.stdout + done.stderr
    ctx = open_workspace(None, "", exclusive=False, url=pg_url)  # an initialised office opens as before
    ctx.db.close()
    assert registry("--url", pg_url, "audit", "verify").returncode == 0


def test_an_empty_sqlite_file_is_refused_too(tmp_path):
    path = tmp_path / "office.db"
    path.touch(mode=0o600)
    done = registry("--db", str(path), "audit", "verify", env={"REGISTRY_PASSPHRASE": "pass phrase 1234"})
    assert done.returncode == 3, done.stdout + done.stderr
    assert [e["code"] for e in json.loads(done.stdout)["errors"]] == ["DB_NOT_INITIALISED"]


def test_a_schema_from_a_newer_program_or_another_application_is_refused_untouched(pg_url):
    """An alembic_version this program does not know (a newer client upgraded the server, or the URL
    names another application's database): a coded refusal, not an internal error, and nothing changed."""
    engine = sa.create_engine(pg_url)
    with engine.begin() as c:
        c.execute(sa.text("CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY)"))
        c.execute(sa.text("INSERT INTO alembic_version VALUES ('3f2a9c0d1e')"))
    for command in (["db", "check"], ["audit", "verify"]):
        done = registry("--url", pg_url, *command)
        assert done.returncode == 3, done.stdout + done.stderr
        errors = json.loads(done.stdout)["errors"]
        assert [e["code"] for e in errors] == ["DB_SCHEMA_UNKNOWN"] and "3f2a9c0d1e" in errors[0]["message"]
        assert "Traceback" not in done.stderr
    with pytest.raises(StorageError) as refused:
        open_workspace(None, "", exclusive=False, url=pg_url)
    assert refused.value.code == "DB_SCHEMA_UNKNOWN" and not ENGLISH.search(refused.value.message)
    with engine.connect() as c:
        assert c.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == "3f2a9c0d1e"
    engine.dispose()
    assert objects_in(pg_url) == 2   # the table and its primary key index, nothing added


def _refusal(url: str, tmp_path) -> tuple[StorageError, str]:
    """The refusal opening `url`, and what the diagnostics log got."""
    log = configure_log_file(tmp_path / "logs")
    try:
        with pytest.raises(StorageError) as refused:
            open_database(url)
    finally:
        close_log_file()
    return refused.value, log.read_text(encoding="utf-8")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_closed_port_says_no_server_answers_there_in_chinese(tmp_path):
    port = _free_port()
    refused, logged = _refusal(f"postgresql+psycopg://registry@127.0.0.1:{port}/office", tmp_path)
    assert refused.code == "DB_OPEN_FAILED"
    assert f"127.0.0.1:{port}" in refused.message  # names the server to look at
    assert "没有数据库服务在运行" in refused.message and "端口" in refused.message
    assert not ENGLISH.search(refused.message), refused.message
    assert "DB_OPEN_FAILED" in logged and "Connection refused" in logged  # psycopg's words: log only


@pytest.mark.parametrize("change, said", [
    ({"username": "no_such_office"}, "没有数据库用户（角色）no_such_office"),
    ({"database": "no_such_db"}, "没有名为 no_such_db 的数据库"),
], ids=["role", "database"])
def test_an_unknown_role_or_database_is_named(tmp_path, change, said):
    url = make_url(need_server()).set(**change).render_as_string(hide_password=False)
    done = registry("--url", url, "audit", "verify")
    assert done.returncode == 3, done.stdout + done.stderr
    errors = json.loads(done.stdout)["errors"]
    assert [e["code"] for e in errors] == ["DB_OPEN_FAILED"]
    assert said in errors[0]["message"] and not ENGLISH.search(errors[0]["message"]), errors
    assert "does not exist" not in done.stdout + done.stderr


@pytest.fixture(scope="module")
def password_server():
    """A throwaway server of this module's own that checks passwords (scram-sha-256) on TCP: the shared
    test server trusts every local connection. Yields its URL with the right password."""
    need_server()
    data = tempfile.mkdtemp(prefix="registry-pg-pw.")
    env = {**os.environ, "REGISTRY_TEST_PG_PORT": "54380"}
    started = subprocess.run(["bash", str(SCRIPT), "start", data], check=False, capture_output=True, text=True,
                             timeout=300, env=env)
    assert started.returncode == 0, started.stderr
    admin_url = re.search(r"'(postgresql\+psycopg://[^']+)'", started.stdout).group(1)
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as c:
        c.execute(sa.text("CREATE ROLE office_pw LOGIN PASSWORD 'Right-pass-2026'"))
    engine.dispose()
    with open(f"{data}/data/pg_hba.conf", "w", encoding="utf-8") as hba:
        hba.write("local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n")
    ctl = [sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))[-1], "-D", f"{data}/data", "reload"]
    subprocess.run(["runuser", "-u", "postgres", "--", *ctl] if os.getuid() == 0 else ctl, check=True,
                   capture_output=True, timeout=60)
    yield make_url(admin_url).set(username="office_pw", password="Right-pass-2026")
    subprocess.run(["bash", str(SCRIPT), "stop", data], check=False, capture_output=True, timeout=120)
    shutil.rmtree(data, ignore_errors=True)


@pytest.mark.parametrize("password, said", [("Wrong-pass-2026", "密码不对"), (None, "没有提供")],
                         ids=["wrong", "missing"])
def test_a_wrong_or_missing_password_says_which_user_and_where_to_look(password_server, tmp_path, monkeypatch,
                                                                       password, said):
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "no-pgpass"))  # nothing from this machine's ~/.pgpass
    monkeypatch.delenv("PGPASSWORD", raising=False)
    right = password_server.render_as_string(hide_password=False)
    open_database(right).close()  # the server does take the right password
    u = password_server
    wrong = URL.create(u.drivername, u.username, password, u.host, u.port, u.database).render_as_string(False)
    refused, logged = _refusal(wrong, tmp_path)
    assert refused.code == "DB_OPEN_FAILED"
    assert said in refused.message and "office_pw" in refused.message and ".pgpass" in refused.message
    assert not ENGLISH.search(refused.message.replace(".pgpass", "")), refused.message
    assert "Wrong-pass" not in refused.message + logged  # the password itself is never repeated
    assert "DB_OPEN_FAILED" in logged
