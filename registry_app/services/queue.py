"""Today's queue: tickets numbered from 1 each day, called to a counter, served or passed over, and the
day's report (served, no-shows, average wait). Tickets are anonymous; a booking is linked by its id.

Every step is one transaction with its audit entry, moved through services.transitions (QueueState)."""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from sqlalchemy import func, select

from registry_app.domain.roles import Permission
from registry_app.domain.states import QueueState
from registry_app.errors import Issue, NotFound, Refused
from registry_app.services import audit
from registry_app.services.context import AppContext
from registry_app.services.transitions import move
from registry_app.storage.models import QueueTicket

# What a ticket (and a booking) is for.
SERVICES = {"marriage": "结婚登记", "divorce_application": "离婚登记申请", "divorce_collection": "领取离婚证",
            "adoption": "收养登记", "other": "其他业务"}
MAX_COUNTER = 16


@dataclass(frozen=True)
class TicketView:
    id: int
    day: dt.date
    number: int
    label: str          # what the screen and the slip show: A012
    service: str
    service_zh: str
    status: str
    status_zh: str
    counter: str
    appointment_id: int | None
    issued_at: dt.datetime
    called_at: dt.datetime | None
    finished_at: dt.datetime | None
    wait_minutes: float | None   # issued → called (or → now while waiting)

    def to_dict(self) -> dict:
        d = asdict(self)
        for k in ("day", "issued_at", "called_at", "finished_at"):
            d[k] = d[k].isoformat() if d[k] else None
        return d


@dataclass(frozen=True)
class DayReport:
    day: dt.date
    issued: int
    served: int
    no_shows: int
    waiting: int
    in_progress: int
    average_wait_minutes: float | None
    longest_wait_minutes: float | None
    average_service_minutes: float | None

    def to_dict(self) -> dict:
        return {**asdict(self), "day": self.day.isoformat()}


def _minutes(a: dt.datetime | None, b: dt.datetime | None) -> float | None:
    if a is None or b is None:
        return None
    if a.tzinfo is None and b.tzinfo is not None:   # SQLite hands back naive times
        b = b.replace(tzinfo=None)
    elif b.tzinfo is None and a.tzinfo is not None:
        a = a.replace(tzinfo=None)
    return round((b - a).total_seconds() / 60, 1)


def ticket_label(number: int) -> str:
    return f"A{number:03d}"


