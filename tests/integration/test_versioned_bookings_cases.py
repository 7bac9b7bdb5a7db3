"""Two counters on one booking, two supervisors on one work item, on both engines: the edit sent from an
older read is refused with RECORD_CHANGED naming who changed it and when, and nothing is written — no
queue ticket, no audit entry, the row as the other counter left it; read again, the edit goes through as
far as the row's state allows."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from registry_app.errors import InvalidState, RecordChanged, Refused
from registry_app.services.appointments import Appointments
from registry_app.storage.models import Appointment, AuditEntry, QueueTicket, WorkCase
from registry_app.sync.service import SyncService
from tests.two_counters import counters  # noqa: F401  (fixture)

DAY = dt.date(2026, 6, 15)


def _count(ctx, model) -> int:
    with ctx.db.read() as s:
        return s.execute(select(func.count()).select_from(model)).scalar()


def _booking(ctx, booking_id: int) -> tuple[str, int]:
    with ctx.db.read() as s:
        a = s.get(Appointment, booking_id)
        return a.status, a.version


def _stamp(counters) -> str:
    return counters.clock.now().strftime("%Y-%m-%d %H:%M")


def _book(counters, n: int = 1) -> list:
    slot = Appointments(counters.supervisor_a).open_slot(DAY, "1号窗口", "14:00", "15:00", 10)
    return [Appointments(counters.a).book(slot.id, "marriage", f"张伟、李娜{i}") for i in range(n)]


def test_arrival_from_an_older_read_of_a_cancelled_booking_is_refused(counters):
    seen = _book(counters)[0]                     # counter 1's list shows the booking
    assert seen.version == 1 and seen.to_dict()["version"] == 1
    cancelled = Appointments(counters.b).cancel(seen.id, "来电取消", version=seen.version)
    assert (cancelled.status, cancelled.version) == ("cancelled", 2)
    entries, tickets = _count(counters.a, AuditEntry), _count(counters.a, QueueTicket)

    with pytest.raises(RecordChanged) as e:        # 到场 from the list read before the cancellation
        Appointments(counters.a).arrive(seen.id, version=seen.version)
    assert e.value.code == "RECORD_CHANGED"
    assert "此预约" in e.value.message and "赵登记" in e.value.message and _stamp(counters) in e.value.message
    assert _count(counters.a, QueueTicket) == tickets == 0      # no ticket issued
    assert _count(counters.a, AuditEntry) == entries
    assert _booking(counters.a, seen.id) == ("cancelled", 2)

    # read again: the version is current, and the booking's own state answers (cancelled is final)
    fresh = next(b for b in Appointments(counters.a).bookings(DAY) if b.id == seen.id)
    assert fresh.version == 2
    with pytest.raises(InvalidState) as e:
        Appointments(counters.a).arrive(seen.id, version=fresh.version)
    assert e.value.code == "APPOINTMENT_NOT_BOOKED"
    assert (_count(counters.a, QueueTicket), _count(counters.a, AuditEntry)) == (0, entries)
    assert _booking(counters.a, seen.id) == ("cancelled", 2)


# (counter 2's move, counter 1's move from the older read): every pair is refused the same way
PAIRS = [("arrive", "cancel"), ("missed", "arrive"), ("cancel", "missed"), ("arrive", "missed")]


def _do(ctx, action: str, booking_id: int, version):
    svc = Appointments(ctx)
    if action == "cancel":
        return svc.cancel(booking_id, "改期", version=version)
    return getattr(svc, action)(booking_id, version=version)


def test_every_move_of_a_booking_claims_the_version_it_was_read_at(counters):
    seen = _book(counters, len(PAIRS) + 1)
    for (first, second), b in zip(PAIRS, seen):
        _do(counters.b, first, b.id, b.version)
        before = (_booking(counters.a, b.id), _count(counters.a, AuditEntry), _count(counters.a, QueueTicket))
        with pytest.raises(RecordChanged) as e:
            _do(counters.a, second, b.id, b.version)
        assert "赵登记" in e.value.message, (first, second)
        assert (_booking(counters.a, b.id), _count(counters.a, AuditEntry),
                _count(counters.a, QueueTicket)) == before, (first, second)
    # a booking nobody else touched: counter 1's read is current and 到场 goes through with its ticket
    last = seen[-1]
    booking, ticket = Appointments(counters.a).arrive(last.id, version=last.version)
    assert (booking.status, booking.version, ticket.appointment_id) == ("arrived", 2, last.id)
    # counter 2 still holds version 1 of it: refused, naming 李登记 this time
    with pytest.raises(RecordChanged) as e:
        Appointments(counters.b).cancel(last.id, "来电取消", version=last.version)
    assert "李登记" in e.value.message


def test_a_shell_command_reads_as_it_writes_and_still_raises_the_version(counters):
    b = _book(counters)[0]
    Appointments(counters.b).missed(b.id)          # no version: not read first, no check
    with pytest.raises(RecordChanged):
        Appointments(counters.a).cancel(b.id, version=b.version)
    assert _booking(counters.a, b.id) == ("missed", 2)


@pytest.mark.parametrize("bad", [0, -1, True, "2", 2**31])
def test_a_bad_version_is_refused_before_anything(counters, bad):
    b = _book(counters)[0]
    entries = _count(counters.a, AuditEntry)
    with pytest.raises(Refused) as e:
        Appointments(counters.a).arrive(b.id, version=bad)
    assert e.value.codes() == ["VERSION_INVALID"]
    assert (_booking(counters.a, b.id), _count(counters.a, AuditEntry)) == (("booked", 1), entries)


# --- the supervisor's work list ---------------------------------------------------------------------

def _open_case(ctx) -> int:
    """A conflict the province's acknowledgement opened (acks.py opens it the same way)."""
    with ctx.db.write() as s:
        case = WorkCase(kind="sync_conflict", event_id=None, record_id=None, code="C001",
                        message="省级记录显示一方已婚", opened_at=ctx.clock.now(), resolution="")
        s.add(case)
        s.flush()
        return case.id


