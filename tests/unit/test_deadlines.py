"""Divorce cooling-off and collection window (CC 1077, 民发〔2020〕116号) and adoption review (AR 8).

Expected dates are literals worked out by hand from the State Council schedules as shipped in
chinese-calendar; each row says which holiday or weekend decides it.
"""
from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry_app.domain.deadlines import (
    AdoptionReviewDates,
    DivorceDeadlines,
    add_days_from_next_day,
    adoption_review_dates,
    divorce_deadlines,
)
from registry_app.domain.workdays import MissingSchedule, WorkdayCalendar, parse_schedule
from registry_app.errors import RegistryError

D = dt.date


@pytest.fixture(scope="module")
def calendar() -> WorkdayCalendar:
    return WorkdayCalendar.builtin()


@pytest.fixture(scope="module")
def up_to_2026() -> WorkdayCalendar:
    # pinned so these tests keep meaning the same once a package release ships 2027
    return WorkdayCalendar.from_schedules(s for s in WorkdayCalendar.builtin().schedules() if s.year <= 2026)


# An invented 2027 schedule, for tests only: NOT the official one.
FICTIONAL_2027_CSV = (
    "# source: 测试用虚构的2027年安排（非官方）\n"
    "date,kind,name\n"
    "2027-01-01,holiday,元旦\n2027-01-02,holiday,元旦\n2027-01-03,holiday,元旦\n"
    + "".join(f"2027-02-{d:02d},holiday,春节\n" for d in range(6, 13))
    + "2027-01-30,workday,春节调休上班\n"   # a Saturday
).encode()


@pytest.mark.parametrize(
    "start, days, end",
    [
        (D(2025, 9, 3), 30, D(2025, 10, 3)),
        (D(2024, 1, 30), 30, D(2024, 2, 29)),   # leap year
        (D(2023, 1, 30), 30, D(2023, 3, 1)),
        (D(2026, 12, 31), 1, D(2027, 1, 1)),    # one day: the next day is day 1 and the last day
    ],
)
def test_periods_are_counted_from_the_next_day(start, days, end):
    # CC 201: 按照年、月、日计算期间的，开始的当日不计入，自下一日开始计算
    assert add_days_from_next_day(start, days) == end


def test_a_period_has_at_least_one_day_and_stays_in_range():
    with pytest.raises(ValueError):
        add_days_from_next_day(D(2025, 1, 1), 0)
    with pytest.raises(RegistryError) as e:
        add_days_from_next_day(D(9999, 12, 20), 30)
    assert e.value.code == "DATE_OUT_OF_RANGE"


