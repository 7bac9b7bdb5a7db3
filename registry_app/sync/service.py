"""End of day at the office: the close-day check, the batch export, acknowledgements and reference
extracts from the province, the keys, and the supervisor's list of sync cases.

The file format is in registry_app/sync (pure functions); the office's database side is split by
responsibility: export.py (the three-step export and re-export), reconcile.py (what an interrupted
export left: adopt, drop, quarantine), acks.py (acknowledgements and the audit anchors they carry),
reference_store.py (the reference extract). This module puts them together with the keys, the close-
day check and the work list. Each public operation is one transaction (the export: three, see
export.py) and is audited.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select

from registry_app.domain.roles import Permission
from registry_app.domain.states import BatchState, WorkCaseState
from registry_app.errors import InvalidState, Issue, NotFound, Refused, RegistryError
from registry_app.fsutil import write_atomic
from registry_app.services import audit, versions
from registry_app.services.events import append_event
from registry_app.services.office_keys import create_office_key
from registry_app.services.settings import load_settings
from registry_app.services.transitions import move
from registry_app.storage.models import Batch, KeyMaterial, Record, RecordEvent, WorkCase
from registry_app.sync.acks import AckMixin
from registry_app.sync.base import (OFFICE_KEY, PROVINCE_KEY, as_date,  # noqa: F401
                                    event_payload)
from registry_app.sync.export import ExportMixin
from registry_app.sync.keys import load_public_key_file
from registry_app.sync.quality import open_work_on, registration_quality
from registry_app.sync.reconcile import open_orphans, pending_batches
from registry_app.sync.reference_store import ReferenceMixin
from registry_app.sync.results import (  # noqa: F401 - the page and the command line import them from here
    AckImportResult,
    BatchView,
    CASE_KIND_ZH,
    CASE_STATUS_ZH,
    CloseDayReport,
    ExportResult,
    KeyResult,
    ReconcileReport,
    ReferenceImportResult,
    ReferenceStatus,
    WorkCaseView,
)


class SyncService(ExportMixin, AckMixin, ReferenceMixin):
    """The office's end of day. `reconcile()` must run once at client start (after login): it settles
    what an export interrupted by a kill or a power cut left behind (see reconcile.py)."""

    def set_province_key(self, path: str | Path) -> KeyResult:
        """Trust a province public key (.pub) and encrypt batches to it from now on. Rotation keeps
        the old keys so acknowledgements signed before it still verify."""
        self.ctx.require(Permission.MANAGE_KEYS)
        key = load_public_key_file(path)
        if not key.owner.startswith("province:") or key.x25519 is None:
            raise RegistryError("该文件不是省级公钥（not a province public key）", code="KEY_NOT_PROVINCE",
                                field="path")
        with self.ctx.db.write() as s:
            row = s.get(KeyMaterial, key.key_id)
            if row is not None and row.purpose != PROVINCE_KEY:
                raise RegistryError(f"密钥{key.key_id}已作为本处密钥登记（key already known）", code="KEY_OWNER_CONFLICT")
            for other in s.execute(select(KeyMaterial).where(KeyMaterial.purpose == PROVINCE_KEY)).scalars():
                other.active = other.key_id == key.key_id
            if row is None:
                s.add(KeyMaterial(key_id=key.key_id, purpose=PROVINCE_KEY, owner=key.owner, public_data=key.to_dict(),
                                  private_key=None, active=True, created_at=self.ctx.clock.now()))
            else:
                row.active = True
            s.flush()
            audit.record(self.ctx, s, "sync.province_key_set", "key", key.key_id, {"owner": key.owner,
                                                                                  "new": row is None})
        return KeyResult(key.key_id, key.owner, str(path))

    def export_office_public_key(self, path: str | Path) -> KeyResult:
        """Write the office's active public key file for the province to register."""
        self._require_any(Permission.MANAGE_KEYS, Permission.SYNC_EXPORT)
        with self.ctx.db.write() as s:
            pair = self._office_key(s, self._office_code(s))
            out = Path(path)
            if out.is_dir():
                out = out / f"office-{pair.office_code}-{pair.key_id}.pub"
            write_atomic(out, pair.public.to_file_bytes(), mode=0o644)
            audit.record(self.ctx, s, "sync.office_key_exported", "key", pair.key_id, {"file": out.name})
        return KeyResult(pair.key_id, pair.public.owner, str(out))

    def rotate_office_key(self) -> KeyResult:
        """A new signing key; the old one stays (inactive) so what it signed still verifies. The
        province must register the new .pub before it receives a batch signed with it."""
        self.ctx.require(Permission.MANAGE_KEYS)
        with self.ctx.db.write() as s:
            office_code = self._office_code(s)
            old = s.execute(select(KeyMaterial.key_id).where(KeyMaterial.purpose == OFFICE_KEY,
                                                             KeyMaterial.active.is_(True))).scalar()
            row = create_office_key(s, office_code, self.ctx.clock.now())
            append_event(self.ctx, s, "office.key_published", None,
                         {"key_id": row.key_id, "ed25519": row.public_data["ed25519"], "replaces": old})
            audit.record(self.ctx, s, "sync.office_key_rotated", "key", row.key_id, {"replaces": old})
            return KeyResult(row.key_id, row.owner)

    # --- close-day check ------------------------------------------------------------------------
    def close_day_check(self, date: dt.date | str) -> CloseDayReport:
        """Open work, the registration quality check (登记合格率), the day's events by type, and the
        audit chain head to copy onto the close-of-day sheet (the paper anchor)."""
        self._require_any(Permission.SYNC_EXPORT, Permission.STATISTICS)
        day = as_date(date)
        with self.ctx.db.write() as s:
            defects, registrations, passed = registration_quality(s, day)
            open_work = open_work_on(s, day)
            counts = dict(sorted(Counter(s.execute(select(RecordEvent.event_type)
                                                   .where(RecordEvent.business_date == day)).scalars()).items()))
            pending = s.execute(select(func.count()).select_from(RecordEvent).where(
                RecordEvent.batch_seq.is_(None), RecordEvent.business_date <= day)).scalar() or 0
            batches = list(s.execute(select(Batch.batch_seq).where(Batch.business_date == day,
                                                                   Batch.status == BatchState.WRITTEN)
                                     .order_by(Batch.batch_seq)).scalars())
            report = CloseDayReport(day.isoformat(), registrations, passed,
                                    (passed / registrations) if registrations else None, defects, open_work,
                                    counts, pending, batches, self._reference_status(s),
                                    training=bool(load_settings(s).training),
                                    pending_batches=[b.batch_seq for b in pending_batches(s)],
                                    open_orphans=open_orphans(s))
            audit.record(self.ctx, s, "sync.close_day_check", "business_date", day.isoformat(),
                         {"registrations": registrations, "passed": passed, "defects": len(defects),
                          "open_work": len(open_work), "pending_events": pending})
            report.audit_head = audit.chain_head(s)  # this check's own entry included
            return report

    def batches(self, limit: int = 30) -> list[BatchView]:
        self._require_any(Permission.SYNC_EXPORT, Permission.SYNC_IMPORT)
        with self.ctx.db.read() as s:
            rows = s.execute(select(Batch).order_by(Batch.batch_seq.desc()).limit(limit)).scalars().all()
            return [BatchView(b.batch_seq, b.business_date.isoformat(), b.file_name, b.event_count, b.created_at,
                              b.created_by, b.acknowledged, b.status) for b in rows]

    # --- work cases -----------------------------------------------------------------------------
    def work_cases(self, open_only: bool = True) -> list[WorkCaseView]:
        """The supervisor's list: events the province rejected (correct and resend) or found in
        conflict with its marital-status records (investigate)."""
        self._require_any(Permission.APPROVE_CORRECTION, Permission.SYNC_IMPORT)
        with self.ctx.db.read() as s:
            q = select(WorkCase).order_by(WorkCase.id)
            if open_only:
                q = q.where(WorkCase.status == WorkCaseState.OPEN)
            out = []
            for c in s.execute(q).scalars():
                ev = s.execute(select(RecordEvent).where(RecordEvent.event_id == c.event_id)).scalar_one_or_none() \
                    if c.event_id else None
                rec = s.get(Record, c.record_id) if c.record_id else None
                out.append(WorkCaseView(c.id, c.kind, CASE_KIND_ZH.get(c.kind, c.kind), c.status,
                                        CASE_STATUS_ZH.get(c.status, c.status), c.event_id,
                                        ev.event_type if ev else None, c.record_id,
                                        rec.certificate_no if rec else None, c.code, c.message,
                                        c.opened_at.isoformat(), c.resolved_by, c.resolution or "", c.version))
            return out

    def resolve_case(self, case_id: int, note: str, *, version: int | None = None) -> WorkCaseView:
        """Close a work item with what was done. `version` is the one the list showed (None from the
        shell): an item resolved at another desk since is refused with RECORD_CHANGED naming who."""
        user = self.ctx.require(Permission.APPROVE_CORRECTION)
        if not (note or "").strip():
            raise Refused([Issue("NOTE_REQUIRED", "请填写处理情况", "note")])
        version = versions.checked_version(version)
        with self.ctx.db.write() as s:
            case = s.get(WorkCase, case_id)
            if case is None:
                raise NotFound(f"待办事项不存在：{case_id}", code="CASE_NOT_FOUND")
            versions.claim(self.ctx, s, case, version)
            if case.status != WorkCaseState.OPEN:
                raise InvalidState("该事项已处理", code="CASE_RESOLVED")
            case.resolved_by, case.resolution = user.username, note.strip()
            move(self.ctx, s, case, WorkCaseState.RESOLVED.value, action="sync.case_resolved",
                 detail={"event_id": case.event_id, "code": case.code}, reason=note.strip())
        return next(c for c in self.work_cases(open_only=False) if c.id == case_id)

    # --- small helpers for the page ---------------------------------------------------------------
    def office_public_key_id(self) -> str:
        self._require_any(Permission.SYNC_EXPORT, Permission.MANAGE_KEYS)
        with self.ctx.db.read() as s:
            return self._office_key(s, self._office_code(s)).key_id

