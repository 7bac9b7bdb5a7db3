"""The search box: how a query is read, what it finds, that every kind of query goes through an index,
masking, paging and the audit entry."""
from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import select

from registry_app.domain.parties import PersonInput
from registry_app.errors import PermissionDenied, Refused
from registry_app.services.people import party_row
from registry_app.services.search import RecordSearch, mask_id, parse_query
from registry_app.storage.models import AuditEntry, Certificate, Record
from tests.factories import id_number

D = dt.date
# The fixture writes records straight through the ORM, without an operation's audit entry: the commit seals
# them in an entry of its own stamped by the system clock, and the searches then run at a fixed 2026-06-15
# — a clock a production database would rightly refuse (CLOCK_BEHIND).
pytestmark = pytest.mark.training
NOW = dt.datetime(2026, 6, 15, 9, 30)


def add_record(db, parties, *, kind="marriage", status="registered", date=D(2026, 5, 1), cert=None,
               back_entered=False, extra_certs=()):
    with db.write() as s:
        rec = Record(uid=str(uuid.uuid4()), kind=kind, status=status, office_code="320102", registration_date=date,
                     certificate_no=cert, back_entered=back_entered, data={}, created_by="clerk", created_at=NOW,
                     updated_at=NOW)
        for i, (name, sex, number) in enumerate(parties, 1):
            rec.parties.append(party_row(PersonInput(name, sex, D(1990, 1, 1), "resident_id" if number else "none",
                                                     number or ""), i, f"party{i}"))
        s.add(rec)
        s.flush()
        for number, cert_type in extra_certs:
            s.add(Certificate(number=number, cert_type=cert_type, record_id=rec.id, issued_on=date))
        return rec.id


@pytest.fixture
def people(db):
    ids = {
        "zhang": id_number(D(1990, 3, 8), "M"), "li": id_number(D(1992, 11, 20), "F"),
        "zhangsan": id_number(D(1985, 1, 1), "M"), "wang": id_number(D(1988, 8, 8), "F"),
    }
    recs = {
        "m1": add_record(db, [("张伟", "M", ids["zhang"]), ("李娜", "F", ids["li"])], cert="J320102-2026-000001",
                         extra_certs=[("BJ320102-2026-000001", "BJ")]),
        "m2": add_record(db, [("张三丰", "M", ids["zhangsan"]), ("王芳", "F", ids["wang"])],
                         cert="J320102-2026-000002", date=D(2026, 6, 1)),
        "d1": add_record(db, [("张三丰", "M", ids["zhangsan"]), ("王芳", "F", ids["wang"])], kind="divorce",
                         status="issued", cert="L320102-2026-000001", date=D(2026, 6, 10)),
        "old": add_record(db, [("刘德福", "M", None), ("赵淑珍", "F", None)], cert="玄婚字第0123号",
                          date=D(1976, 10, 1), back_entered=True),
    }
    return ids, recs


@pytest.mark.parametrize("raw, kind, value", [
    ("110101199003070011", "id_number", "110101199003070011"),
    ("11010119900307001x", "id_number", "11010119900307001X"),
    (" 1101 0119 9003 0700 11 ", "id_number", "110101199003070011"),
    ("110101900307001", "id_number", None),         # 15 digits: upgraded to 18
    ("1234", "id_tail", "1234"),
    ("123456", "id_tail", "123456"),
    ("12345x", "id_tail", "12345X"),
    ("J320102-2026-000123", "certificate_no", "J320102-2026-000123"),
    ("bj320102-2026-000001", "certificate_no", "BJ320102-2026-000001"),
    ("SY320102-2026-000001", "certificate_no", "SY320102-2026-000001"),
    ("张", "name", "张"),
    ("张三", "name", "张三"),
    ("阿卜杜·热合曼", "name", "阿卜杜·热合曼"),
    ("玄婚字第0123号", "certificate_no", "玄婚字第0123号"),
    ("ZSF", "initials", "zsf"),
    ("zw", "initials", "zw"),
])
def test_queries_are_read_by_their_shape(raw, kind, value):
    q = parse_query(raw)
    assert q.kind == kind
    if value is not None:
        assert q.value == value
    else:
        assert len(q.value) == 18 and q.value.startswith("11010119")


