"""Adoption registration, dissolution and revocation through the service layer and the command
line: refusals store nothing, numbering follows the office format, the certificate is taken back
on dissolution, revocation is for supervisors, every step leaves an audit entry and a sync event."""
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

from registry_app.domain.adoption import Status
from registry_app.errors import InvalidState, NotFound, PermissionDenied, Refused
from registry_app.services.adoption import AdoptionService, status_label
from registry_app.services.settings import load_settings, save_settings
from registry_app.storage.models import AuditEntry, Certificate, Party, Record, RecordEvent
from tests.conftest import PASSPHRASE, PASSWORDS
from tests.factories import id_number

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "resources" / "examples" / "adoption-case.json"
D = dt.date


def example() -> dict:
    return json.loads(EXAMPLE.read_text(encoding="utf-8"))


def refusal_codes(ctx, case: dict) -> list[str]:
    with pytest.raises(Refused) as err:
        AdoptionService(ctx).register(case)
    return err.value.codes()


def counts(db) -> dict:
    with db.read() as s:
        return {m.__name__: s.execute(select(func.count()).select_from(m)).scalar()
                for m in (Record, Party, Certificate, RecordEvent)}


def single_parent_case(child_birth: D, adopter_birth: D = D(1975, 3, 1)) -> dict:
    """A single woman adopting a girl placed by birth parents with special difficulty."""
    case = example()
    case["adopters"] = [{
        "name": "林淑芬", "sex": "F", "birth_date": adopter_birth.isoformat(), "id_type": "resident_id",
        "id_number": id_number(adopter_birth, "F"), "marital_status": "unmarried", "children_count": 0,
        "able_to_raise": True, "no_unfit_disease": True, "no_harmful_criminal_record": True,
    }]
    case["adoptee"] = {"name": "何小雨", "sex": "F", "birth_date": child_birth.isoformat(),
                       "id_number": id_number(child_birth, "F"), "situation": "parents_special_difficulty"}
    case["placing"] = {"kind": "birth_parents", "names": ["何建", "吴芳"], "both_place": True,
                       "special_difficulty": True}
    case["consents"] = {"spouses": False, "adoptee": child_birth.year < 2018}
    return case


# --- the command line ---------------------------------------------------------------------

def _cli(*args, env_extra=None):
    env = {**os.environ, "REGISTRY_PASSPHRASE": PASSPHRASE, "REGISTRY_USER_PASSWORD": PASSWORDS["clerk"],
           **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "registry_app.cli", *args], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=120)


@pytest.mark.training  # --date: a training database only
def test_the_example_file_registers_through_the_command_line(db, db_path):
    r = _cli("--db", str(db_path), "adoption", "register", "--input", str(EXAMPLE), "--user", "clerk",
             "--date", "2026-06-15")
    assert r.returncode == 0, r.stdout + r.stderr
    out = json.loads(r.stdout)
    assert out["certificate_no"] == "SY320102-2026-000001" and out["status"] == "registered"
    with db.read() as s:
        rec = s.get(Record, out["record_id"])
        assert rec.kind == "adoption" and rec.registration_date == D(2026, 6, 15)
        assert [p.role for p in rec.parties] == ["adopter1", "adopter2", "adoptee"]
    # the same adoptee cannot be adopted twice while the first adoption stands
    again = _cli("--db", str(db_path), "adoption", "register", "--input", str(EXAMPLE), "--user", "clerk",
                 "--date", "2026-06-16")
    assert again.returncode == 2 and "ADOPTEE_ALREADY_ADOPTED" in again.stdout
    assert "errors" in json.loads(again.stdout)


def test_the_example_file_registers_without_a_date_today(db, db_path):
    # no --date: the wall clock's today (the example is built to hold for years)
    r = _cli("--db", str(db_path), "adoption", "register", "--input", str(EXAMPLE), "--user", "clerk")
    assert r.returncode == 0, r.stdout + r.stderr
    assert json.loads(r.stdout)["certificate_no"].startswith("SY320102-")


