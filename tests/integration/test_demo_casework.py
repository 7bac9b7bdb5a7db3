"""The demo office's divorce applications in progress (registry_app/demo/casework.py): made through the
divorce service by the demo clerk on earlier days, so the worklist has couples in both phases; a day
whose deadlines need a holiday schedule not bundled still gives a working demo."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from registry_app.demo import casework, sandbox
from registry_app.domain.deadlines import PHASE_COOLING_OFF, PHASE_WINDOW_OPEN
from registry_app.domain.states import DivorceState, MarriageState
from registry_app.errors import Issue, Refused
from registry_app.services.accounts import Accounts
from registry_app.services.appointments import Appointments
from registry_app.services.audit import verify_chain
from registry_app.services.divorce import DivorceService
from registry_app.services.health import DatabaseHealth
from registry_app.storage.models import AuditEntry, Record

IN_2026 = dt.date(2026, 11, 10)     # every deadline of the applications falls in 2026
NEEDS_2027 = dt.date(2026, 12, 20)  # most would end in 2027, whose schedule is not bundled


def _as(box, username):
    return box.ctx.as_user(Accounts(box.ctx).login(username, sandbox.PASSWORD))


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    box = sandbox.create_demo(IN_2026, records=400, root=tmp_path_factory.mktemp("demo"))
    yield box
    box.close()


def test_the_clerk_finds_applications_in_both_phases(demo):
    rows = DivorceService(_as(demo, "dengji")).pending(only_mine=True)
    phases = [r["phase"] for r in rows]
    assert phases.count(PHASE_COOLING_OFF) >= 3 and phases.count(PHASE_WINDOW_OPEN) >= 3
    for r in rows:
        applied = dt.date.fromisoformat(r["received"])
        assert applied < IN_2026
        if r["phase"] == PHASE_WINDOW_OPEN:
            assert r["actions"] == ["issue"] and 30 < (IN_2026 - applied).days <= 65
        else:
            assert r["actions"] == ["withdraw"] and 0 < (IN_2026 - applied).days < 30
    # the couples to call under 预约: windows closing within a week
    closing = Appointments(_as(demo, "dengji")).closing_windows(casework.CLOSING_WITHIN)
    assert 1 <= len(closing) <= casework.CLOSING_COUNT
    assert {c.record_id for c in closing} <= {r["application_id"] for r in rows if r["phase"] == PHASE_WINDOW_OPEN}
    # nothing is already past its window: the start-up sweep has nothing to expire
    assert DivorceService(_as(demo, "dengji")).expire_overdue() == []


def test_each_application_was_made_by_the_demo_clerk_on_its_day_against_a_live_marriage(demo):
    with demo.ctx.db.read() as s:
        apps = s.execute(select(Record).where(Record.kind == "divorce",
                                              Record.status == DivorceState.COOLING_OFF.value)).scalars().all()
        assert apps
        for rec in apps:
            assert rec.created_by == "dengji" and rec.created_at.date() == rec.application_date
            marriage = s.get(Record, rec.linked_record_id)
            assert marriage.status == MarriageState.DIVORCE_PENDING.value
            assert {p.id_number for p in marriage.parties} == {p.id_number for p in rec.parties}
        entries = s.execute(select(AuditEntry).where(AuditEntry.action == "divorce.applied")).scalars().all()
        assert {(e.username, e.role) for e in entries} == {("dengji", "clerk")}
        assert {int(e.entity_id) for e in entries} >= {rec.id for rec in apps}
        assert all(e.ts.startswith(s.get(Record, int(e.entity_id)).application_date.isoformat()) for e in entries)


def test_the_demo_database_checks_clean(demo):
    assert verify_chain(demo.ctx).ok
    report = DatabaseHealth(_as(demo, "guanli")).run()
    assert report.ok, report.to_dict()


def test_an_application_in_its_window_can_be_issued(demo):
    clerk = DivorceService(_as(demo, "dengji"))
    row = next(r for r in clerk.pending() if r["phase"] == PHASE_WINDOW_OPEN)
    done = clerk.issue(row["application_id"], both_present=True, signed=True, version=row["version"],
                       questioning={"party1": "确系自愿离婚", "party2": "确系自愿离婚"})
    assert done["status"] == DivorceState.ISSUED and done["certificate_no"]


def test_a_day_whose_deadlines_need_a_missing_schedule_still_gives_a_demo(tmp_path):
    box = sandbox.create_demo(NEEDS_2027, records=400, root=tmp_path)
    try:
        rows = DivorceService(_as(box, "dengji")).pending()
        # only what the bundled schedules could date was made; nothing was guessed
        assert all(dt.date.fromisoformat(r["collect_by"]).year == 2026 for r in rows)
        assert len(rows) < len(casework.COOLING_OFF_AGES) + len(casework.WINDOW_AGES)
        assert DatabaseHealth(_as(box, "guanli")).run().ok
    finally:
        box.close()


def test_only_the_missing_schedule_is_passed_over(tmp_path, monkeypatch):
    def refuse(self, case):
        raise Refused([Issue("MARRIAGE_NOT_REGISTERED", "未找到有效的结婚登记")])

    monkeypatch.setattr(DivorceService, "apply", refuse)
    with pytest.raises(Refused):
        sandbox.create_demo(IN_2026, records=400, root=tmp_path)
    assert list(tmp_path.iterdir()) == []  # the half-made demo is removed
