"""Identity documents.

The resident ID number (GB 11643-1999): 6-digit address code, 8-digit birth date, 3-digit
sequence (odd = male, even = female), check character. The address code is only shape-checked:
codes change over time and a real person born before their district's code existed still holds
a valid number (GB 11643; see RULES.md beside this module), so no table of codes is consulted.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import Enum

from registry_app.errors import Issue

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"


class Sex(str, Enum):
    MALE = "M"
    FEMALE = "F"

    @property
    def zh(self) -> str:
        return "男" if self is Sex.MALE else "女"


class IdType(str, Enum):
    """Identity documents a party may present."""

    RESIDENT = "resident_id"            # 居民身份证
    PASSPORT = "passport"               # 护照
    HK_MACAO_PERMIT = "hk_macao_permit"  # 港澳居民来往内地通行证
    TAIWAN_PERMIT = "taiwan_permit"      # 台湾居民来往大陆通行证
    FOREIGN_PR = "foreign_pr_card"       # 外国人永久居留身份证
    NONE = "none"                        # 历史档案无证件号

    @property
    def zh(self) -> str:
        return _ID_TYPE_ZH[self]

    @property
    def is_foreign_or_hmt(self) -> bool:
        """Cases with such a party go to province-designated offices."""
        return self in (IdType.PASSPORT, IdType.HK_MACAO_PERMIT, IdType.TAIWAN_PERMIT, IdType.FOREIGN_PR)


_ID_TYPE_ZH = {
    IdType.RESIDENT: "居民身份证",
    IdType.PASSPORT: "护照",
    IdType.HK_MACAO_PERMIT: "港澳居民来往内地通行证",
    IdType.TAIWAN_PERMIT: "台湾居民来往大陆通行证",
    IdType.FOREIGN_PR: "外国人永久居留身份证",
    IdType.NONE: "无",
}


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


class InvalidIdNumber(ValueError):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message

    def issue(self, field: str | None = None) -> Issue:
        return Issue(self.code, self.message, field)


def check_character(first17: str) -> str:
    """The GB 11643 check character for 17 digits."""
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError("need exactly 17 digits")
    total = sum(int(c) * w for c, w in zip(first17, _WEIGHTS))
    return _CHECK_CHARS[total % 11]


def normalise_resident_id(raw: str) -> str:
    return (raw or "").strip().replace(" ", "").upper()


def parse_resident_id(raw: str, today: dt.date | None = None) -> ResidentId:
    """Validate and decode an 18-character resident ID number, or raise InvalidIdNumber."""
    number = normalise_resident_id(raw)
    if not number:
        raise InvalidIdNumber("ID_EMPTY", "请输入身份证号码")
    if len(number) != 18:
        raise InvalidIdNumber("ID_LENGTH", f"身份证号码应为18位，现为{len(number)}位")
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise InvalidIdNumber("ID_CHARS", "身份证号码前17位应为数字，末位为数字或X")
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidIdNumber("ID_BIRTH_DATE", "身份证号码中的出生日期不存在") from None
    if birth.year < 1850:
        raise InvalidIdNumber("ID_BIRTH_DATE", "身份证号码中的出生日期不合理")
    if today is not None and birth > today:
        raise InvalidIdNumber("ID_BIRTH_FUTURE", "身份证号码中的出生日期晚于今天")
    expected = check_character(number[:17])
    if number[17] != expected:
        raise InvalidIdNumber("ID_CHECK_CHAR", "身份证号码校验位错误，请核对证件")
    seq = number[14:17]
    sex = Sex.MALE if int(seq[2]) % 2 == 1 else Sex.FEMALE
    return ResidentId(number, number[:6], birth, seq, sex)


_SHAPES = {
    IdType.PASSPORT: (re.compile(r"^[A-Z0-9]{5,20}$"), "护照号码应为5至20位字母或数字"),
    IdType.HK_MACAO_PERMIT: (re.compile(r"^[HM]\d{8}(\d{2})?$"), "港澳通行证号码应为H或M加8位或10位数字"),
    IdType.TAIWAN_PERMIT: (re.compile(r"^\d{8}$|^\d{10}$"), "台湾居民来往大陆通行证号码应为8位或10位数字"),
    IdType.FOREIGN_PR: (re.compile(r"^[A-Z]{3}\d{12}$|^9\d{16}[\dX]$"), "外国人永久居留身份证号码格式不正确"),
}


def validate_document(id_type: IdType | str, number: str, today: dt.date | None = None) -> Issue | None:
    """Shape-check any identity document; the resident ID gets the full GB 11643 check."""
    id_type = IdType(id_type)
    if id_type is IdType.NONE:
        return None
    value = (number or "").strip().upper()
    if id_type is IdType.RESIDENT:
        try:
            parse_resident_id(value, today)
        except InvalidIdNumber as exc:
            return Issue(exc.code, exc.message)
        return None
    pattern, message = _SHAPES[id_type]
    if not value:
        return Issue("ID_EMPTY", "请输入证件号码")
    if not pattern.match(value):
        return Issue("ID_SHAPE", message)
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
