"""Synthetic demo data: deterministic for a seed, valid ID numbers, realistic shares, consistent links,
back-entered rows without ID numbers, and certificate numbering that the counter continues."""
from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import pytest
from click.testing import CliRunner

from registry_app.clock import FixedClock
from registry_app.demo.generator import DemoGenerator, content_digest, generate, is_demo_database
from registry_app.domain.ids import age_on, check_character, parse_resident_id
from registry_app.services.marriage import MarriageCase, MarriageService
from registry_app.services.office_setup import OfficeSetup, initialise
from registry_app.services.people import initials
from registry_app.services.search import RecordSearch
from tests.conftest import OFFICE_CODE, OFFICE_NAME, PASSPHRASE, PASSWORDS

TODAY = dt.date(2026, 6, 15)
N = 1500


# Demo data goes only into a training database.
pytestmark = pytest.mark.training


def _fresh(path):
    return initialise(OfficeSetup(OFFICE_CODE, OFFICE_NAME, PASSPHRASE, "admin", "王管理", PASSWORDS["admin"],
                                  training=True), path, FixedClock(TODAY))


def _rows(db, sql: str, **params) -> list:
    from sqlalchemy import text

    with db.read() as s:
        return s.execute(text(sql), params).all()


@pytest.fixture
def demo(db):
    summary = generate(db, N, seed=7, until=TODAY, event_days=365)
    return db, summary


def test_same_seed_same_data_other_seed_other_data(tmp_path):
    digests = []
    for name, seed in (("a.db", 11), ("b.db", 11), ("c.db", 12)):
        db = _fresh(tmp_path / name)
        try:
            generate(db, 400, seed=seed, until=TODAY, event_days=365)
            digests.append(content_digest(db))
        finally:
            db.close()
    assert digests[0] == digests[1]
    assert digests[0] != digests[2]


def test_exactly_the_records_asked_for_and_marked_as_demo(demo):
    db, summary = demo
    assert summary.records == N
    assert _rows(db, "SELECT count(*) FROM records")[0][0] == N
    assert is_demo_database(db)
    actions = [a for (a,) in _rows(db, "SELECT action FROM audit_log")]
    assert actions.count("demo.generated") == 1


def test_every_resident_id_is_valid_and_agrees_with_birth_date_and_sex(demo):
    db, _ = demo
    rows = _rows(db, "SELECT id_number, birth_date, sex, id_tail, id_type FROM parties WHERE id_number IS NOT NULL")
    assert len(rows) > N
    for number, birth, sex, tail, id_type in rows:
        rid = parse_resident_id(number, TODAY)
        assert number[17] == check_character(number[:17])
        assert rid.birth_date.isoformat() == str(birth)
        assert rid.sex.value == sex
        assert tail == number[-6:]
        assert id_type == "resident_id"
    # one number is one person: the same number always carries the same name
    by_number: dict[str, set] = {}
    for number, name in _rows(db, "SELECT id_number, name FROM parties WHERE id_number IS NOT NULL"):
        by_number.setdefault(number, set()).add(name)
    assert all(len(v) == 1 for v in by_number.values())


def test_shares_are_realistic(demo):
    db, summary = demo
    kinds = Counter({(k, s, b): n for k, s, b, n in _rows(
        db, "SELECT kind, status, back_entered, count(*) FROM records GROUP BY 1, 2, 3")})
    total = sum(kinds.values())
    divorces = sum(n for (k, _, _), n in kinds.items() if k == "divorce")
    back = sum(n for (_, _, b), n in kinds.items() if b)
    adoptions = sum(n for (k, _, _), n in kinds.items() if k == "adoption")
    assert 0.08 <= divorces / total <= 0.30
    assert 0.09 <= back / total <= 0.25
    assert 0.003 <= adoptions / total <= 0.03
    assert summary.remarriages > 0 and summary.recouplings >= 0 and summary.reissues > 0
    remarried = _rows(db, "SELECT count(*) FROM parties p JOIN records r ON r.id = p.record_id "
                          "WHERE r.kind = 'marriage' AND json_extract(p.data, '$.prior_status') = 'divorced'")[0][0]
    assert remarried > 0
    years = {y for (y,) in _rows(db, "SELECT DISTINCT substr(registration_date, 1, 4) FROM records "
                                     "WHERE back_entered = 0")}
    assert len(years) >= 15 and "2026" in years
    names = Counter(n[0] for (n,) in _rows(db, "SELECT name FROM parties WHERE role IN ('party1', 'party2')"))
    top = [s for s, _ in names.most_common(5)]
    assert {"王", "李", "张"} & set(top)


def test_divorces_close_their_marriages(demo):
    db, _ = demo
    rows = _rows(db, "SELECT d.id, d.status, m.kind, m.status, d.registration_date, m.registration_date "
                     "FROM records d JOIN records m ON m.id = d.linked_record_id WHERE d.kind = 'divorce'")
    assert rows and len(rows) == _rows(db, "SELECT count(*) FROM records WHERE kind = 'divorce'")[0][0]
    for _, d_status, m_kind, m_status, d_date, m_date in rows:
        assert (d_status, m_kind, m_status) == ("issued", "marriage", "dissolved")
        assert str(d_date) > str(m_date)
    # same two people
    mismatched = _rows(db, "SELECT count(*) FROM parties pd JOIN records d ON d.id = pd.record_id AND d.kind = 'divorce' "
                           "JOIN parties pm ON pm.record_id = d.linked_record_id AND pm.position = pd.position "
                           "WHERE pm.name <> pd.name OR coalesce(pm.id_number, '') <> coalesce(pd.id_number, '')")[0][0]
    assert mismatched == 0
    # a dissolved marriage keeps no valid certificate; a live one keeps exactly one
    live_certs = dict(_rows(db, "SELECT r.id, sum(c.status = 'issued') FROM records r JOIN certificates c "
                                "ON c.record_id = r.id WHERE r.kind = 'marriage' GROUP BY r.id"))
    statuses = dict(_rows(db, "SELECT id, status FROM records WHERE kind = 'marriage' AND back_entered = 0"))
    for rid, status in statuses.items():
        assert live_certs[rid] == (1 if status == "registered" else 0)
    # nobody is in two standing marriages
    twice = _rows(db, "SELECT p.id_number FROM parties p JOIN records r ON r.id = p.record_id "
                      "WHERE r.kind = 'marriage' AND r.status = 'registered' AND p.id_number IS NOT NULL "
                      "GROUP BY p.id_number HAVING count(*) > 1")
    assert twice == []


