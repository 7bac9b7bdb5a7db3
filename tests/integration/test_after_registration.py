"""After a marriage or divorce is registered: reissue (补领), record proof, court annotations, voids."""
from __future__ import annotations

import copy
import datetime as dt
import hashlib
import hmac
import io
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from registry_app.errors import InvalidState, NotFound, PermissionDenied, Refused
from registry_app.services.divorce import DivorceService
from registry_app.services.marriage import MarriageCase, MarriageService
from registry_app.services.record_proof import RecordProof
from registry_app.services.reissue import CertificateReissue
from registry_app.services.certificate_voiding import CertificateVoiding
from registry_app.services.court_annotation import CourtAnnotation
from registry_app.services.stock import BlankStock
from registry_app.storage.models import (
    AuditEntry,
    BlankCertificate,
    Certificate,
    CertificateSequence,
    Party,
    Record,
    RecordEvent,
    ReferenceEntry,
    Setting,
)
from tests.conftest import PASSPHRASE, PASSWORDS
from tests.factories import marriage_case, person

# Cases are set up on the days they happened (the clock moved back) and the command line is given
# --date: a training database, the only kind that accepts either.
pytestmark = pytest.mark.training

D = dt.date
REGISTERED, TODAY = D(2026, 3, 2), D(2026, 6, 15)
ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "resources" / "examples"
DIVORCE_EXAMPLE = json.loads((EXAMPLES / "divorce-case.json").read_text("utf-8"))
JUDGMENT = json.loads((EXAMPLES / "annotation.json").read_text("utf-8"))
REQUEST = {"reason": "lost", "applicants": [1], "explanation": "搬家时遗失"}
AGENT = {"name": "王芳", "id_type": "resident_id", "id_number": "11010519491231002X",
         "notarial_certificate_no": "（2026）苏宁钟证民内字第1234号"}


def register(ctx, case: dict | None = None):
    return MarriageService(ctx).register_case(MarriageCase.from_dict(case or marriage_case()))


@pytest.fixture
def married(clerk_ctx, clock):
    """A couple registered on 2 March 2026; "today" is then 15 June 2026 (after the example judgment)."""
    case = marriage_case()
    clock.set(REGISTERED)
    result = register(clerk_ctx, case)
    clock.set(TODAY)
    return result, case


def events(db, event_type: str) -> list[RecordEvent]:
    with db.read() as s:
        return list(s.execute(select(RecordEvent).where(RecordEvent.event_type == event_type)
                              .order_by(RecordEvent.seq)).scalars())


def certificates(db, record_id: int) -> dict[str, Certificate]:
    with db.read() as s:
        return {c.number: c for c in s.execute(select(Certificate).where(Certificate.record_id == record_id)).scalars()}


def sequence(db, cert_type: str) -> int:
    with db.read() as s:
        return s.execute(select(CertificateSequence.last_value)
                         .where(CertificateSequence.cert_type == cert_type)).scalar() or 0


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def divorce_application(case: dict, record_id: int) -> dict:
    app = copy.deepcopy(DIVORCE_EXAMPLE)
    for key in ("party1", "party2"):
        app[key] = {k: case[key][k] for k in ("name", "sex", "birth_date", "id_type", "id_number")}
    app["marriage"] = {"record_id": record_id}
    return app


def issue_divorce(clerk_ctx, clock, case, record_id) -> dict:
    app_id = DivorceService(clerk_ctx).apply(divorce_application(case, record_id))["application_id"]
    clock.set(D(2026, 7, 16))
    out = DivorceService(clerk_ctx).issue(app_id, both_present=True, questioning={"party1": "自愿", "party2": "自愿"},
                                          signed=True)
    return out


