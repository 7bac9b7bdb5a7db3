"""Printing set-up at the counter: printer calibrations, the day's certificates, and bulk printing.

Calibrations are changed with the PRINT permission: the registrar at the printer is the one who
prints the calibration sheet, measures it and saves the correction; every change is audited with
the values before and after, so a wrong correction can be traced and undone. Bulk printing reuses
CertificatePrinting (views, signed QR, print log and reprint rule): nothing is copied here.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from sqlalchemy import func, select

from registry_app.certificates import Calibration, calibration_sheet_pdf, render_many
from registry_app.domain.roles import Permission
from registry_app.domain.states import CertificateState, CertificateType
from registry_app.errors import Cancelled, Issue, NotFound, Refused, RegistryError
from registry_app.operations import Progress
from registry_app.services import audit
from registry_app.services.certificate_print import (
    CertificatePrinting,
    certificate_views,
    load_calibration,
    still_valid,
)
from registry_app.services.context import AppContext
from registry_app.storage.models import (
    Certificate,
    PrinterCalibration,
    PrintJob,
    Record,
)

_NUMBER = re.compile(r"^[A-Z]{1,2}\d{6}-\d{4}-\d{6}$")
NAME_MAX = 64

@dataclass(frozen=True)
class CalibrationInfo:
    name: str
    dx_mm: float
    dy_mm: float
    scale: float

    def to_dict(self) -> dict:
        return asdict(self)


def _print_counts(s, certs: list[Certificate]) -> dict[int, int]:
    """Copies printed so far per certificate id, counted from the print log."""
    ids = [c.id for c in certs]
    if not ids:
        return {}
    return {cid: n for cid, n in s.execute(select(PrintJob.certificate_id, func.count())
                                           .where(PrintJob.certificate_id.in_(ids))
                                           .group_by(PrintJob.certificate_id))}


@dataclass(frozen=True)
class DayCertificate:
    """A certificate issued on a day, as the bulk-printing list shows it."""

    record_id: int
    certificate_no: str
    cert_type: str
    type_zh: str
    holders: str
    blank_serial: str
    print_count: int

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class DayPrint:
    """One PDF for the day's certificates, one page per booklet, and what it holds."""

    pdf: bytes
    pages: int
    certificates: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)   # already printed, left out

    def to_dict(self) -> dict:
        return {"pages": self.pages, "certificates": self.certificates, "skipped": self.skipped,
                "bytes": len(self.pdf)}


def _info(row: PrinterCalibration) -> CalibrationInfo:
    return CalibrationInfo(row.name, row.dx_mm, row.dy_mm, row.scale)


