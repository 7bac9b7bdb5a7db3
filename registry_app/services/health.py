"""`registry db check`: is this database a record the office can stand behind?

Each check names what it looked at and every problem it found, with a code and ids only (never a name or
an ID number): the file's own integrity (SQLite's and SQLCipher's page checks), the audit chain, each
record's content against the digest of its last audited state, certificate numbers against their counters
(each number issued once, none missing), event numbers, records left half-way through registration, blank
booklets used for two certificates, and — when given the outbox — files there that no batch accounts for.
Everything is read-only: a check on a damaged database changes nothing.
"""
from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select

from registry_app.domain.states import MarriageState
from registry_app.operations import NEVER_CANCELLED, NO_PROGRESS, IsCancelled, Progress, stop_if
from registry_app.services.audit_anchors import verify_anchored
from registry_app.services.context import AppContext
from registry_app.storage.digests import all_record_ids, record_digests
from registry_app.storage.models import (
    AuditEntry,
    Batch,
    Certificate,
    CertificateSequence,
    Record,
    RecordEvent,
)
from registry_app.sync.reconcile import open_orphans, pending_batches

#: What each check is called on screen.
CHECK_ZH = {"integrity": "数据库文件完整性", "audit_chain": "审计链与省级回执锚点", "record_digests": "记录内容与审计摘要",
            "certificate_numbers": "证书字号连续无重复", "event_numbers": "上报事件序号", "half_finished": "未办结的登记",
            "blank_serials": "空白证书印制号", "sync_batches": "中断的导出与隔离文件", "outbox": "上报目录中的文件"}
#: Problems listed per check; the count says how many there were in all.
MAX_LISTED = 50
NUMBER_RE = re.compile(r"^([A-Z]{1,3})(\d{6})-(\d{4})-(\d{6})$")
#: A marriage is accepted, reviewed and registered the same day; one still open a day later was left.
OPEN_STATES = {"marriage": {MarriageState.ACCEPTED.value, MarriageState.REVIEWED.value}}
#: Registered records that must carry a certificate number (back-entered paper files may lack one).
NUMBERED_STATES = {"marriage": {MarriageState.REGISTERED.value, MarriageState.DIVORCE_PENDING.value,
                                MarriageState.DISSOLVED.value}}


@dataclass
class Check:
    name: str
    checked: int = 0
    problems: list[dict] = field(default_factory=list)
    count: int = 0
    skipped: str = ""

    @property
    def ok(self) -> bool:
        return self.count == 0

    def problem(self, code: str, message: str, **where) -> None:
        self.count += 1
        if len(self.problems) < MAX_LISTED:
            self.problems.append({"code": code, "message": message, **where})

    @property
    def label(self) -> str:
        return CHECK_ZH.get(self.name, self.name)

    def to_dict(self) -> dict:
        out = {"name": self.name, "ok": self.ok, "checked": self.checked, "problems": self.problems,
               "problem_count": self.count}
        if self.skipped:
            out["skipped"] = self.skipped
        return out


@dataclass
class HealthReport:
    checks: list[Check]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def to_dict(self) -> dict:
        return {"ok": self.ok, "checks": [c.to_dict() for c in self.checks]}


