"""Adoption conditions of the Civil Code (CC 1093–1105, 1114–1115) and the case model.

Every table starts from one valid baseline case (a married couple adopting a three-year-old girl
placed jointly by birth parents with special difficulty) and changes one thing per row. A change is
a dotted path into the case file (`adopters.0.birth_date`); presets for the exemptions
(step-parent 1103, collateral relative 1099, the 1100 second-paragraph children) are themselves
valid cases, checked below, so a row that adds one change to them tests that one change.
"""
from __future__ import annotations

import copy
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry_app.domain.adoption import (
    AdoptionCase,
    DissolutionCase,
    Status,
    can_register,
    can_register_dissolution,
    dissolution_refusals,
    established_on,
    evaluate,
    evaluate_dissolution,
    refusals,
)
from registry_app.domain.ids import check_character
from registry_app.errors import Refused

REGISTRATION = "2026-06-15"
MET, FAILING, WAIVED, NA = Status.MET, Status.FAILING, Status.WAIVED, Status.NOT_APPLICABLE


def resident_id(birth: str, sex: str, sequence: str = "12") -> str:
    digits = "320102" + birth.replace("-", "") + sequence + ("1" if sex == "M" else "2")
    return digits + check_character(digits)


def adopter(name: str, sex: str, birth: str, **overrides) -> dict:
    data = {
        "name": name, "sex": sex, "birth_date": birth, "id_type": "resident_id",
        "id_number": resident_id(birth, sex), "marital_status": "unmarried", "children_count": 0,
        "adopted_children_count": 0, "spouse_joins": False, "overseas_chinese": False,
        "able_to_raise": True, "no_unfit_disease": True, "no_harmful_criminal_record": True,
    }
    data.update(overrides)
    return data


def baseline() -> dict:
    """A case every condition accepts."""
    return {
        "registration_date": REGISTRATION,
        "relationship": "none",
        "adopters": [
            adopter("王建国", "M", "1990-05-01", marital_status="married", spouse_joins=True),
            adopter("李秀英", "F", "1991-03-10", marital_status="married", spouse_joins=True),
        ],
        "adoptee": {"name": "张小花", "sex": "F", "birth_date": "2023-02-01",
                    "situation": "parents_special_difficulty", "disabled": False, "in_welfare_institution": False},
        "placing": {"kind": "birth_parents", "names": ["张三", "赵四"], "both_place": True,
                    "other_parent_unknown_or_missing": False, "special_difficulty": True},
        "consents": {"adoptee": False, "birth_parent": False, "spouses": True, "support_obligors": False},
        "assessment": {"body": "南京市玄武区民政局", "assessors": ["周敏", "陈立"],
                       "performed_by_civil_affairs_office": True, "started": "2026-04-01",
                       "finished": "2026-05-20", "areas": ["经济状况", "家庭关系", "健康状况"],
                       "conclusion": "suitable"},
        "public_notice": None,
    }


SINGLE_MAN = {"adopters": [adopter("陈志强", "M", "1980-01-01")]}

# CC 1103: a stepfather, married to the child's mother; both birth parents place, neither has any
# special difficulty; no assessment (AE 2).
STEP_PARENT = {
    "relationship": "step_parent",
    "adopters": [adopter("刘强", "M", "1988-01-01", marital_status="married")],
    "adoptee.situation": "parents_able",
    "placing.special_difficulty": False,
    "consents.birth_parent": True,
    "assessment": None,
}
# CC 1099 first paragraph: the child of the couple's cousin, whose parents could raise it.
COLLATERAL = {
    "relationship": "collateral_relative_same_generation",
    "adoptee.situation": "parents_able",
    "placing.special_difficulty": False,
}
OVERSEAS = {"adopters.0.overseas_chinese": True, "adopters.1.overseas_chinese": True}
# CC 1100 second paragraph, each of its three children:
ORPHAN = {
    "adoptee.situation": "orphan",
    "placing": {"kind": "guardian", "names": ["孙桂兰"]},
    "consents.support_obligors": True,
}
DISABLED = {"adoptee.disabled": True}
WELFARE_PARENTS_UNKNOWN = {
    "adoptee.situation": "parents_unknown",
    "adoptee.in_welfare_institution": True,
    "placing": {"kind": "welfare_institution", "names": ["南京市儿童福利院"]},
    "public_notice": {"started": "2026-03-01", "days": 60},
}


def with_changes(changes: dict) -> dict:
    data = baseline()
    for path, value in changes.items():
        *parents, last = path.split(".")
        node = data
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        node[int(last) if isinstance(node, list) else last] = copy.deepcopy(value)
    # keep resident ID numbers in step with a changed birth date or sex, unless the row sets one
    for i, person in enumerate(data["adopters"] if isinstance(data["adopters"], list) else []):
        if isinstance(person, dict) and person.get("id_type") == "resident_id" and f"adopters.{i}.id_number" not in changes:
            person["id_number"] = resident_id(person["birth_date"], person["sex"])
    return data