@pytest.mark.parametrize(
    "received, cooling_off_ends, window_opens, collect_by",
    [
        pytest.param(
            D(2025, 9, 3), D(2025, 10, 9), D(2025, 10, 10), D(2025, 11, 10),
            # day 30 = 10月3日, inside 国庆节+中秋节 2025 (10月1日–8日) → 10月9日;
            # collection day 30 = 11月8日 (Saturday) → 11月10日 (Monday)
            id="N116-last-day-in-2025-golden-week-rolls-past-it",
        ),
        pytest.param(
            D(2025, 9, 1), D(2025, 10, 9), D(2025, 10, 10), D(2025, 11, 10),
            id="N116-last-day-on-1-october-2025",
        ),
        pytest.param(
            D(2025, 9, 8), D(2025, 10, 9), D(2025, 10, 10), D(2025, 11, 10),
            id="N116-last-day-on-the-last-day-of-golden-week-2025",
        ),
        pytest.param(
            D(2025, 9, 11), D(2025, 10, 11), D(2025, 10, 12), D(2025, 11, 10),
            # day 30 = 2025-10-11, a Saturday that is 国庆节调休上班: a working day, no roll
            id="N116-make-up-saturday-is-a-working-day",
        ),
        pytest.param(
            D(2025, 8, 29), D(2025, 9, 28), D(2025, 9, 29), D(2025, 10, 28),
            # day 30 = 2025-09-28, a Sunday that is 国庆节调休上班: no roll
            id="N116-make-up-sunday-is-a-working-day",
        ),
        pytest.param(
            D(2025, 2, 14), D(2025, 3, 17), D(2025, 3, 18), D(2025, 4, 16),
            # day 30 = 2025-03-16, an ordinary Sunday → Monday 3月17日
            id="N116-ordinary-sunday-rolls-to-monday",
        ),
        pytest.param(
            D(2024, 12, 30), D(2025, 2, 5), D(2025, 2, 6), D(2025, 3, 7),
            # day 30 = 2025-01-29, 春节 2025 (1月28日–2月4日) → 2月5日
            id="N116-spring-festival-2025",
        ),
        pytest.param(
            D(2026, 1, 20), D(2026, 2, 24), D(2026, 2, 25), D(2026, 3, 26),
            # day 30 = 2026-02-19, 春节 2026 (2月15日–23日) → 2月24日
            id="N116-spring-festival-2026",
        ),
        pytest.param(
            D(2024, 1, 30), D(2024, 2, 29), D(2024, 3, 1), D(2024, 4, 1),
            # day 30 = 2024-02-29 (leap day, Thursday); collection day 30 = 3月30日 (Saturday) → 4月1日
            id="N116-receipt-before-leap-february",
        ),
        pytest.param(
            D(2024, 8, 2), D(2024, 9, 2), D(2024, 9, 3), D(2024, 10, 8),
            # day 30 = 2024-09-01 (Sunday) → 9月2日; collection day 30 = 10月2日, 国庆节 2024 (10月1日–7日) → 10月8日
            id="N116-collection-last-day-in-2024-golden-week",
        ),
        pytest.param(
            D(2026, 8, 20), D(2026, 9, 20), D(2026, 9, 21), D(2026, 10, 20),
            # day 30 = 2026-09-19 (Saturday) → 9月20日, a Sunday that is 国庆节调休上班
            id="N116-roll-lands-on-a-make-up-sunday",
        ),
        pytest.param(
            D(2025, 12, 2), D(2026, 1, 4), D(2026, 1, 5), D(2026, 2, 3),
            # day 30 = 2026-01-01, 元旦 2026 (1月1日–3日) → 1月4日, a Sunday that is 元旦调休上班
            id="N116-across-new-year-2026",
        ),
    ],
)
def test_divorce_deadlines(calendar, received, cooling_off_ends, window_opens, collect_by):
    d = divorce_deadlines(received, calendar)
    assert d == DivorceDeadlines(received, cooling_off_ends, window_opens, collect_by)


def test_to_dict_uses_iso_dates(calendar):
    assert divorce_deadlines(D(2025, 9, 3), calendar).to_dict() == {
        "received": "2025-09-03",
        "cooling_off_ends": "2025-10-09",
        "window_opens": "2025-10-10",
        "collect_by": "2025-11-10",
    }


@pytest.mark.parametrize(
    "day, phase",
    [
        (D(2025, 9, 2), "before_receipt"),
        (D(2025, 9, 3), "cooling_off"),     # day of receipt
        (D(2025, 10, 3), "cooling_off"),    # nominal day 30, in the holiday: withdrawal still possible
        (D(2025, 10, 9), "cooling_off"),    # rolled last day of the cooling-off (CC 1077: withdrawal within it)
        (D(2025, 10, 10), "window_open"),   # first day a certificate may be issued
        (D(2025, 11, 8), "window_open"),    # nominal collection day 30, a Saturday
        (D(2025, 11, 10), "window_open"),   # rolled last day to collect
        (D(2025, 11, 11), "expired"),       # CC 1077 para. 2: 未申请的，视为撤回离婚登记申请
    ],
)
def test_phase_on_each_boundary(calendar, day, phase):
    assert divorce_deadlines(D(2025, 9, 3), calendar).phase_on(day) == phase


@pytest.mark.parametrize(
    "received",
    [
        pytest.param(D(2026, 11, 15), id="collection-day-30-is-2027-01-14"),
        pytest.param(D(2026, 12, 1), id="cooling-off-ends-2026-12-31-collection-in-2027"),
        pytest.param(D(2026, 12, 10), id="cooling-off-day-30-is-2027-01-09"),
    ],
)
def test_deadline_in_a_year_not_loaded_is_refused_naming_the_year(up_to_2026, received):
    with pytest.raises(MissingSchedule) as e:
        divorce_deadlines(received, up_to_2026)
    assert e.value.year == 2027
    assert e.value.code == "CALENDAR_YEAR_MISSING"
    assert "2027年" in e.value.message and "导入" in e.value.message


