"""The working-day calendar in force: the package's official schedules plus years an administrator
imported (kept in the database, audited)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry_app.domain.deadlines import DivorceDeadlines, divorce_deadlines
from registry_app.domain.holiday_notice import ParsedNotice, parse_notice, read_schedule
from registry_app.domain.roles import Permission
from registry_app.domain.workdays import WorkdayCalendar, YearSchedule
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

    def import_file(self, data: bytes, filename: str, year: int | None = None) -> dict:
        """A schedule file (JSON or CSV) or the State Council's notice saved as text, told apart by content;
        `year` only for a notice pasted without its title."""
        user = self.ctx.require(Permission.MANAGE_CALENDAR)
        schedule, form = read_schedule(data, filename, year)
        return self._store(schedule, form, user.username)

    def preview_notice(self, text: str, year: int | None = None) -> ParsedNotice:
        """The pasted notice read for the administrator to confirm; nothing is stored."""
        self.ctx.require(Permission.MANAGE_CALENDAR)
        return parse_notice(text, year)

    def import_notice(self, text: str, year: int | None = None) -> dict:
        """The pasted notice, read again (what is stored is what the text says, not an earlier preview)."""
        user = self.ctx.require(Permission.MANAGE_CALENDAR)
        return self._store(parse_notice(text, year).schedule, "notice", user.username)

    def _store(self, schedule: YearSchedule, form: str, username: str) -> dict:
        with self.ctx.db.write() as s:
            row = s.get(CalendarYear, schedule.year)
            replaced = row is not None
            if row is None:
                row = CalendarYear(year=schedule.year)
                s.add(row)
            row.source = schedule.source
            row.holidays = sorted(d.isoformat() for d in schedule.holidays)
            row.workdays = sorted(d.isoformat() for d in schedule.workdays)
            row.imported_by = username
            row.imported_at = self.ctx.clock.now()
            audit.record(self.ctx, s, "calendar.imported", "calendar", schedule.year,
                         {"holidays": len(schedule.holidays), "workdays": len(schedule.workdays),
                          "replaced": replaced, "source": schedule.source, "form": form})
        return {"year": schedule.year, "holidays": len(schedule.holidays), "workdays": len(schedule.workdays),
                "replaced": replaced, "source": schedule.source, "form": form}

    def years(self) -> list[dict]:
        with self.ctx.db.read() as s:
            cal = calendar_in_force(s)
        return [{"year": y, "source": cal.schedule(y).source} for y in cal.years()]

    def divorce_deadlines(self, received: dt.date) -> DivorceDeadlines:
        with self.ctx.db.read() as s:
            return divorce_deadlines(received, calendar_in_force(s))


# A divorce deadline can lie up to about 75 days after receipt (two 30-day periods plus holiday rolls).
LOOKAHEAD_DAYS = 75
# The State Council publishes next year's schedule around the start of November: from then on its absence
# is worth a warning even before any deadline reaches into that year.
NEXT_YEAR_DUE = (11, 1)


def missing_years(ctx: AppContext) -> list[int]:
    """This year, and next year from 1 November or once a deadline of today's application could reach
    it, when their schedule is not loaded."""
    today = ctx.clock.today()
    with ctx.db.read() as s:
        cal = calendar_in_force(s)
    last = (today + dt.timedelta(days=LOOKAHEAD_DAYS)).year
    if (today.month, today.day) >= NEXT_YEAR_DUE:
        last = max(last, today.year + 1)
    return [y for y in range(today.year, last + 1) if not cal.has_year(y)]


def coverage_warning(ctx: AppContext) -> str | None:
    """A warning for the counter (status bar, 系统管理) while a year `missing_years` names is not loaded."""
    missing = missing_years(ctx)
    if not missing:
        return None
    years = "、".join(str(y) for y in missing)
    return (f"未载入{years}年的国务院节假日安排：期限落入该年度的离婚申请无法计算期限。"
            f"请系统管理员粘贴国务院办公厅的通知导入（系统管理 → 节假日安排）。")
