"""Historical archive back-entry: row checks, the refusal report, divorce matching, one transaction,
and back-entered marriages counting in the marital-status check."""
from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from registry_app.domain.parties import PersonInput
from registry_app import fsutil
from registry_app.errors import Cancelled, PermissionDenied, Refused, StorageError
from registry_app.services import archive_import
from registry_app.services.archive_import import (
    COLUMNS, PHASE_ZH, ArchiveImport, fast_initials, parse_date, parse_row, party_values, read_rows,
)
from registry_app.services.marriage import MarriageCase, MarriageService
from registry_app.services.people import initials, party_row
from registry_app.storage.models import AuditEntry, Party, Record
from tests.factories import id_number, marriage_case, person

D = dt.date
TODAY = D(2026, 6, 15)
SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "examples" / "archive-sample.csv"


def row(**kw) -> dict:
    base = {
        "record_type": "marriage", "registration_date": "1985-05-01", "certificate_no": "",
        "party1_name": "王建国", "party1_sex": "M", "party1_birth_date": "1958-03-12", "party1_id_number": "",
        "party2_name": "李秀英", "party2_sex": "F", "party2_birth_date": "1960-07-05", "party2_id_number": "",
        "archive_no": "1985-J-0001", "office_name": "", "remarks": "",
    }
    base.update(kw)
    return base


def write_csv(path: Path, rows: list[dict], encoding: str = "utf-8-sig") -> Path:
    with open(path, "w", newline="", encoding=encoding) as f:
        w = csv.DictWriter(f, fieldnames=list(COLUMNS))
        w.writeheader()
        w.writerows(rows)
    return path


MAN_ID = id_number(D(1958, 3, 12), "M")
WOMAN_ID = id_number(D(1960, 7, 5), "F")


# --- one row at a time ------------------------------------------------------------------------------

@pytest.mark.parametrize("changes, codes", [
    ({}, []),
    ({"record_type": "结婚"}, []),
    ({"record_type": "remarriage"}, ["RECORD_TYPE_INVALID"]),
    ({"registration_date": ""}, ["REGISTRATION_DATE_REQUIRED"]),
    ({"registration_date": "1985-02-30"}, ["REGISTRATION_DATE_INVALID"]),
    ({"registration_date": "2026-06-16"}, ["REGISTRATION_DATE_FUTURE"]),
    ({"registration_date": "2026-06-15"}, []),
    ({"registration_date": "1949-09-30"}, ["REGISTRATION_DATE_TOO_EARLY"]),
    ({"registration_date": "1985/5/1"}, []),
    ({"registration_date": "1985年5月1日"}, []),
    ({"registration_date": "19850501"}, []),
    ({"party1_name": ""}, ["NAME_REQUIRED"]),
    ({"party2_name": "李秀英2"}, ["NAME_INVALID"]),
    ({"party1_sex": "X"}, ["SEX_INVALID"]),
    ({"party1_sex": ""}, ["SEX_INVALID"]),
    ({"party1_sex": "男", "party2_sex": "女"}, []),
    ({"party2_sex": "M"}, ["PARTY_SEXES_SAME"]),
    ({"party1_birth_date": "1958-13-01"}, ["BIRTH_DATE_INVALID"]),
    ({"party1_birth_date": ""}, []),                                    # optional in old archives
    ({"party1_birth_date": "1985-05-01"}, ["BIRTH_AFTER_REGISTRATION"]),
    ({"party1_birth_date": "1971-01-01"}, ["AGE_IMPLAUSIBLE"]),
    ({"party1_birth_date": "2027-01-01"}, ["BIRTH_DATE_FUTURE"]),
    ({"party1_id_number": MAN_ID}, []),
    ({"party1_id_number": MAN_ID, "party1_sex": ""}, []),                # the card gives the sex
    ({"party1_id_number": MAN_ID, "party1_birth_date": ""}, []),         # and the birth date
    ({"party1_id_number": MAN_ID[:-1] + ("0" if MAN_ID[-1] != "0" else "1")}, ["ID_CHECK_CHAR"]),
    ({"party1_id_number": MAN_ID[:17]}, ["ID_LENGTH"]),
    ({"party1_id_number": MAN_ID, "party1_birth_date": "1958-03-13"}, ["BIRTH_DATE_MISMATCH"]),
    ({"party1_id_number": WOMAN_ID, "party1_birth_date": "1960-07-05"}, ["SEX_MISMATCH"]),
    ({"party1_id_number": MAN_ID, "party2_id_number": MAN_ID, "party2_sex": "F"},
     ["SEX_MISMATCH", "BIRTH_DATE_MISMATCH", "SAME_PERSON"]),
    ({"archive_no": ""}, ["ARCHIVE_NO_REQUIRED"]),
    ({"certificate_no": "字" * 33}, ["FIELD_TOO_LONG"]),
    ({"remarks": "备" * 501}, ["FIELD_TOO_LONG"]),
])
def test_row_checks(changes, codes):
    parsed, issues = parse_row(row(**changes), 2, TODAY)
    assert sorted(i.code for i in issues) == sorted(codes)
    assert (parsed is None) == bool(codes)


