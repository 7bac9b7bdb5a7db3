"""Statistics against a small data set counted by hand, and the `registry` commands of this module."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import subprocess
import sys
import uuid

import pytest
from sqlalchemy import select

from registry_app.clock import CHINA_TZ
from registry_app.domain.parties import PersonInput
from registry_app.errors import PermissionDenied, Refused
from registry_app.services.people import party_row
from registry_app.services.statistics import Period, Statistics
from registry_app.storage.models import AuditEntry, Certificate, Record
from tests.conftest import PASSPHRASE, PASSWORDS
from tests.factories import id_number

D = dt.date
# The hand-counted quarter is written partly with the system clock (the command line) and then read with a
# fixed clock in 2026-Q2: a production database would rightly refuse that clock (CLOCK_BEHIND).
pytestmark = pytest.mark.training


def at(d: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(d, dt.time(hour), CHINA_TZ)


def add(s, kind, status, date, parties=(), *, back_entered=False, updated=None, data=None):
    rec = Record(uid=str(uuid.uuid4()), kind=kind, status=status, office_code="320102", registration_date=date,
                 back_entered=back_entered, data=data or {}, created_by="clerk", created_at=at(date or D(2026, 1, 1)),
                 updated_at=updated or at(date or D(2026, 1, 1)))
    for i, (sex, birth, id_type, prior) in enumerate(parties, 1):
        number = id_number(birth, sex) if id_type == "resident_id" else {
            "passport": "E1234567", "hk_macao_permit": "H12345678", "macao": "M12345678",
            "taiwan_permit": "12345678"}[id_type]
        rec.parties.append(party_row(PersonInput(f"人{i}", sex, birth, "hk_macao_permit" if id_type == "macao"
                                                 else id_type, number, prior_status=prior), i, f"party{i}"))
    s.add(rec)
    s.flush()
    return rec


R = "resident_id"


@pytest.fixture
def dataset(db):
    """Q2 2026 (April-June), counted by hand:

    marriages registered in Q2 (not back-entered): #1 #2 #3 #4 #5 #6 = 6 couples
      #1 both resident, first marriages, ages 25 (M, 2001-04-10 on 2026-04-10) and 24 (F)
      #2 both resident, he divorced, she widowed: 2 remarriages; ages 50 and 49
      #3 foreign (passport) + resident: she unmarried; ages 30 and 35
      #4 Hong Kong permit (H...): ages 29 and 29
      #5 Macao permit (M...) + resident, dissolved later in the quarter (still a Q2 registration): ages 22, 40
      #6 Taiwan permit + resident: ages 39 and 34
    not counted: a Q1 marriage, a back-entered Q2 marriage, an accepted (unregistered) case.
    divorces issued in Q2: 2 (+1 in Q1, +1 back-entered); withdrawn in Q2: 1 (+1 in July); expired in Q2: 1.
    reissues: BJ in Q2 x2 (one more voided), BL in Q2 x1, BJ in March x1.
    adoptions registered in Q2: 2 (one of them dissolved on 2026-06-01); another dissolved in May with a
    dissolution_date in March (counted in Q1, not Q2).
    """
    with db.write() as s:
        def m(reg, p1, p2, status="registered", **kw):
            return add(s, "marriage", status, reg, [p1, p2], **kw)
        m(D(2026, 4, 10), ("M", D(2001, 4, 10), R, "unmarried"), ("F", D(2001, 4, 11), R, "unmarried"))
        m(D(2026, 5, 1), ("M", D(1976, 1, 1), R, "divorced"), ("F", D(1976, 5, 2), R, "widowed"))
        m(D(2026, 5, 2), ("M", D(1996, 1, 1), "passport", ""), ("F", D(1991, 1, 1), R, "unmarried"))
        m(D(2026, 6, 1), ("M", D(1997, 1, 1), "hk_macao_permit", ""), ("F", D(1997, 1, 1), R, "unmarried"))
        m(D(2026, 6, 2), ("M", D(2004, 1, 1), "macao", ""), ("F", D(1986, 1, 1), R, "unmarried"), status="dissolved")
        m(D(2026, 6, 30), ("M", D(1987, 1, 1), "taiwan_permit", ""), ("F", D(1992, 1, 1), R, "unmarried"))
        m(D(2026, 3, 31), ("M", D(1990, 1, 1), R, "unmarried"), ("F", D(1990, 1, 1), R, "unmarried"))
        m(D(2026, 4, 20), ("M", D(1950, 1, 1), R, ""), ("F", D(1950, 1, 1), R, ""), back_entered=True)
        m(None, ("M", D(1990, 1, 1), R, "unmarried"), ("F", D(1990, 1, 1), R, "unmarried"), status="accepted")
        add(s, "divorce", "issued", D(2026, 4, 1))
        add(s, "divorce", "issued", D(2026, 6, 30))
        add(s, "divorce", "issued", D(2026, 3, 1))
        add(s, "divorce", "issued", D(2026, 5, 1), back_entered=True)
        add(s, "divorce", "withdrawn", None, updated=at(D(2026, 6, 30), 23))
        add(s, "divorce", "withdrawn", None, updated=at(D(2026, 7, 1), 0))
        add(s, "divorce", "expired", None, updated=at(D(2026, 4, 1), 0))
        add(s, "divorce", "cooling_off", None, updated=at(D(2026, 5, 1)))
        host = add(s, "marriage", "registered", D(2020, 1, 1))
        for number, cert_type, issued, status in (
            ("BJ320102-2026-000001", "BJ", D(2026, 4, 2), "issued"),
            ("BJ320102-2026-000002", "BJ", D(2026, 6, 3), "issued"),
            ("BJ320102-2026-000003", "BJ", D(2026, 6, 3), "voided"),
            ("BL320102-2026-000001", "BL", D(2026, 5, 5), "issued"),
            ("BJ320102-2026-000000", "BJ", D(2026, 3, 31), "issued"),
        ):
            s.add(Certificate(number=number, cert_type=cert_type, record_id=host.id, issued_on=issued, status=status))
        add(s, "adoption", "registered", D(2026, 4, 15))
        add(s, "adoption", "dissolved", D(2026, 5, 15), data={"dissolution_date": "2026-06-01"})
        add(s, "adoption", "dissolved", D(2025, 5, 15), data={"dissolution_date": "2026-03-01"},
            updated=at(D(2026, 5, 20)))
        add(s, "adoption", "dissolved", D(2024, 1, 1), updated=at(D(2026, 6, 20)))
    return db


EXPECTED_Q2 = {
    "marriages": 6, "marriages_mainland": 2, "first_marriages": 6, "remarriages": 2,
    "marriages_foreign_hmt": 4, "marriages_foreign": 1, "marriages_hk": 1, "marriages_macao": 1,
    "marriages_taiwan": 1, "divorces": 2, "divorce_withdrawn": 1, "divorce_expired": 1, "reissues": 3,
    "reissues_marriage": 2, "reissues_divorce": 1, "adoptions": 2, "adoption_dissolutions": 2,
}


def test_quarter_matches_the_hand_count(supervisor_ctx, dataset):
    report = Statistics(supervisor_ctx).report("2026-Q2")
    assert (report.start, report.end) == ("2026-04-01", "2026-06-30")
    assert report.indicators == EXPECTED_Q2
    # ages on the registration date: 25,24 | 50,49 (her birthday is the day after) | 30,35 | 29,29 | 22,40 | 39,34
    assert {k: v["total"] for k, v in report.age_bands.items()} == {
        "under_25": 2, "25_29": 3, "30_34": 2, "35_39": 2, "40_49": 2, "50_plus": 1, "unknown": 0}
    assert report.age_bands["50_plus"] == {"male": 1, "female": 0, "total": 1}
    assert report.age_bands["40_49"] == {"male": 0, "female": 2, "total": 2}
    assert report.age_bands["under_25"] == {"male": 1, "female": 1, "total": 2}


@pytest.mark.parametrize("permit, region", [
    ("810000199701010012", "marriages_hk"), ("820000199701010012", "marriages_macao"),
    ("830000199701010012", "marriages_taiwan"),
])
def test_a_residence_permit_counts_for_its_region(supervisor_ctx, db, permit, region):
    """港澳台居民居住证 (810000/820000/830000): the holder's region, as the travel permits count."""
    with db.write() as s:
        rec = add(s, "marriage", "registered", D(2026, 5, 5), [("F", D(1990, 1, 1), R, "unmarried")])
        rec.parties.append(party_row(PersonInput("港澳台居民", "M", D(1997, 1, 1), "hmt_residence_permit", permit,
                                                 prior_status="unmarried"), 2, "party2"))
    ind = Statistics(supervisor_ctx).report("2026-Q2").indicators
    assert ind[region] == 1 and ind["marriages_foreign_hmt"] == 1 and ind["marriages_foreign"] == 0
    others = {"marriages_hk", "marriages_macao", "marriages_taiwan"} - {region}
    assert all(ind[k] == 0 for k in others) and ind["marriages_mainland"] == 0


