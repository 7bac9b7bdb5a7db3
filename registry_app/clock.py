"""Clocks: "today" and "now" come from an object passed in, so deadlines are testable.

One clock for casework: the system's own. An override (`--date`) is accepted only on a training
database (see services/clock_guard.py); the account lockout never reads an override (`wall()`)."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

CHINA_TZ = ZoneInfo("Asia/Shanghai")


class Clock:
    """Wall clock in China Standard Time (registration dates are Beijing dates)."""

    #: True for the system's own clock; an override is accepted only on a training database.
    is_system = True

    def now(self) -> dt.datetime:
        return dt.datetime.now(CHINA_TZ)

    def today(self) -> dt.date:
        return self.now().date()

    def wall(self) -> dt.datetime:
        """The time security decisions read (account lockout): for the system clock, now()."""
        return self.now()


class FixedClock(Clock):
    """A clock that says what it is told; tests use it (the whole world runs on it, the lockout too)."""

    is_system = False

    def __init__(self, when: dt.datetime | dt.date):
        if isinstance(when, dt.datetime):
            self._now = when if when.tzinfo else when.replace(tzinfo=CHINA_TZ)
        else:
            self._now = dt.datetime.combine(when, dt.time(9, 30), CHINA_TZ)

    def now(self) -> dt.datetime:
        return self._now

    def wall(self) -> dt.datetime:
        return self._now

    def advance(self, **delta) -> None:
        self._now = self._now + dt.timedelta(**delta)

    def set(self, when: dt.datetime | dt.date) -> None:
        self.__init__(when)


class TrainingClock(FixedClock):
    """`--date` on a training database: casework sees the day given, but the lockout keeps reading
    the system clock, so typing another date never unlocks an account."""

    def wall(self) -> dt.datetime:
        return dt.datetime.now(CHINA_TZ)