def make(changes: dict | None = None) -> AdoptionCase:
    return AdoptionCase.from_dict(with_changes(changes or {}))


def line(case: AdoptionCase, code: str, field: str | None = None):
    found = [r for r in evaluate(case) if r.code == code and (field is None or r.field == field)]
    assert len(found) == 1, [r.to_dict() for r in evaluate(case) if r.code == code]
    return found[0]


def check(changes: dict, code: str, field: str | None, status: Status, waived_by: tuple[str, ...] = ()):
    case = make(changes)
    result = line(case, code, field)
    assert result.status is status, result.message
    assert result.waived_by_keys == waived_by
    issue_codes = {(i.code, i.field) for i in refusals(case)}
    assert ((result.code, result.field) in issue_codes) == (status is FAILING)
    if status is FAILING:
        assert result.article in result.message and result.message
        assert not can_register(case)
    if status is WAIVED:
        assert result.waived_by and all(k.startswith(("CC", "AE")) for k in waived_by)


def row(id_: str, changes: dict, status: Status, *waived_by: str, field: str | None = None):
    return pytest.param(changes, status, waived_by, field, id=id_)


@pytest.mark.parametrize("changes", [
    pytest.param({}, id="baseline"),
    pytest.param(STEP_PARENT, id="step-parent"),
    pytest.param(COLLATERAL, id="collateral"),
    pytest.param({**COLLATERAL, **OVERSEAS}, id="collateral-overseas"),
    pytest.param(ORPHAN, id="orphan"),
    pytest.param(DISABLED, id="disabled"),
    pytest.param(WELFARE_PARENTS_UNKNOWN, id="welfare-parents-unknown"),
    pytest.param(SINGLE_MAN, id="single-man-40-years-older"),
])
def test_presets_are_registrable_cases(changes):
    case = make(changes)
    assert refusals(case) == []
    assert can_register(case)
    assert established_on(case) == dt.date(2026, 6, 15)  # CC 1105: from the registration date


# --- CC 1093 --------------------------------------------------------------------------------

@pytest.mark.parametrize("changes, status, waived_by, field", [
    row("1093 minor (3 years old)", {}, MET),
    row("1093 turns 18 on the registration date: no longer a minor", {"adoptee.birth_date": "2008-06-15"}, FAILING),
    row("1093 turns 18 the day after: still a minor", {"adoptee.birth_date": "2008-06-16"}, MET),
    row("1103 lifts only 1093(3), not minority", {**STEP_PARENT, "adoptee.birth_date": "2008-06-15"}, FAILING),
    row("1099 lifts only 1093(3), not minority", {**COLLATERAL, "adoptee.birth_date": "2008-06-15"}, FAILING),
])
def test_1093_adoptee_is_a_minor(changes, status, waived_by, field):
    check(changes, "ADOPTEE_MINOR", field, status, waived_by)


@pytest.mark.parametrize("changes, status, waived_by, field", [
    row("1093(1) orphan", ORPHAN, MET),
    row("1093(2) parents cannot be found", WELFARE_PARENTS_UNKNOWN, MET),
    row("1093(3) parents with special difficulty", {}, MET),
    row("1093(3) with 1095: parents lack capacity and may harm the child",
        {"adoptee.situation": "parents_incapable_harmful"}, MET),
    row("1093 parents able to raise the child: not adoptable", {"adoptee.situation": "parents_able"}, FAILING),
    row("1099 waives 1093(3)", COLLATERAL, WAIVED, "CC1099p1"),
    row("1103 waives 1093(3)", STEP_PARENT, WAIVED, "CC1103"),
    row("1100p2 disabled minor does not waive 1093(3)",
        {"adoptee.situation": "parents_able", "adoptee.disabled": True}, FAILING),
])
def test_1093_adoptee_situation(changes, status, waived_by, field):
    check(changes, "ADOPTEE_SITUATION", field, status, waived_by)


# --- CC 1094, 1095, 1096, 1097 ----------------------------------------------------------------

