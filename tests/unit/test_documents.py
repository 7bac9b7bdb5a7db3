"""Identity documents other than the mainland resident ID, and which document a number is.

Numbers are built here from the standards' layouts with their check characters computed (check_character),
never copied from a real person: GB 11643-1999 (resident ID), 港澳台居民居住证申领发放办法 (2018, residence
permits: address codes 810000/820000/830000), the National Immigration Administration's 2023 format of the
foreign permanent-residence card (9 + province + ISO 3166-1 numeric + birth date + sequence + MOD 11-2), and
the 2017 card's shape (ISO alpha-3 + 12 digits; birth date read from positions 6-11, unverified)."""
from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry_app.domain.code_tables import NOT_FOREIGN, _countries, abolished_code
from registry_app.domain.documents import Document, presented_type, read_document, recognise
from registry_app.domain.gb11643 import MAINLAND_PROVINCES, check_character
from registry_app.domain.ids import IdType, InvalidIdNumber, Sex, validate_document

TODAY = dt.date(2026, 11, 23)


def gb(first17: str) -> str:
    """A number of the GB 11643 structure with its check character."""
    return first17 + check_character(first17)


def wrong_check(number: str) -> str:
    return number[:17] + ("0" if number[17] != "0" else "1")


# Real-shaped numbers (built, not real people's)
RESIDENT = "11010519491231002X"                    # GB 11643's own example
HK_PERMIT = gb("81000019900101123")                 # Hong Kong resident, man
MACAO_PERMIT = gb("82000019851111002")              # Macao resident, woman
TAIWAN_PERMIT = gb("83000020000229005")             # Taiwan resident, man, born on a leap day
PR_2023_US = gb("91184019850312001")                # US national accepted in Beijing, man
PR_2023_JP = gb("93139219921005004")                # Japanese national accepted in Shanghai, woman
PR_2017 = "USA118512031234"                         # USA, then 11, then 851203 read as 1985-12-03


@pytest.mark.parametrize(
    "number, document, birth, sex, place, nationality",
    [
        (RESIDENT, Document.RESIDENT_ID, dt.date(1949, 12, 31), Sex.FEMALE, "北京市", None),
        (HK_PERMIT, Document.HMT_RESIDENCE_PERMIT, dt.date(1990, 1, 1), Sex.MALE, "香港", None),
        (MACAO_PERMIT, Document.HMT_RESIDENCE_PERMIT, dt.date(1985, 11, 11), Sex.FEMALE, "澳门", None),
        (TAIWAN_PERMIT, Document.HMT_RESIDENCE_PERMIT, dt.date(2000, 2, 29), Sex.MALE, "台湾", None),
        (PR_2023_US, Document.FOREIGN_PR_2023, dt.date(1985, 3, 12), Sex.MALE, "北京市", "USA"),
        (PR_2023_JP, Document.FOREIGN_PR_2023, dt.date(1992, 10, 5), Sex.FEMALE, "上海市", "JPN"),
        (PR_2017, Document.FOREIGN_PR_2017, dt.date(1985, 12, 3), None, None, "USA"),
        ("E12345678", Document.PASSPORT, None, None, None, None),
        ("H12345678", Document.HK_MACAO_PERMIT, None, None, None, None),
        ("M1234567801", Document.HK_MACAO_PERMIT, None, None, None, None),
        ("12345678", Document.TAIWAN_PERMIT, None, None, None, None),
    ],
)
def test_each_document_is_recognised_and_read(number, document, birth, sex, place, nationality):
    reading = read_document(number, TODAY)
    assert reading.document is document
    assert (reading.birth_date, reading.sex, reading.province) == (birth, sex, place)
    assert (reading.nationality.alpha3 if reading.nationality else None) == nationality
    # the same number checked as the type a clerk would choose for it
    assert read_document(number, TODAY, document.id_type).document is document
    assert reading.to_dict()["document"] == document.value


def test_the_2017_card_is_marked_unverified_and_the_others_are_not():
    assert read_document(PR_2017, TODAY).layout_verified is False
    assert "check_character" not in read_document(PR_2017, TODAY).checked
    for number in (RESIDENT, HK_PERMIT, PR_2023_US):
        assert read_document(number, TODAY).layout_verified is True
        assert "check_character" in read_document(number, TODAY).checked


