"""Divorce by agreement through the service: every transition allowed and refused."""
from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from registry_app.errors import InvalidState, Refused
from registry_app.services.divorce import DivorceService
from registry_app.services.marriage import MarriageCase, MarriageService
from registry_app.storage.models import Certificate, Record, RecordEvent
from tests.factories import marriage_case

D = dt.date
EXAMPLE = json.loads((Path(__file__).resolve().parents[2] / "resources/examples/divorce-case.json").read_text("utf-8"))
# received 2026-06-15 (Monday): day 30 = 15 July (Wed); collection day 30 = 14 Aug (Fri)
RECEIVED, COOLING_ENDS, WINDOW_OPENS, COLLECT_BY = D(2026, 6, 15), D(2026, 7, 15), D(2026, 7, 16), D(2026, 8, 14)


@pytest.fixture
def married(clerk_ctx):
    case = marriage_case()
    result = MarriageService(clerk_ctx).register_case(MarriageCase.from_dict(case))
    app = copy.deepcopy(EXAMPLE)
    app["party1"] = {k: case["party1"][k] for k in ("name", "sex", "birth_date", "id_type", "id_number")}
    app["party2"] = {k: case["party2"][k] for k in ("name", "sex", "birth_date", "id_type", "id_number")}
    app["marriage"] = {"record_id": result.record_id}
    return result.record_id, app


def issue(ctx, app_id, **kw):
    args = dict(both_present=True, questioning={"party1": "自愿", "party2": "自愿"}, signed=True)
    args.update(kw)
    return DivorceService(ctx).issue(app_id, **args)


def test_application_gives_the_deadlines_and_holds_the_marriage(clerk_ctx, db, married):
    marriage_id, app = married
    out = DivorceService(clerk_ctx).apply(app)
    assert (out["cooling_off_ends"], out["collect_by"]) == (COOLING_ENDS.isoformat(), COLLECT_BY.isoformat())
    with db.read() as s:
        assert s.get(Record, marriage_id).status == "divorce_pending"
    with pytest.raises(Refused) as err:
        DivorceService(clerk_ctx).apply(app)
    assert "DIVORCE_ALREADY_PENDING" in err.value.codes()


@pytest.mark.parametrize(
    "path, value, code",
    [
        ("agreement.will_to_divorce", False, "NO_AGREEMENT"),
        ("agreement.signed_text", "", "AGREEMENT_TEXT_MISSING"),
        ("capacity.party2", False, "LACKS_CAPACITY"),
        ("certificates.party1", None, "MARRIAGE_CERTIFICATE_MISSING"),
        ("agreement.property", None, "AGREEMENT_ITEM_MISSING"),
    ],
)
def test_refusals_store_nothing(clerk_ctx, db, married, path, value, code):
    _, app = married
    target = app
    keys = path.split(".")
    for k in keys[:-1]:
        target = target[k]
    target[keys[-1]] = value
    with pytest.raises(Refused) as err:
        DivorceService(clerk_ctx).apply(app)
    assert code in err.value.codes()
    with db.read() as s:
        assert s.execute(select(Record).where(Record.kind == "divorce")).first() is None


def test_both_certificates_lost_needs_the_archive_copy(clerk_ctx, married):
    _, app = married
    app["certificates"] = {"party1": "lost_declared", "party2": "lost_declared"}
    with pytest.raises(Refused) as err:
        DivorceService(clerk_ctx).apply(app)
    assert "ARCHIVE_COPY_REQUIRED" in err.value.codes()
    app["certificates"]["party2"] = "lost_declared_with_archive_copy"
    assert DivorceService(clerk_ctx).apply(app)["status"] == "cooling_off"


@pytest.mark.parametrize("where, ok", [("mainland", True), ("mission", True), ("abroad", False)])
def test_marriage_registered_elsewhere(clerk_ctx, married, where, ok):
    _, app = married
    app["marriage"] = {"registered_elsewhere": {"registered_in": where, "certificate_no": "J110105-2010-001234",
                                                "office_name": "北京市朝阳区婚姻登记处"}}
    if ok:
        assert DivorceService(clerk_ctx).apply(app)["status"] == "cooling_off"
    else:
        with pytest.raises(Refused) as err:
            DivorceService(clerk_ctx).apply(app)
        assert err.value.codes() == ["MARRIAGE_NOT_MAINLAND"]


@pytest.mark.parametrize("party", [1, 2])
def test_either_party_alone_withdraws_during_cooling_off(clerk_ctx, clock, db, married, party):
    marriage_id, app = married
    app_id = DivorceService(clerk_ctx).apply(app)["application_id"]
    clock.set(COOLING_ENDS)  # last day of the cooling-off: still possible
    assert DivorceService(clerk_ctx).withdraw(app_id, party)["status"] == "withdrawn"
    with db.read() as s:
        assert s.get(Record, marriage_id).status == "registered"
    with pytest.raises(InvalidState):
        issue(clerk_ctx, app_id)  # nothing further after withdrawal
    with pytest.raises(InvalidState):
        DivorceService(clerk_ctx).withdraw(app_id, 3 - party)


