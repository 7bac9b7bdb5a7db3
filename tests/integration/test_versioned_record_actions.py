"""Two counters on one record after registration (issue #18), on both engines: a correction proposed,
a correction approved, a court judgment annotated, a certificate voided or reissued, an adoption dissolved
or revoked — each from a page that read the record at an older version than another counter has since
left it is refused with RECORD_CHANGED naming who changed it and when, and nothing is written (the
record, its certificates, the numbering, the audit trail); read again, the same action goes through."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from registry_app.errors import InvalidState, RecordChanged, Refused
from registry_app.services.adoption import AdoptionService
from registry_app.services.certificate_voiding import CertificateVoiding
from registry_app.services.corrections import Corrections
from registry_app.services.court_annotation import CourtAnnotation
from registry_app.services.marriage import MarriageCase, MarriageService
from registry_app.services.record_history import RecordHistory
from registry_app.services.reissue import CertificateReissue
from registry_app.storage.models import (
    AuditEntry,
    BlankCertificate,
    Certificate,
    CertificateSequence,
    Correction,
    Party,
    Record,
    RecordEvent,
)
from tests.conftest import PASSPHRASE, PASSWORDS
from tests.factories import marriage_case
from tests.two_counters import counters  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "resources" / "examples"
# the example judgment, given on the day the couple registered (the counters' clock: 15 June 2026)
JUDGMENT = {**json.loads((EXAMPLES / "annotation.json").read_text("utf-8")),
            "judgment_date": "2026-06-15", "effective_date": "2026-06-15"}
REISSUE = {"reason": "lost", "applicants": [1], "explanation": "搬家时遗失"}
ADOPTION = json.loads((EXAMPLES / "adoption-case.json").read_text("utf-8"))
DISSOLUTION = {"adopters_agree": True, "placing_party_agrees": True}   # a child of one, from an institution


def _marriage(ctx) -> int:
    return MarriageService(ctx).register_case(MarriageCase.from_dict(marriage_case())).record_id


def _adoption(ctx) -> int:
    return AdoptionService(ctx).register(json.loads(json.dumps(ADOPTION)))["record_id"]


def _version(ctx, rid: int) -> int:
    return RecordHistory(ctx).record(rid).version


def _certificate_no(ctx, rid: int) -> str:
    with ctx.db.read() as s:
        return s.execute(select(Certificate.number).where(Certificate.record_id == rid)
                         .order_by(Certificate.id)).scalars().first()


def _everything(ctx, rid: int) -> dict:
    """What an action may change: the record and its parties, certificates, blanks, numbering, corrections,
    sync events and the audit trail (its length)."""
    with ctx.db.read() as s:
        rec = s.get(Record, rid)
        count = lambda model: s.execute(select(func.count()).select_from(model)).scalar()  # noqa: E731
        return {
            "record": (rec.version, rec.changed_by, rec.status, rec.certificate_no, json.dumps(rec.data, sort_keys=True)),
            "parties": s.execute(select(Party.position, Party.name, Party.data).where(Party.record_id == rid)
                                 .order_by(Party.position)).all(),
            "certificates": s.execute(select(Certificate.number, Certificate.status, Certificate.void_reason)
                                      .order_by(Certificate.id)).all(),
            "blanks": s.execute(select(BlankCertificate.serial, BlankCertificate.status)
                                .order_by(BlankCertificate.serial)).all(),
            "sequences": s.execute(select(CertificateSequence.cert_type, CertificateSequence.last_value)
                                   .order_by(CertificateSequence.cert_type)).all(),
            "corrections": s.execute(select(Correction.id, Correction.status).order_by(Correction.id)).all(),
            "events": count(RecordEvent),
            "audit": count(AuditEntry),
        }


def _corrected_at_b(counters, rid: int, path: str = "parties.1.occupation", new: str = "教师") -> None:
    """Counter 2 changes the record first: 赵登记 proposes, 张主任 approves at counter 2."""
    cid = Corrections(counters.b).propose(rid, [{"path": path, "new": new}], "当事人申请", version=None)
    Corrections(counters.supervisor_b).approve(cid)


def _refused_naming(counters, call, who: str) -> RecordChanged:
    with pytest.raises(RecordChanged) as e:
        call()
    assert e.value.code == "RECORD_CHANGED"
    assert who in e.value.message and counters.clock.now().strftime("%Y-%m-%d %H:%M") in e.value.message
    return e.value


# --- each action, refused from an older read, through with a fresh one ---------------------------------

ACTIONS = {
    # name: (set up -> record id, the action at counter 1 given (record id, version))
    "annotate": (_marriage, lambda c, rid, v: CourtAnnotation(c.supervisor_a).annotate_judgment(rid, JUDGMENT, version=v)),
    "void": (_marriage, lambda c, rid, v: CertificateVoiding(c.supervisor_a).void_certificate(
        _certificate_no(c.a, rid), "卡纸", version=v)),
    "reissue": (_marriage, lambda c, rid, v: CertificateReissue(c.a).reissue(rid, REISSUE, version=v)),
    "reissue_by_number": (_marriage, lambda c, rid, v: CertificateReissue(c.a).reissue(
        _certificate_no(c.a, rid), REISSUE, version=v)),
    "dissolve": (_adoption, lambda c, rid, v: AdoptionService(c.a).dissolve(rid, DISSOLUTION, version=v)),
    "revoke": (_adoption, lambda c, rid, v: AdoptionService(c.supervisor_a).revoke(rid, "提交虚假材料", version=v)),
    "propose": (_marriage, lambda c, rid, v: Corrections(c.a).propose(
        rid, [{"path": "parties.2.name", "new": "李妍"}], "录入错误", version=v)),
}


@pytest.mark.parametrize("action", ACTIONS)
def test_an_action_from_an_older_read_is_refused_and_changes_nothing(counters, action):
    setup, act = ACTIONS[action]
    rid = setup(counters.a)
    read_at = _version(counters.a, rid)            # the page at counter 1 shows the record
    _corrected_at_b(counters, rid)                 # counter 2 changes it first
    before = _everything(counters.a, rid)
    err = _refused_naming(counters, lambda: act(counters, rid, read_at), "张主任")
    assert "未保存任何内容" in err.message
    assert _everything(counters.a, rid) == before  # nothing: record, certificates, numbers, audit
    fresh = _version(counters.a, rid)
    assert fresh == read_at + 1
    act(counters, rid, fresh)                      # read again: it goes through
    after = _everything(counters.a, rid)
    assert after["audit"] > before["audit"]
    if action != "propose":                        # an action on the record raises its version once
        assert after["record"][0] == fresh + 1 and after["record"][1] in ("clerk", "supervisor")
    else:                                          # a proposal does not change the record
        assert after["record"] == before["record"] and len(after["corrections"]) == len(before["corrections"]) + 1


def test_the_adoption_view_carries_the_version_dissolve_names(counters):
    rid = _adoption(counters.a)
    read_at = AdoptionService(counters.a).view(rid).version
    AdoptionService(counters.supervisor_b).revoke(rid, "提交虚假材料", version=read_at)
    assert AdoptionService(counters.a).view(rid).to_dict()["version"] == read_at + 1
    with pytest.raises(RecordChanged):               # not ADOPTION_NOT_REGISTERED: the page is out of date
        AdoptionService(counters.a).dissolve(rid, DISSOLUTION, version=read_at)


def test_a_change_by_a_clerk_at_counter_two_is_named(counters):
    """The refusal names whoever changed the record: here 赵登记 reissuing at counter 2."""
    rid = _marriage(counters.a)
    read_at = _version(counters.a, rid)
    CertificateReissue(counters.b).reissue(rid, REISSUE, version=read_at)
    before = _everything(counters.a, rid)
    _refused_naming(counters, lambda: CourtAnnotation(counters.supervisor_a).annotate_judgment(
        rid, JUDGMENT, version=read_at), "赵登记")
    assert _everything(counters.a, rid) == before


def test_annotation_at_counter_two_then_a_void_from_the_older_read(counters):
    """A judgment annotated at counter 2 invalidates the certificates; counter 1's void from the page it
    read before is refused as RECORD_CHANGED (not as a certificate no longer issued), nothing voided."""
    rid = _marriage(counters.a)
    read_at = _version(counters.a, rid)
    number = _certificate_no(counters.a, rid)
    CourtAnnotation(counters.supervisor_b).annotate_judgment(rid, JUDGMENT, version=read_at)
    before = _everything(counters.a, rid)
    _refused_naming(counters, lambda: CertificateVoiding(counters.supervisor_a).void_certificate(
        number, "卡纸", version=read_at), "张主任")
    assert _everything(counters.a, rid) == before


def test_no_version_means_not_read_first_and_still_raises_it(counters):
    """A command without --expect-version is not checked, but its change still moves the version on."""
    rid = _marriage(counters.a)
    read_at = _version(counters.a, rid)
    CertificateReissue(counters.b).reissue(rid, REISSUE)
    assert _version(counters.a, rid) == read_at + 1
    with pytest.raises(RecordChanged):
        CertificateReissue(counters.a).reissue(rid, REISSUE, version=read_at)


@pytest.mark.parametrize("bad", [0, -1, True, "2", 2**31])
def test_a_version_that_is_no_version_is_refused_before_anything(counters, bad):
    rid = _marriage(counters.a)
    before = _everything(counters.a, rid)
    for call in (lambda: CertificateReissue(counters.a).reissue(rid, REISSUE, version=bad),
                 lambda: CourtAnnotation(counters.supervisor_a).annotate_judgment(rid, JUDGMENT, version=bad),
                 lambda: Corrections(counters.a).propose(rid, [{"path": "data.remarks", "new": "x"}], "r", version=bad)):
        with pytest.raises(Refused) as e:
            call()
        assert e.value.codes() == ["VERSION_INVALID"]
    assert _everything(counters.a, rid) == before


# --- corrections: the proposal's version decides the approval ----------------------------------------

def test_a_proposal_the_record_moved_past_is_not_approved_and_stays_proposed(counters):
    rid = _marriage(counters.a)
    cid = Corrections(counters.a).propose(rid, [{"path": "parties.2.name", "new": "李妍"}], "录入错误",
                                          version=_version(counters.a, rid))
    with counters.a.db.read() as s:
        assert s.get(Correction, cid).record_version == s.get(Record, rid).version
    CourtAnnotation(counters.supervisor_b).annotate_judgment(rid, JUDGMENT)   # counter 2: a judgment
    before = _everything(counters.a, rid)
    err = _refused_naming(counters, lambda: Corrections(counters.supervisor_a).approve(cid), "张主任")
    assert "请驳回后重新提出" in err.message
    assert _everything(counters.a, rid) == before
    assert [c.id for c in Corrections(counters.supervisor_a).pending()] == [cid]
    # rejected (which changes no record), then proposed again against the record as it now is
    version = _version(counters.a, rid)
    Corrections(counters.supervisor_a).reject(cid, "记录已变更，请重新提出")
    assert _version(counters.a, rid) == version
    again = Corrections(counters.a).propose(rid, [{"path": "parties.2.name", "new": "李妍"}], "录入错误",
                                            version=version)
    assert Corrections(counters.supervisor_a).approve(again).status == "approved"
    assert _version(counters.a, rid) == version + 1


def test_two_proposals_on_one_version_only_the_first_approved_goes_through(counters):
    rid = _marriage(counters.a)
    v = _version(counters.a, rid)
    first = Corrections(counters.a).propose(rid, [{"path": "parties.1.occupation", "new": "教师"}], "一", version=v)
    second = Corrections(counters.b).propose(rid, [{"path": "data.remarks", "new": "补记"}], "二", version=v)
    Corrections(counters.supervisor_b).approve(first)
    with pytest.raises(RecordChanged):
        Corrections(counters.supervisor_a).approve(second)
    assert [c.status for c in Corrections(counters.a).history(rid)] == ["approved", "proposed"]


def test_a_second_supervisor_is_told_who_decided_and_when(counters):
    rid = _marriage(counters.a)
    cid = Corrections(counters.a).propose(rid, [{"path": "parties.1.occupation", "new": "教师"}], "一")
    Corrections(counters.supervisor_b).approve(cid)
    entries = _everything(counters.a, rid)["audit"]
    for decide in (lambda: Corrections(counters.supervisor_a).approve(cid),
                   lambda: Corrections(counters.supervisor_a).reject(cid, "不同意")):
        with pytest.raises(InvalidState) as e:
            decide()
        assert e.value.code == "CORRECTION_DECIDED"
        assert "张主任" in e.value.message and "supervisor" not in e.value.message
        assert counters.clock.now().strftime("%Y-%m-%d %H:%M") in e.value.message and "批准" in e.value.message
    assert _everything(counters.a, rid)["audit"] == entries


# --- the command line (SQLCipher file) -----------------------------------------------------------------

def _cli(db_path, *args, password=PASSWORDS["clerk"]):
    env = {**os.environ, "REGISTRY_PASSPHRASE": PASSPHRASE, "REGISTRY_USER_PASSWORD": password}
    return subprocess.run([sys.executable, "-m", "registry_app.cli", "--db", str(db_path), *args],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)


def test_commands_print_the_version_and_take_expect_version(db, db_path, clerk_ctx, tmp_path):
    rid = _marriage(clerk_ctx)                     # from here on, only commands (the machine's clock)
    shown = _cli(db_path, "record", "show", str(rid), "--user", "clerk")
    assert shown.returncode == 0, shown.stderr
    read_at = json.loads(shown.stdout)["version"]
    with clerk_ctx.db.read() as s:
        assert read_at == s.get(Record, rid).version
    # the record changes after `record show` printed it: a correction proposed and approved (no version given)
    proposed = _cli(db_path, "correction", "propose", str(rid), "--set", "parties.1.occupation=教师", "--reason",
                    "当事人申请", "--user", "clerk")
    assert proposed.returncode == 0, proposed.stdout + proposed.stderr
    approved = _cli(db_path, "correction", "approve", str(json.loads(proposed.stdout)["correction_id"]),
                    "--user", "supervisor", password=PASSWORDS["supervisor"])
    assert approved.returncode == 0, approved.stdout + approved.stderr
    stale = _cli(db_path, "correction", "propose", str(rid), "--set", "parties.2.name=李妍", "--reason", "录入错误",
                 "--expect-version", str(read_at), "--user", "clerk")
    assert stale.returncode != 0 and "RECORD_CHANGED" in stale.stdout + stale.stderr
    judgment = tmp_path / "judgment.json"
    judgment.write_text(json.dumps(JUDGMENT, ensure_ascii=False), "utf-8")
    annotate = _cli(db_path, "marriage", "annotate", str(rid), "--input", str(judgment), "--user", "supervisor",
                    "--expect-version", str(read_at), password=PASSWORDS["supervisor"])
    assert annotate.returncode != 0 and "RECORD_CHANGED" in annotate.stdout + annotate.stderr
    bad = _cli(db_path, "marriage", "void", _certificate_no(clerk_ctx, rid), "--reason", "卡纸", "--user", "supervisor",
               "--expect-version", "0", password=PASSWORDS["supervisor"])
    assert bad.returncode != 0 and "VERSION_INVALID" in bad.stdout + bad.stderr
    fresh = json.loads(_cli(db_path, "record", "show", str(rid), "--user", "clerk").stdout)["version"]
    ok = _cli(db_path, "correction", "propose", str(rid), "--set", "parties.2.name=李妍", "--reason", "录入错误",
              "--expect-version", str(fresh), "--user", "clerk")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    with clerk_ctx.db.read() as s:
        assert s.execute(select(Correction.record_version).where(Correction.id == json.loads(ok.stdout)["correction_id"])
                         ).scalar() == fresh