def test_lowercase_x_and_15_digit_numbers_are_normalised():
    from registry_app.domain.ids import check_character

    first17 = "32010219700202006"
    full = first17 + check_character(first17)
    assert full.endswith("X")
    parsed, issues = parse_row(row(party2_id_number=full.lower(), party2_birth_date="1970-02-02",
                                   registration_date="1995-01-01"), 2, TODAY)
    assert not issues and parsed.party2.id_number == full
    old = "320102580312001"  # first-generation: 58-03-12, sequence 001 (male)
    parsed, issues = parse_row(row(party1_id_number=old), 2, TODAY)
    assert not issues and parsed.party1.id_number == "32010219580312001" + check_character("32010219580312001")


@pytest.mark.parametrize("text, expected", [
    ("2026-06-15", D(2026, 6, 15)), ("2026/6/5", D(2026, 6, 5)), ("2026.06.05", D(2026, 6, 5)),
    ("2026年6月5日", D(2026, 6, 5)), ("20260605", D(2026, 6, 5)), ("2026-02-30", None), ("15/06/2026", None),
    ("", None), ("2026-6", None),
])
def test_date_formats(text, expected):
    assert parse_date(text) == expected


def test_header_must_name_the_required_columns():
    with pytest.raises(Refused) as err:
        read_rows("record_type,registration_date\nmarriage,1985-01-01\n")
    assert err.value.codes() == ["HEADER_MISSING"]
    with pytest.raises(Refused) as err:
        read_rows("")
    assert err.value.codes() == ["HEADER_MISSING"]


# --- the parser under generated input ----------------------------------------------------------------

_cell = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.fixed_dictionaries({c: _cell for c in COLUMNS}), max_size=6))
def test_parser_never_crashes_on_arbitrary_cells(rows):
    buf = io.StringIO(newline="")
    w = csv.DictWriter(buf, fieldnames=list(COLUMNS))
    w.writeheader()
    w.writerows(rows)
    _, parsed = read_rows(buf.getvalue())
    for row_no, raw in parsed:
        assert row_no >= 2
        result, issues = parse_row(raw, row_no, TODAY)
        assert (result is None) == bool(issues)
        assert all(i.code and i.message for i in issues)


_han = st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=1, max_size=4)


@st.composite
def valid_rows(draw):
    reg = draw(st.dates(D(1950, 1, 1), TODAY))
    b1 = reg - dt.timedelta(days=draw(st.integers(22 * 366, 60 * 365)))
    b2 = reg - dt.timedelta(days=draw(st.integers(20 * 366, 60 * 365)))
    with_ids = draw(st.booleans())
    fmt = draw(st.sampled_from(["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d"]))
    return row(registration_date=reg.strftime(fmt), party1_name=draw(_han), party2_name=draw(_han),
               party1_birth_date=b1.isoformat(), party2_birth_date=b2.isoformat(),
               party1_id_number=id_number(b1, "M") if with_ids else "",
               party2_id_number=id_number(b2, "F").lower() if with_ids else "",
               archive_no=draw(st.text(alphabet="0123456789-JL", min_size=1, max_size=20)),
               remarks=draw(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Cf", "Zl", "Zp")),
                                            max_size=30)),
               record_type=draw(st.sampled_from(["marriage", "divorce"])))


