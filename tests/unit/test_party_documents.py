"""A party's document as the rules see it: the number decides the document, not only the type the clerk
chose (the designated-office rule, 婚姻登记条例 2025), and a number that carries a birth date and sex must
agree with the typed ones."""
from __future__ import annotations

import datetime as dt

import pytest

from registry_app.domain.adoption import AdoptionCase
from registry_app.domain.gb11643 import check_character
from registry_app.domain.marriage_rules import MarriageDeclarations, PartyStanding, eligibility_issues
from registry_app.domain.parties import PersonInput, person_issues
from registry_app.errors import Refused
from tests.factories import person
from tests.unit.test_adoption_rules import adopter, baseline

TODAY = dt.date(2026, 6, 15)


def gb(first17: str) -> str:
    return first17 + check_character(first17)


HK_PERMIT_M = gb("81000019900101123")       # man born 1990-01-01
PR_2023_M = gb("91184019900101123")         # US national accepted in Beijing, man born 1990-01-01
PR_2017 = "USA119001011234"                 # 2017 card; birth date read from it is unverified


def party(number: str, id_type: str = "resident_id", **changes) -> PersonInput:
    p, issues = PersonInput.from_dict({**person("张伟", "M", dt.date(1990, 1, 1)), "id_type": id_type,
                                       "id_number": number, **changes}, "party1")
    assert not issues
    return p


@pytest.mark.parametrize(
    "number, becomes",
    [(HK_PERMIT_M, "hmt_residence_permit"), (PR_2023_M, "foreign_pr_card"), (PR_2017, "foreign_pr_card")],
)
def test_a_permit_or_pr_card_keyed_as_a_resident_id_becomes_that_document(number, becomes):
    p = party(number)
    assert person_issues(p, "party1", TODAY) == []
    assert p.id_type == becomes


@pytest.mark.parametrize(
    "number, id_type, change, code",
    [
        (HK_PERMIT_M, "hmt_residence_permit", {"birth_date": "1990-01-02"}, "BIRTH_DATE_MISMATCH"),
        (HK_PERMIT_M, "resident_id", {"sex": "F"}, "SEX_MISMATCH"),
        (PR_2023_M, "foreign_pr_card", {"birth_date": "1991-01-01"}, "BIRTH_DATE_MISMATCH"),
        (PR_2023_M, "resident_id", {"sex": "F"}, "SEX_MISMATCH"),
    ],
)
def test_birth_date_and_sex_must_agree_with_the_document(number, id_type, change, code):
    p = party(number, id_type, **change)
    assert code in [i.code for i in person_issues(p, "party1", TODAY)]


def test_the_unverified_2017_layout_is_never_held_against_the_typed_birth_date():
    p = party(PR_2017, "foreign_pr_card", birth_date="1985-07-07")
    assert person_issues(p, "party1", TODAY) == []


def test_an_empty_birth_date_is_filled_from_a_residence_permit():
    p = party(HK_PERMIT_M, "hmt_residence_permit", birth_date="")
    assert person_issues(p, "party1", TODAY) == [] and p.birth_date == dt.date(1990, 1, 1)


def _eligibility(number: str, handles_foreign: bool, id_type: str = "resident_id"):
    man = party(number, id_type)
    woman, _ = PersonInput.from_dict(person("李娜", "F", dt.date(1992, 2, 2)), "party2")
    decl = MarriageDeclarations(True, True, True)
    return eligibility_issues(man, woman, TODAY, PartyStanding(), PartyStanding(), decl, handles_foreign)


@pytest.mark.parametrize(
    "number, id_type, named",
    [
        (HK_PERMIT_M, "resident_id", "港澳台居民居住证"),     # the bypass of issue 20
        (PR_2023_M, "resident_id", "外国人永久居留身份证"),
        (PR_2017, "resident_id", "外国人永久居留身份证"),
        (HK_PERMIT_M, "hmt_residence_permit", "港澳台居民居住证"),
        ("E12345678", "passport", "护照"),
    ],
)
def test_the_designated_office_rule_follows_the_document(number, id_type, named):
    refused = [i for i in _eligibility(number, False, id_type) if i.code == "FOREIGN_CASE_NOT_HANDLED"]
    assert len(refused) == 1 and named in refused[0].message and "省级指定" in refused[0].message
    assert _eligibility(number, True, id_type) == []


def test_a_mainland_resident_id_is_not_a_designated_office_case():
    assert _eligibility(gb("32010219900101123"), False) == []


def _adoption(number: str) -> dict:
    case = baseline()
    case["adopters"][0] = adopter(case["adopters"][0]["name"], "M", "1990-01-01", id_number=number,
                                  marital_status="married", spouse_joins=True)
    return case


@pytest.mark.parametrize("number, becomes", [(HK_PERMIT_M, "hmt_residence_permit"),
                                             (PR_2023_M, "foreign_pr_card")])
def test_an_adopter_keyed_as_a_resident_id_becomes_that_document(number, becomes):
    case = AdoptionCase.from_dict(_adoption(number))
    assert case.adopters[0].id_type.value == becomes and case.adopters[0].id_type.is_foreign_or_hmt


def test_an_adopters_residence_permit_must_agree_with_the_typed_sex():
    case = _adoption(HK_PERMIT_M)
    case["adopters"][0]["sex"] = "F"
    with pytest.raises(Refused) as err:
        AdoptionCase.from_dict(case)
    assert "ID_SEX_MISMATCH" in err.value.codes()
