"""The working-day calendar: the shipped official schedules, and the file an administrator imports."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry_app.domain.workdays import (
    MissingSchedule,
    WorkdayCalendar,
    YearSchedule,
    parse_schedule,
)
from registry_app.errors import RegistryError
from registry_app.resources import resources_dir

D = dt.date


@pytest.fixture(scope="module")
def builtin() -> WorkdayCalendar:
    return WorkdayCalendar.builtin()


def codes(exc: RegistryError) -> list[str]:
    return [i.code for i in exc.issues]


# --- the shipped schedules ------------------------------------------------------------------------

@pytest.mark.parametrize(
    "day, workday",
    [
        (D(2025, 10, 1), False),   # 国庆节 2025 (国办发明电〔2024〕12号): 10月1日至8日放假
        (D(2025, 10, 8), False),   # last day of that break
        (D(2025, 10, 9), True),    # first working day after it
        (D(2025, 9, 28), True),    # Sunday, 国庆节调休上班
        (D(2025, 10, 11), True),   # Saturday, 国庆节调休上班
        (D(2025, 1, 1), False),    # 元旦
        (D(2025, 1, 29), False),   # 春节 2025: 1月28日至2月4日
        (D(2025, 1, 26), True),    # Sunday, 春节调休上班
        (D(2024, 2, 18), True),    # Sunday, 2024 春节调休上班
        (D(2024, 2, 29), True),    # leap day, an ordinary Thursday
        (D(2025, 3, 15), False),   # ordinary Saturday
        (D(2025, 3, 16), False),   # ordinary Sunday
        (D(2025, 3, 17), True),    # ordinary Monday
    ],
)
def test_builtin_schedule_knows_well_known_days(builtin, day, workday):
    assert builtin.is_workday(day) is workday


def test_builtin_covers_a_contiguous_run_of_years_including_2026(builtin):
    years = builtin.years()
    assert years == list(range(years[0], years[-1] + 1))
    # the deadline tables below use 2026 (国办发明电〔2025〕7号), first shipped in chinese-calendar 1.11
    assert 2025 in years and 2026 in years
    assert builtin.schedule(2026).source.startswith("chinese-calendar")


def test_builtin_refuses_the_year_after_its_last(builtin):
    after = builtin.years()[-1] + 1
    with pytest.raises(MissingSchedule) as e:
        builtin.is_workday(D(after, 1, 4))
    assert e.value.year == after
    assert e.value.code == "CALENDAR_YEAR_MISSING"
    assert f"{after}年" in e.value.message


@settings(max_examples=300)
@given(st.dates(min_value=D(2004, 1, 1), max_value=D(2026, 12, 31)))
def test_is_workday_agrees_with_the_package_itself(day):
    assert WorkdayCalendar.builtin().is_workday(day) == chinese_calendar.is_workday(day)


def test_datetime_is_treated_as_its_date(builtin):
    assert builtin.is_workday(dt.datetime(2025, 10, 1, 9, 30)) is False
    assert builtin.next_workday_on_or_after(dt.datetime(2025, 10, 1, 9, 30)) == D(2025, 10, 9)


@pytest.mark.parametrize(
    "day, expected",
    [
        (D(2025, 10, 9), D(2025, 10, 9)),    # already a working day
        (D(2025, 10, 1), D(2025, 10, 9)),    # 国庆节 2025 runs to 10月8日
        (D(2025, 10, 11), D(2025, 10, 11)),  # make-up Saturday stays
        (D(2025, 3, 15), D(2025, 3, 17)),    # ordinary weekend → Monday
        (D(2026, 2, 15), D(2026, 2, 24)),    # 春节 2026: 2月15日至23日
    ],
)
def test_next_workday_on_or_after(builtin, day, expected):
    assert builtin.next_workday_on_or_after(day) == expected


def test_next_workday_raises_when_the_search_leaves_the_loaded_years():
    only_2026 = WorkdayCalendar.from_schedules([WorkdayCalendar.builtin().schedule(2026)])
    # 2026-12-31 is a Thursday and a working day; 2027-01-02 is not known
    assert only_2026.next_workday_on_or_after(D(2026, 12, 31)) == D(2026, 12, 31)
    with pytest.raises(MissingSchedule) as e:
        only_2026.next_workday_on_or_after(D(2027, 1, 2))
    assert e.value.year == 2027
    empty = WorkdayCalendar({})
    assert empty.years() == [] and not empty.has_year(2026)


def test_with_schedule_adds_or_replaces_a_year_without_touching_the_original(builtin):
    first = YearSchedule.create(2099, {D(2099, 1, 1)}, set(), "第一次导入")
    second = YearSchedule.create(2099, {D(2099, 1, 1), D(2099, 1, 2)}, {D(2099, 1, 3)}, "更正后重新导入")
    cal1 = builtin.with_schedule(first)
    cal2 = cal1.with_schedule(second)
    assert not builtin.has_year(2099)
    assert cal1.schedule(2099).source == "第一次导入" and cal1.is_workday(D(2099, 1, 2))
    assert cal2.schedule(2099).source == "更正后重新导入"
    assert not cal2.is_workday(D(2099, 1, 2))
    assert cal2.is_workday(D(2099, 1, 3))  # Saturday made a working day
    # from_schedules: the later one for a year wins as well
    assert WorkdayCalendar.from_schedules([first, second]).schedule(2099) == second


@pytest.mark.parametrize(
    "year, holidays, workdays, code",
    [
        (2099, {D(2098, 12, 31)}, set(), "CALENDAR_DATE_OTHER_YEAR"),
        (2099, {D(2099, 1, 3)}, {D(2099, 1, 3)}, "CALENDAR_DATE_CONFLICT"),
        (2099, {D(2099, 1, 1)}, {D(2099, 1, 5)}, "CALENDAR_WORKDAY_NOT_WEEKEND"),  # a Monday
        (99, {D(2099, 1, 1)}, set(), "CALENDAR_YEAR_INVALID"),
        (2099, {dt.datetime(2099, 1, 1)}, set(), "CALENDAR_DATE_INVALID"),
    ],
)
def test_year_schedule_refuses_inconsistent_sets(year, holidays, workdays, code):
    with pytest.raises(RegistryError) as e:
        YearSchedule.create(year, holidays, workdays, "test")
    assert code in codes(e.value)


# --- the import file ------------------------------------------------------------------------------

def _json(year=2027, holidays=None, workdays=None, **extra) -> bytes:
    doc = {
        "format": "registry-holiday-schedule",
        "version": 1,
        "year": year,
        "source": "测试用虚构安排",
        "holidays": holidays if holidays is not None else [{"date": "2027-01-01", "name": "元旦"}],
        "workdays": workdays if workdays is not None else [],
        **extra,
    }
    return json.dumps(doc, ensure_ascii=False).encode()


def test_json_file_is_read():
    s = parse_schedule(
        _json(
            holidays=[{"date": "2027-01-01", "name": "元旦"}, {"date": "2027-01-02"}, {"date": "2027/1/3"}],
            workdays=[{"date": "2027-01-09", "name": "调休"}],
        ),
        "2027.json",
    )
    assert s == YearSchedule(
        2027, frozenset({D(2027, 1, 1), D(2027, 1, 2), D(2027, 1, 3)}), frozenset({D(2027, 1, 9)}), "测试用虚构安排"
    )


def test_csv_file_is_read_with_bom_comments_and_source():
    text = (
        "\ufeff# source: 测试用虚构安排\n"
        "date,kind,name\n"
        "2027-01-01,holiday,元旦\n"
        "\n"
        "2027-01-02,休,元旦\n"
        "2027-01-09,workday,调休\n"
        "2027-01-10,班\n"
    )
    s = parse_schedule(text.encode("utf-8"), "2027.csv")
    assert s.year == 2027 and s.source == "测试用虚构安排"
    assert s.holidays == {D(2027, 1, 1), D(2027, 1, 2)}
    assert s.workdays == {D(2027, 1, 9), D(2027, 1, 10)}


def test_csv_saved_by_chinese_excel_in_gbk_is_read():
    text = "date,kind,name\r\n2027/1/1,holiday,元旦\r\n2027/1/9,workday,春节调休上班\r\n"
    s = parse_schedule(text.encode("gbk"), "节假日.csv")
    assert s.holidays == {D(2027, 1, 1)} and s.workdays == {D(2027, 1, 9)}
    assert "节假日.csv" in s.source  # no "# source:" line: the file name is recorded


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_a_shipped_year_survives_a_round_trip_through_the_file_format(builtin, fmt):
    real = builtin.schedule(2025)
    if fmt == "json":
        data = _json(
            year=2025,
            holidays=[{"date": d.isoformat()} for d in sorted(real.holidays)],
            workdays=[{"date": d.isoformat()} for d in sorted(real.workdays)],
        )
    else:
        out = io.StringIO()
        w = csv.writer(out)
        w.writerow(["date", "kind", "name"])
        w.writerows([d.isoformat(), "holiday", ""] for d in sorted(real.holidays))
        w.writerows([d.isoformat(), "workday", ""] for d in sorted(real.workdays))
        data = out.getvalue().encode()
    parsed = parse_schedule(data, f"2025.{fmt}")
    assert (parsed.holidays, parsed.workdays) == (real.holidays, real.workdays)


@pytest.mark.parametrize(
    "data, filename, code, in_message",
    [
        (b"", "x.json", "CALENDAR_EMPTY", "空"),
        (b"{not json", "x.json", "CALENDAR_FILE_FORMAT", "第1行"),
        (b"[]", "x.json", "CALENDAR_FILE_FORMAT", "registry-holiday-schedule"),
        (json.dumps({"format": "other"}).encode(), "x.json", "CALENDAR_FILE_FORMAT", "registry-holiday-schedule"),
        (_json(version=2), "x.json", "CALENDAR_FILE_VERSION", "2"),
        (_json(year="2027"), "x.json", "CALENDAR_YEAR_INVALID", "2027"),
        (_json(year=True), "x.json", "CALENDAR_YEAR_INVALID", "True"),
        (_json(source=""), "x.json", "CALENDAR_SOURCE_MISSING", "出处"),
        (_json(workday=[]), "x.json", "CALENDAR_FILE_FORMAT", "workday"),  # misspelt key
        (_json(holidays={"date": "2027-01-01"}), "x.json", "CALENDAR_FILE_FORMAT", "holidays"),
        (_json(holidays=["2027-01-01"]), "x.json", "CALENDAR_FILE_FORMAT", "holidays 第1项"),
        (_json(holidays=[{"date": "2027-01-01", "day": 1}]), "x.json", "CALENDAR_FILE_FORMAT", "day"),
        (_json(holidays=[]), "x.json", "CALENDAR_EMPTY", "2027"),
        (_json(holidays=[{"date": "2027-02-29"}]), "x.json", "CALENDAR_DATE_INVALID", "2027-02-29"),
        (_json(holidays=[{"date": 20270101}]), "x.json", "CALENDAR_DATE_INVALID", "20270101"),
        (_json(holidays=[{"date": "2026-12-31"}]), "x.json", "CALENDAR_DATE_OTHER_YEAR", "2026年12月31日"),
        (
            _json(holidays=[{"date": "2027-01-01"}, {"date": "2027-01-01"}]),
            "x.json", "CALENDAR_DATE_DUPLICATE", "holidays 第2项",
        ),
        (
            _json(holidays=[{"date": "2027-01-09"}], workdays=[{"date": "2027-01-09"}]),
            "x.json", "CALENDAR_DATE_CONFLICT", "2027年1月9日",
        ),
        (
            _json(workdays=[{"date": "2027-01-04"}]),  # a Monday
            "x.json", "CALENDAR_WORKDAY_NOT_WEEKEND", "星期一",
        ),
        (b"date,kind\n2027-01-01,holiday\n", "x.csv", "CALENDAR_FILE_FORMAT", "date,kind,name"),
        (b"# only a comment\n", "x.csv", "CALENDAR_EMPTY", "x.csv"),
        (b"date,kind,name\n", "x.csv", "CALENDAR_EMPTY", "x.csv"),
        (b"date,kind,name\n2027-01-01,off,x\n", "x.csv", "CALENDAR_KIND_INVALID", "第2行"),
        (b"date,kind,name\n2027-01-01,holiday,x,y\n", "x.csv", "CALENDAR_FILE_FORMAT", "第2行"),
        (b"date,kind,name\n2027-01-01,holiday,\n2027-13-01,holiday,\n", "x.csv", "CALENDAR_DATE_INVALID", "第3行"),
        (b"date,kind,name\n2027-01-01,holiday,\n2028-01-01,holiday,\n", "x.csv", "CALENDAR_DATE_OTHER_YEAR", "第3行"),
        (b"date,kind,name\n2027-01-09,workday,\n", "x.csv", "CALENDAR_EMPTY", "放假日"),
        (b"date,kind,name\n0001-01-01,holiday,\n", "x.csv", "CALENDAR_YEAR_INVALID", "1"),
        (b"date,kind,name\n1.1.2027,holiday,\n", "x.csv", "CALENDAR_DATE_INVALID", "第2行"),
        (json.dumps({"format": "registry-holiday-schedule", "version": 1, "source": "x",
                     "holidays": [{"date": "2027-01-01"}]}).encode(), "x.json", "CALENDAR_YEAR_INVALID", "year"),
        (b"\xff\xfe\x00\x00", "x.csv", "CALENDAR_FILE_FORMAT", "编码"),
        (b" " * 300_000, "x.csv", "CALENDAR_FILE_FORMAT", "过大"),
    ],
)
def test_bad_files_are_refused_with_a_code_and_a_message_naming_the_place(data, filename, code, in_message):
    with pytest.raises(RegistryError) as e:
        parse_schedule(data, filename)
    assert code in codes(e.value)
    assert in_message in e.value.message


def test_every_problem_in_a_file_is_listed_at_once():
    data = (
        "date,kind,name\n"
        "2027-01-01,holiday,元旦\n"
        "2027-01-32,holiday,坏日期\n"
        "2027-01-04,workday,周一\n"
        "2027-01-01,workday,冲突\n"
    ).encode()
    with pytest.raises(RegistryError) as e:
        parse_schedule(data, "x.csv")
    assert codes(e.value) == ["CALENDAR_DATE_INVALID", "CALENDAR_WORKDAY_NOT_WEEKEND", "CALENDAR_DATE_CONFLICT"]
    messages = [i.message for i in e.value.issues]
    assert messages[0].startswith("第3行") and messages[1].startswith("第4行") and messages[2].startswith("第5行")


@pytest.mark.parametrize("name", ["example-schedule.json", "example-schedule.csv"])
def test_shipped_examples_parse_and_say_they_are_examples(name):
    path = resources_dir() / "calendars" / name
    s = parse_schedule(path.read_bytes(), name)
    assert s.year == 2099  # far from any real deadline, so importing it by mistake changes nothing
    assert "示例" in s.source and "EXAMPLE" in s.source


@settings(max_examples=400)
@given(data=st.binary(max_size=2000), filename=st.sampled_from(["a.json", "a.csv", "a.txt", "A.JSON"]))
def test_arbitrary_bytes_only_ever_raise_registry_error(data, filename):
    try:
        parse_schedule(data, filename)
    except RegistryError:
        pass


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
_entry = st.fixed_dictionaries(
    {"date": st.one_of(st.dates(min_value=D(2026, 12, 1), max_value=D(2028, 1, 31)).map(str), _json_values)},
    optional={"name": _json_values},
)


@settings(max_examples=400)
@given(
    year=st.one_of(st.just(2027), _json_values),
    version=st.one_of(st.just(1), _json_values),
    source=st.one_of(st.just("来源"), _json_values),
    holidays=st.one_of(st.lists(_entry, max_size=6), _json_values),
    workdays=st.one_of(st.lists(_entry, max_size=4), _json_values),
)
def test_almost_right_json_only_ever_raises_registry_error(year, version, source, holidays, workdays):
    doc = {
        "format": "registry-holiday-schedule", "version": version, "year": year, "source": source,
        "holidays": holidays, "workdays": workdays,
    }
    try:
        s = parse_schedule(json.dumps(doc).encode(), "x.json")
    except RegistryError:
        return
    # whatever got through is a consistent schedule of the stated year
    assert s.year == 2027 and all(d.year == 2027 for d in s.holidays | s.workdays)
    assert all(d.weekday() >= 5 for d in s.workdays) and not (s.holidays & s.workdays)


@settings(max_examples=300)
@given(
    st.lists(
        st.tuples(
            st.one_of(st.dates(min_value=D(2027, 1, 1), max_value=D(2027, 12, 31)).map(str), st.text(max_size=12)),
            st.sampled_from(["holiday", "workday", "休", "班", "", "x"]),
            st.text(max_size=8),
        ),
        max_size=8,
    )
)
def test_almost_right_csv_only_ever_raises_registry_error(rows):
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["date", "kind", "name"])
    w.writerows(rows)
    try:
        parse_schedule(out.getvalue().encode(), "x.csv")
    except RegistryError:
        pass