@settings(max_examples=150, deadline=None)
@given(st.lists(valid_rows(), min_size=1, max_size=5), st.sampled_from(["\r\n", "\n"]), st.booleans())
def test_valid_rows_round_trip_through_the_file(rows, newline, bom):
    buf = io.StringIO(newline="")
    w = csv.DictWriter(buf, fieldnames=list(COLUMNS), lineterminator=newline)
    w.writeheader()
    w.writerows(rows)
    text = ("\ufeff" if bom else "") + buf.getvalue()
    parsed = list(read_rows(text)[1])
    assert [n for n, _ in parsed] == list(range(2, len(rows) + 2))
    for (row_no, raw), original in zip(parsed, rows):
        result, issues = parse_row(raw, row_no, TODAY)
        assert issues == []
        assert result.party1.name == original["party1_name"].strip()
        assert result.party2.id_number == original["party2_id_number"].upper()
        assert result.remarks == original["remarks"].strip()
        assert result.archive_no == original["archive_no"]


@settings(max_examples=200, deadline=None)
@given(_han)
def test_fast_initials_agree_with_people_initials(name):
    assert fast_initials(name) == initials(name)


@pytest.mark.parametrize("p", [
    PersonInput("王建国", "M", D(1958, 3, 12), "resident_id", MAN_ID),
    PersonInput("赵淑珍", "F", None, "none", "", prior_status=""),
    PersonInput("单于乐", "F", D(1990, 1, 1), "passport", "E1234567", nationality="加拿大", ethnicity="汉族",
                extra={"note": "x"}),
])
def test_party_values_match_party_row(p):
    expected = party_row(p, 2, "party2")
    values = party_values(p, 2, "party2", 7, D(1990, 5, 1))
    for key, value in values.items():
        if key == "record_id":
            assert value == 7
        elif key == "registration_date":  # the ORM copies it from the record at flush
            assert value == D(1990, 5, 1)
        else:
            assert value == getattr(expected, key), key


# --- imports into a database -------------------------------------------------------------------------

def count(db, model=Record, *where):
    with db.read() as s:
        return s.execute(select(func.count()).select_from(model).where(*where)).scalar()


def test_sample_file_imports_good_rows_and_reports_bad_ones(clerk_ctx, db, tmp_path):
    src = tmp_path / "archive-sample.csv"
    src.write_bytes(SAMPLE.read_bytes())
    report = ArchiveImport(clerk_ctx).run(src)
    assert (report.total, report.imported, report.refused) == (10, 4, 6)
    assert (report.marriages, report.divorces, report.dissolved) == (3, 1, 1)
    assert report.report_path == str(tmp_path / "archive-sample.refused.csv")
    data = Path(report.report_path).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert lines[0][:3] == ["行号 row", "错误代码 code", "原因 reason"]
    refused = {int(line[0]): line[1] for line in lines[1:]}
    assert refused == {6: "REGISTRATION_DATE_FUTURE", 7: "ID_CHECK_CHAR", 8: "NAME_REQUIRED",
                       9: "SEX_MISMATCH", 10: "ARCHIVE_NO_DUPLICATE", 11: "RECORD_TYPE_INVALID"}
    assert all("\u4e00" <= ch <= "\u9fff" for line in lines[1:] for ch in line[2][:1] or "原")
    assert oct(Path(report.report_path).stat().st_mode & 0o777) == "0o600"
    with db.read() as s:
        recs = s.execute(select(Record).order_by(Record.registration_date)).scalars().all()
        assert all(r.back_entered for r in recs)
        by_archive = {r.archive_no: r for r in recs}
        marriage, divorce = by_archive["1982-J-0123"], by_archive["1990-L-0045"]
        assert marriage.status == "dissolved" and divorce.status == "issued"
        assert divorce.linked_record_id == marriage.id
        assert marriage.certificate_no == "玄婚字第0123号"
        assert by_archive["1986-J-0007"].status == "registered"
        old = by_archive["1976-J-0031"]
        assert [p.id_type for p in old.parties] == ["none", "none"]
        assert [p.birth_date for p in old.parties] == [D(1951, 4, 2), D(1953, 6, 9)]
        assert old.parties[0].name_initials == "ldf" and old.parties[0].data == {}
        entries = s.execute(select(AuditEntry).where(AuditEntry.action == "archive.import")).scalars().all()
        assert len(entries) == 1
        assert entries[0].detail["imported"] == 4 and entries[0].detail["refused"] == 6


def test_report_does_not_add_id_numbers_the_file_did_not_have(clerk_ctx, db, tmp_path):
    # An ID already on record must not leak into the report of a row that merely collides with it.
    write_csv(tmp_path / "first.csv", [row(party1_id_number=MAN_ID, certificate_no="旧001")])
    ArchiveImport(clerk_ctx).run(tmp_path / "first.csv")
    src = write_csv(tmp_path / "second.csv", [row(archive_no="1985-J-0002", certificate_no="旧001")])
    report = ArchiveImport(clerk_ctx).run(src, report_path=tmp_path / "out.csv")
    assert report.refused == 1 and report.refusals_by_code == {"CERTIFICATE_NO_EXISTS": 1}
    assert MAN_ID not in (tmp_path / "out.csv").read_text(encoding="utf-8-sig")