@pytest.mark.parametrize("day", [D(2026, 6, 15), D(2027, 1, 1), D(2029, 7, 31), D(2032, 12, 31)])
def test_the_example_holds_for_years(day):
    from registry_app.services.adoption import checklist

    failing = [r.code for r in checklist(example(), day) if r.status is Status.FAILING]
    assert failing == []


@pytest.mark.training  # --date: a training database only
def test_cli_check_dissolve_and_revoke(db, db_path, tmp_path):
    check = _cli("adoption", "check", "--input", str(EXAMPLE), "--date", "2026-06-15")
    assert check.returncode == 0, check.stdout + check.stderr
    lines = json.loads(check.stdout)["conditions"]
    assert {"符合", "不适用", "免除（依据民法典第1100条第2款）"} <= {c["label"] for c in lines}
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**example(), "assessment": None}), encoding="utf-8")
    failing = _cli("adoption", "check", "--input", str(bad), "--date", "2026-06-15")
    assert failing.returncode == 1 and '"can_register": false' in failing.stdout

    r = _cli("--db", str(db_path), "adoption", "register", "--input", str(EXAMPLE), "--user", "clerk",
             "--date", "2026-06-15")
    record_id = json.loads(r.stdout)["record_id"]
    denied = _cli("--db", str(db_path), "adoption", "revoke", str(record_id), "--reason", "伪造材料", "--user",
                  "clerk")
    assert denied.returncode == 2 and "PERMISSION_DENIED" in denied.stdout
    agreement = tmp_path / "d.json"
    agreement.write_text(json.dumps({"adopters_agree": True, "placing_party_agrees": False}), encoding="utf-8")
    refused = _cli("--db", str(db_path), "adoption", "dissolve", str(record_id), "--input", str(agreement),
                   "--user", "clerk", "--date", "2026-09-01")
    assert refused.returncode == 2 and "DISSOLUTION_MINOR_AGREEMENT" in refused.stdout
    agreement.write_text(json.dumps({"adopters_agree": True, "placing_party_agrees": True}), encoding="utf-8")
    done = _cli("--db", str(db_path), "adoption", "dissolve", str(record_id), "--input", str(agreement),
                "--user", "clerk", "--date", "2026-09-01")
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout)["certificate_no"] == "JC320102-2026-000001"


# --- the service ------------------------------------------------------------------------------

def test_registers_with_number_parties_conditions_audit_and_event(clerk_ctx, db):
    result = AdoptionService(clerk_ctx).register(example())
    assert result["certificate_no"] == "SY320102-2026-000001" and result["status"] == "registered"
    second = AdoptionService(clerk_ctx).register(single_parent_case(D(2022, 5, 5)))
    assert second["certificate_no"] == "SY320102-2026-000002"
    with db.read() as s:
        rec = s.get(Record, result["record_id"])
        assert rec.status == "registered" and rec.registration_date == D(2026, 6, 15)
        assert rec.data["registration_date"] == "2026-06-15"  # filled from the clock
        assert rec.data["adoptee"]["name"] == "党小禾"
        waived = [c for c in rec.data["conditions"] if c["status"] == "waived"]
        assert {c["article_key"] for c in waived} == {"CC1098(1)", "CC1100p1"}
        cert = s.execute(select(Certificate).where(Certificate.record_id == rec.id)).scalar_one()
        assert (cert.cert_type, cert.status, cert.number) == ("SY", "issued", "SY320102-2026-000001")
        other = s.get(Record, second["record_id"])
        assert [(p.role, p.name) for p in other.parties] == [
            ("adopter1", "林淑芬"), ("adoptee", "何小雨"), ("placing_parent", "何建"), ("placing_parent", "吴芳")]
        event = s.execute(select(RecordEvent).where(RecordEvent.record_id == rec.id)).scalar_one()
        assert event.event_type == "adoption.registered" and event.seq == 1
        assert event.data["certificate_no"] == "SY320102-2026-000001"
        assert event.data["placing_kind"] == "welfare_institution"
        assert event.data["waived"] == ["CC1100p2"]
        assert {p["role"] for p in event.data["parties"]} == {"adopter1", "adopter2", "adoptee"}
        actions = s.execute(select(AuditEntry.action).where(AuditEntry.entity_id == str(rec.id))).scalars().all()
        assert actions == ["adoption.registered"]


