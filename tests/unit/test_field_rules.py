"""Field rules, the case-file reader, photo checks, CSV neutralisation and the CLI's error translation,
without a database."""
from __future__ import annotations

import datetime as dt
import io
import json
import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from sqlalchemy.exc import DatabaseError, OperationalError

from registry_app.commands.common import MAX_CASE_BYTES, parse_case, read_case, read_photo
from registry_app.commands.failures import translate
from registry_app.domain.field_rules import (MAX_DEPTH, MAX_ITEMS, RULES, age_issue, forbidden_character,
                                             normalise_id, record_id_issue, structure_issues, text_issues)
from registry_app.domain.parties import PersonInput, person_issues
from registry_app.errors import Issue, Refused, RegistryError, StorageError
from registry_app.services.csv_out import csv_bytes, csv_text, safe_cell, unquote_cell
from registry_app.services.documents import MAX_PHOTO_BYTES, check_photo
from tests.factories import id_number, jpeg_photo

TODAY = dt.date(2026, 6, 15)


def codes(issues) -> list[str]:
    return [i.code for i in issues]


# --- characters and lengths ----------------------------------------------------------------------

@pytest.mark.parametrize("text, multiline, bad", [
    ("张伟", False, None),
    ("Anna-Maria O'Neil", False, None),
    ("阿依古丽·买买提", False, None),
    ("\ue000伟", False, None),            # a private-use rare character stays
    ("张\x00伟", False, "\x00"),           # NUL
    ("张\n伟", False, "\n"),
    ("张\t伟", False, "\t"),
    ("第一行\n第二行\t", True, None),       # free text keeps its line breaks
    ("张\u202e伟", False, "\u202e"),       # right-to-left override
    ("张\u2066伟", True, "\u2066"),        # isolate, even in free text
    ("张\u200b伟", False, "\u200b"),       # zero-width space
    ("张\u200d伟", False, "\u200d"),       # zero-width joiner
    ("\ufeff张伟", False, "\ufeff"),       # byte-order mark
    ("张\u00ad伟", False, "\u00ad"),       # soft hyphen (Cf)
    ("张\u2028伟", True, "\u2028"),        # line separator
    ("张\ud800伟", True, "\ud800"),        # lone surrogate: no database can store it
    ("a\x7fb", True, "\x7f"),
])
def test_forbidden_characters(text, multiline, bad):
    assert forbidden_character(text, multiline) == bad


@pytest.mark.parametrize("key, value, expected", [
    ("name", "张" * 64, []),
    ("name", "张" * 65, ["FIELD_TOO_LONG"]),
    ("phone", "+86 138 0000 0000-12", []),
    ("phone", "1" * 21, ["FIELD_TOO_LONG"]),
    ("phone", "1" * 1_000_000, ["FIELD_TOO_LONG"]),
    ("residence", "路" * 100, []),
    ("residence", "路" * 101, ["FIELD_TOO_LONG"]),
    ("occupation", "职" * 31, ["FIELD_TOO_LONG"]),
    ("remarks", "备\n" * 250, []),
    ("remarks", "备" * 501, ["FIELD_TOO_LONG"]),
    ("remarks", "x" * 20 * 1024 * 1024, ["FIELD_TOO_LONG"]),
    ("signed_text", "协" * 10_000, []),
    ("id_number", "３２０１０２１９９５０３０８００１９", []),       # full-width: normalised later
    ("id_number", "٣٢٠١٠٢١٩٩٥٠٣٠٨٠٠١٩", ["FIELD_CHARACTER_INVALID"]),  # Arabic-Indic digits
    ("name", "张\u202e伟" + "张" * 70, ["FIELD_TOO_LONG", "FIELD_CHARACTER_INVALID"]),
    ("some_unlisted_key", "x" * 500, []),
    ("some_unlisted_key", "x" * 501, ["FIELD_TOO_LONG"]),
])
def test_text_issues(key, value, expected):
    assert codes(text_issues(value, f"party1.{key}", key)) == expected


def test_messages_name_the_field_and_the_character():
    [issue] = text_issues("张\u202e伟", "party1.name")
    assert issue.field == "party1.name" and "姓名" in issue.message and "U+202E" in issue.message
    [issue] = text_issues("1" * 30, "party2.phone")
    assert "联系电话" in issue.message and "20" in issue.message


def test_every_rule_has_a_positive_length_and_a_label():
    assert all(rule.max_length > 0 and rule.label for rule in RULES.values())


def test_id_numbers_are_normalised_to_half_width():
    assert normalise_id(" ３２０１０２ １９９５０３０８００１ｘ ") == "32010219950308001X"


@pytest.mark.parametrize("value, ok", [(1, True), (2 ** 63 - 1, True), (0, False), (-5, False), (2 ** 63, False),
                                       (10 ** 30, False), (True, False), ("7", False), (7.0, False), (None, False)])
