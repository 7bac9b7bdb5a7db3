"""Hostile and careless input at every entry point that takes a clerk's data.

For any input, a service answers with a result or a coded RegistryError, and when it refuses, not one row
of any table changed (the audit trail included). The command line ends in a coded error, never a
traceback: a directory or a deep file as --input, a full disk, a damaged database, a bug.
"""
from __future__ import annotations

import copy
import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, currently_in_test_context, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from registry_app.domain.field_rules import forbidden_character
from registry_app.domain.ids import check_character
from registry_app.errors import RegistryError
from registry_app.services.adoption import AdoptionService
from registry_app.services.archive_import import COLUMNS, ArchiveImport
from registry_app.services.calendar import HolidaySchedules
from registry_app.services.corrections import Corrections
from registry_app.services.divorce import DivorceService
from registry_app.services.marriage import MarriageCase, MarriageService
from registry_app.services.certificate_voiding import CertificateVoiding
from registry_app.services.court_annotation import CourtAnnotation
from registry_app.services.record_proof import RecordProof
from registry_app.services.reissue import CertificateReissue
from registry_app.services.statistics import Report
from registry_app.storage.models import Base, Party, Record
from tests.conftest import PASSPHRASE, PASSWORDS
from tests.factories import jpeg_photo

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "resources" / "examples"
FEW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                      HealthCheck.too_slow])


def example(name: str) -> dict:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


def snapshot(db) -> dict:
    with db.read() as s:
        return {t.name: s.execute(select(func.count()).select_from(t)).scalar() for t in Base.metadata.sorted_tables}


def _event(what: str) -> None:
    if currently_in_test_context():  # --hypothesis-show-statistics shows how often each happened
        event(what)


def outcome(db, call):
    """The call's result, or its RegistryError after checking that nothing in the database changed."""
    before = snapshot(db)
    try:
        result = call()
        _event("result")
        return result
    except RegistryError as exc:
        _event("refused")
        assert exc.code and all(i.code for i in exc.issues)
        assert snapshot(db) == before, f"{exc.code} refused, yet the database changed"
        return exc


def stored_texts_are_clean(db) -> None:
    with db.read() as s:
        for p in s.execute(select(Party)).scalars():
            for value in (p.name, p.id_number or "", p.nationality or ""):
                assert forbidden_character(value) is None and len(value) <= 64
            for value in (p.data or {}).values():
                if isinstance(value, str):
                    assert forbidden_character(value) is None and len(value) <= 100


# --- hostile values ----------------------------------------------------------------------------------

NASTY_TEXT = st.sampled_from([
    "", " ", "\x00", "张\u202e伟", "张\u200b伟", "\ufeff张伟", "张\n伟", "张\t伟", "=cmd|' /C calc'!A0",
    "=HYPERLINK(\"http://x\",\"点此\")", "@SUM(1)", "1" * 1000, "备" * 600, "x" * 20_000, "３２０１０２", "\ud800",
    "1850-01-01", "1851-03-08", "9999-12-31", "2026-02-30", "resident_id", "passport", "none", "M", "F",
    "remarriage", "supplementary", "lost", "party1", "present", "married", "orphan", "guardian",
])
NASTY = st.one_of(
    st.none(), st.booleans(), NASTY_TEXT, st.text(max_size=12),
    st.sampled_from([0, -1, 1, 2, 999_999, 2 ** 63, 10 ** 30, -10 ** 30, 1.5, float("nan"), float("inf")]),
    st.integers(), st.lists(st.text(max_size=4), max_size=3), st.dictionaries(st.text(max_size=4), NASTY_TEXT, max_size=2),
)


def _paths(value, prefix=()):
    if prefix:
        yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, prefix + (i,))


@st.composite
def mutated(draw, base: dict) -> dict:
    """The base case with one to three values (anywhere, nested too) replaced by something hostile,
    and sometimes an extra key."""
    case = copy.deepcopy(base)
    paths = list(_paths(case))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(paths))
        parent = case
        try:
            for key in path[:-1]:
                parent = parent[key]
            parent[path[-1]] = draw(NASTY)
        except (KeyError, IndexError, TypeError):
            continue
    if draw(st.booleans()):
        case[draw(st.sampled_from(["photo", "remarks", "extra", "previous_record_id", "\u202e"]))] = draw(NASTY)
    return case


