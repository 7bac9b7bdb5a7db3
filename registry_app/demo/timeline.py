"""When a county office registers: working days by the State Council schedule (weekday rule where no
schedule is loaded), 5·20, Qixi and Valentine's Day busier, seasonal swings. Feeds the demo timeline."""
from __future__ import annotations

import datetime as dt

from registry_app.domain.workdays import MissingSchedule, WorkdayCalendar


def _is_workday(day: dt.date) -> bool:
    try:
        return WorkdayCalendar.builtin().is_workday(day)
    except MissingSchedule:
        return day.weekday() < 5


def _qixi(year: int) -> dt.date | None:
    try:
        from lunar_python import Lunar

        s = Lunar.fromYmd(year, 7, 7).getSolar()
        return dt.date(s.getYear(), s.getMonth(), s.getDay())
    except Exception:  # noqa: BLE001 — a missing lunar table only loses a busy day
        return None


def registration_days(start: dt.date, until: dt.date) -> list[tuple[int, float]]:
    """(ordinal, relative weight) of the days the office registers marriages: working days, plus 5·20
    and Qixi whatever the weekday (offices open specially), busier before Spring Festival and in October."""
    special: dict[dt.date, float] = {}
    for year in range(start.year, until.year + 1):
        special[dt.date(year, 5, 20)] = 5.0
        special[dt.date(year, 2, 14)] = 2.0
        q = _qixi(year)
        if q:
            special[q] = 4.0
    month_weight = {1: 1.3, 2: 0.8, 3: 1.0, 4: 1.0, 5: 1.1, 6: 0.9, 7: 0.9, 8: 1.0, 9: 1.1, 10: 1.3, 11: 1.0,
                    12: 1.1}
    out = []
    day = start
    one = dt.timedelta(days=1)
    while day <= until:
        w = special.get(day)
        if w is None and _is_workday(day):
            w = 1.0
        if w:
            out.append((day.toordinal(), w * month_weight[day.month]))
        day += one
    return out