class Queue:
    def __init__(self, ctx: AppContext):
        self.ctx = ctx

    def _view(self, t: QueueTicket, now: dt.datetime | None = None) -> TicketView:
        end = t.called_at or (now if t.status == QueueState.WAITING else None)
        return TicketView(t.id, t.day, t.number, ticket_label(t.number), t.service, SERVICES.get(t.service, t.service),
                          t.status, QueueState.label(t.status), t.counter, t.appointment_id, t.issued_at,
                          t.called_at, t.finished_at, _minutes(t.issued_at, end))

    @staticmethod
    def _counter(counter: str) -> str:
        counter = (counter or "").strip()
        if not counter or len(counter) > MAX_COUNTER or not counter.isprintable():
            raise Refused([Issue("QUEUE_COUNTER_INVALID", f"请填写窗口号（不超过{MAX_COUNTER}个字符）", "counter")])
        return counter

    def issue(self, service: str, appointment_id: int | None = None) -> TicketView:
        """The next number of today for `service` (取号)."""
        self.ctx.require(Permission.REGISTER)
        if service not in SERVICES:
            raise Refused([Issue("QUEUE_SERVICE_UNKNOWN", "请选择办理的业务", "service")])
        with self.ctx.db.write() as s:
            return self.issue_in(s, service, appointment_id)

    def issue_in(self, s, service: str, appointment_id: int | None = None) -> TicketView:
        """Issue inside the caller's transaction (a booked couple's arrival takes its ticket with it)."""
        today, now = self.ctx.clock.today(), self.ctx.clock.now()
        last = s.execute(select(func.max(QueueTicket.number)).where(QueueTicket.day == today)).scalar()
        t = QueueTicket(day=today, number=(last or 0) + 1, service=service, status=QueueState.WAITING.value,
                        counter="", appointment_id=appointment_id, issued_at=now, handled_by="")
        s.add(t)
        s.flush()
        audit.record(self.ctx, s, "queue.issue", "queue_ticket", t.id,
                     {"number": t.number, "service": service, "appointment_id": appointment_id})
        return self._view(t, now)

    def call_next(self, counter: str, service: str | None = None) -> TicketView:
        """The longest-waiting ticket (lowest number) moves to 已叫号 at `counter`. QUEUE_EMPTY when none waits."""
        user = self.ctx.require(Permission.REGISTER)
        counter = self._counter(counter)
        today = self.ctx.clock.today()
        with self.ctx.db.write() as s:
            q = select(QueueTicket).where(QueueTicket.day == today, QueueTicket.status == QueueState.WAITING.value)
            if service:
                q = q.where(QueueTicket.service == service)
            t = s.execute(q.order_by(QueueTicket.number).limit(1)).scalar_one_or_none()
            if t is None:
                raise NotFound("没有等候的号", code="QUEUE_EMPTY", field="queue")
            move(self.ctx, s, t, QueueState.CALLED.value, action="queue.call",
                 detail={"number": t.number, "counter": counter})
            t.counter, t.called_at, t.handled_by = counter, self.ctx.clock.now(), user.username
            return self._view(t)

    def _step(self, ticket_id: int, target: QueueState, action: str) -> TicketView:
        self.ctx.require(Permission.REGISTER)
        with self.ctx.db.write() as s:
            t = s.get(QueueTicket, ticket_id)
            if t is None:
                raise NotFound(f"没有这个排队号：{ticket_id}", code="QUEUE_TICKET_NOT_FOUND", field="ticket")
            move(self.ctx, s, t, target.value, action=action, detail={"number": t.number, "counter": t.counter})
            if target in (QueueState.DONE, QueueState.NO_SHOW):
                t.finished_at = self.ctx.clock.now()
            return self._view(t)

    def start(self, ticket_id: int) -> TicketView:
        """The called party came to the counter (办理中)."""
        return self._step(ticket_id, QueueState.AT_COUNTER, "queue.start")

    def finish(self, ticket_id: int) -> TicketView:
        return self._step(ticket_id, QueueState.DONE, "queue.finish")

    def no_show(self, ticket_id: int) -> TicketView:
        """Called and not come (过号): a late arrival takes a new ticket."""
        return self._step(ticket_id, QueueState.NO_SHOW, "queue.no_show")

    def tickets(self, day: dt.date | None = None) -> list[TicketView]:
        self.ctx.require(Permission.REGISTER)
        day = day or self.ctx.clock.today()
        now = self.ctx.clock.now()
        with self.ctx.db.read() as s:
            rows = s.execute(select(QueueTicket).where(QueueTicket.day == day).order_by(QueueTicket.number)).scalars()
            return [self._view(t, now if day == self.ctx.clock.today() else None) for t in rows]

    def report(self, day: dt.date | None = None) -> DayReport:
        """Served (办结), no-shows (过号), still waiting, average and longest wait (取号→叫号), average time
        at the counter (叫号→办结)."""
        day = day or self.ctx.clock.today()
        views = self.tickets(day)
        waits = [v.wait_minutes for v in views if v.called_at is not None and v.wait_minutes is not None]
        service = [m for v in views if v.status == QueueState.DONE
                   if (m := _minutes(v.called_at, v.finished_at)) is not None]
        from collections import Counter

        count = Counter(v.status for v in views).__getitem__
        return DayReport(day, len(views), count(QueueState.DONE), count(QueueState.NO_SHOW),
                         count(QueueState.WAITING), count(QueueState.CALLED) + count(QueueState.AT_COUNTER),
                         round(sum(waits) / len(waits), 1) if waits else None, max(waits) if waits else None,
                         round(sum(service) / len(service), 1) if service else None)
