"""The State Council's holiday notice read as published: the real notices for 2024–2026 give exactly the
working days the official package ships, each line form is read, and a typo is refused by line."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry_app.domain.holiday_notice import (
    looks_like_notice,
    parse_notice,
    read_schedule,
)
from registry_app.domain.workdays import WorkdayCalendar, parse_schedule
from registry_app.errors import RegistryError

NOTICES = Path(__file__).parent / "notices"
D = dt.date


def notice(year: int) -> str:
    return (NOTICES / f"notice-{year}.txt").read_text(encoding="utf-8")


def days_of(parsed, kind: str, name: str | None = None) -> list[dt.date]:
    return [d.day for d in parsed.days if d.kind == kind and (name is None or d.name == name) and d.in_year]


@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_a_real_notice_gives_the_official_working_days_of_its_year(year):
    parsed = parse_notice(notice(year))
    official = WorkdayCalendar.builtin()
    pasted = WorkdayCalendar.from_schedules([parsed.schedule])
    day = D(year, 1, 1)
    while day.year == year:
        assert pasted.is_workday(day) == official.is_workday(day), day
        day += dt.timedelta(days=1)
    assert parsed.year == year
    assert parsed.source.startswith(f"国务院办公厅关于{year}年部分节假日安排的通知（国办发明电〔{year - 1}〕")


def test_the_2025_notice_under_the_amended_rules_has_8_days_of_spring_festival_and_5_of_labour_day():
    parsed = parse_notice(notice(2025))
    assert days_of(parsed, "holiday", "春节") == [D(2025, 1, 28) + dt.timedelta(days=i) for i in range(8)]
    assert days_of(parsed, "holiday", "劳动节") == [D(2025, 5, i) for i in range(1, 6)]
    assert days_of(parsed, "workday", "春节") == [D(2025, 1, 26), D(2025, 2, 8)]
    assert days_of(parsed, "holiday", "国庆节、中秋节") == [D(2025, 10, i) for i in range(1, 9)]
    assert days_of(parsed, "holiday", "元旦") == [D(2025, 1, 1)]


def test_a_date_in_a_parenthesis_after_a_word_and_the_signature_date_are_no_days():
    parsed = parse_notice(notice(2024))
    listed = {d.day for d in parsed.days}
    assert D(2024, 2, 9) not in listed  # "安排职工在除夕（2月9日）休息" is encouragement, not a statutory day
    assert D(2023, 10, 25) not in listed
    assert [(d.day, d.weekday_zh, d.kind_zh) for d in parsed.days[:2]] == [(D(2024, 1, 1), "星期一", "放假"),
                                                                          (D(2024, 2, 4), "星期日", "上班")]


TITLE = "国务院办公厅关于{year}年部分节假日安排的通知\n"


@pytest.mark.parametrize("year, line, holidays, workdays", [
    # the issue's example lines
    (2027, "一、元旦：1月1日（周五）至3日（周日）放假，共3天。", [D(2027, 1, 1), D(2027, 1, 2), D(2027, 1, 3)], []),
    (2027, "二、春节：2月6日（周六）至12日（周五）放假调休，共7天。2月13日（周六）上班。",
     [D(2027, 2, 6) + dt.timedelta(days=i) for i in range(7)], [D(2027, 2, 13)]),
    (2025, "二、春节：1月28日（农历除夕）至2月4日放假调休，共8天。",
     [D(2025, 1, 28) + dt.timedelta(days=i) for i in range(8)], []),
    # a range into the next month, the 星期 form, "放假N天"
    (2023, "六、中秋节、国庆节：9月29日至10月6日放假调休，共8天。10月7日（星期六）、10月8日（星期日）上班。",
     [D(2023, 9, 29) + dt.timedelta(days=i) for i in range(8)], [D(2023, 10, 7), D(2023, 10, 8)]),
    (2025, "一、元旦：1月1日（星期三）放假1天，不调休。", [D(2025, 1, 1)], []),
    (2024, "七、国庆节：10月1日至7日放假调休，共7天。9月29日（星期天）、10月12日（礼拜六）上班。",
     [D(2024, 10, i) for i in range(1, 8)], [D(2024, 9, 29), D(2024, 10, 12)]),
    # half-width punctuation and full-width digits
    (2027, "1.元旦:1月1日(周五)至3日(周日)放假,共3天.", [D(2027, 1, 1), D(2027, 1, 2), D(2027, 1, 3)], []),
    (2027, "一、元旦：１月１日（周五）至３日（周日）放假，共３天。", [D(2027, 1, 1), D(2027, 1, 2), D(2027, 1, 3)], []),
    # a range written with its year, one end in the year before: only this year's days are imported
    (2023, "一、元旦：2022年12月31日至2023年1月2日放假调休，共3天。", [D(2023, 1, 1), D(2023, 1, 2)], []),
    (2023, "一、元旦：12月31日至1月2日放假调休，共3天。", [], []),  # without years: a range in this year's December
])
def test_line_forms(year, line, holidays, workdays):
    text = TITLE.format(year=year) + line
    if not holidays:  # "12月31日至1月2日" in a 2023 notice reaches into 2024: no 2023 day but 31 December
        parsed = parse_notice(text + "\n二、春节：1月22日放假。")
        assert D(2023, 12, 31) in days_of(parsed, "holiday")
        assert [d.day for d in parsed.days if not d.in_year] == [D(2024, 1, 1), D(2024, 1, 2)]
        return
    parsed = parse_notice(text)
    assert days_of(parsed, "holiday") == holidays
    assert days_of(parsed, "workday") == workdays
    assert sorted(parsed.schedule.holidays) == holidays
    assert sorted(parsed.schedule.workdays) == workdays


def test_the_year_may_be_given_when_the_title_was_not_pasted():
    parsed = parse_notice("一、元旦：1月1日（周五）至3日（周日）放假，共3天。", year=2027)
    assert parsed.year == 2027 and parsed.source == "国务院办公厅关于2027年部分节假日安排的通知"


def test_a_line_broken_inside_an_item_is_joined_back():
    text = TITLE.format(year=2025) + "二、春节：1月28日（农历除夕、周二）至\n2月4日（农历正月初七、周二）放假调休，共8天。1月26日（周日）、\n2月8日（周六）上班。"
    parsed = parse_notice(text)
    assert len(days_of(parsed, "holiday")) == 8 and days_of(parsed, "workday") == [D(2025, 1, 26), D(2025, 2, 8)]


@pytest.mark.parametrize("text, year, code, says", [
    (TITLE.format(year=2027) + "一、元旦：1月1日（周四）至3日（周日）放假，共3天。", None,
     "NOTICE_WEEKDAY_MISMATCH", "第2行：1月1日写作“周四”，2027年1月1日实为星期五"),
    (TITLE.format(year=2027) + "一、元旦：1月1日至3日（周六）放假，共3天。", None, "NOTICE_WEEKDAY_MISMATCH", "第2行"),
    (TITLE.format(year=2025) + "\n\n二、春节：1月26日（周六）上班。1月28日放假。", None, "NOTICE_WEEKDAY_MISMATCH", "第4行"),
    (TITLE.format(year=2027) + "一、元旦：1月1日至3日放假，共4天。", None, "NOTICE_DAY_COUNT_MISMATCH", "共3天"),
    (TITLE.format(year=2027) + "一、元旦：2月30日放假。", None, "NOTICE_DATE_INVALID", "2月30日"),
    (TITLE.format(year=2027) + "一、春节：2月4日至1月28日放假。", None, "NOTICE_RANGE_INVALID", "第2行"),
    (TITLE.format(year=2027) + "一、元旦：1月1日放假。1月4日（周一）上班。", None, "CALENDAR_WORKDAY_NOT_WEEKEND", "第2行"),
    (TITLE.format(year=2027) + "一、元旦：1月1日至3日放假。\n二、春节：1月2日上班。", None, "CALENDAR_DATE_CONFLICT", "第3行"),
    (TITLE.format(year=2027) + "一、元旦：1月1日至3日放假。\n二、春节：2月6日至12日放 假。", None,
     "NOTICE_DATES_UNCLASSIFIED", "第3行"),
    ("一、元旦：1月1日放假。", None, "NOTICE_YEAR_MISSING", "标题"),
    (TITLE.format(year=2027) + "一、元旦：1月1日放假。", 2028, "NOTICE_YEAR_MISMATCH", "2028"),
    ("  \n\u3000\n", 2027, "NOTICE_EMPTY", "全文"),
    (TITLE.format(year=2027) + "经国务院批准，现将2027年放假安排通知如下。", None, "NOTICE_NO_DAYS", "2027"),
    ("x" * 20_001, 2027, "NOTICE_TOO_LONG", "过长"),
])
def test_a_wrong_notice_is_refused_naming_its_line(text, year, code, says):
    with pytest.raises(RegistryError) as err:
        parse_notice(text, year=year)
    assert code in [i.code for i in err.value.issues]
    assert says in err.value.message


def test_every_bad_line_is_named_at_once():
    text = TITLE.format(year=2027) + "一、元旦：1月1日（周四）放假。\n二、春节：2月6日至12日放假，共8天。"
    with pytest.raises(RegistryError) as err:
        parse_notice(text)
    assert [i.code for i in err.value.issues] == ["NOTICE_WEEKDAY_MISMATCH", "NOTICE_DAY_COUNT_MISMATCH"]


@pytest.mark.parametrize("text, is_notice", [
    (notice(2025), True),
    (json.dumps({"format": "registry-holiday-schedule", "year": 2027, "holidays": [{"date": "2027-01-01",
                                                                                     "name": "元旦放假"}]}), False),
    ("\ufeff# source: 通知\ndate,kind,name\n2027-01-01,holiday,元旦 1月1日放假\n", False),
    ("1月1日", False),
])
def test_notice_or_schedule_file_is_decided_by_content(text, is_notice):
    assert looks_like_notice(text) is is_notice


def test_the_parsed_notice_is_the_same_year_as_the_json_file_would_give():
    parsed = parse_notice(notice(2026))
    from_file = parse_schedule(json.dumps(parsed.to_schedule_file(), ensure_ascii=False).encode(), "2026.json")
    assert from_file == parsed.schedule


# --- hostile input: a coded refusal or a schedule, never a traceback ----------------------------------------

NOTICE_ALPHABET = st.sampled_from(list("0123456789０１２年月日至到-~（）()、，,。.;：:周星期一二三四五六日天放假上班调休共天"
                                       "元旦春节\n 　") + ["一、元旦：", "二、春节：", "关于2027年部分节假日安排", "农历除夕"])


def _refused_or_parsed(text: str, year: int | None = None) -> None:
    try:
        parsed = parse_notice(text, year=year)
    except RegistryError as exc:
        assert exc.code and exc.message
    else:
        assert all(d.year == parsed.year for d in parsed.schedule.holidays | parsed.schedule.workdays)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_any_text_is_refused_with_a_code_or_read(text):
    _refused_or_parsed(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(NOTICE_ALPHABET, max_size=120).map("".join), st.one_of(st.none(), st.integers(-5, 3000)))
def test_notice_like_text_is_refused_with_a_code_or_read(text, year):
    _refused_or_parsed(text, year)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_a_damaged_real_notice_is_refused_with_a_code_or_read(data):
    text = notice(data.draw(st.sampled_from([2024, 2025, 2026])))
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start, min(len(text), start + 12)))
    patch = data.draw(st.lists(NOTICE_ALPHABET, max_size=4).map("".join))
    _refused_or_parsed(text[:start] + patch + text[end:])


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(max_size=300),
                 st.lists(NOTICE_ALPHABET, max_size=80).map(lambda parts: "".join(parts).encode("gb18030"))),
       st.sampled_from(["notice.txt", "2027.json", "2027.csv", "schedule"]))
def test_any_file_is_read_as_a_notice_or_a_schedule_file_or_refused_with_a_code(data, name):
    try:
        schedule, form = read_schedule(data, name)
    except RegistryError as exc:
        assert exc.code and exc.message
    else:
        assert form in ("notice", "file") and schedule.holidays


@pytest.mark.parametrize("data, form", [
    ((NOTICES / "notice-2024.txt").read_bytes(), "notice"),
    ((NOTICES / "notice-2024.txt").read_text(encoding="utf-8").encode("gb18030"), "notice"),
    (b"date,kind,name\n2027-01-01,holiday,\xe5\x85\x83\xe6\x97\xa6\n", "file"),
])
def test_a_file_is_told_apart_by_its_content_whatever_its_name(data, form):
    assert read_schedule(data, "upload.json" if form == "notice" else "upload.txt")[1] == form