# --- reissue ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("ref_by", ["record_id", "certificate_no"])
def test_reissue_gives_the_first_bj_number_and_replaces_the_old_certificate(clerk_ctx, db, married, ref_by):
    reg, _ = married
    ref = reg.record_id if ref_by == "record_id" else reg.certificate_no
    out = CertificateReissue(clerk_ctx).reissue(ref, {**REQUEST, "agent": AGENT})
    assert out.certificate_no == "BJ320102-2026-000001"
    assert out.cert_type == "BJ" and out.replaced == [reg.certificate_no]
    certs = certificates(db, reg.record_id)
    assert certs[reg.certificate_no].status == "replaced"
    assert certs["BJ320102-2026-000001"].status == "issued"
    with db.read() as s:
        rec = s.get(Record, reg.record_id)
        assert rec.status == "registered" and rec.certificate_no == reg.certificate_no
        [entry] = rec.data["reissues"]
        assert entry["agent"]["notarial_certificate_no"] == AGENT["notarial_certificate_no"]
        assert entry["agent"]["id_number"] == AGENT["id_number"]
        assert s.execute(select(AuditEntry).where(AuditEntry.action == "certificate.reissued")).scalar_one()
    [ev] = events(db, "certificate.reissued")
    assert ev.data["certificate_no"] == "BJ320102-2026-000001" and ev.data["replaced"] == [reg.certificate_no]


def test_a_second_reissue_replaces_the_first_and_takes_the_next_number(clerk_ctx, db, married):
    reg, _ = married
    reissues = CertificateReissue(clerk_ctx)
    first = reissues.reissue(reg.record_id, REQUEST)
    second = reissues.reissue(reg.record_id, {**REQUEST, "reason": "damaged", "applicants": [1, 2]})
    assert second.certificate_no == "BJ320102-2026-000002" and second.replaced == [first.certificate_no]
    statuses = {n: c.status for n, c in certificates(db, reg.record_id).items()}
    assert statuses == {reg.certificate_no: "replaced", first.certificate_no: "replaced",
                        second.certificate_no: "issued"}


def test_reissue_uses_a_blank_from_stock(clerk_ctx, supervisor_ctx, db, married):
    reg, _ = married
    BlankStock(supervisor_ctx).receive("marriage", "J0000001", "J0000002")
    out = CertificateReissue(clerk_ctx).reissue(reg.record_id, {**REQUEST, "blank_serial": "J0000002"})
    assert out.blank_serials == ["J0000002"]
    with db.read() as s:
        blank = s.get(BlankCertificate, "J0000002")
        assert blank.status == "used"
        assert s.get(Certificate, blank.certificate_id).number == out.certificate_no
    with pytest.raises(Refused) as err:  # used once: never again, and the refusal takes no number
        CertificateReissue(clerk_ctx).reissue(reg.record_id, {**REQUEST, "blank_serial": "J0000002"})
    assert err.value.codes() == ["BLANK_NOT_AVAILABLE"]
    assert sequence(db, "BJ") == 1


@pytest.mark.parametrize(
    "change, code",
    [
        ({"reason": "stolen"}, "REISSUE_REASON_INVALID"),
        ({"reason": None}, "REISSUE_REASON_INVALID"),
        ({"applicants": []}, "REISSUE_APPLICANT_INVALID"),
        ({"applicants": [3]}, "REISSUE_APPLICANT_INVALID"),
        ({"applicants": [1, 1]}, "REISSUE_APPLICANT_INVALID"),
        ({"applicants": "1"}, "REISSUE_APPLICANT_INVALID"),
        ({"reason": "inconsistent", "explanation": ""}, "REISSUE_EXPLANATION_REQUIRED"),
        ({"agent": {**AGENT, "notarial_certificate_no": ""}}, "AGENT_NOTARIAL_CERT_REQUIRED"),
        ({"agent": {k: v for k, v in AGENT.items() if k != "notarial_certificate_no"}}, "AGENT_NOTARIAL_CERT_REQUIRED"),
        ({"agent": {**AGENT, "name": " "}}, "AGENT_NAME_REQUIRED"),
        ({"agent": {**AGENT, "id_number": "110105194912310021"}}, "ID_CHECK_CHAR"),
        ({"agent": "王芳"}, "REQUEST_MALFORMED"),
        ({"blank_serials": ["A", "A"]}, "REQUEST_MALFORMED"),
        ({"blank_serial": "NOT-IN-STOCK"}, "BLANK_NOT_IN_STOCK"),
    ],
)
def test_a_refused_request_stores_nothing(clerk_ctx, db, married, change, code):
    reg, _ = married
    before = (len(events(db, "certificate.reissued")), sequence(db, "BJ"))
    with pytest.raises(Refused) as err:
        CertificateReissue(clerk_ctx).reissue(reg.record_id, {**REQUEST, **change})
    assert code in err.value.codes()
    assert (len(events(db, "certificate.reissued")), sequence(db, "BJ")) == before == (0, 0)
    assert certificates(db, reg.record_id)[reg.certificate_no].status == "issued"
    # no number was consumed: the next reissue is still the first
    assert CertificateReissue(clerk_ctx).reissue(reg.record_id, REQUEST).certificate_no == "BJ320102-2026-000001"


