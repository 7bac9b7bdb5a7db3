"""The province's side of the batch format: open a batch, check it against what was accepted
before, advance the per-office state, answer with a signed acknowledgement.

Opening refuses at the first structural failure (nothing after it can be trusted); validation then
collects every content problem so one report tells the office everything that is wrong."""
from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature

from registry_app.errors import Refused, RegistryError
from registry_app.sync import container
from registry_app.sync.ack import ACK_FORMAT
from registry_app.sync.batch import (MANIFEST_VERSIONS, batch_file_hash, event_schema_issues,
                                     manifest_schema_issues)
from registry_app.sync.canonical import load_strict
from registry_app.sync.keys import KeyRing, ProvinceKeyPair, PublicKey, b64
from registry_app.sync.province_state import OfficeState, ProvinceState
from registry_app.sync.schemas import reason_codes, schema_errors
from registry_app.sync.signed import sign_document

# each joint-service event type (婚育户一件事) and the schema of the data its department receives
JOINT_SCHEMAS = {"joint.hukou_marital": "joint-hukou-marital-v1", "joint.hukou_transfer": "joint-hukou-transfer-v1",
                 "joint.birth_registration": "joint-birth-registration-v1"}


@dataclass(frozen=True)
class OpenedBatch:
    header: container.Header
    manifest: dict
    events: list
    office_key: PublicKey
    file_hash: str
    chain_hash: str

    @property
    def office_code(self) -> str:
        return self.manifest["office_code"]

    @property
    def batch_seq(self) -> int:
        return self.manifest["batch_seq"]


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    event_id: str | None = None

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass
class ValidationReport:
    acceptable: bool
    problems: list[Problem]
    manifest: dict | None
    events: list
    opened: OpenedBatch | None = None

    def codes(self) -> list[str]:
        return [p.code for p in self.problems]

    def problem_dicts(self) -> list[dict]:
        return [p.to_dict() for p in self.problems]


@dataclass
class ReceiverKeys:
    """The province's private key pairs (old ones kept for batches still in transit) and the
    public keys of the offices it trusts."""

    province: list[ProvinceKeyPair]
    offices: KeyRing = field(default_factory=KeyRing)


def _province_keys(keys: ProvinceKeyPair | Iterable[ProvinceKeyPair]) -> list[ProvinceKeyPair]:
    return [keys] if isinstance(keys, ProvinceKeyPair) else list(keys)


