"""The network drops: a server that goes away mid-operation. A throwaway server of this module's own is
stopped and started again (or has the registering backend killed); the clerk gets CONNECTION_LOST, nothing is
half-written, and the same open client works again once the server is back, without reopening anything."""
from __future__ import annotations

import datetime as dt
import glob
import json
import os
import re
import shutil
import subprocess
import tempfile

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from registry_app.clock import FixedClock
from registry_app.domain.roles import Role
from registry_app.errors import ConnectionLost
from registry_app.services.accounts import Accounts
from registry_app.services.context import AppContext
from registry_app.services.marriage import MarriageCase, MarriageService
from registry_app.services.office_setup import OfficeSetup, initialise
from tests.factories import marriage_case, person
from tests.postgres.conftest import PASSWORDS, ROOT, registry

pytestmark = pytest.mark.postgres
SCRIPT = ROOT / "build" / "scripts" / "test-postgres.sh"
D = dt.date


class Server:
    """A throwaway server in its own folder and on its own port, which a test may stop and start."""

    def __init__(self) -> None:
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if not bins:
            pytest.skip("no PostgreSQL server binaries")
        self.pg_ctl = bins[-1]
        self.dir = tempfile.mkdtemp(prefix="registry-pg-net.")
        started = subprocess.run(["bash", str(SCRIPT), "start", self.dir], check=False, capture_output=True,
                                 text=True, timeout=300, env={**os.environ, "REGISTRY_TEST_PG_PORT": "54360"})
        assert started.returncode == 0, started.stderr
        self.admin_url = re.search(r"'(postgresql\+psycopg://[^']+)'", started.stdout).group(1)
        self.port = int(re.search(r":(\d+)/", self.admin_url).group(1))

    def _ctl(self, *args: str) -> None:
        cmd = [self.pg_ctl, "-D", f"{self.dir}/data", "-w", *args]
        if os.getuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)

    def stop(self) -> None:
        self._ctl("-m", "fast", "stop")

    def start(self) -> None:
        self._ctl("-l", f"{self.dir}/server.log", "-o",
                  f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off", "start")

    def remove(self) -> None:
        subprocess.run(["bash", str(SCRIPT), "stop", self.dir], check=False, capture_output=True, timeout=120)
        shutil.rmtree(self.dir, ignore_errors=True)

    def new_database(self, name: str) -> str:
        admin = sa.create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(sa.text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        return self.admin_url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(scope="module")
def server():
    srv = Server()
    yield srv
    srv.remove()


@pytest.fixture
def office(server, request):
    """(url, ctx with the clerk signed in) on a fresh database of the module's server."""
    url = server.new_database("net_" + re.sub(r"\W", "_", request.node.name)[:40].lower())
    clock = FixedClock(D(2026, 6, 15))
    db = initialise(OfficeSetup("320102", "玄武区婚姻登记处", "", "admin", "王管理", PASSWORDS["admin"]),
                    None, clock, url=url)
    ctx = AppContext(db=db, clock=clock)
    with db.write() as s:
        Accounts(ctx).create_user(s, "clerk", "李登记", Role.CLERK, PASSWORDS["clerk"], must_change=False)
    ctx.user = Accounts(ctx).login("clerk", PASSWORDS["clerk"])
    yield url, ctx
    if not _up(server):
        server.start()
    db.close()


def _up(server: Server) -> bool:
    return os.path.exists(f"{server.dir}/data/postmaster.pid")


def a_couple() -> MarriageCase:
    return MarriageCase.from_dict(marriage_case(person("张伟", "M", D(1995, 3, 8)),
                                                person("李娜", "F", D(1997, 11, 20))))


def counts(url: str) -> dict[str, int]:
    """What is in the database, read over a connection of its own."""
    engine = sa.create_engine(url)
    with engine.connect() as c:
        found = {t: c.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar()
                 for t in ("records", "parties", "audit_log")}
    engine.dispose()
    return found


def audit_verifies(url: str) -> None:
    done = registry("--url", url, "audit", "verify")
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout)["ok"]


def test_server_stopped_then_back_the_same_client_registers(server, office):
    url, ctx = office
    before = counts(url)
    server.stop()
    with pytest.raises(ConnectionLost) as lost:
        MarriageService(ctx).register_case(a_couple())
    assert lost.value.code == "CONNECTION_LOST"
    assert "与数据库服务器的连接中断" in lost.value.message
    assert "Error" not in lost.value.message and "psycopg" not in lost.value.message  # Chinese only

    server.start()
    MarriageService(ctx).register_case(a_couple())  # the same context: no reopening, no new login
    after = counts(url)
    assert after["records"] == before["records"] + 1 == 1
    assert after["parties"] == before["parties"] + 2
    audit_verifies(url)


def test_backend_killed_inside_the_registration_leaves_nothing(server, office):
    """The server ends the registering connection after its first statements were written: the
    transaction dies with the connection, so no record, party or audit entry of it remains."""
    url, ctx = office
    before = counts(url)
    killer = sa.create_engine(server.admin_url, isolation_level="AUTOCOMMIT")
    killed: list[int] = []

    def kill_after_first_flush(session, _flush_context):
        if killed:
            return
        pid = session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar()
        with killer.connect() as c:
            assert c.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar()
        killed.append(pid)

    factory = ctx.db._sessions  # the one sessionmaker every write goes through
    event.listen(factory, "after_flush", kill_after_first_flush)
    try:
        with pytest.raises(ConnectionLost) as lost:
            MarriageService(ctx).register_case(a_couple())
    finally:
        event.remove(factory, "after_flush", kill_after_first_flush)
        killer.dispose()
    assert killed and lost.value.code == "CONNECTION_LOST"
    assert counts(url) == before  # nothing half-written

    MarriageService(ctx).register_case(a_couple())  # the pool replaced the dead connection
    assert counts(url)["records"] == 1
    audit_verifies(url)


def test_command_with_the_server_down_exits_3_with_a_code_not_a_traceback(server, office):
    url, _ctx = office
    server.stop()
    done = registry("--url", url, "audit", "verify")
    assert done.returncode == 3, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    said = done.stdout + done.stderr
    assert "DB_OPEN_FAILED" in said or "CONNECTION_LOST" in said
    assert f"127.0.0.1:{server.port}" in said  # names the server the office has to look at
    server.start()
    audit_verifies(url)


def test_the_marriage_page_keeps_what_was_typed_and_accepts_once_the_server_is_back(qtbot, qapp, server, office):
    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QApplication

    from tests.ui.test_marriage_page import click, fill_valid_case
    from ui.app import make_application
    from ui.main_window import AppState, MainWindow
    from ui.prompts import RecordingPrompter
    from ui.workflows.marriage_page import ACCEPTED, FORM

    make_application()
    url, ctx = office
    win = MainWindow(AppState(ctx=ctx, prompter=RecordingPrompter()))
    win.resize(1366, 768)
    win.show()
    win.show_page("marriage")
    page = win.page("marriage")
    try:
        man_id, woman_id = fill_valid_case(qtbot, page)
        qtbot.waitUntil(lambda: "符合结婚登记条件" in page.panel.text(), timeout=5000)
        server.stop()
        click(qtbot, page.primary)  # 受理, with the server gone
        assert page.step == FORM and page.record_id is None
        kind, _title, text = win.state.prompter.shown[-1]  # through the presenter, with its code
        assert kind == "warn" and "与数据库服务器的连接中断" in text and "CONNECTION_LOST" in text
        assert "不予受理" not in page.panel.text()  # the couple was not refused: the server was away
        # what the clerk typed is all still there
        assert (page.party1.name.text(), page.party2.name.text()) == ("张伟", "李娜")
        assert (page.party1.id_number.text(), page.party2.id_number.text()) == (man_id, woman_id)
        assert page.declarations["signed"].isChecked()

        server.start()
        click(qtbot, page.primary)  # the same window, the same sign-in
        assert page.step == ACCEPTED and page.record_id is not None
        assert counts(url)["records"] == 1
    finally:
        win.idle_timer.stop()
        win.close()
        win.deleteLater()
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    audit_verifies(url)