def _set_reference(db, id_number: str, status: str) -> None:
    key = "11" * 32
    with db.write() as s:
        row = s.get(Setting, "reference_hmac_key")
        if row is None:
            s.add(Setting(key="reference_hmac_key", value=key))
        s.add(ReferenceEntry(id_hash=hmac.new(bytes.fromhex(key), id_number.encode(), hashlib.sha256).hexdigest(),
                             status=status))


def _back_entered(db, kind: str, status: str, when: dt.date, people: list[dict]) -> int:
    now = dt.datetime(2026, 6, 15, 9, tzinfo=dt.timezone.utc)
    with db.write() as s:
        rec = Record(uid=str(uuid.uuid4()), kind=kind, status=status, office_code="320102", registration_date=when,
                     back_entered=True, data={}, created_by="clerk", created_at=now, updated_at=now)
        for i, p in enumerate(people, start=1):
            rec.parties.append(Party(position=i, role=f"party{i}", name=p["name"], sex=p["sex"],
                                     birth_date=D.fromisoformat(p["birth_date"]), id_type="resident_id",
                                     id_number=p["id_number"], nationality="中国", data={}))
        s.add(rec)
        s.flush()
        return rec.id


@pytest.mark.parametrize("situation", ["divorce_pending", "dissolved", "annotated", "province_divorced",
                                       "later_divorce_elsewhere", "status_dissolved"])
def test_reissue_is_refused_when_the_status_has_changed(clerk_ctx, supervisor_ctx, db, clock, married, situation):
    reg, case = married
    if situation == "divorce_pending":
        DivorceService(clerk_ctx).apply(divorce_application(case, reg.record_id))
    elif situation == "dissolved":
        issue_divorce(clerk_ctx, clock, case, reg.record_id)
    elif situation == "annotated":
        CourtAnnotation(supervisor_ctx).annotate_judgment(reg.record_id, JUDGMENT)
    elif situation == "province_divorced":
        _set_reference(db, case["party2"]["id_number"], "divorced")
    elif situation == "later_divorce_elsewhere":
        other = person("钱芳", "F", D(1996, 1, 1))
        _back_entered(db, "divorce", "issued", D(2026, 6, 14), [case["party1"], other])
        clock.set(D(2026, 6, 15))
    elif situation == "status_dissolved":
        with db.write() as s:
            s.get(Record, reg.record_id).status = "dissolved"
    bj_before = sequence(db, "BJ")
    with pytest.raises(Refused) as err:
        CertificateReissue(clerk_ctx).reissue(reg.record_id, REQUEST)
    assert set(err.value.codes()) == {"REISSUE_STATUS_CHANGED"}
    assert all("婚姻登记记录证明" in i.message for i in err.value.issues)
    assert sequence(db, "BJ") == bj_before == 0
    assert events(db, "certificate.reissued") == []


def test_later_marriage_in_the_archive_counts_as_a_change(clerk_ctx, db, married):
    reg, case = married
    other = person("孙丽", "F", D(1994, 4, 4))
    _back_entered(db, "marriage", "registered", D(2026, 6, 15), [case["party1"], other])
    with pytest.raises(Refused) as err:
        CertificateReissue(clerk_ctx).reissue(reg.record_id, REQUEST)
    assert err.value.codes() == ["REISSUE_STATUS_CHANGED"]
    assert case["party1"]["name"] in err.value.message


def test_province_saying_married_is_no_change_for_a_marriage(clerk_ctx, db, married):
    reg, case = married
    _set_reference(db, case["party1"]["id_number"], "married")
    assert CertificateReissue(clerk_ctx).reissue(reg.record_id, REQUEST).certificate_no == "BJ320102-2026-000001"


