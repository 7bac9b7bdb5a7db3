"""What a registration hands back to its caller (page or command line), whatever the kind."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class RegistrationResult:
    record_id: int
    certificate_no: str | None
    status: str
    blank_serial: str | None = None

    def to_dict(self) -> dict:
        return {"record_id": self.record_id, "certificate_no": self.certificate_no, "status": self.status,
                "blank_serial": self.blank_serial}