@pytest.mark.parametrize(
    "received, expected",
    [
        # collection day 30 = 2027-01-14, a Thursday, not a day off in the test schedule
        (D(2026, 11, 15), (D(2026, 12, 15), D(2026, 12, 16), D(2027, 1, 14))),
        # collection day 30 = 2027-01-30, a Saturday the test schedule makes a working day
        (D(2026, 12, 1), (D(2026, 12, 31), D(2027, 1, 1), D(2027, 1, 30))),
        # day 30 = 2027-01-09 (Saturday) → 1月11日; collection day 30 = 2月10日, in the test 春节 (2月6日–12日)
        # → 2月13日 Saturday, 14日 Sunday → 2月15日
        (D(2026, 12, 10), (D(2027, 1, 11), D(2027, 1, 12), D(2027, 2, 15))),
    ],
)
def test_after_importing_2027_the_same_receipts_compute(up_to_2026, received, expected):
    calendar = up_to_2026.with_schedule(parse_schedule(FICTIONAL_2027_CSV, "2027-test.csv"))
    d = divorce_deadlines(received, calendar)
    assert (d.cooling_off_ends, d.window_opens, d.collect_by) == expected


def test_a_schedule_is_only_needed_for_the_days_actually_tested():
    # only 2025 loaded: receipt 2025-09-03 needs 10月3日–9日 and 11月8日–10日, all in 2025
    only_2025 = WorkdayCalendar.from_schedules([WorkdayCalendar.builtin().schedule(2025)])
    assert divorce_deadlines(D(2025, 9, 3), only_2025).collect_by == D(2025, 11, 10)


def test_other_period_lengths_are_a_parameter(calendar):
    d = divorce_deadlines(D(2025, 9, 3), calendar, cooling_off_days=10, collection_days=5)
    # day 10 = 9月13日 (Saturday) → 9月15日; +5 = 9月20日 (Saturday) → 9月22日
    assert (d.cooling_off_ends, d.collect_by) == (D(2025, 9, 15), D(2025, 9, 22))


@settings(max_examples=300)
@given(st.dates(min_value=D(2004, 1, 1), max_value=D(2026, 10, 1)))
def test_deadlines_properties(received):
    calendar = WorkdayCalendar.builtin()
    try:
        d = divorce_deadlines(received, calendar)
    except MissingSchedule as e:
        assert e.year == calendar.years()[-1] + 1
        return
    nominal = received + dt.timedelta(days=30)
    assert d.cooling_off_ends >= nominal and calendar.is_workday(d.cooling_off_ends)
    # every day skipped by the roll was a day off
    skipped = (nominal + dt.timedelta(days=i) for i in range((d.cooling_off_ends - nominal).days))
    assert not any(calendar.is_workday(x) for x in skipped)
    assert d.window_opens == d.cooling_off_ends + dt.timedelta(days=1)
    assert d.collect_by >= d.cooling_off_ends + dt.timedelta(days=30) and calendar.is_workday(d.collect_by)
    assert [d.phase_on(x) for x in (received, d.cooling_off_ends, d.window_opens, d.collect_by)] == [
        "cooling_off", "cooling_off", "window_open", "window_open",
    ]


@pytest.mark.parametrize(
    "accepted, parents_unknown, notice_ends, review_ends",
    [
        # AR 8: 自次日起30日内进行审查
        pytest.param(D(2025, 7, 1), False, None, D(2025, 7, 31), id="AR8-review-30-days"),
        # AR 8: 公告…自公告之日起满60日; 公告期间不计算在登记办理期限内
        pytest.param(D(2025, 7, 1), True, D(2025, 8, 30), D(2025, 9, 29), id="AR8-notice-60-then-review-30"),
        pytest.param(D(2024, 1, 30), True, D(2024, 3, 30), D(2024, 4, 29), id="AR8-notice-across-leap-february"),
        # natural days: a last day in Golden Week is not moved
        pytest.param(D(2025, 9, 1), False, None, D(2025, 10, 1), id="AR8-natural-days-no-roll"),
    ],
)
def test_adoption_review_dates(accepted, parents_unknown, notice_ends, review_ends):
    assert adoption_review_dates(accepted, parents_unknown) == AdoptionReviewDates(accepted, notice_ends, review_ends)


def test_adoption_roll_is_an_explicit_option(calendar):
    r = adoption_review_dates(D(2025, 7, 1), True, roll_to_workday=True, calendar=calendar)
    # notice day 60 = 8月30日 (Saturday) → 9月1日; review day 30 = 10月1日, 国庆节 2025 → 10月9日
    assert (r.notice_ends, r.review_ends) == (D(2025, 9, 1), D(2025, 10, 9))
    assert r.to_dict() == {"accepted": "2025-07-01", "notice_ends": "2025-09-01", "review_ends": "2025-10-09"}
    with pytest.raises(ValueError):
        adoption_review_dates(D(2025, 7, 1), True, roll_to_workday=True)