def test_importing_the_same_file_twice_refuses_every_row_the_second_time(clerk_ctx, db, tmp_path):
    src = write_csv(tmp_path / "a.csv", [row(), row(archive_no="1985-J-0002", party1_name="张三")])
    assert ArchiveImport(clerk_ctx).run(src).imported == 2
    again = ArchiveImport(clerk_ctx).run(src)
    assert (again.imported, again.refused) == (0, 2)
    assert again.refusals_by_code == {"ARCHIVE_NO_EXISTS": 2}
    assert count(db) == 2


def test_refused_report_can_be_fixed_and_imported_again(clerk_ctx, db, tmp_path):
    src = write_csv(tmp_path / "a.csv", [row(party2_name="")])
    first = ArchiveImport(clerk_ctx).run(src)
    assert first.refused == 1
    fixed = Path(first.report_path).read_text(encoding="utf-8-sig")
    lines = list(csv.reader(io.StringIO(fixed)))
    header = lines[0]
    lines[1][header.index("party2_name")] = "李秀英"
    buf = io.StringIO(newline="")
    csv.writer(buf).writerows(lines)
    (tmp_path / "fixed.csv").write_text(buf.getvalue(), encoding="utf-8-sig")
    assert ArchiveImport(clerk_ctx).run(tmp_path / "fixed.csv").imported == 1


def test_gb18030_file_from_excel_is_read(clerk_ctx, db, tmp_path):
    src = write_csv(tmp_path / "gbk.csv", [row()], encoding="gb18030")
    report = ArchiveImport(clerk_ctx).run(src)
    assert report.imported == 1
    with db.read() as s:
        assert s.execute(select(Party.name).order_by(Party.id)).scalars().all() == ["王建国", "李秀英"]


@pytest.mark.parametrize("rows, expected", [
    # divorce before the marriage in the file: still matched (rows are ordered by date)
    ([row(record_type="divorce", registration_date="1990-01-01", archive_no="L1"), row(archive_no="J1")],
     {"J1": ("dissolved", None), "L1": ("issued", "J1")}),
    # the same couple married twice: each divorce closes the marriage before it
    ([row(archive_no="J1", registration_date="1980-01-01"), row(record_type="divorce", archive_no="L1",
      registration_date="1982-01-01"), row(archive_no="J2", registration_date="1985-01-01"),
      row(record_type="divorce", archive_no="L2", registration_date="1990-01-01")],
     {"J1": ("dissolved", None), "L1": ("issued", "J1"), "J2": ("dissolved", None), "L2": ("issued", "J2")}),
    # a divorce dated before the only marriage does not close it
    ([row(archive_no="J1", registration_date="1990-01-01"),
      row(record_type="divorce", archive_no="L1", registration_date="1989-01-01")],
     {"J1": ("registered", None), "L1": ("issued", None)}),
])
def test_divorce_rows_close_the_right_marriage(clerk_ctx, db, tmp_path, rows, expected):
    for r in rows:
        r.update(party1_id_number=MAN_ID, party2_id_number=WOMAN_ID)
    ArchiveImport(clerk_ctx).run(write_csv(tmp_path / "a.csv", rows))
    with db.read() as s:
        recs = {r.archive_no: r for r in s.execute(select(Record)).scalars()}
    ids = {r.id: no for no, r in recs.items()}
    got = {no: (r.status, ids.get(r.linked_record_id)) for no, r in recs.items()}
    assert got == expected


def test_divorce_row_closes_a_marriage_already_on_record(clerk_ctx, db, tmp_path):
    ArchiveImport(clerk_ctx).run(write_csv(tmp_path / "m.csv", [
        row(party1_id_number=MAN_ID, party2_id_number=WOMAN_ID)]))
    report = ArchiveImport(clerk_ctx).run(write_csv(tmp_path / "d.csv", [
        row(record_type="divorce", registration_date="1999-09-09", archive_no="L9",
            party1_id_number=MAN_ID, party2_id_number=WOMAN_ID)]))
    assert report.dissolved == 1
    assert count(db, Record, Record.status == "dissolved") == 1