def test_divorce_certificate_reissue_gives_bl_and_refuses_after_remarriage(clerk_ctx, db, clock, married):
    reg, case = married
    divorce = issue_divorce(clerk_ctx, clock, case, reg.record_id)
    out = CertificateReissue(clerk_ctx).reissue(divorce["certificate_no"], {**REQUEST, "applicants": [2]})
    assert (out.certificate_no, out.cert_type, out.replaced) == ("BL320102-2026-000001", "BL",
                                                                [divorce["certificate_no"]])
    # the divorced man remarries: his divorce certificate can no longer be reissued
    register(clerk_ctx, marriage_case(man=dict(case["party1"], prior_status="divorced"),
                                      woman=person("周敏", "F", D(1998, 2, 2))))
    with pytest.raises(Refused) as err:
        CertificateReissue(clerk_ctx).reissue(divorce["application_id"], REQUEST)
    assert err.value.codes() == ["REISSUE_STATUS_CHANGED"]
    assert sequence(db, "BL") == 1


def test_reissue_of_an_unregistered_or_unknown_record(clerk_ctx, married):
    svc = MarriageService(clerk_ctx)
    open_id = svc.accept(MarriageCase.from_dict(marriage_case()))
    with pytest.raises(InvalidState) as err:
        CertificateReissue(clerk_ctx).reissue(open_id, REQUEST)
    assert err.value.code == "RECORD_NOT_REGISTERED"
    with pytest.raises(NotFound):
        CertificateReissue(clerk_ctx).reissue(9999, REQUEST)
    with pytest.raises(NotFound):
        CertificateReissue(clerk_ctx).reissue("J320102-2026-999999", REQUEST)


# --- permissions --------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "who, operation, allowed",
    [
        ("clerk", "annotate", False),
        ("clerk", "void", False),
        ("supervisor", "annotate", True),
        ("supervisor", "void", True),
        ("admin", "reissue", False),
        ("admin", "proof", False),
        ("clerk", "reissue", True),
        ("clerk", "proof", True),
    ],
)
def test_who_may_do_what(ctx_for, married, who, operation, allowed):
    reg, case = married
    ctx = ctx_for(who)
    run = {
        "annotate": lambda: CourtAnnotation(ctx).annotate_judgment(reg.record_id, JUDGMENT),
        "void": lambda: CertificateVoiding(ctx).void_certificate(reg.certificate_no, "打印错位"),
        "reissue": lambda: CertificateReissue(ctx).reissue(reg.record_id, REQUEST),
        "proof": lambda: RecordProof(ctx).record_proof(case["party1"]["id_number"]),
    }[operation]
    if allowed:
        run()
    else:
        with pytest.raises(PermissionDenied):
            run()


# --- court annotation ---------------------------------------------------------------------------

def test_annotation_sets_the_status_invalidates_certificates_and_appends_its_event(supervisor_ctx, db, married):
    reg, _ = married
    out = CourtAnnotation(supervisor_ctx).annotate_judgment(reg.record_id, JUDGMENT)
    assert out["status"] == "invalidated" and out["certificates_invalidated"] == [reg.certificate_no]
    assert certificates(db, reg.record_id)[reg.certificate_no].status == "invalidated"
    [ev] = events(db, "marriage.annotated")
    assert (ev.data["case_number"], ev.data["archive_number"]) == (JUDGMENT["case_number"], JUDGMENT["archive_number"])


def test_annotation_keeps_the_archive_remark_and_earlier_annotations(supervisor_ctx, db, married):
    reg, _ = married
    with db.write() as s:
        rec = s.get(Record, reg.record_id)
        rec.data = {**rec.data, "remarks": "档案原有备注"}
    annotations = CourtAnnotation(supervisor_ctx)
    annotations.annotate_judgment(reg.record_id, JUDGMENT)
    second = {**JUDGMENT, "court": "南京市中级人民法院", "case_number": "（2026）苏01民终99号",
              "judgment_date": "2026-06-10", "effective_date": None, "effect": "revoked", "ground": "coercion",
              "remark": ""}
    out = annotations.annotate_judgment(reg.record_id, second)
    assert out["status"] == "revoked" and out["annotations"] == 2
    with db.read() as s:
        rec = s.get(Record, reg.record_id)
        first_note, second_note = rec.data["annotations"]
        assert rec.data["remarks"] == "档案原有备注"
        assert first_note["remark"] == JUDGMENT["remark"] and first_note["previous_status"] == "registered"
        assert second_note["previous_status"] == "invalidated"
        assert "南京市中级人民法院" in second_note["remark"] and JUDGMENT["archive_number"] in second_note["remark"]
    assert len(events(db, "marriage.annotated")) == 2
    with pytest.raises(Refused) as err:
        annotations.annotate_judgment(reg.record_id, second)
    assert err.value.codes() == ["JUDGMENT_ALREADY_ANNOTATED"]


