"""Cooling-off arithmetic (CC 1077, 民发〔2020〕116号) over the official State Council schedules."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry_app.domain.divorce_deadlines import divorce_deadlines
from registry_app.domain.holidays import MissingSchedule, WorkdayCalendar, parse_schedule
from registry_app.errors import RegistryError

D = dt.date
CAL = WorkdayCalendar.builtin()


def test_package_schedule_matches_known_official_dates():
    assert not CAL.is_workday(D(2025, 10, 1))    # National Day
    assert CAL.is_workday(D(2025, 9, 28))        # Sunday, make-up working day for Golden Week
    assert CAL.is_workday(D(2026, 2, 14))        # Saturday, make-up working day for Spring Festival
    assert not CAL.is_workday(D(2026, 2, 17))    # Spring Festival


@pytest.mark.parametrize(
    "received, cooling_off_ends, collect_by",
    [
        # day 30 = 2025-10-01, National Day holiday 1–8 Oct: rolls to Thursday 9 Oct;
        # collection day 30 = Saturday 8 Nov: rolls to Monday 10 Nov
        (D(2025, 9, 1), D(2025, 10, 9), D(2025, 11, 10)),
        # day 30 = Sunday 28 Sep 2025, a make-up WORKING day: does not roll
        (D(2025, 8, 29), D(2025, 9, 28), D(2025, 10, 28)),
        # day 30 = Saturday 14 Feb 2026, a make-up working day; collection day 30 = 16 Mar
        (D(2026, 1, 15), D(2026, 2, 14), D(2026, 3, 16)),
        # year end: cooling-off crosses into 2026; collection day 30 = 18 Feb 2026, Spring Festival -> 24 Feb
        (D(2025, 12, 20), D(2026, 1, 19), D(2026, 2, 24)),
        # leap year: 30 Jan 2024 + 30 days = 29 Feb 2024 (Thursday)
        (D(2024, 1, 30), D(2024, 2, 29), D(2024, 4, 1)),
        # an ordinary Sunday rolls to Monday: 2026-06-14 is a Sunday -> 15 June
        (D(2026, 5, 15), D(2026, 6, 15), D(2026, 7, 15)),
        (D(2026, 11, 1), D(2026, 12, 1), D(2026, 12, 31)),
    ],
)
def test_deadlines_table(received, cooling_off_ends, collect_by):
    d = divorce_deadlines(received, CAL)
    assert (d.cooling_off_ends, d.collect_by) == (cooling_off_ends, collect_by)
    assert d.window_opens == cooling_off_ends + dt.timedelta(days=1)
    assert d.phase_on(received) == "cooling_off"
    assert d.phase_on(cooling_off_ends) == "cooling_off"
    assert d.phase_on(d.window_opens) == "window_open"
    assert d.phase_on(collect_by) == "window_open"
    assert d.phase_on(collect_by + dt.timedelta(days=1)) == "expired"


def test_missing_year_is_refused_naming_it_then_computed_after_import():
    with pytest.raises(MissingSchedule) as err:
        divorce_deadlines(D(2026, 12, 10), CAL)
    assert err.value.year == 2027 and "2027" in err.value.message
    schedule = {"format": "registry-holiday-schedule", "version": 1, "year": 2027, "source": "测试用安排",
                "holidays": [{"date": "2027-01-01", "name": "元旦"}, {"date": "2027-02-08"}],
                "workdays": [{"date": "2027-02-06"}]}
    cal = CAL.with_schedule(parse_schedule(json.dumps(schedule).encode(), "2027.json"))
    d = divorce_deadlines(D(2026, 12, 10), cal)
    assert d.cooling_off_ends == D(2027, 1, 11)  # 9 Jan is a Saturday -> Monday 11 Jan
    assert d.collect_by == D(2027, 2, 10)


def test_csv_schedule_and_bad_files():
    csv_text = "date,kind,name\n2027-01-01,holiday,元旦\n2027-02-06,workday,春节调休\n"
    s = parse_schedule(csv_text.encode(), "2027.csv")
    assert s.year == 2027 and D(2027, 2, 6) in s.workdays
    for bad, code in [
        (b"date,kind\n2027-13-01,holiday\n", "CALENDAR_DATE_INVALID"),
        (b"date,kind\n2027-01-04,workday\n2027-01-01,holiday\n", "CALENDAR_WORKDAY_NOT_WEEKEND"),
        (b"date,kind\n2027-01-01,holiday\n2028-01-01,holiday\n", "CALENDAR_DATE_OTHER_YEAR"),
        (b"{\"format\": \"x\"}", "CALENDAR_FILE_FORMAT"),
        (b"date,kind\n", "CALENDAR_EMPTY"),
    ]:
        with pytest.raises(RegistryError) as err:
            parse_schedule(bad, "f.csv" if not bad.startswith(b"{") else "f.json")
        assert err.value.code == code


@given(st.binary(max_size=200), st.sampled_from(["a.json", "a.csv"]))
def test_arbitrary_bytes_only_raise_coded_errors(data, name):
    try:
        parse_schedule(data, name)
    except RegistryError as exc:
        assert exc.code.startswith("CALENDAR_")
