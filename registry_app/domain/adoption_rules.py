"""The adoption conditions of the Civil Code (CC 1093–1105) and of dissolution (CC 1114–1115).

`evaluate` returns one line per condition, as a checklist the clerk can go through:
  met            — the condition holds;
  failing        — it does not; `message` is the reason to read out;
  waived         — an exemption the law names lifts it (`waived_by`); the facts are then not
                   examined, because the office need not collect them (e.g. a step-parent does
                   not sign the CC 1098 declarations);
  not_applicable — the case does not trigger it (no consent at 8 for a 3-year-old).
A condition is `not_applicable` before it is `waived`: an exemption matters only where the rule bites.

Only exemptions the law names waive a condition. In particular (the Code's text, not intuition):
1103 (step-parent) lifts 1093(3), 1094(3), the whole of 1098 and 1100 first paragraph — not 1097,
1102 or 1104; 1099 (collateral relative) lifts 1093(3), 1094(3) and 1102, and for an overseas
Chinese also 1098(1) — not 1098(5) or 1100; 1100 second paragraph (orphan, disabled minor,
welfare-institution child whose parents cannot be found) lifts 1100 first paragraph and 1098(1) only.

Article keys: `CC1098(5)` is article 1098 item 5 (项); `CC1100p2` is article 1100 paragraph 2 (款);
`AE2` is article 2 of the Adoption Assessment Measures (trial).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from enum import Enum

from registry_app.domain.adoption_case import (
    PUBLIC_NOTICE_DAYS,
    Adopter,
    AdoptionCase,
    Conclusion,
    DissolutionCase,
    MaritalStatus,
    PlacingKind,
    Situation,
)
from registry_app.domain.ids import age_on
from registry_app.errors import Issue, Refused

ADULT_AGE = 18          # CC 17
ADOPTEE_CONSENT_AGE = 8  # CC 1104, 1114
ADOPTER_MIN_AGE = 30    # CC 1098(5)
SINGLE_OTHER_SEX_GAP = 40  # CC 1102
MIN_ASSESSORS_OFFICE = 2   # AE 6: an assessment team the office forms itself has two or more members


@dataclass(frozen=True)
class Article:
    key: str   # CC1098(5)
    text: str  # 民法典第1098条第5项


CC1093 = Article("CC1093", "民法典第1093条")
CC1093_3 = Article("CC1093(3)", "民法典第1093条第3项")
CC1094 = Article("CC1094", "民法典第1094条")
CC1094_3 = Article("CC1094(3)", "民法典第1094条第3项")
CC1096 = Article("CC1096", "民法典第1096条")
CC1097 = Article("CC1097", "民法典第1097条")
CC1098 = Article("CC1098", "民法典第1098条")
CC1098_ITEMS = {n: Article(f"CC1098({n})", f"民法典第1098条第{n}项") for n in range(1, 6)}
CC1099P1 = Article("CC1099p1", "民法典第1099条第1款")
CC1099P2 = Article("CC1099p2", "民法典第1099条第2款")
CC1100P1 = Article("CC1100p1", "民法典第1100条第1款")
CC1100P2 = Article("CC1100p2", "民法典第1100条第2款")
CC1101 = Article("CC1101", "民法典第1101条")
CC1102 = Article("CC1102", "民法典第1102条")
CC1103 = Article("CC1103", "民法典第1103条")
CC1104 = Article("CC1104", "民法典第1104条")
CC1105P2 = Article("CC1105p2", "民法典第1105条第2款")
CC1105P5 = Article("CC1105p5", "民法典第1105条第5款")
AE2 = Article("AE2", "《收养评估办法（试行）》第二条")
CC1114P1 = Article("CC1114p1", "民法典第1114条第1款")
CC1115 = Article("CC1115", "民法典第1115条")


class Status(str, Enum):
    MET = "met"
    FAILING = "failing"
    WAIVED = "waived"
    NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True)
class ConditionResult:
    code: str
    article: str       # 民法典第1098条第5项
    article_key: str   # CC1098(5)
    title: str
    status: Status
    message: str
    field: str | None
    waived_by: str | None = None          # 民法典第1103条、民法典第1100条第2款
    waived_by_keys: tuple[str, ...] = ()  # ("CC1103", "CC1100p2")

    def to_dict(self) -> dict:
        return {
            "code": self.code, "article": self.article, "article_key": self.article_key,
            "title": self.title, "status": self.status.value, "message": self.message,
            "field": self.field, "waived_by": self.waived_by, "waived_by_keys": list(self.waived_by_keys),
        }

    def issue(self) -> Issue:
        return Issue(self.code, self.message, self.field)


@dataclass(frozen=True)
class _Rule:
    """One condition of the law; builds its result lines."""

    code: str
    article: Article
    title: str
    field: str | None

    def at(self, field: str) -> _Rule:
        return replace(self, field=field)

    def _line(self, status: Status, message: str, waivers: tuple[Article, ...] = ()) -> ConditionResult:
        return ConditionResult(
            self.code, self.article.text, self.article.key, self.title, status, message, self.field,
            "、".join(w.text for w in waivers) or None, tuple(w.key for w in waivers),
        )

    def met(self, message: str) -> ConditionResult:
        return self._line(Status.MET, message)

    def failing(self, reason: str) -> ConditionResult:
        return self._line(Status.FAILING, f"{reason}（{self.article.text}）")

    def not_applicable(self, why: str) -> ConditionResult:
        return self._line(Status.NOT_APPLICABLE, why)

    def waived(self, waivers: list[Article], lifted: Article | None = None, why: str | None = None) -> ConditionResult:
        by = "、".join(w.text for w in waivers)
        message = f"依照{by}，{why or f'不受{(lifted or self.article).text}的限制'}"
        return self._line(Status.WAIVED, message, tuple(waivers))

    def check(self, ok: bool, met: str, reason: str) -> ConditionResult:
        return self.met(met) if ok else self.failing(reason)


# --- the exemptions the law names ------------------------------------------------------------

def _collateral(case: AdoptionCase) -> list[Article]:
    """CC 1099 first paragraph."""
    return [CC1099P1] if case.is_collateral_relative else []


def _step_parent(case: AdoptionCase) -> list[Article]:
    """CC 1103."""
    return [CC1103] if case.is_step_parent else []


def number_limit_exempt(situation: Situation | str | None, disabled: bool, in_welfare_institution: bool) -> bool:
    """CC 1100 second paragraph: an orphan, a disabled minor, or a child raised by a welfare
    institution whose parents cannot be found (the adoption page asks the counts only otherwise)."""
    return (situation == Situation.ORPHAN or disabled
            or (in_welfare_institution and situation == Situation.PARENTS_UNKNOWN))


def needs_adoptee_consent(birth_date: dt.date, on: dt.date) -> bool:
    """CC 1104 (and 1114 for a dissolution): the adoptee's own consent from ADOPTEE_CONSENT_AGE."""
    return age_on(birth_date, on) >= ADOPTEE_CONSENT_AGE


