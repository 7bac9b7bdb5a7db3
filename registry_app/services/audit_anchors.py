"""The audit trail checked against anchors held outside the database.

Anyone holding the passphrase can rewrite the hash-chained trail and recompute every later hash; the
chain alone then still verifies. Each end-of-day batch carries the chain head at export
(`{"seq", "hash"}`), and the province's signed acknowledgement repeats it. Those acknowledgement
files (kept by the office and by the province) are anchors the office cannot quietly change: for each
one, entry `seq` must still exist and have exactly that hash. So a trail rewritten, truncated or
wiped anywhere up to the last acknowledged head is caught. Entries newer than that are protected only
by the chain itself and by the head printed on the close-of-day sheet (the paper anchor).

Anchors come from acknowledgement files in a folder (each must verify with a province key the office
trusts; one that does not is a problem, not skipped, since deleting the keys must not silence the
check) and from the heads stored when acknowledgements were imported."""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlalchemy import func, select

from registry_app.errors import RegistryError
from registry_app.services.audit import GENESIS, verify_chain
from registry_app.services.context import AppContext
from registry_app.services.settings import load_settings
from registry_app.storage.models import Acknowledgement, AuditEntry
from registry_app.sync.ack import ACK_FORMAT, parse_ack
from registry_app.sync.base import province_ring
from registry_app.sync.canonical import load_strict

_MAX_ACK_BYTES = 64 * 1024 * 1024  # an acknowledgement of 100,000 events is about 10 MB


@dataclass
class Anchor:
    seq: int
    hash: str
    batch_seq: int
    source: str            # an ack file's name, or "stored" (imported acknowledgement)

    def to_dict(self) -> dict:
        return {"seq": self.seq, "hash": self.hash, "batch_seq": self.batch_seq, "source": self.source}


@dataclass
class AnchorProblem:
    code: str
    message: str
    seq: int | None = None
    source: str | None = None

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass
class AnchorReport:
    ok: bool
    checked: int                      # entries walked by the chain check
    first_broken_id: int | None
    problem: str                      # the chain check's own finding
    head: dict                        # the trail's head now
    acks_read: int = 0
    acks_without_head: int = 0        # v1 acknowledgements: no anchor in them
    anchors: list[Anchor] = field(default_factory=list)
    problems: list[AnchorProblem] = field(default_factory=list)

    @property
    def last_anchor(self) -> Anchor | None:
        return max(self.anchors, key=lambda a: a.seq, default=None)

    def codes(self) -> list[str]:
        return [p.code for p in self.problems]

    def to_dict(self) -> dict:
        last = self.last_anchor
        return {"ok": self.ok, "checked": self.checked, "first_broken_id": self.first_broken_id,
                "problem": self.problem, "head": self.head, "acks_read": self.acks_read,
                "acks_without_head": self.acks_without_head, "anchors_checked": len(self.anchors),
                "last_anchor": last.to_dict() if last else None,
                "problems": [p.to_dict() for p in self.problems]}


def _looks_like_ack(path: Path) -> bool:
    """The first line is a signed-document header of an acknowledgement (read without trusting it)."""
    try:
        with open(path, "rb") as fh:
            first = fh.readline(4096)
    except OSError:
        return False
    try:
        header = load_strict(first.rstrip(b"\n"), "X", "")
    except RegistryError:
        return False
    return isinstance(header, dict) and header.get("format") == ACK_FORMAT


def ack_files(folder: Path) -> list[Path]:
    """Acknowledgement files anywhere under `folder`, whatever they are named."""
    found = []
    for root, _dirs, files in os.walk(folder):
        for name in sorted(files):
            p = Path(root) / name
            if p.is_file() and not p.is_symlink() and _looks_like_ack(p):
                found.append(p)
    return sorted(found)


def _acks_from_folder(ctx: AppContext, folder: Path, report: AnchorReport) -> None:
    if not folder.is_dir():
        raise RegistryError(f"回执文件夹不存在：{folder}", code="ANCHOR_ACKS_DIR_MISSING", field="acks")
    with ctx.db.read() as s:
        office = load_settings(s).office_code
        try:
            ring = province_ring(s)
        except RegistryError:
            ring = None
    for path in ack_files(folder):
        report.acks_read += 1
        name = str(path.relative_to(folder))
        if ring is None:
            report.problems.append(AnchorProblem("ANCHOR_NO_PROVINCE_KEY", f"数据库中没有省级公钥，无法核验回执{name}",
                                                 source=name))
            continue
        try:
            if path.stat().st_size > _MAX_ACK_BYTES:
                raise RegistryError("回执文件过大（ack too large）", code="ACK_MALFORMED")
            ack = parse_ack(path.read_bytes(), ring)
        except (RegistryError, OSError) as exc:
            code = getattr(exc, "code", "ACK_UNREADABLE")
            report.problems.append(AnchorProblem("ANCHOR_ACK_INVALID", f"回执{name}无法核验（{code}）：省级签名不符"
                                                 "或本处信任的省级公钥已被改动", source=name))
            continue
        if ack.office_code != office:
            report.problems.append(AnchorProblem("ANCHOR_ACK_OTHER_OFFICE", f"回执{name}是给登记机关{ack.office_code}的，"
                                                 "不是本处（或本处的机关代码已被改动）", source=name))
            continue
        if not ack.repeats_head:
            report.acks_without_head += 1
            continue
        report.anchors.append(Anchor(ack.audit_head["seq"], ack.audit_head["hash"], ack.batch_seq, name))


