"""Plain results of the sync service, handed to the page and the command line (no ORM objects)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

CASE_KIND_ZH = {"sync_rejected": "省级退回", "sync_conflict": "省级比对冲突"}
CASE_STATUS_ZH = {"open": "待处理", "resolved": "已处理"}


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
    batches: list[int]            # batches already made for that day
    reference: ReferenceStatus

    @property
    def rate_text(self) -> str:
        return "—" if self.rate is None else f"{self.rate * 100:.1f}%"

    def to_dict(self) -> dict:
        return {**asdict(self), "rate_text": self.rate_text}


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

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class KeyResult:
    key_id: str
    owner: str
    path: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)