def _number_exempt(case: AdoptionCase) -> list[Article]:
    child = case.adoptee
    return [CC1100P2] if number_limit_exempt(child.situation, child.disabled, child.in_welfare_institution) else []


def _overseas_collateral(case: AdoptionCase, adopter: Adopter) -> list[Article]:
    """CC 1099 second paragraph: an overseas Chinese adopting a collateral relative's child."""
    return [CC1099P2] if case.is_collateral_relative and adopter.overseas_chinese else []


# --- the conditions --------------------------------------------------------------------------

ADOPTEE_MINOR = _Rule("ADOPTEE_MINOR", CC1093, "被收养人为未成年人", "adoptee.birth_date")
ADOPTEE_SITUATION = _Rule("ADOPTEE_SITUATION", CC1093, "被收养人属于可以被收养的情形", "adoptee.situation")
PLACING_PARTY = _Rule("PLACING_PARTY", CC1094, "送养人具备送养资格", "placing.kind")
SUPPORT_OBLIGORS_CONSENT = _Rule("SUPPORT_OBLIGORS_CONSENT", CC1096, "监护人送养孤儿经有抚养义务的人同意",
                                 "consents.support_obligors")
BIRTH_PARENTS_JOINTLY = _Rule("BIRTH_PARENTS_JOINTLY", CC1097, "生父母双方共同送养", "placing.both_place")
ADOPTER_CHILDREN = _Rule("ADOPTER_CHILDREN", CC1098_ITEMS[1], "收养人无子女或者只有一名子女", "children_count")
ADOPTER_ABLE = _Rule("ADOPTER_ABLE", CC1098_ITEMS[2], "收养人有抚养、教育和保护被收养人的能力", "able_to_raise")
ADOPTER_HEALTH = _Rule("ADOPTER_HEALTH", CC1098_ITEMS[3], "收养人未患有在医学上认为不应当收养子女的疾病",
                       "no_unfit_disease")
