"""Two counters on one divorce application or one accepted marriage, on both engines: a step sent with the
version the clerk read is refused with RECORD_CHANGED when the other counter changed the record since —
naming who and when, with nothing written (the record, its parties and certificates, the certificate
counter, the audit count) — and goes through once read again."""
from __future__ import annotations

import copy
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from registry_app.errors import InvalidState, RecordChanged, Refused
from registry_app.services.corrections import Corrections
from registry_app.services.divorce import DivorceService
from registry_app.services.marriage import ACCEPTED_VERSION, MarriageCase, MarriageService
from registry_app.storage.models import AuditEntry, Certificate, CertificateSequence, Party, Record
from tests.conftest import PASSPHRASE, PASSWORDS
from tests.factories import marriage_case, person
from tests.two_counters import counters  # noqa: F401  (fixture)

D = dt.date
ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = json.loads((ROOT / "resources/examples/divorce-case.json").read_text("utf-8"))
# received 2026-06-15 (the fixture's day): cooling-off to 15 July, the window from 16 July
WINDOW_OPENS, COLLECT_BY = D(2026, 7, 16), D(2026, 8, 14)
QUESTIONED = {"party1": "自愿离婚，对协议无异议", "party2": "自愿离婚，对协议无异议"}


def snapshot(ctx) -> dict:
    """Everything a refused step could have written."""
    with ctx.db.read() as s:
        return {
            "records": [(r.id, r.status, r.version, r.changed_by, r.certificate_no, r.data)
                        for r in s.execute(select(Record).order_by(Record.id)).scalars()],
            "parties": [(p.record_id, p.position, p.name, p.id_number, p.data)
                        for p in s.execute(select(Party).order_by(Party.id)).scalars()],
            "certificates": [(c.number, c.status) for c in s.execute(select(Certificate).order_by(Certificate.id)).scalars()],
            "counters": [(q.cert_type, q.last_value) for q in s.execute(select(CertificateSequence)).scalars()],
            "audit": s.execute(select(func.count()).select_from(AuditEntry)).scalar(),
        }


def names_who_and_when(exc: RecordChanged, who: str, when: dt.datetime) -> None:
    assert exc.code == "RECORD_CHANGED"
    assert who in exc.message and when.strftime("%Y-%m-%d %H:%M") in exc.message


def applied(ctx) -> tuple[int, int]:
    """A marriage registered at counter 1 and its divorce application: (application id, its version)."""
    case = marriage_case(person("王强", "M", D(1990, 1, 5)), person("刘芳", "F", D(1991, 2, 6)))
    marriage = MarriageService(ctx).register_case(MarriageCase.from_dict(case)).record_id
    app = copy.deepcopy(EXAMPLE)
    for key in ("party1", "party2"):
        app[key] = {k: case[key][k] for k in ("name", "sex", "birth_date", "id_type", "id_number")}
    app["marriage"] = {"record_id": marriage}
    app_id = DivorceService(ctx).apply(app)["application_id"]
    return app_id, DivorceService(ctx).view(app_id)["version"]


def issue(ctx, app_id, version):
    return DivorceService(ctx).issue(app_id, both_present=True, questioning=QUESTIONED, signed=True,
                                     version=version)


# --- divorce --------------------------------------------------------------------------------------------

def test_the_list_and_the_view_carry_the_version(counters):
    app_id, version = applied(counters.a)
    rows = DivorceService(counters.a).pending()
    assert [(r["application_id"], r["version"]) for r in rows] == [(app_id, version)]
    assert version == ACCEPTED_VERSION


@pytest.mark.parametrize("first", ["issued", "withdrew"])
def test_issue_from_an_older_read_is_refused_after_the_other_counter_acted(counters, first):
    app_id, read_at = applied(counters.a)
    if first == "withdrew":          # counter 2 withdrew in the cooling-off; counter 1's list was older
        DivorceService(counters.b).withdraw(app_id, 2, version=read_at)
        when = counters.clock.now()
        counters.clock.set(WINDOW_OPENS)
    else:
        counters.clock.set(WINDOW_OPENS)
        issue(counters.b, app_id, read_at)
        when = counters.clock.now()
    before = snapshot(counters.a)
    with pytest.raises(RecordChanged) as e:
        issue(counters.a, app_id, read_at)
    names_who_and_when(e.value, "赵登记", when)
    assert snapshot(counters.a) == before          # no certificate, no number used, no audit entry
    # read again: the application is closed, and the service says so in its own words
    fresh = DivorceService(counters.a).view(app_id)["version"]
    assert fresh == read_at + 1
    with pytest.raises(InvalidState) as again:
        issue(counters.a, app_id, fresh)
    assert again.value.code == "WINDOW_CLOSED"


