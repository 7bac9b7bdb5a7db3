"""Reference extract: the province's marital statuses, keyed by a keyed hash of the ID number, so
an office can check a party offline without holding the province's names and ID numbers.

Signed by the province, not encrypted: it holds no names or numbers, only HMAC-SHA256 values and a
status, plus the HMAC key the office needs to hash the number it is checking."""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from registry_app.clock import CHINA_TZ
from registry_app.errors import RegistryError
from registry_app.sync.keys import KeyRing, ProvinceKeyPair, PublicKey, b64
from registry_app.sync.schemas import schema_errors
from registry_app.sync.signed import open_document, sign_document

REFERENCE_FORMAT = "registry-reference"
STATUSES = ("married", "divorced", "widowed")
# Which event puts its parties in which status; other events leave statuses alone (court
# annotations and deaths reach the extract through `known_statuses`).
_STATUS_AFTER = {"marriage.registered": "married", "divorce.issued": "divorced"}


def normalise_id(id_number: str) -> str:
    return id_number.strip().upper()  # a lowercase x check character is the same number


def id_hash(id_number: str, key: bytes) -> str:
    return hmac.new(key, normalise_id(id_number).encode("utf-8"), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class ReferenceExtract:
    province: str
    as_of: str
    key: bytes
    entries: dict[str, str]

    def status_of(self, id_number: str) -> str | None:
        """None means the province holds no status for this number, not that the person is single."""
        return self.entries.get(id_hash(id_number, self.key))


def parse_as_of(value: object) -> dt.datetime | None:
    """The extract's `as_of` as an aware time (a date is its midnight, no zone is Beijing time), or
    None when it is not a date or date-time at all. Used on the file and again on the stored value, so
    a bad value never reaches a comparison."""
    if not isinstance(value, str) or not 10 <= len(value) <= 40:
        return None
    try:
        when = dt.datetime.fromisoformat(value.replace("Z", "+00:00")) if "T" in value else \
            dt.datetime.combine(dt.date.fromisoformat(value), dt.time())
    except ValueError:
        return None
    if value != value.strip() or not 1900 <= when.year <= 9000:  # far outside any extract; no overflow later
        return None
    return when if when.tzinfo else when.replace(tzinfo=CHINA_TZ)


def statuses_from_events(events: Iterable[Mapping]) -> dict[str, str]:
    """Latest status per ID number, events taken in the order the province accepted them."""
    out: dict[str, str] = {}
    for ev in events:
        status = _STATUS_AFTER.get(ev.get("event_type"))
        if status is None:
            continue
        for party in (ev.get("data") or {}).get("parties") or []:
            number = party.get("id_number") if isinstance(party, Mapping) else None
            if isinstance(number, str) and number.strip():
                out[normalise_id(number)] = status
    return out


def build_reference(events_from_batches: Iterable[Mapping], province_key: ProvinceKeyPair,
                    as_of: dt.datetime | str, *, hmac_key: bytes | None = None,
                    known_statuses: Mapping[str, str] | None = None) -> bytes:
    """`hmac_key`: 32 bytes; a fresh random key per extract unless given (each extract carries its
    own, so changing it costs nothing and makes hashes from an old extract useless)."""
    key = os.urandom(32) if hmac_key is None else bytes(hmac_key)
    if len(key) != 32:
        raise RegistryError("参照数据密钥应为32字节（hmac key must be 32 bytes）", code="REFERENCE_KEY_LENGTH")
    statuses = statuses_from_events(events_from_batches)
    for number, status in (known_statuses or {}).items():
        if status not in STATUSES:
            raise RegistryError(f"婚姻状况“{status}”不在{'/'.join(STATUSES)}之中（unknown status）",
                                code="REFERENCE_STATUS")
        statuses[normalise_id(number)] = status
    body = {
        "format": REFERENCE_FORMAT, "format_version": 1, "province": province_key.province_code,
        "as_of": as_of.isoformat(timespec="seconds") if isinstance(as_of, dt.datetime) else as_of,
        "hash": "HMAC-SHA256", "hmac_key": b64(key),
        "entries": {id_hash(n, key): s for n, s in statuses.items()},
    }
    return sign_document(REFERENCE_FORMAT, body, province_key)


def parse_reference(data: bytes, province_public_keys: KeyRing | list[PublicKey] | PublicKey) -> ReferenceExtract:
    """Refuses a bad signature (REFERENCE_BAD_SIGNATURE), an untrusted key (REFERENCE_KEY_UNKNOWN),
    a malformed file (REFERENCE_MALFORMED) or a newer format (FORMAT_VERSION_UNSUPPORTED)."""
    body = open_document(data, REFERENCE_FORMAT, province_public_keys, "REFERENCE", "参照数据")
    errors = schema_errors("reference-v1", body)
    if errors:
        raise RegistryError(f"参照数据不符合格式：{errors[0][0]} {errors[0][1]}（malformed extract）",
                            code="REFERENCE_MALFORMED")
    if parse_as_of(body["as_of"]) is None:  # the pattern lets through a month 13 or a day 31 in June
        raise RegistryError("参照数据的截止时间as_of不是有效的日期或时间（malformed as_of）", code="REFERENCE_MALFORMED")
    return ReferenceExtract(body["province"], body["as_of"], base64.b64decode(body["hmac_key"]), body["entries"])