ADOPTER_RECORD = _Rule("ADOPTER_RECORD", CC1098_ITEMS[4], "收养人无不利于被收养人健康成长的违法犯罪记录",
                       "no_harmful_criminal_record")
ADOPTER_AGE = _Rule("ADOPTER_AGE", CC1098_ITEMS[5], "收养人年满三十周岁", "birth_date")
ADOPTION_NUMBER = _Rule("ADOPTION_NUMBER", CC1100P1, "收养人数限制", "adopted_children_count")
JOINT_WITH_SPOUSE = _Rule("JOINT_WITH_SPOUSE", CC1101, "有配偶者应当夫妻共同收养", "adopters")
AGE_GAP_OTHER_SEX = _Rule("AGE_GAP_OTHER_SEX", CC1102, "无配偶者收养异性子女年龄相差四十周岁以上",
                          "adopters[0].birth_date")
STEP_PARENT_CONSENT = _Rule("STEP_PARENT_CONSENT", CC1103, "继父母收养经生父母同意", "consents.birth_parent")
ADOPTEE_CONSENT = _Rule("ADOPTEE_CONSENT", CC1104, "八周岁以上被收养人同意", "consents.adoptee")
PUBLIC_NOTICE = _Rule("PUBLIC_NOTICE", CC1105P2, "查找不到生父母的未成年人登记前公告", "public_notice")
ASSESSMENT_DONE = _Rule("ASSESSMENT_DONE", CC1105P5, "已完成收养评估", "assessment")
ASSESSMENT_SUITABLE = _Rule("ASSESSMENT_SUITABLE", CC1105P5, "收养评估结论为适宜收养", "assessment.conclusion")
ASSESSMENT_ASSESSORS = _Rule("ASSESSMENT_ASSESSORS", CC1105P5, "评估人员已记录且人数符合要求",
                             "assessment.assessors")

_SITUATION_ZH = {
    Situation.ORPHAN: "丧失父母的孤儿（第1093条第1项）",
    Situation.PARENTS_UNKNOWN: "查找不到生父母的未成年人（第1093条第2项）",
    Situation.PARENTS_SPECIAL_DIFFICULTY: "生父母有特殊困难无力抚养的子女（第1093条第3项）",
    Situation.PARENTS_INCAPABLE_HARMFUL: "父母均不具备完全民事行为能力且可能严重危害其本人，生父母无力抚养（第1093条第3项）",
}


def _adoptee_rules(case: AdoptionCase) -> list[ConditionResult]:
    child = case.adoptee
    age = age_on(child.birth_date, case.registration_date)
    out = [ADOPTEE_MINOR.check(
        age < ADULT_AGE, f"被收养人{child.name}登记日{age}周岁，为未成年人",
        f"被收养人{child.name}在登记日已满十八周岁，不能被收养")]

    rule = ADOPTEE_SITUATION
    if child.situation in (Situation.ORPHAN, Situation.PARENTS_UNKNOWN):
        out.append(rule.met(f"被收养人系{_SITUATION_ZH[child.situation]}"))
    elif waivers := _collateral(case) + _step_parent(case):
        out.append(rule.waived(waivers, CC1093_3))
    else:
        out.append(rule.check(
            child.situation is not Situation.PARENTS_ABLE, f"被收养人系{_SITUATION_ZH.get(child.situation, '')}",
            "被收养人不是孤儿或查找不到生父母的未成年人，其生父母也没有无力抚养的特殊困难，不能被收养"))
    return out