class DatabaseHealth:
    def __init__(self, ctx: AppContext):
        self.ctx = ctx
        self._progress: Progress = NO_PROGRESS
        self._cancelled: IsCancelled = NEVER_CANCELLED

    def run(self, outbox: str | Path | None = None, anchors_dir: str | Path | None = None, *,
            progress: Progress | None = None, cancelled: IsCancelled | None = None) -> HealthReport:
        """Every check in turn. `progress(done, total, label)` after each; `cancelled()` is asked between
        checks and between chunks of records (a million-record file takes a minute)."""
        self._progress = progress or self._progress
        self._cancelled = cancelled or self._cancelled
        steps: list[tuple[str, Callable[[], Check]]] = [
            ("audit_chain", lambda: self._audit_chain(anchors_dir)), ("record_digests", self._record_digests),
            ("certificate_numbers", self._certificate_numbers), ("event_numbers", self._event_numbers),
            ("half_finished", self._half_finished), ("blank_serials", self._blank_serials),
            ("sync_batches", self._batches)]
        if outbox is not None:
            steps.append(("outbox", lambda: self._outbox(Path(outbox))))
        total = len(steps) + 1
        self._progress(0, total, CHECK_ZH["integrity"])
        checks = [self._integrity()]
        if not checks[0].ok and checks[0].problems and checks[0].problems[0]["code"] == "DB_DAMAGED":
            return HealthReport(checks)  # the rest would read damaged pages
        for done, (name, step) in enumerate(steps, 1):
            self._stop_if_cancelled()
            self._progress(done, total, CHECK_ZH[name])
            checks.append(step())
        self._progress(total, total, "")
        return HealthReport(checks)

    def _stop_if_cancelled(self) -> None:
        stop_if(self._cancelled, "检查已取消")

    # --- the file ------------------------------------------------------------------------------------
    def _integrity(self) -> Check:
        check = Check("integrity")
        if self.ctx.db.dialect != "sqlite":
            check.skipped = "PostgreSQL：由服务器负责页面完整性（amcheck、校验和）"
            return check
        try:
            with self.ctx.db.engine.connect() as conn:
                rows = [r[0] for r in conn.exec_driver_sql("PRAGMA integrity_check")]
                check.checked += 1
                if rows != ["ok"]:
                    for row in rows:
                        check.problem("DB_INTEGRITY", f"SQLite完整性检查：{row}")
                if self.ctx.db.encrypted:
                    bad = [r[0] for r in conn.exec_driver_sql("PRAGMA cipher_integrity_check")]
                    check.checked += 1
                    for row in bad:
                        check.problem("DB_CIPHER_INTEGRITY", f"加密页校验失败：{row}")
                conn.rollback()
        except Exception as exc:  # a damaged file can fail in the driver itself
            check.problem("DB_DAMAGED", f"数据库文件损坏，无法读取：{str(getattr(exc, 'orig', exc))[:200]}")
        return check

    # --- the audit trail -----------------------------------------------------------------------------
    def _audit_chain(self, anchors_dir) -> Check:
        """The hash chain, and the chain against every head the province acknowledged (stored, and in the
        acknowledgement files of `anchors_dir` when given): a trail rewritten or cut before the last
        acknowledgement disagrees with it."""
        check = Check("audit_chain")
        report = verify_anchored(self.ctx, anchors_dir)
        check.checked = report.checked
        for p in report.problems:
            where = {k: v for k, v in p.to_dict().items() if k not in ("code", "message")}
            check.problem(p.code, p.message, **where)
        return check

    def _record_digests(self) -> Check:
        """The last audited state of each record against the record as stored now."""
        check = Check("record_digests")
        sealed: dict[int, str | None] = {}
        with self.ctx.db.read() as s:
            for detail in s.execute(select(AuditEntry.detail).order_by(AuditEntry.id)).yield_per(5000).scalars():
                state = (detail or {}).get("state") if isinstance(detail, dict) else None
                if isinstance(state, dict):
                    for rid, digest in state.items():
                        if str(rid).isdigit():
                            sealed[int(rid)] = digest
            seen: set[int] = set()
            for part in all_record_ids(s):
                self._stop_if_cancelled()
                for rid, digest in record_digests(s, part).items():
                    seen.add(rid)
                    check.checked += 1
                    if rid not in sealed:
                        check.problem("RECORD_UNSEALED", f"记录{rid}没有经审计的内容摘要（绕过系统写入）", record_id=rid)
                    elif sealed[rid] != digest:
                        check.problem("RECORD_TAMPERED", f"记录{rid}的内容与最后一次审计时不一致（被直接改动）",
                                      record_id=rid)
            for rid, digest in sealed.items():
                if digest is not None and rid not in seen:
                    check.problem("RECORD_MISSING", f"记录{rid}在审计中存在，但已从数据库中消失", record_id=rid)
        return check

    # --- numbers -------------------------------------------------------------------------------------
    def _certificate_numbers(self) -> Check:
        """Within each counter's range every number is issued exactly once: none missing, none twice.
        Numbers above a counter's value would be handed out again."""
        check = Check("certificate_numbers")
        with self.ctx.db.read() as s:
            counters = {(r.cert_type, r.scope, r.year): r.last_value
                        for r in s.execute(select(CertificateSequence)).scalars()}
            issued: dict[tuple, Counter] = defaultdict(Counter)
            for (number,) in s.execute(select(Certificate.number)):
                check.checked += 1
                m = NUMBER_RE.match(number or "")
                if m:
                    issued[(m.group(1), m.group(2), int(m.group(3)))][int(m.group(4))] += 1
            # a record's own number where the certificate table does not hold it (older rows)
            for (number,) in s.execute(select(Record.certificate_no).where(
                    Record.certificate_no.is_not(None), Record.back_entered.is_(False))):
                m = NUMBER_RE.match(number or "")
                if m:
                    key = (m.group(1), m.group(2), int(m.group(3)))
                    if issued[key][int(m.group(4))] == 0:
                        issued[key][int(m.group(4))] += 1
        for key, last in sorted(counters.items()):
            seqs = issued.get(key, Counter())
            label = f"{key[0]}{key[1]}-{key[2]}"
            missing = [n for n in range(1, last + 1) if seqs[n] == 0]
            if missing:
                check.problem("CERT_NUMBER_MISSING", f"{label}：计数器已到{last}，缺少{_ranges(missing)}",
                              series=label, missing=len(missing))
            beyond = sorted(n for n in seqs if n > last)
            if beyond:
                check.problem("CERT_NUMBER_BEYOND_COUNTER", f"{label}：{_ranges(beyond)}超出计数器{last}，会被重复发出",
                              series=label)
            twice = sorted(n for n, c in seqs.items() if c > 1)
            if twice:
                check.problem("CERT_NUMBER_DUPLICATE", f"{label}：{_ranges(twice)}重复", series=label)
        return check

    def _event_numbers(self) -> Check:
        check = Check("event_numbers")
        with self.ctx.db.read() as s:
            count, low, high = s.execute(select(func.count(), func.min(RecordEvent.seq),
                                                func.max(RecordEvent.seq))).one()
            check.checked = count or 0
            if count and (low != 1 or high != count):
                check.problem("EVENT_SEQ_GAP", f"上报事件序号应为1至{count}连续，实为{low}至{high}")
            dup = s.execute(select(RecordEvent.event_id).group_by(RecordEvent.event_id)
                            .having(func.count() > 1).limit(MAX_LISTED)).scalars().all()
            for event_id in dup:
                check.problem("EVENT_ID_DUPLICATE", f"事件编号重复：{event_id}")
            bad = s.execute(select(func.count()).select_from(RecordEvent).where(
                RecordEvent.batch_seq.is_not(None),
                RecordEvent.batch_seq.not_in(select(Batch.batch_seq)))).scalar()
            if bad:
                check.problem("EVENT_BATCH_UNKNOWN", f"{bad}个事件指向不存在的批次")
        return check

    # --- work left half-done -------------------------------------------------------------------------
    def _half_finished(self) -> Check:
        check = Check("half_finished")
        today = self.ctx.clock.today()
        with self.ctx.db.read() as s:
            for kind, states in OPEN_STATES.items():
                rows = s.execute(select(Record.id, Record.application_date, Record.created_at).where(
                    Record.kind == kind, Record.status.in_(states))).all()
                for rid, applied, created in rows:
                    check.checked += 1
                    day = applied or (created.date() if isinstance(created, dt.datetime) else None)
                    if day is not None and day < today:
                        check.problem("RECORD_HALF_FINISHED", f"记录{rid}自{day}起停在受理/审查，未登记也未撤销",
                                      record_id=rid)
            for kind, states in NUMBERED_STATES.items():
                for (rid,) in s.execute(select(Record.id).where(
                        Record.kind == kind, Record.status.in_(states), Record.back_entered.is_(False),
                        Record.certificate_no.is_(None))):
                    check.problem("RECORD_WITHOUT_NUMBER", f"记录{rid}已登记却没有证书字号", record_id=rid)
        return check

    def _blank_serials(self) -> Check:
        check = Check("blank_serials")
        with self.ctx.db.read() as s:
            rows = s.execute(select(Certificate.blank_serial, func.count()).where(
                Certificate.blank_serial.is_not(None), Certificate.blank_serial != "")
                .group_by(Certificate.blank_serial)).all()
            for serial, count in rows:
                check.checked += 1
                if count > 1:
                    check.problem("BLANK_USED_TWICE", f"空白证书{serial}用于{count}份证书", serial=serial)
        return check

    def _batches(self) -> Check:
        """An export interrupted and not yet settled (the next start or export reconciles it), and files in
        quarantine that may have reached the province and wait for its acknowledgement or a supervisor."""
        check = Check("sync_batches")
        with self.ctx.db.read() as s:
            check.checked = s.execute(select(func.count()).select_from(Batch)).scalar() or 0
            for batch in pending_batches(s):
                check.problem("SYNC_BATCH_PENDING", f"批次{batch.batch_seq}的导出被中断，尚未核对（下次启动或导出时处理）",
                              batch_seq=batch.batch_seq)
            for orphan in open_orphans(s):
                check.problem("SYNC_ORPHAN_UNRESOLVED", f"隔离区中的批次文件{orphan.get('file', '')}待省级回执或负责人确认",
                              file=orphan.get("file"))
        return check

    # --- files ---------------------------------------------------------------------------------------
    def _outbox(self, outbox: Path) -> Check:
        check = Check("outbox")
        if not outbox.is_dir():
            check.problem("OUTBOX_MISSING", f"找不到上报目录：{outbox}")
            return check
        with self.ctx.db.read() as s:
            known = set(s.execute(select(Batch.file_name)).scalars())
        for path in sorted(outbox.iterdir()):
            if path.is_dir():
                continue
            check.checked += 1
            if path.name.startswith(".") and path.name.endswith(".tmp"):
                check.problem("OUTBOX_TEMP_FILE", f"上报目录中有未完成的临时文件：{path.name}", file=path.name)
            elif path.suffix == ".rgb" and path.name not in known:
                check.problem("OUTBOX_ORPHAN_BATCH", f"上报目录中的批次文件不为数据库所知：{path.name}",
                              file=path.name)
        return check


def _ranges(numbers: list[int]) -> str:
    """[1, 2, 3, 7] -> '1–3、7' (at most a few ranges, then a count)."""
    spans: list[tuple[int, int]] = []
    for n in numbers:
        if spans and n == spans[-1][1] + 1:
            spans[-1] = (spans[-1][0], n)
        else:
            spans.append((n, n))
    shown = [f"{a}" if a == b else f"{a}–{b}" for a, b in spans[:8]]
    more = f"等{len(numbers)}个" if len(spans) > 8 else ""
    return "、".join(shown) + more


__all__ = ["CHECK_ZH", "DatabaseHealth", "HealthReport"]