class PrintingSetup:
    def __init__(self, ctx: AppContext):
        self.ctx = ctx
        self.printing = CertificatePrinting(ctx)

    # --- calibrations -------------------------------------------------------------------------

    def calibrations(self) -> list[CalibrationInfo]:
        self.ctx.require(Permission.PRINT)
        with self.ctx.db.read() as s:
            rows = s.execute(select(PrinterCalibration).order_by(PrinterCalibration.name)).scalars().all()
            return [_info(r) for r in rows]

    def calibration(self, name: str) -> CalibrationInfo:
        self.ctx.require(Permission.PRINT)
        with self.ctx.db.read() as s:
            row = s.get(PrinterCalibration, name)
            if row is None:
                raise NotFound(f"打印机校准“{name}”不存在", code="CALIBRATION_NOT_FOUND", field="name")
            return _info(row)

    def save_calibration(self, name: str, dx_mm: float, dy_mm: float, scale: float = 1.0) -> CalibrationInfo:
        """Create or update a printer's correction (dx > 0 moves right, dy > 0 moves down)."""
        self.ctx.require(Permission.PRINT)
        name = (name or "").strip()
        issues = []
        if not name:
            issues.append(Issue("CALIBRATION_NAME_REQUIRED", "请填写校准名称（如打印机名称或窗口号）", "name"))
        elif len(name) > NAME_MAX:
            issues.append(Issue("CALIBRATION_NAME_TOO_LONG", f"校准名称不能超过{NAME_MAX}个字", "name"))
        try:
            values = Calibration(name or "?", float(dx_mm), float(dy_mm), float(scale))
        except (TypeError, ValueError):
            issues.append(Issue("CALIBRATION_INVALID", "偏移和缩放须为数字", "dx_mm"))
        except RegistryError as exc:
            where = "scale" if "缩放" in exc.message else "dx_mm"
            issues.append(Issue("CALIBRATION_INVALID", exc.message, where))
        if issues:
            raise Refused(issues)
        with self.ctx.db.write() as s:
            row = s.get(PrinterCalibration, name)
            before = _info(row).to_dict() if row else None
            if row is None:
                row = PrinterCalibration(name=name, dx_mm=values.dx_mm, dy_mm=values.dy_mm, scale=values.scale)
                s.add(row)
            else:
                row.dx_mm, row.dy_mm, row.scale = values.dx_mm, values.dy_mm, values.scale
            s.flush()
            after = _info(row)
            audit.record(self.ctx, s, "calibration.saved", "printer_calibration", name,
                         {"before": before, "after": after.to_dict()})
            return after

    def delete_calibration(self, name: str) -> None:
        self.ctx.require(Permission.PRINT)
        with self.ctx.db.write() as s:
            row = s.get(PrinterCalibration, name)
            if row is None:
                raise NotFound(f"打印机校准“{name}”不存在", code="CALIBRATION_NOT_FOUND", field="name")
            before = _info(row).to_dict()
            s.delete(row)
            audit.record(self.ctx, s, "calibration.deleted", "printer_calibration", name, {"before": before})

    def calibration_sheet(self, name: str | None = None) -> bytes:
        """The calibration sheet; with a saved calibration, printed corrected, to check it."""
        if not name:
            return calibration_sheet_pdf()
        info = self.calibration(name)
        return calibration_sheet_pdf(Calibration(info.name, info.dx_mm, info.dy_mm, info.scale))

    # --- finding what to print ------------------------------------------------------------------

    def find_record(self, text: str) -> int:
        """A record id ("12") or a certificate number ("J320102-2026-000001") -> the record id."""
        self.ctx.require(Permission.PRINT)
        value = (text or "").strip().upper()
        if value.isdigit():
            return int(value)
        if not _NUMBER.match(value):
            raise Refused([Issue("LOOKUP_INVALID", "请输入受理号（数字）或证书字号，如 J320102-2026-000001",
                                 "record")])
        with self.ctx.db.read() as s:
            record_id = s.execute(select(Certificate.record_id).where(Certificate.number == value)).scalar()
        if record_id is None:
            raise NotFound(f"没有字号为 {value} 的证书", code="CERTIFICATE_NOT_FOUND", field="record")
        return record_id

    def day_certificates(self, day: dt.date) -> list[DayCertificate]:
        """The valid certificates issued on `day`, in issue order, with their record ids. Listing the
        holders' names is a view of personal data and is audited."""
        self.ctx.require(Permission.PRINT)
        with self.ctx.db.write() as s:
            certs = s.execute(select(Certificate).where(Certificate.issued_on == day, Certificate.status == CertificateState.ISSUED)
                              .order_by(Certificate.id)).scalars().all()
            printed = _print_counts(s, certs)
            out = []
            for cert in certs:
                rec = s.get(Record, cert.record_id)
                holders = [p.name for p in rec.parties if p.role in ("party1", "party2")
                           or p.role.startswith("adopter")] if rec else []
                out.append(DayCertificate(cert.record_id, cert.number, cert.cert_type,
                                          CertificateType.label(cert.cert_type), "、".join(holders),
                                          cert.blank_serial or "", printed.get(cert.id, 0)))
            audit.record(self.ctx, s, "certificates.day_listed", "certificate", day.isoformat(),
                         {"count": len(out), "record_ids": [c.record_id for c in out]})
            return out

    # --- bulk printing --------------------------------------------------------------------------

    def render_day(self, day: dt.date, *, calibration: str | None = None, include_printed: bool = False,
                   approved_by: str | None = None, approver_password: str | None = None,
                   progress: Progress | None = None,
                   cancelled: Callable[[], bool] | None = None) -> DayPrint:
        """The day's certificates as one PDF (each holder's booklet one page), each print logged as
        CertificatePrinting.render logs it. Certificates already printed are left out unless
        `include_printed` (then they are reprints and need `approved_by`). The rendering runs outside
        any transaction, so other counters are not held up; cancelling leaves nothing logged."""
        self.ctx.require(Permission.PRINT)
        with self.ctx.db.read() as s:
            certs = s.execute(select(Certificate).where(Certificate.issued_on == day, Certificate.status == CertificateState.ISSUED)
                              .order_by(Certificate.id)).scalars().all()
            printed = _print_counts(s, certs)
            skipped = [] if include_printed else [c.number for c in certs if printed.get(c.id)]
            chosen = [c for c in certs if include_printed or not printed.get(c.id)]
            if include_printed and not approved_by and any(printed.get(c.id) for c in chosen):
                raise Refused([Issue("REPRINT_NEEDS_SUPERVISOR", "其中有已打印过的证书，补打须经负责人批准",
                                     "approved_by")])
            views = []
            for cert in chosen:
                views += certificate_views(s, s.get(Record, cert.record_id), cert)
            cal = load_calibration(s, calibration)
            chosen_ids = [(c.id, c.number) for c in chosen]
        if not views:
            raise Refused([Issue("NOTHING_TO_PRINT", f"{day.isoformat()} 没有待打印的证书"
                                 + ("（当日证书均已打印）" if skipped else ""), "date")])
        pdf = render_many(views, calibration=cal, progress=progress, cancelled=cancelled)
        if cancelled is not None and cancelled():
            raise Cancelled("已取消打印")
        with self.ctx.db.write() as s:
            for cert_id, number in chosen_ids:
                cert = still_valid(s, cert_id, number)
                copy = self.printing.log_print(s, cert, approved_by, approver_password)
                audit.record(self.ctx, s, "certificate.rendered", "certificate", number,
                             {"on_blank": False, "calibration": calibration, "bulk_day": day.isoformat(),
                              "copy": copy})
        return DayPrint(pdf, len(views), [n for _i, n in chosen_ids], skipped)