def _placing_rules(case: AdoptionCase) -> list[ConditionResult]:
    placing, child = case.placing, case.adoptee
    out = []
    if placing.kind is PlacingKind.GUARDIAN:
        if child.situation is Situation.ORPHAN:
            out.append(PLACING_PARTY.met("送养人为孤儿的监护人（第1094条第1项）"))
        else:
            out.append(PLACING_PARTY.check(
                child.situation is Situation.PARENTS_INCAPABLE_HARMFUL,
                "未成年人的父母均不具备完全民事行为能力且可能严重危害该未成年人，监护人可以送养（第1095条）",
                "监护人只能送养孤儿，或者父母均不具备完全民事行为能力且可能严重危害该未成年人的被监护人"))
    elif placing.kind is PlacingKind.WELFARE_INSTITUTION:
        out.append(PLACING_PARTY.check(
            child.in_welfare_institution, "送养人为抚养该儿童的儿童福利机构（第1094条第2项）",
            "被收养人不由该儿童福利机构抚养，儿童福利机构不能作送养人"))
    elif child.situation in (Situation.ORPHAN, Situation.PARENTS_UNKNOWN):
        # no exemption helps: a child recorded as orphaned or parentless has no birth parent to place it
        out.append(PLACING_PARTY.failing("被收养人登记为孤儿或查找不到生父母，不能由生父母送养，请核对"))
    elif waivers := _collateral(case) + _step_parent(case):
        out.append(PLACING_PARTY.waived(waivers, CC1094_3))
    else:
        out.append(PLACING_PARTY.check(
            placing.special_difficulty, "送养人为有特殊困难无力抚养子女的生父母（第1094条第3项）",
            "生父母没有无力抚养子女的特殊困难，不能送养"))

    if placing.kind is PlacingKind.GUARDIAN and child.situation is Situation.ORPHAN:
        out.append(SUPPORT_OBLIGORS_CONSENT.check(
            case.consents.support_obligors, "有抚养义务的人已同意送养（或无有抚养义务的人）",
            "监护人送养孤儿，应当征得有抚养义务的人同意"))
    else:
        out.append(SUPPORT_OBLIGORS_CONSENT.not_applicable("不是监护人送养孤儿"))

    if placing.kind is PlacingKind.BIRTH_PARENTS:
        out.append(BIRTH_PARENTS_JOINTLY.check(
            placing.both_place or placing.other_parent_unknown_or_missing,
            "生父母双方共同送养" if placing.both_place else "生父母一方不明或者查找不到，由另一方单方送养",
            "生父母送养子女应当双方共同送养；只有一方不明或者查找不到的，才可以单方送养"))
    else:
        out.append(BIRTH_PARENTS_JOINTLY.not_applicable("送养人不是生父母"))
    return out


@dataclass(frozen=True)
class RecordedFamily:
    """What this office's own records hold about one adopter (found by ID number): the adoptions
    registered here and still in force (certificate numbers; dissolved and revoked ones do not count),
    and how many distinct children are recorded for them (those adoptees, and the children named in
    their divorce agreements). The adopters' declaration can only add to these, never subtract."""

    adoptions: tuple[str, ...] = ()
    children: int = 0


@dataclass(frozen=True)
class _Counts:
    children: int   # own children, birth and adopted (CC 1098(1))
    adopted: int    # of which adopted (CC 1100)
    note: str       # what the office's records added to the declaration, for the message

    @property
    def birth(self) -> int:
        return self.children - self.adopted


def _counts(adopter: Adopter, recorded: RecordedFamily | None) -> _Counts:
    """The larger of the declaration and the office's records: the records are a floor (the adopters
    may have adopted elsewhere too, which only the declaration tells), never a ceiling."""
    recorded = recorded or RecordedFamily()
    adopted = max(adopter.adopted_children_count, len(recorded.adoptions))
    children = max(adopter.children_count, adopter.birth_children_count + adopted, recorded.children)
    notes = []
    if len(recorded.adoptions) > adopter.adopted_children_count:
        notes.append(f"申报已收养{adopter.adopted_children_count}名，本处登记记录显示已收养{len(recorded.adoptions)}名"
                     f"（收养登记证{'、'.join(recorded.adoptions)}）")
    if children > adopter.children_count:
        notes.append(f"申报子女{adopter.children_count}名，依本处登记记录至少{children}名")
    return _Counts(children, adopted, "（" + "；".join(notes) + "）" if notes else "")