@pytest.mark.parametrize("changes, status, waived_by, field", [
    row("1094(1) guardian of an orphan", ORPHAN, MET),
    row("1094(1) a guardian may not place a child whose parents live",
        {"placing": {"kind": "guardian", "names": ["孙桂兰"]}}, FAILING),
    row("1095 guardian: both parents lack capacity and may seriously harm the child",
        {"placing": {"kind": "guardian", "names": ["孙桂兰"]}, "adoptee.situation": "parents_incapable_harmful"},
        MET),
    row("1094(2) welfare institution raising the child", WELFARE_PARENTS_UNKNOWN, MET),
    row("1094(2) welfare institution, child not in its care",
        {**WELFARE_PARENTS_UNKNOWN, "adoptee.in_welfare_institution": False}, FAILING),
    row("1094(3) birth parents with special difficulty", {}, MET),
    row("1094(3) birth parents without special difficulty", {"placing.special_difficulty": False}, FAILING),
    row("1099 waives 1094(3)", COLLATERAL, WAIVED, "CC1099p1"),
    row("1103 waives 1094(3)", STEP_PARENT, WAIVED, "CC1103"),
    row("1099 waives only 1094(3): a guardian still places orphans only",
        {**COLLATERAL, "placing": {"kind": "guardian", "names": ["孙桂兰"]}}, FAILING),
    row("1094 birth parents cannot place a child recorded as an orphan",
        {"adoptee.situation": "orphan"}, FAILING),
])
def test_1094_1095_placing_party(changes, status, waived_by, field):
    check(changes, "PLACING_PARTY", field, status, waived_by)


@pytest.mark.parametrize("changes, status, waived_by, field", [
    row("1096 guardian places orphan with consent of those obliged to support", ORPHAN, MET),
    row("1096 guardian places orphan without that consent", {**ORPHAN, "consents.support_obligors": False}, FAILING),
    row("1100p2 (orphan, disabled) does not waive 1096",
        {**ORPHAN, **DISABLED, "consents.support_obligors": False}, FAILING),
    row("1096 birth parents placing: not applicable", {}, NA),
    row("1096 guardian under 1095 (not an orphan): not applicable",
        {"placing": {"kind": "guardian", "names": ["孙桂兰"]}, "adoptee.situation": "parents_incapable_harmful"},
        NA),
])
def test_1096_support_obligors_consent(changes, status, waived_by, field):
    check(changes, "SUPPORT_OBLIGORS_CONSENT", field, status, waived_by)


ONE_PARENT_PLACES = {"placing.both_place": False, "placing.names": ["张三"]}


@pytest.mark.parametrize("changes, status, waived_by, field", [
    row("1097 both birth parents place", {}, MET),
    row("1097 one places, the other unknown or cannot be found",
        {**ONE_PARENT_PLACES, "placing.other_parent_unknown_or_missing": True}, MET),
    row("1097 one places alone", ONE_PARENT_PLACES, FAILING),
    row("1103 does not waive 1097", {**STEP_PARENT, **ONE_PARENT_PLACES}, FAILING),
    row("1099 does not waive 1097", {**COLLATERAL, **ONE_PARENT_PLACES}, FAILING),
    row("1097 welfare institution placing: not applicable", WELFARE_PARENTS_UNKNOWN, NA),
])
def test_1097_birth_parents_place_jointly(changes, status, waived_by, field):
    check(changes, "BIRTH_PARENTS_JOINTLY", field, status, waived_by)


# --- CC 1098 --------------------------------------------------------------------------------

TWO_CHILDREN = {"adopters.0.children_count": 2}


@pytest.mark.parametrize("changes, status, waived_by, field", [
    row("1098(1) no child", {}, MET),
    row("1098(1) one child", {"adopters.0.children_count": 1}, MET),
    row("1098(1) two children", TWO_CHILDREN, FAILING),
    row("1098(1) each adopter: the wife has two children", {"adopters.1.children_count": 2}, FAILING,
        field="adopters[1].children_count"),
    row("1103 waives 1098", {**STEP_PARENT, **TWO_CHILDREN}, WAIVED, "CC1103"),
    row("1100p2 orphan waives 1098(1)", {**ORPHAN, **TWO_CHILDREN}, WAIVED, "CC1100p2"),
    row("1100p2 disabled minor waives 1098(1)", {**DISABLED, **TWO_CHILDREN}, WAIVED, "CC1100p2"),
    row("1100p2 welfare child, parents unknown, waives 1098(1)",
        {**WELFARE_PARENTS_UNKNOWN, **TWO_CHILDREN}, WAIVED, "CC1100p2"),
    row("1100p2 needs parents unknown: welfare child with known parents does not waive 1098(1)",
        {**TWO_CHILDREN, "adoptee.in_welfare_institution": True}, FAILING),
    row("1099p2 overseas Chinese adopting a collateral relative's child waives 1098(1)",
        {**COLLATERAL, **OVERSEAS, **TWO_CHILDREN}, WAIVED, "CC1099p2"),
    row("1099p1 alone (not overseas Chinese) does not waive 1098(1)", {**COLLATERAL, **TWO_CHILDREN}, FAILING),
    row("1099p2 needs the collateral relationship", {**OVERSEAS, **TWO_CHILDREN}, FAILING),
])
def test_1098_1_children(changes, status, waived_by, field):
    check(changes, "ADOPTER_CHILDREN", field or "adopters[0].children_count", status, waived_by)


