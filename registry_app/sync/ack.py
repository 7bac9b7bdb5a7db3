"""Office side of acknowledgements: read the province's signed answer to one batch."""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from registry_app.errors import RegistryError
from registry_app.sync.keys import KeyRing, PublicKey
from registry_app.sync.schemas import reason_message, schema_errors
from registry_app.sync.signed import open_document

ACK_FORMAT = "registry-ack"
# Version 2 repeats the audit chain head the batch carried (`batch.audit_head`, null for a v1 batch).
# The province answers a batch in the version of its manifest, so an office not yet upgraded still reads
# its answer; an office reads both.
ACK_VERSIONS = (1, 2)


@dataclass(frozen=True)
class AckEntry:
    event_id: str
    seq: int
    status: str                 # accepted | rejected | conflict
    code: str | None = None
    message: str | None = None  # Chinese text from the province, else from the local table


@dataclass(frozen=True)
class Ack:
    province: str
    office_code: str
    business_date: str
    batch_seq: int
    file_sha256: str
    content_sha256: str
    created_at: str
    entries: tuple[AckEntry, ...]
    version: int = 1
    audit_head: dict | None = None   # {"seq", "hash"} in a v2 ack answering a v2 batch

    @property
    def repeats_head(self) -> bool:
        """Whether the province's signature covers an audit head (a v2 ack answering a v2 batch)."""
        return self.version >= 2 and self.audit_head is not None

    def by_status(self, status: str) -> list[AckEntry]:
        return [e for e in self.entries if e.status == status]

    def entry(self, event_id: str) -> AckEntry | None:
        return next((e for e in self.entries if e.event_id == event_id), None)


def parse_ack(data: bytes, province_public_keys: KeyRing | list[PublicKey] | PublicKey) -> Ack:
    """Refuses (RegistryError) a bad signature (ACK_BAD_SIGNATURE), a key it does not trust
    (ACK_KEY_UNKNOWN), a malformed file (ACK_MALFORMED) or a newer format (FORMAT_VERSION_UNSUPPORTED)."""
    body = open_document(data, ACK_FORMAT, province_public_keys, "ACK", "回执", ACK_VERSIONS)
    version = body["format_version"]
    errors = schema_errors(f"ack-v{version}", body)
    if errors:
        raise RegistryError(f"回执内容不符合格式：{errors[0][0]} {errors[0][1]}（malformed ack）", code="ACK_MALFORMED")
    ids = Counter(e["event_id"] for e in body["events"])
    if any(n > 1 for n in ids.values()):
        raise RegistryError("回执中同一事件出现多次（duplicate event in ack）", code="ACK_MALFORMED")
    tally = Counter(e["status"] for e in body["events"])
    if any(body["summary"][s] != tally.get(s, 0) for s in ("accepted", "rejected", "conflict")):
        raise RegistryError("回执汇总数与明细不符（summary disagrees with entries）", code="ACK_MALFORMED")
    b = body["batch"]
    try:  # the pattern lets through a month 13
        dt.date.fromisoformat(b["business_date"])
    except ValueError:
        raise RegistryError("回执中的营业日不是有效日期（malformed business_date）", code="ACK_MALFORMED") from None
    entries = tuple(
        AckEntry(e["event_id"], e["seq"], e["status"], e.get("code"),
                 e.get("message") or (reason_message(e["code"]) if "code" in e else None))
        for e in body["events"]
    )
    head = b.get("audit_head")
    return Ack(body["province"], b["office_code"], b["business_date"], b["batch_seq"], b["file_sha256"],
               b["content_sha256"], body["created_at"], entries, version,
               {"seq": head["seq"], "hash": head["hash"]} if head else None)
