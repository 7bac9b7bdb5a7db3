"""The 18-character structure that GB 11643-1999 gives the resident ID number, shared by the HK/Macao/Taiwan
residence permit (same standard, address codes 810000/820000/830000) and the 2023 foreign permanent-residence
card (same positions for birth date, sequence and check character).

Positions (1-based): 1–6 address code, 7–14 birth date YYYYMMDD, 15–17 sequence (odd: man, even: woman),
18 check character (ISO 7064 MOD 11-2)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from registry_app.domain.id_types import InvalidIdNumber, Sex

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
OLDEST_BIRTH_YEAR = 1850  # earlier is a typing error, not a living person

# Province-level divisions of GB/T 2260 whose residents hold resident ID cards. 71 (Taiwan), 81 (Hong Kong)
# and 82 (Macao) are province-level codes under which no resident ID is issued.
MAINLAND_PROVINCES: dict[str, str] = {
    "11": "北京市", "12": "天津市", "13": "河北省", "14": "山西省", "15": "内蒙古自治区",
    "21": "辽宁省", "22": "吉林省", "23": "黑龙江省",
    "31": "上海市", "32": "江苏省", "33": "浙江省", "34": "安徽省", "35": "福建省", "36": "江西省", "37": "山东省",
    "41": "河南省", "42": "湖北省", "43": "湖南省", "44": "广东省", "45": "广西壮族自治区", "46": "海南省",
    "50": "重庆市", "51": "四川省", "52": "贵州省", "53": "云南省", "54": "西藏自治区",
    "61": "陕西省", "62": "甘肃省", "63": "青海省", "64": "宁夏回族自治区", "65": "新疆维吾尔自治区",
}


def check_character(first17: str) -> str:
    """The GB 11643 check character for 17 digits."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("need exactly 17 digits")
    total = sum(int(c) * w for c, w in zip(first17, _WEIGHTS))
    return _CHECK_CHARS[total % 11]


def has_shape(number: str) -> bool:
    """17 ASCII digits and a digit or X."""
    return len(number) == 18 and number.isascii() and number[:17].isdigit() and (
        number[17].isdigit() or number[17] == "X")


@dataclass(frozen=True)
class Decoded:
    birth_date: dt.date
    sequence: str
    sex: Sex


def require_shape(number: str, noun: str) -> None:
    """Raise when `number` is not 18 characters of the GB 11643 shape; `noun` names the document."""
    if not number:
        raise InvalidIdNumber("ID_EMPTY", f"请输入{noun}")
    if len(number) != 18:
        raise InvalidIdNumber("ID_LENGTH", f"{noun}应为18位，现为{len(number)}位")
    if not has_shape(number):
        raise InvalidIdNumber("ID_CHARS", f"{noun}前17位应为数字，末位为数字或X")


def decode(number: str, noun: str, today: dt.date | None) -> Decoded:
    """Birth date, sex and check character of a number already of the right shape (see shape_issue)."""
    birth = birth_date(number[6:10], number[10:12], number[12:14], noun, today)
    if number[17] != check_character(number[:17]):
        raise InvalidIdNumber("ID_CHECK_CHAR", f"{noun}校验位错误，请核对证件")
    seq = number[14:17]
    return Decoded(birth, seq, Sex.MALE if int(seq[2]) % 2 == 1 else Sex.FEMALE)


def birth_date(year: str, month: str, day: str, noun: str, today: dt.date | None) -> dt.date:
    """The birth date written in a document number: a real day, not absurdly old, not after today."""
    try:
        birth = dt.date(int(year), int(month), int(day))
    except ValueError:
        raise InvalidIdNumber("ID_BIRTH_DATE", f"{noun}中的出生日期不存在") from None
    if birth.year < OLDEST_BIRTH_YEAR:
        raise InvalidIdNumber("ID_BIRTH_DATE", f"{noun}中的出生日期不合理")
    if today is not None and birth > today:
        raise InvalidIdNumber("ID_BIRTH_FUTURE", f"{noun}中的出生日期晚于今天")
    return birth