def test_office_number_format_setting_is_used(clerk_ctx, db):
    with db.write() as s:
        settings = load_settings(s)
        settings.adoption_number_format = "({year})玄收字第{seq:04d}号"
        save_settings(s, settings)
    assert AdoptionService(clerk_ctx).register(example())["certificate_no"] == "(2026)玄收字第0001号"


def test_refusal_stores_nothing_and_names_every_reason(clerk_ctx, db):
    case = example()
    case["adopters"][0]["birth_date"] = "1998-04-12"  # 28: under 30 (CC 1098(5))
    case["adopters"][0]["id_number"] = id_number(D(1998, 4, 12), "M")
    case["assessment"]["conclusion"] = "unsuitable"
    case["consents"]["spouses"] = False
    before = counts(db)
    codes = refusal_codes(clerk_ctx, case)
    assert {"ADOPTER_AGE", "ASSESSMENT_SUITABLE", "JOINT_WITH_SPOUSE"} <= set(codes)
    assert counts(db) == before
    with db.read() as s:
        assert s.execute(select(func.count()).select_from(AuditEntry)
                         .where(AuditEntry.action.like("adoption.%"))).scalar() == 0
    # and the number sequence did not move
    assert AdoptionService(clerk_ctx).register(example())["certificate_no"] == "SY320102-2026-000001"


def test_malformed_case_and_wrong_registration_date_are_refused(clerk_ctx, db):
    case = example()
    del case["adopters"][0]["name"]
    case["adoptee"]["birth_date"] = "2025-13-01"
    codes = refusal_codes(clerk_ctx, case)
    assert codes.count("FIELD_MISSING") == 1 and "FIELD_INVALID" in codes
    dated = {**example(), "registration_date": "2026-06-01"}
    assert refusal_codes(clerk_ctx, dated) == ["REGISTRATION_DATE_NOT_TODAY"]
    same_day = {**example(), "registration_date": "2026-06-15"}
    assert AdoptionService(clerk_ctx).register(same_day)["status"] == "registered"
    assert "CASE_FORMAT" in refusal_codes(clerk_ctx, ["not", "a", "case"])


def test_office_that_does_not_handle_adoption_refuses(clerk_ctx, db):
    with db.write() as s:
        settings = load_settings(s)
        settings.handles_adoption = False
        save_settings(s, settings)
    assert refusal_codes(clerk_ctx, example()) == ["ADOPTION_NOT_HANDLED"]
    assert counts(db)["Record"] == 0


def test_admin_cannot_register(admin_ctx):
    with pytest.raises(PermissionDenied):
        AdoptionService(admin_ctx).register(example())


def test_blank_serial_is_used_once(clerk_ctx, supervisor_ctx, db):
    from registry_app.services.stock import BlankStock

    BlankStock(supervisor_ctx).receive("adoption", "S0000001", "S0000002")
    BlankStock(supervisor_ctx).receive("marriage", "M0000001", "M0000001")
    with pytest.raises(Refused) as err:
        AdoptionService(clerk_ctx).register(example(), blank_serial="M0000001")
    assert err.value.codes() == ["BLANK_WRONG_TYPE"]
    assert counts(db)["Record"] == 0
    result = AdoptionService(clerk_ctx).register(example(), blank_serial="S0000001")
    assert result["blank_serial"] == "S0000001"
    with db.read() as s:
        assert s.execute(select(Certificate.blank_serial)).scalar_one() == "S0000001"