@pytest.mark.parametrize(
    "change, code",
    [
        ({"court": ""}, "JUDGMENT_COURT_REQUIRED"),
        ({"case_number": None}, "JUDGMENT_CASE_NUMBER_REQUIRED"),
        ({"archive_number": ""}, "ARCHIVE_NUMBER_REQUIRED"),
        ({"judgment_date": "2026-13-01"}, "JUDGMENT_DATE_INVALID"),
        ({"judgment_date": "2026-07-01", "effective_date": None}, "JUDGMENT_DATE_FUTURE"),
        ({"judgment_date": "2026-03-01", "effective_date": None}, "JUDGMENT_BEFORE_REGISTRATION"),
        ({"effect": "annulled"}, "JUDGMENT_EFFECT_INVALID"),
        ({"ground": "coercion"}, "JUDGMENT_GROUND_MISMATCH"),
        ({"ground": "illness"}, "JUDGMENT_GROUND_INVALID"),
    ],
)
def test_annotation_refusals_store_nothing(supervisor_ctx, db, married, change, code):
    reg, _ = married
    with pytest.raises(Refused) as err:
        CourtAnnotation(supervisor_ctx).annotate_judgment(reg.record_id, {**JUDGMENT, **change})
    assert code in err.value.codes()
    with db.read() as s:
        assert s.get(Record, reg.record_id).status == "registered"
    assert events(db, "marriage.annotated") == []


def test_annotation_waits_for_a_pending_divorce(clerk_ctx, supervisor_ctx, married):
    reg, case = married
    DivorceService(clerk_ctx).apply(divorce_application(case, reg.record_id))
    with pytest.raises(InvalidState) as err:
        CourtAnnotation(supervisor_ctx).annotate_judgment(reg.record_id, JUDGMENT)
    assert err.value.code == "ANNOTATION_DIVORCE_PENDING"


# --- voiding --------------------------------------------------------------------------------------

def test_void_issues_the_next_number_and_never_reuses_the_voided_one(clerk_ctx, supervisor_ctx, db, married):
    reg, _ = married
    assert reg.certificate_no == "J320102-2026-000001"
    out = CertificateVoiding(supervisor_ctx).void_certificate(reg.certificate_no, "打印错位，证书损坏")
    assert out["replacement_no"] == "J320102-2026-000002"
    certs = certificates(db, reg.record_id)
    voided = certs["J320102-2026-000001"]
    assert (voided.status, voided.void_reason, voided.voided_by) == ("voided", "打印错位，证书损坏", "supervisor")
    assert certs["J320102-2026-000002"].status == "issued"
    with db.read() as s:
        assert s.get(Record, reg.record_id).certificate_no == "J320102-2026-000002"
    later = register(clerk_ctx)
    assert later.certificate_no == "J320102-2026-000003"
    with db.read() as s:
        numbers = s.execute(select(Certificate.number).order_by(Certificate.id)).scalars().all()
        assert numbers == ["J320102-2026-000001", "J320102-2026-000002", "J320102-2026-000003"]
    [ev] = events(db, "certificate.voided")
    assert ev.data["certificate_no"] == "J320102-2026-000001" and ev.data["replacement_no"] == "J320102-2026-000002"
    with pytest.raises(InvalidState) as err:
        CertificateVoiding(supervisor_ctx).void_certificate("J320102-2026-000001", "再次作废")
    assert err.value.code == "CERTIFICATE_NOT_ISSUED"


def test_void_spoils_the_printed_blank_and_uses_a_new_one(clerk_ctx, supervisor_ctx, db):
    BlankStock(supervisor_ctx).receive("marriage", "J0000001", "J0000002")
    reg = register(clerk_ctx, marriage_case(blank_serial="J0000001"))
    out = CertificateVoiding(supervisor_ctx).void_certificate(reg.certificate_no, "卡纸", blank_serial="J0000002")
    assert out["spoiled_blanks"] == ["J0000001"]
    with db.read() as s:
        old, new = s.get(BlankCertificate, "J0000001"), s.get(BlankCertificate, "J0000002")
        assert (old.status, old.spoiled_by) == ("spoiled", "supervisor")
        assert new.status == "used" and s.get(Certificate, new.certificate_id).number == out["replacement_no"]