@pytest.mark.parametrize("period, marriages, divorces, reissues", [
    ("2026-04", 1, 1, 1), ("2026-05", 2, 0, 1), ("2026-06", 3, 1, 1), ("2026-Q1", 1, 1, 1), ("2026", 7, 3, 4),
    ("2026-Q3", 0, 0, 0), ("2025", 0, 0, 0),
])
def test_other_periods(supervisor_ctx, dataset, period, marriages, divorces, reissues):
    ind = Statistics(supervisor_ctx).report(period).indicators
    assert (ind["marriages"], ind["divorces"], ind["reissues"]) == (marriages, divorces, reissues)


def test_withdrawals_count_by_the_beijing_date_of_the_change(supervisor_ctx, dataset):
    assert Statistics(supervisor_ctx).report("2026-07").indicators["divorce_withdrawn"] == 1
    assert Statistics(supervisor_ctx).report("2026-Q1").indicators["adoption_dissolutions"] == 1


@pytest.mark.parametrize("text, start, end", [
    ("2026-Q1", D(2026, 1, 1), D(2026, 3, 31)), ("2026-q4", D(2026, 10, 1), D(2026, 12, 31)),
    ("2024-02", D(2024, 2, 1), D(2024, 2, 29)), ("2026-12", D(2026, 12, 1), D(2026, 12, 31)),
    ("2026", D(2026, 1, 1), D(2026, 12, 31)),
])
def test_periods(text, start, end):
    p = Period.parse(text)
    assert (p.start, p.end) == (start, end)