def test_record_ids(value, ok):
    assert (record_id_issue(value, "previous_record_id") is None) is ok


@pytest.mark.parametrize("birth, expected", [
    (dt.date(1876, 6, 15), None),            # exactly 150
    (dt.date(1876, 6, 14), None),
    (dt.date(1876, 6, 16), None),            # 149 until tomorrow
    (dt.date(1875, 6, 15), "AGE_OVER_LIMIT"),  # 151
    (dt.date(1851, 1, 1), "AGE_OVER_LIMIT"),   # 175
    (dt.date(2030, 1, 1), None),             # the future is another rule's business
])
def test_age_limit(birth, expected):
    issue = age_issue(birth, TODAY, "party1.birth_date")
    assert (issue.code if issue else None) == expected


# --- structure -------------------------------------------------------------------------------------

def nested(depth: int):
    value: object = "x"
    for _ in range(depth):
        value = {"a": value}
    return value


@pytest.mark.parametrize("data, expected", [
    ({"party1": {"name": "张伟"}}, []),
    ({"party1": {"name": "张\u200b伟"}}, ["FIELD_CHARACTER_INVALID"]),
    ({"agreement": {"children": [{"name": "张\n小雨"}]}}, ["FIELD_CHARACTER_INVALID"]),
    ({"placing": {"names": ["福利院", "x" * 65]}}, ["FIELD_TOO_LONG"]),
    ({"previous_record_id": 10 ** 30}, ["FIELD_NUMBER_INVALID"]),
    ({"amount": float("nan")}, ["FIELD_NUMBER_INVALID"]),
    ({"amount": float("inf")}, ["FIELD_NUMBER_INVALID"]),
    ({"items": list(range(MAX_ITEMS + 1))}, ["CASE_TOO_LARGE"]),
    ({"na\u202eme": "x"}, ["FIELD_NAME_INVALID"]),
    ({"k" * 65: "x"}, ["FIELD_NAME_INVALID"]),
    ({"photo": b"\xff\xd8"}, []),
    ({"x": object()}, ["FIELD_TYPE_INVALID"]),
])
def test_structure_issues(data, expected):
    assert codes(structure_issues(data)) == expected


def test_nesting_is_bounded_without_using_the_stack():
    assert codes(structure_issues(nested(MAX_DEPTH))) == []
    assert codes(structure_issues(nested(MAX_DEPTH + 1))) == ["CASE_TOO_DEEP"]
    deep: list = []
    for _ in range(100_000):  # far deeper than Python's recursion limit
        deep = [deep]
    assert codes(structure_issues({"x": deep})) == ["CASE_TOO_DEEP"]


def test_a_flood_of_problems_is_reported_briefly():
    assert len(structure_issues({f"k{i}": "\x00" for i in range(MAX_ITEMS)})) <= 20


# --- a person from a case file ----------------------------------------------------------------------

def person(**kw) -> dict:
    base = {"name": "张伟", "sex": "M", "birth_date": "1995-03-08", "id_type": "resident_id",
            "id_number": id_number(dt.date(1995, 3, 8), "M")}
    base.update(kw)
    return base


@pytest.mark.parametrize("field, value", [
    ("name", ["张", "伟"]), ("name", {"given": "伟"}), ("name", True), ("name", 3), ("id_type", ["resident_id"]),
    ("id_number", 320102199503080019), ("phone", 13800000001), ("birth_date", 19950308), ("sex", ["M"]),
])
def test_values_of_the_wrong_type_are_refused_not_turned_into_text(field, value):
    p, issues = PersonInput.from_dict(person(**{field: value}), "party1")
    assert [(i.code, i.field) for i in issues] == [("FIELD_TYPE_INVALID", f"party1.{field}")]


def test_a_full_width_id_number_is_the_same_person():
    number = id_number(dt.date(1995, 3, 8), "M")
    full = "".join(chr(ord(c) + 0xFEE0) for c in number)
    p, issues = PersonInput.from_dict(person(id_number=full), "party1")
    assert issues == [] and p.id_number == number and person_issues(p, "party1", TODAY) == []


@pytest.mark.parametrize("field, value, code", [
    ("name", "张\x00伟", "FIELD_CHARACTER_INVALID"),
    ("name", "张\n伟", "FIELD_CHARACTER_INVALID"),
    ("name", "张\u202e伟", "FIELD_CHARACTER_INVALID"),
    ("name", "张\u200b伟", "FIELD_CHARACTER_INVALID"),
    ("id_number", "32010219950308001\u200b9", "FIELD_CHARACTER_INVALID"),
    ("phone", "1" * 1_000_000, "FIELD_TOO_LONG"),
    ("residence", "路" * 101, "FIELD_TOO_LONG"),
])
def test_typed_person_fields_are_checked_at_the_counter_too(field, value, code):
    """The counter's form builds PersonInput directly: person_issues applies the same rules."""
    p, _ = PersonInput.from_dict(person(), "party1")
    setattr(p, field, value)
    assert code in codes(person_issues(p, "party1", TODAY))


