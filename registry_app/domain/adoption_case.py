"""An adoption case as the counter records it (CC 1093–1105), and a dissolution (CC 1114–1116).

Plain frozen dataclasses with `from_dict`/`to_dict`, so a service, the CLI and a case file all
build the same thing. `from_dict` never lets a KeyError or TypeError escape: every problem in
the input becomes an Issue (with the dotted field path, e.g. `adopters[0].birth_date`) and all of
them are raised together as one `Refused`.

The constructors check what makes a case *malformed* (a resident ID that disagrees with the typed
birth date, three adopters, a birth after the registration date). Whether a well-formed case may
be registered is the rule engine's business (`adoption_rules`), not the model's.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Callable, TypeVar

from registry_app.domain.documents import presented_type, read_document
from registry_app.domain.field_rules import age_issue, normalise_id, structure_issues, text_issues
from registry_app.domain.ids import IdType, Sex, validate_document
from registry_app.errors import Issue, Refused


class MaritalStatus(str, Enum):
    MARRIED = "married"      # 有配偶
    UNMARRIED = "unmarried"  # 未婚
    DIVORCED = "divorced"    # 离婚
    WIDOWED = "widowed"      # 丧偶


class Situation(str, Enum):
    """Why the child may be adopted (CC 1093), as far as the office knows."""

    ORPHAN = "orphan"                                         # 1093(1) 丧失父母的孤儿
    PARENTS_UNKNOWN = "parents_unknown"                       # 1093(2) 查找不到生父母
    PARENTS_SPECIAL_DIFFICULTY = "parents_special_difficulty"  # 1093(3) 生父母有特殊困难无力抚养
    # CC 1095: both parents lack full civil capacity and may seriously harm the child; the
    # guardian may place the child. The parents cannot raise the child, so it counts under 1093(3).
    PARENTS_INCAPABLE_HARMFUL = "parents_incapable_harmful"
    # None of the above: the parents can raise the child. Only a collateral relative (1099) or a
    # step-parent (1103) may adopt such a child, as both lift 1093(3).
    PARENTS_ABLE = "parents_able"


class PlacingKind(str, Enum):
    GUARDIAN = "guardian"                        # 1094(1) 孤儿的监护人; 1095
    WELFARE_INSTITUTION = "welfare_institution"  # 1094(2) 儿童福利机构
    BIRTH_PARENTS = "birth_parents"              # 1094(3) 生父母


class Relationship(str, Enum):
    NONE = "none"
    # CC 1099: child of a collateral blood relative of the same generation within three generations
    COLLATERAL_SAME_GENERATION = "collateral_relative_same_generation"
    STEP_PARENT = "step_parent"  # CC 1103


class Conclusion(str, Enum):
    SUITABLE = "suitable"      # 适宜收养
    UNSUITABLE = "unsuitable"  # 不宜收养


@dataclass(frozen=True)
class Adopter:
    name: str
    sex: Sex
    birth_date: dt.date
    id_type: IdType
    id_number: str
    marital_status: MaritalStatus
    # Own children, birth and adopted together (CC 1098(1) counts both).
    children_count: int
    # How many of `children_count` are adopted: CC 1100 limits how many children a person
    # *adopts*, and whether the limit is two or one depends on having birth children.
    adopted_children_count: int = 0
    spouse_joins: bool = False  # when married: the spouse is the second adopter (CC 1101)
    overseas_chinese: bool = False  # 华侨 (CC 1099 second paragraph)
    # Recorded from the adopter's signed declarations (CC 1098(2)–(4)).
    able_to_raise: bool = False
    no_unfit_disease: bool = False
    no_harmful_criminal_record: bool = False

    def __post_init__(self) -> None:
        # a residence permit or PR card keyed in as a resident ID is that document (designated-office rule)
        object.__setattr__(self, "id_type", presented_type(self.id_type, self.id_number))
        issues = _person_issues(self.name, self.sex, self.birth_date, self.id_type, self.id_number)
        if self.id_type is IdType.NONE:
            issues.append(Issue("ADOPTER_ID_MISSING", "收养人须出示身份证件", "id_type"))
        if self.children_count < 0:
            issues.append(Issue("CHILDREN_COUNT_NEGATIVE", "子女人数不能为负数", "children_count"))
        if not 0 <= self.adopted_children_count <= max(self.children_count, 0):
            issues.append(Issue("ADOPTED_COUNT_INVALID", "已收养子女人数应在0与子女总数之间",
                                "adopted_children_count"))
        if self.spouse_joins and self.marital_status is not MaritalStatus.MARRIED:
            issues.append(Issue("SPOUSE_JOINS_UNMARRIED", "收养人无配偶，不能登记配偶共同收养", "spouse_joins"))
        _raise(issues)

    @property
    def birth_children_count(self) -> int:
        return self.children_count - self.adopted_children_count

    def to_dict(self) -> dict:
        return {
            "name": self.name, "sex": self.sex.value, "birth_date": self.birth_date.isoformat(),
            "id_type": self.id_type.value, "id_number": self.id_number,
            "marital_status": self.marital_status.value, "children_count": self.children_count,
            "adopted_children_count": self.adopted_children_count, "spouse_joins": self.spouse_joins,
            "overseas_chinese": self.overseas_chinese, "able_to_raise": self.able_to_raise,
            "no_unfit_disease": self.no_unfit_disease,
            "no_harmful_criminal_record": self.no_harmful_criminal_record,
        }

    @classmethod
    def from_dict(cls, data: Any) -> Adopter:
        r = _Reader(data)
        values = dict(
            name=r.text("name"), sex=r.choice("sex", Sex), birth_date=r.date("birth_date"),
            id_type=r.choice("id_type", IdType), id_number=r.text("id_number", required=False, clean=normalise_id),
            marital_status=r.choice("marital_status", MaritalStatus),
            children_count=r.count("children_count"),
            adopted_children_count=r.count("adopted_children_count", default=0),
            spouse_joins=r.flag("spouse_joins"), overseas_chinese=r.flag("overseas_chinese"),
            able_to_raise=r.flag("able_to_raise"), no_unfit_disease=r.flag("no_unfit_disease"),
            no_harmful_criminal_record=r.flag("no_harmful_criminal_record"),
        )
        return r.build(cls, values)


@dataclass(frozen=True)
class Adoptee:
    name: str
    sex: Sex
    birth_date: dt.date
    situation: Situation
    id_number: str | None = None  # a resident ID when the child has one
    disabled: bool = False                 # 残疾未成年人 (CC 1100 second paragraph)
    in_welfare_institution: bool = False   # 儿童福利机构抚养

    def __post_init__(self) -> None:
        issues: list[Issue] = []
        if self.id_number:
            issues = _person_issues(self.name, self.sex, self.birth_date, IdType.RESIDENT, self.id_number)
        elif text_issues(self.name, "name"):
            issues = text_issues(self.name, "name")
        elif not self.name.strip():
            issues.append(Issue("NAME_EMPTY", "请填写姓名", "name"))
        _raise(issues)

    def to_dict(self) -> dict:
        return {
            "name": self.name, "sex": self.sex.value, "birth_date": self.birth_date.isoformat(),
            "situation": self.situation.value, "id_number": self.id_number,
            "disabled": self.disabled, "in_welfare_institution": self.in_welfare_institution,
        }

    @classmethod
    def from_dict(cls, data: Any) -> Adoptee:
        r = _Reader(data)
        number = r.text("id_number", required=False, clean=normalise_id)
        values = dict(
            name=r.text("name"), sex=r.choice("sex", Sex), birth_date=r.date("birth_date"),
            situation=r.choice("situation", Situation), id_number=number or None,
            disabled=r.flag("disabled"), in_welfare_institution=r.flag("in_welfare_institution"),
        )
        return r.build(cls, values)


@dataclass(frozen=True)
class PlacingParty:
    """送养人 (CC 1094). For birth parents, the flags of CC 1094(3) and 1097."""

    kind: PlacingKind
    names: tuple[str, ...]
    both_place: bool = False                       # both birth parents place (1097)
    other_parent_unknown_or_missing: bool = False  # one parent unknown or cannot be found (1097)
    special_difficulty: bool = False               # special difficulty, unable to raise (1094(3))

    def __post_init__(self) -> None:
        issues = []
        if not self.names or any(not n.strip() for n in self.names):
            issues.append(Issue("PLACING_NAMES_EMPTY", "请填写送养人名称", "names"))
        if self.kind is PlacingKind.BIRTH_PARENTS and self.both_place and len(self.names) < 2:
            issues.append(Issue("PLACING_NAMES_BOTH", "生父母双方送养，应填写双方姓名", "names"))
        _raise(issues)

    def to_dict(self) -> dict:
        return {
            "kind": self.kind.value, "names": list(self.names), "both_place": self.both_place,
            "other_parent_unknown_or_missing": self.other_parent_unknown_or_missing,
            "special_difficulty": self.special_difficulty,
        }

    @classmethod
    def from_dict(cls, data: Any) -> PlacingParty:
        r = _Reader(data)
        values = dict(
            kind=r.choice("kind", PlacingKind), names=r.texts("names"), both_place=r.flag("both_place"),
            other_parent_unknown_or_missing=r.flag("other_parent_unknown_or_missing"),
            special_difficulty=r.flag("special_difficulty"),
        )
        return r.build(cls, values)


@dataclass(frozen=True)
class Assessment:
    """收养评估 (CC 1105 fifth paragraph; Adoption Assessment Measures)."""

    body: str
    assessors: tuple[str, ...]
    performed_by_civil_affairs_office: bool
    started: dt.date
    finished: dt.date
    areas: tuple[str, ...]
    conclusion: Conclusion

    def __post_init__(self) -> None:
        issues = []
        if not self.body.strip():
            issues.append(Issue("ASSESSMENT_BODY_EMPTY", "请填写评估机构", "body"))
        if self.finished < self.started:
            issues.append(Issue("ASSESSMENT_DATES", "评估结束日期早于开始日期", "finished"))
        _raise(issues)

    def to_dict(self) -> dict:
        return {
            "body": self.body, "assessors": list(self.assessors),
            "performed_by_civil_affairs_office": self.performed_by_civil_affairs_office,
            "started": self.started.isoformat(), "finished": self.finished.isoformat(),
            "areas": list(self.areas), "conclusion": self.conclusion.value,
        }

    @classmethod
    def from_dict(cls, data: Any) -> Assessment:
        r = _Reader(data)
        values = dict(
            body=r.text("body"), assessors=r.texts("assessors", allow_empty=True),
            performed_by_civil_affairs_office=r.flag("performed_by_civil_affairs_office"),
            started=r.date("started"), finished=r.date("finished"),
            areas=r.texts("areas", allow_empty=True), conclusion=r.choice("conclusion", Conclusion),
        )
        return r.build(cls, values)


PUBLIC_NOTICE_DAYS = 60  # AR 8: a child whose parents cannot be found is first announced for 60 days


@dataclass(frozen=True)
class PublicNotice:
    started: dt.date
    days: int = PUBLIC_NOTICE_DAYS

    def __post_init__(self) -> None:
        _raise([] if self.days >= 1 else [Issue("NOTICE_DAYS_INVALID", "公告天数应为正数", "days")])

    @property
    def last_day(self) -> dt.date:
        # CC 201: the day the period starts is not counted; day one is the next day.
        return self.started + dt.timedelta(days=self.days)

    def to_dict(self) -> dict:
        return {"started": self.started.isoformat(), "days": self.days}

    @classmethod
    def from_dict(cls, data: Any) -> PublicNotice:
        r = _Reader(data)
        values = dict(started=r.date("started"), days=r.count("days", default=PUBLIC_NOTICE_DAYS))
        return r.build(cls, values)


@dataclass(frozen=True)
class Consents:
    """Consents recorded in writing; absent means not given."""

    adoptee: bool = False          # CC 1104: the adoptee aged 8 or more agrees
    birth_parent: bool = False     # CC 1103: the birth parent(s) agree to a step-parent adoption
    spouses: bool = False          # CC 1101: both spouses agree to adopt together
    # CC 1096: those with a duty to support the orphan agree to the guardian placing the child
    # (true also when no such person exists).
    support_obligors: bool = False

    def to_dict(self) -> dict:
        return {"adoptee": self.adoptee, "birth_parent": self.birth_parent, "spouses": self.spouses,
                "support_obligors": self.support_obligors}

    @classmethod
    def from_dict(cls, data: Any) -> Consents:
        r = _Reader(data)
        values = dict(adoptee=r.flag("adoptee"), birth_parent=r.flag("birth_parent"),
                      spouses=r.flag("spouses"), support_obligors=r.flag("support_obligors"))
        return r.build(cls, values)


@dataclass(frozen=True)
class AdoptionCase:
    adopters: tuple[Adopter, ...]
    adoptee: Adoptee
    placing: PlacingParty
    registration_date: dt.date
    relationship: Relationship = Relationship.NONE
    consents: Consents = field(default_factory=Consents)
    assessment: Assessment | None = None
    public_notice: PublicNotice | None = None

    def __post_init__(self) -> None:
        issues = []
        if not 1 <= len(self.adopters) <= 2:
            issues.append(Issue("ADOPTER_COUNT", "收养人应为一人或夫妻二人", "adopters"))
        for i, adopter in enumerate(self.adopters):
            if adopter.birth_date > self.registration_date:
                issues.append(Issue("BIRTH_AFTER_REGISTRATION", "出生日期晚于登记日期",
                                    f"adopters[{i}].birth_date"))
            elif too_old := age_issue(adopter.birth_date, self.registration_date, f"adopters[{i}].birth_date"):
                issues.append(too_old)
        if self.adoptee.birth_date > self.registration_date:
            issues.append(Issue("BIRTH_AFTER_REGISTRATION", "出生日期晚于登记日期", "adoptee.birth_date"))
        elif too_old := age_issue(self.adoptee.birth_date, self.registration_date, "adoptee.birth_date"):
            issues.append(too_old)
        _raise(issues)

    @property
    def is_step_parent(self) -> bool:
        return self.relationship is Relationship.STEP_PARENT

    @property
    def is_collateral_relative(self) -> bool:
        return self.relationship is Relationship.COLLATERAL_SAME_GENERATION

    def to_dict(self) -> dict:
        return {
            "adopters": [a.to_dict() for a in self.adopters], "adoptee": self.adoptee.to_dict(),
            "placing": self.placing.to_dict(), "registration_date": self.registration_date.isoformat(),
            "relationship": self.relationship.value, "consents": self.consents.to_dict(),
            "assessment": self.assessment.to_dict() if self.assessment else None,
            "public_notice": self.public_notice.to_dict() if self.public_notice else None,
        }

    @classmethod
    def from_dict(cls, data: Any) -> AdoptionCase:
        if isinstance(data, dict):  # every text in the case (remarks too), depth and sizes
            _raise(structure_issues(data))
        r = _Reader(data)
        values = dict(
            adopters=r.items("adopters", Adopter.from_dict), adoptee=r.part("adoptee", Adoptee.from_dict),
            placing=r.part("placing", PlacingParty.from_dict), registration_date=r.date("registration_date"),
            relationship=r.choice("relationship", Relationship, default=Relationship.NONE),
            consents=r.part("consents", Consents.from_dict, default=Consents()),
            assessment=r.part("assessment", Assessment.from_dict, default=None),
            public_notice=r.part("public_notice", PublicNotice.from_dict, default=None),
        )
        return r.build(cls, values)


@dataclass(frozen=True)
class DissolutionCase:
    """解除收养关系登记: only agreements are registered here (CC 1114, 1115, 1116)."""

    adopter_names: tuple[str, ...]
    adoptee_name: str
    adoptee_birth_date: dt.date
    placing_party_names: tuple[str, ...]
    registration_date: dt.date
    adopters_agree: bool = False       # every adopter signs the agreement
    placing_party_agrees: bool = False  # needed while the adoptee is a minor (1114)
    adoptee_agrees: bool = False        # consent at 8+ (1114), a party to the agreement as an adult (1115)

    def __post_init__(self) -> None:
        issues = []
        if not 1 <= len(self.adopter_names) <= 2 or any(not n.strip() for n in self.adopter_names):
            issues.append(Issue("ADOPTER_COUNT", "收养人应为一人或夫妻二人", "adopter_names"))
        if not self.adoptee_name.strip():
            issues.append(Issue("NAME_EMPTY", "请填写姓名", "adoptee_name"))
        if self.adoptee_birth_date > self.registration_date:
            issues.append(Issue("BIRTH_AFTER_REGISTRATION", "出生日期晚于登记日期", "adoptee_birth_date"))
        _raise(issues)

    def to_dict(self) -> dict:
        return {
            "adopter_names": list(self.adopter_names), "adoptee_name": self.adoptee_name,
            "adoptee_birth_date": self.adoptee_birth_date.isoformat(),
            "placing_party_names": list(self.placing_party_names),
            "registration_date": self.registration_date.isoformat(), "adopters_agree": self.adopters_agree,
            "placing_party_agrees": self.placing_party_agrees, "adoptee_agrees": self.adoptee_agrees,
        }

    @classmethod
    def from_dict(cls, data: Any) -> DissolutionCase:
        if isinstance(data, dict):
            _raise(structure_issues(data))
        r = _Reader(data)
        values = dict(
            adopter_names=r.texts("adopter_names"), adoptee_name=r.text("adoptee_name"),
            adoptee_birth_date=r.date("adoptee_birth_date"),
            placing_party_names=r.texts("placing_party_names", allow_empty=True),
            registration_date=r.date("registration_date"), adopters_agree=r.flag("adopters_agree"),
            placing_party_agrees=r.flag("placing_party_agrees"), adoptee_agrees=r.flag("adoptee_agrees"),
        )
        return r.build(cls, values)


# --- checks shared by the constructors -------------------------------------------------------

def _person_issues(name: str, sex: Sex, birth: dt.date, id_type: IdType, number: str) -> list[Issue]:
    """Name present; document well formed; a resident ID agrees with the typed birth date and sex."""
    issues = text_issues(name, "name") + text_issues(number, "id_number")
    if issues:
        return issues
    if not name.strip():
        issues.append(Issue("NAME_EMPTY", "请填写姓名", "name"))
    problem = validate_document(id_type, number)
    if problem:
        issues.append(Issue(problem.code, problem.message, "id_number"))
    elif id_type is not IdType.NONE and (doc := read_document(number, None, id_type)).layout_verified \
            and doc.birth_date is not None:  # resident ID, residence permit, 2023 PR card
        noun = "身份证号码" if id_type is IdType.RESIDENT else "证件号码"
        if doc.birth_date != birth:
            issues.append(Issue("ID_BIRTH_MISMATCH", f"出生日期与{noun}不一致", "birth_date"))
        if doc.sex is not sex:
            issues.append(Issue("ID_SEX_MISMATCH", f"性别与{noun}不一致", "sex"))
    return issues


def _raise(issues: list[Issue]) -> None:
    if issues:
        raise Refused(issues)


# --- reading untrusted dictionaries ----------------------------------------------------------

T = TypeVar("T")
E = TypeVar("E", bound=Enum)
_MISSING = object()


class _Reader:
    """Reads one dictionary, collecting an Issue for every missing or ill-typed value.

    Each reader returns a value of the right type, or None after noting the problem, so one pass
    reports every mistake in a case file. Nested parts are read by their own `from_dict`, whose
    issues come back with the part's path in front.
    """

    def __init__(self, data: Any):
        self.issues: list[Issue] = []
        self.data = data if isinstance(data, dict) else {}
        self.not_an_object = not isinstance(data, dict)
        if self.not_an_object:
            self.issues.append(Issue("CASE_FORMAT", "数据格式错误：应为键值对象", None))

    def _get(self, key: str, default: Any = _MISSING) -> Any:
        if key in self.data and self.data[key] is not None:
            return self.data[key]
        if default is _MISSING:
            if self.not_an_object:  # one issue says it all
                return None
            self.issues.append(Issue("FIELD_MISSING", f"缺少必填项：{key}", key))
            return None
        return default

    def _wrong(self, key: str, what: str) -> None:
        self.issues.append(Issue("FIELD_INVALID", f"{key} 应为{what}", key))

    def text(self, key: str, required: bool = True, clean: Callable[[str], str] | None = None) -> Any:
        value = self._get(key, _MISSING if required else "")
        if value is None:
            return None
        if not isinstance(value, str):
            self._wrong(key, "文字")
            return None
        value = clean(value) if clean else value
        found = text_issues(value, key)
        self.issues.extend(found)
        return None if found else value

    def texts(self, key: str, allow_empty: bool = False) -> Any:
        value = self._get(key, () if allow_empty else _MISSING)
        if value is None:
            return None
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            self._wrong(key, "文字列表")
            return None
        found = [i for n, v in enumerate(value) for i in text_issues(v, f"{key}[{n}]", key)]
        if found:
            self.issues.extend(found)
            return None
        if not value and not allow_empty:
            self.issues.append(Issue("FIELD_MISSING", f"缺少必填项：{key}", key))
            return None
        return tuple(value)

    def flag(self, key: str) -> Any:
        value = self._get(key, False)
        if not isinstance(value, bool):
            self._wrong(key, "是或否（true/false）")
            return None
        return value

    def count(self, key: str, default: Any = _MISSING) -> Any:
        value = self._get(key, default)
        if value is None:
            return None
        # bool is an int in Python; a case file saying `true` for a count is a mistake
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 1000:
            self._wrong(key, "0至1000之间的整数")
            return None
        return value

    def date(self, key: str) -> Any:
        value = self._get(key)
        if value is None:
            return None
        if isinstance(value, str) and len(value) == 10:
            try:
                value = dt.date.fromisoformat(value)
            except ValueError:
                pass
        # a plausible range keeps date arithmetic (notice periods, ages) away from year 9999
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime) and 1850 <= value.year <= 2200:
            return value
        self._wrong(key, "1850年至2200年间的日期（YYYY-MM-DD）")
        return None

    def choice(self, key: str, enum: type[E], default: Any = _MISSING) -> Any:
        value = self._get(key, default)
        if value is None or isinstance(value, enum):
            return value
        if isinstance(value, str):
            for member in enum:
                if member.value == value:
                    return member
        self._wrong(key, "以下之一：" + "、".join(m.value for m in enum))
        return None

    def part(self, key: str, build: Callable[[Any], T], default: Any = _MISSING) -> Any:
        value = self._get(key, default)
        if value is None or value is default:
            return value
        return self._nested(key, build, value)

    def items(self, key: str, build: Callable[[Any], T]) -> Any:
        value = self._get(key)
        if value is None:
            return None
        if not isinstance(value, list):
            self._wrong(key, "列表")
            return None
        built = [self._nested(f"{key}[{i}]", build, v) for i, v in enumerate(value)]
        return None if any(b is None for b in built) else tuple(built)

    def _nested(self, path: str, build: Callable[[Any], T], value: Any) -> T | None:
        try:
            return build(value)
        except Refused as exc:
            self.issues.extend(_under(path, exc.issues))
            return None

    def build(self, cls: Callable[..., T], values: dict) -> T:
        if self.issues:
            raise Refused(self.issues)
        return cls(**values)  # the constructor's own checks raise Refused too


def _under(path: str, issues: list[Issue]) -> list[Issue]:
    return [Issue(i.code, i.message, f"{path}.{i.field}" if i.field else path) for i in issues]
