"""The grounds on which a court declares a marriage invalid or revokes it, as the Civil Code gives them, and a
judgment as the office records it (domain/annulment.py): no database needed."""
from __future__ import annotations

import datetime as dt

import pytest

from registry_app.domain.annulment import EFFECTS, GROUNDS, INVALID, REVOKED, Judgment, effect_of, ground_issue
from registry_app.domain.states import MarriageState
from registry_app.errors import Refused

TODAY = dt.date(2026, 6, 15)

# (ground, effect, article) from the Civil Code's text
LAW = [
    ("bigamy", INVALID, 1051),                 # 1051(1) 重婚
    ("prohibited_kinship", INVALID, 1051),     # 1051(2) 有禁止结婚的亲属关系
    ("under_age", INVALID, 1051),              # 1051(3) 未到法定婚龄
    ("coercion", REVOKED, 1052),               # 1052 因胁迫结婚的，受胁迫的一方可以向人民法院请求撤销婚姻
    ("illness_not_disclosed", REVOKED, 1053),  # 1053 一方患有重大疾病的，应当在结婚登记前如实告知另一方
]


def test_the_grounds_are_exactly_the_civil_codes():
    assert {g: (v.effect, v.article) for g, v in GROUNDS.items()} == {g: (e, a) for g, e, a in LAW}


@pytest.mark.parametrize(("ground", "effect", "article"), LAW)
def test_each_ground_names_its_article_and_fits_only_its_effect(ground, effect, article):
    assert GROUNDS[ground].text.endswith(f"（民法典第{article}条）")
    assert ground_issue(effect, ground) is None
    other = REVOKED if effect == INVALID else INVALID
    assert ground_issue(other, ground).code == "JUDGMENT_GROUND_MISMATCH"


def test_an_unknown_ground_is_refused_and_none_is_allowed():
    assert ground_issue(INVALID, "adultery").code == "JUDGMENT_GROUND_INVALID"
    assert ground_issue(INVALID, "") is None


@pytest.mark.parametrize(("effect", "status"), [(INVALID, MarriageState.INVALIDATED), (REVOKED, MarriageState.REVOKED)])
def test_each_effect_sets_its_marriage_state_and_is_read_back_from_it(effect, status):
    assert EFFECTS[effect].status == status
    assert effect_of(status) == EFFECTS[effect]


def test_other_states_record_no_judgment():
    assert {s for s in MarriageState if effect_of(s) is not None} == {MarriageState.INVALIDATED, MarriageState.REVOKED}


JUDGMENT = {"court": "南京市玄武区人民法院", "case_number": "（2026）苏0102民初1号", "judgment_date": "2026-06-01",
            "effect": "invalid", "ground": "bigamy", "archive_number": "DA-2026-1"}


def test_a_judgment_parses_and_its_default_remark_cites_the_article():
    j = Judgment.from_dict(JUDGMENT, TODAY)
    assert j.judgment_date == dt.date(2026, 6, 1) and j.effective_date is None
    assert j.default_remark() == ("经南京市玄武区人民法院（（2026）苏0102民初1号）判决，婚姻无效，"
                                  "理由：重婚（民法典第1051条）。档案号：DA-2026-1。")


@pytest.mark.parametrize(("change", "codes"), [
    ({"court": " "}, {"JUDGMENT_COURT_REQUIRED"}),
    ({"case_number": None}, {"JUDGMENT_CASE_NUMBER_REQUIRED"}),
    ({"archive_number": ""}, {"ARCHIVE_NUMBER_REQUIRED"}),
    ({"judgment_date": "2026-13-01"}, {"JUDGMENT_DATE_INVALID"}),
    ({"judgment_date": "2026-06-16"}, {"JUDGMENT_DATE_FUTURE"}),
    ({"effective_date": "2026-05-31"}, {"JUDGMENT_DATE_INVALID"}),
    ({"effect": "annulled"}, {"JUDGMENT_EFFECT_INVALID"}),
    ({"effect": ["invalid"]}, {"JUDGMENT_EFFECT_INVALID"}),  # not a string: refused, not a crash
    ({"effect": "revoked"}, {"JUDGMENT_GROUND_MISMATCH"}),
    ({"ground": "adultery"}, {"JUDGMENT_GROUND_INVALID"}),
    ({"remark": 5}, {"REQUEST_MALFORMED", "FIELD_TYPE_INVALID"}),
])
def test_a_bad_judgment_is_refused_with_its_reason(change, codes):
    with pytest.raises(Refused) as exc:
        Judgment.from_dict({**JUDGMENT, **change}, TODAY)
    assert {i.code for i in exc.value.issues} & codes