def open_batch(data: bytes, province_private: ProvinceKeyPair | Iterable[ProvinceKeyPair],
               trusted_office_keys: KeyRing | Iterable[PublicKey]) -> OpenedBatch:
    header = container.parse_header(data)
    pair = next((k for k in _province_keys(province_private) if k.key_id == header.recipient_key_id), None)
    if pair is None:
        raise RegistryError(f"批次文件是加密给省级密钥{header.recipient_key_id}的，本处没有该私钥"
                            "（encrypted to another province key）", code="BATCH_WRONG_RECIPIENT")
    manifest_bytes, signature, payload_bytes = container.unframe(container.unseal(data, header, pair.encryption))
    manifest = load_strict(manifest_bytes, "BATCH_MALFORMED", "批次清单")
    if not isinstance(manifest, dict):
        raise RegistryError("批次清单不是JSON对象（manifest is not an object）", code="BATCH_MALFORMED")
    version = manifest.get("format_version")
    if isinstance(version, int) and not isinstance(version, bool) and version not in MANIFEST_VERSIONS:
        raise RegistryError(f"批次清单格式版本{version}不受支持（unsupported manifest version）",
                            code="FORMAT_VERSION_UNSUPPORTED")
    key_id, office_code = manifest.get("key_id"), manifest.get("office_code")
    key = KeyRing.of(trusted_office_keys).get(key_id) if isinstance(key_id, str) else None
    if key is None:
        raise RegistryError(f"签名密钥{str(key_id)[:16]}不是已登记的办公密钥（unknown office key）",
                            code="OFFICE_KEY_UNKNOWN")
    if key.owner != f"office:{office_code}":
        raise RegistryError(f"签名密钥属于{key.owner}，批次却自称来自{office_code}（key of another office）",
                            code="OFFICE_KEY_WRONG_OFFICE")
    try:
        key.ed25519.verify(signature, container.SIGNATURE_CONTEXT + manifest_bytes)
    except InvalidSignature:
        raise RegistryError("批次清单签名无效（bad office signature）", code="BATCH_BAD_SIGNATURE") from None
    issues = manifest_schema_issues(manifest)
    if issues:
        raise Refused(issues)
    if manifest["office_public_key"] != b64(key.ed25519_raw):
        raise RegistryError("清单中的办公公钥与已登记的不一致（embedded office key differs）",
                            code="OFFICE_KEY_MISMATCH")
    chain_hash = container.sha256_hex(manifest_bytes)
    if (header.office_code, header.business_date, header.batch_seq, header.content_sha256) != (
            manifest["office_code"], manifest["business_date"], manifest["batch_seq"], chain_hash):
        raise RegistryError("文件头与签名清单不一致（clear header disagrees with the signed manifest）",
                            code="BATCH_HEADER_MISMATCH")
    if container.sha256_hex(payload_bytes) != manifest["payload_sha256"]:
        raise RegistryError("事件数据的哈希与清单不符（payload hash mismatch）", code="PAYLOAD_HASH_MISMATCH")
    events = load_strict(payload_bytes, "BATCH_MALFORMED", "事件数据")
    if not isinstance(events, list):
        raise RegistryError("事件数据不是列表（payload is not a list）", code="BATCH_MALFORMED")
    return OpenedBatch(header, manifest, events, key, batch_file_hash(data), chain_hash)


def _event_id(ev: Any) -> str | None:
    return ev.get("event_id") if isinstance(ev, dict) and isinstance(ev.get("event_id"), str) else None


def _content_problems(manifest: dict, events: list) -> list[Problem]:
    problems = [Problem(i.code, i.message, _event_id(ev))
                for ev in events for i in event_schema_issues([ev])]
    problems += [p for ev in events for p in _joint_problems(ev)]
    if problems:
        return problems  # sequence and count checks would only repeat the same fault
    seqs = [ev["seq"] for ev in events]
    ids = Counter(ev["event_id"] for ev in events)
    for eid, n in sorted(ids.items()):
        if n > 1:
            problems.append(Problem("EVENT_ID_REPEAT", f"事件{eid}在批次中出现{n}次（duplicate event_id）", eid))
    seen: set[int] = set()
    for ev in events:
        if ev["seq"] in seen:
            problems.append(Problem("EVENT_SEQ_REPEAT", f"事件序号{ev['seq']}重复（repeated event seq）",
                                    ev["event_id"]))
        seen.add(ev["seq"])
    if seqs:
        missing = sorted(set(range(min(seqs), max(seqs) + 1)) - seen)
        if missing:
            problems.append(Problem("EVENT_SEQ_GAP", f"事件序号缺号：{_ranges(missing)}（event seq gap）"))
        for prev, ev in zip(events, events[1:]):
            if ev["seq"] < prev["seq"]:
                problems.append(Problem("EVENT_SEQ_ORDER", f"事件序号{ev['seq']}排在{prev['seq']}之后"
                                                           "（events out of order）", ev["event_id"]))
    counts = dict(Counter(ev["event_type"] for ev in events))
    if manifest["event_count"] != len(events):
        problems.append(Problem("COUNTS_MISMATCH", f"清单记事件{manifest['event_count']}条，实有{len(events)}条"
                                                   "（event count mismatch）"))
    if manifest["counts"] != counts:
        problems.append(Problem("COUNTS_MISMATCH", "清单中各类事件数与实际不符（counts by type mismatch）"))
    first, last = (min(seqs), max(seqs)) if seqs else (None, None)
    if (manifest["first_event_seq"], manifest["last_event_seq"]) != (first, last):
        problems.append(Problem("COUNTS_MISMATCH", f"清单事件序号范围{manifest['first_event_seq']}–"
                                                   f"{manifest['last_event_seq']}与实际{first}–{last}不符"
                                                   "（event seq range mismatch）"))
    return problems