def test_dissolution_while_minor_needs_placing_party_and_the_consent_of_a_child_of_eight(clerk_ctx, db, clock):
    # a girl born 2017: nine on the registration date
    record_id = AdoptionService(clerk_ctx).register(single_parent_case(D(2017, 3, 3)))["record_id"]
    clock.set(D(2026, 10, 8))
    service = AdoptionService(clerk_ctx)
    with pytest.raises(Refused) as err:
        service.dissolve(record_id, {"adopters_agree": True, "placing_party_agrees": True})
    assert err.value.codes() == ["DISSOLUTION_ADOPTEE_CONSENT"]
    with pytest.raises(Refused) as err:
        service.dissolve(record_id, {"adopters_agree": True, "adoptee_agrees": True})
    assert err.value.codes() == ["DISSOLUTION_MINOR_AGREEMENT"]
    with pytest.raises(Refused) as err:
        service.dissolve(record_id, {"adopters_agree": True, "placing_party_agrees": True, "adoptee_agrees": True,
                                     "adoptee_name": "别人"})
    assert err.value.codes() == ["DISSOLUTION_PARTIES_MISMATCH"]
    with db.read() as s:
        assert s.get(Record, record_id).status == "registered"
        assert s.execute(select(func.count()).select_from(Certificate)).scalar() == 1
    result = service.dissolve(record_id, {"adopters_agree": True, "placing_party_agrees": True,
                                          "adoptee_agrees": True})
    assert result == {"record_id": record_id, "certificate_no": "JC320102-2026-000001", "status": "dissolved",
                      "blank_serial": None}


def test_dissolution_with_an_adult_adoptee_by_agreement(clerk_ctx, db, clock):
    record_id = AdoptionService(clerk_ctx).register(single_parent_case(D(2010, 1, 20)))["record_id"]
    clock.set(D(2030, 2, 1))  # the adoptee is 20
    service = AdoptionService(clerk_ctx)
    with pytest.raises(Refused) as err:
        service.dissolve(record_id, {"adopters_agree": True})
    assert err.value.codes() == ["DISSOLUTION_ADULT_AGREEMENT"]
    result = service.dissolve(record_id, {"adopters_agree": True, "adoptee_agrees": True})
    assert result["certificate_no"] == "JC320102-2030-000001" and result["status"] == "dissolved"
    with db.read() as s:
        certs = {c.cert_type: c for c in s.execute(select(Certificate)).scalars()}
        assert certs["SY"].status == "surrendered" and certs["JC"].status == "issued"
        assert certs["JC"].issued_on == D(2030, 2, 1)
        rec = s.get(Record, record_id)
        assert rec.status == "dissolved"
        assert rec.data["dissolution"]["surrendered_certificate_no"] == certs["SY"].number
        event = s.execute(select(RecordEvent).where(RecordEvent.event_type == "adoption.dissolved")).scalar_one()
        assert event.data["adoptee_adult"] is True and event.seq == 2
    with pytest.raises(InvalidState):
        service.dissolve(record_id, {"adopters_agree": True, "adoptee_agrees": True})


