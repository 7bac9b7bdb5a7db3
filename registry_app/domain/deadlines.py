"""Deadlines of divorce by agreement and of adoption registration.

Periods in days follow Civil Code arts. 201 and 203: the day the period starts is not counted
(counting begins the next day), and a period whose last day is a statutory day off ends on the
first day after the day off instead. The working-day question goes to a WorkdayCalendar, which
refuses (MissingSchedule) rather than guess for a year whose official schedule is not loaded.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from registry_app.domain.states import DivorcePhase
from registry_app.domain.workdays import WorkdayCalendar
from registry_app.errors import RegistryError

COOLING_OFF_DAYS = 30   # CC 1077 para. 1
COLLECTION_DAYS = 30    # CC 1077 para. 2
ADOPTION_NOTICE_DAYS = 60   # AR 8: public search for the birth parents
ADOPTION_REVIEW_DAYS = 30   # AR 8: review of the application

# DivorcePhase's values; a day before receipt is in none of an application's phases
PHASE_BEFORE_RECEIPT = "before_receipt"
PHASE_COOLING_OFF = DivorcePhase.COOLING_OFF.value
PHASE_WINDOW_OPEN = DivorcePhase.WINDOW_OPEN.value
PHASE_EXPIRED = DivorcePhase.EXPIRED.value


def add_days_from_next_day(start: dt.date, days: int) -> dt.date:
    """Last day of a period of `days` days "counted from the day after" `start` (CC 201)."""
    if days < 1:
        raise ValueError("a period has at least one day")
    try:
        return start + dt.timedelta(days=days)
    except OverflowError:
        raise RegistryError(f"日期{start.isoformat()}之后{days}日超出可计算的范围", "DATE_OUT_OF_RANGE") from None


@dataclass(frozen=True)
class DivorceDeadlines:
    received: dt.date          # the office received the application (受理)
    cooling_off_ends: dt.date  # last day of the cooling-off; either party may still withdraw on it
    window_opens: dt.date      # first day the certificates may be issued
    collect_by: dt.date        # last day both parties may come to collect; after it: deemed withdrawn

    def phase_on(self, day: dt.date) -> str:
        if day < self.received:
            return PHASE_BEFORE_RECEIPT
        if day <= self.cooling_off_ends:
            return PHASE_COOLING_OFF
        if day <= self.collect_by:
            return PHASE_WINDOW_OPEN
        return PHASE_EXPIRED

    def to_dict(self) -> dict:
        return {
            "received": self.received.isoformat(),
            "cooling_off_ends": self.cooling_off_ends.isoformat(),
            "window_opens": self.window_opens.isoformat(),
            "collect_by": self.collect_by.isoformat(),
        }

    @classmethod
    def from_dict(cls, d: dict) -> "DivorceDeadlines":
        return cls(*(dt.date.fromisoformat(d[k]) for k in ("received", "cooling_off_ends", "window_opens", "collect_by")))


def divorce_deadlines(
    received: dt.date,
    calendar: WorkdayCalendar,
    cooling_off_days: int = COOLING_OFF_DAYS,
    collection_days: int = COLLECTION_DAYS,
) -> DivorceDeadlines:
    """The cooling-off and the collection window for an application received on `received`.

    N116 (民发〔2020〕116号): the 30 days run "自婚姻登记机关收到离婚登记申请之日的次日开始计算期间，
    期间的最后一日是法定节假日的，以法定节假日结束的次日为期间的最后一日"; the collection window is
    the 30 days "自冷静期届满日的次日开始计算期间，期间的最后一日是法定节假日的，以节假日后的第一个
    工作日为期间的最后一日". Weekends are days off too, unless the schedule makes them working days.

    Raises MissingSchedule (naming the year) when a day that must be checked falls in a year the
    calendar does not hold.
    """
    cooling_off_ends = calendar.next_workday_on_or_after(add_days_from_next_day(received, cooling_off_days))
    collect_by = calendar.next_workday_on_or_after(add_days_from_next_day(cooling_off_ends, collection_days))
    return DivorceDeadlines(
        received=received,
        cooling_off_ends=cooling_off_ends,
        window_opens=cooling_off_ends + dt.timedelta(days=1),
        collect_by=collect_by,
    )


@dataclass(frozen=True)
class AdoptionReviewDates:
    accepted: dt.date
    notice_ends: dt.date | None  # last day of the public search notice; None when no notice is due
    review_ends: dt.date         # last day for the office to decide

    def to_dict(self) -> dict:
        return {
            "accepted": self.accepted.isoformat(),
            "notice_ends": self.notice_ends.isoformat() if self.notice_ends else None,
            "review_ends": self.review_ends.isoformat(),
        }


def adoption_review_dates(
    accepted: dt.date,
    parents_unknown: bool,
    *,
    roll_to_workday: bool = False,
    calendar: WorkdayCalendar | None = None,
) -> AdoptionReviewDates:
    """AR art. 8: review "自次日起30日内"; for a child whose parents cannot be found the office first
    publishes a notice, "自公告之日起满60日" without a claim, and "公告期间不计算在登记办理期限内", so the
    30 days run from the day after the notice ends. The notice is taken to be published on the day
    of acceptance.

    The Measures count natural (calendar) days and say nothing of rolling a last day that is a day
    off; that is not verified either way, so the CC 203 roll is a flag that stays off by default.
    """
    if roll_to_workday and calendar is None:
        raise ValueError("roll_to_workday needs a calendar")

    def last_day(start: dt.date, days: int) -> dt.date:
        end = add_days_from_next_day(start, days)
        return calendar.next_workday_on_or_after(end) if roll_to_workday and calendar else end

    notice_ends = last_day(accepted, ADOPTION_NOTICE_DAYS) if parents_unknown else None
    review_ends = last_day(notice_ends or accepted, ADOPTION_REVIEW_DAYS)
    return AdoptionReviewDates(accepted, notice_ends, review_ends)