@pytest.mark.parametrize("how", ["no_reissue_number", "record_dissolved"])
def test_void_without_replacement(supervisor_ctx, db, married, how):
    reg, _ = married
    if how == "record_dissolved":
        with db.write() as s:
            s.get(Record, reg.record_id).status = "dissolved"
    out = CertificateVoiding(supervisor_ctx).void_certificate(reg.certificate_no, "错号",
                                                           reissue_number=how != "no_reissue_number")
    assert out["replacement_no"] is None
    assert sequence(db, "J") == 1
    assert list(certificates(db, reg.record_id)) == [reg.certificate_no]


@pytest.mark.parametrize(
    "number, reason, kwargs, error",
    [
        ("J320102-2026-000001", " ", {}, "REASON_REQUIRED"),
        ("J320102-2026-000099", "错号", {}, "CERTIFICATE_NOT_FOUND"),
        ("J320102-2026-000001", "错号", {"reissue_number": False, "blank_serial": "J0000001"},
         "BLANK_WITHOUT_REPLACEMENT"),
        ("J320102-2026-000001", "错号", {"blank_serial": "NOPE"}, "BLANK_NOT_IN_STOCK"),
    ],
)
def test_void_refusals_store_nothing(supervisor_ctx, db, married, number, reason, kwargs, error):
    with pytest.raises((Refused, NotFound)) as err:
        CertificateVoiding(supervisor_ctx).void_certificate(number, reason, **kwargs)
    assert err.value.code == error
    assert sequence(db, "J") == 1
    assert events(db, "certificate.voided") == []
    with db.read() as s:
        assert s.execute(select(Certificate.status)).scalars().all() == ["issued"]


def test_voiding_a_reissued_certificate_takes_the_next_bj(clerk_ctx, supervisor_ctx, db, married):
    reg, _ = married
    bj = CertificateReissue(clerk_ctx).reissue(reg.record_id, REQUEST)
    out = CertificateVoiding(supervisor_ctx).void_certificate(bj.certificate_no, "打印错误")
    assert out["replacement_no"] == "BJ320102-2026-000002"
    with db.read() as s:  # the registration keeps its own number
        assert s.get(Record, reg.record_id).certificate_no == reg.certificate_no


# --- record proof -------------------------------------------------------------------------------

def test_record_proof_lists_every_record_of_the_person(clerk_ctx, db, clock, married):
    reg, case = married
    divorce = issue_divorce(clerk_ctx, clock, case, reg.record_id)
    second = register(clerk_ctx, marriage_case(man=dict(case["party1"], prior_status="divorced"),
                                               woman=person("周敏", "F", D(1998, 2, 2))))
    CertificateReissue(clerk_ctx).reissue(second.record_id, REQUEST)
    pdf = RecordProof(clerk_ctx).record_proof(case["party1"]["id_number"], purpose="办理户籍")
    text = pdf_text(pdf).replace(" ", "").replace("\n", "")
    assert "婚姻登记记录证明" in text and case["party1"]["name"] in text
    for number in (reg.certificate_no, divorce["certificate_no"], second.certificate_no, "BJ320102-2026-000001"):
        assert number in text
    assert "周敏" in text and case["party2"]["name"] in text
    with db.read() as s:
        entry = s.execute(select(AuditEntry).where(AuditEntry.action == "record.proof")).scalar_one()
        assert set(entry.detail["record_ids"]) == {reg.record_id, divorce["application_id"], second.record_id}
        assert case["party1"]["id_number"] not in entry.entity_id


def test_record_proof_for_a_person_without_records(clerk_ctx, married):
    nobody = person("吴明", "M", D(1990, 9, 9))
    with pytest.raises(Refused) as err:
        RecordProof(clerk_ctx).record_proof(nobody["id_number"])
    assert err.value.codes() == ["PROOF_NAME_REQUIRED"]
    text = pdf_text(RecordProof(clerk_ctx).record_proof(nobody)).replace("\n", "")
    assert "吴明" in text and "无婚姻登记记录" in text
    with pytest.raises(Refused) as err:
        RecordProof(clerk_ctx).record_proof("110105194912310021")
    assert err.value.codes() == ["ID_CHECK_CHAR"]


