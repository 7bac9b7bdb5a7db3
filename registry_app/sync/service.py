"""End of day at the office: the close-day check, the batch export, acknowledgements and reference
extracts from the province, the keys, and the supervisor's list of sync cases.

The file format is in registry_app/sync (pure functions); this module is the office's database side.
Each public operation is one transaction and is audited.

Decisions worth knowing:
- `export(date)` always makes a NEW batch (next sequence number) holding every event not yet in a
  batch up to the end of `date`, even when there is none: the province expects one batch a day.
- `export(date, again=True)` makes no new batch: it re-writes the batch(es) already made for that
  day with the same manifest (same events, sequence, previous hash and creation time, signed by the
  same key), checked against the recorded chain hash. Only the encryption differs, so the file hash
  changes and the chain does not.
- Event sequence numbers are gap-free across batches, so a rejected event is never sent again under
  its old number. When a record whose event the province rejected has been corrected since (a
  `record.corrected` event after it), the export appends a new event of the same type with the
  record's current parties and `resend_of` naming the rejected event, and it goes in that batch.
- The chain hash of the newest batch is kept in the setting `sync_last_batch` (the `batches`
  table has no column for it); older batches' chain hashes are the next batch's `prev_hash`.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from registry_app.clock import CHINA_TZ
from registry_app.domain.roles import Permission
from registry_app.errors import InvalidState, Issue, NotFound, PermissionDenied, Refused, RegistryError
from registry_app.fsutil import write_atomic
from registry_app.services import audit
from registry_app.services.context import AppContext, CurrentUser
from registry_app.services.events import append_event
from registry_app.services.office_keys import create_office_key
from registry_app.services.settings import load_settings
from registry_app.storage.models import (
    Acknowledgement,
    Batch,
    KeyMaterial,
    Record,
    RecordEvent,
    ReferenceEntry,
    Setting,
    WorkCase,
)
from registry_app.sync.ack import parse_ack
from registry_app.sync.batch import BatchWriter, batch_chain_hash, batch_file_hash, batch_file_name, build_batch
from registry_app.sync.canonical import canonical_json
from registry_app.sync.keys import KeyRing, OfficeKeyPair, PublicKey, load_public_key_file, parse_public_key
from registry_app.sync.reference import parse_reference
from registry_app.sync.quality import open_work_on, registration_quality
from registry_app.sync.results import (
    AckImportResult,
    BatchView,
    CASE_KIND_ZH,
    CASE_STATUS_ZH,
    CloseDayReport,
    ExportResult,
    KeyResult,
    ReferenceImportResult,
    ReferenceStatus,
    WorkCaseView,
)

Progress = Callable[[int, int, str], None]
Cancelled = Callable[[], bool]

PROVINCE_KEY = "province_public"
OFFICE_KEY = "office_signing"
LAST_BATCH = "sync_last_batch"
REF_KEY, REF_AS_OF, REF_PROVINCE, REF_IMPORTED = ("reference_hmac_key", "reference_as_of", "reference_province",
                                                  "reference_imported_at")
_CHUNK = 5000


class OperationCancelled(RegistryError):
    """The user cancelled a long operation; its transaction was rolled back and no file was left."""

    code = "SYNC_CANCELLED"


ExportCancelled = OperationCancelled


def _noop_progress(_done: int, _total: int, _label: str = "") -> None:
    pass


def _never() -> bool:
    return False


def _date(value: dt.date | str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise RegistryError(f"日期格式应为YYYY-MM-DD：{value}", code="DATE_INVALID", field="date") from None


def _as_datetime(text: str) -> dt.datetime:
    when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=CHINA_TZ)


def _read(path: str | Path, code: str, what: str) -> bytes:
    p = Path(path)
    try:
        return p.read_bytes()
    except OSError as exc:
        raise RegistryError(f"无法读取{what}{p.name}（{exc.strerror}）", code=code, field="path") from None


def event_payload(ev: RecordEvent) -> dict:
    """One event as the batch carries it (event-v1)."""
    return {"event_id": ev.event_id, "seq": ev.seq, "event_type": ev.event_type, "occurred_at": ev.occurred_at,
            "record_id": ev.record_id, "data": dict(ev.data or {})}


class SyncService:
    def __init__(self, ctx: AppContext):
        self.ctx = ctx

    # --- permissions ----------------------------------------------------------------------------
    def _require_any(self, *permissions: Permission) -> CurrentUser:
        last: PermissionDenied | None = None
        for p in permissions:
            try:
                return self.ctx.require(p)
            except PermissionDenied as exc:
                if exc.code != "PERMISSION_DENIED":
                    raise
                last = exc
        assert last is not None
        raise last

    # --- keys -----------------------------------------------------------------------------------
    @staticmethod
    def _office_code(s: Session) -> str:
        code = load_settings(s).office_code
        if not code:
            raise RegistryError("尚未设置登记机关代码", code="OFFICE_NOT_CONFIGURED")
        return code

    @staticmethod
    def _office_key(s: Session, office_code: str, key_id: str | None = None) -> OfficeKeyPair:
        q = select(KeyMaterial).where(KeyMaterial.purpose == OFFICE_KEY)
        q = q.where(KeyMaterial.key_id == key_id) if key_id else q.where(KeyMaterial.active.is_(True))
        row = s.execute(q).scalar_one_or_none()
        if row is None or row.private_key is None:
            raise RegistryError("本处尚无签名密钥，请管理员生成", code="OFFICE_KEY_MISSING")
        return OfficeKeyPair.from_private_bytes(office_code, row.private_key, str(row.public_data.get("created", "")))

    @staticmethod
    def _office_keys(s: Session, office_code: str) -> list[OfficeKeyPair]:
        rows = s.execute(select(KeyMaterial).where(KeyMaterial.purpose == OFFICE_KEY)
                         .order_by(KeyMaterial.active.desc(), KeyMaterial.created_at.desc())).scalars()
        return [OfficeKeyPair.from_private_bytes(office_code, r.private_key, str(r.public_data.get("created", "")))
                for r in rows if r.private_key]

    @staticmethod
    def _province_ring(s: Session) -> KeyRing:
        rows = s.execute(select(KeyMaterial).where(KeyMaterial.purpose == PROVINCE_KEY)).scalars().all()
        if not rows:
            raise RegistryError("尚未导入省级公钥，请管理员先导入（registry sync set-province-key）",
                                code="PROVINCE_KEY_MISSING")
        return KeyRing.of(parse_public_key(canonical_json(r.public_data)) for r in rows)

    @staticmethod
    def _province_public(s: Session) -> PublicKey:
        row = s.execute(select(KeyMaterial).where(KeyMaterial.purpose == PROVINCE_KEY,
                                                  KeyMaterial.active.is_(True))).scalar_one_or_none()
        if row is None:
            raise RegistryError("尚未导入省级公钥，请管理员先导入（registry sync set-province-key）",
                                code="PROVINCE_KEY_MISSING")
        return parse_public_key(canonical_json(row.public_data))

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

    # --- chain ----------------------------------------------------------------------------------
    @staticmethod
    def _chain_hash(s: Session, batch_seq: int) -> str | None:
        nxt = s.get(Batch, batch_seq + 1)
        if nxt is not None:
            return nxt.prev_hash
        row = s.get(Setting, LAST_BATCH)
        if row is not None and isinstance(row.value, dict) and row.value.get("batch_seq") == batch_seq:
            return row.value.get("chain_hash")
        return None

    @staticmethod
    def _set_last(s: Session, batch_seq: int, chain_hash: str, key_id: str) -> None:
        value = {"batch_seq": batch_seq, "chain_hash": chain_hash, "key_id": key_id}
        row = s.get(Setting, LAST_BATCH)
        if row is None:
            s.add(Setting(key=LAST_BATCH, value=value))
        else:
            row.value = value

    # --- close-day check ------------------------------------------------------------------------
    def close_day_check(self, date: dt.date | str) -> CloseDayReport:
        """Open work, the registration quality check (登记合格率) and the day's events by type."""
        self._require_any(Permission.SYNC_EXPORT, Permission.STATISTICS)
        day = _date(date)
        with self.ctx.db.write() as s:
            defects, registrations, passed = registration_quality(s, day)
            open_work = open_work_on(s, day)
            counts = dict(sorted(Counter(s.execute(select(RecordEvent.event_type)
                                                   .where(RecordEvent.business_date == day)).scalars()).items()))
            pending = s.execute(select(func.count()).select_from(RecordEvent).where(
                RecordEvent.batch_seq.is_(None), RecordEvent.business_date <= day)).scalar() or 0
            batches = list(s.execute(select(Batch.batch_seq).where(Batch.business_date == day)
                                     .order_by(Batch.batch_seq)).scalars())
            report = CloseDayReport(day.isoformat(), registrations, passed,
                                    (passed / registrations) if registrations else None, defects, open_work,
                                    counts, pending, batches, self._reference_status(s))
            audit.record(self.ctx, s, "sync.close_day_check", "business_date", day.isoformat(),
                         {"registrations": registrations, "passed": passed, "defects": len(defects),
                          "open_work": len(open_work), "pending_events": pending})
            return report

    # --- export ---------------------------------------------------------------------------------
    def export(self, date: dt.date | str, out_dir: str | Path, progress: Progress | None = None,
               cancelled: Cancelled | None = None, again: bool = False) -> ExportResult:
        """Write the batch for business day `date` into `out_dir` (with the office .pub beside it).
        All or nothing: a refusal, a cancel or a failed commit leaves no file and no change."""
        if again:
            return self.reexport(date, out_dir, progress, cancelled)[-1]
        return self._export(date, out_dir, progress, cancelled, again=False)[0]

    def reexport(self, date: dt.date | str, out_dir: str | Path, progress: Progress | None = None,
                 cancelled: Cancelled | None = None) -> list[ExportResult]:
        """Re-write every batch already made for `date` with the same manifest (a lost file, a resend)."""
        return self._export(date, out_dir, progress, cancelled, again=True)

    def _export(self, date, out_dir, progress, cancelled, again: bool) -> list[ExportResult]:
        user = self.ctx.require(Permission.SYNC_EXPORT)
        progress, cancelled = progress or _noop_progress, cancelled or _never
        day = _date(date)
        if day > self.ctx.clock.today():
            raise Refused([Issue("SYNC_DATE_FUTURE", f"不能导出尚未到来的营业日{day}", "date")])
        out = Path(out_dir)
        written: list[Path] = []
        try:
            with self.ctx.db.write() as s:
                if again:
                    return self._reexport(s, day, out, progress, cancelled, written)
                return [self._export_new(s, user, day, out, progress, cancelled, written)]
        except BaseException:
            for p in written:
                p.unlink(missing_ok=True)
            raise

    def _write(self, path: Path, data: bytes, mode: int, written: list[Path], replace: bool = False) -> None:
        if path.exists() and not replace:
            raise RegistryError(f"文件{path.name}已存在，不会覆盖（file exists）", code="SYNC_FILE_EXISTS", field="out")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RegistryError(f"无法创建目录{path.parent.name}（{exc.strerror}）", code="FILE_WRITE_FAILED",
                                field="out") from None
        existed = path.exists()
        write_atomic(path, data, mode=mode)
        if not existed:
            written.append(path)

    def _write_pub(self, out: Path, pair: OfficeKeyPair, written: list[Path]) -> Path:
        pub = out / f"office-{pair.office_code}-{pair.key_id}.pub"
        self._write(pub, pair.public.to_file_bytes(), 0o644, written, replace=True)
        return pub

    def _resend_corrected(self, s: Session, day: dt.date) -> list[str]:
        """New events for rejected events whose record was corrected since (see module docstring)."""
        later = s.execute(select(RecordEvent.seq).where(RecordEvent.batch_seq.is_(None),
                                                        RecordEvent.business_date > day).limit(1)).first()
        if later:
            return []  # appending now would put later-day events before these: left for the next export
        resent: list[str] = []
        rejected = s.execute(select(RecordEvent).where(RecordEvent.sync_status == "rejected",
                                                       RecordEvent.record_id.is_not(None))
                             .order_by(RecordEvent.seq)).scalars().all()
        for ev in rejected:
            since = s.execute(select(RecordEvent).where(RecordEvent.record_id == ev.record_id,
                                                        RecordEvent.seq > ev.seq)
                              .order_by(RecordEvent.seq)).scalars().all()
            if any((e.data or {}).get("resend_of") == ev.event_id for e in since):
                continue
            if not any(e.event_type == "record.corrected" for e in since):
                continue
            rec = s.get(Record, ev.record_id)
            data = dict(ev.data or {})
            if rec is not None:
                if "parties" in data and isinstance(data["parties"], list):
                    parties = []
                    for old, row in zip(data["parties"], rec.parties):
                        fresh = dict(old) if isinstance(old, dict) else {}
                        current = {"name": row.name, "sex": row.sex, "id_type": row.id_type,
                                   "id_number": row.id_number, "nationality": row.nationality,
                                   "birth_date": row.birth_date.isoformat() if row.birth_date else None}
                        fresh.update({k: v for k, v in current.items() if k in fresh or k in (
                            "name", "id_number", "birth_date")})
                        parties.append(fresh)
                    data["parties"] = parties
                if "certificate_no" in data and rec.certificate_no:
                    data["certificate_no"] = rec.certificate_no
            data["resend_of"] = ev.event_id
            data["resend_reason"] = ev.sync_code
            new = append_event(self.ctx, s, ev.event_type, ev.record_id, data)
            new.business_date = day
            resent.append(ev.event_id)
            audit.record(self.ctx, s, "sync.event_resent", "event", new.event_id,
                         {"resend_of": ev.event_id, "code": ev.sync_code, "seq": new.seq})
        s.flush()
        return resent

    def _export_new(self, s: Session, user: CurrentUser, day: dt.date, out: Path, progress: Progress,
                    cancelled: Cancelled, written: list[Path]) -> ExportResult:
        office_code = self._office_code(s)
        last = s.execute(select(Batch).order_by(Batch.batch_seq.desc()).limit(1)).scalar_one_or_none()
        if last is not None and day < last.business_date:
            raise Refused([Issue("SYNC_DATE_ORDER", f"已导出{last.business_date}的批次，不能再导出更早的营业日{day}"
                                                    "（如需重写已导出的批次，请用“重新导出”）", "date")])
        prev_hash = None
        if last is not None:
            prev_hash = self._chain_hash(s, last.batch_seq)
            if prev_hash is None:
                raise RegistryError(f"找不到批次{last.batch_seq}的链哈希，无法接续（chain hash unknown）",
                                    code="SYNC_CHAIN_UNKNOWN")
        pair = self._office_key(s, office_code)
        province = self._province_public(s)
        resent = self._resend_corrected(s, day)
        # The events to send: pending ones in sequence order up to the first one of a later day (the
        # range stays contiguous). Read in chunks and each kept only as its checked canonical bytes, so a
        # day of 100,000 events is held neither as ORM objects nor as dicts; they are marked below with one
        # UPDATE.
        pending_count = s.execute(select(func.count()).select_from(RecordEvent)
                                  .where(RecordEvent.batch_seq.is_(None))).scalar() or 0
        total = pending_count + 2
        writer = BatchWriter()
        seqs: list[int] = []
        counter: Counter = Counter()
        query = (select(RecordEvent).where(RecordEvent.batch_seq.is_(None)).order_by(RecordEvent.seq)
                 .execution_options(yield_per=2000))
        for i, ev in enumerate(s.execute(query).scalars()):
            if ev.business_date > day:
                break
            if i % 500 == 0:
                if cancelled():
                    raise ExportCancelled("已取消导出，未写入任何文件")
                progress(i + 1, total, f"整理事件 {i + 1}/{pending_count}")
            writer.add(event_payload(ev))
            seqs.append(ev.seq)
            counter[ev.event_type] += 1
            s.expunge(ev)
        if cancelled():
            raise ExportCancelled("已取消导出，未写入任何文件")
        exported_max = s.execute(select(func.max(RecordEvent.seq)).where(RecordEvent.batch_seq.is_not(None))).scalar() or 0
        if seqs and seqs[0] != exported_max + 1:
            raise RegistryError(f"待上报事件应从序号{exported_max + 1}接续，实为{seqs[0]}（event seq gap）",
                                code="SYNC_EVENT_GAP")
        total = len(seqs) + 2
        batch_seq = (last.batch_seq if last else 0) + 1
        created_at = self.ctx.clock.now().isoformat(timespec="seconds")
        data = writer.seal(office_code=office_code, business_date=day, batch_seq=batch_seq,
                           prev_batch_hash=prev_hash, created_at=created_at, office_key=pair,
                           province_public=province)
        if cancelled():
            raise ExportCancelled("已取消导出，未写入任何文件")
        progress(len(seqs) + 1, total, "写入批次文件")
        name = batch_file_name(office_code, day, batch_seq)
        path = out / name
        self._write(path, data, 0o600, written)
        pub = self._write_pub(out, pair, written)
        file_hash, chain_hash = batch_file_hash(data), batch_chain_hash(data)
        counts = dict(sorted(counter.items()))
        first, last_seq = (seqs[0], seqs[-1]) if seqs else (None, None)
        s.add(Batch(batch_seq=batch_seq, business_date=day, file_name=name, file_hash=file_hash, prev_hash=prev_hash,
                    first_event_seq=first, last_event_seq=last_seq, event_count=len(seqs),
                    created_at=created_at, created_by=user.username, acknowledged=False))
        if seqs:
            s.execute(update(RecordEvent).where(RecordEvent.seq.between(first, last_seq),
                                                RecordEvent.batch_seq.is_(None))
                      .values(batch_seq=batch_seq, sync_status="exported")
                      .execution_options(synchronize_session=False))
        self._set_last(s, batch_seq, chain_hash, pair.key_id)
        s.flush()
        audit.record(self.ctx, s, "sync.exported", "batch", batch_seq,
                     {"business_date": day.isoformat(), "file": name, "file_hash": file_hash, "chain_hash": chain_hash,
                      "event_count": len(seqs), "counts": counts, "resent": resent})
        progress(total, total, "完成")
        return ExportResult(batch_seq, day.isoformat(), str(path), str(pub), len(seqs), counts,
                            first, last_seq, file_hash, chain_hash, False, resent)

    def _reexport(self, s: Session, day: dt.date, out: Path, progress: Progress, cancelled: Cancelled,
                  written: list[Path]) -> list[ExportResult]:
        office_code = self._office_code(s)
        batches = s.execute(select(Batch).where(Batch.business_date == day).order_by(Batch.batch_seq)).scalars().all()
        if not batches:
            raise Refused([Issue("SYNC_NOTHING_TO_REEXPORT", f"{day}尚未导出过批次，无法重新导出", "date")])
        province = self._province_public(s)
        keys = self._office_keys(s, office_code)
        results = []
        for n, b in enumerate(batches, start=1):
            if cancelled():
                raise ExportCancelled("已取消导出，未写入任何文件")
            progress(n - 1, len(batches), f"重新生成批次{b.batch_seq}")
            events = s.execute(select(RecordEvent).where(RecordEvent.batch_seq == b.batch_seq)
                               .order_by(RecordEvent.seq)).scalars().all()
            payload = [event_payload(ev) for ev in events]
            want = self._chain_hash(s, b.batch_seq)
            data = pair = None
            for candidate in keys:  # the key that signed it may have been rotated since
                attempt = build_batch(payload, office_code=office_code, business_date=day, batch_seq=b.batch_seq,
                                      prev_batch_hash=b.prev_hash, created_at=b.created_at, office_key=candidate,
                                      province_public=province)
                if want is None or batch_chain_hash(attempt) == want:
                    data, pair = attempt, candidate
                    break
            if data is None or pair is None:
                raise RegistryError(f"批次{b.batch_seq}无法按原清单重新生成（content differs from the batch sent）",
                                    code="SYNC_REEXPORT_MISMATCH")
            if cancelled():
                raise ExportCancelled("已取消导出，未写入任何文件")
            path = out / b.file_name
            self._write(path, data, 0o600, written, replace=True)
            pub = self._write_pub(out, pair, written)
            old_hash, b.file_hash = b.file_hash, batch_file_hash(data)
            counts = dict(sorted(Counter(ev.event_type for ev in events).items()))
            s.flush()
            audit.record(self.ctx, s, "sync.reexported", "batch", b.batch_seq,
                         {"business_date": day.isoformat(), "file": b.file_name, "old_file_hash": old_hash,
                          "file_hash": b.file_hash, "chain_hash": batch_chain_hash(data)})
            results.append(ExportResult(b.batch_seq, day.isoformat(), str(path), str(pub), len(events), counts,
                                        b.first_event_seq, b.last_event_seq, b.file_hash, batch_chain_hash(data),
                                        True, []))
        progress(len(batches), len(batches), "完成")
        return results

    def batches(self, limit: int = 30) -> list[BatchView]:
        self._require_any(Permission.SYNC_EXPORT, Permission.SYNC_IMPORT)
        with self.ctx.db.read() as s:
            rows = s.execute(select(Batch).order_by(Batch.batch_seq.desc()).limit(limit)).scalars().all()
            return [BatchView(b.batch_seq, b.business_date.isoformat(), b.file_name, b.event_count, b.created_at,
                              b.created_by, b.acknowledged) for b in rows]

    # --- acknowledgements -----------------------------------------------------------------------
    def import_ack(self, path: str | Path) -> AckImportResult:
        """Apply the province's answer to one batch. Refused (nothing changes) when the file is not
        signed by a trusted province key, names a batch this office never sent, or does not match it.
        The same file twice changes nothing."""
        user = self.ctx.require(Permission.SYNC_IMPORT)
        raw = _read(path, "SYNC_FILE_UNREADABLE", "回执文件")
        ack_hash = hashlib.sha256(raw).hexdigest()
        with self.ctx.db.write() as s:
            ack = parse_ack(raw, self._province_ring(s))
            office_code = self._office_code(s)
            if ack.office_code != office_code:
                raise Refused([Issue("SYNC_ACK_OTHER_OFFICE", f"回执是给登记机关{ack.office_code}的，不是本处", "path")])
            batch = s.get(Batch, ack.batch_seq)
            if batch is None:
                raise Refused([Issue("SYNC_ACK_UNKNOWN_BATCH", f"本处未发送过批次{ack.batch_seq}", "path")])
            if self._chain_hash(s, batch.batch_seq) != ack.content_sha256 or \
                    batch.business_date.isoformat() != ack.business_date:
                raise Refused([Issue("SYNC_ACK_BATCH_MISMATCH",
                                     f"回执所答复的批次{ack.batch_seq}内容与本处发送的不一致", "path")])
            events = {ev.event_id: ev for ev in s.execute(select(RecordEvent).where(
                RecordEvent.batch_seq == batch.batch_seq)).scalars()}
            named = {e.event_id for e in ack.entries}
            if named != set(events) or any(events[e.event_id].seq != e.seq for e in ack.entries):
                raise Refused([Issue("SYNC_ACK_EVENT_MISMATCH", "回执所列事件与本处批次中的事件不一致", "path")])
            tally = Counter(e.status for e in ack.entries)
            result = AckImportResult(batch.batch_seq, ack.business_date, False, tally["accepted"], tally["rejected"],
                                     tally["conflict"], [], [])
            if ack.file_sha256 != batch.file_hash:
                result.note = "回执所引用的文件与本处最近写出的文件不同（批次曾重新导出），内容一致"
            if s.get(Acknowledgement, ack_hash) is not None:
                result.already_imported = True
                audit.record(self.ctx, s, "sync.ack_repeated", "batch", batch.batch_seq, {"ack_hash": ack_hash})
                return result
            if batch.acknowledged:
                same = all(events[e.event_id].sync_status == e.status and events[e.event_id].sync_code == e.code
                           for e in ack.entries)
                if not same:
                    raise Refused([Issue("SYNC_ACK_CONTRADICTS",
                                         f"批次{batch.batch_seq}已导入过回执，本回执的处理结果与之不同，请联系省级管理部门",
                                         "path")])
                result.already_imported = True
            else:
                now = self.ctx.clock.now()
                for entry in sorted(ack.entries, key=lambda e: e.seq):
                    ev = events[entry.event_id]
                    ev.sync_status, ev.sync_code = entry.status, entry.code
                    if entry.status in ("rejected", "conflict"):
                        case = WorkCase(kind=f"sync_{entry.status}", status="open", event_id=ev.event_id,
                                        record_id=ev.record_id, code=entry.code or "",
                                        message=entry.message or entry.code or "", opened_at=now, resolution="")
                        s.add(case)
                        s.flush()
                        result.cases_opened.append(case.id)
                    elif entry.status == "accepted" and (ev.data or {}).get("resend_of"):
                        for case in s.execute(select(WorkCase).where(
                                WorkCase.event_id == ev.data["resend_of"], WorkCase.kind == "sync_rejected",
                                WorkCase.status == "open")).scalars():
                            case.status, case.resolved_by = "resolved", user.username
                            case.resolution = f"更正后重新上报（事件{ev.seq}）已被省级接收"
                            result.cases_resolved.append(case.id)
                batch.acknowledged = True
            s.add(Acknowledgement(ack_hash=ack_hash, batch_seq=batch.batch_seq, imported_at=self.ctx.clock.now(),
                                  imported_by=user.username,
                                  summary={"accepted": result.accepted, "rejected": result.rejected,
                                           "conflict": result.conflict, "file_sha256": ack.file_sha256,
                                           "created_at": ack.created_at, "province": ack.province}))
            s.flush()
            audit.record(self.ctx, s, "sync.ack_imported", "batch", batch.batch_seq,
                         {"ack_hash": ack_hash, "accepted": result.accepted, "rejected": result.rejected,
                          "conflict": result.conflict, "cases_opened": result.cases_opened,
                          "cases_resolved": result.cases_resolved, "repeat_of_applied": result.already_imported})
            return result

    # --- work cases -----------------------------------------------------------------------------
    def work_cases(self, open_only: bool = True) -> list[WorkCaseView]:
        """The supervisor's list: events the province rejected (correct and resend) or found in
        conflict with its marital-status records (investigate)."""
        self._require_any(Permission.APPROVE_CORRECTION, Permission.SYNC_IMPORT)
        with self.ctx.db.read() as s:
            q = select(WorkCase).order_by(WorkCase.id)
            if open_only:
                q = q.where(WorkCase.status == "open")
            out = []
            for c in s.execute(q).scalars():
                ev = s.execute(select(RecordEvent).where(RecordEvent.event_id == c.event_id)).scalar_one_or_none() \
                    if c.event_id else None
                rec = s.get(Record, c.record_id) if c.record_id else None
                out.append(WorkCaseView(c.id, c.kind, CASE_KIND_ZH.get(c.kind, c.kind), c.status,
                                        CASE_STATUS_ZH.get(c.status, c.status), c.event_id,
                                        ev.event_type if ev else None, c.record_id,
                                        rec.certificate_no if rec else None, c.code, c.message,
                                        c.opened_at.isoformat(), c.resolved_by, c.resolution or ""))
            return out

    def resolve_case(self, case_id: int, note: str) -> WorkCaseView:
        user = self.ctx.require(Permission.APPROVE_CORRECTION)
        if not (note or "").strip():
            raise Refused([Issue("NOTE_REQUIRED", "请填写处理情况", "note")])
        with self.ctx.db.write() as s:
            case = s.get(WorkCase, case_id)
            if case is None:
                raise NotFound(f"待办事项不存在：{case_id}", code="CASE_NOT_FOUND")
            if case.status != "open":
                raise InvalidState("该事项已处理", code="CASE_RESOLVED")
            case.status, case.resolved_by, case.resolution = "resolved", user.username, note.strip()
            s.flush()
            audit.record(self.ctx, s, "sync.case_resolved", "work_case", case.id,
                         {"event_id": case.event_id, "code": case.code}, reason=note.strip())
        return next(c for c in self.work_cases(open_only=False) if c.id == case_id)

    # --- reference extract ----------------------------------------------------------------------
    def import_reference(self, path: str | Path, progress: Progress | None = None,
                         cancelled: Cancelled | None = None) -> ReferenceImportResult:
        """Replace the province's marital-status extract and its hash key, in one transaction."""
        user = self.ctx.require(Permission.SYNC_IMPORT)
        progress, cancelled = progress or _noop_progress, cancelled or _never
        raw = _read(path, "SYNC_FILE_UNREADABLE", "比对数据文件")
        with self.ctx.db.write() as s:
            extract = parse_reference(raw, self._province_ring(s))
            current = s.get(Setting, REF_AS_OF)
            if current is not None and current.value and _as_datetime(extract.as_of) < _as_datetime(current.value):
                raise Refused([Issue("REFERENCE_OLDER", f"该比对数据（截至{extract.as_of}）比已导入的"
                                                        f"（截至{current.value}）更旧", "path")])
            s.execute(delete(ReferenceEntry))
            rows = [{"id_hash": h, "status": st} for h, st in extract.entries.items()]
            for start in range(0, len(rows), _CHUNK):
                if cancelled():
                    raise OperationCancelled("已取消导入，比对数据未改变")
                s.execute(insert(ReferenceEntry), rows[start:start + _CHUNK])
                progress(min(start + _CHUNK, len(rows)), len(rows), "写入比对数据")
            # people.reference_hash reads the key as hex: keep that contract
            for key, value in ((REF_KEY, extract.key.hex()), (REF_AS_OF, extract.as_of),
                               (REF_PROVINCE, extract.province),
                               (REF_IMPORTED, self.ctx.clock.now().isoformat(timespec="seconds"))):
                row = s.get(Setting, key)
                if row is None:
                    s.add(Setting(key=key, value=value))
                else:
                    row.value = value
            s.flush()
            audit.record(self.ctx, s, "sync.reference_imported", "reference", extract.as_of,
                         {"entries": len(rows), "province": extract.province, "by": user.username})
            return ReferenceImportResult(extract.as_of, extract.province, len(rows))

    def _reference_status(self, s: Session) -> ReferenceStatus:
        max_age = load_settings(s).reference_max_age_days
        as_of = s.get(Setting, REF_AS_OF)
        entries = s.execute(select(func.count()).select_from(ReferenceEntry)).scalar() or 0
        if as_of is None or not as_of.value:
            return ReferenceStatus(None, None, max_age, True, entries,
                                   "尚未导入省级比对数据：婚姻状况只能按本处记录核对")
        age = (self.ctx.clock.today() - _as_datetime(as_of.value).astimezone(CHINA_TZ).date()).days
        stale = age > max_age
        warning = (f"省级比对数据已{age}天未更新（超过{max_age}天），请尽快导入最新数据" if stale else None)
        return ReferenceStatus(as_of.value, age, max_age, stale, entries, warning)

    def reference_status(self) -> ReferenceStatus:
        self._require_any(Permission.REGISTER, Permission.SYNC_EXPORT, Permission.SYNC_IMPORT)
        with self.ctx.db.read() as s:
            return self._reference_status(s)

    def reference_age_days(self) -> int | None:
        """Days since the extract's as_of date; None when none was ever imported."""
        return self.reference_status().age_days

    # --- small helpers for the page ---------------------------------------------------------------
    def office_public_key_id(self) -> str:
        self._require_any(Permission.SYNC_EXPORT, Permission.MANAGE_KEYS)
        with self.ctx.db.read() as s:
            return self._office_key(s, self._office_code(s)).key_id

