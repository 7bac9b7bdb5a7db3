"""Peak days known ahead: 2月14日, 5月20日, 七夕 (the 7th day of the 7th lunar month, computed with
lunar_python for any year, never a table) and days the office adds; each with the load to expect, from
the office's own marriage registrations on the same day in past years."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from registry_app.domain.roles import Permission
from registry_app.domain.states import RecordKind
from registry_app.errors import Issue, Refused
from registry_app.services import audit
from registry_app.services.context import AppContext
from registry_app.storage.models import PeakDay, Record

FIXED = ((2, 14, "2月14日（情人节）"), (5, 20, "5月20日"))
QIXI = "七夕（农历七月初七）"
HISTORY_YEARS = 5


def qixi(year: int) -> dt.date:
    from lunar_python import Lunar

    s = Lunar.fromYmd(year, 7, 7).getSolar()
    return dt.date(s.getYear(), s.getMonth(), s.getDay())


@dataclass(frozen=True)
class PeakDayView:
    day: dt.date
    name: str
    source: str                 # fixed | lunar | office
    expected: float | None      # marriages on this day in past years, averaged; None without history
    history: tuple[tuple[int, int], ...]   # (year, marriages registered)

    def to_dict(self) -> dict:
        return {"date": self.day.isoformat(), "name": self.name, "source": self.source, "expected": self.expected,
                "history": [{"year": y, "registered": n} for y, n in self.history]}


def _same_day(source: str, day: dt.date, year: int) -> dt.date | None:
    if source == "lunar":
        return qixi(year)
    try:
        return day.replace(year=year)
    except ValueError:    # 2月29日 of an office day in a common year
        return None


class PeakDays:
    def __init__(self, ctx: AppContext):
        self.ctx = ctx

    def for_year(self, year: int) -> list[PeakDayView]:
        self.ctx.require(Permission.REGISTER)
        if not 1900 <= year <= 2200:
            raise Refused([Issue("PEAK_YEAR_INVALID", "年份应在1900至2200之间", "year")])
        days = [(dt.date(year, m, d), name, "fixed") for m, d, name in FIXED]
        days.append((qixi(year), QIXI, "lunar"))
        with self.ctx.db.read() as s:
            days += [(p.day, p.name, "office") for p in s.execute(select(PeakDay).where(
                PeakDay.day >= dt.date(year, 1, 1), PeakDay.day <= dt.date(year, 12, 31))).scalars()]
            first = s.execute(select(func.min(Record.registration_date)).where(
                Record.kind == RecordKind.MARRIAGE.value)).scalar()
            out = []
            for day, name, source in sorted(days):
                history = []
                for y in range(year - HISTORY_YEARS, year):
                    past = _same_day(source, day, y)
                    if past is None or first is None or past < first or past >= self.ctx.clock.today():
                        continue
                    n = s.execute(select(func.count()).select_from(Record).where(
                        Record.kind == RecordKind.MARRIAGE.value, Record.registration_date == past)).scalar()
                    history.append((y, n or 0))
                expected = round(sum(n for _, n in history) / len(history), 1) if history else None
                out.append(PeakDayView(day, name, source, expected, tuple(history)))
        return out

    def add(self, day: dt.date, name: str) -> PeakDayView:
        """A day the office expects to be busy (a local festival, a date of a lucky number)."""
        self.ctx.require(Permission.MANAGE_APPOINTMENTS)
        name = (name or "").strip()
        if not name or len(name) > 64 or not name.isprintable():
            raise Refused([Issue("PEAK_NAME_INVALID", "请填写高峰日名称（不超过64个字符）", "name")])
        with self.ctx.db.write() as s:
            row = s.get(PeakDay, day)
            if row is None:
                s.add(PeakDay(day=day, name=name, added_by=self.ctx.user.username))
            else:
                row.name = name
            audit.record(self.ctx, s, "peak_day.add", "peak_day", day.isoformat(), {"name": name})
        return next(v for v in self.for_year(day.year) if v.day == day and v.source == "office")