@pytest.mark.parametrize("code, declaration", [
    ("ADOPTER_ABLE", "able_to_raise"),                      # 1098(2)
    ("ADOPTER_HEALTH", "no_unfit_disease"),                 # 1098(3)
    ("ADOPTER_RECORD", "no_harmful_criminal_record"),       # 1098(4)
])
@pytest.mark.parametrize("changes, status, waived_by, field", [
    row("1098(2)-(4) declared", {}, MET),
    row("1098(2)-(4) not declared", {"adopters.1.{d}": False}, FAILING, field="adopters[1].{d}"),
    row("1103 waives 1098", {**STEP_PARENT, "adopters.0.{d}": False}, WAIVED, "CC1103"),
    row("1100p2 waives only 1098(1)", {**ORPHAN, "adopters.0.{d}": False}, FAILING),
    row("1099p2 waives only 1098(1)", {**COLLATERAL, **OVERSEAS, "adopters.0.{d}": False}, FAILING),
])
def test_1098_2_to_4_declarations(code, declaration, changes, status, waived_by, field):
    changes = {k.format(d=declaration): v for k, v in changes.items()}
    check(changes, code, (field or "adopters[0].{d}").format(d=declaration), status, waived_by)


@pytest.mark.parametrize("changes, status, waived_by, field", [
    row("1098(5) 30th birthday on the registration date", {"adopters.0.birth_date": "1996-06-15"}, MET),
    row("1098(5) one day short of 30", {"adopters.0.birth_date": "1996-06-16"}, FAILING),
    row("1098(5) each adopter: the wife is 29", {"adopters.1.birth_date": "1997-01-01"}, FAILING,
        field="adopters[1].birth_date"),
    row("1098(5) born 29 Feb: not yet 30 on 28 Feb",
        {"adopters.0.birth_date": "1996-02-29", "registration_date": "2026-02-28"}, FAILING),
    row("1098(5) born 29 Feb: 30 on 1 March",
        {"adopters.0.birth_date": "1996-02-29", "registration_date": "2026-03-01"}, MET),
    row("1103 waives 1098(5)", {**STEP_PARENT, "adopters.0.birth_date": "2000-01-01"}, WAIVED, "CC1103"),
    row("1099 does not waive 1098(5)", {**COLLATERAL, **OVERSEAS, "adopters.0.birth_date": "1996-06-16"}, FAILING),
    row("1100p2 does not waive 1098(5)", {**ORPHAN, "adopters.0.birth_date": "1996-06-16"}, FAILING),
])
def test_1098_5_adopter_at_least_30(changes, status, waived_by, field):
    check(changes, "ADOPTER_AGE", field or "adopters[0].birth_date", status, waived_by)


# --- CC 1100 --------------------------------------------------------------------------------

@pytest.mark.parametrize("changes, status, waived_by, field", [
    row("1100p1 no child: first adoption", {}, MET),
    row("1100p1 no child may adopt two: second adoption",
        {"adopters.0.children_count": 1, "adopters.0.adopted_children_count": 1}, MET),
    row("1100p1 no child: a third adoption exceeds two",
        {"adopters.0.children_count": 2, "adopters.0.adopted_children_count": 2}, FAILING),
    row("1100p1 one child may adopt one", {"adopters.0.children_count": 1}, MET),
    row("1100p1 one child: a second adoption exceeds one",
        {"adopters.0.children_count": 2, "adopters.0.adopted_children_count": 1}, FAILING),
    row("1100p2 orphan exempt from the number limit",
        {**ORPHAN, "adopters.0.children_count": 2, "adopters.0.adopted_children_count": 2}, WAIVED, "CC1100p2"),
    row("1100p2 disabled minor exempt",
        {**DISABLED, "adopters.0.children_count": 2, "adopters.0.adopted_children_count": 2}, WAIVED, "CC1100p2"),
    row("1100p2 welfare child with parents unknown exempt",
        {**WELFARE_PARENTS_UNKNOWN, "adopters.0.children_count": 2, "adopters.0.adopted_children_count": 2},
        WAIVED, "CC1100p2"),
    row("1103 waives 1100p1",
        {**STEP_PARENT, "adopters.0.children_count": 2, "adopters.0.adopted_children_count": 1}, WAIVED, "CC1103"),
    row("1099p2 lifts 1098(1) but not 1100p1: overseas Chinese with 2 children adopting a second",
        {**COLLATERAL, **OVERSEAS, "adopters.0.children_count": 3, "adopters.0.adopted_children_count": 1},
        FAILING),
    row("1099p2 overseas Chinese with 2 children: first adoption",
        {**COLLATERAL, **OVERSEAS, "adopters.0.children_count": 2}, MET),
])
def test_1100_number_of_adoptions(changes, status, waived_by, field):
    check(changes, "ADOPTION_NUMBER", field or "adopters[0].adopted_children_count", status, waived_by)


