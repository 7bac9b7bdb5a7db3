"""The divorce-by-agreement rules as the law states them (domain/divorce_rules.py), without a database:
each case names its source, the code it gives, and whether that is a legal refusal or missing input."""
from __future__ import annotations

import copy

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry_app.domain.divorce_rules import (
    REFUSAL_CODES,
    DivorceCheck,
    MarriageOnRecord,
    agreement_issues,
    capacity_issues,
    certificate_issues,
    is_refusal,
    marriage_issues,
)
from registry_app.errors import Issue

AGREEMENT = {"will_to_divorce": True, "signed_text": "离婚协议书……", "has_children": True,
             "children": [{"name": "张小明", "birth_date": "2015-04-01", "custody": "party2", "support_amount": 1500}],
             "property": [{"item": "住房", "to": "party2"}], "debts": []}
IDS = frozenset({"110105199003082316", "11010519971120002X"})


def changed(base: dict, path: str, value) -> dict:
    out = copy.deepcopy(base)
    *head, last = path.split(".")
    target = out
    for key in head:
        target = target[int(key)] if key.isdigit() else target[key]
    if value is ...:
        del target[last]
    else:
        target[last] = value
    return out


# (source, change to a complete agreement, code, refusal?)
AGREEMENT_CASES = [
    ("CC 1076: the will to divorce, answered no", "will_to_divorce", False, "NO_AGREEMENT", True),
    ("CC 1076: the will to divorce, not yet confirmed", "will_to_divorce", None, "AGREEMENT_WILL_MISSING", False),
    ("CC 1076: a written agreement", "signed_text", "  ", "AGREEMENT_TEXT_MISSING", False),
    ("CC 1076: children's custody", "children.0.custody", "grandparents", "CHILD_ARRANGEMENT_INCOMPLETE", False),
    ("CC 1076: children's names", "children.0.name", "", "CHILD_ARRANGEMENT_INCOMPLETE", False),
    ("CC 1076: children's support", "children.0.support_amount", ..., "CHILD_SUPPORT_MISSING", False),
    ("CC 1076: support is an amount", "children.0.support_amount", True, "CHILD_SUPPORT_MISSING", False),
    ("CC 1076: a child's birth date", "children.0.birth_date", "2015-02-30", "CHILD_ARRANGEMENT_INCOMPLETE", False),
    ("CC 1076: children declared, none arranged", "children", [], "CHILD_ARRANGEMENT_INCOMPLETE", False),
    ("CC 1076: property", "property", ..., "AGREEMENT_ITEM_MISSING", False),
    ("CC 1076: debts", "debts", "无", "AGREEMENT_ITEM_MISSING", False),
]


def test_a_complete_agreement_passes():
    assert agreement_issues(AGREEMENT) == []
    assert agreement_issues(changed(AGREEMENT, "has_children", False) | {"children": []}) == []


@pytest.mark.parametrize("source, path, value, code, refusal", AGREEMENT_CASES, ids=[c[0] for c in AGREEMENT_CASES])
def test_agreement_rules(source, path, value, code, refusal):
    issues = agreement_issues(changed(AGREEMENT, path, value))
    assert [i.code for i in issues] == [code]
    assert is_refusal(issues[0]) is refusal
    assert issues[0].field and issues[0].field.startswith("agreement.")


@pytest.mark.parametrize("source, value, code, refusal", [
    ("R25: full civil capacity", True, None, None),
    ("R25: without full capacity, to court", False, "LACKS_CAPACITY", True),
    ("R25: capacity not yet confirmed", None, "CAPACITY_NOT_CONFIRMED", False),
])
def test_capacity(source, value, code, refusal):
    issues = capacity_issues({"party1": True, "party2": value})
    assert [i.code for i in issues] == ([code] if code else [])
    if code:
        assert issues[0].field == "capacity.party2" and is_refusal(issues[0]) is refusal


@pytest.mark.parametrize("source, states, codes", [
    ("WS: both certificates handed in", ("present", "present"), []),
    ("WS: one lost, declared in writing", ("present", "lost_declared"), []),
    ("WS: both lost need the archive copy", ("lost_declared", "lost_declared"), ["ARCHIVE_COPY_REQUIRED"]),
    ("WS: both lost, archive copy given", ("lost_declared", "lost_declared_with_archive_copy"), []),
    ("WS: not stated", (None, "present"), ["MARRIAGE_CERTIFICATE_MISSING"]),
])
def test_certificates(source, states, codes):
    issues = certificate_issues(dict(zip(("party1", "party2"), states)))
    assert [i.code for i in issues] == codes
    assert not any(map(is_refusal, issues))  # documents still to hand in: never a refusal


@pytest.mark.parametrize("source, on_record, named, elsewhere, codes", [
    ("CC 1076: a live marriage of this office", MarriageOnRecord("registered", IDS), True, None, []),
    ("no marriage to dissolve", MarriageOnRecord("dissolved", IDS), True, None, ["MARRIAGE_NOT_LIVE"]),
    ("annulled by a court (CC 1052)", MarriageOnRecord("revoked", IDS), True, None, ["MARRIAGE_NOT_LIVE"]),
    ("one application at a time", MarriageOnRecord("divorce_pending", IDS), True, None, ["DIVORCE_ALREADY_PENDING"]),
    ("the applicants are the spouses", MarriageOnRecord("registered", frozenset({"x", "y"})), True, None,
     ["PARTIES_NOT_MATCH_MARRIAGE"]),
    ("a record number that names nothing", None, True, None, ["MARRIAGE_NOT_FOUND"]),
    ("no marriage named", None, False, None, ["MARRIAGE_NOT_FOUND"]),
    ("R25: another mainland office", None, False, {"registered_in": "mainland", "certificate_no": "J1"}, []),
    ("R25: a Chinese mission abroad", None, False, {"registered_in": "mission", "archive_no": "A1"}, []),
    ("R25: not registered in the mainland", None, False, {"registered_in": "abroad", "certificate_no": "J1"},
     ["MARRIAGE_NOT_MAINLAND"]),
    ("where not yet chosen", None, False, {"registered_in": "", "certificate_no": "J1"},
     ["MARRIAGE_REGISTERED_IN_MISSING"]),
    ("WS: certificate or archive number", None, False, {"registered_in": "mainland"}, ["MARRIAGE_REFERENCE_MISSING"]),
])
def test_marriage_to_dissolve(source, on_record, named, elsewhere, codes):
    assert [i.code for i in marriage_issues(on_record, named, elsewhere, set(IDS))] == codes


def test_refusals_are_exactly_the_legal_grounds():
    # R25's three grounds, and the marriage facts that leave nothing to dissolve by agreement
    assert REFUSAL_CODES == {"NO_AGREEMENT", "LACKS_CAPACITY", "MARRIAGE_NOT_MAINLAND", "MARRIAGE_NOT_LIVE",
                             "DIVORCE_ALREADY_PENDING", "PARTIES_NOT_MATCH_MARRIAGE"}


@given(st.lists(st.sampled_from(sorted(REFUSAL_CODES) + ["AGREEMENT_TEXT_MISSING", "CAPACITY_NOT_CONFIRMED",
                                                          "ID_CHECK_CHAR", "NAME_REQUIRED"])))
def test_a_check_splits_every_issue_once(codes):
    issues = [Issue(c, c, None) for c in codes]
    check = DivorceCheck.of(issues)
    assert sorted(i.code for i in check.issues) == sorted(codes)
    assert all(i.code in REFUSAL_CODES for i in check.refused)
    assert not any(i.code in REFUSAL_CODES for i in check.incomplete)
    assert check.acceptable is (not codes)
