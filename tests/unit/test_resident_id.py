"""GB 11643 resident ID numbers, cross-checked against python-stdnum (an independent implementation)."""
from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import ric

from registry_app.domain.gb11643 import MAINLAND_PROVINCES
from registry_app.domain.ids import (
    IdType,
    InvalidIdNumber,
    Sex,
    age_on,
    check_character,
    parse_resident_id,
    validate_document,
)

TODAY = dt.date(2026, 11, 23)


@pytest.mark.parametrize(
    "number, birth, sex",
    [
        ("11010519491231002X", dt.date(1949, 12, 31), Sex.FEMALE),   # GB 11643 annex example
        ("11010519491231002x", dt.date(1949, 12, 31), Sex.FEMALE),   # lowercase x is normalised
        ("440524188001010014", dt.date(1880, 1, 1), Sex.MALE),
        ("320102200002290013", dt.date(2000, 2, 29), Sex.MALE),      # leap day exists in 2000
        # an address code that no longer exists (Beijing's Chongwen district, 2010) is not a reason to reject
        ("11010319900101123X", dt.date(1990, 1, 1), Sex.MALE),
    ],
)
def test_valid_numbers_decode_birth_date_and_sex(number, birth, sex):
    rid = parse_resident_id(number, TODAY)
    assert rid.birth_date == birth
    assert rid.sex is sex
    assert rid.number == number.upper()
    # python-stdnum computes the same check character independently (it takes the full number)
    assert ric.calc_check_digit(rid.number) == rid.number[17]


def test_old_address_codes_are_accepted_where_a_region_table_would_reject():
    # stdnum checks the address code against its table and the birth year; the rules (registry_app/domain/RULES.md) say never to
    # reject for that reason (codes change), so this real-shaped number must pass here.
    number = "440524188001010014"
    assert not ric.is_valid(number)
    assert parse_resident_id(number, TODAY).region_code == "440524"


@pytest.mark.parametrize(
    "number, code",
    [
        ("110105194912310021", "ID_CHECK_CHAR"),   # check character should be X
        ("110105194912310020", "ID_CHECK_CHAR"),
        ("320102199002300011", "ID_BIRTH_DATE"),   # 30 February
        ("320102199013010011", "ID_BIRTH_DATE"),   # month 13
        ("320102190002290011", "ID_BIRTH_DATE"),   # 1900 is not a leap year
        ("320102203001010011", "ID_BIRTH_FUTURE"),
        ("3201021990010100", "ID_LENGTH"),
        ("32010219900101001A", "ID_CHARS"),
        ("", "ID_EMPTY"),
        ("990426199112010074", "ID_PROVINCE"),     # no province begins with 9 (nor is it a valid PR card)
        ("710101199001011239", "ID_PROVINCE"),     # 71 (Taiwan): no resident IDs are issued under it
    ],
)
def test_invalid_numbers_have_coded_reasons(number, code):
    with pytest.raises(InvalidIdNumber) as err:
        parse_resident_id(number, TODAY)
    assert err.value.code == code
    assert err.value.message  # a Chinese sentence for the clerk


def test_future_birth_date_fixed_by_check_character_still_refused():
    first17 = "32010220300101001"
    with pytest.raises(InvalidIdNumber) as err:
        parse_resident_id(first17 + check_character(first17), TODAY)
    assert err.value.code == "ID_BIRTH_FUTURE"


@settings(max_examples=300)
@given(
    region=st.sampled_from(sorted(MAINLAND_PROVINCES)).flatmap(
        lambda p: st.integers(0, 9999).map(lambda rest: f"{p}{rest:04d}")),
    birth=st.dates(dt.date(1900, 1, 1), TODAY),
    seq=st.integers(0, 999),
)
def test_agrees_with_stdnum_on_generated_numbers(region, birth, seq):
    first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
    number = first17 + check_character(first17)
    assert ric.calc_check_digit(number) == number[-1]
    rid = parse_resident_id(number, TODAY)
    assert rid.birth_date == birth
    assert rid.sex is (Sex.MALE if seq % 2 else Sex.FEMALE)
    # any other check character is refused
    for other in "0123456789X":
        if other != number[-1]:
            with pytest.raises(InvalidIdNumber):
                parse_resident_id(first17 + other, TODAY)


@given(st.text(max_size=30))
def test_arbitrary_text_never_crashes(text):
    try:
        parse_resident_id(text, TODAY)
    except InvalidIdNumber as exc:
        assert exc.code.startswith("ID_")


@pytest.mark.parametrize(
    "id_type, number, ok",
    [
        (IdType.PASSPORT, "E12345678", True),
        (IdType.PASSPORT, "E1", False),
        (IdType.HK_MACAO_PERMIT, "H12345678", True),
        (IdType.HK_MACAO_PERMIT, "X12345678", False),
        (IdType.TAIWAN_PERMIT, "12345678", True),
        (IdType.TAIWAN_PERMIT, "1234", False),
        (IdType.FOREIGN_PR, "USA851203123456", True),
        (IdType.FOREIGN_PR, "USA123456789012", False),  # no 56th month where the birth date is read
        (IdType.NONE, "", True),
        (IdType.RESIDENT, "11010519491231002X", True),
        (IdType.RESIDENT, "110105194912310021", False),
    ],
)
def test_other_documents_are_shape_checked(id_type, number, ok):
    assert (validate_document(id_type, number, TODAY) is None) is ok


@pytest.mark.parametrize(
    "birth, on, age",
    [
        (dt.date(2004, 6, 15), dt.date(2026, 6, 15), 22),  # birthday on the day counts
        (dt.date(2004, 6, 16), dt.date(2026, 6, 15), 21),  # one day short
        (dt.date(2004, 2, 29), dt.date(2026, 2, 28), 21),  # leap-day birthday: not yet on 28 Feb
        (dt.date(2004, 2, 29), dt.date(2026, 3, 1), 22),
        (dt.date(2004, 2, 29), dt.date(2028, 2, 29), 24),
    ],
)
def test_age_in_full_years(birth, on, age):
    assert age_on(birth, on) == age