def resident_id(birth: str, male: bool, seq: int) -> str:
    first17 = f"320102{birth.replace('-', '')}{seq * 2 + male:03d}"
    return first17 + check_character(first17)


@st.composite
def fresh_marriage(draw) -> dict:
    """The example marriage with ID numbers of its own, so that many examples can register."""
    case = example("marriage-case.json")
    for key, male in (("party1", True), ("party2", False)):
        case[key]["id_number"] = resident_id(case[key]["birth_date"], male, draw(st.integers(0, 499)))
    return draw(mutated(case))


@st.composite
def fresh_adoption(draw) -> dict:
    case = example("adoption-case.json")
    case["adoptee"]["id_number"] = resident_id(case["adoptee"]["birth_date"], False, draw(st.integers(0, 499)))
    return draw(mutated(case))


# --- fixtures ----------------------------------------------------------------------------------------

@pytest.fixture
def marriage_id(clerk_ctx) -> int:
    return MarriageService(clerk_ctx).register_case(MarriageCase.from_dict(example("marriage-case.json"))).record_id


def register_marriage(ctx, case):
    return MarriageService(ctx).register_case(MarriageCase.from_dict(case))


# --- the service entry points --------------------------------------------------------------------

@FEW
@given(case=fresh_marriage())
def test_marriage_register_and_check(clerk_ctx, db, case):
    outcome(db, lambda: MarriageService(clerk_ctx).check(MarriageCase.from_dict(case)))
    outcome(db, lambda: register_marriage(clerk_ctx, case))
    stored_texts_are_clean(db)


@FEW
@given(case=fresh_marriage())
def test_marriage_correction(clerk_ctx, db, case):
    service = MarriageService(clerk_ctx)
    record_id = service.accept(MarriageCase.from_dict(example("marriage-case.json")))
    outcome(db, lambda: service.correct(record_id, MarriageCase.from_dict(case)))
    stored_texts_are_clean(db)


@FEW
@given(photo=st.one_of(st.binary(min_size=1, max_size=64), st.sampled_from([
    b"root:x:0:0:root:/root:/bin/bash\n", b"\xff\xd8\xff fake jpeg", jpeg_photo()[:-100], b"\x89PNG\r\n\x1a\n"])))
def test_only_photos_are_stored(clerk_ctx, db, photo):
    case = MarriageCase.from_dict(example("marriage-case.json"))
    case.photo = photo
    result = outcome(db, lambda: MarriageService(clerk_ctx).register_case(case))
    assert isinstance(result, RegistryError) and result.code in ("PHOTO_INVALID", "PHOTO_TOO_LARGE")


@FEW
@given(case=mutated(example("divorce-case.json")))
def test_divorce_apply(clerk_ctx, db, marriage_id, case):
    svc = DivorceService(clerk_ctx)
    svc.expire_overdue()
    outcome(db, lambda: svc.check(case))  # the live check: an answer, never a crash, nothing stored
    outcome(db, lambda: svc.apply(case))
    stored_texts_are_clean(db)


@FEW
@given(case=fresh_adoption())
def test_adoption_register_and_check(clerk_ctx, db, case):
    svc = AdoptionService(clerk_ctx)
    outcome(db, lambda: svc.check(case))
    outcome(db, lambda: svc.register(case))
    stored_texts_are_clean(db)


@FEW
@given(request=mutated(example("reissue-request.json")),
       ref=st.one_of(st.just(None), st.sampled_from([0, -1, 10 ** 30, 2 ** 63, True, "J\u202e", "x" * 5000])))
def test_reissue(clerk_ctx, db, marriage_id, request, ref):
    outcome(db, lambda: CertificateReissue(clerk_ctx).reissue(marriage_id if ref is None else ref, request))


