"""Plain results of the sync service, handed to the page and the command line (no ORM objects)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from registry_app.domain.states import BatchState, WorkCaseState

CASE_KIND_ZH = {"sync_rejected": "省级退回", "sync_conflict": "省级比对冲突"}
CASE_STATUS_ZH = WorkCaseState.labels()  # the one set of labels: domain/states.py


@dataclass
class OpenItem:
    kind: str            # marriage_open | divorce_pending | sync_case
    kind_zh: str
    record_id: int | None
    status: str
    status_zh: str
    note: str


@dataclass
class Defect:
    record_id: int
    kind: str
    certificate_no: str | None
    code: str
    message: str


@dataclass
class ReferenceStatus:
    as_of: str | None
    age_days: int | None
    max_age_days: int
    stale: bool
    entries: int
    warning: str | None


def paper_anchor(head: dict) -> str:
    """The audit chain head as a clerk copies it onto the close-of-day sheet: entry number and the
    first 16 hex digits of its hash (64 bits: enough that no rewritten trail matches it by chance)."""
    return f"第{head['seq']}条 {str(head['hash'])[:16]}"


@dataclass
class CloseDayReport:
    business_date: str
    registrations: int
    passed: int
    rate: float | None            # None when nothing was registered that day
    defects: list[Defect]
    open_work: list[OpenItem]
    counts: dict[str, int]        # events of the day by event_type
    pending_events: int           # not yet in a batch, up to the end of the day
    batches: list[int]            # batches already made (written) for that day
    reference: ReferenceStatus
    audit_head: dict = field(default_factory=dict)          # {"seq", "hash"} after this check's own entry
    training: bool = False
    pending_batches: list[int] = field(default_factory=list)  # recorded, file not yet confirmed (see reconcile)
    open_orphans: list[dict] = field(default_factory=list)    # quarantined unknown batch files blocking export

    @property
    def rate_text(self) -> str:
        return "—" if self.rate is None else f"{self.rate * 100:.1f}%"

    @property
    def anchor_text(self) -> str:
        return paper_anchor(self.audit_head) if self.audit_head else ""

    def to_dict(self) -> dict:
        return {**asdict(self), "rate_text": self.rate_text, "paper_anchor": self.anchor_text}


@dataclass
class ReconcileReport:
    """What a reconcile found and did in the outbox folders it could check."""

    adopted: list[int] = field(default_factory=list)        # pending batches whose file was there: now written
    dropped: list[int] = field(default_factory=list)        # pending batches whose file never appeared
    quarantined: list[dict] = field(default_factory=list)   # unknown batch-like files moved aside
    temp_removed: list[str] = field(default_factory=list)   # unfinished temporary files removed
    busy: list[str] = field(default_factory=list)           # folders an export is using right now
    unreachable: list[dict] = field(default_factory=list)   # pending batches this computer cannot check
    open_orphans: list[dict] = field(default_factory=list)  # quarantined files still blocking an export

    @property
    def changed(self) -> bool:
        return bool(self.adopted or self.dropped or self.quarantined or self.temp_removed)

    def message(self) -> str:
        parts = []
        if self.adopted:
            parts.append(f"上次中断的导出已补全：批次{'、'.join(map(str, self.adopted))}")
        if self.dropped:
            parts.append(f"上次中断、未生成文件的批次{'、'.join(map(str, self.dropped))}已作废，下次导出将重新生成")
        for q in self.quarantined:
            parts.append(f"发件箱中的未知批次文件{q['file']}已移入隔离文件夹quarantine")
        for u in self.unreachable:
            parts.append(f"批次{u['batch_seq']}由{u['host']}导出时中断，须在该电脑上打开本系统完成核对")
        for o in self.open_orphans:
            parts.append(f"隔离的批次文件{o['file']}（批次{o['batch_seq']}）尚待确认是否已报送省级，确认前不能导出新批次")
        return "；".join(parts)

    def to_dict(self) -> dict:
        return {**asdict(self), "message": self.message()}


@dataclass
class ExportResult:
    batch_seq: int
    business_date: str
    path: str
    public_key_path: str
    event_count: int
    counts: dict[str, int]
    first_event_seq: int | None
    last_event_seq: int | None
    file_hash: str
    chain_hash: str
    again: bool = False
    resent: list[str] = field(default_factory=list)
    audit_head: dict | None = None    # what the manifest carries (None: a v1 batch re-exported)
    training: bool = False
    reconciled: dict | None = None    # what the reconcile before this export found, when it found anything

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class AckImportResult:
    batch_seq: int
    business_date: str
    already_imported: bool
    accepted: int
    rejected: int
    conflict: int
    cases_opened: list[int]
    cases_resolved: list[int]
    note: str = ""
    audit_head: dict | None = None    # the anchor the province's signature confirmed (v2 acks)
    adopted: bool = False             # the batch was pending or an orphan: the ack proved it was sent

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class ReferenceImportResult:
    as_of: str
    province: str
    entries: int

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class WorkCaseView:
    id: int
    kind: str
    kind_zh: str
    status: str
    status_zh: str
    event_id: str | None
    event_type: str | None
    record_id: int | None
    certificate_no: str | None
    code: str
    message: str
    opened_at: str
    resolved_by: str | None
    resolution: str
    version: int  # what a resolution from this view claims (services/versions.py)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class BatchView:
    batch_seq: int
    business_date: str
    file_name: str
    event_count: int
    created_at: str
    created_by: str
    acknowledged: bool
    status: str = BatchState.WRITTEN.value

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class KeyResult:
    key_id: str
    owner: str
    path: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)
