"""`registry calendar ...` and `registry divorce ...`."""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from registry_app.cli import Env, emit, handled, pass_env
from registry_app.commands.common import read_case
from registry_app.errors import RegistryError


@click.group()
def calendar() -> None:
    """节假日安排与期限计算 (holiday schedule and deadlines)."""


@calendar.command("divorce")
@click.argument("received")
@pass_env
def calendar_divorce(env: Env, received: str) -> None:
    """Cooling-off end and collection deadline for an application received on RECEIVED."""
    from registry_app.domain.deadlines import divorce_deadlines
    from registry_app.services.calendar import builtin_calendar, calendar_in_force

    try:
        day = dt.date.fromisoformat(received)
    except ValueError:
        emit({"error": f"日期格式应为YYYY-MM-DD：{received}"})
        sys.exit(1)
    try:
        if env.url or env.db_path.exists():
            with env.open().read() as s:
                cal = calendar_in_force(s)
        else:
            cal = builtin_calendar()
        d = divorce_deadlines(day, cal)
    except RegistryError as exc:
        emit({"error": exc.message, "code": exc.code, **({"year": exc.year} if hasattr(exc, "year") else {})})
        sys.exit(1)
    emit({"received": d.received.isoformat(), "cooling_off_ends": d.cooling_off_ends.isoformat(),
          "window_opens": d.window_opens.isoformat(), "collect_by": d.collect_by.isoformat()})


@calendar.command("import")
@click.argument("file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--year", type=int, default=None, help="通知未含标题时指明年度")
@click.option("--user", required=True)
@pass_env
def calendar_import(env: Env, file: Path, year: int | None, user: str) -> None:
    """Load a year's State Council holiday schedule: the notice as published, saved as text, or a JSON or
    CSV schedule file (see resources/calendars/README.md); told apart by content."""
    from registry_app.services.calendar import HolidaySchedules

    with handled():
        emit(HolidaySchedules(env.context(user=user)).import_file(file.read_bytes(), file.name, year))


@click.group()
def divorce() -> None:
    """协议离婚登记 (divorce by agreement)."""


def _service(env: Env, user: str, date: str | None):
    from registry_app.services.divorce import DivorceService

    svc = DivorceService(env.context(date=date, user=user))
    svc.expire_overdue()
    return svc


@divorce.command("apply")
@click.option("--input", "input_path", type=click.Path(path_type=Path), required=True)
@click.option("--user", required=True)
@click.option("--date", default=None, help="今天的日期 YYYY-MM-DD（仅培训数据库；默认今天）")
@pass_env
def divorce_apply(env: Env, input_path: Path, user: str, date: str | None) -> None:
    with handled():
        emit(_service(env, user, date).apply(read_case(input_path)))


_EXPECT_VERSION = click.option(
    "--expect-version", "expect_version", type=int, default=None,
    help="申请的版本号（pending 所示）：其间已被他人修改则拒绝（RECORD_CHANGED），不作任何更改")


@divorce.command("withdraw")
@click.argument("application_id", type=int)
@click.option("--party", type=click.IntRange(1, 2), required=True)
@click.option("--slip-lost", is_flag=True, help="受理回执单遗失（须附书面说明 --note）")
@click.option("--note", default="")
@_EXPECT_VERSION
@click.option("--user", required=True)
@click.option("--date", default=None, help="今天的日期 YYYY-MM-DD（仅培训数据库；默认今天）")
@pass_env
def divorce_withdraw(env: Env, application_id: int, party: int, slip_lost: bool, note: str,
                     expect_version: int | None, user: str, date) -> None:
    with handled():
        emit(_service(env, user, date).withdraw(application_id, party, slip_lost, note, version=expect_version))


@divorce.command("issue")
@click.argument("application_id", type=int)
@click.option("--questioning-1", "q1", default="已分别询问，本人确认自愿离婚并对协议无异议")
@click.option("--questioning-2", "q2", default="已分别询问，本人确认自愿离婚并对协议无异议")
@click.option("--blank-serial", "serials", multiple=True)
@_EXPECT_VERSION
@click.option("--user", required=True)
@click.option("--date", default=None, help="今天的日期 YYYY-MM-DD（仅培训数据库；默认今天）")
@pass_env
def divorce_issue(env: Env, application_id: int, q1: str, q2: str, serials, expect_version: int | None, user: str,
                  date) -> None:
    """Issue divorce certificates: both parties present, questioned separately, signatures witnessed."""
    with handled():
        emit(_service(env, user, date).issue(application_id, both_present=True,
                                             questioning={"party1": q1, "party2": q2}, signed=True,
                                             blank_serials=list(serials), version=expect_version))


@divorce.command("pending")
@click.option("--user", required=True)
@click.option("--date", default=None, help="今天的日期 YYYY-MM-DD（仅培训数据库；默认今天）")
@pass_env
def divorce_pending(env: Env, user: str, date) -> None:
    with handled():
        emit(_service(env, user, date).pending())


COMMANDS = [calendar, divorce]