CHANGE_PATHS = st.sampled_from(["parties.1.name", "parties.2.id_number", "parties.1.phone", "parties.1.birth_date",
                                "parties.2.residence", "data.remarks", "archive_no", "status", "parties.9.name"])


@FEW
@given(changes=st.lists(st.fixed_dictionaries({"path": CHANGE_PATHS | NASTY, "new": NASTY}), max_size=3) | NASTY,
       reason=NASTY, evidence=NASTY, record=st.sampled_from([None, 0, 10 ** 30, "1"]))
def test_correction_propose(clerk_ctx, db, marriage_id, changes, reason, evidence, record):
    outcome(db, lambda: Corrections(clerk_ctx).propose(marriage_id if record is None else record, changes,
                                                       reason, evidence))


ARCHIVE_CELLS = st.one_of(NASTY_TEXT, st.text(max_size=10), st.sampled_from(
    ["marriage", "divorce", "1985-05-01", "王建国", "李秀英", "M", "F", "1958-03-12", "1960-07-05", "A-1"]))


@FEW
@given(rows=st.lists(st.fixed_dictionaries({c: ARCHIVE_CELLS for c in COLUMNS}), min_size=1, max_size=4))
def test_archive_import_rows(clerk_ctx, db, tmp_path, rows):
    buf = io.StringIO(newline="")
    w = csv.DictWriter(buf, fieldnames=list(COLUMNS), lineterminator="\r\n")
    w.writeheader()
    w.writerows([{k: v.replace("\x00", "") for k, v in r.items()} for r in rows])  # csv refuses NUL itself
    src = tmp_path / "rows.csv"
    src.write_bytes(buf.getvalue().encode("utf-8", "surrogatepass"))
    result = outcome(db, lambda: ArchiveImport(clerk_ctx).run(src, report_path=tmp_path / "report.csv"))
    if not isinstance(result, RegistryError):
        assert result.imported + result.refused <= result.total
    stored_texts_are_clean(db)


@FEW
@given(data=st.one_of(
    st.binary(max_size=200),
    mutated({"format": "registry-holiday-schedule", "version": 1, "year": 2027, "source": "国办发明电",
             "holidays": [{"date": "2027-01-01", "name": "元旦"}], "workdays": []}).map(
        lambda d: json.dumps(d, ensure_ascii=False, allow_nan=True).encode("utf-8", "surrogatepass"))),
    name=st.sampled_from(["2027.json", "2027.csv", "schedule"]))
def test_calendar_import(admin_ctx, db, data, name):
    outcome(db, lambda: HolidaySchedules(admin_ctx).import_file(data, name))


@pytest.mark.parametrize("who, call, code", [
    ("clerk", lambda ctx, rid: MarriageService(ctx).cancel(rid, "放弃\u202e"), "FIELD_CHARACTER_INVALID"),
    ("clerk", lambda ctx, rid: MarriageService(ctx).cancel(rid, ["放弃"]), "REASON_REQUIRED"),
    ("clerk", lambda ctx, rid: MarriageService(ctx).view(10 ** 30), "RECORD_NOT_FOUND"),
    ("supervisor", lambda ctx, rid: CertificateVoiding(ctx).void_certificate("J320102-2026-000001", "错" * 501),
     "FIELD_TOO_LONG"),
    ("supervisor", lambda ctx, rid: CourtAnnotation(ctx).annotate_judgment(10 ** 30, example("annotation.json")),
     "RECORD_NOT_FOUND"),
    ("clerk", lambda ctx, rid: RecordProof(ctx).record_proof("320102199503080019", purpose="\x00"),
     "FIELD_CHARACTER_INVALID"),
    ("clerk", lambda ctx, rid: RecordProof(ctx).record_proof({"name": "张\u200b伟", "birth_date": "1995-03-08"}),
     "FIELD_CHARACTER_INVALID"),
    ("clerk", lambda ctx, rid: DivorceService(ctx).withdraw(10 ** 30, 1), "APPLICATION_NOT_FOUND"),
    ("clerk", lambda ctx, rid: Corrections(ctx).propose(rid, [{"path": "data.remarks", "new": "x"}], "原因\u202e"),
     "FIELD_CHARACTER_INVALID"),
])
def test_smaller_entry_points(ctx_for, db, marriage_id, who, call, code):
    ctx = ctx_for(who)  # the login is audited: before the snapshot
    result = outcome(db, lambda: call(ctx, marriage_id))
    assert isinstance(result, RegistryError) and result.code == code


