"""Divorce cooling-off (离婚冷静期) arithmetic: Civil Code art. 1077 and 民发〔2020〕116号.

- Cooling-off: 30 days counted from the day after the office received the application; a last day that
  is not a working day moves to the first working day after it. Either party may withdraw until then.
- Collection window: the 30 days after the cooling-off ends, counted the same way (the day after the
  cooling-off's last day is day 1), last day rolled likewise. Not collected by then: deemed withdrawn."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from registry_app.domain.holidays import WorkdayCalendar

COOLING_OFF_DAYS = 30
COLLECTION_DAYS = 30


@dataclass(frozen=True)
class DivorceDeadlines:
    received: dt.date
    cooling_off_ends: dt.date
    window_opens: dt.date
    collect_by: dt.date

    def phase_on(self, day: dt.date) -> str:
        if day < self.received:
            return "before_receipt"
        if day <= self.cooling_off_ends:
            return "cooling_off"
        if day <= self.collect_by:
            return "window_open"
        return "expired"

    def to_dict(self) -> dict:
        return {"received": self.received.isoformat(), "cooling_off_ends": self.cooling_off_ends.isoformat(),
                "window_opens": self.window_opens.isoformat(), "collect_by": self.collect_by.isoformat()}

    @classmethod
    def from_dict(cls, d: dict) -> "DivorceDeadlines":
        return cls(*(dt.date.fromisoformat(d[k]) for k in ("received", "cooling_off_ends", "window_opens", "collect_by")))


def period_end(start: dt.date, days: int, calendar: WorkdayCalendar) -> dt.date:
    """Last day of a period of `days` counted from the day after `start`, rolled to a working day."""
    return calendar.next_workday_on_or_after(start + dt.timedelta(days=days))


def divorce_deadlines(received: dt.date, calendar: WorkdayCalendar,
                      cooling_off_days: int = COOLING_OFF_DAYS, collection_days: int = COLLECTION_DAYS) -> DivorceDeadlines:
    ends = period_end(received, cooling_off_days, calendar)
    collect_by = period_end(ends, collection_days, calendar)
    return DivorceDeadlines(received, ends, ends + dt.timedelta(days=1), collect_by)
