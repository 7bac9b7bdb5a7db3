"""A person as keyed in at the counter, validated field by field."""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

from registry_app.domain.documents import presented_type, read_document
from registry_app.domain.field_rules import (age_issue, normalise_id, read_text, structure_issues, text_issues,
                                             type_issue)
from registry_app.domain.ids import IdType, InvalidIdNumber, Sex, parse_resident_id, validate_document
from registry_app.errors import Issue

PRIOR_STATUSES = {"unmarried": "未婚", "divorced": "离婚", "widowed": "丧偶"}


@dataclass
class PersonInput:
    name: str
    sex: str
    birth_date: dt.date | None
    id_type: str = IdType.RESIDENT.value
    id_number: str = ""
    nationality: str = "中国"
    ethnicity: str = ""
    occupation: str = ""
    education: str = ""
    residence: str = ""
    phone: str = ""
    prior_status: str = "unmarried"
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_dict(cls, d: dict, prefix: str) -> tuple["PersonInput | None", list[Issue]]:
        """Build from JSON; every missing or malformed field is an Issue, never an exception. A value of
        the wrong type (a name given as a list, an object, `true` or a number) is refused, never turned
        into text."""
        if not isinstance(d, dict):
            return None, [Issue("PARTY_MISSING", "缺少当事人信息", prefix)]
        issues: list[Issue] = []
        birth = None
        raw_birth = d.get("birth_date")
        if raw_birth not in (None, ""):
            if not isinstance(raw_birth, str):
                issues.append(type_issue(f"{prefix}.birth_date", "YYYY-MM-DD格式的日期文字"))
            else:
                try:
                    birth = dt.date.fromisoformat(raw_birth.strip())
                except ValueError:
                    issues.append(Issue("BIRTH_DATE_INVALID", "出生日期格式应为YYYY-MM-DD", f"{prefix}.birth_date"))

        def s(key: str, default: str = "", clean=str.strip) -> str:
            return read_text(d, key, f"{prefix}.{key}", issues, default, clean)

        extra = {k: v for k, v in d.items() if k not in _FIELDS}
        issues += structure_issues(extra, prefix)
        id_type = s("id_type", IdType.RESIDENT.value)
        if id_type not in _ID_TYPES:
            issues.append(Issue("ID_TYPE_INVALID", "证件类型无效", f"{prefix}.id_type"))
        person = cls(
            name=s("name"), sex=s("sex").upper(), birth_date=birth, id_type=id_type,
            id_number=s("id_number", clean=normalise_id), nationality=s("nationality", "中国") or "中国", ethnicity=s("ethnicity"),
            occupation=s("occupation"), education=s("education"), residence=s("residence"), phone=s("phone"),
            prior_status=s("prior_status", "unmarried") or "unmarried", extra=extra,
        )
        return person, issues

    def to_dict(self) -> dict:
        d = asdict(self)
        d["birth_date"] = self.birth_date.isoformat() if self.birth_date else None
        return d


_FIELDS = {"name", "sex", "birth_date", "id_type", "id_number", "nationality", "ethnicity", "occupation",
           "education", "residence", "phone", "prior_status"}
_TEXT_FIELDS = ("name", "sex", "id_type", "id_number", "nationality", "ethnicity", "occupation", "education",
                "residence", "phone", "prior_status")
_ID_TYPES = {t.value for t in IdType}


def person_issues(p: PersonInput, prefix: str, today: dt.date, require_id: bool = True) -> list[Issue]:
    """Field checks: name, sex, document; birth date and sex must agree with the resident ID."""
    out: list[Issue] = []
    # Length and characters first (field_rules); a field that breaks them is not examined further.
    broken = set()
    for key in _TEXT_FIELDS:
        value = getattr(p, key)
        found = text_issues(value, f"{prefix}.{key}", key) if isinstance(value, str) \
            else [type_issue(f"{prefix}.{key}", "文字")]
        if found:
            out += found
            broken.add(key)
    name = p.name
    if "name" not in broken:
        if not name:
            out.append(Issue("NAME_REQUIRED", "请输入姓名", f"{prefix}.name"))
        elif any(c.isdigit() for c in name):
            out.append(Issue("NAME_INVALID", "姓名不能含数字", f"{prefix}.name"))
    if "sex" not in broken and p.sex not in ("M", "F"):
        out.append(Issue("SEX_INVALID", "性别应为男(M)或女(F)", f"{prefix}.sex"))
    if not broken & {"id_type", "id_number"}:
        out += _document_issues(p, prefix, today, require_id)
    if p.birth_date is None and broken & {"id_type", "id_number"}:
        pass  # a resident ID that could not be read may still hold the birth date
    elif p.birth_date is None and not any(i.field == f"{prefix}.birth_date" for i in out):
        out.append(Issue("BIRTH_DATE_REQUIRED", "请输入出生日期", f"{prefix}.birth_date"))
    elif p.birth_date and p.birth_date > today:
        out.append(Issue("BIRTH_DATE_FUTURE", "出生日期晚于今天", f"{prefix}.birth_date"))
    elif too_old := age_issue(p.birth_date, today, f"{prefix}.birth_date"):
        out.append(too_old)
    if "prior_status" not in broken and p.prior_status not in PRIOR_STATUSES:
        out.append(Issue("PRIOR_STATUS_INVALID", "婚姻状况应为未婚、离婚或丧偶", f"{prefix}.prior_status"))
    return out


def _document_issues(p: PersonInput, prefix: str, today: dt.date, require_id: bool) -> list[Issue]:
    """The identity document is valid; a number that carries a birth date and sex (resident ID, residence
    permit, 2023 PR card) agrees with the typed ones (and fills in a birth date left empty). A residence permit
    or PR card keyed in as a resident ID becomes that document type: the case proceeds as what it is."""
    out: list[Issue] = []
    try:
        id_type = presented_type(p.id_type, p.id_number)
    except ValueError:
        return [Issue("ID_TYPE_INVALID", "证件类型无效", f"{prefix}.id_type")]
    p.id_type = id_type.value
    if id_type is IdType.NONE and require_id:
        out.append(Issue("ID_REQUIRED", "办理登记须出示有效身份证件", f"{prefix}.id_number"))
    bad = validate_document(id_type, p.id_number, today)
    if bad:
        out.append(Issue(bad.code, bad.message, f"{prefix}.id_number"))
    elif id_type is not IdType.NONE and (doc := read_document(p.id_number, today, id_type)).layout_verified \
            and doc.birth_date is not None:
        noun = "身份证号码" if id_type is IdType.RESIDENT else "证件号码"
        if p.birth_date is None:
            p.birth_date = doc.birth_date
        elif p.birth_date != doc.birth_date:
            out.append(Issue("BIRTH_DATE_MISMATCH",
                             f"出生日期与{noun}不符（证件为{doc.birth_date:%Y年%m月%d日}）", f"{prefix}.birth_date"))
        if doc.sex is not None and p.sex in ("M", "F") and p.sex != doc.sex.value:
            out.append(Issue("SEX_MISMATCH", f"性别与{noun}不符（证件为{doc.sex.zh}）", f"{prefix}.sex"))
    return out


def sex_from_id(id_number: str) -> Sex | None:
    try:
        return parse_resident_id(id_number).sex
    except InvalidIdNumber:
        return None
