"""Which identity document a number is, and what can be read from it. The rules and their sources are in
RULES.md beside this module ("Identity documents").

- Mainland resident ID (GB 11643-1999): 18 characters, the first two a mainland province code.
- HK/Macao/Taiwan residence permit (港澳台居民居住证申领发放办法, 2018): the GB 11643 structure with the
  address code 810000 (Hong Kong), 820000 (Macao) or 830000 (Taiwan).
- Foreign permanent-residence card, 2023 version (National Immigration Administration): 18 characters, "9",
  the accepting province's two-digit code, the nationality as ISO 3166-1 numeric, the birth date, a sequence
  (odd: man) and the MOD 11-2 check character.
- Foreign permanent-residence card, 2017 and 2004 versions: three letters (ISO 3166-1 alpha-3 nationality)
  and 12 digits. The inner layout of the digits and their check are not published: only the shape, the
  nationality and a birth date read as YYMMDD from positions 6–11 are checked (*unverified*, RULES.md).
- Passports and the two travel permits: the shape only.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from enum import Enum

from registry_app.domain import gb11643
from registry_app.domain.code_tables import Country, abolished_code, country_by_alpha3, country_by_numeric
from registry_app.domain.id_types import IdType, InvalidIdNumber, Sex
from registry_app.errors import Issue

PERMIT_REGIONS = {"810000": "香港", "820000": "澳门", "830000": "台湾"}
# The 2017 card stopped being issued in December 2023: a two-digit year up to 23 is read as 20YY.
_LAST_2017_CARD_YEAR = 23


class Document(str, Enum):
    RESIDENT_ID = "resident_id"
    HMT_RESIDENCE_PERMIT = "hmt_residence_permit"
    FOREIGN_PR_2023 = "foreign_pr_card_2023"
    FOREIGN_PR_2017 = "foreign_pr_card_2017"
    PASSPORT = "passport"
    HK_MACAO_PERMIT = "hk_macao_permit"
    TAIWAN_PERMIT = "taiwan_permit"

    @property
    def zh(self) -> str:
        return _DOCUMENT_ZH[self]

    @property
    def id_type(self) -> IdType:
        return _DOCUMENT_TYPE[self]


_DOCUMENT_ZH = {
    Document.RESIDENT_ID: "居民身份证", Document.HMT_RESIDENCE_PERMIT: "港澳台居民居住证",
    Document.FOREIGN_PR_2023: "外国人永久居留身份证（2023年版）",
    Document.FOREIGN_PR_2017: "外国人永久居留身份证（2017年版或2004年版）",
    Document.PASSPORT: "护照", Document.HK_MACAO_PERMIT: "港澳居民来往内地通行证",
    Document.TAIWAN_PERMIT: "台湾居民来往大陆通行证",
}
_DOCUMENT_TYPE = {
    Document.RESIDENT_ID: IdType.RESIDENT, Document.HMT_RESIDENCE_PERMIT: IdType.HMT_RESIDENCE_PERMIT,
    Document.FOREIGN_PR_2023: IdType.FOREIGN_PR, Document.FOREIGN_PR_2017: IdType.FOREIGN_PR,
    Document.PASSPORT: IdType.PASSPORT, Document.HK_MACAO_PERMIT: IdType.HK_MACAO_PERMIT,
    Document.TAIWAN_PERMIT: IdType.TAIWAN_PERMIT,
}
_NOUN = {  # how a message names the number
    Document.RESIDENT_ID: "身份证号码", Document.HMT_RESIDENCE_PERMIT: "居住证号码",
    Document.FOREIGN_PR_2023: "永久居留身份证号码", Document.FOREIGN_PR_2017: "永久居留身份证号码",
}
_SHAPES = {
    Document.PASSPORT: (re.compile(r"[A-Z0-9]{5,20}"), "护照号码应为5至20位字母或数字"),
    Document.HK_MACAO_PERMIT: (re.compile(r"[HM][0-9]{8}([0-9]{2})?"), "港澳通行证号码应为H或M加8位或10位数字"),
    Document.TAIWAN_PERMIT: (re.compile(r"[0-9]{8}|[0-9]{10}"), "台湾居民来往大陆通行证号码应为8位或10位数字"),
}
# the documents whose numbers a clerk may key into a resident-ID field by mistake
_NOT_RESIDENT = (Document.HMT_RESIDENCE_PERMIT, Document.FOREIGN_PR_2023, Document.FOREIGN_PR_2017)
_PR_2017 = re.compile(r"[A-Z]{3}[0-9]{12}")


@dataclass(frozen=True)
class DocumentReading:
    """What a valid number says. `checked` names what was verified; `layout_verified` is False where the
    positions read are not from a published standard (the 2017 card)."""

    document: Document
    number: str
    birth_date: dt.date | None = None
    sex: Sex | None = None
    region_code: str | None = None     # resident ID: the six-digit address code; permit: 810000/820000/830000
    province: str | None = None        # resident ID: the province of issue; 2023 card: the accepting province
    nationality: Country | None = None
    checked: tuple[str, ...] = ()
    layout_verified: bool = True
    warnings: list[Issue] = field(default_factory=list)

    @property
    def sequence(self) -> str | None:
        return self.number[14:17] if len(self.number) == 18 else None

    def to_dict(self) -> dict:
        return {
            "document": self.document.value, "document_zh": self.document.zh, "id_type": self.document.id_type.value,
            "id_number": self.number,
            "birth_date": self.birth_date.isoformat() if self.birth_date else None,
            "sex": self.sex.value if self.sex else None, "region_code": self.region_code,
            "province": self.province,
            "nationality": self.nationality.to_dict() if self.nationality else None,
            "checked": list(self.checked), "layout_verified": self.layout_verified,
            "warnings": [w.to_dict() for w in self.warnings],
        }


def normalise(raw: str | None) -> str:
    return (raw or "").strip().replace(" ", "").upper()


def recognise(number: str) -> Document | None:
    """The document an 18- or 15-character number is, by its shape alone (None: not one of those)."""
    if gb11643.has_shape(number):
        if number[0] == "9":
            return Document.FOREIGN_PR_2023
        if number[:6] in PERMIT_REGIONS:
            return Document.HMT_RESIDENCE_PERMIT
        return Document.RESIDENT_ID
    if _PR_2017.fullmatch(number):
        return Document.FOREIGN_PR_2017
    return None


def presented_type(id_type: IdType | str, number: str | None) -> IdType:
    """The document type a party really presents: a valid residence-permit or PR-card number keyed into a
    resident-ID field is that document (the clerk's choice alone would let such a case bypass the designated
    offices). A number that is no valid document of either kind stays a resident ID and is refused as one."""
    id_type = IdType(id_type)
    if id_type is IdType.RESIDENT:
        number = normalise(number)
        found = recognise(number)
        if found in _NOT_RESIDENT:
            try:
                return _read(found, number, None).document.id_type
            except InvalidIdNumber:
                pass
    return id_type


def read_document(raw: str | None, today: dt.date | None = None, as_type: IdType | str | None = None
                  ) -> DocumentReading:
    """Check a number and read it, or raise InvalidIdNumber. Without `as_type` the document is recognised
    from the number; with it the number must be that type of document."""
    number = normalise(raw)
    expected = IdType(as_type) if as_type is not None else None
    found = recognise(number)
    if expected is None:
        if not number:
            raise InvalidIdNumber("ID_EMPTY", "请输入证件号码")
        return _read(found or _travel_document(number), number, today)
    if expected is IdType.NONE:
        raise InvalidIdNumber("ID_TYPE_NONE", "证件类型为“无”，没有可核对的号码")
    if expected is IdType.RESIDENT:
        if found in _NOT_RESIDENT:
            try:
                _read(found, number, today)
            except InvalidIdNumber as exc:  # neither document: say what is wrong with both
                return _resident_id(number, today, f"（按{found.zh}核对：{exc.message}）")
            code = "ID_IS_RESIDENCE_PERMIT" if found is Document.HMT_RESIDENCE_PERMIT else "ID_IS_PR_CARD"
            raise InvalidIdNumber(code, f"该号码是{found.zh}号码，不是居民身份证号码，请将证件类型选为“{found.id_type.zh}”")
        return _resident_id(number, today)
    if expected is IdType.HMT_RESIDENCE_PERMIT:
        gb11643.require_shape(number, "居住证号码")
        if number[:6] not in PERMIT_REGIONS:
            raise InvalidIdNumber("ID_PERMIT_PREFIX", "港澳台居民居住证号码应以810000（香港）、820000（澳门）或830000（台湾）开头")
        return _permit(number, today)
    if expected is IdType.FOREIGN_PR:
        if found in (Document.FOREIGN_PR_2023, Document.FOREIGN_PR_2017):
            return _read(found, number, today)
        if len(number) == 18:
            raise InvalidIdNumber("ID_PR_PREFIX", "2023年版外国人永久居留身份证号码首位应为9")
        if not number:
            raise InvalidIdNumber("ID_EMPTY", "请输入证件号码")
        raise InvalidIdNumber("ID_SHAPE", "外国人永久居留身份证号码应为18位（2023年版）或3位字母加12位数字（2017年版）")
    doc = next(d for d in _SHAPES if d.id_type is expected)
    return _shaped(doc, number)


def _travel_document(number: str) -> Document:
    """An untyped number that is no 18/15-character card: the most specific travel-document shape it has."""
    for doc in (Document.HK_MACAO_PERMIT, Document.TAIWAN_PERMIT):
        if _SHAPES[doc][0].fullmatch(number):
            return doc
    return Document.PASSPORT


def _read(doc: Document, number: str, today: dt.date | None) -> DocumentReading:
    if doc is Document.RESIDENT_ID:
        return _resident_id(number, today)
    if doc is Document.HMT_RESIDENCE_PERMIT:
        return _permit(number, today)
    if doc is Document.FOREIGN_PR_2023:
        return _pr_2023(number, today)
    if doc is Document.FOREIGN_PR_2017:
        return _pr_2017(number, today)
    return _shaped(doc, number)


def _resident_id(number: str, today: dt.date | None, hint: str = "") -> DocumentReading:
    noun = _NOUN[Document.RESIDENT_ID]
    gb11643.require_shape(number, noun)
    province = gb11643.MAINLAND_PROVINCES.get(number[:2])
    if province is None:
        raise InvalidIdNumber("ID_PROVINCE", f"身份证号码前两位“{number[:2]}”不是省级行政区划代码（居民身份证号码以"
                                             f"11至65之间的省级代码开头），请核对证件{hint}")
    d = gb11643.decode(number, noun, today)
    reading = DocumentReading(Document.RESIDENT_ID, number, d.birth_date, d.sex, number[:6], province,
                              checked=("shape", "province", "birth_date", "check_character"))
    gone = abolished_code(number[:6])
    if gone is not None and gone.abolished < d.birth_date.year:
        reading.warnings.append(Issue(
            "ID_REGION_ABOLISHED",
            f"身份证号码的地址码{gone.code}（{gone.name}）已于{gone.abolished}年撤销（并入{gone.merged_into}），"
            f"早于持证人出生年份{d.birth_date.year}，请核对证件", None))
    return reading


def _permit(number: str, today: dt.date | None) -> DocumentReading:
    d = gb11643.decode(number, _NOUN[Document.HMT_RESIDENCE_PERMIT], today)
    return DocumentReading(Document.HMT_RESIDENCE_PERMIT, number, d.birth_date, d.sex, number[:6],
                           PERMIT_REGIONS[number[:6]], checked=("shape", "region", "birth_date", "check_character"))


def _pr_2023(number: str, today: dt.date | None) -> DocumentReading:
    noun = _NOUN[Document.FOREIGN_PR_2023]
    gb11643.require_shape(number, noun)
    province = gb11643.MAINLAND_PROVINCES.get(number[1:3])
    if province is None:
        raise InvalidIdNumber("ID_PR_PROVINCE", f"永久居留身份证号码第2至3位“{number[1:3]}”不是受理地的省级行政区划代码")
    country = _nationality(country_by_numeric(number[3:6]), number[3:6])
    d = gb11643.decode(number, noun, today)
    return DocumentReading(Document.FOREIGN_PR_2023, number, d.birth_date, d.sex, None, province, country,
                           checked=("shape", "province", "nationality", "birth_date", "check_character"))


def _pr_2017(number: str, today: dt.date | None) -> DocumentReading:
    country = _nationality(country_by_alpha3(number[:3]), number[:3])
    yy, mm, dd = number[5:7], number[7:9], number[9:11]
    century = "20" if int(yy) <= _LAST_2017_CARD_YEAR else "19"
    birth = gb11643.birth_date(century + yy, mm, dd, _NOUN[Document.FOREIGN_PR_2017], today)
    return DocumentReading(Document.FOREIGN_PR_2017, number, birth, None, None, None, country,
                           checked=("shape", "nationality", "birth_date"), layout_verified=False)


def _nationality(country: Country | None, code: str) -> Country:
    if country is None:
        raise InvalidIdNumber("ID_NATIONALITY", f"永久居留身份证号码中的国籍代码“{code}”不是ISO 3166-1国家代码")
    if not country.foreign:
        raise InvalidIdNumber("ID_NATIONALITY", f"永久居留身份证号码中的国籍代码“{code}”为{country.name_zh}，"
                                                "不是外国国籍")
    return country


def _shaped(doc: Document, number: str) -> DocumentReading:
    pattern, message = _SHAPES[doc]
    if not number:
        raise InvalidIdNumber("ID_EMPTY", "请输入证件号码")
    if not number.isascii() or not pattern.fullmatch(number):
        raise InvalidIdNumber("ID_SHAPE", message)
    return DocumentReading(doc, number, checked=("shape",))