@pytest.mark.parametrize(
    "id_type, number, code",
    [
        # resident ID: a province code must begin it (GB/T 2260); 71/81/82 are not issued as resident IDs
        (IdType.RESIDENT, gb("99042619911201007"), "ID_PROVINCE"),
        (IdType.RESIDENT, gb("71010119900101123"), "ID_PROVINCE"),
        (IdType.RESIDENT, gb("16010119900101123"), "ID_PROVINCE"),
        (IdType.RESIDENT, wrong_check(RESIDENT), "ID_CHECK_CHAR"),
        # another document's number in a resident-ID field says which document it is
        (IdType.RESIDENT, HK_PERMIT, "ID_IS_RESIDENCE_PERMIT"),
        (IdType.RESIDENT, PR_2023_US, "ID_IS_PR_CARD"),
        (IdType.RESIDENT, PR_2017, "ID_IS_PR_CARD"),
        # ...but a broken one is refused as what was chosen
        (IdType.RESIDENT, wrong_check(HK_PERMIT), "ID_PROVINCE"),
        # residence permit
        (IdType.HMT_RESIDENCE_PERMIT, gb("81000119900101123"), "ID_PERMIT_PREFIX"),
        (IdType.HMT_RESIDENCE_PERMIT, RESIDENT, "ID_PERMIT_PREFIX"),
        (IdType.HMT_RESIDENCE_PERMIT, wrong_check(HK_PERMIT), "ID_CHECK_CHAR"),
        (IdType.HMT_RESIDENCE_PERMIT, gb("81000019900230123"), "ID_BIRTH_DATE"),
        (IdType.HMT_RESIDENCE_PERMIT, gb("83000020300101123"), "ID_BIRTH_FUTURE"),
        (IdType.HMT_RESIDENCE_PERMIT, HK_PERMIT[:17], "ID_LENGTH"),
        # 2023 permanent-residence card
        (IdType.FOREIGN_PR, gb("99984019850312001"), "ID_PR_PROVINCE"),
        (IdType.FOREIGN_PR, gb("91199919850312001"), "ID_NATIONALITY"),   # 999: no ISO 3166-1 country
        (IdType.FOREIGN_PR, gb("91115619850312001"), "ID_NATIONALITY"),   # 156: China is not foreign
        (IdType.FOREIGN_PR, gb("91134419850312001"), "ID_NATIONALITY"),   # 344: Hong Kong
        (IdType.FOREIGN_PR, wrong_check(PR_2023_US), "ID_CHECK_CHAR"),
        (IdType.FOREIGN_PR, gb("91184019851312001"), "ID_BIRTH_DATE"),
        (IdType.FOREIGN_PR, RESIDENT, "ID_PR_PREFIX"),
        # 2017 card: shape, nationality, birth date
        (IdType.FOREIGN_PR, "XYZ118512031234", "ID_NATIONALITY"),
        (IdType.FOREIGN_PR, "CHN118512031234", "ID_NATIONALITY"),
        (IdType.FOREIGN_PR, "USA118513031234", "ID_BIRTH_DATE"),
        (IdType.FOREIGN_PR, "US1118512031234", "ID_SHAPE"),
        (IdType.FOREIGN_PR, "USA11851203123", "ID_SHAPE"),
        (IdType.FOREIGN_PR, "", "ID_EMPTY"),
        # passports and travel permits: the shape only
        (IdType.PASSPORT, "E1", "ID_SHAPE"),
        (IdType.HK_MACAO_PERMIT, "X12345678", "ID_SHAPE"),
        (IdType.TAIWAN_PERMIT, "1234567", "ID_SHAPE"),
    ],
)
def test_broken_numbers_have_coded_reasons(id_type, number, code):
    with pytest.raises(InvalidIdNumber) as err:
        read_document(number, TODAY, id_type)
    assert err.value.code == code
    issue = validate_document(id_type, number, TODAY)
    assert issue is not None and issue.code == code and issue.message


@pytest.mark.parametrize(
    "number, named",
    [(HK_PERMIT, "港澳台居民居住证"), (PR_2023_US, "外国人永久居留身份证（2023年版）"),
     (PR_2017, "外国人永久居留身份证（2017年版或2004年版）")],
)
def test_a_resident_id_field_names_the_document_it_was_given(number, named):
    issue = validate_document(IdType.RESIDENT, number, TODAY)
    assert named in issue.message and "不是居民身份证号码" in issue.message


def test_a_broken_pr_card_in_a_resident_id_field_says_what_is_wrong_with_both():
    message = validate_document(IdType.RESIDENT, gb("99042619911201007"), TODAY).message
    assert "“99”不是省级行政区划代码" in message and "永久居留身份证" in message


