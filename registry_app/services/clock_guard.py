"""One clock: what keeps the time on a production database honest.

- A clock override (`--date`) is accepted only on a training database (`check_override`).
- Every write passes `check_write_clock` (called at the top of `audit.record`, so nothing is written
  without it): on a production database the clock may not be earlier than the newest audit entry,
  beyond a tolerance of `BEHIND_TOLERANCE` (5 minutes) for the small steps NTP makes when it corrects
  a drifting clock. A clock set back further would date registrations, certificate numbers and audit
  entries before what is already recorded, so the write is refused (CLOCK_BEHIND).
- `clock_warning` is what the client shows when the clock is far ahead of the newest entry
  (`OfficeSettings.clock_ahead_warning_days`, 40 by default: a holiday closure is shorter, a clock
  set a year ahead is not). Far ahead is not refused: an office may really have been closed.

A training database is exempt from both: its dates are whatever the exercise needs.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry_app.clock import CHINA_TZ
from registry_app.errors import RegistryError
from registry_app.services.context import AppContext
from registry_app.storage.models import AuditEntry, Setting

BEHIND_TOLERANCE = dt.timedelta(minutes=5)


class ClockError(RegistryError):
    code = "CLOCK_BEHIND"


def is_training(session: Session) -> bool:
    """Whether the database is a training one (`registry init --training`, or demo data)."""
    row = session.get(Setting, "training")
    return bool(row is not None and row.value is True)


def newest_entry_time(session: Session) -> dt.datetime | None:
    """The timestamp of the newest audit entry (None on an empty trail or an unreadable stamp: a
    damaged entry is `audit verify`'s business, not a reason to stop the counter)."""
    ts = session.execute(select(AuditEntry.ts).order_by(AuditEntry.id.desc()).limit(1)).scalar()
    if not ts:
        return None
    try:
        when = dt.datetime.fromisoformat(ts)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=CHINA_TZ)


def _stamp(t: dt.datetime) -> str:
    return t.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M:%S")


def check_write_clock(ctx: AppContext, session: Session) -> None:
    """Refuse a write on a production database whose clock is behind its newest audit entry."""
    if is_training(session):
        return
    newest = newest_entry_time(session)
    if newest is None:
        return
    now = ctx.clock.now()
    if now < newest - BEHIND_TOLERANCE:
        raise ClockError(
            f"系统时间（{_stamp(now)}）早于本库最后一条审计记录的时间（{_stamp(newest)}），时钟可能被调回。"
            "请校正本机时间后再办理；本次未保存任何内容", code="CLOCK_BEHIND", field="clock")


def check_override(ctx: AppContext) -> None:
    """A clock other than the system's is accepted only on a training database."""
    if ctx.clock.is_system:
        return
    with ctx.db.read() as s:
        training = is_training(s)
    if not training:
        raise RegistryError("正式数据库只使用系统时间，不能指定日期（--date 仅用于培训数据库）",
                            code="CLOCK_OVERRIDE_REFUSED", field="date")


def clock_warning(ctx: AppContext) -> str | None:
    """A line for the status bar when the clock looks wrong on a production database, else None."""
    from registry_app.services.settings import load_settings

    with ctx.db.read() as s:
        if is_training(s):
            return None
        newest = newest_entry_time(s)
        days = load_settings(s).clock_ahead_warning_days
    if newest is None:
        return None
    now = ctx.clock.now()
    if now < newest - BEHIND_TOLERANCE:
        return (f"系统时间（{_stamp(now)}）早于最后一条审计记录（{_stamp(newest)}），"
                "在校正时钟之前不能保存任何登记")
    if now - newest > dt.timedelta(days=days):
        return (f"系统时间比最后一次操作（{_stamp(newest)}）晚了{(now - newest).days}天，"
                "请核对本机日期是否正确")
    return None