# --- every operation appends its event --------------------------------------------------------------

def test_each_operation_appends_one_event(clerk_ctx, supervisor_ctx, db, married):
    reg, case = married

    def count(event_type):
        with db.read() as s:
            return s.execute(select(func.count()).select_from(RecordEvent)
                             .where(RecordEvent.event_type == event_type)).scalar()

    CertificateReissue(clerk_ctx).reissue(reg.record_id, REQUEST)
    assert count("certificate.reissued") == 1
    CertificateVoiding(supervisor_ctx).void_certificate("BJ320102-2026-000001", "打印错误")
    assert count("certificate.voided") == 1
    CourtAnnotation(supervisor_ctx).annotate_judgment(reg.record_id, JUDGMENT)
    assert count("marriage.annotated") == 1
    with db.read() as s:
        total = s.execute(select(func.count()).select_from(RecordEvent)).scalar()
    RecordProof(clerk_ctx).record_proof(case["party1"]["id_number"])  # a view: audited, no sync event
    with db.read() as s:
        assert s.execute(select(func.count()).select_from(RecordEvent)).scalar() == total


# --- the command line ---------------------------------------------------------------------------

def _cli(*args, password=PASSWORDS["clerk"]):
    env = {**os.environ, "REGISTRY_PASSPHRASE": PASSPHRASE, "REGISTRY_USER_PASSWORD": password}
    return subprocess.run([sys.executable, "-m", "registry_app.cli", *args], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=120)


def test_command_line_reissue_void_annotate_and_proof(db, db_path, tmp_path):
    base = ("--db", str(db_path), "marriage")
    reg = _cli(*base, "register", "--input", str(EXAMPLES / "marriage-case.json"), "--user", "clerk",
               "--date", "2026-03-02")
    assert reg.returncode == 0, reg.stdout + reg.stderr
    record_id = json.loads(reg.stdout)["record_id"]
    both = _cli(*base, "reissue", str(record_id), "--certificate-no", "J320102-2026-000001", "--input",
                str(EXAMPLES / "reissue-request.json"), "--user", "clerk")
    assert both.returncode == 2 and "RECORD_OR_CERTIFICATE_REQUIRED" in both.stdout
    out = _cli(*base, "reissue", "--certificate-no", "J320102-2026-000001", "--input",
               str(EXAMPLES / "reissue-request.json"), "--user", "clerk", "--date", "2026-06-15")
    assert out.returncode == 0, out.stdout + out.stderr
    assert json.loads(out.stdout)["certificate_no"] == "BJ320102-2026-000001"

    denied = _cli(*base, "void", "BJ320102-2026-000001", "--reason", "打印错误", "--user", "clerk")
    assert denied.returncode == 2 and "PERMISSION_DENIED" in denied.stdout
    void = _cli(*base, "void", "BJ320102-2026-000001", "--reason", "打印错误", "--user", "supervisor",
                "--date", "2026-06-15", password=PASSWORDS["supervisor"])
    assert void.returncode == 0, void.stdout + void.stderr
    assert json.loads(void.stdout)["replacement_no"] == "BJ320102-2026-000002"

    annotated = _cli(*base, "annotate", str(record_id), "--input", str(EXAMPLES / "annotation.json"),
                     "--user", "supervisor", "--date", "2026-06-15", password=PASSWORDS["supervisor"])
    assert annotated.returncode == 0, annotated.stdout + annotated.stderr
    assert json.loads(annotated.stdout)["status"] == "invalidated"
    again = _cli(*base, "reissue", str(record_id), "--input", str(EXAMPLES / "reissue-request.json"),
                 "--user", "clerk", "--date", "2026-06-15")
    assert again.returncode == 2
    assert [e["code"] for e in json.loads(again.stdout)["errors"]] == ["REISSUE_STATUS_CHANGED"]

    pdf_path = tmp_path / "proof.pdf"
    proof = _cli(*base, "proof", "320102199503080019", "--out", str(pdf_path), "--user", "clerk",
                 "--date", "2026-06-15")
    assert proof.returncode == 0, proof.stdout + proof.stderr
    assert pdf_path.stat().st_mode & 0o077 == 0
    text = pdf_text(pdf_path.read_bytes()).replace("\n", "")
    assert "J320102-2026-000001" in text and "经法院判决无效" in text