@pytest.mark.parametrize(
    "chosen, number, presented",
    [
        (IdType.RESIDENT, RESIDENT, IdType.RESIDENT),
        (IdType.RESIDENT, HK_PERMIT, IdType.HMT_RESIDENCE_PERMIT),
        (IdType.RESIDENT, TAIWAN_PERMIT, IdType.HMT_RESIDENCE_PERMIT),
        (IdType.RESIDENT, PR_2023_US, IdType.FOREIGN_PR),
        (IdType.RESIDENT, PR_2017, IdType.FOREIGN_PR),
        (IdType.RESIDENT, wrong_check(HK_PERMIT), IdType.RESIDENT),  # refused as a resident ID instead
        (IdType.RESIDENT, "", IdType.RESIDENT),
        (IdType.PASSPORT, HK_PERMIT, IdType.PASSPORT),               # only the resident-ID field is re-read
        ("resident_id", PR_2023_JP, IdType.FOREIGN_PR),
    ],
)
def test_the_document_presented_follows_the_number_in_a_resident_id_field(chosen, number, presented):
    assert presented_type(chosen, number) is presented
    assert presented.is_foreign_or_hmt is (presented is not IdType.RESIDENT)


@pytest.mark.parametrize(
    "number, warned",
    [
        (gb("11010320120101123"), True),    # Chongwen district code, withdrawn 2010; holder born 2012
        (gb("11010320100101123"), False),   # born in the year it was withdrawn: may hold it
        (gb("11010319900101123"), False),   # born long before: normal
        (gb("31010820160101123"), True),    # Zhabei (Shanghai), withdrawn 2015
        (gb("11010120120101123"), False),   # Dongcheng: not withdrawn
        (gb("32010220120101123"), False),   # not in the (incomplete) table: never a warning
    ],
)
def test_an_address_code_withdrawn_before_the_birth_year_is_a_warning_not_a_refusal(number, warned):
    reading = read_document(number, TODAY, IdType.RESIDENT)
    assert [w.code for w in reading.warnings] == (["ID_REGION_ABOLISHED"] if warned else [])
    assert validate_document(IdType.RESIDENT, number, TODAY) is None
    if warned:
        assert "请核对证件" in reading.warnings[0].message


def test_the_code_tables_are_consistent():
    by_numeric, by_alpha3 = _countries()
    assert len(by_numeric) == len(by_alpha3) > 240
    assert all(len(c) == 3 and c.isdigit() for c in by_numeric)
    assert by_numeric["840"].alpha3 == "USA" and by_numeric["840"].name_zh == "美国"
    assert NOT_FOREIGN <= set(by_numeric)
    for code in ("110103", "310108", "320103", "440102"):
        gone = abolished_code(code)
        assert gone is not None and gone.code[:2] in MAINLAND_PROVINCES
        assert gone.merged_into[:2] == code[:2] and abolished_code(gone.merged_into[:6]) is None


# --- generated and hostile input ----------------------------------------------------------------

foreign_numeric = st.sampled_from(sorted(set(_countries()[0]) - NOT_FOREIGN))
births = st.dates(dt.date(1900, 1, 1), TODAY)


@settings(max_examples=200)
@given(province=st.sampled_from(sorted(MAINLAND_PROVINCES)), nationality=foreign_numeric, birth=births,
       seq=st.integers(0, 999))
def test_generated_2023_cards_read_back(province, nationality, birth, seq):
    number = gb(f"9{province}{nationality}{birth:%Y%m%d}{seq:03d}")
    reading = read_document(number, TODAY)
    assert reading.document is Document.FOREIGN_PR_2023
    assert (reading.birth_date, reading.nationality.numeric) == (birth, nationality)
    assert reading.sex is (Sex.MALE if seq % 2 else Sex.FEMALE)
    assert presented_type(IdType.RESIDENT, number) is IdType.FOREIGN_PR
    for other in "0123456789X":
        if other != number[-1]:
            with pytest.raises(InvalidIdNumber):
                read_document(number[:17] + other, TODAY, IdType.FOREIGN_PR)


@settings(max_examples=200)
@given(region=st.sampled_from(["810000", "820000", "830000"]), birth=births, seq=st.integers(0, 999))
def test_generated_residence_permits_read_back(region, birth, seq):
    number = gb(f"{region}{birth:%Y%m%d}{seq:03d}")
    reading = read_document(number, TODAY, IdType.HMT_RESIDENCE_PERMIT)
    assert (reading.birth_date, reading.region_code) == (birth, region)
    assert reading.sex is (Sex.MALE if seq % 2 else Sex.FEMALE)
    assert recognise(number) is Document.HMT_RESIDENCE_PERMIT


@given(text=st.text(max_size=40) | st.from_regex(r"[0-9A-Za-z]{15,18}", fullmatch=True),
       as_type=st.sampled_from([None, *[t for t in IdType if t is not IdType.NONE]]))
def test_arbitrary_text_is_refused_with_a_code_or_read_never_a_traceback(text, as_type):
    try:
        reading = read_document(text, TODAY, as_type)
    except InvalidIdNumber as exc:
        assert exc.code.startswith("ID_") and exc.message
    else:
        assert reading.to_dict()["document"] in {d.value for d in Document}
    presented = presented_type(as_type or IdType.RESIDENT, text)
    assert isinstance(presented, IdType)
