"""Today's queue: numbers per day, the next ticket called to a counter, served or passed over, waits and
the day report; every step audited; bad input changes nothing."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from registry_app.errors import InvalidState, NotFound, PermissionDenied, Refused
from registry_app.services.queue import Queue
from registry_app.storage.models import AuditEntry, QueueTicket


def test_a_day_at_the_counter(clerk_ctx, clock):
    q = Queue(clerk_ctx)
    a = q.issue("marriage")
    clock.advance(minutes=4)
    b = q.issue("divorce_application")
    clock.advance(minutes=6)
    c = q.issue("marriage")
    assert [t.label for t in (a, b, c)] == ["A001", "A002", "A003"]

    called = q.call_next("1号窗口")                    # the longest waiting first
    assert (called.number, called.status, called.counter, called.wait_minutes) == (1, "called", "1号窗口", 10.0)
    q.start(called.id)
    clock.advance(minutes=15)
    q.finish(called.id)
    second = q.call_next("2号窗口")
    assert second.number == 2 and second.wait_minutes == 21.0
    clock.advance(minutes=5)
    q.no_show(second.id)

    report = q.report()
    assert (report.issued, report.served, report.no_shows, report.waiting, report.in_progress) == (3, 1, 1, 1, 0)
    assert (report.average_wait_minutes, report.longest_wait_minutes, report.average_service_minutes) == (
        15.5, 21.0, 15.0)
    waiting = [t for t in q.tickets() if t.status == "waiting"]
    assert [(t.number, t.wait_minutes) for t in waiting] == [(3, 20.0)]   # still waiting: until now

    with clerk_ctx.db.read() as s:
        actions = s.execute(select(AuditEntry.action).where(AuditEntry.action.like("queue.%"))
                            .order_by(AuditEntry.id)).scalars().all()
    assert actions == ["queue.issue"] * 3 + ["queue.call", "queue.start", "queue.finish", "queue.call",
                                             "queue.no_show"]


def test_numbers_start_again_each_day(clerk_ctx, clock):
    q = Queue(clerk_ctx)
    q.issue("marriage")
    q.issue("adoption")
    clock.set(dt.date(2026, 6, 16))
    assert q.issue("marriage").number == 1
    assert q.report(dt.date(2026, 6, 15)).issued == 2


def test_call_by_service(clerk_ctx):
    q = Queue(clerk_ctx)
    q.issue("marriage")
    q.issue("divorce_collection")
    assert q.call_next("3", service="divorce_collection").number == 2


@pytest.mark.parametrize("step, code", [
    ("finish", "STATE_TRANSITION_FORBIDDEN"),    # waiting → done skips the counter
    ("no_show", "STATE_TRANSITION_FORBIDDEN"),   # not yet called
])
def test_steps_out_of_order_are_refused(clerk_ctx, step, code):
    q = Queue(clerk_ctx)
    t = q.issue("marriage")
    with pytest.raises(InvalidState) as info:
        getattr(q, step)(t.id)
    assert info.value.code == code
    assert q.tickets()[0].status == "waiting"


def test_bad_input_changes_nothing(clerk_ctx):
    q = Queue(clerk_ctx)
    with pytest.raises(NotFound) as info:
        q.call_next("1")
    assert info.value.code == "QUEUE_EMPTY"
    for bad in ("", " ", "x" * 17, "1\n2"):
        q.issue("marriage")
        with pytest.raises(Refused) as refused:
            q.call_next(bad)
        assert refused.value.code == "QUEUE_COUNTER_INVALID"
    with pytest.raises(Refused) as refused:
        q.issue("wedding")
    assert refused.value.code == "QUEUE_SERVICE_UNKNOWN"
    with pytest.raises(NotFound):
        q.finish(999)
    with clerk_ctx.db.read() as s:
        assert s.execute(select(func.count()).select_from(QueueTicket)
                         .where(QueueTicket.status != "waiting")).scalar() == 0


def test_the_administrator_does_not_run_the_counter(admin_ctx):
    with pytest.raises(PermissionDenied):
        Queue(admin_ctx).issue("marriage")


def test_queue_commands(db, db_path):
    from click.testing import CliRunner

    from registry_app.cli import main
    from tests.conftest import PASSPHRASE, PASSWORDS

    db.close()   # the command takes the database's exclusive lock

    def registry(*args):
        env = {"REGISTRY_PASSPHRASE": PASSPHRASE, "REGISTRY_USER_PASSWORD": PASSWORDS["clerk"]}
        return CliRunner().invoke(main, ["--db", str(db_path), *args, "--user", "clerk"], env=env,
                                  catch_exceptions=False)

    import json

    assert json.loads(registry("queue", "issue", "marriage").output)["label"] == "A001"
    called = json.loads(registry("queue", "call", "1号窗口").output)
    assert (called["number"], called["status"], called["status_zh"]) == (1, "called", "已叫号")
    assert registry("queue", "no-show", str(called["id"])).exit_code == 0
    empty = registry("queue", "call", "1号窗口")
    assert empty.exit_code == 2 and json.loads(empty.output)["errors"][0]["code"] == "QUEUE_EMPTY"
    report = json.loads(registry("queue", "report").output)
    assert (report["issued"], report["no_shows"], report["served"]) == (1, 1, 0)
