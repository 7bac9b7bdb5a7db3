"""The vocabulary of identity documents: sex, the document types a clerk chooses, the coded refusal.

Kept apart from the checks (ids.py, documents.py, gb11643.py) so each of those can import it without
importing the others; callers keep importing these names from ids.py."""
from __future__ import annotations

from enum import Enum

from registry_app.errors import Issue


class Sex(str, Enum):
    MALE = "M"
    FEMALE = "F"

    @property
    def zh(self) -> str:
        return "男" if self is Sex.MALE else "女"


class IdType(str, Enum):
    """Identity documents a party may present (what the clerk chooses, and what the record stores)."""

    RESIDENT = "resident_id"                        # 居民身份证
    PASSPORT = "passport"                           # 护照
    HK_MACAO_PERMIT = "hk_macao_permit"             # 港澳居民来往内地通行证
    TAIWAN_PERMIT = "taiwan_permit"                 # 台湾居民来往大陆通行证
    HMT_RESIDENCE_PERMIT = "hmt_residence_permit"   # 港澳台居民居住证
    FOREIGN_PR = "foreign_pr_card"                  # 外国人永久居留身份证（2023年版及以前各版）
    NONE = "none"                                   # 历史档案无证件号

    @property
    def zh(self) -> str:
        return _ID_TYPE_ZH[self]

    @property
    def is_foreign_or_hmt(self) -> bool:
        """Cases with such a party go to province-designated offices."""
        return self in (IdType.PASSPORT, IdType.HK_MACAO_PERMIT, IdType.TAIWAN_PERMIT,
                        IdType.HMT_RESIDENCE_PERMIT, IdType.FOREIGN_PR)


_ID_TYPE_ZH = {
    IdType.RESIDENT: "居民身份证",
    IdType.PASSPORT: "护照",
    IdType.HK_MACAO_PERMIT: "港澳居民来往内地通行证",
    IdType.TAIWAN_PERMIT: "台湾居民来往大陆通行证",
    IdType.HMT_RESIDENCE_PERMIT: "港澳台居民居住证",
    IdType.FOREIGN_PR: "外国人永久居留身份证",
    IdType.NONE: "无",
}


class InvalidIdNumber(ValueError):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message

    def issue(self, field: str | None = None) -> Issue:
        return Issue(self.code, self.message, field)
