"""The registering office: its administrative division code (GB/T 2260 shape)."""
from __future__ import annotations

import re

from registry_app.errors import Issue

_CODE = re.compile(r"^[1-9]\d{5}$")
# First two digits: the province-level divisions that GB/T 2260 assigns.
_PROVINCES = {
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65",
}


def validate_office_code(code: str) -> Issue | None:
    """A county-level code: six digits, a real province prefix, not a province or city total."""
    code = (code or "").strip()
    if not _CODE.match(code):
        return Issue("OFFICE_CODE_SHAPE", "行政区划代码应为6位数字", "office_code")
    if code[:2] not in _PROVINCES:
        return Issue("OFFICE_CODE_PROVINCE", f"行政区划代码前两位“{code[:2]}”不是省级代码", "office_code")
    if code[2:] == "0000":
        return Issue("OFFICE_CODE_LEVEL", "应为县级行政区划代码，不能是省级代码", "office_code")
    if code[4:] == "00":
        return Issue("OFFICE_CODE_LEVEL", "应为县级行政区划代码，不能是地市级代码", "office_code")
    return None
