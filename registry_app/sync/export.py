"""The end-of-day export, in three steps so that no kill leaves a signed file the database does not
know (see reconcile.py for what settles an interrupted one):

1. one transaction builds the batch in memory (encrypted bytes included) and records it *pending*
   with its sequence, chain hash, exact file hash and audit anchor; a refusal or a cancel happens
   here and leaves nothing;
2. the file is written atomically (and the office .pub beside it);
3. one transaction marks the batch *written* and its events sent.

The outbox lock is held throughout. A failure in step 2 or 3 inside the process removes the file (if
it is the one planned) and drops the pending batch; a kill leaves them for the next reconcile.

Decisions worth knowing:
- `export(date)` always makes a NEW batch (next sequence number) holding every event not yet in a
  batch up to the end of `date`, even when there is none: the province expects one batch a day.
- `export(date, again=True)` makes no new batch: it re-writes the batch(es) already made for that
  day with the same manifest (same events, sequence, previous hash, creation time, audit anchor and
  training flag, signed by the same key), checked against the recorded chain hash. Only the
  encryption differs, so the file hash changes and the chain does not.
- Event sequence numbers are gap-free across batches, so a rejected event is never sent again under
  its old number. When a record whose event the province rejected has been corrected since (a
  `record.corrected` event after it), the export appends a new event of the same type with the
  record's current parties and `resend_of` naming the rejected event, and it goes in that batch.
- Each new manifest (v2) carries the audit chain head at export and the training flag; the province's
  acknowledgement repeats the head, which makes it an anchor for `registry audit verify --acks`."""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry_app.demo.guard import refuse_in_demo
from registry_app.domain.roles import Permission
from registry_app.domain.states import BatchState, SyncState
from registry_app.errors import Cancelled, Issue, Refused, RegistryError
from registry_app.fsutil import write_atomic
from registry_app.services import audit
from registry_app.services.context import CurrentUser
from registry_app.services.events import append_event
from registry_app.services import joint_service
from registry_app.services.settings import load_settings
from registry_app.storage.models import Batch, Record, RecordEvent
from registry_app.sync.base import (IsCancelled, Progress, as_date, event_payload, never,
                                    noop_progress)
from registry_app.sync.batch import BatchWriter, batch_chain_hash, batch_file_hash, batch_file_name, build_batch
from registry_app.sync.keys import OfficeKeyPair
from registry_app.sync.outbox import file_sha256, host_name, outbox_key, outbox_lock, remove_temp_files
from registry_app.sync.reconcile import ReconcileMixin, complete_batch, open_orphans, pending_batches
from registry_app.sync.results import ExportResult, ReconcileReport


def checkpoint(step: str) -> None:
    """A named point in the export: "pending" (step 1 committed), "file" (batch file in place), "commit"
    (step 3 about to commit), "written" (step 3 committed). Does nothing; the crash tests replace it to
    fail or to kill the process exactly there."""


@dataclass
class _Plan:
    """A batch recorded pending, with what its file and its result need."""

    batch_seq: int
    day: dt.date
    name: str
    data: bytes
    file_hash: str
    chain_hash: str
    pair: OfficeKeyPair
    event_count: int
    first: int | None
    last: int | None
    counts: dict
    resent: list[str]
    audit_head: dict
    training: bool
    written: list[Path] = field(default_factory=list)


