"""The province's acknowledgements, applied at the office: event statuses, the supervisor's cases,
and the audit anchor the acknowledgement repeats.

An acknowledgement is proof that the province received a batch. So besides answering a written batch,
it settles the batches an interrupted export left uncertain: a *pending* batch it names is adopted
(its file did reach the province), and a quarantined file or a dropped pending batch it names becomes
the batch of that number, provided it is the next one in the chain and its events are exactly the
office's next unsent ones.

Anchors: a v2 acknowledgement carries `batch.audit_head`, which must equal the head the batch
carried (SYNC_ACK_ANCHOR_MISMATCH otherwise); it is stored with the acknowledgement, and
`registry audit verify --acks` checks the trail against it. A v1 acknowledgement (a province not yet
upgraded) still imports; it confirms no anchor."""
from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry_app.domain.roles import Permission
from registry_app.domain.states import BatchState, SyncState, WorkCaseState
from registry_app.errors import Issue, Refused
from registry_app.services import audit, joint_service, versions
from registry_app.services.context import CurrentUser
from registry_app.services.transitions import move
from registry_app.storage.models import Acknowledgement, Batch, RecordEvent, WorkCase
from registry_app.sync.ack import Ack, parse_ack
from registry_app.sync.base import get_setting, put_setting, read_file
from registry_app.sync.reconcile import DROPPED, ORPHANS, ReconcileMixin, dropped_batches
from registry_app.sync.results import AckImportResult


def batch_head(batch: Batch) -> dict | None:
    """The audit chain head a batch's manifest carries (None for a v1 manifest)."""
    if batch.manifest_version >= 2 and batch.audit_seq is not None:
        return {"seq": batch.audit_seq, "hash": batch.audit_hash}
    return None


