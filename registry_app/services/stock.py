"""Blank certificate booklets (空白证书): received by serial range, used by one certificate each,
or spoiled with a reason. A serial is never used twice."""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry_app.domain.roles import Permission
from registry_app.domain.states import BlankState
from registry_app.errors import Issue, Refused
from registry_app.services import audit
from registry_app.services.context import AppContext
from registry_app.services.transitions import move
from registry_app.storage.models import BlankCertificate, Certificate

BOOKLET_TYPES = {"marriage": "结婚证", "divorce": "离婚证", "adoption": "收养登记证", "adoption_dissolution": "解除收养关系证明"}
_SERIAL = re.compile(r"^([A-Z]*)(\d{4,12})$")
MAX_RANGE = 100_000


def use_blank(ctx: AppContext, s: Session, serial: str, booklet_type: str, cert: Certificate) -> None:
    blank = s.get(BlankCertificate, serial)
    if blank is None:
        raise Refused([Issue("BLANK_NOT_IN_STOCK", f"空白证书{serial}未入库，请核对印制号", "blank_serial")])
    if blank.booklet_type != booklet_type:
        raise Refused([Issue("BLANK_WRONG_TYPE", f"空白证书{serial}是{BOOKLET_TYPES[blank.booklet_type]}，不能用于此证", "blank_serial")])
    if blank.status != BlankState.AVAILABLE:
        raise Refused([Issue("BLANK_NOT_AVAILABLE", f"空白证书{serial}{BlankState.label(blank.status)}，不能再用",
                             "blank_serial")])
    move(ctx, s, blank, BlankState.USED)  # stamps changed_at; the operation's entry covers it
    blank.certificate_id = cert.id
    cert.blank_serial = serial


@dataclass
class StockSummary:
    booklet_type: str
    available: int
    used: int
    spoiled: int

    def to_dict(self) -> dict:
        return self.__dict__.copy()


class BlankStock:
    def __init__(self, ctx: AppContext):
        self.ctx = ctx

    def receive(self, booklet_type: str, first: str, last: str) -> int:
        user = self.ctx.require(Permission.MANAGE_STOCK)
        if booklet_type not in BOOKLET_TYPES:
            raise Refused([Issue("BOOKLET_TYPE_INVALID", "证书种类无效", "booklet_type")])
        m1, m2 = _SERIAL.match(first or ""), _SERIAL.match(last or "")
        if not m1 or not m2 or m1.group(1) != m2.group(1) or len(m1.group(2)) != len(m2.group(2)):
            raise Refused([Issue("SERIAL_RANGE_INVALID", "起止印制号格式不一致", "first")])
        a, b = int(m1.group(2)), int(m2.group(2))
        if b < a or b - a + 1 > MAX_RANGE:
            raise Refused([Issue("SERIAL_RANGE_INVALID", f"印制号范围无效（一次最多{MAX_RANGE}本）", "last")])
        prefix, width = m1.group(1), len(m1.group(2))
        serials = [f"{prefix}{n:0{width}d}" for n in range(a, b + 1)]
        with self.ctx.db.write() as s:
            taken = s.execute(select(BlankCertificate.serial).where(BlankCertificate.serial.in_(serials[:1000] if len(serials) > 1000 else serials))).scalars().first()
            if taken or any(s.get(BlankCertificate, x) for x in (serials[0], serials[-1])):
                raise Refused([Issue("SERIAL_ALREADY_RECEIVED", f"印制号{taken or serials[0]}已入库", "first")])
            today = self.ctx.clock.today()
            s.add_all(BlankCertificate(serial=x, booklet_type=booklet_type, received_on=today,
                                       received_by=user.username) for x in serials)
            audit.record(self.ctx, s, "stock.received", "blank_stock", f"{first}..{last}",
                         {"booklet_type": booklet_type, "count": len(serials)})
        return len(serials)

    def spoil(self, serial: str, reason: str) -> None:
        user = self.ctx.require(Permission.PRINT)
        if not (reason or "").strip():
            raise Refused([Issue("REASON_REQUIRED", "请填写作废原因（卡纸、打错等）", "reason")])
        from registry_app.services.events import append_event

        with self.ctx.db.write() as s:
            blank = s.get(BlankCertificate, serial)
            if blank is None:
                raise Refused([Issue("BLANK_NOT_IN_STOCK", f"空白证书{serial}未入库", "serial")])
            if blank.status == BlankState.SPOILED:
                raise Refused([Issue("BLANK_ALREADY_SPOILED", f"空白证书{serial}已作废", "serial")])
            blank.spoiled_reason = reason
            blank.spoiled_by = user.username
            move(self.ctx, s, blank, BlankState.SPOILED, action="stock.spoiled", entity_id=serial, reason=reason)
            append_event(self.ctx, s, "blank.spoiled", None, {"serial": serial, "booklet_type": blank.booklet_type,
                                                               "reason": reason})

    def summary(self) -> list[StockSummary]:
        self.ctx.require(Permission.PRINT)
        with self.ctx.db.read() as s:
            rows = s.execute(select(BlankCertificate.booklet_type, BlankCertificate.status, func.count())
                             .group_by(BlankCertificate.booklet_type, BlankCertificate.status)).all()
        out = {t: StockSummary(t, 0, 0, 0) for t in BOOKLET_TYPES}
        for t, status, n in rows:
            setattr(out[t], BlankState(status).value, n)  # StockSummary's counts are named after the states
        return list(out.values())
