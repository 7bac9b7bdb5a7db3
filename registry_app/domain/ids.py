"""Identity documents: the names every caller imports (types, the resident ID, the check of any document).

The resident ID number (GB 11643-1999): 6-digit address code, 8-digit birth date, 3-digit sequence (odd = male,
even = female), check character; the first two digits are a mainland province code. The rest of the address
code is not checked against a table: codes change over time and a person born before their district's code
was withdrawn still holds a valid number (see RULES.md beside this module). Which document a number is, and
the checks of residence permits and permanent-residence cards, live in documents.py.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from registry_app.domain.documents import normalise, read_document
from registry_app.domain.gb11643 import check_character
from registry_app.domain.id_types import IdType, InvalidIdNumber, Sex
from registry_app.errors import Issue

__all__ = ["IdType", "InvalidIdNumber", "ResidentId", "Sex", "age_on", "check_character", "mask_id",
           "normalise_resident_id", "parse_resident_id", "validate_document"]


@dataclass(frozen=True)
class ResidentId:
    number: str
    region_code: str
    birth_date: dt.date
    sequence: str
    sex: Sex

    def to_dict(self) -> dict:
        return {
            "id_number": self.number,
            "birth_date": self.birth_date.isoformat(),
            "sex": self.sex.value,
            "region_code": self.region_code,
        }


def normalise_resident_id(raw: str) -> str:
    return normalise(raw)


def parse_resident_id(raw: str, today: dt.date | None = None) -> ResidentId:
    """Validate and decode an 18-character mainland resident ID number, or raise InvalidIdNumber (a residence
    permit or permanent-residence card number is refused with a code naming that document)."""
    r = read_document(raw, today, IdType.RESIDENT)
    return ResidentId(r.number, r.region_code, r.birth_date, r.sequence, r.sex)


def validate_document(id_type: IdType | str, number: str, today: dt.date | None = None) -> Issue | None:
    """The number is a valid document of the chosen type: full checks where the number carries them (resident
    ID, residence permit, PR cards), the shape for passports and travel permits."""
    id_type = IdType(id_type)
    if id_type is IdType.NONE:
        return None
    try:
        read_document(number, today, id_type)
    except InvalidIdNumber as exc:
        return Issue(exc.code, exc.message)
    return None


def mask_id(number: str | None) -> str | None:
    """How an ID number is shown in lists and written in the audit trail: first 6 + ******** + last 4 for a
    resident ID; shorter documents keep only their ends; four characters or fewer are hidden whole."""
    if not number:
        return number
    if len(number) >= 14:
        return number[:6] + "********" + number[-4:]
    if len(number) > 4:
        return number[:1] + "*" * (len(number) - 3) + number[-2:]
    return "*" * len(number)


def age_on(birth: dt.date, on: dt.date) -> int:
    """Full years of age on a date. Someone born on 29 February comes of age on 1 March
    in a common year (the anniversary does not exist, so it has not yet been reached on 28 February)."""
    years = on.year - birth.year
    if (on.month, on.day) < (birth.month, birth.day):
        years -= 1
    return years