def test_divorce_notes_and_questioning_are_checked(clerk_ctx, db, marriage_id, clock):
    svc = DivorceService(clerk_ctx)
    app_id = svc.apply(example("divorce-case.json"))["application_id"]
    result = outcome(db, lambda: svc.withdraw(app_id, 1, slip_lost=True, note="说明\u202e"))
    assert result.code == "FIELD_CHARACTER_INVALID"
    result = outcome(db, lambda: svc.withdraw(app_id, 1, note={"a": 1}))
    assert result.code == "FIELD_TYPE_INVALID"


# --- CSV outputs ------------------------------------------------------------------------------------

FORMULAS = ["=HYPERLINK(\"http://evil.example\",\"点此\")", "=cmd|' /C calc'!A0", "@SUM(1)", "+1", "-1", "=1+1"]


def test_the_refused_rows_report_neutralises_formulas_and_imports_again(clerk_ctx, db, tmp_path):
    rows = [{**{c: "" for c in COLUMNS}, "record_type": "marriage", "registration_date": "1985-05-01",
             "party1_name": "王建国", "party1_sex": "M", "party2_name": "李秀英", "party2_sex": "F",
             "archive_no": "", "remarks": f} for f in FORMULAS]
    rows.append({**rows[0], "party1_name": FORMULAS[1], "archive_no": "X-1", "remarks": ""})
    buf = io.StringIO(newline="")
    w = csv.DictWriter(buf, fieldnames=list(COLUMNS), lineterminator="\r\n")
    w.writeheader()
    w.writerows(rows)
    src = tmp_path / "a.csv"
    src.write_text(buf.getvalue(), encoding="utf-8")
    report = ArchiveImport(clerk_ctx).run(src)
    assert report.refused == len(rows) and report.imported == 0
    cells = [c for row in csv.reader(io.StringIO(Path(report.report_path).read_text(encoding="utf-8-sig")))
             for c in row]
    for formula in FORMULAS:
        assert "'" + formula in cells and formula not in cells
    assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells)
    # the clerk fills in the archive numbers and imports the report as it is
    fixed = list(csv.DictReader(io.StringIO(Path(report.report_path).read_text(encoding="utf-8-sig"))))
    out = io.StringIO(newline="")
    w = csv.DictWriter(out, fieldnames=list(fixed[0]), lineterminator="\r\n")
    w.writeheader()
    w.writerows({**r, "archive_no": f"A-{i}"} for i, r in enumerate(fixed[:len(FORMULAS)]))
    again = tmp_path / "again.csv"
    again.write_text(out.getvalue(), encoding="utf-8-sig")
    assert ArchiveImport(clerk_ctx).run(again).imported == len(FORMULAS)
    with db.read() as s:
        stored = {r.data.get("remarks") for r in s.execute(select(Record)).scalars()}
    assert stored == set(FORMULAS)  # kept as typed, as text


def test_the_statistics_csv_neutralises_formulas():
    report = Report(period="=1+1", start="2026-01-01", end="2026-03-31", indicators={},
                    age_bands={})
    report.to_rows = lambda: [("k", "@label", 3), ("k2", "-x", -1)]
    text = report.to_csv()
    assert "'=1+1" in text and "'@label" in text and "'-x" in text and ",-1\r\n" in text


# --- the command line ---------------------------------------------------------------------------------

def cli(*args, env_extra=None, db_path=None):
    env = {**os.environ, "REGISTRY_PASSPHRASE": PASSPHRASE, "REGISTRY_USER_PASSWORD": PASSWORDS["clerk"],
           **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "registry_app.cli", "--db", str(db_path or "none.db"), *args],
                          capture_output=True, text=True, env=env, timeout=120)