def test_a_175_year_old_party_is_refused():
    p = PersonInput(name="张伟", sex="M", birth_date=dt.date(1851, 3, 8), id_type="passport", id_number="E12345678")
    assert "AGE_OVER_LIMIT" in codes(person_issues(p, "party1", TODAY))


# --- the case-file reader ----------------------------------------------------------------------------

CASE = {"variant": "ordinary", "party1": {"name": "张伟"}, "remarks": ""}


def test_a_bom_is_accepted():
    raw = json.dumps(CASE, ensure_ascii=False).encode("utf-8")
    assert parse_case(b"\xef\xbb\xbf" + raw) == parse_case(raw) == CASE


@pytest.mark.parametrize("raw, code", [
    (b'{"variant": "ordinary", "variant": "remarriage"}', "CASE_DUPLICATE_KEY"),
    (b'{"party1": {"name": "a", "name": "b"}}', "CASE_DUPLICATE_KEY"),
    (b"[" * 100_000 + b"]" * 100_000, "CASE_TOO_DEEP"),
    (b'{"a": ' + b"[" * 20 + b"]" * 20 + b"}", "CASE_TOO_DEEP"),
    (b'{"a": NaN}', "CASE_FILE_INVALID"),
    (b'{"a": Infinity}', "CASE_FILE_INVALID"),
    (b'{"a": ' + b"9" * 5000 + b"}", "CASE_FILE_INVALID"),
    (b'{"a": 1', "CASE_FILE_INVALID"),
    ("{\"a\": \"张\"}".encode("gb18030"), "CASE_FILE_INVALID"),
    (b'["not", "an", "object"]', "CASE_MALFORMED"),
    (b'{"remarks": "' + b"x" * MAX_CASE_BYTES + b'"}', "CASE_FILE_TOO_LARGE"),
    (b'{"party1": {"name": "\\u202e"}}', "FIELD_CHARACTER_INVALID"),
])
def test_bad_case_files_are_refused_with_a_code(raw, code):
    with pytest.raises(Refused) as err:
        parse_case(raw)
    assert err.value.codes()[0] == code


def test_the_duplicated_key_is_named():
    with pytest.raises(Refused) as err:
        parse_case(b'{"party1": {"name": "a", "name": "b"}}')
    assert "“name”" in err.value.message


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_the_reader_never_raises_anything_but_refused(raw):
    try:
        assert isinstance(parse_case(raw), dict)
    except Refused as exc:
        assert exc.codes()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.text(max_size=8), json_values, max_size=5))
def test_any_json_object_reads_back_or_is_refused(value):
    raw = json.dumps(value, allow_nan=True).encode()
    try:
        assert parse_case(raw) == json.loads(raw)
    except Refused as exc:
        assert exc.codes()


@pytest.mark.parametrize("make, code", [
    (lambda d: d, "CASE_FILE_NOT_A_FILE"),                       # a directory
    (lambda d: d / "missing.json", "CASE_FILE_NOT_FOUND"),
])
def test_case_paths_that_are_not_files(tmp_path, make, code):
    with pytest.raises(Refused) as err:
        read_case(make(tmp_path))
    assert err.value.codes() == [code]


def test_a_device_is_not_read():
    with pytest.raises(Refused) as err:
        read_case("/dev/zero")
    assert err.value.codes() == ["CASE_FILE_NOT_A_FILE"]


# --- photos --------------------------------------------------------------------------------------

def png_photo() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (20, 20), (1, 2, 3)).save(buf, "PNG")
    return buf.getvalue()


def test_jpeg_and_png_photos_are_accepted():
    assert check_photo(jpeg_photo()) == "image/jpeg" and check_photo(png_photo()) == "image/png"


def gif_photo() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (20, 20)).save(buf, "GIF")
    return buf.getvalue()


def huge_png_header() -> bytes:
    buf = io.BytesIO()
    Image.new("1", (8000, 6000)).save(buf, "PNG")  # 48 MP, a few KB compressed
    return buf.getvalue()


@pytest.mark.parametrize("data, code", [
    (b"root:x:0:0:root:/root:/bin/bash\n", "PHOTO_INVALID"),
    (b"\xff\xd8\xff fake jpeg", "PHOTO_INVALID"),
    (jpeg_photo()[:-200], "PHOTO_INVALID"),                 # truncated
    (gif_photo(), "PHOTO_INVALID"),                         # a picture, but not JPEG or PNG
    (b"", "PHOTO_INVALID"),
    (b"\xff\xd8\xff" + b"\0" * (MAX_PHOTO_BYTES + 1), "PHOTO_TOO_LARGE"),
    (huge_png_header(), "PHOTO_TOO_LARGE"),
])
def test_anything_else_is_refused(data, code):
    with pytest.raises(Refused) as err:
        check_photo(data)
    assert err.value.codes() == [code] and err.value.issues[0].field == "photo"