# --- CC 1101 --------------------------------------------------------------------------------

MARRIED_ALONE = {"adopters": [adopter("王建国", "M", "1980-01-01", marital_status="married")]}


@pytest.mark.parametrize("changes, status, waived_by, field", [
    row("1101 spouses adopt jointly, both consent", {}, MET),
    row("1101 spouses adopt jointly, consent not recorded", {"consents.spouses": False}, FAILING),
    row("1101 married person adopts alone", MARRIED_ALONE, FAILING),
    row("1101 two adopters who are not spouses",
        {"adopters": [adopter("王建国", "M", "1980-01-01"), adopter("李秀英", "F", "1981-01-01")]}, FAILING),
    row("1101 unmarried single adopter: not applicable", SINGLE_MAN, NA),
    row("1101 step-parent: the spouse is the birth parent", STEP_PARENT, NA),
    row("1099 does not waive 1101", {**COLLATERAL, **MARRIED_ALONE}, FAILING),
    row("1100p2 does not waive 1101", {**ORPHAN, **MARRIED_ALONE}, FAILING),
])
def test_1101_married_adopt_jointly(changes, status, waived_by, field):
    check(changes, "JOINT_WITH_SPOUSE", field, status, waived_by)


# --- CC 1102 --------------------------------------------------------------------------------

def single(sex: str, birth: str, **overrides) -> dict:
    return {"adopters": [adopter("陈志强" if sex == "M" else "陈玉梅", sex, birth, **overrides)]}


@pytest.mark.parametrize("changes, status, waived_by, field", [
    row("1102 single man, girl, exactly 40 years older (same day)", single("M", "1983-02-01"), MET),
    row("1102 single man, girl, one day short of 40", single("M", "1983-02-02"), FAILING),
    row("1102 single man, girl, 40 years and a day", single("M", "1983-01-31"), MET),
    row("1102 born 29 Feb, child born 28 Feb forty years on: 39",
        {**single("M", "1980-02-29"), "adoptee.birth_date": "2020-02-28"}, FAILING),
    row("1102 born 29 Feb, child born 29 Feb forty years on: 40",
        {**single("M", "1980-02-29"), "adoptee.birth_date": "2020-02-29"}, MET),
    row("1102 divorced woman adopting a boy, 35 years older",
        {**single("F", "1988-01-01", marital_status="divorced"), "adoptee.sex": "M"}, FAILING),
    row("1102 single woman adopting a girl: not applicable", single("F", "1988-01-01"), NA),
    row("1102 spouses adopting together: not applicable", {}, NA),
    row("1099 waives 1102", {**COLLATERAL, **single("M", "1988-01-01")}, WAIVED, "CC1099p1"),
    row("1100p2 orphan does not waive 1102", {**ORPHAN, **single("M", "1988-01-01")}, FAILING),
    row("1100p2 disabled does not waive 1102", {**DISABLED, **single("M", "1988-01-01")}, FAILING),
    # 1103 names 1093(3), 1094(3), 1098 and 1100p1 only; a widowed stepfather has no spouse
    row("1103 does not name 1102: widowed stepfather, stepdaughter",
        {**STEP_PARENT, **single("M", "1988-01-01", marital_status="widowed")}, FAILING),
    row("1102 married stepfather has a spouse: not applicable", STEP_PARENT, NA),
])
def test_1102_single_adopter_other_sex_age_gap(changes, status, waived_by, field):
    check(changes, "AGE_GAP_OTHER_SEX", field, status, waived_by)


# --- CC 1103, 1104 --------------------------------------------------------------------------

@pytest.mark.parametrize("changes, status, waived_by, field", [
    row("1103 step-parent with the birth parents' consent", STEP_PARENT, MET),
    row("1103 step-parent without the birth parents' consent", {**STEP_PARENT, "consents.birth_parent": False},
        FAILING),
    row("1103 not a step-parent adoption", {}, NA),
])
def test_1103_step_parent_consent(changes, status, waived_by, field):
    check(changes, "STEP_PARENT_CONSENT", field, status, waived_by)


EIGHT_TODAY = {"adoptee.birth_date": "2018-06-15"}


@pytest.mark.parametrize("changes, status, waived_by, field", [
    row("1104 turns 8 on the registration date, consents", {**EIGHT_TODAY, "consents.adoptee": True}, MET),
    row("1104 turns 8 on the registration date, no consent", EIGHT_TODAY, FAILING),
    row("1104 turns 8 the day after: not applicable", {"adoptee.birth_date": "2018-06-16"}, NA),
    row("1103 does not waive 1104", {**STEP_PARENT, **EIGHT_TODAY}, FAILING),
    row("1099 does not waive 1104", {**COLLATERAL, **EIGHT_TODAY}, FAILING),
    row("1100p2 does not waive 1104", {**ORPHAN, **EIGHT_TODAY}, FAILING),
])
def test_1104_adoptee_aged_8_consents(changes, status, waived_by, field):
    check(changes, "ADOPTEE_CONSENT", field, status, waived_by)