def test_withdrawal_from_an_older_read_is_refused(counters):
    app_id, read_at = applied(counters.a)
    DivorceService(counters.b).withdraw(app_id, 1, version=read_at)
    before = snapshot(counters.a)
    with pytest.raises(RecordChanged) as e:
        DivorceService(counters.a).withdraw(app_id, 2, slip_lost=True, note="回执单遗失", version=read_at)
    names_who_and_when(e.value, "赵登记", counters.clock.now())
    assert snapshot(counters.a) == before


def test_issue_after_a_correction_goes_through_once_read_again(counters):
    app_id, read_at = applied(counters.a)
    counters.clock.set(WINDOW_OPENS)
    cid = Corrections(counters.b).propose(app_id, [{"path": "parties.2.name", "new": "刘芳芳"}], "笔误")
    Corrections(counters.supervisor_b).approve(cid)
    before = snapshot(counters.a)
    with pytest.raises(RecordChanged) as e:
        issue(counters.a, app_id, read_at)
    names_who_and_when(e.value, "张主任", counters.clock.now())
    assert snapshot(counters.a) == before
    view = DivorceService(counters.a).view(app_id)
    assert view["parties"][1]["name"] == "刘芳芳"
    out = issue(counters.a, app_id, view["version"])
    assert out["status"] == "issued" and out["version"] == view["version"] + 1
    with counters.a.db.read() as s:
        rec = s.get(Record, app_id)
        assert (rec.version, rec.changed_by) == (out["version"], "clerk")


def test_a_bad_input_after_the_claim_changes_nothing(counters):
    """The claim raises the version inside the step's transaction: a refusal after it undoes it too."""
    app_id, read_at = applied(counters.a)
    counters.clock.set(WINDOW_OPENS)
    before = snapshot(counters.a)
    with pytest.raises(Refused) as e:
        DivorceService(counters.a).issue(app_id, both_present=False, questioning={}, signed=False, version=read_at)
    assert "BOTH_MUST_APPEAR" in e.value.codes()
    assert snapshot(counters.a) == before
    assert issue(counters.a, app_id, read_at)["status"] == "issued"


def test_the_expiry_sweep_raises_the_version_in_the_systems_name(counters):
    app_id, read_at = applied(counters.a)
    counters.clock.set(COLLECT_BY + dt.timedelta(days=1))
    assert DivorceService(counters.b).expire_overdue() == [app_id]
    with counters.a.db.read() as s:
        rec = s.get(Record, app_id)
        assert (rec.status, rec.version, rec.changed_by) == ("expired", read_at + 1, "system")
    with pytest.raises(RecordChanged) as e:
        DivorceService(counters.a).withdraw(app_id, 1, version=read_at)
    assert "已由 系统 于" in e.value.message   # the sweep is named as the system, not its login


@pytest.mark.parametrize("bad", [0, -1, 2**31, True, "1"])
def test_a_version_that_is_no_version_is_refused_and_changes_nothing(counters, bad):
    app_id, _read_at = applied(counters.a)
    before = snapshot(counters.a)
    with pytest.raises(Refused) as e:
        DivorceService(counters.a).withdraw(app_id, 1, version=bad)
    assert e.value.codes() == ["VERSION_INVALID"]
    assert snapshot(counters.a) == before


# --- marriage: the steps on an accepted case -----------------------------------------------------------

def accepted(ctx) -> tuple[int, MarriageCase]:
    case = MarriageCase.from_dict(marriage_case())
    return MarriageService(ctx).accept(case), case


def corrected(case: MarriageCase, name: str) -> MarriageCase:
    fixed = copy.deepcopy(case)
    fixed.party1.name = name
    return fixed


def test_register_is_refused_after_the_other_counters_correction_and_the_fresh_version_goes_through(counters):
    rid, case = accepted(counters.a)
    svc_a = MarriageService(counters.a)
    reviewed_at = svc_a.review(rid, True, version=ACCEPTED_VERSION)
    assert reviewed_at == ACCEPTED_VERSION + 1 == svc_a.view(rid).version
    changed = MarriageService(counters.b).correct(rid, corrected(case, "张巍"), "姓名录错", version=reviewed_at)
    assert changed == ["party1.name"] and changed.version == reviewed_at + 1
    before = snapshot(counters.a)
    with pytest.raises(RecordChanged) as e:
        svc_a.register(rid, version=reviewed_at)
    names_who_and_when(e.value, "赵登记", counters.clock.now())
    assert snapshot(counters.a) == before          # no number taken, the correction stands
    # read again: the corrected case is back at 审查; reviewed again at the fresh version, it registers
    view = svc_a.view(rid)
    assert (view.status, view.parties[0]["name"], view.version) == ("accepted", "张巍", changed.version)
    again = svc_a.review(rid, True, version=view.version)
    result = svc_a.register(rid, version=again)
    assert result.status == "registered" and result.certificate_no
    assert svc_a.view(rid).version == again + 1