def _joint_problems(ev: Any) -> list[Problem]:
    """A joint-service event's data against its department's own schema: only that department's fields."""
    if not isinstance(ev, dict) or ev.get("event_type") not in JOINT_SCHEMAS:
        return []
    name = JOINT_SCHEMAS[ev["event_type"]]
    return [Problem("JOINT_SCHEMA", f"联办事件{_event_id(ev) or ''}的data{path}不符合{name}：{msg}（joint event schema）",
                    _event_id(ev)) for path, msg in schema_errors(name, ev.get("data"))]


def _ranges(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:10])
    return shown + (f" 等{len(numbers)}个" if len(numbers) > 10 else "")


def _state_problems(manifest: dict, events: list, office: OfficeState) -> list[Problem]:
    problems: list[Problem] = []
    seq, expected = manifest["batch_seq"], office.last_batch_seq + 1
    if seq < expected:
        return [Problem("BATCH_REPLAY", f"批次{seq}已接收过（最近接收的是{office.last_batch_seq}），拒绝重放"
                                        "（batch already accepted: replay）")]
    if seq > expected:
        return [Problem("BATCH_SEQ_GAP", f"批次序号跳号：应为{expected}，收到{seq}（batch sequence gap）")]
    if manifest["prev_batch_hash"] != office.last_chain_hash:
        problems.append(Problem("BATCH_CHAIN_BROKEN", "批次的前序哈希与上一次接收的批次不符（broken batch chain）"))
    if office.last_business_date and manifest["business_date"] < office.last_business_date:
        problems.append(Problem("BATCH_DATE_ORDER", f"营业日{manifest['business_date']}早于上一批次的"
                                                    f"{office.last_business_date}（business date goes backwards）"))
    seqs = [ev["seq"] for ev in events if isinstance(ev, dict) and isinstance(ev.get("seq"), int)]
    if seqs:
        first, want = min(seqs), office.last_event_seq + 1
        if first < want:
            problems.append(Problem("EVENT_SEQ_REPEAT", f"事件序号{first}已在之前的批次中接收（应从{want}开始）"
                                                        "（event seq already received）"))
        elif first > want:
            problems.append(Problem("EVENT_SEQ_GAP", f"事件序号应从{want}接续，批次从{first}开始"
                                                     "（event seq gap between batches）"))
    return problems


def is_training(manifest: Mapping) -> bool:
    return manifest.get("training") is True


def _training_problem() -> Problem:
    return Problem("BATCH_TRAINING", "该批次由培训数据库生成，不是正式登记数据；如确需接收（测试），请加 --accept-training"
                                     "（training batch refused）")


def validate_batch(data: bytes, keys: ReceiverKeys, state: ProvinceState,
                   accept_training: bool = False) -> ValidationReport:
    """Never raises for a bad file: every refusal is a problem in the report. Does not touch state.
    A batch from a training database is refused (BATCH_TRAINING) unless `accept_training`."""
    try:
        opened = open_batch(data, keys.province, keys.offices)
    except Refused as exc:
        return ValidationReport(False, [Problem(i.code, i.message) for i in exc.issues], None, [])
    except RegistryError as exc:
        return ValidationReport(False, [Problem(exc.code, exc.message)], None, [])
    if is_training(opened.manifest) and not accept_training:
        return ValidationReport(False, [_training_problem()], opened.manifest, opened.events, opened)
    problems = _content_problems(opened.manifest, opened.events)
    if not problems:
        problems = _state_problems(opened.manifest, opened.events, state.office(opened.office_code))
    return ValidationReport(not problems, problems, opened.manifest, opened.events, opened)


