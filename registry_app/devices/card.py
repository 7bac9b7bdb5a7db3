"""The card's fields and the 256-byte text block every reader returns (SDT_ReadBaseMsg, termb, the serial
protocol's 30 01 answer): UTF-16LE, fixed-width, padded with spaces.

Resident card layout, in bytes: name 30, sex 2, ethnicity 4, birth 16, address 70, ID number 36,
issuing authority 30, valid from 16, valid to 16, reserved 36 (= 256). The character at byte 248 tells
the other cards apart: "J" 港澳台居民居住证 (same layout), "I" 外国人永久居留身份证 (its own layout,
_FOREIGN below). Sex is the GB/T 2261.1 code, ethnicity the GB/T 3304 code; "valid to" may read 长期.
The photo (1024 bytes of WLT) is vendor-encrypted: kept as bytes, decoded only by photo.decode_wlt."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from registry_app.devices.errors import CardError
from registry_app.domain.id_types import IdType, Sex

TEXT_BYTES = 256
PHOTO_BYTES = 1024

_RESIDENT = (("name", 30), ("sex", 2), ("ethnicity", 4), ("birth", 16), ("address", 70), ("id_number", 36),
             ("authority", 30), ("valid_from", 16), ("valid_to", 16), ("reserved", 36))
# 2017 foreign permanent-residence card as the SDKs document it; not yet checked against a real card.
_FOREIGN = (("english_name", 120), ("sex", 2), ("id_number", 30), ("nationality", 6), ("name", 30),
            ("valid_from", 16), ("valid_to", 16), ("birth", 16), ("version", 4), ("authority", 8),
            ("card_type", 2), ("reserved", 6))
_TYPE_OFFSET = 248

# GB/T 3304-1991 民族代码
ETHNICITIES = dict(enumerate((
    "汉族", "蒙古族", "回族", "藏族", "维吾尔族", "苗族", "彝族", "壮族", "布依族", "朝鲜族", "满族", "侗族", "瑶族",
    "白族", "土家族", "哈尼族", "哈萨克族", "傣族", "黎族", "傈僳族", "佤族", "畲族", "高山族", "拉祜族", "水族",
    "东乡族", "纳西族", "景颇族", "柯尔克孜族", "土族", "达斡尔族", "仫佬族", "羌族", "布朗族", "撒拉族", "毛南族",
    "仡佬族", "锡伯族", "阿昌族", "普米族", "塔吉克族", "怒族", "乌孜别克族", "俄罗斯族", "鄂温克族", "德昂族",
    "保安族", "裕固族", "京族", "塔塔尔族", "独龙族", "鄂伦春族", "赫哲族", "门巴族", "珞巴族", "基诺族"), start=1))
ETHNICITIES.update({97: "其他", 98: "外国血统中国籍人士"})
_SEX = {"1": Sex.MALE, "2": Sex.FEMALE}
LONG_TERM = "长期"


@dataclass(frozen=True)
class CardData:
    name: str
    sex: Sex
    birth_date: dt.date
    id_number: str
    document: IdType
    ethnicity: str = ""            # resident and HMT cards
    address: str = ""
    authority: str = ""
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None   # None: 长期 (long-term)
    english_name: str = ""         # foreign card
    nationality: str = ""          # foreign card: ISO 3166 alpha-3 as printed
    photo_wlt: bytes = field(default=b"", repr=False)

    def expired(self, today: dt.date) -> bool:
        return self.valid_to is not None and self.valid_to < today

    def to_dict(self) -> dict:
        """JSON for scripts: dates YYYY-MM-DD, sex M/F, ethnicity by name; the photo only by size."""
        return {"name": self.name, "sex": self.sex.value, "ethnicity": self.ethnicity,
                "birth_date": self.birth_date.isoformat(), "address": self.address, "id_number": self.id_number,
                "document": self.document.value, "authority": self.authority,
                "valid_from": self.valid_from.isoformat() if self.valid_from else None,
                "valid_to": self.valid_to.isoformat() if self.valid_to else LONG_TERM,
                "english_name": self.english_name, "nationality": self.nationality,
                "photo_bytes": len(self.photo_wlt)}


def _fields(block: bytes, layout) -> dict[str, str]:
    out, pos = {}, 0
    for name, width in layout:
        try:
            text = block[pos:pos + width].decode("utf-16-le")
        except UnicodeDecodeError:
            raise CardError("CARD_TEXT_INVALID", f"身份证信息无法识读（{_ZH.get(name, name)}）", name) from None
        out[name] = text.replace("\x00", " ").strip()
        pos += width
    return out


_ZH = {"name": "姓名", "sex": "性别", "ethnicity": "民族", "birth": "出生日期", "address": "住址",
       "id_number": "证件号码", "authority": "签发机关", "valid_from": "有效期起", "valid_to": "有效期止",
       "english_name": "英文姓名", "nationality": "国籍"}


def _date(text: str, key: str, long_term_ok: bool = False) -> dt.date | None:
    if long_term_ok and text == LONG_TERM:
        return None
    if len(text) == 8 and text.isascii() and text.isdigit():
        try:
            return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
        except ValueError:
            pass
    raise CardError("CARD_FIELD_INVALID", f"身份证上的{_ZH[key]}不是有效日期", key)


def parse_text_block(block: bytes, photo: bytes = b"") -> CardData:
    """The 256-byte block → CardData, or CardError (CARD_BLOCK_LENGTH, CARD_TEXT_INVALID,
    CARD_FIELD_INVALID). Never guesses: an unknown sex or ethnicity code is refused."""
    if len(block) != TEXT_BYTES:
        raise CardError("CARD_BLOCK_LENGTH", f"身份证信息应为{TEXT_BYTES}字节，读到{len(block)}字节", "card")
    kind = block[_TYPE_OFFSET:_TYPE_OFFSET + 2]
    foreign = kind == "I".encode("utf-16-le")
    f = _fields(block, _FOREIGN if foreign else _RESIDENT)
    sex = _SEX.get(f["sex"])
    if sex is None:
        raise CardError("CARD_FIELD_INVALID", "身份证上的性别代码无效", "sex")
    if not f["name"] and not f.get("english_name"):
        raise CardError("CARD_FIELD_INVALID", "身份证上没有姓名", "name")
    if not f["id_number"] or not f["id_number"].isascii() or not f["id_number"].isalnum():
        raise CardError("CARD_FIELD_INVALID", "身份证上的证件号码无效", "id_number")
    common = {"name": f["name"] or f.get("english_name", ""), "sex": sex, "birth_date": _date(f["birth"], "birth"),
                  "id_number": f["id_number"].upper(), "authority": f["authority"],
                  "valid_from": _date(f["valid_from"], "valid_from"),
                  "valid_to": _date(f["valid_to"], "valid_to", long_term_ok=True), "photo_wlt": bytes(photo)}
    if foreign:
        return CardData(document=IdType.FOREIGN_PR, english_name=f["english_name"],
                        nationality=f["nationality"], **common)
    code = f["ethnicity"]
    ethnicity = ETHNICITIES.get(int(code)) if code.isascii() and code.isdigit() else None
    hmt = kind == "J".encode("utf-16-le")
    if ethnicity is None and not hmt:   # HMT residence permits leave it blank
        raise CardError("CARD_FIELD_INVALID", "身份证上的民族代码无效", "ethnicity")
    return CardData(document=IdType.HMT_RESIDENCE_PERMIT if hmt else IdType.RESIDENT,
                    ethnicity=ethnicity or "", address=f["address"], **common)


def build_text_block(values: dict[str, str], kind: str = "") -> bytes:
    """The block a reader would return for these raw field texts (codes, YYYYMMDD): what the simulated
    reader and the tests use, so they speak the same bytes as a card."""
    layout = _FOREIGN if kind == "I" else _RESIDENT
    out = bytearray()
    for name, width in layout:
        text = values.get(name, "")
        raw = text.encode("utf-16-le")[:width]
        out += raw + " ".encode("utf-16-le") * ((width - len(raw)) // 2)
    if kind:
        out[_TYPE_OFFSET:_TYPE_OFFSET + 2] = "J".encode("utf-16-le")
    return bytes(out)
