"""Office side of acknowledgements: read the province's signed answer to one batch."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from registry_app.errors import RegistryError
from registry_app.sync.keys import KeyRing, PublicKey
from registry_app.sync.schemas import reason_message, schema_errors
from registry_app.sync.signed import open_document

ACK_FORMAT = "registry-ack"


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

    def by_status(self, status: str) -> list[AckEntry]:
        return [e for e in self.entries if e.status == status]

    def entry(self, event_id: str) -> AckEntry | None:
        return next((e for e in self.entries if e.event_id == event_id), None)


def parse_ack(data: bytes, province_public_keys: KeyRing | list[PublicKey] | PublicKey) -> Ack:
    """Refuses (RegistryError) a bad signature (ACK_BAD_SIGNATURE), a key it does not trust
    (ACK_KEY_UNKNOWN), a malformed file (ACK_MALFORMED) or a newer format (FORMAT_VERSION_UNSUPPORTED)."""
    body = open_document(data, ACK_FORMAT, province_public_keys, "ACK", "回执")
    errors = schema_errors("ack-v1", body)
    if errors:
        raise RegistryError(f"回执内容不符合格式：{errors[0][0]} {errors[0][1]}（malformed ack）", code="ACK_MALFORMED")
    ids = Counter(e["event_id"] for e in body["events"])
    if any(n > 1 for n in ids.values()):
        raise RegistryError("回执中同一事件出现多次（duplicate event in ack）", code="ACK_MALFORMED")
    tally = Counter(e["status"] for e in body["events"])
    if any(body["summary"][s] != tally.get(s, 0) for s in ("accepted", "rejected", "conflict")):
        raise RegistryError("回执汇总数与明细不符（summary disagrees with entries）", code="ACK_MALFORMED")
    b = body["batch"]
    entries = tuple(
        AckEntry(e["event_id"], e["seq"], e["status"], e.get("code"),
                 e.get("message") or (reason_message(e["code"]) if "code" in e else None))
        for e in body["events"]
    )
    return Ack(body["province"], b["office_code"], b["business_date"], b["batch_seq"], b["file_sha256"],
               b["content_sha256"], body["created_at"], entries)
