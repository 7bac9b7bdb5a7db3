"""What a typed value may be: one table of field rules for every case field, whoever hands it in
(the counter's forms, a case file, an archive CSV row, a correction).

Lengths follow the boxes of the paper forms the office fills in (申请结婚登记声明书, 结婚登记审查处理表,
离婚登记申请书, 收养登记申请书) and the documents the values are copied from:

- name 64: a resident ID card holds at most 15 Chinese characters and a transliterated minority name
  with its middle dots rarely passes 25, but a foreign party's name is written as in the passport,
  whose visual zone is not truncated like the 39-character machine-readable line. 64 keeps every real
  name and refuses a pasted paragraph. Whether the name fits the certificate is checked when printing.
- id_number 32: the longest document number in use is 18 characters (resident ID, foreign permanent
  residence card); 32 leaves room for a spaced-out passport number before it is normalised.
- phone 20: E.164 allows 15 digits; with "+", an area-code separator and an extension, 20.
- residence / address 100: the form's address box takes two lines of about 50 characters; a full
  address from province to door number is rarely over 60.
- nationality 40: the longest official Chinese country name (大不列颠及北爱尔兰联合王国) is 13 characters;
  40 also fits the English form. ethnicity 20, education 20, occupation 30: one short box each.
- remarks / explanations 500: the review form's remarks box is a paragraph; the archive import and
  corrections already used 500.
- certificate and blank numbers 32, archive numbers, court case numbers, office and court names 64.
- the signed text of a divorce agreement 10,000: the whole agreement is kept with the application
  (a few pages); the arrangements themselves are structured items.
Any other text in a case (an unlisted key) may be up to 500 characters.

Characters: every field refuses Unicode categories Cc (control) except a line break or tab in the
free-text fields, Cf (format: the bidirectional overrides U+202A–U+202E and isolates U+2066–U+2069,
the zero-width U+200B–U+200D, U+FEFF, soft hyphens), Cs (lone surrogates, which no database can
store) and the line/paragraph separators U+2028/U+2029. Names, ID numbers and every other one-box
field refuse line breaks and tabs too: a box on a form holds one line, and a hidden character in a
name makes two people look the same on paper and different in the database (or the reverse).
Private-use characters stay allowed: some offices key rare name characters (生僻字) that way.

Structure: a case is at most MAX_DEPTH levels deep, each list or object holds at most MAX_ITEMS
entries, whole numbers fit a 64-bit database integer, and real numbers are finite. Ages above
MAX_AGE years are refused as a typing error.
"""
from __future__ import annotations

import datetime as dt
import math
import unicodedata
from dataclasses import dataclass
from typing import Any, Callable

from registry_app.domain.ids import age_on
from registry_app.errors import Issue

MAX_AGE = 150
MAX_DEPTH = 8
MAX_ITEMS = 100
MAX_KEY_LENGTH = 64
MAX_ISSUES = 20  # one refusal names this many problems at most: a hostile file cannot flood the reply
MAX_RECORD_ID = 2 ** 63 - 1  # SQLite's and PostgreSQL's largest integer key
MIN_INT = -(2 ** 63)


@dataclass(frozen=True)
class FieldRule:
    max_length: int
    multiline: bool = False  # free text: a line break or a tab may stay
    label: str = ""          # the field as the clerk knows it, for the message
    ascii: bool = False      # half-width letters and digits only (see ID_NUMBER)


def _one_line(n: int, label: str) -> FieldRule:
    return FieldRule(n, False, label)


def _free_text(n: int, label: str) -> FieldRule:
    return FieldRule(n, True, label)


NAME = _one_line(64, "姓名")
# Python counts full-width and other scripts' digits as digits: "３２０１０２…" would pass the resident ID
# check and be stored as a second identity beside "320102…", escaping the spouse check. Input is
# normalised (normalise_id) and anything still not ASCII is refused.
ID_NUMBER = FieldRule(32, False, "证件号码", ascii=True)