@pytest.mark.parametrize("raw, code", [
    ("", "QUERY_EMPTY"), ("   ", "QUERY_EMPTY"), ("123", "QUERY_UNRECOGNISED"), ("1234567", "QUERY_UNRECOGNISED"),
    ("张san", "QUERY_UNRECOGNISED"), ("%", "QUERY_UNRECOGNISED"), ("a_b", "QUERY_UNRECOGNISED"),
    ("张%", "QUERY_UNRECOGNISED"), ("张三!1", "QUERY_UNRECOGNISED"),
])
def test_unreadable_queries_are_refused(raw, code):
    with pytest.raises(Refused) as err:
        parse_query(raw)
    assert err.value.codes() == [code]


def found(ctx, query, **kw):
    return sorted(h.record_id for h in RecordSearch(ctx).search(query, **kw).hits)


def test_each_kind_of_query_finds_its_records(clerk_ctx, people):
    ids, r = people
    zs = ids["zhangsan"]
    cases = [
        (ids["zhang"], [r["m1"]]),
        (ids["zhang"].lower(), [r["m1"]]),
        (zs, [r["m2"], r["d1"]]),
        (zs[-6:], [r["m2"], r["d1"]]),
        (zs[-4:], [r["m2"], r["d1"]]),
        ("J320102-2026-000001", [r["m1"]]),
        ("BJ320102-2026-000001", [r["m1"]]),      # a reissued number finds the record
        ("L320102-2026-000001", [r["d1"]]),
        ("张", [r["m1"], r["m2"], r["d1"]]),
        ("张三", [r["m2"], r["d1"]]),
        ("张三丰", [r["m2"], r["d1"]]),
        ("三丰", []),                              # prefix, not substring
        ("zsf", [r["m2"], r["d1"]]),
        ("zs", [r["m2"], r["d1"], r["old"]]),    # 赵淑珍 is zsz
        ("z", [r["m1"], r["m2"], r["d1"], r["old"]]),
        ("ldf", [r["old"]]),
        ("玄婚字第0123号", [r["old"]]),           # an old free-text number of a back-entered record
        ("J320102-2026-000999", []),
    ]
    for query, expected in cases:
        assert found(clerk_ctx, query) == sorted(expected), query


def test_filters_narrow_the_result(clerk_ctx, people):
    _, r = people
    assert found(clerk_ctx, "张三", kind="divorce") == [r["d1"]]
    assert found(clerk_ctx, "张", status="issued") == [r["d1"]]
    assert found(clerk_ctx, "张", date_from=D(2026, 6, 1)) == sorted([r["m2"], r["d1"]])
    assert found(clerk_ctx, "张", date_to=D(2026, 5, 31)) == [r["m1"]]
    assert found(clerk_ctx, "z", date_to=D(2000, 1, 1)) == [r["old"]]


def test_hits_mask_id_numbers_and_carry_what_the_list_shows(clerk_ctx, people):
    ids, r = people
    page = RecordSearch(clerk_ctx).search(ids["zhang"])
    assert page.query_kind == "id_number" and page.total_estimate == 1 and not page.has_more
    hit = page.hits[0].to_dict()
    assert hit["record_id"] == r["m1"] and hit["kind"] == "marriage" and hit["status"] == "registered"
    assert hit["certificate_no"] == "J320102-2026-000001" and hit["registration_date"] == "2026-05-01"
    assert hit["parties"][0] == {"name": "张伟", "role": "party1",
                                 "id_number_masked": ids["zhang"][:6] + "********" + ids["zhang"][-4:]}
    assert ids["zhang"] not in str(hit) and ids["li"] not in str(hit)
    old = RecordSearch(clerk_ctx).search("ldf").hits[0]
    assert old.back_entered and old.parties[0]["id_number_masked"] is None


@pytest.mark.parametrize("number, masked", [
    ("110101199003070011", "110101********0011"), (None, None), ("", ""), ("E1234567", "E*****67"), ("1234", "****"),
])
def test_mask(number, masked):
    assert mask_id(number) == masked


def test_paging(clerk_ctx, db):
    for i in range(25):
        add_record(db, [(f"欧阳{'一二三四五六七八九十'[i % 10]}", "M", None), ("某", "F", None)],
                   date=D(2026, 1, 1) + dt.timedelta(days=i))
    search = RecordSearch(clerk_ctx)
    first = search.search("欧阳", limit=10)
    assert len(first.hits) == 10 and first.has_more and first.total_estimate == 25
    keys = [(h.parties[0]["name"], h.registration_date) for h in first.hits]
    # by name (code-point order), then newest first within a name
    assert keys == sorted(keys, key=lambda k: (k[0], -D.fromisoformat(k[1]).toordinal()))
    assert keys[:3] == [("欧阳一", "2026-01-21"), ("欧阳一", "2026-01-11"), ("欧阳一", "2026-01-01")]
    last = search.search("欧阳", limit=10, offset=20)
    assert len(last.hits) == 5 and not last.has_more
    seen = [h.record_id for p in (first, search.search("欧阳", limit=10, offset=10), last) for h in p.hits]
    assert len(seen) == len(set(seen)) == 25
    with pytest.raises(Refused):
        search.search("欧阳", limit=0)
    with pytest.raises(Refused):
        search.search("欧阳", offset=-1)