# --- CC 1105 --------------------------------------------------------------------------------

@pytest.mark.parametrize("changes, status, waived_by, field", [
    row("1105p2 60-day notice ended before registration", WELFARE_PARENTS_UNKNOWN, MET),
    row("1105p2 no notice for a child whose parents cannot be found",
        {**WELFARE_PARENTS_UNKNOWN, "public_notice": None}, FAILING),
    # CC 201: the first day is not counted, so a notice from 16 April runs until 15 June inclusive
    row("1105p2 notice ends on the registration date: too early",
        {**WELFARE_PARENTS_UNKNOWN, "public_notice.started": "2026-04-16"}, FAILING),
    row("1105p2 notice ended the day before registration",
        {**WELFARE_PARENTS_UNKNOWN, "public_notice.started": "2026-04-15"}, MET),
    row("AR 8 notice shorter than 60 days", {**WELFARE_PARENTS_UNKNOWN, "public_notice.days": 30}, FAILING),
    row("1105p2 parents known: no notice", {}, NA),
    row("1100p2 exemption does not waive the notice",
        {**WELFARE_PARENTS_UNKNOWN, **DISABLED, "public_notice": None}, FAILING),
])
def test_1105_public_notice(changes, status, waived_by, field):
    check(changes, "PUBLIC_NOTICE", field, status, waived_by)


@pytest.mark.parametrize("code, changes, status, waived_by", [
    ("ASSESSMENT_DONE", {}, MET, ()),
    ("ASSESSMENT_DONE", {"assessment": None}, FAILING, ()),
    ("ASSESSMENT_DONE", {"assessment.finished": "2026-06-16"}, FAILING, ()),
    ("ASSESSMENT_DONE", {"assessment.areas": []}, FAILING, ()),
    ("ASSESSMENT_SUITABLE", {}, MET, ()),
    ("ASSESSMENT_SUITABLE", {"assessment.conclusion": "unsuitable"}, FAILING, ()),
    ("ASSESSMENT_SUITABLE", {"assessment": None}, NA, ()),
    ("ASSESSMENT_ASSESSORS", {}, MET, ()),
    ("ASSESSMENT_ASSESSORS", {"assessment.assessors": ["周敏"]}, FAILING, ()),  # office: two or more
    ("ASSESSMENT_ASSESSORS", {"assessment.assessors": ["周敏"],
                              "assessment.performed_by_civil_affairs_office": False}, MET, ()),
    ("ASSESSMENT_ASSESSORS", {"assessment.assessors": [],
                              "assessment.performed_by_civil_affairs_office": False}, FAILING, ()),
    ("ASSESSMENT_DONE", STEP_PARENT, WAIVED, ("AE2",)),  # AE 2: step-children excepted
    ("ASSESSMENT_SUITABLE", {**STEP_PARENT, "assessment": baseline()["assessment"] | {"conclusion": "unsuitable"}},
     WAIVED, ("AE2",)),
    ("ASSESSMENT_DONE", {**COLLATERAL, "assessment": None}, FAILING, ()),  # only step-children are excepted
    ("ASSESSMENT_DONE", {**ORPHAN, "assessment": None}, FAILING, ()),
], ids=lambda v: v if isinstance(v, str) else None)
def test_1105_assessment(code, changes, status, waived_by):
    check(changes, code, None, status, waived_by)


def test_1105_adoption_exists_only_from_a_registrable_registration():
    assert established_on(make()) == dt.date(2026, 6, 15)
    with pytest.raises(Refused) as exc:
        established_on(make({"adopters.0.birth_date": "1996-06-16", "consents.spouses": False}))
    assert exc.value.codes() == ["ADOPTER_AGE", "JOINT_WITH_SPOUSE"]


# --- what each exemption lifts, all at once ---------------------------------------------------

def test_every_failing_condition_is_a_chinese_issue_with_its_field():
    case = make({**COLLATERAL, "adoptee.birth_date": "2008-06-15", "adopters.0.birth_date": "2000-01-01",
                 "consents.spouses": False, "assessment": None})
    issues = refusals(case)
    assert [(i.code, i.field) for i in issues] == [
        ("ADOPTEE_MINOR", "adoptee.birth_date"),
        ("ADOPTER_AGE", "adopters[0].birth_date"),
        ("JOINT_WITH_SPOUSE", "adopters"),
        ("ADOPTEE_CONSENT", "consents.adoptee"),
        ("ASSESSMENT_DONE", "assessment"),
    ]
    assert all(i.code.isupper() and any("\u4e00" <= c <= "\u9fff" for c in i.message) for i in issues)
    assert "民法典第1098条第5项" in issues[1].message


