"""Marriage registration through the service layer: every refusal, the age boundaries, numbering
under concurrency, and crash safety."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from registry_app.errors import InvalidState, PermissionDenied, Refused
from registry_app.services.marriage import MarriageCase, MarriageService
from registry_app.storage.models import AuditEntry, Certificate, Record, RecordEvent
from tests.conftest import PASSPHRASE
from tests.factories import jpeg_photo, marriage_case, person

D = dt.date


def register(ctx, case: dict):
    return MarriageService(ctx).register_case(MarriageCase.from_dict(case))


def refusal_codes(ctx, case: dict) -> list[str]:
    with pytest.raises(Refused) as err:
        register(ctx, case)
    return err.value.codes()


def test_registers_and_numbers_the_certificate(clerk_ctx, db):
    result = register(clerk_ctx, marriage_case())
    assert result.certificate_no == "J320102-2026-000001"
    second = register(clerk_ctx, marriage_case(person("王强", "M", D(1990, 1, 1)), person("赵敏", "F", D(1992, 2, 2))))
    assert second.certificate_no == "J320102-2026-000002"
    with db.read() as s:
        rec = s.get(Record, result.record_id)
        assert rec.status == "registered" and rec.registration_date == D(2026, 6, 15)
        assert rec.data["witness"] == "clerk"
        events = s.execute(select(RecordEvent.event_type, RecordEvent.seq)).all()
        assert [e.seq for e in events] == [1, 2]
        assert {e.event_type for e in events} == {"marriage.registered"}
        actions = s.execute(select(AuditEntry.action).where(AuditEntry.entity_id == str(rec.id))).scalars().all()
        assert actions == ["marriage.accepted", "marriage.reviewed", "marriage.registered"]


# CC 1047: man 22 full years, woman 20, on the registration date (2026-06-15 in these tests).
@pytest.mark.parametrize(
    "sex, birth, ok",
    [
        ("M", D(2004, 6, 15), True),    # 22nd birthday today: counts
        ("M", D(2004, 6, 16), False),   # one day short
        ("F", D(2006, 6, 15), True),    # 20th birthday today
        ("F", D(2006, 6, 16), False),
    ],
)
def test_marriage_age_boundaries(clerk_ctx, sex, birth, ok):
    if sex == "M":
        case = marriage_case(man=person("甲", "M", birth))
    else:
        case = marriage_case(woman=person("乙", "F", birth))
    if ok:
        assert register(clerk_ctx, case).certificate_no
    else:
        assert "MARRIAGE_UNDER_AGE" in refusal_codes(clerk_ctx, case)


@pytest.mark.parametrize(
    "birth, on, ok",
    [
        (D(2004, 2, 29), D(2026, 2, 28), False),  # leap-day birthday: 22 only from 1 March in a common year
        (D(2004, 2, 29), D(2026, 3, 1), True),
        (D(2006, 2, 28), D(2028, 2, 28), True),
    ],
)
@pytest.mark.training  # registers on days before the database was made
def test_leap_day_birthdays(clerk_ctx, clock, birth, on, ok):
    clock.set(on)
    case = marriage_case(man=person("闰", "M", birth))
    if ok:
        assert register(clerk_ctx, case).certificate_no.endswith("000001")
    else:
        assert "MARRIAGE_UNDER_AGE" in refusal_codes(clerk_ctx, case)


def _with(case: dict, path: str, value) -> dict:
    keys = path.split(".")
    target = case
    for k in keys[:-1]:
        target = target[k]
    target[keys[-1]] = value
    return case


@pytest.mark.parametrize(
    "path, value, code",
    [
        ("party2.sex", "M", "MARRIAGE_SAME_SEX"),                     # CC 1046/1049: a man and a woman
        ("declarations.free_will", False, "NOT_FREE_WILL"),          # CC 1046
        ("declarations.no_prohibited_kinship", False, "PROHIBITED_KINSHIP_NOT_DECLARED"),  # CC 1048
        ("declarations.no_spouse", False, "NO_SPOUSE_NOT_DECLARED"),  # CC 1042
        ("declarations.signed", False, "DECLARATIONS_NOT_SIGNED"),
        ("party1.birth_date", "1995-03-09", "BIRTH_DATE_MISMATCH"),
        ("party1.sex", "F", "SEX_MISMATCH"),
        ("party1.id_number", "320102199503080011", "ID_CHECK_CHAR"),
        ("party1.name", "", "NAME_REQUIRED"),
        ("party1.prior_status", "engaged", "PRIOR_STATUS_INVALID"),
        ("party2.id_type", "passport", "FOREIGN_CASE_NOT_HANDLED"),
        ("variant", "supplementary", "UNION_BEGAN_REQUIRED"),
        ("witness", "nobody", "WITNESS_UNKNOWN"),
    ],
)
def test_each_refusal_has_its_code_and_stores_nothing(clerk_ctx, db, path, value, code):
    case = _with(marriage_case(), path, value)
    if path == "party2.id_type":
        case["party2"]["id_number"] = "E12345678"
    assert code in refusal_codes(clerk_ctx, case)
    with db.read() as s:
        assert s.execute(select(func.count()).select_from(Record)).scalar() == 0
        assert s.execute(select(func.count()).select_from(Certificate)).scalar() == 0


def test_health_is_never_a_ground_to_refuse(clerk_ctx):
    case = marriage_case()
    case["party1"]["health_note"] = "患有严重疾病（已如实告知对方）"
    assert register(clerk_ctx, case).certificate_no


def test_existing_spouse_and_prior_status(clerk_ctx):
    man = person("张伟", "M", D(1990, 1, 1))
    register(clerk_ctx, marriage_case(man=man))
    other = person("周芳", "F", D(1993, 5, 5))
    assert "EXISTING_SPOUSE" in refusal_codes(clerk_ctx, marriage_case(man=dict(man), woman=other))
    # declared widowed: refused unless the death of the spouse was checked
    widowed = dict(man, prior_status="widowed")
    assert "WIDOWED_PROOF_REQUIRED" in refusal_codes(clerk_ctx, marriage_case(man=widowed, woman=other))
    proved = dict(man, prior_status="widowed", spouse_death_proof="死亡证明 No.123")
    assert register(clerk_ctx, marriage_case(man=proved, woman=other)).certificate_no


def test_back_entered_and_dissolved_marriages_set_prior_status(clerk_ctx, db, clock):
    man = person("老张", "M", D(1960, 1, 1))
    woman = person("老李", "F", D(1962, 1, 1))
    first = register(clerk_ctx, marriage_case(man=man, woman=woman))
    with db.write() as s:
        s.get(Record, first.record_id).status = "dissolved"
    new = person("新人", "F", D(1970, 1, 1))
    codes = refusal_codes(clerk_ctx, marriage_case(man=dict(man), woman=new))  # declares "unmarried"
    assert codes == ["PRIOR_STATUS_INCONSISTENT"]
    assert register(clerk_ctx, marriage_case(man=dict(man, prior_status="divorced"), woman=new)).certificate_no


def test_remarriage_of_a_former_couple_links_the_divorce(clerk_ctx, db):
    man, woman = person("复", "M", D(1980, 1, 1)), person("婚", "F", D(1981, 1, 1))
    first = register(clerk_ctx, marriage_case(man=man, woman=woman))
    with db.write() as s:
        s.get(Record, first.record_id).status = "dissolved"
    again = marriage_case(man=dict(man, prior_status="divorced"), woman=dict(woman, prior_status="divorced"),
                          variant="remarriage", previous_record_id=first.record_id)
    result = register(clerk_ctx, again)
    with db.read() as s:
        assert s.get(Record, result.record_id).linked_record_id == first.record_id
    wrong = marriage_case(variant="remarriage", previous_record_id=first.record_id)
    assert "REMARRIAGE_LINK_MISMATCH" in refusal_codes(clerk_ctx, wrong)


def test_supplementary_registration_records_when_the_union_began(clerk_ctx, db):
    result = register(clerk_ctx, marriage_case(variant="supplementary", union_began="2019-05-01"))
    with db.read() as s:
        assert s.get(Record, result.record_id).data["union_began"] == "2019-05-01"


def test_state_machine_refuses_out_of_order_steps_and_cancel(clerk_ctx, db):
    svc = MarriageService(clerk_ctx)
    rid = svc.accept(MarriageCase.from_dict(marriage_case()))
    with pytest.raises(InvalidState):
        svc.register(rid)
    svc.review(rid, signed=True, photo=jpeg_photo())
    with pytest.raises(Refused):
        svc.cancel(rid, "")
    svc.cancel(rid, "当事人放弃")
    with pytest.raises(InvalidState):
        svc.register(rid)
    with db.read() as s:
        assert s.get(Record, rid).status == "cancelled"
        assert s.execute(select(func.count()).select_from(Certificate)).scalar() == 0


def test_admin_cannot_register_through_the_service(admin_ctx):
    with pytest.raises(PermissionDenied):
        register(admin_ctx, marriage_case())


def test_blank_serial_must_be_in_stock_and_unused(clerk_ctx, supervisor_ctx):
    from registry_app.services.stock import BlankStock

    case = marriage_case(blank_serial="A0000001")
    assert "BLANK_NOT_IN_STOCK" in refusal_codes(clerk_ctx, case)
    BlankStock(supervisor_ctx).receive("marriage", "A0000001", "A0000010")
    assert register(clerk_ctx, case).blank_serial == "A0000001"
    again = marriage_case(person("钱", "M", D(1990, 1, 1)), person("孙", "F", D(1991, 1, 1)), blank_serial="A0000001")
    assert "BLANK_NOT_AVAILABLE" in refusal_codes(clerk_ctx, again)


def test_two_counters_at_once_get_different_consecutive_numbers(db, clock, ctx_for):
    contexts = [ctx_for("clerk"), ctx_for("clerk2")]
    results, errors = [], []
    barrier = threading.Barrier(2)

    def work(ctx, i):
        try:
            barrier.wait()
            for k in range(5):
                tag = "甲乙"[i] + "一二三四五"[k]
                case = marriage_case(person(f"男{tag}", "M", D(1990, 1, 1 + k)), person(f"女{tag}", "F", D(1991, 1, 1 + k)))
                results.append(register(ctx, case).certificate_no)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(c, i)) for i, c in enumerate(contexts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(results) == [f"J320102-2026-{n:06d}" for n in range(1, 11)]


CRASH_SCRIPT = r"""
import datetime as dt, json, os, sys
from registry_app.clock import FixedClock
from registry_app.services import marriage
from registry_app.services.accounts import Accounts
from registry_app.services.context import AppContext
from registry_app.storage.engine import open_database, sqlcipher_url