def test_name_search_lists_the_exact_name_first_then_newest(clerk_ctx, db):
    add_record(db, [("王伟民", "M", None), ("李娜", "F", None)], date=D(2026, 3, 1))
    add_record(db, [("王伟", "M", None), ("赵敏", "F", None)], date=D(2001, 3, 1))
    add_record(db, [("王伟", "M", None), ("钱芳", "F", None)], date=D(2020, 3, 1))
    add_record(db, [("王伟", "M", None), ("孙丽", "F", None)], date=None, status="cooling_off", kind="divorce")
    hits = RecordSearch(clerk_ctx).search("王伟").hits
    assert [(h.parties[0]["name"], h.registration_date) for h in hits] == [
        ("王伟", "2020-03-01"), ("王伟", "2001-03-01"), ("王伟", None), ("王伟民", "2026-03-01")]
    # the filters still apply on the walk
    assert [h.registration_date for h in RecordSearch(clerk_ctx).search("王伟", kind="divorce").hits] == [None]
    assert [h.parties[0]["name"] for h in RecordSearch(clerk_ctx).search(
        "王伟", date_from=D(2010, 1, 1)).hits] == ["王伟", "王伟民"]


def test_a_record_two_of_whose_parties_match_is_listed_once(clerk_ctx, db):
    for i in range(3):
        add_record(db, [("张三", "M", None), ("赵四", "F", None)], date=D(2020, 1, 1 + i))  # zs and zs
    page = RecordSearch(clerk_ctx).search("zs", limit=2)
    assert len(page.hits) == 2 and page.has_more
    rest = RecordSearch(clerk_ctx).search("zs", limit=2, offset=2)
    assert len(rest.hits) == 1 and not rest.has_more
    assert len({h.record_id for h in page.hits + rest.hits}) == 3


QUERIES = ["110101199003070011", "1234", "12345X", "123456", "J320102-2026-000001", "玄婚字第0123号", "张三", "zsf"]


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("filters", [{}, {"kind": "marriage", "status": "registered",
                                          "date_from": D(2026, 1, 1), "date_to": D(2026, 12, 31)}])
def test_every_query_goes_through_an_index(clerk_ctx, people, query, filters):
    plan = RecordSearch(clerk_ctx).explain(query, **filters)
    for line in plan:
        for table in ("parties", "records", "certificates"):
            # "SCAN parties USING COVERING INDEX ..." reads only the narrow index, never the rows
            assert not (line.startswith(f"SCAN {table}") and "INDEX" not in line), plan
    # records are reached from the candidates by primary key (or a certificate number), never by walking
    # a whole kind, status or date range
    records = [line for line in plan if " records " in f" {line} "]
    assert all("PRIMARY KEY" in line or "(certificate_no=?)" in line for line in records), plan
    if query in ("张三", "zsf"):
        # a name's page comes from the (name, date, record) index in order: at most the dates within one
        # name are sorted, never the whole candidate set, and without filters no record row is read
        assert any("COVERING INDEX ix_parties_" in line and "_date" in line for line in plan), plan
        assert "USE TEMP B-TREE FOR ORDER BY" not in plan, plan
        assert bool(records) == bool(filters), plan
    else:
        assert records, plan


def test_each_search_is_audited_once_without_the_id_number(clerk_ctx, db, people):
    ids, _ = people
    search = RecordSearch(clerk_ctx)
    search.search(ids["zhang"])
    search.search("张三", kind="divorce")
    with db.read() as s:
        entries = s.execute(select(AuditEntry).where(AuditEntry.action == "record.search")
                            .order_by(AuditEntry.id)).scalars().all()
    assert len(entries) == 2
    assert entries[0].detail["query_kind"] == "id_number"
    assert entries[0].detail["query"] == mask_id(ids["zhang"])
    assert ids["zhang"] not in str(entries[0].detail)
    assert entries[1].detail == {"query_kind": "name", "query": "张三", "hits": 1, "offset": 0, "kind": "divorce"}


def test_search_needs_the_permission(admin_ctx, people):
    with pytest.raises(PermissionDenied):
        RecordSearch(admin_ctx).search("张")