@pytest.mark.parametrize("photo, code", [
    (5, "PHOTO_INVALID"), (["a.jpg"], "PHOTO_INVALID"), ("/etc/passwd", "PHOTO_INVALID"),
    ("missing.jpg", "PHOTO_NOT_FOUND"), (".", "PHOTO_NOT_A_FILE"), ("/dev/zero", "PHOTO_NOT_A_FILE"),
    ("a\nb.jpg", "FIELD_CHARACTER_INVALID"),
])
def test_the_photo_a_case_names(tmp_path, photo, code):
    with pytest.raises(Refused) as err:
        read_photo({"photo": photo}, tmp_path)
    assert err.value.codes() == [code]


def test_a_real_photo_is_read(tmp_path):
    (tmp_path / "p.jpg").write_bytes(jpeg_photo())
    assert read_photo({"photo": "p.jpg"}, tmp_path) == (jpeg_photo(), "p.jpg")
    assert read_photo({}, tmp_path) == (None, "")


# --- CSV cells -------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, written", [
    ("=HYPERLINK(\"http://x\",\"点此\")", "'=HYPERLINK(\"http://x\",\"点此\")"),
    ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
    ("@SUM(1)", "'@SUM(1)"), ("+1", "'+1"), ("-1+1", "'-1+1"), ("\t=1", "'\t=1"), ("\r=1", "'\r=1"),
    ("张伟", "张伟"), ("", ""), (None, ""), (3, 3), ("2026-Q2", "2026-Q2"),
])
def test_formula_cells_are_neutralised(value, written):
    assert safe_cell(value) == written


@given(st.text(max_size=20))
def test_unquote_undoes_safe_cell(text):
    assert unquote_cell(safe_cell(text)) == text


def test_csv_bytes_have_a_bom_and_crlf():
    data = csv_bytes([["a", "=1"], [1, "b"]])
    assert data.startswith(b"\xef\xbb\xbf") and data.decode("utf-8-sig") == "a,'=1\r\n1,b\r\n"
    assert csv_text([["@x"]]) == "'@x\r\n"


# --- how a command ends ------------------------------------------------------------------------------

def _sqlite_error(cls, text):
    return cls("SELECT 1", {}, sqlite3.DatabaseError(text))


@pytest.mark.parametrize("exc, code, exit_code", [
    (Refused([Issue("X", "x")]), "X", 2),
    (StorageError("x", code="DB_NOT_FOUND"), "DB_NOT_FOUND", 3),
    (OSError(28, "No space left on device"), "DISK_FULL", 3),
    (_sqlite_error(OperationalError, "database or disk is full"), "DISK_FULL", 3),
    (_sqlite_error(DatabaseError, "database disk image is malformed"), "DB_DAMAGED", 3),
    (_sqlite_error(DatabaseError, "file is not a database"), "DB_DAMAGED", 3),
    (IsADirectoryError(21, "Is a directory", "/tmp/x"), "FILE_ACCESS_FAILED", 3),
    (ValueError("张伟 320102199503080019"), "INTERNAL_ERROR", 3),
    (OverflowError("Python int too large to convert to SQLite INTEGER"), "INTERNAL_ERROR", 3),
])
def test_translate(exc, code, exit_code, capsys):
    error, got_exit = translate(exc)
    assert (error.code, got_exit) == (code, exit_code)
    err = capsys.readouterr().err
    assert "张伟" not in err and "320102199503080019" not in err and "张伟" not in error.message


def test_a_storage_error_caused_by_a_full_disk_keeps_its_message():
    try:
        try:
            raise OSError(28, "No space left on device")
        except OSError as cause:
            raise StorageError("已导入20条（已保存）", code="REPORT_WRITE_FAILED") from cause
    except StorageError as exc:
        error, exit_code = translate(exc)
    assert error.code == "DISK_FULL" and "已导入20条" in error.message and exit_code == 3
    assert isinstance(error, RegistryError)


def test_a_wrong_passphrase_is_not_called_damage():
    """open_database raises WrongPassphrase `from None` while handling SQLite's "file is not a database"."""
    from registry_app.errors import WrongPassphrase

    try:
        try:
            raise _sqlite_error(DatabaseError, "file is not a database")
        except DatabaseError:
            raise WrongPassphrase("数据库口令错误") from None
    except WrongPassphrase as exc:
        error, exit_code = translate(exc)
    assert (error.code, exit_code) == ("WRONG_PASSPHRASE", 3)