RULES: dict[str, FieldRule] = {
    # persons (marriage, divorce, adoption, reissue agents, archive rows)
    "name": NAME, "names": NAME, "adopter_names": NAME, "adoptee_name": NAME,
    "placing_party_names": NAME, "assessors": NAME, "witness": _one_line(64, "监誓登记员"),
    "id_number": ID_NUMBER, "id_type": _one_line(32, "证件类型"), "sex": _one_line(8, "性别"),
    "birth_date": _one_line(16, "出生日期"),
    "nationality": _one_line(40, "国籍"), "ethnicity": _one_line(20, "民族"),
    "occupation": _one_line(30, "职业"), "education": _one_line(20, "文化程度"),
    "residence": _one_line(100, "常住户口所在地"), "address": _one_line(100, "住址"),
    "phone": _one_line(20, "联系电话"), "prior_status": _one_line(16, "婚姻状况"),
    "marital_status": _one_line(16, "婚姻状况"),
    # numbers and references
    "certificate_no": _one_line(32, "证书字号"), "blank_serial": _one_line(32, "空白证书印制号"),
    "blank_serials": _one_line(32, "空白证书印制号"), "archive_no": _one_line(64, "档案号"),
    "archive_number": _one_line(64, "档案号"), "office_name": _one_line(64, "登记机关"),
    "notarial_certificate_no": _one_line(64, "公证书编号"), "case_number": _one_line(64, "案号"),
    "court": _one_line(64, "人民法院"), "body": _one_line(64, "评估机构"), "areas": _one_line(50, "评估内容"),
    "registration_date": _one_line(16, "登记日期"), "record_type": _one_line(16, "登记类型"),
    "photo": _one_line(260, "照片文件路径"),  # a path, as long as Windows allows one
    # free text
    "remarks": _free_text(500, "备注"), "remark": _free_text(500, "备注"),
    "explanation": _free_text(500, "说明"), "reason": _free_text(500, "原因"), "note": _free_text(500, "说明"),
    "evidence": _free_text(500, "依据"), "purpose": _free_text(200, "用途"),
    "support_schedule": _free_text(500, "抚养费支付方式"), "item": _free_text(200, "项目"),
    "signed_text": _free_text(10_000, "离婚协议书文本"),
    # ceremonies and counselling
    "place": _one_line(100, "地点"), "officiant": _one_line(64, "主持人"),
    "referral": _free_text(200, "转介机构"),
}
DEFAULT_RULE = _free_text(500, "")

# Archive CSV columns map onto the same rules (party1_name -> name, ...).
for _prefix in ("party1_", "party2_"):
    for _key in ("name", "sex", "birth_date", "id_number"):
        RULES[_prefix + _key] = RULES[_key]

_LINE_BREAKS = frozenset("\n\r\t")


def rule_for(key: str | None) -> FieldRule:
    return RULES.get(key or "", DEFAULT_RULE)


def forbidden_character(text: str, multiline: bool = False) -> str | None:
    """The first character a field may not hold, or None."""
    for ch in text:
        if ch in _LINE_BREAKS:
            if multiline:
                continue
            return ch
        if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp"):
            return ch
    return None


def _describe(ch: str) -> str:
    names = {"\n": "换行", "\r": "回车", "\t": "制表符"}
    return names.get(ch) or f"U+{ord(ch):04X}"


def _label(path: str, rule: FieldRule) -> str:
    return rule.label or path.rsplit(".", 1)[-1]


def text_issues(value: str, path: str, key: str | None = None) -> list[Issue]:
    """Length and characters of one text value; `key` picks the rule (default: the path's last part)."""
    rule = rule_for(key if key is not None else _leaf(path))
    out = []
    if len(value) > rule.max_length:
        out.append(Issue("FIELD_TOO_LONG", f"{_label(path, rule)}超过{rule.max_length}个字符", path))
    bad = forbidden_character(value, rule.multiline)
    if bad is not None:
        out.append(Issue("FIELD_CHARACTER_INVALID",
                         f"{_label(path, rule)}含有不可见或控制字符（{_describe(bad)}），请删除后重新输入", path))
    elif rule.ascii and not normalise_id(value).isascii():  # full-width digits are normalised later
        out.append(Issue("FIELD_CHARACTER_INVALID", f"{_label(path, rule)}只能含半角字母和数字", path))
    return out


def normalise_id(raw: str) -> str:
    """An ID number as typed on a Chinese keyboard: full-width letters and digits become half-width
    (NFKC), spaces go, letters are upper case."""
    return unicodedata.normalize("NFKC", raw).replace(" ", "").strip().upper()


def type_issue(path: str, expected: str) -> Issue:
    return Issue("FIELD_TYPE_INVALID", f"{path.rsplit('.', 1)[-1]} 应为{expected}", path)