def test_back_entered_marriage_counts_in_the_marital_status_check(clerk_ctx, db, tmp_path):
    man = person("王建国", "M", D(1958, 3, 12))
    ArchiveImport(clerk_ctx).run(write_csv(tmp_path / "a.csv", [row(party1_id_number=man["id_number"])]))
    case = MarriageCase.from_dict(marriage_case(man=man, woman=person("新娘", "F", D(1970, 1, 1))))
    with pytest.raises(Refused) as err:
        MarriageService(clerk_ctx).register_case(case)
    assert "EXISTING_SPOUSE" in err.value.codes()
    # once the archive shows the divorce, the same man may marry again
    ArchiveImport(clerk_ctx).run(write_csv(tmp_path / "d.csv", [row(
        record_type="divorce", registration_date="1990-01-01", archive_no="L1",
        party1_id_number=man["id_number"], party2_id_number="")]))
    with pytest.raises(Refused) as err:  # no woman's ID on the divorce row: it cannot be matched
        MarriageService(clerk_ctx).register_case(case)
    assert "EXISTING_SPOUSE" in err.value.codes()


def test_cancelled_import_leaves_nothing(clerk_ctx, db, tmp_path):
    rows = [row(archive_no=f"A{i}", certificate_no=f"旧{i}") for i in range(5000)]
    src = write_csv(tmp_path / "big.csv", rows)
    calls = []

    def cancel_in_write_phase() -> bool:
        calls.append(1)
        return len(calls) > 3  # after some rows have been written

    audit_before = count(db, AuditEntry)
    with pytest.raises(Cancelled):
        ArchiveImport(clerk_ctx).run(src, cancelled=cancel_in_write_phase)
    assert count(db) == 0 and count(db, Party) == 0 and count(db, AuditEntry) == audit_before
    assert not (tmp_path / "big.refused.csv").exists()


def test_failing_import_leaves_nothing_and_no_report(clerk_ctx, db, tmp_path, monkeypatch):
    rows = [row(archive_no=f"A{i}") for i in range(5000)] + [row(archive_no="bad", party1_name="")]
    src = write_csv(tmp_path / "big.csv", rows)

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(archive_import.audit, "record", disk_full)  # the last write inside the transaction
    with pytest.raises(OSError):
        ArchiveImport(clerk_ctx).run(src)
    assert count(db) == 0 and count(db, Party) == 0
    # no report for an import that was rolled back, and no temporary copy of the rows
    assert not any(p.name.endswith((".refused.csv", ".tmp")) for p in tmp_path.iterdir())


def test_a_report_that_cannot_be_written_says_the_import_committed(clerk_ctx, db, tmp_path, monkeypatch):
    rows = [row(archive_no=f"A{i}") for i in range(20)] + [row(archive_no="bad", party1_name="")]
    src = write_csv(tmp_path / "a.csv", rows)

    def disk_full(fd, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fsutil.os, "write", disk_full)  # the report's bytes never reach the disk
    with pytest.raises(StorageError) as err:
        ArchiveImport(clerk_ctx).run(src)
    monkeypatch.undo()
    assert err.value.code == "REPORT_WRITE_FAILED" and "已导入20条" in err.value.message
    assert count(db) == 20  # the import itself committed before the report was written
    assert not any(p.name.endswith((".refused.csv", ".tmp")) for p in tmp_path.iterdir())


def test_progress_is_reported_per_phase(clerk_ctx, tmp_path):
    src = write_csv(tmp_path / "a.csv", [row(archive_no=f"A{i}") for i in range(4500)])
    seen = []
    ArchiveImport(clerk_ctx).run(src, progress=lambda done, total, label: seen.append((label, done, total)))
    check, write = PHASE_ZH["check"], PHASE_ZH["write"]
    assert (check, 4500, 4500) in seen and seen[-1] == (write, 4500, 4500)
    assert [d for p, d, _ in seen if p == write] == sorted(d for p, d, _ in seen if p == write)


def test_import_needs_the_permission_and_an_existing_file(clerk_ctx, admin_ctx, tmp_path):
    with pytest.raises(PermissionDenied):
        ArchiveImport(admin_ctx).run(tmp_path / "none.csv")
    with pytest.raises(Refused) as err:
        ArchiveImport(clerk_ctx).run(tmp_path / "none.csv")
    assert err.value.codes() == ["FILE_NOT_FOUND"]
