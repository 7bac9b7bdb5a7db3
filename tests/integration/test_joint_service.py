"""The joint service (婚育户一件事): requests with both parties' consent, withdrawn before the batch is built
(and refused after), sent as their departments' own events with only their fields, validated on the
province's side, accepted or rejected in the acknowledgement (a rejection opens a case), and the couple's
receipt."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from registry_app.domain.joint_service import request_types
from registry_app.errors import InvalidState, PermissionDenied, Refused, RegistryError
from registry_app.services.joint_service import JointService
from registry_app.services.marriage import MarriageCase, MarriageService
from registry_app.storage.models import AuditEntry, JointRequest, RecordEvent, WorkCase
from registry_app.sync.keys import (
    KeyRing,
    ProvinceKeyPair,
    load_public_key_file,
    province_keygen,
)
from registry_app.sync.province import (
    ProvinceState,
    ReceiverKeys,
    build_ack,
    validate_batch,
)
from registry_app.sync.schemas import schemas_dir
from registry_app.sync.service import SyncService
from tests.factories import jpeg_photo, marriage_case, person

D = dt.date
DAY = D(2026, 6, 15)
MAN = person("张伟", "M", D(1995, 3, 8), residence="江苏省南京市玄武区北京东路1号", phone="13800000001",
             occupation="工程师")
WOMAN = person("李娜", "F", D(1997, 11, 20), residence="四川省成都市武侯区人民南路4段9号", phone="13900000002",
               occupation="教师")


@pytest.fixture
def province(tmp_path, admin_ctx):
    paths = province_keygen(tmp_path / "province")
    SyncService(admin_ctx).set_province_key(paths.public)
    return ProvinceKeyPair.from_private_file_bytes(paths.private.read_bytes())


@pytest.fixture
def marriage(clerk_ctx) -> int:
    c = MarriageCase.from_dict(marriage_case(MAN, WOMAN))
    c.photo = jpeg_photo()
    return MarriageService(clerk_ctx).register_case(c).record_id


def ask_all(ctx, record_id: int) -> dict[str, int]:
    svc = JointService(ctx)
    return {
        "hukou_marital": svc.request(record_id, "hukou_marital", [1, 2]).id,
        "hukou_transfer": svc.request(record_id, "hukou_transfer", [1, 2], {
            "mover": 2, "destination": "江苏省南京市玄武区北京东路1号", "phone": "13900000002"}).id,
        "birth_registration": svc.request(record_id, "birth_registration", [2, 1], {
            "phone": "13800000001", "children_before": 0}).id,
    }


def export_and_open(clerk_ctx, province, tmp_path):
    out = tmp_path / "out"
    res = SyncService(clerk_ctx).export(DAY, out)
    keys = ReceiverKeys([province], KeyRing.of(load_public_key_file(p) for p in sorted(out.glob("office-*.pub"))))
    report = validate_batch(Path(res.path).read_bytes(), keys, ProvinceState())
    return res, report


def test_requests_travel_with_only_their_departments_fields_and_the_ack_settles_them(
        clerk_ctx, supervisor_ctx, db, marriage, province, tmp_path):
    ids = ask_all(clerk_ctx, marriage)
    listed = JointService(clerk_ctx).list(marriage)
    assert [(v.request_type, v.status) for v in listed] == [
        ("hukou_marital", "requested"), ("hukou_transfer", "requested"), ("birth_registration", "requested")]
    assert all([c["party"] for c in v.consents] == [1, 2] and v.consents[0]["to"] == v.department_zh
               and v.consents[1]["name"] == "李娜" and v.consents[0]["recorded_by"] == "clerk" for v in listed)
    res, report = export_and_open(clerk_ctx, province, tmp_path)
    assert report.acceptable, report.problem_dicts()
    assert res.counts == {"joint.birth_registration": 1, "joint.hukou_marital": 1, "joint.hukou_transfer": 1,
                          "marriage.registered": 1}
    joint = {ev["event_type"]: ev["data"] for ev in report.events if ev["event_type"].startswith("joint.")}
    marital = joint["joint.hukou_marital"]
    assert marital["department"] == "public_security" and marital["record_kind"] == "marriage"
    assert [set(p) for p in marital["persons"]] == [{"role", "name", "id_type", "id_number", "marital_status_after"}] * 2
    assert {p["marital_status_after"] for p in marital["persons"]} == {"married"}
    transfer = joint["joint.hukou_transfer"]
    assert [(p["role"], p["name"]) for p in transfer["persons"]] == [("mover", "李娜"), ("host", "张伟")]
    assert transfer["destination"] == "江苏省南京市玄武区北京东路1号" and "children_before" not in transfer
    birth = joint["joint.birth_registration"]
    assert birth["department"] == "health" and birth["children_before"] == 0
    # only the department's fields: nothing of the rest the record holds travels in a joint event
    text = json.dumps(joint, ensure_ascii=False)
    for other in ("工程师", "教师", "汉族", "1995-03-08", "birth_date", "sex", "occupation", "ethnicity"):
        assert other not in text
    with db.read() as s:
        rows = {r.request_type: r for r in s.execute(select(JointRequest)).scalars()}
        assert {r.status for r in rows.values()} == {"sent"} and all(r.event_id for r in rows.values())
    # withdrawal after the batch left: refused with a code, nothing changes
    with pytest.raises(InvalidState) as exc:
        JointService(clerk_ctx).withdraw(ids["hukou_transfer"], 2, "不想迁了")
    assert exc.value.code == "JOINT_ALREADY_SENT"
    # the province accepts two and rejects the transfer: the rejection opens a case like any other
    transfer_event = next(ev["event_id"] for ev in report.events if ev["event_type"] == "joint.hukou_transfer")
    ack = tmp_path / "ack.json"
    ack.write_bytes(build_ack(report.opened, province_key=province, rejects={transfer_event: "R402"},
                              created_at="2026-06-16T08:00:00+08:00"))
    result = SyncService(supervisor_ctx).import_ack(ack)
    assert (result.accepted, result.rejected) == (3, 1) and len(result.cases_opened) == 1
    assert [(v.request_type, v.status, v.reason) for v in JointService(clerk_ctx).list(marriage)] == [
        ("hukou_marital", "accepted", ""), ("hukou_transfer", "rejected", "R402"), ("birth_registration", "accepted", "")]
    with db.read() as s:
        case = s.execute(select(WorkCase)).scalar_one()
        assert (case.kind, case.event_id, case.code, case.record_id) == ("sync_rejected", transfer_event, "R402", marriage)
        assert "夫妻投靠" in case.message


def test_consent_withdrawn_before_export_keeps_the_request_out_of_the_batch(clerk_ctx, db, marriage, province,
                                                                             tmp_path):
    ids = ask_all(clerk_ctx, marriage)
    view = JointService(clerk_ctx).withdraw(ids["birth_registration"], 1, "暂不办理")
    assert view.status == "withdrawn" and view.consents[0]["withdrawn_recorded_by"] == "clerk"
    with pytest.raises(InvalidState) as exc:
        JointService(clerk_ctx).withdraw(ids["birth_registration"], 2)
    assert exc.value.code == "JOINT_ALREADY_WITHDRAWN"
    res, report = export_and_open(clerk_ctx, province, tmp_path)
    assert report.acceptable, report.problem_dicts()
    assert "joint.birth_registration" not in res.counts and res.counts["joint.hukou_marital"] == 1
    with db.read() as s:
        entry = s.execute(select(AuditEntry).where(AuditEntry.action == "joint.withdrawn")).scalar_one()
        assert entry.detail["party"] == 1 and entry.reason == "暂不办理"
        assert s.get(JointRequest, ids["birth_registration"]).event_id is None
    # withdrawn, it may be asked for again (a new consent)
    assert JointService(clerk_ctx).request(marriage, "birth_registration", [1, 2],
                                           {"phone": "13800000001", "children_before": 1}).status == "requested"


@pytest.mark.parametrize("request_type, consents, details, code", [
    ("hukou_marital", [1], None, "JOINT_CONSENT_MISSING"),
    ("hukou_marital", [], None, "JOINT_CONSENT_MISSING"),
    ("hukou_marital", [1, 3], None, "JOINT_CONSENT_INVALID"),
    ("hukou_marital", "12", None, "JOINT_CONSENT_INVALID"),
    ("hukou_marital", [True, 2], None, "JOINT_CONSENT_INVALID"),
    ("passport", [1, 2], None, "JOINT_TYPE_UNKNOWN"),
    ("hukou_marital", [1, 2], {"phone": "13800000001"}, "JOINT_DETAIL_UNKNOWN"),
    ("hukou_transfer", [1, 2], {"mover": 1, "destination": "南京"}, "JOINT_DETAIL_MISSING"),
    ("hukou_transfer", [1, 2], {"mover": 3, "destination": "南京", "phone": "13800000001"}, "JOINT_DETAIL_INVALID"),
    ("hukou_transfer", [1, 2], {"mover": 1, "destination": "南京\n北京", "phone": "13800000001"},
     "JOINT_DETAIL_INVALID"),
    ("hukou_transfer", [1, 2], {"mover": 1, "destination": "南" * 101, "phone": "13800000001"},
     "JOINT_DETAIL_INVALID"),
    ("birth_registration", [1, 2], {"phone": "call me", "children_before": 0}, "JOINT_DETAIL_INVALID"),
    ("birth_registration", [1, 2], {"phone": "13800000001", "children_before": -1}, "JOINT_DETAIL_INVALID"),
    ("birth_registration", [1, 2], {"phone": "13800000001", "children_before": "0"}, "JOINT_DETAIL_INVALID"),
    ("birth_registration", [1, 2], ["phone"], "JOINT_DETAILS_INVALID"),
])
def test_bad_requests_are_refused_with_codes_and_change_nothing(clerk_ctx, db, marriage, request_type, consents,
                                                                details, code):
    with pytest.raises(Refused) as exc:
        JointService(clerk_ctx).request(marriage, request_type, consents, details)
    assert code in [i.code for i in exc.value.issues]
    with db.read() as s:
        assert s.execute(select(JointRequest)).first() is None


def test_requests_follow_a_finished_registration_once_and_need_the_parties_facts(clerk_ctx, supervisor_ctx, db,
                                                                                  marriage):
    JointService(clerk_ctx).request(marriage, "hukou_marital", [1, 2])
    with pytest.raises(Refused) as exc:
        JointService(clerk_ctx).request(marriage, "hukou_marital", [1, 2])
    assert exc.value.issues[0].code == "JOINT_ALREADY_REQUESTED"
    accepted = MarriageService(clerk_ctx).accept(MarriageCase.from_dict(marriage_case(
        person("钱进", "M", D(1989, 4, 4)), person("孙丽", "F", D(1991, 7, 7)))))
    with pytest.raises(InvalidState) as state:
        JointService(clerk_ctx).request(accepted, "hukou_marital", [1, 2])
    assert state.value.code == "JOINT_RECORD_STATE"
    bare = MarriageCase.from_dict(marriage_case(person("王强", "M", D(1990, 1, 2)), person("赵敏", "F", D(1992, 5, 6))))
    bare_id = MarriageService(clerk_ctx).register_case(bare).record_id
    with pytest.raises(Refused) as missing:
        JointService(clerk_ctx).request(bare_id, "birth_registration", [1, 2], {"phone": "13800000001",
                                                                               "children_before": 0})
    assert {i.code for i in missing.value.issues} == {"JOINT_PARTY_INCOMPLETE"}
    with pytest.raises(RegistryError) as nf:
        JointService(clerk_ctx).request(999999, "hukou_marital", [1, 2])
    assert nf.value.code == "RECORD_NOT_FOUND"


def test_the_administrator_may_not_ask_or_withdraw(admin_ctx, marriage):
    with pytest.raises(PermissionDenied):
        JointService(admin_ctx).request(marriage, "hukou_marital", [1, 2])
    with pytest.raises(PermissionDenied):
        JointService(admin_ctx).list(marriage)


def test_a_joint_event_with_a_field_its_department_does_not_need_is_refused_by_the_province(
        clerk_ctx, db, marriage, province, tmp_path):
    JointService(clerk_ctx).request(marriage, "hukou_marital", [1, 2])
    from registry_app.sync import export as export_mod

    real = export_mod.joint_service.materialise

    def leaky(ctx, s, day):  # an office build that also sends the birth date
        made = real(ctx, s, day)
        for ev in s.execute(select(RecordEvent).where(RecordEvent.event_type == "joint.hukou_marital")).scalars():
            data = dict(ev.data)
            data["persons"] = [{**p, "birth_date": "1995-03-08"} for p in data["persons"]]
            ev.data = data
        return made

    export_mod.joint_service.materialise = leaky
    try:
        _res, report = export_and_open(clerk_ctx, province, tmp_path)
    finally:
        export_mod.joint_service.materialise = real
    assert not report.acceptable
    assert {p.code for p in report.problems} == {"JOINT_SCHEMA"}
    assert all("1995" not in p.message for p in report.problems)  # the report names the rule, not the value


def test_the_schemas_list_exactly_the_fields_of_the_data_file():
    for key, rtype in request_types().items():
        schema = json.loads((schemas_dir() / f"joint-{key.replace('_', '-')}-v1.schema.json").read_text("utf-8"))
        extra = {k for k, spec in rtype.details.items() if spec["type"] != "party"}
        assert set(schema["required"]) == {"request_id", "department", "persons", *rtype.record_fields, *extra}
        assert set(schema["$defs"]["person"]["required"]) == {"role", *rtype.person_fields}
        assert schema["properties"]["department"]["const"] == rtype.department


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(details=st.dictionaries(st.sampled_from(["mover", "destination", "phone", "x"]),
                               st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=120),
                                         st.lists(st.integers(), max_size=2))))
def test_hostile_details_are_refused_or_stored_checked(details):
    from registry_app.domain.joint_service import read_details

    values, issues = read_details(request_types()["hukou_transfer"], details)
    if not issues:
        assert values["mover"] in (1, 2) and 0 < len(values["destination"]) <= 100
        assert not any(ord(ch) < 0x20 or ch in "\x7f\u2028\u2029" for ch in values["destination"])
        assert values["destination"] == values["destination"].strip() and set(values) <= {"mover", "destination", "phone"}
    assert set(values) <= {"mover", "destination", "phone"}  # an unknown key is never kept
    assert all(i.code.startswith("JOINT_") for i in issues)


def test_the_couple_gets_a_receipt_of_what_went_where(clerk_ctx, db, marriage):
    import io

    from pypdf import PdfReader

    ids = ask_all(clerk_ctx, marriage)
    JointService(clerk_ctx).withdraw(ids["birth_registration"], 2, "")
    reader = PdfReader(io.BytesIO(JointService(clerk_ctx).receipt(marriage)))
    text = "".join(p.extract_text() for p in reader.pages).replace("\n", "").replace(" ", "")
    assert len(reader.pages) == 1
    for words in ("婚育户一件事联办告知单", "张伟、李娜", "户籍婚姻状况变更", "夫妻投靠落户申请", "公安机关", "后续办理"):
        assert words in text
    assert "卫生健康部门" not in text  # withdrawn: not passed on, not on the receipt
    with db.read() as s:
        assert s.execute(select(AuditEntry).where(AuditEntry.action == "form.rendered")).scalars().all()[-1].detail == {
            "form": "joint_receipt"}


def test_the_joint_command_group(db, db_path, marriage, tmp_path):
    import os
    import subprocess
    import sys

    from tests.conftest import PASSPHRASE, PASSWORDS

    root = Path(__file__).resolve().parents[2]

    def registry(*args, expect=0):
        env = {**os.environ, "REGISTRY_PASSPHRASE": PASSPHRASE, "REGISTRY_USER_PASSWORD": PASSWORDS["clerk"]}
        proc = subprocess.run([sys.executable, "-m", "registry_app.cli", "--db", str(db_path), *map(str, args)],
                              check=False, capture_output=True, text=True, timeout=180, cwd=root, env=env)
        assert proc.returncode == expect, (args, proc.stdout, proc.stderr)
        return json.loads(proc.stdout)

    assert {t["request_type"] for t in registry("joint", "types")} == set(request_types())
    made = registry("joint", "request", marriage, "hukou_marital", "--consent", 1, "--consent", 2, "--user", "clerk")
    assert made["status"] == "requested" and made["department"] == "public_security"
    refused = registry("joint", "request", marriage, "birth_registration", "--consent", 1, "--details", "{",
                       "--user", "clerk", expect=2)
    assert "JOINT_DETAILS_INVALID" in json.dumps(refused)
    out = tmp_path / "receipt.pdf"
    assert registry("joint", "receipt", marriage, "--out", out, "--user", "clerk")["bytes"] > 1000
    gone = registry("joint", "withdraw", made["id"], "--party", 2, "--reason", "改日再办", "--user", "clerk")
    assert gone["status"] == "withdrawn"
    assert [v["status"] for v in registry("joint", "list", marriage, "--user", "clerk")] == ["withdrawn"]


def test_a_rejected_request_is_resent_with_the_corrected_record_and_then_accepted(
        clerk_ctx, supervisor_ctx, db, marriage, province, tmp_path):
    from registry_app.services.corrections import Corrections
    from registry_app.sync.province import accept_batch

    JointService(clerk_ctx).request(marriage, "hukou_marital", [1, 2])
    out, state = tmp_path / "out", ProvinceState()
    first = SyncService(clerk_ctx).export(DAY, out)
    keys = ReceiverKeys([province], KeyRing.of(load_public_key_file(p) for p in sorted(out.glob("office-*.pub"))))
    report = validate_batch(Path(first.path).read_bytes(), keys, state)
    accept_batch(report, state)
    rejected = next(ev["event_id"] for ev in report.events if ev["event_type"] == "joint.hukou_marital")
    (tmp_path / "ack1.json").write_bytes(build_ack(report.opened, province_key=province, rejects={rejected: "R401"},
                                                   created_at="2026-06-15T20:00:00+08:00"))
    SyncService(supervisor_ctx).import_ack(tmp_path / "ack1.json")
    cid = Corrections(clerk_ctx).propose(marriage, [{"path": "parties.2.name", "new": "李娜娜"}], "按身份证原件更正姓名")
    Corrections(supervisor_ctx).approve(cid, "已核对身份证原件")
    second = SyncService(clerk_ctx).export(DAY, out)
    assert first.resent == [] and second.resent == [rejected]
    report2 = validate_batch(Path(second.path).read_bytes(), keys, state)
    assert report2.acceptable, report2.problem_dicts()
    resent = next(ev for ev in report2.events if ev["event_type"] == "joint.hukou_marital")
    assert resent["data"]["resend_of"] == rejected
    assert [p["name"] for p in resent["data"]["persons"]] == ["张伟", "李娜娜"]  # the record as corrected
    (tmp_path / "ack2.json").write_bytes(build_ack(report2.opened, province_key=province,
                                                   created_at="2026-06-15T21:00:00+08:00"))
    done = SyncService(supervisor_ctx).import_ack(tmp_path / "ack2.json")
    assert done.cases_resolved and [v.status for v in JointService(clerk_ctx).list(marriage)] == ["accepted"]