def accept_batch(report: ValidationReport, state: ProvinceState) -> OfficeState:
    """Record an acceptable batch as received. Re-checks against the current state, so a report
    that went stale (another batch accepted in between) cannot advance it twice."""
    if not report.acceptable or report.opened is None:
        raise RegistryError("该批次未通过校验，不能接收（batch is not acceptable）", code="BATCH_NOT_ACCEPTABLE")
    opened = report.opened
    stale = _state_problems(opened.manifest, opened.events, state.office(opened.office_code))
    if stale:
        raise RegistryError(f"校验结果已过时：{stale[0].message}（stale report）", code="BATCH_STALE_REPORT")
    last_seq = opened.manifest["last_event_seq"]
    new = OfficeState(
        last_batch_seq=opened.batch_seq, last_chain_hash=opened.chain_hash, last_file_hash=opened.file_hash,
        last_event_seq=last_seq if last_seq is not None else state.office(opened.office_code).last_event_seq,
        last_business_date=opened.manifest["business_date"],
    )
    state.offices[opened.office_code] = new
    return new


def build_ack(opened: OpenedBatch, *, province_key: ProvinceKeyPair, rejects: Mapping[str, str] | None = None,
              conflicts: Mapping[str, str] | None = None, created_at: dt.datetime | str,
              accept_training: bool = False) -> bytes:
    """Signed answer for one batch: every event accepted unless listed as rejected (R-codes) or in
    conflict (C-codes) with the province's marital-status re-check. Written in the version of the
    batch's manifest: a v2 answer repeats the audit chain head the batch carried, the office's anchor."""
    if is_training(opened.manifest) and not accept_training:
        problem = _training_problem()
        raise RegistryError(problem.message, code=problem.code)
    rejects, conflicts = dict(rejects or {}), dict(conflicts or {})
    ids = {ev["event_id"] for ev in opened.events}
    unknown = sorted((set(rejects) | set(conflicts)) - ids)
    if unknown:
        raise RegistryError(f"事件{unknown[0]}不在该批次中（event not in batch）", code="ACK_UNKNOWN_EVENT")
    both = sorted(set(rejects) & set(conflicts))
    if both:
        raise RegistryError(f"事件{both[0]}不能既退回又标为冲突（event both rejected and in conflict）",
                            code="ACK_DOUBLE_STATUS")
    table = reason_codes()
    entries, summary = [], {"accepted": 0, "rejected": 0, "conflict": 0}
    for ev in sorted(opened.events, key=lambda e: e["seq"]):
        eid = ev["event_id"]
        entry: dict = {"event_id": eid, "seq": ev["seq"], "status": "accepted"}
        for status, given, letter in (("rejected", rejects, "R"), ("conflict", conflicts, "C")):
            if eid in given:
                code = given[eid]
                if not (isinstance(code, str) and len(code) == 4 and code[0] == letter and code[1:].isdigit()):
                    raise RegistryError(f"原因代码“{code}”应为{letter}加3位数字（bad reason code）",
                                        code="ACK_BAD_REASON")
                entry.update(status=status, code=code)
                if code in table:
                    entry["message"] = table[code]["zh"]
        summary[entry["status"]] += 1
        entries.append(entry)
    m = opened.manifest
    version = 2 if m["format_version"] >= 2 else 1
    batch = {"office_code": m["office_code"], "business_date": m["business_date"], "batch_seq": m["batch_seq"],
             "file_sha256": opened.file_hash, "content_sha256": opened.chain_hash}
    if version == 2:
        batch["audit_head"] = m.get("audit_head")
    body = {
        "format": ACK_FORMAT, "format_version": version, "province": province_key.province_code, "batch": batch,
        "created_at": created_at.isoformat(timespec="seconds") if isinstance(created_at, dt.datetime) else created_at,
        "events": entries, "summary": summary,
    }
    errors = schema_errors(f"ack-v{version}", body)
    if errors:
        raise RegistryError(f"回执内容不符合格式：{errors[0][0]} {errors[0][1]}（ack schema）", code="ACK_SCHEMA")
    return sign_document(ACK_FORMAT, body, province_key, version)