def _stored_anchors(ctx: AppContext) -> list[Anchor]:
    out = []
    with ctx.db.read() as s:
        for row in s.execute(select(Acknowledgement).order_by(Acknowledgement.batch_seq)).scalars():
            head = (row.summary or {}).get("audit_head") if isinstance(row.summary, dict) else None
            if isinstance(head, dict) and isinstance(head.get("seq"), int) and isinstance(head.get("hash"), str):
                out.append(Anchor(head["seq"], head["hash"], row.batch_seq, "stored"))
    return out


def _check(ctx: AppContext, anchors: list[Anchor], report: AnchorReport) -> None:
    with ctx.db.read() as s:
        count = s.execute(select(func.count()).select_from(AuditEntry)).scalar() or 0
        last_id = s.execute(select(func.max(AuditEntry.id))).scalar() or 0
        wanted = sorted({a.seq for a in anchors if a.seq > 0})
        have: dict[int, str] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            have.update((i, h) for i, h in s.execute(select(AuditEntry.id, AuditEntry.entry_hash)
                                                     .where(AuditEntry.id.in_(chunk))).all())
    for a in sorted(anchors, key=lambda a: (a.seq, a.source)):
        where = f"（批次{a.batch_seq}的回执{'' if a.source == 'stored' else a.source}）"
        if a.seq == 0:
            if a.hash != GENESIS:
                report.problems.append(AnchorProblem("AUDIT_ANCHOR_REWRITTEN", f"锚点第0条的哈希不是起始值{where}",
                                                     a.seq, a.source))
            continue
        if a.seq in have:
            if have[a.seq] != a.hash:
                report.problems.append(AnchorProblem("AUDIT_ANCHOR_REWRITTEN",
                                                     f"第{a.seq}条审计记录的哈希与省级回执确认的不同：审计记录被改写{where}",
                                                     a.seq, a.source))
        elif count == 0:
            report.problems.append(AnchorProblem("AUDIT_ANCHOR_WIPED",
                                                 f"审计记录已被全部删除，而省级回执确认过第{a.seq}条{where}", a.seq, a.source))
        elif a.seq > last_id:
            report.problems.append(AnchorProblem("AUDIT_ANCHOR_TRUNCATED",
                                                 f"审计记录只到第{last_id}条，而省级回执确认过第{a.seq}条：末尾的记录被删除{where}",
                                                 a.seq, a.source))
        else:
            report.problems.append(AnchorProblem("AUDIT_ANCHOR_MISSING", f"省级回执确认过的第{a.seq}条审计记录不存在{where}",
                                                 a.seq, a.source))


def verify_anchored(ctx: AppContext, acks_dir: str | Path | None = None) -> AnchorReport:
    """The chain check, then every anchor: those in the acknowledgement files under `acks_dir` and
    those stored in the database. A stored anchor that disagrees with the province-signed one for the
    same batch is a problem too. `ok` only when there is no problem at all."""
    chain = verify_chain(ctx)
    with ctx.db.read() as s:
        row = s.execute(select(AuditEntry.id, AuditEntry.entry_hash).order_by(AuditEntry.id.desc()).limit(1)).first()
    head = {"seq": row[0], "hash": row[1]} if row else {"seq": 0, "hash": GENESIS}
    report = AnchorReport(chain.ok, chain.checked, chain.first_broken_id, chain.problem, head)
    if not chain.ok:
        report.problems.append(AnchorProblem("AUDIT_CHAIN_BROKEN", chain.problem, chain.first_broken_id))
    if acks_dir is not None:
        _acks_from_folder(ctx, Path(acks_dir), report)
    signed = {a.batch_seq: a for a in report.anchors}
    for a in _stored_anchors(ctx):
        other = signed.get(a.batch_seq)
        if other is not None and (other.seq, other.hash) != (a.seq, a.hash):
            report.problems.append(AnchorProblem("ANCHOR_STORED_MISMATCH",
                                                 f"数据库中保存的批次{a.batch_seq}回执锚点与回执文件{other.source}不一致",
                                                 a.seq, "stored"))
        report.anchors.append(a)
    _check(ctx, report.anchors, report)
    report.ok = not report.problems
    return report