def _adopter_rules(case: AdoptionCase, i: int, adopter: Adopter,
                   recorded: RecordedFamily | None = None) -> list[ConditionResult]:
    def rule(r: _Rule) -> _Rule:
        return r.at(f"adopters[{i}].{r.field}")

    who = f"收养人{adopter.name}"
    whole_1098 = _step_parent(case)
    n = _counts(adopter, recorded)
    out = []

    if waivers := whole_1098 + _number_exempt(case) + _overseas_collateral(case, adopter):
        out.append(rule(ADOPTER_CHILDREN).waived(waivers))
    else:
        out.append(rule(ADOPTER_CHILDREN).check(
            n.children <= 1, f"{who}有子女{n.children}名{n.note}",
            f"{who}已有{n.children}名子女{n.note}，收养人应当无子女或者只有一名子女"))

    declarations = [
        (ADOPTER_ABLE, adopter.able_to_raise, "已声明有抚养、教育和保护被收养人的能力",
         "未声明有抚养、教育和保护被收养人的能力"),
        (ADOPTER_HEALTH, adopter.no_unfit_disease, "已声明未患有医学上认为不应当收养子女的疾病",
         "未声明未患有医学上认为不应当收养子女的疾病"),
        (ADOPTER_RECORD, adopter.no_harmful_criminal_record, "已声明无不利于被收养人健康成长的违法犯罪记录",
         "未声明无不利于被收养人健康成长的违法犯罪记录"),
    ]
    for r, ok, met, reason in declarations:
        out.append(rule(r).waived(whole_1098) if whole_1098 else rule(r).check(ok, who + met, who + reason))

    age = age_on(adopter.birth_date, case.registration_date)
    if whole_1098:
        out.append(rule(ADOPTER_AGE).waived(whole_1098))
    else:
        out.append(rule(ADOPTER_AGE).check(
            age >= ADOPTER_MIN_AGE, f"{who}登记日{age}周岁",
            f"{who}登记日{age}周岁，未满三十周岁"))

    # CC 1100: a person with no (birth) child may adopt two children, one with a child may adopt one.
    # Adopted children are counted against the limit, not as "having a child", otherwise a childless
    # person could never adopt the second child the article allows.
    if waivers := _step_parent(case) + _number_exempt(case):
        out.append(rule(ADOPTION_NUMBER).waived(waivers))
    else:
        limit = 2 if n.birth == 0 else 1
        done = n.adopted
        out.append(rule(ADOPTION_NUMBER).check(
            done + 1 <= limit, f"{who}已收养{done}名，本次收养后共{done + 1}名，未超过{limit}名{n.note}",
            f"{who}已收养{done}名子女{n.note}；无子女的收养人只能收养两名，有子女的只能收养一名"))
    return out


def _joint_adoption_rule(case: AdoptionCase) -> ConditionResult:
    adopters = case.adopters
    if case.is_step_parent:
        if len(adopters) == 1:
            return JOINT_WITH_SPOUSE.not_applicable("继父母收养，其配偶为被收养人的生父母，不作为收养人")
        return JOINT_WITH_SPOUSE.failing("继父母收养只能由继父或者继母一人作为收养人")
    if len(adopters) == 2:
        spouses = all(a.marital_status is MaritalStatus.MARRIED and a.spouse_joins for a in adopters)
        if not spouses:
            return JOINT_WITH_SPOUSE.failing("共同收养的二人应当是夫妻")
        return JOINT_WITH_SPOUSE.check(case.consents.spouses, "夫妻共同收养，双方均同意",
                                       "夫妻共同收养应当双方同意，请由双方签字确认")
    if adopters[0].marital_status is MaritalStatus.MARRIED:
        return JOINT_WITH_SPOUSE.failing(f"收养人{adopters[0].name}有配偶，应当夫妻共同收养")
    return JOINT_WITH_SPOUSE.not_applicable("收养人无配偶")


def _age_gap_rule(case: AdoptionCase) -> ConditionResult:
    child = case.adoptee
    if len(case.adopters) != 1 or case.adopters[0].marital_status is MaritalStatus.MARRIED:
        return AGE_GAP_OTHER_SEX.not_applicable("收养人有配偶")
    adopter = case.adopters[0]
    if adopter.sex is child.sex:
        return AGE_GAP_OTHER_SEX.not_applicable("收养同性子女")
    if waivers := _collateral(case):
        return AGE_GAP_OTHER_SEX.waived(waivers)
    # "相差四十周岁以上" includes exactly forty: the adopter's age on the child's birthday
    gap = age_on(adopter.birth_date, child.birth_date)
    return AGE_GAP_OTHER_SEX.check(
        gap >= SINGLE_OTHER_SEX_GAP, f"收养人与被收养人年龄相差{gap}周岁",
        f"无配偶者收养异性子女，年龄应当相差四十周岁以上，现相差{gap}周岁")


