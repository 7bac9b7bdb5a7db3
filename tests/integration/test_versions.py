"""Versioned edits, the mechanism (services/versions.py) on both engines: a record's version rises with
every change to its state, an edit from an older read is refused naming who changed it and when, nothing
is written, and two counters claiming the same record at once cannot both win."""
from __future__ import annotations

import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from registry_app.errors import RecordChanged, Refused
from registry_app.services import versions
from registry_app.services.corrections import Corrections
from registry_app.services.health import DatabaseHealth
from registry_app.services.marriage import MarriageCase, MarriageService
from registry_app.storage.models import AuditEntry, Party, Record
from tests.factories import marriage_case
from tests.two_counters import counters  # noqa: F401  (fixture)


def _marriage(ctx) -> int:
    return MarriageService(ctx).register_case(MarriageCase.from_dict(marriage_case())).record_id


def _version(ctx, rid: int) -> int:
    with ctx.db.read() as s:
        return s.get(Record, rid).version


def _audit_count(ctx) -> int:
    with ctx.db.read() as s:
        return s.execute(select(func.count()).select_from(AuditEntry)).scalar()


def test_a_change_by_any_path_raises_the_version_and_names_who(counters):
    rid = _marriage(counters.a)
    assert _version(counters.a, rid) == 1          # created: nobody can hold an older read
    # a correction approved at counter 2 changes a party: the record's version rises, stamped 张主任
    cid = Corrections(counters.b).propose(rid, [{"path": "parties.2.name", "new": "李那"}], "笔误")
    Corrections(counters.supervisor_b).approve(cid)
    assert _version(counters.a, rid) == 2
    with counters.a.db.read() as s:
        rec = s.get(Record, rid)
        assert (rec.changed_by, versions.local_time(rec.changed_at)) == ("supervisor", counters.clock.now())
    assert DatabaseHealth(counters.a).run().ok     # the bookkeeping columns are not content


def test_an_edit_from_an_older_read_is_refused_naming_who_and_nothing_is_written(counters):
    rid = _marriage(counters.a)
    read_at = _version(counters.a, rid)
    with counters.b.db.write() as s:                # counter 2 saves first
        versions.claim(counters.b, s, s.get(Record, rid), read_at)
        s.get(Record, rid).parties[0].data = {"note": "counter 2"}
    entries = _audit_count(counters.a)
    with pytest.raises(RecordChanged) as e, counters.a.db.write() as s:
        versions.claim(counters.a, s, s.get(Record, rid), read_at)
        s.get(Record, rid).parties[0].data = {"note": "counter 1"}
    assert e.value.code == "RECORD_CHANGED"
    assert "赵登记" in e.value.message and counters.clock.now().strftime("%Y-%m-%d %H:%M") in e.value.message
    assert _audit_count(counters.a) == entries
    with counters.a.db.read() as s:
        assert s.execute(select(Party.data).where(Party.record_id == rid, Party.position == 1)).scalar() \
            == {"note": "counter 2"}
        assert s.get(Record, rid).version == read_at + 1
    # read again, the same edit goes through
    with counters.a.db.write() as s:
        versions.claim(counters.a, s, s.get(Record, rid), read_at + 1)
    assert _version(counters.a, rid) == read_at + 2


def test_two_counters_claiming_at_the_same_moment_one_wins(counters):
    """Counter 1 holds its transaction open after claiming; counter 2's claim of the same read waits (a
    PostgreSQL row lock, SQLite's single writer) and, once counter 1 commits, is refused."""
    rid = _marriage(counters.a)
    read_at = _version(counters.a, rid)
    claimed, outcome = threading.Event(), {}

    def counter_two():
        claimed.wait(10)
        try:
            with counters.b.db.write() as s:
                versions.claim(counters.b, s, s.get(Record, rid), read_at)
            outcome["b"] = "saved"
        except RecordChanged as exc:
            outcome["b"] = exc.code

    t = threading.Thread(target=counter_two)
    t.start()
    with counters.a.db.write() as s:
        versions.claim(counters.a, s, s.get(Record, rid), read_at)
        claimed.set()
        t.join(0.5)                                  # counter 2 is waiting, not through
        assert "b" not in outcome
    t.join(30)
    assert outcome == {"b": "RECORD_CHANGED"}
    assert _version(counters.a, rid) == read_at + 1


@settings(max_examples=40, deadline=None)
@given(st.one_of(st.integers(max_value=0), st.integers(min_value=2**31), st.booleans(), st.text(max_size=5),
                 st.floats(allow_nan=True), st.lists(st.integers(), max_size=2)))
def test_a_version_that_is_not_a_whole_number_from_one_is_refused(bad):
    with pytest.raises(Refused) as e:
        versions.checked_version(bad)
    assert e.value.codes() == ["VERSION_INVALID"]


@pytest.mark.parametrize("good", [None, 1, 7, 2**31 - 1])
def test_versions_that_are_accepted(good):
    assert versions.checked_version(good) == good