def read_text(d: dict, key: str, path: str, issues: list[Issue], default: str = "",
              clean: Callable[[str], str] = str.strip) -> str:
    """A text field of an untrusted object: absent or null gives `default`; any other non-text value
    (a list, an object, true, a number) is a FIELD_TYPE_INVALID issue, never turned into text.
    `clean` (strip by default) runs before the checks."""
    value = d.get(key)
    if value is None:
        return default
    if not isinstance(value, str):
        issues.append(type_issue(path, "文字（用引号括起）"))
        return default
    value = clean(value)
    found = text_issues(value, path, key)
    issues.extend(found)
    return default if found else value


def record_id_issue(value: Any, path: str) -> Issue | None:
    """A record number given by the clerk: a whole number a database key can hold."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_RECORD_ID:
        return Issue("RECORD_ID_INVALID", "记录号应为正整数", path)
    return None


def valid_record_id(value: Any) -> bool:
    return record_id_issue(value, "") is None


def age_issue(birth: dt.date | None, on: dt.date, path: str) -> Issue | None:
    """A birth date more than MAX_AGE years back is a typing error (1825 for 1985, ...)."""
    if birth is None or birth > on:
        return None
    if age_on(birth, on) > MAX_AGE:
        return Issue("AGE_OVER_LIMIT", f"按出生日期已超过{MAX_AGE}周岁，请核对出生日期", path)
    return None


def _leaf(path: str) -> str:
    leaf = path.rsplit(".", 1)[-1]
    return leaf.split("[", 1)[0]


def structure_issues(data: Any, path: str = "") -> list[Issue]:
    """Every text anywhere in a case checked by its key's rule, and the shape bounded: depth, entries
    per list or object, key length, integers a database can store, finite real numbers.
    Walks iteratively, so a deeply nested value cannot exhaust the stack."""
    out: list[Issue] = []
    stack: list[tuple[Any, str, str | None, int]] = [(data, path, None, 0)]
    while stack and len(out) < MAX_ISSUES:
        value, where, key, depth = stack.pop()
        if isinstance(value, str):
            out.extend(text_issues(value, where or "input", key))
        elif isinstance(value, bool) or value is None:
            continue
        elif isinstance(value, int):
            if not MIN_INT <= value <= MAX_RECORD_ID:
                out.append(Issue("FIELD_NUMBER_INVALID", f"{where or 'input'} 数值超出范围", where or None))
        elif isinstance(value, float):
            if not math.isfinite(value):
                out.append(Issue("FIELD_NUMBER_INVALID", f"{where or 'input'} 应为有限的数值", where or None))
        elif isinstance(value, (dict, list, tuple)):
            if depth >= MAX_DEPTH:
                out.append(Issue("CASE_TOO_DEEP", f"数据嵌套超过{MAX_DEPTH}层", where or None))
                continue
            if len(value) > MAX_ITEMS:
                out.append(Issue("CASE_TOO_LARGE", f"{where or '数据'} 超过{MAX_ITEMS}项", where or None))
                continue
            if isinstance(value, dict):
                for k, v in value.items():
                    if not isinstance(k, str):
                        out.append(Issue("FIELD_TYPE_INVALID", "键应为文字", where or None))
                        continue
                    child = f"{where}.{k}" if where else k
                    if len(k) > MAX_KEY_LENGTH or forbidden_character(k) is not None:
                        out.append(Issue("FIELD_NAME_INVALID", "数据项名称过长或含有控制字符", where or None))
                        continue
                    stack.append((v, child, k, depth + 1))
            else:
                for i, v in enumerate(value):
                    stack.append((v, f"{where}[{i}]", key, depth + 1))
        elif isinstance(value, (dt.date, bytes)):
            continue  # already typed by the caller (a date picked in a form, photo bytes)
        else:
            out.append(type_issue(where or "input", "文字、数字、列表或对象"))
    # the walk pops from the end; give the issues back in the order of the input
    return sorted(out[:MAX_ISSUES], key=lambda i: i.field or "")


__all__ = ["FieldRule", "RULES", "MAX_AGE", "MAX_DEPTH", "MAX_ITEMS", "age_issue", "forbidden_character", "normalise_id",
           "read_text", "record_id_issue", "rule_for", "structure_issues", "text_issues", "type_issue",
           "valid_record_id"]
