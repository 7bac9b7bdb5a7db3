"""Appointments and peak days: slots with quotas (supervisor), bookings by staff inside the rules (the
divorce collection inside the couple's window), arrival takes a ticket; peak days computed for any year
with the load expected from the office's own past registrations."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from registry_app.errors import InvalidState, NotFound, PermissionDenied, Refused
from registry_app.services.appointments import Appointments
from registry_app.services.divorce import DivorceService
from registry_app.services.peak_days import PeakDays, qixi
from registry_app.services.queue import Queue
from registry_app.storage.models import Appointment, AuditEntry, Record
from tests.integration.test_divorce_service import married  # noqa: F401 — fixture

D = dt.date


def codes(info) -> list[str]:
    return [i.code for i in info.value.issues]


def test_slots_quota_and_bookings(clerk_ctx, supervisor_ctx):
    with pytest.raises(PermissionDenied):
        Appointments(clerk_ctx).open_slot(D(2026, 6, 20), "1号窗口", "09:00", "10:00", 2)
    sup = Appointments(supervisor_ctx)
    slot = sup.open_slot(D(2026, 6, 20), "1号窗口", "09:00", "10:00", 2)
    clerk = Appointments(clerk_ctx)
    clerk.book(slot.id, "marriage", "张伟、李娜", "13800138000", details={"party1": {"name": "张伟"}})
    clerk.book(slot.id, "adoption", "王五")
    with pytest.raises(Refused) as info:
        clerk.book(slot.id, "marriage", "赵六、钱七")
    assert codes(info) == ["APPOINTMENT_SLOT_FULL"]
    with pytest.raises(Refused) as info:
        sup.open_slot(D(2026, 6, 20), "1号窗口", "09:00", "10:00", 1)
    assert codes(info) == ["APPOINTMENT_QUOTA_BELOW_BOOKED"]
    assert sup.open_slot(D(2026, 6, 20), "1号窗口", "09:00", "10:30", 3).free == 1   # the same slot, widened
    assert [(s.booked, s.quota, s.end) for s in clerk.slots(D(2026, 6, 20))] == [(2, 3, "10:30")]
    booking = clerk.bookings(D(2026, 6, 20))[0]
    assert (booking.names, booking.status_zh, booking.service_zh) == ("张伟、李娜", "已预约", "结婚登记")
    assert clerk.details(booking.id) == {"party1": {"name": "张伟"}}

    with supervisor_ctx.db.read() as s:   # the audit says which slot and what for, never who
        entries = s.execute(select(AuditEntry).where(AuditEntry.action == "appointment.book")).scalars().all()
    assert len(entries) == 2 and all("张伟" not in str(e.detail) for e in entries)


@pytest.mark.parametrize("args, expected", [
    ((D(2026, 6, 14), "1", "09:00", "10:00", 2), ["APPOINTMENT_DAY_PAST"]),
    ((D(2026, 6, 20), "1", "9:00", "10:00", 2), ["APPOINTMENT_TIME_INVALID"]),
    ((D(2026, 6, 20), "1", "10:00", "09:00", 2), ["APPOINTMENT_TIME_INVALID"]),
    ((D(2026, 6, 20), "1", "09:00", "10:00", -1), ["APPOINTMENT_QUOTA_INVALID"]),
    ((D(2026, 6, 20), "1", "24:00", "25:00", 500), ["APPOINTMENT_TIME_INVALID", "APPOINTMENT_QUOTA_INVALID"]),
    ((D(2026, 6, 20), "", "09:00", "10:00", 2), ["QUEUE_COUNTER_INVALID"]),
])
def test_bad_slots_are_refused_and_store_nothing(supervisor_ctx, args, expected):
    with pytest.raises(Refused) as info:
        Appointments(supervisor_ctx).open_slot(*args)
    assert codes(info) == expected
    assert Appointments(supervisor_ctx).slots(D(2026, 6, 14), D(2026, 6, 30)) == []


def test_bad_bookings(clerk_ctx, supervisor_ctx):
    slot = Appointments(supervisor_ctx).open_slot(D(2026, 6, 20), "1", "09:00", "10:00", 5)
    clerk = Appointments(clerk_ctx)
    for service, names, expected in (("other", "张三", "APPOINTMENT_SERVICE_UNKNOWN"),
                                     ("marriage", "  ", "APPOINTMENT_NAMES_REQUIRED"),
                                     ("marriage", "张三\n李四", "FIELD_CHARACTER_FORBIDDEN"),
                                     ("divorce_collection", "张三", "APPOINTMENT_RECORD_REQUIRED")):
        with pytest.raises(Refused) as info:
            clerk.book(slot.id, service, names)
        assert codes(info) == [expected]
    with pytest.raises(NotFound):
        clerk.book(999, "marriage", "张三")
    assert clerk.slots(D(2026, 6, 20))[0].booked == 0


def test_divorce_collection_inside_the_window_and_the_couples_to_call(clerk_ctx, supervisor_ctx, clock,
                                                                     married):  # noqa: F811
    _marriage_id, app = married
    app_id = DivorceService(clerk_ctx).apply(app)["application_id"]   # window 16 Jul – 14 Aug 2026
    sup = Appointments(supervisor_ctx)
    early = sup.open_slot(D(2026, 7, 10), "2", "09:00", "12:00", 5)
    inside = sup.open_slot(D(2026, 7, 20), "2", "09:00", "12:00", 5)
    clerk = Appointments(clerk_ctx)
    with pytest.raises(Refused) as info:
        clerk.book(early.id, "divorce_collection", "张三、李四", record_id=app_id)
    assert codes(info) == ["APPOINTMENT_OUTSIDE_WINDOW"] and "2026年07月16日" in info.value.message
    with pytest.raises(Refused) as info:
        clerk.book(inside.id, "divorce_collection", "x", record_id=_marriage_id)
    assert codes(info) == ["APPOINTMENT_NOT_IN_COOLING_OFF"]
    assert clerk.closing_windows(7) == []          # closes on 14 Aug: far off on 15 Jun
    clock.set(D(2026, 8, 10))
    closing = clerk.closing_windows(7)
    assert [(c.record_id, c.days_left, c.booked_on) for c in closing] == [(app_id, 4, None)]
    clock.set(D(2026, 7, 18))
    booked = clerk.book(inside.id, "divorce_collection", "张三、李四", record_id=app_id)
    clock.set(D(2026, 8, 10))
    assert clerk.closing_windows(7)[0].booked_on == D(2026, 7, 20)
    assert booked.service_zh == "领取离婚证"


def test_arrival_takes_a_ticket_in_the_same_operation(clerk_ctx, supervisor_ctx):
    slot = Appointments(supervisor_ctx).open_slot(D(2026, 6, 15), "1", "14:00", "15:00", 5)
    clerk = Appointments(clerk_ctx)
    a = clerk.book(slot.id, "marriage", "张伟、李娜")
    booking, ticket = clerk.arrive(a.id)
    assert booking.status == "arrived" and (ticket.number, ticket.appointment_id) == (1, a.id)
    assert Queue(clerk_ctx).tickets()[0].appointment_id == a.id
    with pytest.raises(InvalidState) as info:   # arrived is final: no second ticket
        clerk.arrive(a.id)
    assert info.value.code == "APPOINTMENT_NOT_BOOKED"
    assert len(Queue(clerk_ctx).tickets()) == 1
    b = clerk.book(slot.id, "marriage", "赵六")
    assert clerk.cancel(b.id, "改期").status_zh == "预约已取消"
    with clerk_ctx.db.read() as s:
        assert s.execute(select(Appointment.status).order_by(Appointment.id)).scalars().all() == [
            "arrived", "cancelled"]


@pytest.mark.parametrize("year, expected", [(2024, D(2024, 8, 10)), (2025, D(2025, 8, 29)), (2026, D(2026, 8, 19)),
                                            (2027, D(2027, 8, 8)), (2030, D(2030, 8, 5))])
def test_qixi_is_computed_for_any_year(year, expected):
    assert qixi(year) == expected


def test_peak_days_with_the_expected_load(clerk_ctx, supervisor_ctx, clock):
    import uuid

    with clerk_ctx.db.write() as s:   # the office's past, as the archive import brings it in
        for day in (D(2025, 8, 29), D(2025, 8, 29), D(2025, 5, 20), D(2025, 8, 30)):
            s.add(Record(uid=str(uuid.uuid4()), kind="marriage", status="registered", office_code="320102",
                         registration_date=day, back_entered=True, data={}, created_by="clerk",
                         created_at=clock.now(), updated_at=clock.now()))
    PeakDays(supervisor_ctx).add(D(2026, 10, 1), "国庆节")
    with pytest.raises(PermissionDenied):
        PeakDays(clerk_ctx).add(D(2026, 10, 2), "x")
    days = {v.day: v for v in PeakDays(clerk_ctx).for_year(2026)}
    assert [(d.isoformat(), v.name, v.source) for d, v in days.items()] == [
        ("2026-02-14", "2月14日（情人节）", "fixed"), ("2026-05-20", "5月20日", "fixed"),
        ("2026-08-19", "七夕（农历七月初七）", "lunar"), ("2026-10-01", "国庆节", "office")]
    assert days[D(2026, 8, 19)].expected == 2.0 and days[D(2026, 8, 19)].history == ((2025, 2),)
    assert days[D(2026, 5, 20)].expected == 1.0
    assert days[D(2026, 2, 14)].expected is None        # before the office's first registration
    with pytest.raises(Refused):
        PeakDays(clerk_ctx).for_year(99999)


def test_appointment_commands(db, db_path):
    import json

    from click.testing import CliRunner

    from registry_app.cli import main
    from tests.conftest import PASSPHRASE, PASSWORDS

    db.close()

    def registry(*args, user="clerk"):
        env = {"REGISTRY_PASSPHRASE": PASSPHRASE, "REGISTRY_USER_PASSWORD": PASSWORDS[user]}
        return CliRunner().invoke(main, ["--db", str(db_path), "appointments", *args, "--user", user], env=env,
                                  catch_exceptions=False)

    peaks = json.loads(registry("peak-days", "2027").output)
    assert [(p["date"], p["name"]) for p in peaks] == [("2027-02-14", "2月14日（情人节）"), ("2027-05-20", "5月20日"),
                                                       ("2027-08-08", "七夕（农历七月初七）")]
    slot = json.loads(registry("open-slot", "2099-01-05", "1号窗口", "09:00", "10:00", "1", user="supervisor").output)
    assert json.loads(registry("book", str(slot["id"]), "marriage", "张伟、李娜").output)["status"] == "booked"
    full = registry("book", str(slot["id"]), "marriage", "赵六")
    assert full.exit_code == 2 and json.loads(full.output)["errors"][0]["code"] == "APPOINTMENT_SLOT_FULL"
    bad = registry("slots", "2099-13-01")
    assert bad.exit_code == 2 and json.loads(bad.output)["errors"][0]["code"] == "DATE_INVALID"
