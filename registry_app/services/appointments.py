"""Appointments: a supervisor opens slots per counter and day with a quota; staff book couples by phone
or at the desk (marriage, divorce application, divorce certificate collection inside the couple's
window, adoption); an arrival takes a queue ticket. Nothing is registered from a booking: the details
keyed in ahead only save typing, and the counter checks them as for anyone else.

Names, phone and the details are personal data: kept in the encrypted database, never in the audit
entry (which says which slot and what for)."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass

from sqlalchemy import func, select

from registry_app.domain.deadlines import DivorceDeadlines
from registry_app.domain.field_rules import forbidden_character, text_issues
from registry_app.domain.roles import Permission
from registry_app.domain.states import AppointmentState, DivorceState, RecordKind
from registry_app.errors import InvalidState, Issue, NotFound, Refused
from registry_app.services import audit, versions
from registry_app.services.context import AppContext
from registry_app.services.queue import SERVICES, Queue, TicketView
from registry_app.services.transitions import move
from registry_app.storage.models import Appointment, AppointmentSlot, Party, Record

_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
MAX_QUOTA = 200
ACTIVE = (AppointmentState.BOOKED.value, AppointmentState.ARRIVED.value)


@dataclass(frozen=True)
class SlotView:
    id: int
    day: dt.date
    counter: str
    start: str
    end: str
    quota: int
    booked: int

    @property
    def free(self) -> int:
        return max(0, self.quota - self.booked)

    def to_dict(self) -> dict:
        return {**asdict(self), "day": self.day.isoformat(), "free": self.free}


@dataclass(frozen=True)
class BookingView:
    id: int
    slot_id: int
    day: dt.date
    start: str
    counter: str
    service: str
    service_zh: str
    status: str
    status_zh: str
    names: str
    phone: str
    record_id: int | None
    version: int  # what an edit from this view claims (services/versions.py)

    def to_dict(self) -> dict:
        return {**asdict(self), "day": self.day.isoformat()}


@dataclass(frozen=True)
class ClosingWindow:
    """A divorce application whose collection window closes soon, and whether it is booked."""

    record_id: int
    names: str
    window_opens: dt.date
    collect_by: dt.date
    days_left: int
    booked_on: dt.date | None

    def to_dict(self) -> dict:
        d = asdict(self)
        for k in ("window_opens", "collect_by", "booked_on"):
            d[k] = d[k].isoformat() if d[k] else None
        return d


def _refuse(code: str, message: str, field: str) -> Refused:
    return Refused([Issue(code, message, field)])


class Appointments:
    def __init__(self, ctx: AppContext):
        self.ctx = ctx

    # --- slots (supervisor) ----------------------------------------------------------------------
    def open_slot(self, day: dt.date, counter: str, start: str, end: str, quota: int) -> SlotView:
        """Open a slot, or change the quota of the one at that counter and start. Codes:
        APPOINTMENT_TIME_INVALID, APPOINTMENT_QUOTA_INVALID, APPOINTMENT_DAY_PAST, APPOINTMENT_QUOTA_BELOW_BOOKED."""
        self.ctx.require(Permission.MANAGE_APPOINTMENTS)
        counter = Queue._counter(counter)
        issues = []
        if not (_TIME.match(start or "") and _TIME.match(end or "")) or start >= end:
            issues.append(Issue("APPOINTMENT_TIME_INVALID", "时段应为 HH:MM 至 HH:MM，且开始早于结束", "time"))
        if not isinstance(quota, int) or not 0 <= quota <= MAX_QUOTA:
            issues.append(Issue("APPOINTMENT_QUOTA_INVALID", f"号源数应为0至{MAX_QUOTA}", "quota"))
        if day < self.ctx.clock.today():
            issues.append(Issue("APPOINTMENT_DAY_PAST", "不能为已过去的日期放号", "day"))
        if issues:
            raise Refused(issues)
        with self.ctx.db.write() as s:
            slot = s.execute(select(AppointmentSlot).where(
                AppointmentSlot.day == day, AppointmentSlot.counter == counter,
                AppointmentSlot.start == start)).scalar_one_or_none()
            if slot is None:
                slot = AppointmentSlot(day=day, counter=counter, start=start, end=end, quota=quota,
                                       created_by=self.ctx.user.username)
                s.add(slot)
                s.flush()
            else:
                booked = self._booked(s, slot.id)
                if quota < booked:
                    raise _refuse("APPOINTMENT_QUOTA_BELOW_BOOKED", f"该时段已有{booked}个预约，号源不能少于此数", "quota")
                slot.end, slot.quota = end, quota
            audit.record(self.ctx, s, "appointment.slot", "appointment_slot", slot.id,
                         {"day": day.isoformat(), "counter": counter, "start": start, "end": end, "quota": quota})
            return self._slot_view(s, slot)

    @staticmethod
    def _booked(s, slot_id: int) -> int:
        return s.execute(select(func.count()).select_from(Appointment).where(
            Appointment.slot_id == slot_id, Appointment.status.in_(ACTIVE))).scalar() or 0

    def _slot_view(self, s, slot: AppointmentSlot) -> SlotView:
        return SlotView(slot.id, slot.day, slot.counter, slot.start, slot.end, slot.quota, self._booked(s, slot.id))

    def slots(self, first: dt.date, last: dt.date | None = None) -> list[SlotView]:
        self.ctx.require(Permission.REGISTER)
        with self.ctx.db.read() as s:
            rows = s.execute(select(AppointmentSlot).where(AppointmentSlot.day >= first,
                                                           AppointmentSlot.day <= (last or first))
                             .order_by(AppointmentSlot.day, AppointmentSlot.start, AppointmentSlot.counter)).scalars()
            return [self._slot_view(s, r) for r in rows]

    # --- bookings (staff) -------------------------------------------------------------------------
    def book(self, slot_id: int, service: str, names: str, phone: str = "", record_id: int | None = None,
             details: dict | None = None) -> BookingView:
        """Book a couple into a slot. Codes: APPOINTMENT_SERVICE_UNKNOWN, APPOINTMENT_NAMES_REQUIRED,
        APPOINTMENT_SLOT_NOT_FOUND, APPOINTMENT_DAY_PAST, APPOINTMENT_SLOT_FULL, APPOINTMENT_RECORD_REQUIRED,
        APPOINTMENT_NOT_IN_COOLING_OFF, APPOINTMENT_OUTSIDE_WINDOW, text rules of field_rules."""
        self.ctx.require(Permission.REGISTER)
        names, phone = (names or "").strip(), (phone or "").strip()
        issues = []
        if service not in SERVICES or service == "other":
            issues.append(Issue("APPOINTMENT_SERVICE_UNKNOWN", "请选择预约的业务", "service"))
        if not names:
            issues.append(Issue("APPOINTMENT_NAMES_REQUIRED", "请填写预约人姓名（双方）", "names"))
        if len(names) > 128:
            issues.append(Issue("FIELD_TOO_LONG", "预约人姓名超过128个字符", "names"))
        elif forbidden_character(names):
            issues.append(Issue("FIELD_CHARACTER_FORBIDDEN", "预约人姓名含有不能使用的字符（换行、控制字符等）", "names"))
        issues += text_issues(phone, "phone") if phone else []
        if issues:
            raise Refused(issues)
        with self.ctx.db.write() as s:
            slot = s.get(AppointmentSlot, slot_id)
            if slot is None:
                raise NotFound(f"没有这个预约时段：{slot_id}", code="APPOINTMENT_SLOT_NOT_FOUND", field="slot")
            if slot.day < self.ctx.clock.today():
                raise _refuse("APPOINTMENT_DAY_PAST", "该时段已经过去", "slot")
            if self._booked(s, slot.id) >= slot.quota:
                raise _refuse("APPOINTMENT_SLOT_FULL", f"{slot.day:%m月%d日} {slot.start} {slot.counter} 已约满，请选其他时段",
                              "slot")
            if service == "divorce_collection":
                self._check_window(s, record_id, slot.day)
            a = Appointment(slot_id=slot.id, service=service, status=AppointmentState.BOOKED.value, names=names,
                            phone=phone, record_id=record_id, details=dict(details or {}),
                            booked_by=self.ctx.user.username, booked_at=self.ctx.clock.now())
            s.add(a)
            s.flush()
            audit.record(self.ctx, s, "appointment.book", "appointment", a.id,
                         {"slot_id": slot.id, "day": slot.day.isoformat(), "service": service, "record_id": record_id})
            return self._view(a, slot)

    def _check_window(self, s, record_id: int | None, day: dt.date) -> None:
        if record_id is None:
            raise _refuse("APPOINTMENT_RECORD_REQUIRED", "领取离婚证的预约须选定离婚申请（受理号）", "record_id")
        rec = s.get(Record, record_id)
        if rec is None or rec.kind != RecordKind.DIVORCE or rec.status != DivorceState.COOLING_OFF:
            raise _refuse("APPOINTMENT_NOT_IN_COOLING_OFF", "该受理号不是冷静期中的离婚申请", "record_id")
        d = DivorceDeadlines.from_dict(rec.data["deadlines"])
        if not d.window_opens <= day <= d.collect_by:
            raise _refuse("APPOINTMENT_OUTSIDE_WINDOW",
                          f"领证须在{d.window_opens:%Y年%m月%d日}至{d.collect_by:%Y年%m月%d日}之间，请另选日期", "slot")

    @staticmethod
    def _view(a: Appointment, slot: AppointmentSlot) -> BookingView:
        return BookingView(a.id, slot.id, slot.day, slot.start, slot.counter, a.service, SERVICES[a.service], a.status,
                           AppointmentState.label(a.status), a.names, a.phone, a.record_id, a.version)

    def bookings(self, day: dt.date) -> list[BookingView]:
        self.ctx.require(Permission.REGISTER)
        with self.ctx.db.read() as s:
            rows = s.execute(select(Appointment, AppointmentSlot).join(AppointmentSlot)
                             .where(AppointmentSlot.day == day)
                             .order_by(AppointmentSlot.start, AppointmentSlot.counter, Appointment.id)).all()
            return [self._view(a, slot) for a, slot in rows]

    def details(self, appointment_id: int) -> dict:
        """What was keyed in ahead, for the counter to check and confirm."""
        self.ctx.require(Permission.REGISTER)
        with self.ctx.db.read() as s:
            a = s.get(Appointment, appointment_id)
            if a is None:
                raise NotFound(f"没有这个预约：{appointment_id}", code="APPOINTMENT_NOT_FOUND", field="appointment")
            return dict(a.details or {})

    def _change(self, appointment_id: int, target: AppointmentState, action: str, reason: str = "",
                version: int | None = None):
        """Move a booking on from 已预约. `version` is the one the page read (None from the shell): a
        booking another counter changed since is refused with RECORD_CHANGED before anything is checked."""
        self.ctx.require(Permission.REGISTER)
        version = versions.checked_version(version)
        with self.ctx.db.write() as s:
            a = s.get(Appointment, appointment_id)
            if a is None:
                raise NotFound(f"没有这个预约：{appointment_id}", code="APPOINTMENT_NOT_FOUND", field="appointment")
            versions.claim(self.ctx, s, a, version)
            if a.status != AppointmentState.BOOKED:   # staying put is no move: say so rather than act twice
                raise InvalidState(f"该预约已是“{AppointmentState.label(a.status)}”", code="APPOINTMENT_NOT_BOOKED")
            move(self.ctx, s, a, target.value, action=action, detail={"slot_id": a.slot_id}, reason=reason)
            ticket = None
            if target is AppointmentState.ARRIVED:
                ticket = Queue(self.ctx).issue_in(s, a.service, a.id)
            s.flush()
            return self._view(a, s.get(AppointmentSlot, a.slot_id)), ticket

    def cancel(self, appointment_id: int, reason: str = "", *, version: int | None = None) -> BookingView:
        return self._change(appointment_id, AppointmentState.CANCELLED, "appointment.cancel", reason, version)[0]

    def missed(self, appointment_id: int, *, version: int | None = None) -> BookingView:
        return self._change(appointment_id, AppointmentState.MISSED, "appointment.missed", version=version)[0]

    def arrive(self, appointment_id: int, *, version: int | None = None) -> tuple[BookingView, TicketView]:
        """The couple came: the booking is kept and they take a queue ticket, in one transaction."""
        return self._change(appointment_id, AppointmentState.ARRIVED, "appointment.arrive", version=version)

    # --- divorce windows closing ------------------------------------------------------------------
    def closing_windows(self, within_days: int = 7) -> list[ClosingWindow]:
        """Divorce applications in cooling-off whose collection window is open or opens, and closes within
        `within_days`: the couples to call, soonest first, with their booking if they have one."""
        self.ctx.require(Permission.REGISTER)
        today = self.ctx.clock.today()
        out = []
        with self.ctx.db.read() as s:
            recs = s.execute(select(Record).where(Record.kind == RecordKind.DIVORCE.value,
                                                  Record.status == DivorceState.COOLING_OFF.value)).scalars()
            for rec in recs:
                d = DivorceDeadlines.from_dict(rec.data["deadlines"])
                left = (d.collect_by - today).days
                if not 0 <= left <= within_days:
                    continue
                names = "、".join(s.execute(select(Party.name).where(Party.record_id == rec.id)
                                           .order_by(Party.position)).scalars())
                booked = s.execute(select(AppointmentSlot.day).join(Appointment).where(
                    Appointment.record_id == rec.id, Appointment.status.in_(ACTIVE))
                    .order_by(AppointmentSlot.day).limit(1)).scalar()
                out.append(ClosingWindow(rec.id, names, d.window_opens, d.collect_by, left, booked))
        return sorted(out, key=lambda c: (c.collect_by, c.record_id))

