"""The holiday notice imported through the service and the command line (decided by content, JSON still
accepted), audited; a bad notice changes nothing; next year's missing schedule warned from 1 November."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from registry_app.cli import main
from registry_app.clock import FixedClock
from registry_app.errors import RegistryError
from registry_app.services.accounts import Accounts
from registry_app.services.calendar import (
    HolidaySchedules,
    coverage_warning,
    missing_years,
)
from registry_app.services.context import AppContext
from registry_app.storage.models import AuditEntry, CalendarYear
from tests.conftest import PASSPHRASE, PASSWORDS

NOTICES = Path(__file__).resolve().parents[1] / "unit" / "notices"
# Not the published 2027 notice: a made-up year in the published form, for a year the package lacks.
NOTICE_2027 = """国务院办公厅关于2027年部分节假日安排的通知
　　一、元旦：1月1日（周五）至3日（周日）放假，共3天。
　　二、春节：2月6日（周六）至12日（周五）放假调休，共7天。2月13日（周六）上班。
"""


def cli(db_path: Path, *args: str):
    env = {"REGISTRY_PASSPHRASE": PASSPHRASE, "REGISTRY_USER_PASSWORD": PASSWORDS["admin"]}
    return CliRunner().invoke(main, ["--db", str(db_path), *args], env=env)


def stored_years(db) -> dict[int, CalendarYear]:
    with db.read() as s:
        return {row.year: (row.source, sorted(row.holidays), sorted(row.workdays))
                for row in s.execute(select(CalendarYear)).scalars()}


def imports(db) -> list[dict]:
    with db.read() as s:
        return [e.detail for e in s.execute(select(AuditEntry).where(AuditEntry.action == "calendar.imported")
                                            .order_by(AuditEntry.id)).scalars()]


def test_the_command_line_imports_the_notice_as_published(db, db_path):
    result = cli(db_path, "calendar", "import", str(NOTICES / "notice-2025.txt"), "--user", "admin")
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert (out["year"], out["holidays"], out["workdays"], out["form"]) == (2025, 28, 5, "notice")
    source, holidays, workdays = stored_years(db)[2025]
    assert source == "国务院办公厅关于2025年部分节假日安排的通知（国办发明电〔2024〕12号）"
    assert "2025-01-28" in holidays and workdays == ["2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28",
                                                     "2025-10-11"]
    assert imports(db)[-1]["form"] == "notice"


def test_the_command_line_still_takes_a_json_file_and_a_titleless_notice_with_its_year(db, db_path, tmp_path):
    schedule = {"format": "registry-holiday-schedule", "version": 1, "year": 2028, "source": "测试用安排",
                "holidays": [{"date": "2028-01-01", "name": "元旦"}], "workdays": []}
    (tmp_path / "s.json").write_text(json.dumps(schedule, ensure_ascii=False), encoding="utf-8")
    assert cli(db_path, "calendar", "import", str(tmp_path / "s.json"), "--user", "admin").exit_code == 0
    body = NOTICE_2027.split("\n", 1)[1]
    (tmp_path / "notice.txt").write_text(body, encoding="utf-8")
    no_year = cli(db_path, "calendar", "import", str(tmp_path / "notice.txt"), "--user", "admin")
    assert no_year.exit_code != 0 and "NOTICE_YEAR_MISSING" in no_year.output
    with_year = cli(db_path, "calendar", "import", str(tmp_path / "notice.txt"), "--year", "2027", "--user", "admin")
    assert with_year.exit_code == 0, with_year.output
    assert set(stored_years(db)) == {2027, 2028}
    assert [d["form"] for d in imports(db)] == ["file", "notice"]


def test_a_notice_with_a_wrong_weekday_is_refused_by_line_and_stores_nothing(db, db_path, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text(NOTICE_2027.replace("2月13日（周六）", "2月13日（周日）"), encoding="gb18030")
    result = cli(db_path, "calendar", "import", str(bad), "--user", "admin")
    assert result.exit_code != 0
    [error] = json.loads(result.output)["errors"]
    assert error["code"] == "NOTICE_WEEKDAY_MISMATCH" and error["message"].startswith("第3行")
    assert stored_years(db) == {} and imports(db) == []


def test_preview_stores_nothing_and_import_is_audited(admin_ctx, db):
    svc = HolidaySchedules(admin_ctx)
    parsed = svc.preview_notice(NOTICE_2027)
    assert [(d.day.isoformat(), d.kind_zh, d.name) for d in parsed.days][-2:] == [
        ("2027-02-12", "放假", "春节"), ("2027-02-13", "上班", "春节")]
    assert stored_years(db) == {}
    assert svc.import_notice(NOTICE_2027)["replaced"] is False
    assert svc.import_notice(NOTICE_2027)["replaced"] is True
    assert [d["replaced"] for d in imports(db)] == [False, True]
    # the 30th day (9 February) is in the Spring Festival: the next working day is the make-up Saturday
    assert svc.divorce_deadlines(dt.date(2027, 1, 10)).cooling_off_ends == dt.date(2027, 2, 13)


def test_a_clerk_may_not_import_a_notice(clerk_ctx, db):
    with pytest.raises(RegistryError) as err:
        HolidaySchedules(clerk_ctx).import_notice(NOTICE_2027)
    assert err.value.code == "PERMISSION_DENIED" and stored_years(db) == {}


@pytest.mark.parametrize("today, missing", [
    (dt.date(2026, 6, 15), []),
    (dt.date(2026, 10, 17), []),          # no deadline of today's application reaches 2027 yet
    (dt.date(2026, 10, 18), [2027]),      # 75 days on is 1 January 2027
    (dt.date(2026, 11, 1), [2027]),
    (dt.date(2026, 12, 31), [2027]),
    (dt.date(2027, 3, 1), [2027]),
])
def test_next_year_is_warned_from_1_november_or_when_a_deadline_reaches_it(db, today, missing):
    ctx = AppContext(db=db, clock=FixedClock(today))
    assert missing_years(ctx) == missing
    warning = coverage_warning(ctx)
    assert (warning is None) == (not missing)
    if missing:
        assert "未载入2027年" in warning and "粘贴" in warning


def test_the_warning_clears_once_the_year_is_imported(db):
    ctx = AppContext(db=db, clock=FixedClock(dt.date(2026, 11, 2)))
    ctx.user = Accounts(ctx).login("admin", PASSWORDS["admin"])
    assert coverage_warning(ctx)
    HolidaySchedules(ctx).import_notice(NOTICE_2027)
    assert coverage_warning(ctx) is None
