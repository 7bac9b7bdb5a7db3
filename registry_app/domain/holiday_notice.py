"""The State Council's holiday notice as published (国务院办公厅关于YYYY年部分节假日安排的通知), read
into the same YearSchedule a schedule file gives (domain/workdays.py).

The notice is pasted as text: a title naming the year, then one item per holiday, e.g.

    一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。
    二、春节：1月28日（农历除夕、周二）至2月4日（农历正月初七、周二）放假调休，共8天。

Dates (and ranges "A至B", the end possibly in the next month or year) followed by 放假 are days off;
dates followed by 上班 are make-up working days. Every weekday written in the text (周二, 星期日) is
checked against the date and every "共N天" against the range, so a typo in the notice or in the paste
is refused with the line it is on, never imported. Dates outside any numbered item (the signature
date) and dates in a parenthesis after a word ("在除夕（2月9日）休息") are not part of the schedule.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from registry_app.domain.workdays import (
    MAX_FILE_BYTES,
    MAX_YEAR,
    MIN_YEAR,
    YearSchedule,
    build_schedule,
    decode_text,
    parse_schedule,
)
from registry_app.errors import Issue, Refused, RegistryError

MAX_NOTICE_CHARS = 20_000  # a notice is about 800 characters; the cap keeps a wrong paste cheap
_MAX_ISSUES = 20
_MAX_RANGE_DAYS = 31  # the longest holiday so far is 9 days: a longer range is a typo
WEEKDAYS_ZH = "一二三四五六日"

_TITLE_YEAR = re.compile(r"关于\s*(\d{4})\s*年[^\n]{0,8}?节假日安排")
_INTRO_YEAR = re.compile(r"现将\s*(\d{4})\s*年")
_DOC_NO = re.compile(r"国办发(?:明电)?\s*〔\s*\d{4}\s*〕\s*\d+\s*号")
_ITEM = re.compile(r"^(?:[一二三四五六七八九十]+|\d{1,2})\s*[、.]\s*([^:、,。;]{1,12}(?:、[^:、,。;]{1,12})*?)\s*:")
_TOKEN = re.compile(
    r"(?P<date>(?:(?P<y>\d{4})\s*年\s*)?(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日)"
    r"|(?P<paren>\([^()]*\))"
    r"|(?P<to>至|到|~|—|–|-)"
    r"|(?P<off>放假)"
    r"|(?P<work>上班)"
    r"|(?P<count>共\s*(?P<n>\d{1,3})\s*天)"
)
# the end of a range may leave out the year and month: "1月1日至3日", "9月29日至10月6日"
_RANGE_END = re.compile(r"\s*(?:(?:(?P<y>\d{4})\s*年\s*)?(?P<m>\d{1,2})\s*月\s*)?(?P<d>\d{1,2})\s*日")
_ANNOTATION_AFTER = re.compile(r"\s*(\([^()]*\))")
_WEEKDAY = re.compile(r"(?:周|星期|礼拜)([一二三四五六日天])")
_DAYS_AFTER_OFF = re.compile(r"^\s*(?:调休)?\s*(\d{1,3})\s*天")
_SENTENCE_END = re.compile(r"[。;!?]|\.(?!\d)")


@dataclass(frozen=True)
class NoticeDay:
    """One day the notice lists, for the administrator to confirm before importing."""

    day: dt.date
    kind: str  # "holiday" (放假) or "workday" (调休上班)
    name: str  # the item's holiday name ("春节"), empty outside an item
    line: int
    in_year: bool = True  # False: a day of the year before or after (stays with that year's schedule)

    @property
    def weekday_zh(self) -> str:
        return "星期" + WEEKDAYS_ZH[self.day.weekday()]

    @property
    def kind_zh(self) -> str:
        return "放假" if self.kind == "holiday" else "上班"


@dataclass(frozen=True)
class ParsedNotice:
    year: int
    source: str
    days: tuple[NoticeDay, ...]
    schedule: YearSchedule

    def to_schedule_file(self) -> dict:
        """The same year as the JSON schedule file (resources/calendars/README.md) would give it."""
        def entries(kind: str) -> list[dict]:
            return [{"date": d.day.isoformat(), "name": d.name} for d in self.days if d.kind == kind and d.in_year]

        return {"format": "registry-holiday-schedule", "version": 1, "year": self.year, "source": self.source,
                "holidays": entries("holiday"), "workdays": entries("workday")}


def looks_like_notice(text: str) -> bool:
    """True for pasted notice text rather than a JSON or CSV schedule file (decided by content)."""
    body = text.lstrip("\ufeff \t\r\n")
    if body.startswith("{"):
        return False
    first = next((ln.strip() for ln in body.splitlines() if ln.strip() and not ln.strip().startswith("#")), "")
    if first.replace(" ", "").lower().startswith("date,kind"):
        return False
    return "月" in body and "日" in body and ("放假" in body or "上班" in body)


def parse_notice(text: str, year: int | None = None) -> ParsedNotice:
    """Read the notice. `year` is needed only when the pasted text lacks the title; when both are there
    they must agree. Raises RegistryError (a Refused naming each bad line), never anything else."""
    if not isinstance(text, str):
        raise RegistryError("通知内容应为文字", "NOTICE_EMPTY")
    if len(text) > MAX_NOTICE_CHARS:
        raise RegistryError(f"粘贴的内容过长（{len(text)}字），一份节假日安排通知不超过{MAX_NOTICE_CHARS}字",
                            "NOTICE_TOO_LONG")
    norm = _normalize(text)
    if not norm.strip():
        raise RegistryError("请粘贴国务院办公厅节假日安排通知的全文", "NOTICE_EMPTY")
    notice_year = _year(norm, year)
    issues: list[Issue] = []
    days: list[NoticeDay] = []
    for line_no, unit in _units(norm):
        _read_unit(unit, line_no, notice_year, days, issues)
    if issues:
        raise Refused(issues[:_MAX_ISSUES])
    if not any(d.kind == "holiday" and d.in_year for d in days):
        raise RegistryError(f"没有读到{notice_year}年的任何放假日期：请粘贴通知全文（含“一、元旦：……放假”各项）",
                            "NOTICE_NO_DAYS")
    source = _source(norm, notice_year)
    schedule = build_schedule(notice_year, source,
                              ((f"第{d.line}行", d.day, d.kind, d.name) for d in days if d.in_year), "粘贴的通知")
    return ParsedNotice(notice_year, source, tuple(sorted(days, key=lambda d: (d.day, d.kind))), schedule)


# --- reading ---------------------------------------------------------------------------------------


def _normalize(text: str) -> str:
    # NFKC folds full-width digits, brackets, colons and commas into their ASCII forms; the ideographic
    # comma 、 and full stop 。 stay as they are.
    text = unicodedata.normalize("NFKC", text.replace("\r\n", "\n").replace("\r", "\n"))
    return text.replace("；", ";").replace("～", "~").replace("－", "-").replace("〜", "~")


def _year(norm: str, given: int | None) -> int:
    m = _TITLE_YEAR.search(norm) or _INTRO_YEAR.search(norm)
    found = int(m.group(1)) if m else None
    if given is not None and (isinstance(given, bool) or not isinstance(given, int)):
        raise RegistryError(f"年度“{given}”无效", "NOTICE_YEAR_INVALID", "year")
    if given is not None and found is not None and given != found:
        raise RegistryError(f"通知标题是{found}年的安排，与指定的{given}年不符", "NOTICE_YEAR_MISMATCH", "year")
    year = given if given is not None else found
    if year is None:
        raise RegistryError("没有读到通知的年度：请连同标题“国务院办公厅关于××××年部分节假日安排的通知”一起粘贴",
                            "NOTICE_YEAR_MISSING", "year")
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise RegistryError(f"年度“{year}”无效，应为{MIN_YEAR}至{MAX_YEAR}之间的年份", "NOTICE_YEAR_INVALID", "year")
    return year


def _source(norm: str, year: int) -> str:
    title = f"国务院办公厅关于{year}年部分节假日安排的通知"
    m = _DOC_NO.search(norm)
    return f"{title}（{''.join(m.group(0).split())}）" if m else title


def _units(norm: str) -> list[tuple[int, str]]:
    """Lines, a line broken inside a sentence joined back to the one it continues (text pasted from a
    PDF wraps anywhere); each unit keeps the number of the line it starts on."""
    units: list[tuple[int, str]] = []
    for n, raw in enumerate(norm.split("\n"), start=1):
        line = raw.strip(" \t\u3000")
        if not line:
            continue
        if units and not _ITEM.match(line) and not re.search(r"[。;:]$", units[-1][1]) \
                and _continues(units[-1][1]):
            units[-1] = (units[-1][0], units[-1][1] + line)
        else:
            units.append((n, line))
    return units


def _continues(previous: str) -> bool:
    # only a line inside an item can be wrapped: the title, the document number and the signature stand alone
    return bool(_ITEM.match(previous))


@dataclass
class _Date:
    day: dt.date | None
    text: str
    span: int = 1  # days, for a range


def _read_unit(unit: str, line: int, year: int, days: list[NoticeDay], issues: list[Issue]) -> None:
    item = _ITEM.match(unit)
    name = item.group(1).strip() if item else ""
    body = unit[item.end():] if item else unit
    for sentence in _SENTENCE_END.split(body):
        _read_sentence(sentence, line, year, name, bool(item), days, issues)


def _read_sentence(sentence: str, line: int, year: int, name: str, in_item: bool,
                   days: list[NoticeDay], issues: list[Issue]) -> None:
    where = f"第{line}行"
    pending: list[tuple[dt.date, ...]] = []  # the dates read since the last 放假/上班, a range as several
    last_off: list[tuple[dt.date, ...]] | None = None
    pos = 0
    while True:
        m = _TOKEN.search(sentence, pos)
        if m is None:
            break
        kind = next(k for k in ("date", "paren", "to", "off", "work", "count") if m.group(k) is not None)
        pos = m.end()
        if kind == "date":
            start = _date_of(m.group("y"), m.group("m"), m.group("d"), year, None, where, m.group("date"), issues)
            pos = _check_annotation(sentence, pos, start, where, issues)
            run = (start,) if start else ()
            to = re.match(r"\s*(至|到|~|—|–|-)", sentence[pos:])
            if to:
                end_m = _RANGE_END.match(sentence, pos + to.end())
                if end_m:
                    end = _date_of(end_m.group("y"), end_m.group("m"), end_m.group("d"), year, start, where,
                                   end_m.group(0).strip(), issues)
                    pos = _check_annotation(sentence, end_m.end(), end, where, issues)
                    run = _range(start, end, where, issues) if start and end else ()
            pending.append(run)
        # a parenthesis not after a date ("在除夕（2月9日）休息") and a stray 至 list no day
        elif kind in ("off", "work"):
            for run in pending:
                for day in run:
                    days.append(NoticeDay(day, "holiday" if kind == "off" else "workday", name, line,
                                          in_year=day.year == year))
            last_off = list(pending) if kind == "off" else None
            pending = []
            if kind == "off":
                n = _DAYS_AFTER_OFF.match(sentence, pos)
                if n:
                    _check_count(last_off, int(n.group(1)), where, issues)
                    last_off = None
        elif kind == "count" and last_off:
            _check_count(last_off, int(m.group("n")), where, issues)
            last_off = None
    if pending and in_item and any(pending):
        issues.append(Issue("NOTICE_DATES_UNCLASSIFIED",
                            f"{where}：“{sentence.strip()[:40]}”中的日期后面没有“放假”或“上班”，无法判断", "notice"))


def _date_of(y: str | None, m: str | None, d: str, year: int, start: dt.date | None, where: str, text: str,
             issues: list[Issue]) -> dt.date | None:
    """A written date; a range end without a month or year takes them from the start (the next month
    or year when the day would otherwise come before the start)."""
    try:
        day_n = int(d)
        if m is None and start is not None:
            month, yy = start.month, start.year
            if day_n < start.day:
                month, yy = (1, yy + 1) if month == 12 else (month + 1, yy)
        else:
            month = int(m) if m is not None else 0
            yy = int(y) if y else (start.year if start else year)
            if y is None and start is not None and (month, day_n) < (start.month, start.day):
                yy += 1  # "12月31日至1月2日"
        if not MIN_YEAR <= yy <= MAX_YEAR:
            raise ValueError
        return dt.date(yy, month, day_n)
    except ValueError:
        issues.append(Issue("NOTICE_DATE_INVALID", f"{where}：“{text}”不是有效日期", "notice"))
        return None


def _check_annotation(sentence: str, pos: int, day: dt.date | None, where: str, issues: list[Issue]) -> int:
    """Checks the weekday written after a date, "（周二）" or "（农历除夕、星期二）"; returns where reading goes on."""
    a = _ANNOTATION_AFTER.match(sentence, pos)
    if a is None:
        return pos
    if day is not None:
        for w in _WEEKDAY.finditer(a.group(1)):
            written = "日" if w.group(1) == "天" else w.group(1)
            if WEEKDAYS_ZH.index(written) != day.weekday():
                issues.append(Issue(
                    "NOTICE_WEEKDAY_MISMATCH",
                    f"{where}：{day.month}月{day.day}日写作“{w.group(0)}”，{day.year}年{day.month}月{day.day}日"
                    f"实为星期{WEEKDAYS_ZH[day.weekday()]}，请核对通知原文", "notice"))
    return a.end()


def _range(start: dt.date, end: dt.date, where: str, issues: list[Issue]) -> tuple[dt.date, ...]:
    span = (end - start).days + 1
    if not 1 <= span <= _MAX_RANGE_DAYS:
        issues.append(Issue("NOTICE_RANGE_INVALID",
                            f"{where}：{start.month}月{start.day}日至{end.month}月{end.day}日不是有效的放假区间", "notice"))
        return ()
    return tuple(start + dt.timedelta(days=i) for i in range(span))


def _check_count(runs: list[tuple[dt.date, ...]] | None, said: int, where: str, issues: list[Issue]) -> None:
    counted = sum(len(r) for r in runs or [])
    if runs and all(runs) and counted != said:
        issues.append(Issue("NOTICE_DAY_COUNT_MISMATCH",
                            f"{where}：所列放假日期共{counted}天，通知写作“共{said}天”，请核对通知原文", "notice"))


def read_schedule(data: bytes, filename: str, year: int | None = None) -> tuple[YearSchedule, str]:
    """A schedule from a file's bytes, decided by content: the notice as published (`year` for one saved
    without its title), else the JSON or CSV schedule file. Returns the schedule and "notice" or "file"."""
    if len(data) > MAX_FILE_BYTES:
        return parse_schedule(data, filename), "file"  # refused there, with the size
    text = decode_text(data, filename)
    if looks_like_notice(text):
        return parse_notice(text, year).schedule, "notice"
    return parse_schedule(data, filename), "file"
