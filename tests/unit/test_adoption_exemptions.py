"""The two rules the adoption form asks the domain before it shows a field: the adoptee's consent from
ADOPTEE_CONSENT_AGE (CC 1104) and the number-limit exemption (CC 1100 second paragraph)."""
from __future__ import annotations

import datetime as dt

import pytest

from registry_app.domain.adoption_case import Situation
from registry_app.domain.adoption_rules import (
    ADOPTEE_CONSENT_AGE,
    needs_adoptee_consent,
    number_limit_exempt,
)

ON = dt.date(2026, 6, 15)


@pytest.mark.parametrize("birth, needed", [
    (dt.date(2018, 6, 15), True),    # CC 1104: eighth birthday today — 八周岁以上 includes eight
    (dt.date(2018, 6, 16), False),   # one day short
    (dt.date(2010, 1, 1), True),
    (dt.date(2025, 1, 10), False),
])
def test_adoptee_consent_from_the_consent_age(birth, needed):
    assert ADOPTEE_CONSENT_AGE == 8
    assert needs_adoptee_consent(birth, ON) is needed


@pytest.mark.parametrize("situation, disabled, institution, exempt", [
    (Situation.ORPHAN, False, False, True),                 # CC 1100(2): an orphan
    (Situation.PARENTS_SPECIAL_DIFFICULTY, True, False, True),  # a disabled minor
    (Situation.PARENTS_UNKNOWN, False, True, True),         # in a welfare institution, parents not found
    (Situation.PARENTS_UNKNOWN, False, False, False),       # parents not found, not in an institution
    (Situation.PARENTS_SPECIAL_DIFFICULTY, False, True, False),
    ("orphan", False, False, True),                         # the form's stored value reads the same
    ("", False, True, False),                               # not chosen yet: no exemption
])
def test_number_limit_exemption(situation, disabled, institution, exempt):
    assert number_limit_exempt(situation, disabled, institution) is exempt