def test_people_marry_at_legal_age(demo):
    db, _ = demo
    for reg, birth, sex in _rows(db, "SELECT r.registration_date, p.birth_date, p.sex FROM records r "
                                     "JOIN parties p ON p.record_id = r.id WHERE r.kind = 'marriage' "
                                     "AND p.birth_date IS NOT NULL"):
        age = age_on(dt.date.fromisoformat(str(birth)), dt.date.fromisoformat(str(reg)))
        assert age >= (22 if sex == "M" else 20)


def test_back_entered_records_have_no_id_numbers(demo):
    db, summary = demo
    rows = _rows(db, "SELECT p.id_type, p.id_number, p.id_tail, r.registration_date, r.application_date, r.data "
                     "FROM records r JOIN parties p ON p.record_id = r.id WHERE r.back_entered = 1")
    assert rows and summary.back_entered * 2 == len(rows)
    for id_type, number, tail, reg, application, _ in rows:
        assert (id_type, number, tail, application) == ("none", None, None, None)
        assert str(reg) < "2004-01-01"
    old_numbers = [n for (n,) in _rows(db, "SELECT certificate_no FROM records WHERE back_entered = 1 "
                                           "AND certificate_no IS NOT NULL")]
    assert old_numbers and all(re.fullmatch(r"玄婚字〔\d{4}〕第\d{5}号", n) for n in old_numbers)


def test_certificate_numbers_are_gap_free_in_date_order(demo):
    db, summary = demo
    by_key: dict[tuple[str, str], list[tuple[str, int]]] = {}
    for number, cert_type, issued in _rows(db, "SELECT number, cert_type, issued_on FROM certificates ORDER BY id"):
        seq = int(number.rsplit("-", 1)[1])
        by_key.setdefault((cert_type, str(issued)[:4]), []).append((str(issued), seq))
    for (cert_type, year), items in by_key.items():
        seqs = [s for _, s in items]
        assert sorted(seqs) == list(range(1, len(seqs) + 1)), (cert_type, year)
        assert [s for _, s in sorted(items)] == sorted(seqs)  # later date, later number
        assert summary.last_numbers[f"{cert_type}-{year}"] == len(seqs)
    counters = {(t, y): v for t, y, v in _rows(db, "SELECT cert_type, year, last_value FROM certificate_sequences")}
    for (cert_type, year), items in by_key.items():
        assert counters[(cert_type, int(year))] == len(items)


def test_a_new_registration_gets_the_next_number(demo, clerk_ctx):
    db, summary = demo
    last = summary.last_numbers["J-2026"]
    people = DemoGenerator(None, 0, seed=99)
    people.reserve_ids(n for (n,) in _rows(db, "SELECT id_number FROM parties WHERE id_number IS NOT NULL"))
    case = MarriageCase.from_dict(people.marriage_case(TODAY))
    result = MarriageService(clerk_ctx).register_case(case)
    assert result.certificate_no == f"J{OFFICE_CODE}-2026-{last + 1:06d}"


def test_search_finds_demo_people_and_initials_match(demo, clerk_ctx):
    db, _ = demo
    rows = _rows(db, "SELECT name, name_initials, id_number FROM parties WHERE id_number IS NOT NULL LIMIT 30")
    for name, stored, _ in rows:
        assert stored == initials(name)
    name, _, number = rows[0]
    assert RecordSearch(clerk_ctx).search(number).hits
    assert any(p["name"] == name for h in RecordSearch(clerk_ctx).search(name, limit=200).hits for p in h.parties)


def test_events_are_pending_only_for_recent_days(demo):
    db, summary = demo
    rows = _rows(db, "SELECT seq, business_date, sync_status FROM events ORDER BY seq")
    assert len(rows) == summary.events > 0
    assert [r[0] for r in rows] == list(range(1, len(rows) + 1))
    assert all(r[2] == "pending" and str(r[1]) > "2025-06-15" for r in rows)


def test_command_creates_the_database_and_adds_records(tmp_path, monkeypatch):
    from registry_app.cli import main

    monkeypatch.setenv("REGISTRY_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("REGISTRY_ADMIN_PASSWORD", PASSWORDS["admin"])
    path = tmp_path / "new.db"
    runner = CliRunner()
    first = runner.invoke(main, ["--db", str(path), "demo-data", "--records", "120", "--seed", "3",
                                 "--date", "2026-06-15"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(main, ["--db", str(path), "demo-data", "--records", "80", "--seed", "4",
                                  "--date", "2026-06-15"])
    assert second.exit_code == 0, second.output
    from registry_app.storage.engine import open_database, sqlcipher_url

    db = open_database(sqlcipher_url(path, PASSPHRASE))
    try:
        assert _rows(db, "SELECT count(*) FROM records")[0][0] == 200
        numbers = [n for (n,) in _rows(db, "SELECT number FROM certificates")]
        assert len(numbers) == len(set(numbers))
    finally:
        db.close()