class ExportMixin(ReconcileMixin):
    def export(self, date: dt.date | str, out_dir: str | Path, progress: Progress | None = None,
               cancelled: IsCancelled | None = None, again: bool = False) -> ExportResult:
        """Write the batch for business day `date` into `out_dir` (with the office .pub beside it).
        A refusal or a cancel leaves no file and no change; so does a failure writing the file or
        committing (the attempt stays in the audit trail)."""
        if again:
            return self.reexport(date, out_dir, progress, cancelled)[-1]
        user = self.ctx.require(Permission.SYNC_EXPORT)
        refuse_in_demo(self.ctx.db, "日终上报导出")
        progress, cancelled = progress or noop_progress, cancelled or never
        day = self._export_day(date)
        out = Path(out_dir)
        with outbox_lock(out):
            found = ReconcileReport()
            self._reconcile_locked(out, found)
            for other in self._folders(None, found):  # pending batches this computer left elsewhere
                if other != Path(outbox_key(out)):
                    try:
                        with outbox_lock(other, create=False):
                            self._reconcile_locked(other, found)
                    except RegistryError as exc:
                        if exc.code not in ("SYNC_EXPORT_BUSY", "SYNC_OUTBOX_MISSING"):
                            raise
            plan = self._record_pending(user, day, out, progress, cancelled)
            try:
                checkpoint("pending")
                progress(plan.event_count + 1, plan.event_count + 2, "写入批次文件")
                path = out / plan.name
                self._write(path, plan.data, 0o600, plan.written)
                plan.data = b""  # the file holds it now
                checkpoint("file")
                pub = self._write_pub(out, plan.pair, plan.written)
                self._mark_written(plan)
            except BaseException:
                self._undo(plan, out)
                raise
        checkpoint("written")
        progress(plan.event_count + 2, plan.event_count + 2, "完成")
        self._left_pending(found)
        return ExportResult(plan.batch_seq, day.isoformat(), str(path), str(pub), plan.event_count, plan.counts,
                            plan.first, plan.last, plan.file_hash, plan.chain_hash, False, plan.resent,
                            plan.audit_head, plan.training,
                            found.to_dict() if found.changed or found.open_orphans else None)

    def reexport(self, date: dt.date | str, out_dir: str | Path, progress: Progress | None = None,
                 cancelled: IsCancelled | None = None) -> list[ExportResult]:
        """Re-write every batch already made for `date` with the same manifest (a lost file, a resend)."""
        self.ctx.require(Permission.SYNC_EXPORT)
        refuse_in_demo(self.ctx.db, "日终上报导出")
        progress, cancelled = progress or noop_progress, cancelled or never
        day = self._export_day(date)
        out = Path(out_dir)
        written: list[Path] = []
        with outbox_lock(out):
            try:
                with self.ctx.db.write() as s:
                    return self._reexport(s, day, out, progress, cancelled, written)
            except BaseException:
                for p in written:
                    p.unlink(missing_ok=True)
                raise

    def _export_day(self, date) -> dt.date:
        day = as_date(date)
        if day > self.ctx.clock.today():
            raise Refused([Issue("SYNC_DATE_FUTURE", f"不能导出尚未到来的营业日{day}", "date")])
        return day

    # --- files ----------------------------------------------------------------------------------
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

    def _undo(self, plan: _Plan, out: Path) -> None:
        """Inside the process, after a failure in step 2 or 3: if the batch is still pending, remove
        what was written and drop it. Best effort: what it cannot do, the next reconcile does."""
        try:
            with self.ctx.db.read() as s:
                row = s.get(Batch, plan.batch_seq)
                still_pending = row is not None and row.status == BatchState.PENDING
            if not still_pending:
                return
            for p in plan.written:
                if p.suffix != ".rgb" or file_sha256(p) == plan.file_hash:
                    p.unlink(missing_ok=True)
            remove_temp_files(out)
            self._drop_pending(plan.batch_seq)
        except Exception:  # noqa: BLE001 - the original error is the one to report
            pass

    # --- step 1: the pending batch --------------------------------------------------------------
    def _record_pending(self, user: CurrentUser, day: dt.date, out: Path, progress: Progress,
                        cancelled: IsCancelled) -> _Plan:
        with self.ctx.db.write() as s:
            office_code = self._office_code(s)
            self._refuse_unsettled(s)
            last = s.execute(select(Batch).order_by(Batch.batch_seq.desc()).limit(1)).scalar_one_or_none()
            batch_seq = (last.batch_seq if last else 0) + 1
            blocking = [o for o in open_orphans(s) if (o.get("batch_seq") or 0) >= batch_seq]
            if blocking:
                o = blocking[0]
                raise Refused([Issue("SYNC_ORPHAN_UNRESOLVED",
                                     f"发件箱中曾有本处数据库未记录的批次文件{o['file']}（批次{o['batch_seq']}），已移入"
                                     "quarantine文件夹。它可能已报送省级，再生成同号批次会使批次链分叉。请向省级核实："
                                     "已收到的，导入其回执即可接续；未收到的，由负责人在“日终上报”页确认省级未收到"
                                     "（命令行：registry sync release-orphan）后再导出", "out")])
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
            training = bool(load_settings(s).training)
            resent = self._resend_corrected(s, day)
            joint_service.materialise(self.ctx, s, day)  # requests still consented to: their events now
            writer, seqs, counter = self._collect(s, day, progress, cancelled)
            if cancelled():
                raise Cancelled("已取消导出，未写入任何文件")
            exported_max = s.execute(select(func.max(RecordEvent.seq))
                                     .where(RecordEvent.batch_seq.is_not(None))).scalar() or 0
            if seqs and seqs[0] != exported_max + 1:
                raise RegistryError(f"待上报事件应从序号{exported_max + 1}接续，实为{seqs[0]}（event seq gap）",
                                    code="SYNC_EVENT_GAP")
            created_at = self.ctx.clock.now().isoformat(timespec="seconds")
            head = audit.chain_head(s)  # the anchor: every entry up to here, this export's own excluded
            data = writer.seal(office_code=office_code, business_date=day, batch_seq=batch_seq,
                               prev_batch_hash=prev_hash, created_at=created_at, office_key=pair,
                               province_public=province, audit_head=head, training=training)
            if cancelled():
                raise Cancelled("已取消导出，未写入任何文件")
            name = batch_file_name(office_code, day, batch_seq)
            file_hash, chain_hash = batch_file_hash(data), batch_chain_hash(data)
            first, last_seq = (seqs[0], seqs[-1]) if seqs else (None, None)
            s.add(Batch(batch_seq=batch_seq, business_date=day, file_name=name, file_hash=file_hash,
                        prev_hash=prev_hash, first_event_seq=first, last_event_seq=last_seq, event_count=len(seqs),
                        created_at=created_at, created_by=user.username, acknowledged=False, status=BatchState.PENDING,
                        chain_hash=chain_hash, manifest_version=2, audit_seq=head["seq"], audit_hash=head["hash"],
                        training=training, outbox={"dir": outbox_key(out), "host": host_name()}))
            s.flush()
            audit.record(self.ctx, s, "sync.export_pending", "batch", batch_seq,
                         {"business_date": day.isoformat(), "file": name, "file_hash": file_hash,
                          "chain_hash": chain_hash, "event_count": len(seqs), "audit_head": head,
                          "training": training})
        return _Plan(batch_seq, day, name, data, file_hash, chain_hash, pair, len(seqs), first, last_seq,
                     dict(sorted(counter.items())), resent, head, training)

    def _refuse_unsettled(self, s: Session) -> None:
        for b in pending_batches(s):
            place = b.outbox or {}
            raise RegistryError(f"批次{b.batch_seq}在{place.get('host') or '另一台电脑'}上导出时中断，尚未核对"
                                f"（文件夹{place.get('dir') or '未知'}）。请在该电脑上打开本系统或向该文件夹再次导出"
                                "（文件夹在移动硬盘上的，请先接上），核对后即可导出（pending batch）",
                                code="SYNC_BATCH_PENDING")

    def _collect(self, s: Session, day: dt.date, progress: Progress,
                 cancelled: IsCancelled) -> tuple[BatchWriter, list[int], Counter]:
        """The events to send: pending ones in sequence order up to the first one of a later day (the
        range stays contiguous). Read in chunks and each kept only as its checked canonical bytes, so a
        day of 100,000 events is held neither as ORM objects nor as dicts."""
        pending_count = s.execute(select(func.count()).select_from(RecordEvent)
                                  .where(RecordEvent.batch_seq.is_(None))).scalar() or 0
        writer, seqs, counter = BatchWriter(), [], Counter()
        query = (select(RecordEvent).where(RecordEvent.batch_seq.is_(None)).order_by(RecordEvent.seq)
                 .execution_options(yield_per=2000))
        for i, ev in enumerate(s.execute(query).scalars()):
            if ev.business_date > day:
                break
            if i % 500 == 0:
                if cancelled():
                    raise Cancelled("已取消导出，未写入任何文件")
                progress(i + 1, pending_count + 2, f"整理事件 {i + 1}/{pending_count}")
            writer.add(event_payload(ev))
            seqs.append(ev.seq)
            counter[ev.event_type] += 1
            s.expunge(ev)
        return writer, seqs, counter

    def _resend_corrected(self, s: Session, day: dt.date) -> list[str]:
        """New events for rejected events whose record was corrected since (see module docstring)."""
        later = s.execute(select(RecordEvent.seq).where(RecordEvent.batch_seq.is_(None),
                                                        RecordEvent.business_date > day).limit(1)).first()
        if later:
            return []  # appending now would put later-day events before these: left for the next export
        resent: list[str] = []
        rejected = s.execute(select(RecordEvent).where(RecordEvent.sync_status == SyncState.REJECTED,
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
            joint = joint_service.current_data(s, ev)  # a joint event: only its department's fields, fresh
            if joint is not None:
                data = joint
            elif rec is not None:
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

    # --- step 3: written ------------------------------------------------------------------------
    def _mark_written(self, plan: _Plan) -> None:
        with self.ctx.db.write() as s:
            batch = s.get(Batch, plan.batch_seq)
            complete_batch(s, batch)
            s.flush()
            audit.record(self.ctx, s, "sync.exported", "batch", plan.batch_seq,
                         {"business_date": plan.day.isoformat(), "file": plan.name, "file_hash": plan.file_hash,
                          "chain_hash": plan.chain_hash, "event_count": plan.event_count, "counts": plan.counts,
                          "resent": plan.resent, "audit_head": plan.audit_head, "training": plan.training})
            checkpoint("commit")

    # --- again ----------------------------------------------------------------------------------
    def _reexport(self, s: Session, day: dt.date, out: Path, progress: Progress, cancelled: IsCancelled,
                  written: list[Path]) -> list[ExportResult]:
        office_code = self._office_code(s)
        batches = s.execute(select(Batch).where(Batch.business_date == day, Batch.status == BatchState.WRITTEN)
                            .order_by(Batch.batch_seq)).scalars().all()
        if not batches:
            raise Refused([Issue("SYNC_NOTHING_TO_REEXPORT", f"{day}尚未导出过批次，无法重新导出", "date")])
        province = self._province_public(s)
        keys = self._office_keys(s, office_code)
        results = []
        for n, b in enumerate(batches, start=1):
            if cancelled():
                raise Cancelled("已取消导出，未写入任何文件")
            progress(n - 1, len(batches), f"重新生成批次{b.batch_seq}")
            events = s.execute(select(RecordEvent).where(RecordEvent.batch_seq == b.batch_seq)
                               .order_by(RecordEvent.seq)).scalars().all()
            payload = [event_payload(ev) for ev in events]
            want = self._chain_hash(s, b.batch_seq)
            head = {"seq": b.audit_seq, "hash": b.audit_hash} if b.manifest_version >= 2 else None
            data = pair = None
            for candidate in keys:  # the key that signed it may have been rotated since
                attempt = build_batch(payload, office_code=office_code, business_date=day, batch_seq=b.batch_seq,
                                      prev_batch_hash=b.prev_hash, created_at=b.created_at, office_key=candidate,
                                      province_public=province, audit_head=head, training=b.training)
                if want is None or batch_chain_hash(attempt) == want:
                    data, pair = attempt, candidate
                    break
            if data is None or pair is None:
                raise RegistryError(f"批次{b.batch_seq}无法按原清单重新生成（content differs from the batch sent）",
                                    code="SYNC_REEXPORT_MISMATCH")
            if cancelled():
                raise Cancelled("已取消导出，未写入任何文件")
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
                                        True, [], head, b.training))
        progress(len(batches), len(batches), "完成")
        return results
