"""Working days by the State Council holiday schedule, including weekend make-up working days (调休).

Years come from the `chinese-calendar` package (official schedules it ships) or from a file an
administrator imports. A date in a year with no schedule is never guessed: MissingSchedule names
the year."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass
from typing import Iterable, Mapping

from registry_app.errors import RegistryError


class MissingSchedule(RegistryError):
    code = "CALENDAR_YEAR_MISSING"

    def __init__(self, year: int):
        super().__init__(f"未载入{year}年的国务院节假日安排，无法计算期限。请系统管理员导入{year}年的节假日安排文件。",
                         field="date")
        self.year = year


@dataclass(frozen=True)
class YearSchedule:
    year: int
    holidays: frozenset[dt.date]   # statutory days off (those on weekdays are what matter)
    workdays: frozenset[dt.date]   # Saturdays/Sundays that are working days
    source: str

    def __post_init__(self) -> None:
        for d in self.holidays | self.workdays:
            if d.year != self.year:
                raise RegistryError(f"{d.isoformat()}不属于{self.year}年", code="CALENDAR_DATE_OTHER_YEAR")
        both = self.holidays & self.workdays
        if both:
            raise RegistryError(f"{min(both).isoformat()}同时被列为假日和工作日", code="CALENDAR_DATE_CONFLICT")
        for d in self.workdays:
            if d.weekday() < 5:
                raise RegistryError(f"{d.isoformat()}不是周末，不能列为调休上班日", code="CALENDAR_WORKDAY_NOT_WEEKEND")

    def to_dict(self) -> dict:
        return {"format": "registry-holiday-schedule", "version": 1, "year": self.year, "source": self.source,
                "holidays": [{"date": d.isoformat()} for d in sorted(self.holidays)],
                "workdays": [{"date": d.isoformat()} for d in sorted(self.workdays)]}


class WorkdayCalendar:
    def __init__(self, schedules: Mapping[int, YearSchedule]):
        self._years = dict(schedules)

    @classmethod
    def builtin(cls) -> "WorkdayCalendar":
        from chinese_calendar import constants, __version__ as version  # type: ignore[attr-defined]

        years: dict[int, tuple[set, set]] = {}
        for d in constants.holidays:
            years.setdefault(d.year, (set(), set()))[0].add(d)
        for d in constants.workdays:
            years.setdefault(d.year, (set(), set()))[1].add(d)
        return cls({y: YearSchedule(y, frozenset(h), frozenset(w), f"chinese-calendar {version}")
                    for y, (h, w) in years.items() if h})

    @classmethod
    def from_schedules(cls, schedules: Iterable[YearSchedule]) -> "WorkdayCalendar":
        return cls({s.year: s for s in schedules})

    def with_schedule(self, schedule: YearSchedule) -> "WorkdayCalendar":
        return WorkdayCalendar({**self._years, schedule.year: schedule})

    def years(self) -> list[int]:
        return sorted(self._years)

    def has_year(self, year: int) -> bool:
        return year in self._years

    def source(self, year: int) -> str | None:
        s = self._years.get(year)
        return s.source if s else None

    def is_workday(self, day: dt.date) -> bool:
        s = self._years.get(day.year)
        if s is None:
            raise MissingSchedule(day.year)
        if day in s.workdays:
            return True
        if day in s.holidays:
            return False
        return day.weekday() < 5

    def next_workday_on_or_after(self, day: dt.date) -> dt.date:
        while not self.is_workday(day):
            day += dt.timedelta(days=1)
        return day


def parse_schedule(data: bytes, filename: str) -> YearSchedule:
    """Read an administrator's schedule file (JSON or CSV; see resources/calendars/README.md)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RegistryError("文件不是UTF-8编码", code="CALENDAR_FILE_FORMAT") from None
    rows: list[tuple[str, str]] = []
    year = None
    source = "imported"
    if filename.lower().endswith(".json") or text.lstrip().startswith("{"):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise RegistryError(f"JSON格式错误：第{exc.lineno}行", code="CALENDAR_FILE_FORMAT") from None
        if not isinstance(doc, dict) or doc.get("format") != "registry-holiday-schedule":
            raise RegistryError("不是节假日安排文件（format 应为 registry-holiday-schedule）", code="CALENDAR_FILE_FORMAT")
        if doc.get("version") != 1:
            raise RegistryError(f"不支持的文件版本：{doc.get('version')}", code="CALENDAR_FILE_FORMAT")
        year = doc.get("year")
        source = str(doc.get("source") or "imported")
        for kind in ("holidays", "workdays"):
            items = doc.get(kind, [])
            if not isinstance(items, list):
                raise RegistryError(f"{kind} 应为列表", code="CALENDAR_FILE_FORMAT")
            for item in items:
                value = item.get("date") if isinstance(item, dict) else item
                rows.append((kind[:-1], str(value)))
    else:
        reader = csv.DictReader(io.StringIO(text))
        if reader.fieldnames is None or not {"date", "kind"} <= set(reader.fieldnames):
            raise RegistryError("CSV须有表头 date,kind,name", code="CALENDAR_FILE_FORMAT")
        for row in reader:
            rows.append(((row.get("kind") or "").strip(), (row.get("date") or "").strip()))
    holidays, workdays = set(), set()
    for line, (kind, value) in enumerate(rows, start=1):
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            raise RegistryError(f"第{line}项日期无效：{value[:20]}", code="CALENDAR_DATE_INVALID") from None
        if kind == "holiday":
            holidays.add(day)
        elif kind == "workday":
            workdays.add(day)
        else:
            raise RegistryError(f"第{line}项类别应为 holiday 或 workday", code="CALENDAR_FILE_FORMAT")
    if not holidays:
        raise RegistryError("文件中没有假日", code="CALENDAR_EMPTY")
    if year is None:
        year = min(holidays).year
    if not isinstance(year, int):
        raise RegistryError("year 应为整数", code="CALENDAR_FILE_FORMAT")
    return YearSchedule(year, frozenset(holidays), frozenset(workdays), source)