def die(*a, **k):
    os._exit(9)  # power cut after the number was taken, before commit

marriage.append_event = die
db = open_database(sqlcipher_url(sys.argv[1], sys.argv[2]))
ctx = AppContext(db=db, clock=FixedClock(dt.date(2026, 6, 15)))
ctx.user = Accounts(ctx).login("clerk", sys.argv[3])
marriage.MarriageService(ctx).register_case(marriage.MarriageCase.from_dict(json.loads(sys.argv[4])))
"""


def test_crash_between_numbering_and_commit_leaves_no_gap_and_no_half_record(db, db_path, clerk_ctx):
    import json

    from tests.conftest import PASSWORDS

    first = register(clerk_ctx, marriage_case())
    case = marriage_case(person("断电", "M", D(1990, 1, 1)), person("测试", "F", D(1991, 1, 1)))
    proc = subprocess.run([sys.executable, "-c", CRASH_SCRIPT, str(db_path), PASSPHRASE, PASSWORDS["clerk"],
                           json.dumps(case)], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[2])
    assert proc.returncode == 9, proc.stderr
    with db.read() as s:
        assert s.execute(select(func.count()).select_from(Record)).scalar() == 1
        assert s.execute(select(func.count()).select_from(Certificate)).scalar() == 1
    assert first.certificate_no.endswith("000001")
    assert register(clerk_ctx, case).certificate_no == "J320102-2026-000002"


def test_from_dict_never_raises_anything_but_refused():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                               lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=3),
                               max_leaves=10)

    @settings(max_examples=200, deadline=None)
    @given(st.dictionaries(st.sampled_from(["party1", "party2", "declarations", "variant", "union_began",
                                            "previous_record_id", "blank_serial", "witness"]), json_values))
    def check(d):
        try:
            MarriageCase.from_dict(d)
        except Refused as exc:
            assert exc.issues

    check()