def test_revoke_is_for_supervisors_and_voids_the_certificate(clerk_ctx, supervisor_ctx, db):
    record_id = AdoptionService(clerk_ctx).register(example())["record_id"]
    with pytest.raises(PermissionDenied):
        AdoptionService(clerk_ctx).revoke(record_id, "提交虚假的婚姻状况证明")
    with pytest.raises(Refused) as err:
        AdoptionService(supervisor_ctx).revoke(record_id, "  ")
    assert err.value.codes() == ["REASON_REQUIRED"]
    result = AdoptionService(supervisor_ctx).revoke(record_id, "提交虚假的婚姻状况证明")
    assert result["status"] == "revoked"
    with db.read() as s:
        cert = s.execute(select(Certificate)).scalar_one()
        assert (cert.status, cert.voided_by) == ("voided", "supervisor")
        rec = s.get(Record, record_id)
        assert rec.data["revocation"]["reason"] == "提交虚假的婚姻状况证明"
        events = s.execute(select(RecordEvent.event_type).order_by(RecordEvent.seq)).scalars().all()
        assert events == ["adoption.registered", "adoption.revoked"]
        audit = s.execute(select(AuditEntry).where(AuditEntry.action == "adoption.revoked")).scalar_one()
        assert audit.username == "supervisor" and audit.reason == "提交虚假的婚姻状况证明"
    with pytest.raises(InvalidState):
        AdoptionService(supervisor_ctx).revoke(record_id, "again")
    with pytest.raises(InvalidState):
        AdoptionService(clerk_ctx).dissolve(record_id, {"adopters_agree": True, "placing_party_agrees": True})
    # a revoked adoption does not block the child's adoption by others
    assert AdoptionService(clerk_ctx).register(example())["certificate_no"] == "SY320102-2026-000002"


def test_view_is_audited_and_unknown_records_are_not_found(clerk_ctx, db):
    record_id = AdoptionService(clerk_ctx).register(example())["record_id"]
    view = AdoptionService(clerk_ctx).view(record_id)
    assert view.status_zh == "已登记" and view.certificate_no == "SY320102-2026-000001"
    assert view.certificates[0]["status"] == "issued" and view.parties[2]["role"] == "adoptee"
    with db.read() as s:
        assert s.execute(select(AuditEntry.action).order_by(AuditEntry.id.desc())).scalars().first() == "record.view"
    with pytest.raises(NotFound):
        AdoptionService(clerk_ctx).view(record_id + 100)


def test_check_is_the_live_checklist(clerk_ctx):
    case = copy.deepcopy(example())
    case["relationship"] = "step_parent"
    case["adopters"] = case["adopters"][:1]
    results = AdoptionService(clerk_ctx).check(case)
    rows_1098 = [r for r in results if r.article_key.startswith("CC1098")]
    assert rows_1098 and all(r.status is Status.WAIVED for r in rows_1098)
    assert all("民法典第1103条" in status_label(r) for r in rows_1098)


# --- facts the office holds (CC 1098(1), 1100): the adopters' earlier adoptions and children here -----

CHILDREN = iter(range(1, 100))


def couple_case(situation: str = "parents_special_difficulty", **adoptee) -> dict:
    """The example couple adopting another child each time (a new name, birth date and ID number)."""
    n = next(CHILDREN)
    birth = D(2020, 1, 1) + dt.timedelta(days=37 * n)
    case = example()
    case["adoptee"] = {"name": f"党小{'一二三四五六七八九'[n % 9]}{n}", "sex": "F", "birth_date": birth.isoformat(),
                       "id_number": id_number(birth, "F"), "situation": situation, "disabled": False,
                       "in_welfare_institution": False, **adoptee}
    if situation == "parents_special_difficulty":
        case["placing"] = {"kind": "birth_parents", "names": ["何建", "吴芳"], "both_place": True,
                           "special_difficulty": True}
    case["consents"]["adoptee"] = True
    return case


def declared(case: dict, children: int, adopted: int) -> dict:
    for a in case["adopters"]:
        a["children_count"], a["adopted_children_count"] = children, adopted
    return case


def _dissolve(ctx, record_id):
    with ctx.db.write() as s:  # as a dissolution registered here leaves it (the service's own path is tested above)
        s.get(Record, record_id).status = "dissolved"


