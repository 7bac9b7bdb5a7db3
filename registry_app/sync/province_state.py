"""What the province remembers per office between batches: enough to detect a replayed, skipped
or re-ordered batch and a broken chain. JSON so a command can keep it in a file."""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from registry_app.errors import RegistryError
from registry_app.fsutil import write_atomic
from registry_app.sync.canonical import canonical_json, load_strict

STATE_FORMAT = "registry-province-state"


@dataclass(frozen=True)
class OfficeState:
    last_batch_seq: int = 0
    last_chain_hash: str | None = None      # SHA-256 of the last accepted batch's signed manifest
    last_file_hash: str | None = None
    last_event_seq: int = 0
    last_business_date: str | None = None


@dataclass
class ProvinceState:
    offices: dict[str, OfficeState] = field(default_factory=dict)

    def office(self, office_code: str) -> OfficeState:
        """An office never heard from starts at zero: its first batch must be number 1."""
        return self.offices.get(office_code, OfficeState())

    def to_dict(self) -> dict:
        return {"format": STATE_FORMAT, "version": 1,
                "offices": {code: asdict(s) for code, s in sorted(self.offices.items())}}

    @classmethod
    def from_dict(cls, doc: dict) -> "ProvinceState":
        if not isinstance(doc, dict) or doc.get("format") != STATE_FORMAT or doc.get("version") != 1:
            raise RegistryError("省级接收状态文件格式不符（not a province state file）", code="STATE_MALFORMED")
        try:
            return cls({str(code): OfficeState(**s) for code, s in doc["offices"].items()})
        except (KeyError, TypeError, AttributeError):
            raise RegistryError("省级接收状态文件内容不完整（malformed state）", code="STATE_MALFORMED") from None

    def to_json(self) -> bytes:
        return canonical_json(self.to_dict()) + b"\n"

    @classmethod
    def from_json(cls, data: bytes) -> "ProvinceState":
        return cls.from_dict(load_strict(data, "STATE_MALFORMED", "省级接收状态文件"))


def load_state(path: str | os.PathLike) -> ProvinceState:
    p = Path(path)
    return ProvinceState.from_json(p.read_bytes()) if p.exists() else ProvinceState()


def save_state(path: str | os.PathLike, state: ProvinceState) -> None:
    write_atomic(path, state.to_json(), mode=0o600)