def _consent_rules(case: AdoptionCase) -> list[ConditionResult]:
    out = []
    if case.is_step_parent:
        out.append(STEP_PARENT_CONSENT.check(
            case.consents.birth_parent, "被收养人的生父母已同意继父母收养",
            "继父母收养继子女，应当经继子女的生父母同意"))
    else:
        out.append(STEP_PARENT_CONSENT.not_applicable("不是继父母收养"))
    child = case.adoptee
    age = age_on(child.birth_date, case.registration_date)
    if needs_adoptee_consent(child.birth_date, case.registration_date):
        out.append(ADOPTEE_CONSENT.check(
            case.consents.adoptee, f"被收养人{child.name}（{age}周岁）已同意",
            f"被收养人{child.name}已满八周岁，收养应当征得其本人同意"))
    else:
        out.append(ADOPTEE_CONSENT.not_applicable(f"被收养人{age}周岁，不满八周岁"))
    return out


def _public_notice_rule(case: AdoptionCase) -> ConditionResult:
    if case.adoptee.situation is not Situation.PARENTS_UNKNOWN:
        return PUBLIC_NOTICE.not_applicable("被收养人不是查找不到生父母的未成年人")
    notice = case.public_notice
    if notice is None:
        return PUBLIC_NOTICE.failing("收养查找不到生父母的未成年人，登记前应当公告，尚无公告记录")
    if notice.days < PUBLIC_NOTICE_DAYS:
        return PUBLIC_NOTICE.failing(f"公告期为{notice.days}日，不足六十日")
    # AR 8: the notice runs first, and registration follows once it has run out
    return PUBLIC_NOTICE.check(
        case.registration_date > notice.last_day, f"公告已于{notice.last_day.isoformat()}期满",
        f"公告期至{notice.last_day.isoformat()}届满，期满后方可登记")


def _assessment_rules(case: AdoptionCase) -> list[ConditionResult]:
    rules = (ASSESSMENT_DONE, ASSESSMENT_SUITABLE, ASSESSMENT_ASSESSORS)
    if case.is_step_parent:  # AE 2: adopting a step-child needs no assessment
        return [r.waived([AE2], why="收养继子女的不进行收养评估") for r in rules]
    a = case.assessment
    if a is None:
        return [ASSESSMENT_DONE.failing("尚未进行收养评估"),
                ASSESSMENT_SUITABLE.not_applicable("无评估记录"),
                ASSESSMENT_ASSESSORS.not_applicable("无评估记录")]
    if a.finished > case.registration_date:
        done = ASSESSMENT_DONE.at("assessment.finished").failing(f"收养评估至{a.finished.isoformat()}结束，尚未完成")
    elif not a.areas:
        done = ASSESSMENT_DONE.at("assessment.areas").failing("评估报告未记录评估内容")
    else:
        done = ASSESSMENT_DONE.met(f"{a.body}于{a.finished.isoformat()}完成收养评估")
    suitable = ASSESSMENT_SUITABLE.check(a.conclusion is Conclusion.SUITABLE, "评估结论：适宜收养",
                                         "收养评估结论为不宜收养")
    if not a.assessors:
        assessors = ASSESSMENT_ASSESSORS.failing("评估报告未记录评估人员")
    else:
        assessors = ASSESSMENT_ASSESSORS.check(
            not a.performed_by_civil_affairs_office or len(a.assessors) >= MIN_ASSESSORS_OFFICE,
            "评估人员：" + "、".join(a.assessors),
            "民政部门自行评估的，评估人员应当不少于二名")
    return [done, suitable, assessors]