@pytest.mark.parametrize("text", ["", "2026-Q5", "2026-13", "26-06", "2026/06", "Q2"])
def test_bad_periods(text):
    with pytest.raises(Refused) as err:
        Period.parse(text)
    assert err.value.codes() == ["PERIOD_INVALID"]


def test_rows_and_csv(supervisor_ctx, dataset):
    report = Statistics(supervisor_ctx).report("2026-Q2")
    rows = report.to_rows()
    assert rows[0] == ("marriages", "结婚登记（对）", 6)
    assert ("age_50_plus", "结婚登记当事人年龄 50岁及以上（人）", 1) in rows
    lines = list(csv.reader(io.StringIO(report.to_csv())))
    assert lines[0][:2] == ["统计期 period", "2026-Q2"]
    assert lines[2] == ["marriages", "结婚登记（对）", "6"]
    assert len(lines) == 2 + len(rows)


def test_statistics_need_the_permission_and_are_audited(clerk_ctx, supervisor_ctx, db):
    with pytest.raises(PermissionDenied):
        Statistics(clerk_ctx).report("2026")
    Statistics(supervisor_ctx).report("2026")
    with db.read() as s:
        assert s.execute(select(AuditEntry.action).where(AuditEntry.action == "statistics.report")).scalars().all() \
            == ["statistics.report"]


# --- the command line ------------------------------------------------------------------------------

def _cli(db_path, *args, user_password):
    env = {**os.environ, "REGISTRY_PASSPHRASE": PASSPHRASE, "REGISTRY_USER_PASSWORD": user_password}
    return subprocess.run([sys.executable, "-m", "registry_app.cli", "--db", str(db_path), *args],
                          capture_output=True, text=True, env=env, timeout=120)


def test_command_line(db, db_path, tmp_path):
    db.close()  # the command opens the file itself
    sample = tmp_path / "a.csv"
    sample.write_text(
        "record_type,registration_date,party1_name,party1_sex,party2_name,party2_sex,archive_no\n"
        "marriage,1980-01-01,刘德福,男,赵淑珍,女,A1\nmarriage,2030-01-01,某,男,某某,女,A2\n", encoding="utf-8")
    clerk = PASSWORDS["clerk"]
    r = _cli(db_path, "import", "archive", str(sample), "--user", "clerk", "--report", str(tmp_path / "r.csv"),
             user_password=clerk)
    assert r.returncode == 0, r.stdout + r.stderr
    out = json.loads(r.stdout)
    assert (out["imported"], out["refused"], out["report_path"]) == (1, 1, str(tmp_path / "r.csv"))
    r = _cli(db_path, "search", "ldf", "--user", "clerk", user_password=clerk)
    assert r.returncode == 0, r.stdout + r.stderr
    hits = json.loads(r.stdout)["hits"]
    assert [h["parties"][0]["name"] for h in hits] == ["刘德福"]
    record_id = hits[0]["record_id"]
    r = _cli(db_path, "search", "12", "--user", "clerk", user_password=clerk)
    assert r.returncode == 2 and "QUERY_UNRECOGNISED" in r.stdout
    r = _cli(db_path, "correction", "propose", str(record_id), "--set", "parties.1.name=刘德富", "--reason", "笔误",
             "--user", "clerk", user_password=clerk)
    assert r.returncode == 0, r.stdout + r.stderr
    cid = json.loads(r.stdout)["correction_id"]
    r = _cli(db_path, "correction", "approve", str(cid), "--user", "clerk", user_password=clerk)
    assert r.returncode == 2 and "PERMISSION_DENIED" in r.stdout
    r = _cli(db_path, "correction", "approve", str(cid), "--note", "同意", "--user", "supervisor",
             user_password=PASSWORDS["supervisor"])
    assert r.returncode == 0 and json.loads(r.stdout)["status"] == "approved"
    r = _cli(db_path, "correction", "history", str(record_id), "--user", "clerk", user_password=clerk)
    assert json.loads(r.stdout)["corrections"][0]["changes"][0]["new"] == "刘德富"
    r = _cli(db_path, "stats", "2026-Q2", "--user", "supervisor", "--csv", str(tmp_path / "s.csv"),
             user_password=PASSWORDS["supervisor"])
    assert r.returncode == 0, r.stdout + r.stderr
    assert json.loads(r.stdout)["indicators"]["marriages"] == 0  # the back-entered marriage is not a Q2 count
    assert (tmp_path / "s.csv").read_bytes().startswith(b"\xef\xbb\xbf")