def test_withdrawal_after_cooling_off_is_refused(clerk_ctx, clock, married):
    _, app = married
    app_id = DivorceService(clerk_ctx).apply(app)["application_id"]
    clock.set(WINDOW_OPENS)
    with pytest.raises(InvalidState) as err:
        DivorceService(clerk_ctx).withdraw(app_id, 1)
    assert err.value.code == "NOT_IN_COOLING_OFF"


@pytest.mark.parametrize("day, ok", [
    (COOLING_ENDS, False),       # last day of the cooling-off: window not open
    (WINDOW_OPENS, True),        # first day of the window
    (COLLECT_BY, True),          # last day of the window
    (COLLECT_BY + dt.timedelta(days=1), False),
])
def test_issue_only_inside_the_window(clerk_ctx, clock, db, married, day, ok):
    marriage_id, app = married
    app_id = DivorceService(clerk_ctx).apply(app)["application_id"]
    clock.set(day)
    if ok:
        out = issue(clerk_ctx, app_id)
        assert out["certificate_no"] == "L320102-2026-000001"
        with db.read() as s:
            assert s.get(Record, marriage_id).status == "dissolved"
            cert = s.execute(select(Certificate).where(Certificate.record_id == marriage_id)).scalar_one()
            assert cert.status == "ended_by_divorce" and cert.void_reason == "双方离婚，证件失效"
    else:
        with pytest.raises(InvalidState):
            issue(clerk_ctx, app_id)


def test_issue_requires_presence_questioning_and_signatures(clerk_ctx, clock, married):
    _, app = married
    app_id = DivorceService(clerk_ctx).apply(app)["application_id"]
    clock.set(WINDOW_OPENS)
    with pytest.raises(Refused) as err:
        issue(clerk_ctx, app_id, both_present=False, questioning={"party1": "自愿"}, signed=False)
    assert set(err.value.codes()) >= {"BOTH_MUST_APPEAR", "QUESTIONING_NOT_RECORDED", "NOT_SIGNED"}


def test_expiry_without_a_button(clerk_ctx, clock, db, married):
    marriage_id, app = married
    app_id = DivorceService(clerk_ctx).apply(app)["application_id"]
    clock.set(COLLECT_BY)
    assert DivorceService(clerk_ctx).expire_overdue() == []
    clock.set(COLLECT_BY + dt.timedelta(days=1))
    assert DivorceService(clerk_ctx).expire_overdue() == [app_id]
    with db.read() as s:
        assert s.get(Record, app_id).status == "expired"
        assert s.get(Record, marriage_id).status == "registered"
        types = s.execute(select(RecordEvent.event_type).order_by(RecordEvent.seq)).scalars().all()
    assert types == ["marriage.registered", "divorce.applied", "divorce.expired"]


def test_pending_work_list_shows_phase_and_days_left(clerk_ctx, clock, married):
    _, app = married
    DivorceService(clerk_ctx).apply(app)
    clock.set(D(2026, 7, 10))
    [row] = DivorceService(clerk_ctx).pending()
    assert row["phase"] == "cooling_off" and row["days_left"] == 5 and row["actions"] == ["withdraw"]
    clock.set(D(2026, 8, 10))
    [row] = DivorceService(clerk_ctx).pending()
    assert row["phase"] == "window_open" and row["days_left"] == 4 and row["actions"] == ["issue"]


def test_application_whose_deadline_falls_in_an_unloaded_year(clerk_ctx, clock, married):
    _, app = married
    clock.set(D(2026, 12, 10))
    with pytest.raises(Exception) as err:
        DivorceService(clerk_ctx).apply(app)
    assert getattr(err.value, "code", "") == "CALENDAR_YEAR_MISSING" and "2027" in err.value.message


def test_calendar_command(tmp_path):
    import subprocess
    import sys

    def run(day):
        return subprocess.run([sys.executable, "-m", "registry_app.cli", "--db", str(tmp_path / "none.db"),
                               "calendar", "divorce", day], capture_output=True, text=True, timeout=60)

    ok = run("2025-09-01")
    assert ok.returncode == 0
    assert json.loads(ok.stdout) == {"received": "2025-09-01", "cooling_off_ends": "2025-10-09",
                                     "window_opens": "2025-10-10", "collect_by": "2025-11-10"}
    missing = run("2026-12-10")
    assert missing.returncode == 1 and "2027" in json.loads(missing.stdout)["error"]


def test_find_marriage_by_both_id_numbers(clerk_ctx, married):
    marriage_id, app = married
    svc = DivorceService(clerk_ctx)
    match = svc.find_marriage(app["party1"]["id_number"], app["party2"]["id_number"].lower())
    assert match is not None and match.record_id == marriage_id and match.status == "registered"
    assert svc.find_marriage(app["party1"]["id_number"], app["party1"]["id_number"]) is None
    assert svc.find_marriage(app["party1"]["id_number"], "110101199003070011") is None
