"""Office side of the end-of-day batch: events in, one sealed file out. Pure: no database, no clock.

The same events, parameters and keys always give the same manifest, payload and signature
(byte-identical decrypted content); only the encryption (a fresh ephemeral key) differs per export."""
from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from registry_app.errors import Issue, Refused, RegistryError
from registry_app.sync import container
from registry_app.sync.canonical import canonical_json
from registry_app.sync.keys import OfficeKeyPair, PublicKey, b64
from registry_app.sync.schemas import schema_errors

MANIFEST_FORMAT = "registry-batch-manifest"
# The manifest's own version (the binary envelope stays at container.FORMAT_VERSION 1): version 2 adds the
# office's audit chain head and the training flag. Readers accept 1 and 2.
MANIFEST_VERSION = 2
MANIFEST_VERSIONS = (1, 2)
FILE_SUFFIX = ".rgb"


def batch_file_name(office_code: str, business_date: dt.date | str, batch_seq: int) -> str:
    day = business_date.isoformat() if isinstance(business_date, dt.date) else str(business_date)
    return f"{office_code}-{day.replace('-', '')}-{batch_seq:06d}{FILE_SUFFIX}"


def batch_file_hash(data: bytes) -> str:
    """SHA-256 of the file bytes: names one particular file (acknowledgements quote it)."""
    return container.sha256_hex(bytes(data))


def batch_chain_hash(data: bytes) -> str:
    """The value the NEXT batch puts in prev_batch_hash: SHA-256 of this batch's signed manifest,
    read from the clear header. Unlike the file hash it does not change when a batch is re-exported."""
    return container.parse_header(data).content_sha256


def _event_label(event: Any, index: int) -> str:
    if isinstance(event, Mapping):
        eid, seq = event.get("event_id"), event.get("seq")
        if isinstance(eid, str):
            return f"事件{eid}（序号{seq}）"
    return f"第{index + 1}个事件"


def event_schema_issues(events: list, start: int = 0) -> list[Issue]:
    """Schema problems of `events`, each named by its event (or its place, counted from `start`)."""
    issues = []
    for i, ev in enumerate(events, start):
        for path, msg in schema_errors("event-v1", ev):
            issues.append(Issue("BATCH_SCHEMA", f"{_event_label(ev, i)}的{path}不符合格式：{msg}"
                                                f"（event schema violation）", path))
    return issues


def manifest_schema_issues(manifest: Any) -> list[Issue]:
    """Checked against the schema of the version the manifest declares (v1 when it declares none)."""
    version = manifest.get("format_version") if isinstance(manifest, dict) else None
    name = f"manifest-v{version}" if version in MANIFEST_VERSIONS and not isinstance(version, bool) else "manifest-v1"
    return [Issue("BATCH_SCHEMA", f"批次清单的{path}不符合格式：{msg}（manifest schema violation）", path)
            for path, msg in schema_errors(name, manifest)]


def _text_date(value: dt.date | str) -> str:
    if isinstance(value, dt.datetime):
        raise RegistryError("营业日应为日期，不是时间（business_date must be a date）", code="BATCH_SCHEMA",
                            field="business_date")
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def _text_time(value: dt.datetime | str) -> str:
    return value.isoformat(timespec="seconds") if isinstance(value, dt.datetime) else str(value)


def _check_seq(events: list[dict]) -> list[Issue]:
    issues: list[Issue] = []
    seen: set[str] = set()
    for prev, ev in zip(events, events[1:]):
        if ev["seq"] == prev["seq"]:
            issues.append(Issue("BATCH_EVENT_SEQ", f"事件序号{ev['seq']}重复（duplicate event seq）", "seq"))
        elif ev["seq"] != prev["seq"] + 1:
            issues.append(Issue("BATCH_EVENT_SEQ",
                                f"事件序号在{prev['seq']}与{ev['seq']}之间有缺号（event seq gap）", "seq"))
    for ev in events:
        if ev["event_id"] in seen:
            issues.append(Issue("BATCH_EVENT_DUPLICATE", f"事件{ev['event_id']}出现两次（duplicate event_id）",
                                "event_id"))
        seen.add(ev["event_id"])
    return issues


def make_manifest(events: list[dict], payload_sha256: str, *, office_code: str, business_date: str,
                  batch_seq: int, prev_batch_hash: str | None, created_at: str, office_key: OfficeKeyPair,
                  audit_head: Mapping[str, Any] | None = None, training: bool = False) -> dict:
    """Version 2 when the office's audit chain head is given (every batch the office makes now), else
    version 1 (a batch made before version 2 existed, re-exported with the manifest it was sent with)."""
    counts = Counter(ev.get("event_type") for ev in events)
    seqs = [ev.get("seq") for ev in events]
    if audit_head is None and training:
        raise RegistryError("培训标记只能写入第2版清单（training needs a v2 manifest with an audit head）",
                            code="BATCH_SCHEMA", field="training")
    extra = {} if audit_head is None else {
        "audit_head": {"seq": audit_head.get("seq"), "hash": audit_head.get("hash")}, "training": bool(training)}
    return {
        "format": MANIFEST_FORMAT,
        "format_version": MANIFEST_VERSION if audit_head is not None else 1,
        "office_code": office_code,
        "business_date": business_date,
        "batch_seq": batch_seq,
        "prev_batch_hash": prev_batch_hash,
        "created_at": created_at,
        "event_count": len(events),
        "counts": dict(sorted(counts.items())),
        "first_event_seq": seqs[0] if seqs else None,
        "last_event_seq": seqs[-1] if seqs else None,
        "payload_sha256": payload_sha256,
        "key_id": office_key.key_id,
        "office_public_key": b64(office_key.public.ed25519_raw),
        **extra,
    }