def test_a_work_item_resolved_at_the_other_desk_is_refused_naming_who(counters):
    case_id = _open_case(counters.a)
    seen = next(c for c in SyncService(counters.supervisor_a).work_cases() if c.id == case_id)
    assert seen.version == 1 and seen.to_dict()["version"] == 1
    done = SyncService(counters.supervisor_b).resolve_case(case_id, "已电话核实，外省离婚登记未上报",
                                                            version=seen.version)
    assert (done.status, done.resolved_by, done.version) == ("resolved", "supervisor", 2)
    entries = _count(counters.a, AuditEntry)

    with pytest.raises(RecordChanged) as e:      # counter 1's supervisor, from the list read before
        SyncService(counters.supervisor_a).resolve_case(case_id, "已核实", version=seen.version)
    assert e.value.code == "RECORD_CHANGED"
    assert "此待办事项" in e.value.message and "张主任" in e.value.message and _stamp(counters) in e.value.message
    assert _count(counters.a, AuditEntry) == entries
    with counters.a.db.read() as s:
        case = s.get(WorkCase, case_id)
        assert (case.status, case.resolution, case.version) == ("resolved", "已电话核实，外省离婚登记未上报", 2)
        # the resolution is one audit entry, written by the move
        assert s.execute(select(AuditEntry.action, AuditEntry.reason).where(
            AuditEntry.entity_type == "work_case", AuditEntry.entity_id == str(case_id))).all() == [
            ("sync.case_resolved", "已电话核实，外省离婚登记未上报")]

    # read again: the version is current and the item's own state answers
    fresh = next(c for c in SyncService(counters.supervisor_a).work_cases(open_only=False) if c.id == case_id)
    with pytest.raises(InvalidState) as e:
        SyncService(counters.supervisor_a).resolve_case(case_id, "已核实", version=fresh.version)
    assert e.value.code == "CASE_RESOLVED"
    assert _count(counters.a, AuditEntry) == entries


def test_a_work_item_resolved_from_a_current_read(counters):
    case_id = _open_case(counters.a)
    seen = next(c for c in SyncService(counters.supervisor_b).work_cases() if c.id == case_id)
    done = SyncService(counters.supervisor_b).resolve_case(case_id, "已更正，次日重新上报", version=seen.version)
    assert (done.status_zh, done.version) == ("已处理", 2)
    assert [c.id for c in SyncService(counters.supervisor_a).work_cases()] == []


# --- the commands -----------------------------------------------------------------------------------

def test_the_commands_take_expect_version(db, db_path, supervisor_ctx):
    from click.testing import CliRunner

    from registry_app.cli import main
    from tests.conftest import PASSPHRASE, PASSWORDS

    case_id = _open_case(supervisor_ctx)
    db.close()

    def registry(*args, user="clerk"):
        env = {"REGISTRY_PASSPHRASE": PASSPHRASE, "REGISTRY_USER_PASSWORD": PASSWORDS[user]}
        return CliRunner().invoke(main, ["--db", str(db_path), *args, "--user", user], env=env,
                                  catch_exceptions=False)

    slot = json.loads(registry("appointments", "open-slot", "2099-01-05", "1号窗口", "09:00", "10:00", "5",
                               user="supervisor").output)
    first = json.loads(registry("appointments", "book", str(slot["id"]), "marriage", "张伟、李娜").output)
    second = json.loads(registry("appointments", "book", str(slot["id"]), "marriage", "赵六").output)
    assert first["version"] == 1
    listed = json.loads(registry("appointments", "list", "2099-01-05").output)
    assert [b["version"] for b in listed] == [1, 1]

    done = json.loads(registry("appointments", "arrive", str(first["id"]), "--expect-version", "1").output)
    assert (done["appointment"]["status"], done["appointment"]["version"]) == ("arrived", 2)
    stale = registry("appointments", "cancel", str(first["id"]), "--expect-version", "1")
    assert stale.exit_code != 0 and json.loads(stale.output)["errors"][0]["code"] == "RECORD_CHANGED"
    bad = registry("appointments", "missed", str(second["id"]), "--expect-version", "0")
    assert json.loads(bad.output)["errors"][0]["code"] == "VERSION_INVALID"
    missed = json.loads(registry("appointments", "missed", str(second["id"]), "--expect-version", "1").output)
    assert (missed["status"], missed["version"]) == ("missed", 2)

    cases = json.loads(registry("sync", "cases", user="supervisor").output)
    assert [(c["id"], c["version"]) for c in cases] == [(case_id, 1)]
    resolved = json.loads(registry("sync", "resolve", str(case_id), "--note", "已核实", "--expect-version", "1",
                                   user="supervisor").output)
    assert (resolved["status"], resolved["version"]) == ("resolved", 2)
    again = registry("sync", "resolve", str(case_id), "--note", "已核实", "--expect-version", "1", user="supervisor")
    assert json.loads(again.output)["errors"][0]["code"] == "RECORD_CHANGED"
    assert "张主任" in json.loads(again.output)["errors"][0]["message"]