# --- CC 1114, 1115: dissolution ---------------------------------------------------------------

def dissolution(**changes) -> DissolutionCase:
    data = {
        "adopter_names": ["王建国", "李秀英"], "adoptee_name": "王小花", "adoptee_birth_date": "2016-03-01",
        "placing_party_names": ["张三", "赵四"], "registration_date": REGISTRATION,
        "adopters_agree": True, "placing_party_agrees": True, "adoptee_agrees": True,
    }
    data.update(changes)
    return DissolutionCase.from_dict(data)


@pytest.mark.parametrize("changes, expected", [
    pytest.param({}, {"DISSOLUTION_MINOR_AGREEMENT": MET, "DISSOLUTION_ADOPTEE_CONSENT": MET,
                      "DISSOLUTION_ADULT_AGREEMENT": NA}, id="1114 minor aged 10: adopters, placing party, child agree"),
    pytest.param({"placing_party_agrees": False}, {"DISSOLUTION_MINOR_AGREEMENT": FAILING},
                 id="1114 minor: no agreement of the placing party"),
    pytest.param({"adopters_agree": False}, {"DISSOLUTION_MINOR_AGREEMENT": FAILING},
                 id="1114 minor: adopter does not agree (no unilateral dissolution)"),
    pytest.param({"adoptee_birth_date": "2018-06-15", "adoptee_agrees": False},
                 {"DISSOLUTION_ADOPTEE_CONSENT": FAILING, "DISSOLUTION_MINOR_AGREEMENT": MET},
                 id="1114 turns 8 on the registration date: consent needed"),
    pytest.param({"adoptee_birth_date": "2018-06-16", "adoptee_agrees": False},
                 {"DISSOLUTION_ADOPTEE_CONSENT": NA}, id="1114 turns 8 the day after: no consent needed"),
    pytest.param({"adoptee_birth_date": "2008-06-16", "placing_party_agrees": False},
                 {"DISSOLUTION_MINOR_AGREEMENT": FAILING, "DISSOLUTION_ADULT_AGREEMENT": NA},
                 id="1114 turns 18 the day after: still a minor, placing party needed"),
    pytest.param({"adoptee_birth_date": "2008-06-15", "placing_party_agrees": False},
                 {"DISSOLUTION_ADULT_AGREEMENT": MET, "DISSOLUTION_MINOR_AGREEMENT": NA},
                 id="1115 turns 18 on the registration date: adopters and adoptee agree"),
    pytest.param({"adoptee_birth_date": "2000-01-01", "adoptee_agrees": False},
                 {"DISSOLUTION_ADULT_AGREEMENT": FAILING}, id="1115 adult adoptee does not agree"),
    pytest.param({"adoptee_birth_date": "2000-01-01", "adopters_agree": False},
                 {"DISSOLUTION_ADULT_AGREEMENT": FAILING}, id="1115 adoptive parents do not agree"),
])
def test_1114_1115_dissolution(changes, expected):
    d = dissolution(**changes)
    statuses = {r.code: r.status for r in evaluate_dissolution(d)}
    for code, status in expected.items():
        assert statuses[code] is status, code
    failing = {c for c, s in statuses.items() if s is FAILING}
    assert {i.code for i in dissolution_refusals(d)} == failing
    assert can_register_dissolution(d) == (not failing)


def test_1114_refusal_points_to_the_court_for_contested_cases():
    [issue] = dissolution_refusals(dissolution(placing_party_agrees=False))
    assert issue.field == "placing_party_agrees"
    assert "人民法院" in issue.message and "民法典第1114条第1款" in issue.message


# --- the case file --------------------------------------------------------------------------

def test_case_round_trips_through_its_dictionary():
    for changes in ({}, STEP_PARENT, WELFARE_PARENTS_UNKNOWN, ORPHAN):
        case = make(changes)
        assert AdoptionCase.from_dict(case.to_dict()) == case
    d = dissolution()
    assert DissolutionCase.from_dict(d.to_dict()) == d