@pytest.mark.parametrize("earlier, undo, declared_counts, situation, refused", [
    (0, None, (0, 0), "parents_special_difficulty", []),
    (1, None, (0, 0), "parents_special_difficulty", []),                    # childless: two adoptions allowed
    (2, None, (0, 0), "parents_special_difficulty", ["ADOPTER_CHILDREN", "ADOPTION_NUMBER"]),
    (2, None, (2, 2), "parents_special_difficulty", ["ADOPTER_CHILDREN", "ADOPTION_NUMBER"]),  # honest: same
    (2, "dissolved", (0, 0), "parents_special_difficulty", []),             # a dissolved adoption does not count
    (2, "revoked", (0, 0), "parents_special_difficulty", []),               # nor a revoked one
    (1, None, (1, 0), "parents_special_difficulty", ["ADOPTER_CHILDREN", "ADOPTION_NUMBER"]),  # a birth child: one
    (0, None, (2, 2), "parents_special_difficulty", ["ADOPTER_CHILDREN", "ADOPTION_NUMBER"]),  # declared: adds
    (2, None, (0, 0), "orphan", []),                                         # CC 1100 para 2: an orphan
    (2, None, (0, 0), "disabled", []),                                       # a disabled minor
    (2, None, (0, 0), "welfare", []),                                        # a welfare child, parents unknown
])
def test_adoption_counts_the_adopters_earlier_adoptions_here(clerk_ctx, supervisor_ctx, db, earlier, undo,
                                                              declared_counts, situation, refused):
    service = AdoptionService(clerk_ctx)
    done = [service.register(couple_case()) for _ in range(earlier)]
    if undo == "dissolved":
        _dissolve(clerk_ctx, done[0]["record_id"])
    elif undo == "revoked":
        AdoptionService(supervisor_ctx).revoke(done[0]["record_id"], "提交虚假材料")
    if situation == "orphan":
        case = couple_case("orphan", in_welfare_institution=True)
        case["placing"] = {"kind": "welfare_institution", "names": ["南京市儿童福利院"]}
    elif situation == "disabled":
        case = couple_case(disabled=True)
    elif situation == "welfare":
        case = couple_case("parents_unknown", in_welfare_institution=True)
        case["placing"] = {"kind": "welfare_institution", "names": ["南京市儿童福利院"]}
        case["public_notice"] = {"started": "2026-03-01", "days": 60}
    else:
        case = couple_case()
    case = declared(case, *declared_counts)
    before = counts(db)
    if not refused:
        service.register(case)
        return
    with pytest.raises(Refused) as err:
        service.register(case)
    assert sorted(set(err.value.codes())) == refused
    assert counts(db) == before
    by_code = {i.code: i for i in err.value.issues}
    assert "民法典第1100条第1款" in by_code["ADOPTION_NUMBER"].message
    assert "民法典第1098条第1项" in by_code["ADOPTER_CHILDREN"].message
    if earlier > declared_counts[1]:  # the message names what the office's records show
        assert all(d["certificate_no"] in by_code["ADOPTION_NUMBER"].message for d in done)


def test_children_named_in_a_divorce_agreement_here_count(clerk_ctx, db):
    """One of the adopters divorced here earlier; the agreement names two children of that marriage."""
    import uuid

    from registry_app.storage.models import Party

    adopter = example()["adopters"][0]
    with db.write() as s:
        rec = Record(uid=str(uuid.uuid4()), kind="divorce", status="issued", office_code="320102",
                     created_by="clerk", created_at=clerk_ctx.clock.now(), updated_at=clerk_ctx.clock.now(),
                     data={"agreement": {"children": [{"name": "陈一", "birth_date": "2012-02-02"},
                                                      {"name": "陈二", "birth_date": "2014-04-04"}]}})
        rec.parties.append(Party(position=1, role="party1", name=adopter["name"], sex="M",
                                 birth_date=D(1988, 4, 12), id_type="resident_id", id_number=adopter["id_number"],
                                 nationality="中国", data={}))
        s.add(rec)
    with pytest.raises(Refused) as err:
        AdoptionService(clerk_ctx).register(couple_case())
    [issue] = err.value.issues  # CC 1098(1) for him; his wife's record holds no children
    assert (issue.code, issue.field) == ("ADOPTER_CHILDREN", "adopters[0].children_count")
    assert "至少2名" in issue.message and "民法典第1098条第1项" in issue.message