def encode_batch(manifest: dict, payload: bytes | list[bytes], *, office_key: OfficeKeyPair,
                 province_public: PublicKey) -> bytes:
    """Sign and seal exactly what is given, without checking it (build_batch checks; the
    receiving side's tests use this to make files that are wrong in one precise way). The payload
    may be given as its parts (BatchWriter): they are joined once, inside the plaintext, and the list is
    emptied, so that a large batch is not held twice."""
    if province_public.x25519 is None or not province_public.owner.startswith("province:"):
        raise RegistryError("收件公钥不是省级加密公钥（recipient is not a province encryption key）",
                            code="KEY_NOT_PROVINCE")
    manifest_bytes = canonical_json(manifest)
    signature = office_key.private.sign(container.SIGNATURE_CONTEXT + manifest_bytes)
    plaintext = container.frame(manifest_bytes, signature, payload)
    if isinstance(payload, list):
        payload.clear()  # the parts are consumed: from here on they live only in the plaintext
    return container.seal(
        plaintext,
        recipient=province_public.x25519, recipient_key_id=province_public.key_id,
        office_code=str(manifest.get("office_code")), business_date=str(manifest.get("business_date")),
        batch_seq=int(manifest.get("batch_seq")), content_sha256=container.sha256_hex(manifest_bytes),
    )


class BatchWriter:
    """A batch built one event at a time: each event is checked against the schema as it comes and then
    kept only as its canonical bytes, so a day of 100,000 events is never held as dicts (the payload
    `[e1,e2,...]` is byte for byte what canonical_json gives for the whole list)."""

    def __init__(self) -> None:
        self._encoded: list[tuple[int, str, str, bytes]] = []  # (seq, event_id, event_type, canonical bytes)
        self._issues: list[Issue] = []
        self._count = 0

    def add(self, event: Mapping[str, Any]) -> None:
        ev = event if isinstance(event, dict) else dict(event) if isinstance(event, Mapping) else event
        issues = event_schema_issues([ev], start=self._count)  # numbered as in the whole list
        if issues:
            self._issues += issues
        else:
            self._encoded.append((ev["seq"], ev["event_id"], ev["event_type"], canonical_json(ev)))
        self._count += 1

    def __len__(self) -> int:
        return self._count

    def seal(self, *, office_code: str, business_date: dt.date | str, batch_seq: int, prev_batch_hash: str | None,
             created_at: dt.datetime | str, office_key: OfficeKeyPair, province_public: PublicKey,
             audit_head: Mapping[str, Any] | None = None, training: bool = False) -> bytes:
        """Validate everything, then seal. Refused (code BATCH_SCHEMA, BATCH_EVENT_SEQ, ...) lists every
        problem found, each naming the event and the JSON path, and nothing is produced."""
        if office_key.office_code != office_code:
            raise RegistryError(f"签名密钥属于{office_key.office_code}，不是{office_code}（office key of another office）",
                                code="BATCH_OFFICE_KEY_MISMATCH")
        if self._issues:
            raise Refused(self._issues)
        self._encoded.sort(key=lambda e: e[0])  # input order must not change the output
        heads = [{"seq": seq, "event_id": eid, "event_type": etype} for seq, eid, etype, _ in self._encoded]
        seq_issues = _check_seq(heads)
        if seq_issues:
            raise Refused(seq_issues)
        day = _text_date(business_date)
        try:
            dt.date.fromisoformat(day)
        except ValueError:
            raise RegistryError(f"营业日“{day}”不是有效日期（invalid business_date）", code="BATCH_SCHEMA",
                                field="business_date") from None
        # The payload `[e1,e2,...]` as parts: hashed as it streams, joined once inside the plaintext.
        parts = [b"["]
        for i, (_, _, _, body) in enumerate(self._encoded):
            if i:
                parts.append(b",")
            parts.append(body)
        parts.append(b"]")
        self._encoded.clear()
        digest = hashlib.sha256()
        for part in parts:
            digest.update(part)
        manifest = make_manifest(heads, digest.hexdigest(), office_code=office_code, business_date=day,
                                 batch_seq=batch_seq, prev_batch_hash=prev_batch_hash,
                                 created_at=_text_time(created_at), office_key=office_key,
                                 audit_head=audit_head, training=training)
        issues = manifest_schema_issues(manifest)
        if issues:
            raise Refused(issues)
        return encode_batch(manifest, parts, office_key=office_key, province_public=province_public)


def build_batch(events: Iterable[Mapping[str, Any]], *, office_code: str, business_date: dt.date | str,
                batch_seq: int, prev_batch_hash: str | None, created_at: dt.datetime | str,
                office_key: OfficeKeyPair, province_public: PublicKey,
                audit_head: Mapping[str, Any] | None = None, training: bool = False) -> bytes:
    """All the events at once (see BatchWriter, which this is)."""
    writer = BatchWriter()
    for ev in events:
        writer.add(ev)
    return writer.seal(office_code=office_code, business_date=business_date, batch_seq=batch_seq,
                       prev_batch_hash=prev_batch_hash, created_at=created_at, office_key=office_key,
                       province_public=province_public, audit_head=audit_head, training=training)
