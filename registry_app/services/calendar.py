"""The working-day calendar in force: the package's official schedules plus years an administrator
imported (kept in the database, audited)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry_app.domain.deadlines import DivorceDeadlines, divorce_deadlines
from registry_app.domain.workdays import WorkdayCalendar, YearSchedule, parse_schedule
from registry_app.domain.roles import Permission
from registry_app.services import audit
from registry_app.services.context import AppContext
from registry_app.storage.models import CalendarYear

def builtin_calendar() -> WorkdayCalendar:
    return WorkdayCalendar.builtin()  # cached by the domain module


def calendar_in_force(session: Session) -> WorkdayCalendar:
    cal = builtin_calendar()
    for row in session.execute(select(CalendarYear)).scalars():
        cal = cal.with_schedule(YearSchedule(row.year, frozenset(dt.date.fromisoformat(d) for d in row.holidays),
                                             frozenset(dt.date.fromisoformat(d) for d in row.workdays), row.source))
    return cal


class HolidaySchedules:
    def __init__(self, ctx: AppContext):
        self.ctx = ctx

    def import_file(self, data: bytes, filename: str) -> dict:
        user = self.ctx.require(Permission.MANAGE_CALENDAR)
        schedule = parse_schedule(data, filename)
        with self.ctx.db.write() as s:
            row = s.get(CalendarYear, schedule.year)
            replaced = row is not None
            if row is None:
                row = CalendarYear(year=schedule.year)
                s.add(row)
            row.source = schedule.source
            row.holidays = sorted(d.isoformat() for d in schedule.holidays)
            row.workdays = sorted(d.isoformat() for d in schedule.workdays)
            row.imported_by = user.username
            row.imported_at = self.ctx.clock.now()
            audit.record(self.ctx, s, "calendar.imported", "calendar", schedule.year,
                         {"holidays": len(schedule.holidays), "workdays": len(schedule.workdays),
                          "replaced": replaced, "source": schedule.source})
        return {"year": schedule.year, "holidays": len(schedule.holidays), "workdays": len(schedule.workdays),
                "replaced": replaced}

    def years(self) -> list[dict]:
        with self.ctx.db.read() as s:
            cal = calendar_in_force(s)
        return [{"year": y, "source": cal.schedule(y).source} for y in cal.years()]

    def divorce_deadlines(self, received: dt.date) -> DivorceDeadlines:
        with self.ctx.db.read() as s:
            return divorce_deadlines(received, calendar_in_force(s))


# A divorce deadline can lie up to about 75 days after receipt (two 30-day periods plus holiday rolls).
LOOKAHEAD_DAYS = 75


def coverage_warning(ctx: AppContext) -> str | None:
    """A warning for the counter when deadlines of applications received today could fall in a year
    whose State Council schedule is not loaded yet."""
    today = ctx.clock.today()
    with ctx.db.read() as s:
        cal = calendar_in_force(s)
    horizon = today + dt.timedelta(days=LOOKAHEAD_DAYS)
    missing = [y for y in range(today.year, horizon.year + 1) if not cal.has_year(y)]
    if not missing:
        return None
    years = "、".join(str(y) for y in missing)
    return (f"未载入{years}年的国务院节假日安排：期限落入该年度的离婚申请无法计算期限。"
            f"请系统管理员在国务院公布后导入（系统管理 → 节假日安排）。")
