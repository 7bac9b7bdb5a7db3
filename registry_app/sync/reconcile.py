"""Closing the export's crash window: a batch is recorded *pending* (with the exact hash of its file)
and committed before the file appears, then marked *written* with its events. What a kill leaves
behind is settled here, before every export and at every client start:

- a pending batch whose file is in its outbox with exactly that hash is adopted (it becomes written
  and its events are marked, as the interrupted export planned);
- a pending batch whose file never appeared is dropped: nothing can have reached the province, so the
  next export makes that batch number again (the chain hash it would have had is remembered, so an
  acknowledgement for it is recognised, see acks.py);
- any other batch-like file in the outbox that the database does not know is moved to `quarantine/`
  beside it and reported. One of this office's own that claims a batch number not yet written blocks
  the next export (it may have reached the province: a new batch under its number would fork the
  chain) until the province's acknowledgement adopts it or a supervisor confirms it was never sent.

The outbox lock (outbox.py) makes "the file never appeared" safe to conclude: an export holds it from
before its batch is recorded until the batch is written, so a reconcile that gets it knows no export
is still at work there. Pending batches recorded by another computer are left to that computer."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from registry_app.domain.roles import Permission
from registry_app.domain.states import BatchState, SyncState
from registry_app.errors import Issue, NotFound, Refused, RegistryError
from registry_app.fsutil import write_atomic
from registry_app.services import audit
from registry_app.storage.models import Batch, RecordEvent
from registry_app.sync.base import SyncBase, get_setting, put_setting
from registry_app.sync.outbox import (QUARANTINE, batch_files, file_sha256, host_name, outbox_key, outbox_lock, peek, quarantine,
                                      quarantine_target, remove_temp_files)
from registry_app.sync.results import ReconcileReport

ORPHANS = "sync_orphans"   # settings: unknown batch files moved to quarantine, and what became of them
DROPPED = "sync_dropped"   # settings: pending batches dropped because their file never appeared
_KEEP_DROPPED = 50


def complete_batch(s: Session, batch: Batch) -> None:
    """Pending -> written: its events (the contiguous range recorded with it) are marked as sent."""
    if batch.event_count:
        marked = s.execute(update(RecordEvent).where(RecordEvent.seq.between(batch.first_event_seq,
                                                                             batch.last_event_seq),
                                                     RecordEvent.batch_seq.is_(None))
                           .values(batch_seq=batch.batch_seq, sync_status=SyncState.EXPORTED.value)
                           .execution_options(synchronize_session=False)).rowcount
        if marked != batch.event_count:
            raise RegistryError(f"批次{batch.batch_seq}的事件{batch.first_event_seq}–{batch.last_event_seq}已不全是待上报状态"
                                "（pending batch events changed）", code="SYNC_PENDING_EVENTS_CHANGED")
    batch.status = BatchState.WRITTEN


def open_orphans(s: Session) -> list[dict]:
    """Quarantined files of this office claiming a batch number not yet written: they block an export."""
    return [o for o in get_setting(s, ORPHANS, None) or [] if o.get("status") == "open" and o.get("blocking")]


def dropped_batches(s: Session) -> list[dict]:
    return list(get_setting(s, DROPPED, None) or [])


def pending_batches(s: Session) -> list[Batch]:
    return list(s.execute(select(Batch).where(Batch.status == BatchState.PENDING).order_by(Batch.batch_seq)).scalars())


class ReconcileMixin(SyncBase):
    def reconcile(self, out_dir: str | Path | None = None) -> ReconcileReport:
        """Settle what an interrupted export left (see the module docstring). The client calls it once
        after login; every export calls it for its folder first. `out_dir`: a folder to check besides
        the ones recorded on pending batches and the last batch written from this computer."""
        self._logged_in()
        report = ReconcileReport()
        for folder in self._folders(Path(out_dir) if out_dir else None, report):
            try:
                with outbox_lock(folder, create=False):
                    self._reconcile_locked(folder, report)
            except RegistryError as exc:
                if exc.code == "SYNC_EXPORT_BUSY":
                    report.busy.append(str(folder))
                elif exc.code != "SYNC_OUTBOX_MISSING":
                    raise
        self._left_pending(report)
        return report

    def _folders(self, extra: Path | None, report: ReconcileReport) -> list[Path]:
        here = host_name()
        extra_key = outbox_key(extra) if extra else None
        with self.ctx.db.read() as s:
            recorded = [b.outbox or {} for b in pending_batches(s)]
            last = s.execute(select(Batch.outbox).where(Batch.status == BatchState.WRITTEN, Batch.outbox.is_not(None))
                             .order_by(Batch.batch_seq.desc()).limit(1)).scalar()
        keys: list[str] = []
        for place in recorded + [last or {}]:
            if place.get("dir") and (place.get("host") == here or place.get("dir") == extra_key):
                keys.append(place["dir"])
        if extra_key:
            keys.append(extra_key)
        return [Path(k) for k in dict.fromkeys(keys)]

    def _left_pending(self, report: ReconcileReport) -> None:
        with self.ctx.db.read() as s:
            for b in pending_batches(s):
                place = b.outbox or {}
                report.unreachable.append({"batch_seq": b.batch_seq, "host": place.get("host") or "?",
                                           "dir": place.get("dir") or ""})
            report.open_orphans = open_orphans(s)

    def _reconcile_locked(self, folder: Path, report: ReconcileReport) -> None:
        """With the folder's lock held: pending batches recorded for it, unfinished temporary files,
        then every batch-like file the database does not know."""
        key = outbox_key(folder)
        with self.ctx.db.read() as s:
            pendings = [(b.batch_seq, b.file_name, b.file_hash) for b in pending_batches(s)
                        if (b.outbox or {}).get("dir") == key]
        for seq, name, want in pendings:
            path = folder / name
            if path.is_file() and file_sha256(path) == want:
                self._adopt_pending(seq, "reconcile")
                self._pub_beside(folder)  # the kill may have come before the key file was written
                report.adopted.append(seq)
            else:
                self._drop_pending(seq)
                report.dropped.append(seq)
        report.temp_removed += remove_temp_files(folder)
        report.quarantined += self._quarantine_unknown(folder)

    def _pub_beside(self, folder: Path) -> None:
        with self.ctx.db.read() as s:
            pair = self._office_key(s, self._office_code(s))
        pub = folder / f"office-{pair.office_code}-{pair.key_id}.pub"
        if not pub.exists():
            write_atomic(pub, pair.public.to_file_bytes(), mode=0o644)

    def _adopt_pending(self, batch_seq: int, found_by: str) -> None:
        with self.ctx.db.write() as s:
            batch = s.get(Batch, batch_seq)
            if batch is not None and batch.status == BatchState.PENDING:
                self._adopt(s, batch, found_by)

    def _adopt(self, s: Session, batch: Batch, found_by: str) -> None:
        complete_batch(s, batch)
        s.flush()
        audit.record(self.ctx, s, "sync.export_adopted", "batch", batch.batch_seq,
                     {"file": batch.file_name, "file_hash": batch.file_hash, "chain_hash": batch.chain_hash,
                      "event_count": batch.event_count, "found_by": found_by})

    def _drop_pending(self, batch_seq: int) -> None:
        with self.ctx.db.write() as s:
            batch = s.get(Batch, batch_seq)
            if batch is None or batch.status != BatchState.PENDING:
                return
            # enough to re-create it exactly should the province acknowledge it after all (acks.py)
            entry = {"batch_seq": batch.batch_seq, "business_date": batch.business_date.isoformat(),
                     "file": batch.file_name, "chain_hash": batch.chain_hash, "file_hash": batch.file_hash,
                     "prev_hash": batch.prev_hash, "created_at": batch.created_at,
                     "manifest_version": batch.manifest_version, "audit_seq": batch.audit_seq,
                     "audit_hash": batch.audit_hash, "training": batch.training, "outbox": batch.outbox,
                     "dropped_at": self.ctx.clock.now().isoformat(timespec="seconds")}
            put_setting(s, DROPPED, (dropped_batches(s) + [entry])[-_KEEP_DROPPED:])
            s.delete(batch)
            s.flush()
            audit.record(self.ctx, s, "sync.export_dropped", "batch", batch_seq,
                         {"file": batch.file_name, "file_hash": batch.file_hash, "chain_hash": batch.chain_hash})

    def _quarantine_unknown(self, folder: Path) -> list[dict]:
        with self.ctx.db.read() as s:
            office = self._office_code(s)
            known = {b.batch_seq: (b.file_name, b.chain_hash, b.file_hash)
                     for b in s.execute(select(Batch).where(Batch.status == BatchState.WRITTEN)).scalars()}
        last = max(known, default=0)
        moved: list[dict] = []
        for path in batch_files(folder):
            found = peek(path)
            mine = found.office_code == office and found.batch_seq is not None
            if mine and found.batch_seq in known:
                name, chain, fhash = known[found.batch_seq]
                # a re-export of a known batch has a new file hash but the same chain hash
                if name == path.name and (chain == found.chain_hash if chain else file_sha256(path) == fhash):
                    continue
            entry = {**found.describe(), "file_hash": file_sha256(path), "dir": outbox_key(folder),
                     "moved_to": quarantine_target(path).name, "status": "open",
                     # one of ours claiming a number not yet written may have reached the province
                     "blocking": bool(mine and found.batch_seq > last),
                     "found_at": self.ctx.clock.now().isoformat(timespec="seconds")}
            with self.ctx.db.write() as s:  # recorded before the move: a crash in between is found again
                orphans = [o for o in get_setting(s, ORPHANS, None) or []
                           if not (o.get("file") == entry["file"] and o.get("file_hash") == entry["file_hash"]
                                   and o.get("dir") == entry["dir"])]
                put_setting(s, ORPHANS, orphans + [entry])
                audit.record(self.ctx, s, "sync.file_quarantined", "file", path.name,
                             {k: entry[k] for k in ("office_code", "business_date", "batch_seq", "chain_hash",
                                                    "file_hash", "moved_to", "blocking")})
            quarantine(path, path.parent / QUARANTINE / entry["moved_to"])
            moved.append(entry)
        return moved

    def release_orphan(self, file_name: str, note: str) -> dict:
        """A supervisor confirms with the province that a quarantined batch file was never received, so
        the next export may make that batch number. The file stays in quarantine."""
        user = self._require_any(Permission.APPROVE_CORRECTION)
        if not (note or "").strip():
            raise Refused([Issue("NOTE_REQUIRED", "请写明与省级核实的情况", "note")])
        with self.ctx.db.write() as s:
            orphans = get_setting(s, ORPHANS, None) or []
            hits = [o for o in orphans if o.get("status") == "open" and file_name in (o.get("file"), o.get("moved_to"))]
            if not hits:
                raise NotFound(f"隔离文件夹中没有待确认的批次文件{file_name}", code="SYNC_ORPHAN_NOT_FOUND")
            for o in hits:
                o.update(status="released", resolved_by=user.username, note=note.strip())
            put_setting(s, ORPHANS, orphans)
            audit.record(self.ctx, s, "sync.orphan_released", "file", file_name,
                         {"batch_seq": hits[0].get("batch_seq"), "chain_hash": hits[0].get("chain_hash")},
                         reason=note.strip())
            return dict(hits[0])