@pytest.mark.parametrize("step", ["review", "correct", "cancel"])
def test_each_step_from_an_older_read_is_refused(counters, step):
    rid, case = accepted(counters.a)
    MarriageService(counters.b).correct(rid, corrected(case, "张巍"), version=ACCEPTED_VERSION)
    svc_a = MarriageService(counters.a)
    run = {"review": lambda: svc_a.review(rid, True, version=ACCEPTED_VERSION),
           "correct": lambda: svc_a.correct(rid, corrected(case, "张维"), version=ACCEPTED_VERSION),
           "cancel": lambda: svc_a.cancel(rid, "当事人放弃", version=ACCEPTED_VERSION)}[step]
    before = snapshot(counters.a)
    with pytest.raises(RecordChanged) as e:
        run()
    names_who_and_when(e.value, "赵登记", counters.clock.now())
    assert snapshot(counters.a) == before


def test_a_cancelled_case_refuses_the_other_counters_register(counters):
    rid, _case = accepted(counters.a)
    reviewed_at = MarriageService(counters.a).review(rid, True, version=ACCEPTED_VERSION)
    assert MarriageService(counters.b).cancel(rid, "当事人放弃", version=reviewed_at) == reviewed_at + 1
    before = snapshot(counters.a)
    with pytest.raises(RecordChanged) as e:
        MarriageService(counters.a).register(rid, version=reviewed_at)
    names_who_and_when(e.value, "赵登记", counters.clock.now())
    assert snapshot(counters.a) == before


# --- the commands ---------------------------------------------------------------------------------------

def _cli(db_path, *args, password=PASSWORDS["clerk"]):
    env = {**os.environ, "REGISTRY_PASSPHRASE": PASSPHRASE, "REGISTRY_USER_PASSWORD": password}
    return subprocess.run([sys.executable, "-m", "registry_app.cli", "--db", str(db_path), *args],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)


@pytest.mark.training   # --date: the cooling-off and the window without waiting a month
def test_divorce_commands_print_the_version_and_take_expect_version(db, db_path, clerk_ctx, supervisor_ctx):
    app_id, _ = applied(clerk_ctx)
    in_cooling_off, in_window = ("--date", "2026-06-20"), ("--date", WINDOW_OPENS.isoformat())
    listed = _cli(db_path, "divorce", "pending", "--user", "clerk", *in_cooling_off)
    assert listed.returncode == 0, listed.stdout + listed.stderr
    read_at = json.loads(listed.stdout)[0]["version"]
    for version, code in (("0", "VERSION_INVALID"), (str(read_at + 1), "RECORD_CHANGED")):
        refused = _cli(db_path, "divorce", "withdraw", str(app_id), "--party", "1", "--expect-version", version,
                       "--user", "clerk", *in_cooling_off)
        assert refused.returncode != 0 and code in refused.stdout + refused.stderr
    assert DivorceService(clerk_ctx).view(app_id)["version"] == read_at    # refused: nothing moved
    cid = Corrections(clerk_ctx).propose(app_id, [{"path": "parties.1.name", "new": "王刚"}], "笔误")
    Corrections(supervisor_ctx).approve(cid)
    stale = _cli(db_path, "divorce", "issue", str(app_id), "--expect-version", str(read_at), "--user", "clerk",
                 *in_window)
    assert stale.returncode != 0 and "RECORD_CHANGED" in stale.stdout + stale.stderr and "张主任" in stale.stdout
    fresh = json.loads(_cli(db_path, "divorce", "pending", "--user", "clerk", *in_window).stdout)[0]["version"]
    issued = _cli(db_path, "divorce", "issue", str(app_id), "--expect-version", str(fresh), "--user", "clerk",
                  *in_window)
    assert issued.returncode == 0, issued.stdout + issued.stderr
    out = json.loads(issued.stdout)
    assert (out["status"], out["version"]) == ("issued", fresh + 1)