def evaluate(case: AdoptionCase, recorded: dict[str, RecordedFamily] | None = None) -> list[ConditionResult]:
    """Every adoption condition of CC 1093–1105 for this case, in the order of the Code. `recorded`
    (by upper-case ID number) is what the office's own records hold about each adopter."""
    out = _adoptee_rules(case) + _placing_rules(case)
    for i, adopter in enumerate(case.adopters):
        out += _adopter_rules(case, i, adopter, (recorded or {}).get((adopter.id_number or "").upper()))
    out.append(_joint_adoption_rule(case))
    out.append(_age_gap_rule(case))
    out += _consent_rules(case)
    out.append(_public_notice_rule(case))
    out += _assessment_rules(case)
    return out


def refusals(case: AdoptionCase, recorded: dict[str, RecordedFamily] | None = None) -> list[Issue]:
    return [r.issue() for r in evaluate(case, recorded) if r.status is Status.FAILING]


def can_register(case: AdoptionCase) -> bool:
    return not refusals(case)


def established_on(case: AdoptionCase) -> dt.date:
    """CC 1105: the adoption exists from the day it is registered; refused cases never exist."""
    issues = refusals(case)
    if issues:
        raise Refused(issues)
    return case.registration_date


# --- dissolution ---------------------------------------------------------------------------
# The office registers agreements only (CC 1116). When the placing party demands dissolution
# because the adopter abuses or abandons the child and no agreement is reached (CC 1114 second
# paragraph), or adult parties cannot agree (CC 1115), the way is a lawsuit, not this counter.

DISSOLUTION_MINOR_AGREEMENT = _Rule("DISSOLUTION_MINOR_AGREEMENT", CC1114P1, "养子女未成年时收养人与送养人协议解除",
                                    "placing_party_agrees")
DISSOLUTION_ADOPTEE_CONSENT = _Rule("DISSOLUTION_ADOPTEE_CONSENT", CC1114P1, "八周岁以上养子女同意解除",
                                    "adoptee_agrees")
DISSOLUTION_ADULT_AGREEMENT = _Rule("DISSOLUTION_ADULT_AGREEMENT", CC1115, "养父母与成年养子女协议解除",
                                    "adoptee_agrees")
_COURT = "不能达成协议的，可以向人民法院提起诉讼，本处只办理协议解除"


def evaluate_dissolution(d: DissolutionCase) -> list[ConditionResult]:
    age = age_on(d.adoptee_birth_date, d.registration_date)
    minor = age < ADULT_AGE
    out = []
    if minor:
        missing = ([] if d.adopters_agree else ["收养人"]) + ([] if d.placing_party_agrees else ["送养人"])
        out.append(DISSOLUTION_MINOR_AGREEMENT.at(
            "adopters_agree" if not d.adopters_agree else "placing_party_agrees").check(
            not missing, "收养人与送养人已协议解除",
            f"养子女成年以前，收养人不得解除收养关系，但收养人、送养人双方协议解除的除外；"
            f"{'、'.join(missing)}未同意。{_COURT}"))
        if age >= ADOPTEE_CONSENT_AGE:
            out.append(DISSOLUTION_ADOPTEE_CONSENT.check(
                d.adoptee_agrees, f"养子女（{age}周岁）已同意", "养子女已满八周岁，解除收养关系应当征得其本人同意"))
        else:
            out.append(DISSOLUTION_ADOPTEE_CONSENT.not_applicable(f"养子女{age}周岁，不满八周岁"))
        out.append(DISSOLUTION_ADULT_AGREEMENT.not_applicable("养子女未成年"))
    else:
        out.append(DISSOLUTION_MINOR_AGREEMENT.not_applicable("养子女已成年"))
        out.append(DISSOLUTION_ADOPTEE_CONSENT.not_applicable("养子女已成年"))
        missing = ([] if d.adopters_agree else ["养父母"]) + ([] if d.adoptee_agrees else ["养子女"])
        out.append(DISSOLUTION_ADULT_AGREEMENT.at(
            "adopters_agree" if not d.adopters_agree else "adoptee_agrees").check(
            not missing, "养父母与成年养子女已协议解除",
            f"养父母与成年养子女解除收养关系须双方协议，{'、'.join(missing)}未同意。{_COURT}"))
    return out


def dissolution_refusals(d: DissolutionCase) -> list[Issue]:
    return [r.issue() for r in evaluate_dissolution(d) if r.status is Status.FAILING]


def can_register_dissolution(d: DissolutionCase) -> bool:
    return not dissolution_refusals(d)