@pytest.mark.parametrize("changes, code, field", [
    ({"registration_date": None}, "FIELD_MISSING", "registration_date"),
    ({"registration_date": "2026-02-30"}, "FIELD_INVALID", "registration_date"),
    ({"registration_date": "9999-01-01"}, "FIELD_INVALID", "registration_date"),
    ({"adopters": []}, "ADOPTER_COUNT", "adopters"),
    ({"adopters": [adopter("甲", "M", "1980-01-01")] * 3}, "ADOPTER_COUNT", "adopters"),
    ({"adopters": "王建国"}, "FIELD_INVALID", "adopters"),
    ({"adopters.0.children_count": "two"}, "FIELD_INVALID", "adopters[0].children_count"),
    ({"adopters.0.children_count": True}, "FIELD_INVALID", "adopters[0].children_count"),
    ({"adopters.0.children_count": -1}, "FIELD_INVALID", "adopters[0].children_count"),
    ({"adopters.0.adopted_children_count": 1}, "ADOPTED_COUNT_INVALID", "adopters[0].adopted_children_count"),
    ({"adopters.1.sex": "X"}, "FIELD_INVALID", "adopters[1].sex"),
    ({"adopters.0.id_number": "320102199005010000"}, "ID_CHECK_CHAR", "adopters[0].id_number"),
    ({"adopters.0.id_number": resident_id("1990-05-02", "M")}, "ID_BIRTH_MISMATCH", "adopters[0].birth_date"),
    ({"adopters.0.id_number": resident_id("1990-05-01", "F")}, "ID_SEX_MISMATCH", "adopters[0].sex"),
    ({"adopters.0.id_type": "none", "adopters.0.id_number": ""}, "ADOPTER_ID_MISSING", "adopters[0].id_type"),
    ({"adopters.0.marital_status": "single", }, "FIELD_INVALID", "adopters[0].marital_status"),
    ({"adopters": [adopter("甲", "M", "1980-01-01", spouse_joins=True)]}, "SPOUSE_JOINS_UNMARRIED",
     "adopters[0].spouse_joins"),
    ({"adopters.0.able_to_raise": "yes"}, "FIELD_INVALID", "adopters[0].able_to_raise"),
    ({"adoptee.situation": "abandoned"}, "FIELD_INVALID", "adoptee.situation"),
    ({"adoptee.birth_date": "2026-06-16"}, "BIRTH_AFTER_REGISTRATION", "adoptee.birth_date"),
    ({"adoptee.id_number": "123"}, "ID_LENGTH", "adoptee.id_number"),
    ({"placing": {"kind": "birth_parents", "names": ["张三"], "both_place": True}}, "PLACING_NAMES_BOTH",
     "placing.names"),
    ({"placing.names": []}, "FIELD_MISSING", "placing.names"),
    ({"relationship": "cousin"}, "FIELD_INVALID", "relationship"),
    ({"consents": ["adoptee"]}, "CASE_FORMAT", "consents"),
    ({"assessment.finished": "2026-03-01"}, "ASSESSMENT_DATES", "assessment.finished"),
    ({"assessment.assessors": "周敏"}, "FIELD_INVALID", "assessment.assessors"),
    ({"public_notice": {"started": "2026-03-01", "days": 0}}, "NOTICE_DAYS_INVALID", "public_notice.days"),
])
def test_malformed_case_files_are_refused_with_issues(changes, code, field):
    with pytest.raises(Refused) as exc:
        make(changes)
    assert (code, field) in [(i.code, i.field) for i in exc.value.issues]


def test_every_mistake_in_a_case_file_is_reported_at_once():
    data = with_changes({"registration_date": "soon", "adopters.1.sex": None, "adoptee.sex": 1})
    with pytest.raises(Refused) as exc:
        AdoptionCase.from_dict(data)
    assert {i.field for i in exc.value.issues} == {"registration_date", "adopters[1].sex", "adoptee.sex"}


def test_a_case_file_that_is_not_an_object_is_refused():
    for data in (None, [], "case", 3):
        with pytest.raises(Refused) as exc:
            AdoptionCase.from_dict(data)
        assert exc.value.codes() == ["CASE_FORMAT"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
    | st.sampled_from(["2026-06-15", "1990-05-01", "married", "orphan", "guardian", "M", "F", "resident_id"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=20,
)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, prefix + (i,))


BASELINE_PATHS = [p for p in _paths(baseline()) if p]


def _evaluates_or_refuses(build, data):
    try:
        case = build(data)
    except Refused as exc:
        assert exc.issues and all(i.code and i.message for i in exc.issues)
        return
    results = evaluate(case) if isinstance(case, AdoptionCase) else evaluate_dissolution(case)
    assert all(isinstance(r.status, Status) for r in results)


@settings(max_examples=300, deadline=None)
@given(data=st.dictionaries(st.text(max_size=20), json_values, max_size=8) | json_values)
def test_from_dict_refuses_arbitrary_input_with_issues(data):
    _evaluates_or_refuses(AdoptionCase.from_dict, data)
    _evaluates_or_refuses(DissolutionCase.from_dict, data)


@settings(max_examples=400, deadline=None)
@given(path=st.sampled_from(BASELINE_PATHS), value=json_values)
def test_from_dict_refuses_a_corrupted_field_with_issues(path, value):
    data = baseline()
    node = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    _evaluates_or_refuses(AdoptionCase.from_dict, data)