def codes_of(stdout: str) -> list[str]:
    return [e["code"] for e in json.loads(stdout)["errors"]]


def test_bad_case_files_end_in_coded_errors_not_tracebacks(tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    bom = tmp_path / "bom.json"
    bom.write_bytes(b"\xef\xbb\xbf" + json.dumps(example("marriage-case.json"), ensure_ascii=False).encode())
    photo = tmp_path / "photo.json"
    photo.write_text(json.dumps({**example("marriage-case.json"), "photo": 5}))
    for path, code in ((tmp_path, "CASE_FILE_NOT_A_FILE"), (deep, "CASE_TOO_DEEP"), (photo, "PHOTO_INVALID"),
                       (bom, "DB_NOT_FOUND")):  # the BOM is read; the missing database is the next thing said
        run = cli("marriage", "register", "--input", str(path), "--user", "clerk", db_path=tmp_path / "none.db")
        assert "Traceback" not in run.stderr and codes_of(run.stdout) == [code], (path, run.stdout, run.stderr)
        assert run.returncode == (3 if code == "DB_NOT_FOUND" else 2)


@pytest.mark.parametrize("damage", ["every_page_after_the_schema", "the_last_pages"])
def test_a_damaged_database_says_so(db, db_path, clerk_ctx, marriage_id, damage):
    for _ in range(30):  # enough rows that the records and audit tables span many pages
        MarriageService(clerk_ctx).view(marriage_id)
    db.close()
    original = db_path.read_bytes()
    data = bytearray(original)
    page = 4096
    assert len(data) > 8 * page
    first = 2 * page if damage == "every_page_after_the_schema" else len(data) - 3 * page
    for offset in range(first, len(data), page):
        data[offset + 100:offset + 164] = os.urandom(64)
    db_path.write_bytes(bytes(data))
    try:
        run = cli("audit", "verify", db_path=db_path)
    finally:
        db_path.write_bytes(original)  # the fixture's own checks read the file at teardown
    assert "Traceback" not in run.stderr and run.returncode == 3, run.stderr
    assert codes_of(run.stdout) == ["DB_DAMAGED"], run.stdout


def test_a_full_disk_is_disk_full(db, db_path, clerk_ctx, marriage_id, tmp_path, monkeypatch):
    import registry_app.fsutil as fsutil

    def no_space(fd, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fsutil.os, "write", no_space)
    monkeypatch.setenv("REGISTRY_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("REGISTRY_USER_PASSWORD", PASSWORDS["clerk"])
    from registry_app.cli import main

    result = CliRunner().invoke(main, ["--db", str(db_path), "marriage", "proof", "320102199503080019",
                                       "--out", str(tmp_path / "proof.pdf"), "--user", "clerk"])
    assert result.exit_code == 3, result.output
    assert codes_of(result.stdout) == ["DISK_FULL"]
    assert not any(p.name.endswith(".tmp") for p in tmp_path.iterdir())


def test_an_unexpected_error_is_internal_error_without_personal_data(db, db_path, clerk_ctx, monkeypatch,
                                                                     tmp_path):
    def bug(self, case):
        raise ValueError(f"张伟 320102199503080019 {case.party1.name}")

    monkeypatch.setattr(MarriageService, "register_case", bug)
    monkeypatch.setenv("REGISTRY_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("REGISTRY_USER_PASSWORD", PASSWORDS["clerk"])
    case = tmp_path / "case.json"
    case.write_text(json.dumps(example("marriage-case.json"), ensure_ascii=False), encoding="utf-8")
    from registry_app.cli import main

    result = CliRunner().invoke(main, ["--db", str(db_path), "marriage", "register", "--input", str(case),
                                       "--user", "clerk"])
    assert result.exit_code == 3 and codes_of(result.stdout) == ["INTERNAL_ERROR"]
    assert "张伟" not in result.output and "320102199503080019" not in result.output
    assert "INTERNAL_ERROR builtins.ValueError" in result.stderr and "commands/marriage.py" in result.stderr
