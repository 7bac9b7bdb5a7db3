"""`registry appointments …`: slots and quotas, bookings, divorce windows closing soon, peak days."""
from __future__ import annotations

import click

from registry_app.cli import Env, emit, handled, parse_date_option, pass_env
from registry_app.domain.states import AppointmentState
from registry_app.services.queue import SERVICES


def _day(value: str, name: str):
    day = parse_date_option(value, name)
    if day is None:
        from registry_app.errors import RegistryError

        raise RegistryError(f"请给出日期 {name}（YYYY-MM-DD）", code="DATE_INVALID", field=name)
    return day


@click.group()
def appointments() -> None:
    """预约与高峰日 (appointments and peak days)."""


@appointments.command("peak-days")
@click.argument("year", type=int)
@click.option("--user", required=True)
@pass_env
def peak_days(env: Env, year: int, user: str) -> None:
    """Peak days of YEAR (2月14日, 5月20日, 七夕 computed from the lunar calendar, office-added days):
    JSON with each day's date and name, its source and the marriages expected from past years."""
    from registry_app.services.peak_days import PeakDays

    with handled():
        emit([v.to_dict() for v in PeakDays(env.context(user=user)).for_year(year)])


@appointments.command("add-peak-day")
@click.argument("day")
@click.argument("name")
@click.option("--user", required=True, help="负责人")
@pass_env
def add_peak_day(env: Env, day: str, name: str, user: str) -> None:
    from registry_app.services.peak_days import PeakDays

    with handled():
        emit(PeakDays(env.context(user=user)).add(_day(day, "DAY"), name).to_dict())


@appointments.command("open-slot")
@click.argument("day")
@click.argument("counter")
@click.argument("start")
@click.argument("end")
@click.argument("quota", type=int)
@click.option("--user", required=True, help="负责人")
@pass_env
def open_slot(env: Env, day: str, counter: str, start: str, end: str, quota: int, user: str) -> None:
    """Open a slot (or change its quota): DAY COUNTER HH:MM HH:MM QUOTA."""
    from registry_app.services.appointments import Appointments

    with handled():
        emit(Appointments(env.context(user=user)).open_slot(_day(day, "DAY"), counter, start, end, quota).to_dict())


@appointments.command("slots")
@click.argument("day")
@click.option("--to", "last", default=None, help="到此日期（含）")
@click.option("--user", required=True)
@pass_env
def slots(env: Env, day: str, last: str | None, user: str) -> None:
    from registry_app.services.appointments import Appointments

    with handled():
        emit([s.to_dict() for s in Appointments(env.context(user=user)).slots(
            _day(day, "DAY"), parse_date_option(last, "--to"))])


@appointments.command("book")
@click.argument("slot_id", type=int)
@click.argument("service", type=click.Choice(sorted(k for k in SERVICES if k != "other")))
@click.argument("names")
@click.option("--phone", default="")
@click.option("--record", "record_id", type=int, default=None, help="领取离婚证：离婚申请的受理号")
@click.option("--user", required=True)
@pass_env
def book(env: Env, slot_id: int, service: str, names: str, phone: str, record_id: int | None, user: str) -> None:
    from registry_app.services.appointments import Appointments

    with handled():
        emit(Appointments(env.context(user=user)).book(slot_id, service, names, phone, record_id).to_dict())


@appointments.command("list")
@click.argument("day")
@click.option("--user", required=True)
@pass_env
def list_bookings(env: Env, day: str, user: str) -> None:
    from registry_app.services.appointments import Appointments

    with handled():
        emit([b.to_dict() for b in Appointments(env.context(user=user)).bookings(_day(day, "DAY"))])


_EXPECT_VERSION = click.option(
    "--expect-version", "expect_version", type=int, default=None,
    help="预约的版本号（list 所示）：其间已被他人修改则拒绝（RECORD_CHANGED），不作任何更改")


@appointments.command("arrive")
@click.argument("appointment_id", type=int)
@_EXPECT_VERSION
@click.option("--user", required=True)
@pass_env
def arrive(env: Env, appointment_id: int, expect_version: int | None, user: str) -> None:
    """The booked couple came: the booking is kept and they get a queue ticket."""
    from registry_app.services.appointments import Appointments

    with handled():
        booking, ticket = Appointments(env.context(user=user)).arrive(appointment_id, version=expect_version)
        emit({"appointment": booking.to_dict(), "ticket": ticket.to_dict()})


@appointments.command("cancel")
@click.argument("appointment_id", type=int)
@click.option("--reason", default="")
@_EXPECT_VERSION
@click.option("--user", required=True)
@pass_env
def cancel(env: Env, appointment_id: int, reason: str, expect_version: int | None, user: str) -> None:
    from registry_app.services.appointments import Appointments

    with handled():
        emit(Appointments(env.context(user=user)).cancel(appointment_id, reason, version=expect_version).to_dict())


@appointments.command(AppointmentState.MISSED.value)   # `missed`: the state it moves the booking to
@click.argument("appointment_id", type=int)
@_EXPECT_VERSION
@click.option("--user", required=True)
@pass_env
def missed(env: Env, appointment_id: int, expect_version: int | None, user: str) -> None:
    """The booked couple did not come (未到): the slot's place is free again."""
    from registry_app.services.appointments import Appointments

    with handled():
        emit(Appointments(env.context(user=user)).missed(appointment_id, version=expect_version).to_dict())


@appointments.command("closing")
@click.option("--days", type=int, default=7, help="几天内截止")
@click.option("--user", required=True)
@pass_env
def closing(env: Env, days: int, user: str) -> None:
    """Divorce applications whose collection window closes within DAYS, with their booking if any."""
    from registry_app.services.appointments import Appointments

    with handled():
        emit([c.to_dict() for c in Appointments(env.context(user=user)).closing_windows(days)])


COMMANDS = [appointments]
