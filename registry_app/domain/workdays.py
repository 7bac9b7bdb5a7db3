"""Working days under the State Council holiday schedule (国务院办公厅节假日安排).

A day is a working day when it is Monday–Friday and not a statutory day off, or when it is a
weekend day the schedule turns into a make-up working day (调休上班). The schedule for a year is
published late in the year before, so the calendar only knows the years it was given: the years
the `chinese_calendar` package ships, plus years an administrator imports from a file
(`parse_schedule`, format in resources/calendars/README.md). Asking about any other year raises
`MissingSchedule` rather than guessing from weekends alone.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from registry_app.errors import Issue, Refused, RegistryError

# Plausible bounds for a schedule year: keeps arithmetic far from date.max and catches typos.
MIN_YEAR = 1949
MAX_YEAR = 2200

FILE_FORMAT = "registry-holiday-schedule"
FILE_VERSION = 1
MAX_FILE_BYTES = 256 * 1024  # a year's schedule is a few kilobytes
_MAX_ISSUES = 20  # enough to fix a file in one go without flooding the dialog


class MissingSchedule(RegistryError):
    """A deadline needs a year whose holiday schedule is not loaded."""

    code = "CALENDAR_YEAR_MISSING"

    def __init__(self, year: int):
        self.year = year
        super().__init__(
            f"未载入{year}年的国务院节假日安排，无法计算期限。请管理员导入该年度的节假日安排文件。",
        )


@dataclass(frozen=True)
class YearSchedule:
    """One year of the official schedule.

    holidays: statutory days off, weekend days included when the source lists them.
    workdays: make-up working days; each falls on a Saturday or Sunday.
    """

    year: int
    holidays: frozenset[dt.date]
    workdays: frozenset[dt.date]
    source: str

    def __post_init__(self) -> None:
        # accept any iterable of dates but store frozensets, so the value is hashable and immutable
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        object.__setattr__(self, "workdays", frozenset(self.workdays))
        issues = _schedule_issues(self.year, self.holidays, self.workdays)
        if issues:
            raise Refused(issues)

    @classmethod
    def create(
        cls, year: int, holidays: Iterable[dt.date], workdays: Iterable[dt.date], source: str
    ) -> YearSchedule:
        """Build and validate (RegistryError on a date outside the year, in both sets, ...)."""
        return cls(year, frozenset(holidays), frozenset(workdays), source)

    def to_dict(self) -> dict:
        """Plain form for storage: ISO dates, sorted."""
        return {
            "year": self.year,
            "source": self.source,
            "holidays": sorted(d.isoformat() for d in self.holidays),
            "workdays": sorted(d.isoformat() for d in self.workdays),
        }


def _schedule_issues(year: object, holidays: frozenset, workdays: frozenset) -> list[Issue]:
    if isinstance(year, bool) or not isinstance(year, int) or not MIN_YEAR <= year <= MAX_YEAR:
        return [Issue("CALENDAR_YEAR_INVALID", f"年度“{year}”无效，应为{MIN_YEAR}至{MAX_YEAR}之间的年份", "year")]
    issues: list[Issue] = []
    for d in sorted(holidays | workdays, key=_sort_key):
        if type(d) is not dt.date:
            issues.append(Issue("CALENDAR_DATE_INVALID", f"“{d}”不是日期", "date"))
        elif d.year != year:
            issues.append(Issue("CALENDAR_DATE_OTHER_YEAR", f"{_zh(d)}不属于{year}年", "date"))
    for d in sorted(holidays & workdays, key=_sort_key):
        issues.append(Issue("CALENDAR_DATE_CONFLICT", f"{_zh(d)}同时被列为放假日和调休上班日", "date"))
    for d in sorted(workdays, key=_sort_key):
        if type(d) is dt.date and d.weekday() < 5:
            issues.append(
                Issue("CALENDAR_WORKDAY_NOT_WEEKEND", f"{_zh(d)}是{_weekday_zh(d)}，调休上班日只能是周六或周日", "date")
            )
    return issues


def _sort_key(d: object) -> str:
    return d.isoformat() if isinstance(d, dt.date) else str(d)


class WorkdayCalendar:
    """Working days for the years it holds; immutable (with_schedule returns a new calendar)."""

    def __init__(self, schedules: Mapping[int, YearSchedule]):
        for year, schedule in schedules.items():
            if schedule.year != year:
                raise ValueError(f"schedule for {schedule.year} filed under {year}")
        self._schedules: dict[int, YearSchedule] = dict(schedules)

    @classmethod
    def from_schedules(cls, schedules: Iterable[YearSchedule]) -> WorkdayCalendar:
        """Later schedules for the same year replace earlier ones (a newer import wins)."""
        return cls({s.year: s for s in schedules})

    @classmethod
    def builtin(cls) -> WorkdayCalendar:
        """The official schedules shipped in the `chinese_calendar` package, every year it covers."""
        return cls.from_schedules(_builtin_schedules())

    def with_schedule(self, schedule: YearSchedule) -> WorkdayCalendar:
        return WorkdayCalendar({**self._schedules, schedule.year: schedule})

    def years(self) -> list[int]:
        return sorted(self._schedules)

    def has_year(self, year: int) -> bool:
        return year in self._schedules

    def schedule(self, year: int) -> YearSchedule:
        try:
            return self._schedules[year]
        except KeyError:
            raise MissingSchedule(year) from None

    def schedules(self) -> list[YearSchedule]:
        return [self._schedules[y] for y in self.years()]

    def is_workday(self, day: dt.date) -> bool:
        day = _as_date(day)
        schedule = self.schedule(day.year)
        if day in schedule.workdays:
            return True
        return day.weekday() < 5 and day not in schedule.holidays

    def next_workday_on_or_after(self, day: dt.date) -> dt.date:
        """`day` itself when it is a working day, else the first working day after it.

        Raises MissingSchedule for the first day looked at whose year is not loaded."""
        day = _as_date(day)
        while not self.is_workday(day):
            day += dt.timedelta(days=1)
        return day

    def __repr__(self) -> str:
        years = self.years()
        span = f"{years[0]}–{years[-1]}" if years else "empty"
        return f"WorkdayCalendar({span}, {len(years)} years)"


def _as_date(day: dt.date) -> dt.date:
    # a datetime never compares equal to a date, so it would miss every holiday
    return day.date() if isinstance(day, dt.datetime) else day


@lru_cache(maxsize=1)
def _builtin_schedules() -> tuple[YearSchedule, ...]:
    from importlib.metadata import PackageNotFoundError, version

    from chinese_calendar import constants

    try:
        source = f"chinese-calendar {version('chinese-calendar')}"
    except PackageNotFoundError:  # e.g. a frozen build without metadata
        source = "chinese-calendar"
    holidays = set(constants.holidays)
    workdays = set(constants.workdays)
    # The package itself supports exactly the years from its first to its last listed holiday.
    first, last = min(holidays).year, max(holidays).year
    return tuple(
        YearSchedule(
            year,
            frozenset(d for d in holidays if d.year == year),
            frozenset(d for d in workdays if d.year == year),
            source,
        )
        for year in range(first, last + 1)
    )


# --- the import file ------------------------------------------------------------------------------

_DATE = re.compile(r"^([0-9]{4})([-/])([0-9]{1,2})\2([0-9]{1,2})$")
_KINDS = {"holiday": "holiday", "休": "holiday", "workday": "workday", "班": "workday"}
_JSON_KEYS = {"format", "version", "year", "source", "note", "holidays", "workdays"}
_ENTRY_KEYS = {"date", "name"}


def parse_schedule(data: bytes, filename: str) -> YearSchedule:
    """Read an administrator's schedule file (JSON or CSV, see resources/calendars/README.md).

    Raises RegistryError (a Refused listing every problem found, when the file is readable but
    its entries are wrong); never anything else, whatever the bytes."""
    if len(data) > MAX_FILE_BYTES:
        raise RegistryError(
            f"文件“{filename}”过大（{len(data)}字节），节假日安排文件不应超过{MAX_FILE_BYTES // 1024}KB",
            "CALENDAR_FILE_FORMAT",
        )
    text = decode_text(data, filename)
    if not text.strip():
        raise RegistryError(f"文件“{filename}”是空的", "CALENDAR_EMPTY")
    if _looks_like_json(text, filename):
        year, source, entries = _read_json(text, filename)
    else:
        year, source, entries = _read_csv(text, filename)
    return _build(year, source, entries, filename)


@dataclass
class _Entry:
    where: str  # "第3行" / "holidays 第2项", for messages
    raw_date: object
    kind: str
    name: str = ""
    day: dt.date | None = None


def decode_text(data: bytes, filename: str) -> str:
    # UTF-8 is the documented encoding; Excel on a Chinese Windows saves CSV as GBK (a subset of GB18030).
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:
            return text
    raise RegistryError(f"无法识别文件“{filename}”的文字编码，请另存为UTF-8编码", "CALENDAR_FILE_FORMAT")


def _looks_like_json(text: str, filename: str) -> bool:
    lower = filename.lower()
    if lower.endswith(".json"):
        return True
    if lower.endswith(".csv"):
        return False
    return text.lstrip().startswith("{")


def _read_json(text: str, filename: str) -> tuple[object, object, list[_Entry]]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise RegistryError(
            f"文件“{filename}”不是有效的JSON（第{e.lineno}行第{e.colno}列附近）", "CALENDAR_FILE_FORMAT"
        ) from None
    except RecursionError:
        raise RegistryError(f"文件“{filename}”嵌套过深，不是节假日安排文件", "CALENDAR_FILE_FORMAT") from None
    if not isinstance(doc, dict) or doc.get("format") != FILE_FORMAT:
        raise RegistryError(
            f"文件“{filename}”不是节假日安排文件（缺少 \"format\": \"{FILE_FORMAT}\"）", "CALENDAR_FILE_FORMAT"
        )
    if doc.get("version") != FILE_VERSION or isinstance(doc.get("version"), bool):
        raise RegistryError(
            f"节假日安排文件版本“{doc.get('version')}”不受支持，本程序支持版本{FILE_VERSION}", "CALENDAR_FILE_VERSION"
        )
    unknown = sorted(str(k) for k in doc if k not in _JSON_KEYS)
    if unknown:
        # a misspelt "workdays" would otherwise drop every make-up working day without a word
        raise RegistryError(f"文件中有无法识别的字段：{'、'.join(unknown)}", "CALENDAR_FILE_FORMAT")
    entries: list[_Entry] = []
    for key, kind in (("holidays", "holiday"), ("workdays", "workday")):
        items = doc.get(key, [])
        if not isinstance(items, list):
            raise RegistryError(f"字段“{key}”应为列表", "CALENDAR_FILE_FORMAT")
        for n, item in enumerate(items, start=1):
            where = f"{key} 第{n}项"
            if isinstance(item, dict):
                extra = sorted(str(k) for k in item if k not in _ENTRY_KEYS)
                if extra:
                    raise RegistryError(f"{where}有无法识别的字段：{'、'.join(extra)}", "CALENDAR_FILE_FORMAT")
                name = item.get("name", "")
                if not isinstance(name, str):
                    raise RegistryError(f"{where}的名称应为文字", "CALENDAR_FILE_FORMAT")
                entries.append(_Entry(where, item.get("date"), kind, name))
            else:
                raise RegistryError(
                    f"{where}应写成 {{\"date\": \"YYYY-MM-DD\", \"name\": \"…\"}}", "CALENDAR_FILE_FORMAT"
                )
    return doc.get("year"), doc.get("source"), entries


def _read_csv(text: str, filename: str) -> tuple[object, object, list[_Entry]]:
    rows = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    source: str | None = None
    entries: list[_Entry] = []
    try:
        for row in rows:
            line = rows.line_num
            cells = [c.strip() for c in row]
            if not any(cells):
                continue
            if cells[0].startswith("#"):
                # "# source: 国办发明电〔…〕…号" names the notice the dates come from
                comment = ",".join(cells).lstrip("#").strip()
                m = re.match(r"^(source|来源)\s*[:：]\s*(.+)$", comment, re.IGNORECASE)
                if m:
                    source = m.group(2).strip()
                continue
            if header is None:
                header = [c.lower() for c in cells]
                while header and not header[-1]:
                    header.pop()
                if header != ["date", "kind", "name"]:
                    raise RegistryError(
                        f"第{line}行：CSV文件的表头应为 date,kind,name，实为 {','.join(cells)}",
                        "CALENDAR_FILE_FORMAT",
                    )
                continue
            while len(cells) > 3 and not cells[-1]:
                cells.pop()
            if len(cells) not in (2, 3):
                raise RegistryError(f"第{line}行应有3列（date,kind,name），实有{len(cells)}列", "CALENDAR_FILE_FORMAT")
            kind = _KINDS.get(cells[1].lower())
            if kind is None:
                raise RegistryError(
                    f"第{line}行：类别“{cells[1]}”无效，应为 holiday（放假）或 workday（调休上班）",
                    "CALENDAR_KIND_INVALID",
                )
            entries.append(_Entry(f"第{line}行", cells[0], kind, cells[2] if len(cells) == 3 else ""))
    except csv.Error as e:
        raise RegistryError(f"文件“{filename}”不是有效的CSV：{e}", "CALENDAR_FILE_FORMAT") from None
    if header is None:
        raise RegistryError(f"文件“{filename}”没有内容", "CALENDAR_EMPTY")
    # the year of a CSV file is the year of its first date; every other date must agree
    year: object = None
    for e in entries:
        e.day = _parse_date(e.raw_date)
        if e.day is not None:
            year = e.day.year
            break
    return year, source or f"导入文件 {filename}", entries


def _parse_date(raw: object) -> dt.date | None:
    if not isinstance(raw, str):
        return None
    m = _DATE.match(raw.strip())
    if not m:
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(3)), int(m.group(4)))
    except ValueError:
        return None


def _build(year: object, source: object, entries: list[_Entry], filename: str) -> YearSchedule:
    if year is None:
        if not entries:
            raise RegistryError(f"文件“{filename}”中没有任何日期", "CALENDAR_EMPTY")
        if all(e.day is None and _parse_date(e.raw_date) is None for e in entries):
            # a CSV file whose dates are all unreadable: say so line by line rather than "no year"
            raise Refused([_bad_date(e) for e in entries[:_MAX_ISSUES]])
        raise RegistryError("文件中没有写明年度（year）", "CALENDAR_YEAR_INVALID", "year")
    if isinstance(year, bool) or not isinstance(year, int) or not MIN_YEAR <= year <= MAX_YEAR:
        raise RegistryError(
            f"年度“{year}”无效，应为{MIN_YEAR}至{MAX_YEAR}之间的整数年份", "CALENDAR_YEAR_INVALID", "year"
        )
    if not isinstance(source, str) or not source.strip():
        raise RegistryError(
            "请在“source”中写明节假日安排的出处（如国务院办公厅通知的文号）", "CALENDAR_SOURCE_MISSING", "source"
        )
    issues: list[Issue] = []
    seen: dict[dt.date, _Entry] = {}
    holidays: set[dt.date] = set()
    workdays: set[dt.date] = set()
    for e in entries:
        day = e.day or _parse_date(e.raw_date)
        if day is None:
            issues.append(_bad_date(e))
            continue
        if day.year != year:
            issues.append(Issue("CALENDAR_DATE_OTHER_YEAR", f"{e.where}：{_zh(day)}不属于{year}年", "date"))
            continue
        earlier = seen.get(day)
        if earlier is not None:
            if earlier.kind == e.kind:
                issues.append(Issue("CALENDAR_DATE_DUPLICATE", f"{e.where}：{_zh(day)}与{earlier.where}重复", "date"))
            else:
                issues.append(
                    Issue(
                        "CALENDAR_DATE_CONFLICT",
                        f"{e.where}：{_zh(day)}在{earlier.where}列为{_kind_zh(earlier.kind)}，"
                        f"此处又列为{_kind_zh(e.kind)}",
                        "date",
                    )
                )
            continue
        seen[day] = e
        if e.kind == "workday":
            if day.weekday() < 5:
                issues.append(
                    Issue(
                        "CALENDAR_WORKDAY_NOT_WEEKEND",
                        f"{e.where}：{_zh(day)}是{_weekday_zh(day)}，本来就是工作日；调休上班日只能是周六或周日",
                        "date",
                    )
                )
                continue
            workdays.add(day)
        else:
            holidays.add(day)
    if issues:
        raise Refused(issues[:_MAX_ISSUES])
    if not holidays:
        # every year has at least New Year's Day off: a file without holidays is a wrong file
        raise RegistryError(f"文件“{filename}”中没有列出{year}年的任何放假日", "CALENDAR_EMPTY")
    return YearSchedule(year, frozenset(holidays), frozenset(workdays), source.strip())


def build_schedule(year: int, source: str, entries: Iterable[tuple[str, dt.date, str, str]],
                   what: str) -> YearSchedule:
    """A year's schedule from dated entries (where, date, "holiday"/"workday", name) read from another
    form (the State Council notice): the same checks and codes as a file's entries, naming `where`."""
    return _build(year, source, [_Entry(where, day.isoformat(), kind, name, day) for where, day, kind, name in entries],
                  what)


def _bad_date(e: _Entry) -> Issue:
    return Issue("CALENDAR_DATE_INVALID", f"{e.where}：“{e.raw_date}”不是有效日期，应写成YYYY-MM-DD", "date")


def _zh(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _weekday_zh(d: dt.date) -> str:
    return "星期" + "一二三四五六日"[d.weekday()]


def _kind_zh(kind: str) -> str:
    return "放假日" if kind == "holiday" else "调休上班日"
