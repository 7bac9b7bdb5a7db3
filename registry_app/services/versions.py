"""Two clerks on one record: every edit carries the version it was read at.

A page reads a record (a booking, a work item) with its `version`; the edit it sends later names that
version. `claim` raises the version in the edit's own transaction with
`UPDATE … SET version = version + 1 WHERE id = … AND version = <read>`: when another counter saved in
between, no row matches and the edit is refused with RECORD_CHANGED, naming who changed it and when —
nothing is written, and the page keeps what the clerk typed. The UPDATE is also the row lock: on
PostgreSQL a second counter's claim waits for the first transaction and then finds the version moved on;
on SQLite writers are serialised (BEGIN IMMEDIATE). After the claim the row is read again, so the service's
own checks see the state it is about to change.

A record is one aggregate: a change to its parties, certificates or documents raises the record's
version too — services claim the record, and the commit hook raises the version of any record a
transaction changed without claiming it (services/record_seals.py), so no path is left unversioned.
Commands run from the shell read and write in one transaction and pass no version (`None`): their edit
still raises the version, so a page holding the older one is refused.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from registry_app.clock import CHINA_TZ
from registry_app.errors import Issue, NotFound, RecordChanged, Refused
from registry_app.services.context import AppContext
from registry_app.services.staff_names import SYSTEM_NAMES
from registry_app.storage.digests import claimed_records
from registry_app.storage.models import Appointment, AuditEntry, Record, User, WorkCase

CODE = RecordChanged.code
#: the audit trail's entity name of each versioned row (to find who changed a booking or a work item)
_ENTITY = {Appointment: "appointment", WorkCase: "work_case"}
_NOUN = {Record: "此记录", Appointment: "此预约", WorkCase: "此待办事项"}
MAX_VERSION = 2**31 - 1


def checked_version(version, field: str = "version") -> int | None:
    """A version sent by a page or a command: None (not read first) or a whole number from 1."""
    if version is None:
        return None
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= MAX_VERSION:
        raise Refused([Issue("VERSION_INVALID", "版本号无效：应为从 1 开始的整数", field)])
    return version


def claim(ctx: AppContext, s: Session, row, version: int | None) -> None:
    """Raise `row`'s version in this transaction, refusing when it is no longer `version` (None: no
    check, still raised). `row` is a Record, Appointment or WorkCase loaded in `s`; it is re-read after."""
    version = checked_version(version)
    model = type(row)
    if model not in _NOUN:
        raise TypeError(f"{model.__name__} is not versioned")
    values = {"version": model.version + 1}
    if model is Record:
        values.update(changed_by=ctx.user.username if ctx.user else "system", changed_at=ctx.clock.now())
    stmt = update(model).where(model.id == row.id)
    if version is not None:
        stmt = stmt.where(model.version == version)
    matched = s.execute(stmt.values(**values).execution_options(synchronize_session=False)).rowcount
    s.refresh(row)
    if matched != 1:
        raise changed(s, row)
    if model is Record:
        claimed_records(s).add(row.id)


def expect(s: Session, row, version: int | None) -> None:
    """Refuse when `row` is no longer at `version`, without raising it: for a step that reads the row to
    act elsewhere (a correction proposed against the record as the clerk saw it)."""
    version = checked_version(version)
    if version is not None and row.version != version:
        raise changed(s, row)


def claim_record(ctx: AppContext, s: Session, record_id: int, version: int | None) -> Record:
    """Load and claim a record by id (NotFound RECORD_NOT_FOUND when there is none)."""
    rec = s.get(Record, record_id)
    if rec is None:
        raise NotFound(f"记录不存在：{record_id}", code="RECORD_NOT_FOUND")
    claim(ctx, s, rec, version)
    return rec


def changed(s: Session, row) -> RecordChanged:
    """The refusal, naming who last changed the row and when."""
    who, when = last_change(s, row)
    name = s.execute(select(User.display_name).where(User.username == who)).scalar() if who else None
    name = name or SYSTEM_NAMES.get(who or "")
    by = f"已由 {name or who or '其他工作人员'}" + (f" 于 {local_time(when):%Y-%m-%d %H:%M}" if when else "")
    return RecordChanged(f"{_NOUN[type(row)]}在您打开之后{by}修改，未保存任何内容；请重新打开，核对后再操作",
                         code=CODE)


def local_time(when: dt.datetime) -> dt.datetime:
    """Beijing time, whichever way the engine returned it (SQLite: as written, without a zone)."""
    return when.replace(tzinfo=CHINA_TZ) if when.tzinfo is None else when.astimezone(CHINA_TZ)


def last_change(s: Session, row) -> tuple[str | None, object]:
    """(username, time) of the row's last change: the record's own stamp, else the newest audit entry
    of the row (an index lookup), else its creation."""
    if isinstance(row, Record):
        return (row.changed_by or row.created_by), (row.changed_at or row.created_at)
    entry = s.execute(select(AuditEntry.username, AuditEntry.ts)
                      .where(AuditEntry.entity_type == _ENTITY[type(row)], AuditEntry.entity_id == str(row.id))
                      .order_by(AuditEntry.id.desc()).limit(1)).first()
    if entry is None:
        return None, None
    return entry[0], dt.datetime.fromisoformat(entry[1])


__all__ = ["CODE", "RecordChanged", "changed", "checked_version", "claim", "claim_record", "expect", "last_change", "local_time"]