class AckMixin(ReconcileMixin):
    def import_ack(self, path: str | Path) -> AckImportResult:
        """Apply the province's answer to one batch. Refused (nothing changes) when the file is not
        signed by a trusted province key, names a batch this office never sent, does not match it or
        repeats another audit anchor than the batch sent. The same file twice changes nothing."""
        user = self.ctx.require(Permission.SYNC_IMPORT)
        raw = read_file(path, "SYNC_FILE_UNREADABLE", "回执文件")
        ack_hash = hashlib.sha256(raw).hexdigest()
        with self.ctx.db.write() as s:
            ack = parse_ack(raw, self._province_ring(s))
            office_code = self._office_code(s)
            if ack.office_code != office_code:
                raise Refused([Issue("SYNC_ACK_OTHER_OFFICE", f"回执是给登记机关{ack.office_code}的，不是本处", "path")])
            batch, adopted = self._acknowledged_batch(s, ack, user)
            if batch.business_date.isoformat() != ack.business_date:
                raise Refused([Issue("SYNC_ACK_BATCH_MISMATCH",
                                     f"回执所答复的批次{ack.batch_seq}内容与本处发送的不一致", "path")])
            events = {ev.event_id: ev for ev in s.execute(select(RecordEvent).where(
                RecordEvent.batch_seq == batch.batch_seq)).scalars()}
            named = {e.event_id for e in ack.entries}
            if named != set(events) or any(events[e.event_id].seq != e.seq for e in ack.entries):
                raise Refused([Issue("SYNC_ACK_EVENT_MISMATCH", "回执所列事件与本处批次中的事件不一致", "path")])
            if ack.version >= 2 and ack.audit_head != batch_head(batch):
                raise Refused([Issue("SYNC_ACK_ANCHOR_MISMATCH",
                                     f"回执中的审计链锚点与本处批次{batch.batch_seq}发送的不一致", "path")])
            tally = Counter(e.status for e in ack.entries)
            result = AckImportResult(batch.batch_seq, ack.business_date, False, tally["accepted"], tally["rejected"],
                                     tally["conflict"], [], [], audit_head=ack.audit_head if ack.repeats_head else None,
                                     adopted=adopted)
            notes = []
            if adopted:
                notes.append("该批次的导出曾中断，回执证明省级已收到，已据此补全")
            if ack.file_sha256 != batch.file_hash:
                notes.append("回执所引用的文件与本处最近写出的文件不同（批次曾重新导出），内容一致")
            if ack.version < 2 and batch_head(batch) is not None:
                notes.append("回执为旧版格式，未回传审计链锚点")
            result.note = "；".join(notes)
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
                self._apply(s, ack, events, user, result)
                batch.acknowledged = True
            summary = {"accepted": result.accepted, "rejected": result.rejected, "conflict": result.conflict,
                       "file_sha256": ack.file_sha256, "created_at": ack.created_at, "province": ack.province,
                       "ack_version": ack.version}
            if ack.repeats_head:
                summary["audit_head"] = ack.audit_head
            s.add(Acknowledgement(ack_hash=ack_hash, batch_seq=batch.batch_seq, imported_at=self.ctx.clock.now(),
                                  imported_by=user.username, summary=summary))
            s.flush()
            audit.record(self.ctx, s, "sync.ack_imported", "batch", batch.batch_seq,
                         {"ack_hash": ack_hash, "accepted": result.accepted, "rejected": result.rejected,
                          "conflict": result.conflict, "cases_opened": result.cases_opened,
                          "cases_resolved": result.cases_resolved, "repeat_of_applied": result.already_imported,
                          "audit_head": summary.get("audit_head"), "adopted": adopted})
            return result

    def _apply(self, s: Session, ack: Ack, events: dict, user: CurrentUser, result: AckImportResult) -> None:
        now = self.ctx.clock.now()
        for entry in sorted(ack.entries, key=lambda e: e.seq):
            ev = events[entry.event_id]
            ev.sync_status, ev.sync_code = entry.status, entry.code
            joint_service.on_ack(self.ctx, s, ev, entry.status, entry.code)  # its request, if it is one
            if entry.status in (SyncState.REJECTED, SyncState.CONFLICT):
                case = WorkCase(kind=f"sync_{entry.status}", status=WorkCaseState.OPEN, event_id=ev.event_id,
                                record_id=ev.record_id, code=entry.code or "",
                                message=entry.message or entry.code or "", opened_at=now, resolution="")
                s.add(case)
                s.flush()
                result.cases_opened.append(case.id)
            elif entry.status == SyncState.ACCEPTED and (ev.data or {}).get("resend_of"):
                for case in s.execute(select(WorkCase).where(
                        WorkCase.event_id == ev.data["resend_of"], WorkCase.kind == "sync_rejected",
                        WorkCase.status == WorkCaseState.OPEN)).scalars().all():
                    # resolved as at the desk: the version rises (a page still showing it open is refused
                    # as RECORD_CHANGED naming who) and the move is audited
                    versions.claim(self.ctx, s, case, None)
                    case.resolved_by = user.username
                    case.resolution = f"更正后重新上报（事件{ev.seq}）已被省级接收"
                    move(self.ctx, s, case, WorkCaseState.RESOLVED.value, action="sync.case_resolved",
                         detail={"event_id": case.event_id, "code": case.code}, reason=case.resolution)
                    result.cases_resolved.append(case.id)

    # --- which batch the acknowledgement answers --------------------------------------------------
    def _acknowledged_batch(self, s: Session, ack: Ack, user: CurrentUser) -> tuple[Batch, bool]:
        """The batch answered, adopting it first when the acknowledgement is what proves it was sent."""
        batch = s.get(Batch, ack.batch_seq)
        dropped = next((d for d in reversed(dropped_batches(s)) if d.get("batch_seq") == ack.batch_seq
                        and d.get("chain_hash") == ack.content_sha256), None)
        if batch is not None:
            if self._chain_hash(s, batch.batch_seq) != ack.content_sha256:
                if dropped is not None:
                    raise Refused([Issue("SYNC_ACK_DROPPED_BATCH",
                                         f"回执答复的是批次{ack.batch_seq}导出中断后已作废的版本：该文件在核对前已被取走并"
                                         f"报送省级，本处随后重新生成了批次{ack.batch_seq}，省级将拒收。请联系省级管理部门",
                                         "path")])
                raise Refused([Issue("SYNC_ACK_BATCH_MISMATCH",
                                     f"回执所答复的批次{ack.batch_seq}内容与本处发送的不一致", "path")])
            if batch.status == BatchState.PENDING:
                self._adopt(s, batch, "ack")
                return batch, True
            return batch, False
        orphan = next((o for o in get_setting(s, ORPHANS, None) or [] if o.get("status") == "open"
                       and o.get("batch_seq") == ack.batch_seq and o.get("chain_hash") == ack.content_sha256), None)
        if orphan is None and dropped is None:
            raise Refused([Issue("SYNC_ACK_UNKNOWN_BATCH", f"本处未发送过批次{ack.batch_seq}", "path")])
        return self._recreate(s, ack, user, orphan, dropped), True

    def _recreate(self, s: Session, ack: Ack, user: CurrentUser, orphan: dict | None, dropped: dict | None) -> Batch:
        """The batch of a quarantined file or a dropped pending batch that the province did receive."""
        last = s.execute(select(Batch).order_by(Batch.batch_seq.desc()).limit(1)).scalar_one_or_none()
        if (last.batch_seq if last else 0) + 1 != ack.batch_seq or (last is not None and last.status != BatchState.WRITTEN):
            raise Refused([Issue("SYNC_ACK_OUT_OF_ORDER", f"请先导入批次{(last.batch_seq if last else 0) + 1}的回执"
                                                          f"，再导入批次{ack.batch_seq}的回执", "path")])
        seqs = sorted(e.seq for e in ack.entries)
        exported_max = s.execute(select(func.max(RecordEvent.seq))
                                 .where(RecordEvent.batch_seq.is_not(None))).scalar() or 0
        rows = {ev.event_id: ev for ev in s.execute(select(RecordEvent).where(
            RecordEvent.event_id.in_([e.event_id for e in ack.entries]))).scalars()} if ack.entries else {}
        fits = seqs == list(range(exported_max + 1, exported_max + 1 + len(seqs))) and all(
            e.event_id in rows and rows[e.event_id].seq == e.seq and rows[e.event_id].batch_seq is None
            for e in ack.entries)
        if not fits:
            raise Refused([Issue("SYNC_ACK_EVENT_MISMATCH", "回执所列事件与本处待上报的事件不一致，无法接续", "path")])
        prev = self._chain_hash(s, last.batch_seq) if last else None
        source = dropped if dropped is not None else {}
        head = ack.audit_head if ack.repeats_head else None
        if dropped is not None:
            head = {"seq": dropped.get("audit_seq"), "hash": dropped.get("audit_hash")} \
                if dropped.get("audit_seq") is not None else None
        batch = Batch(batch_seq=ack.batch_seq, business_date=dt.date.fromisoformat(ack.business_date),
                      file_name=source.get("file") or (orphan or {}).get("file") or "",
                      file_hash=ack.file_sha256, prev_hash=source.get("prev_hash", prev),
                      first_event_seq=seqs[0] if seqs else None, last_event_seq=seqs[-1] if seqs else None,
                      event_count=len(seqs), created_at=source.get("created_at") or ack.created_at,
                      created_by=user.username, acknowledged=False, status=BatchState.PENDING, chain_hash=ack.content_sha256,
                      manifest_version=2 if head else 1, audit_seq=head["seq"] if head else None,
                      audit_hash=head["hash"] if head else None, training=bool(source.get("training")),
                      outbox=source.get("outbox") or ({"dir": orphan.get("dir")} if orphan else None))
        s.add(batch)
        s.flush()
        if orphan is not None:
            orphans = get_setting(s, ORPHANS, None) or []
            for o in orphans:
                if o.get("status") == "open" and o.get("chain_hash") == ack.content_sha256:
                    o.update(status="adopted", resolved_by=user.username, note=f"省级回执证明已收到批次{ack.batch_seq}")
            put_setting(s, ORPHANS, orphans)
        if dropped is not None:
            put_setting(s, DROPPED, [d for d in dropped_batches(s) if d.get("chain_hash") != ack.content_sha256])
        self._adopt(s, batch, "ack_of_quarantined_file" if orphan is not None else "ack_of_dropped_batch")
        return batch
