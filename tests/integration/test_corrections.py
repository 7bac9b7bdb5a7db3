"""Corrections: proposal checks, four-eyes approval, applying in one transaction, history, events."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from registry_app.errors import InvalidState, NotFound, PermissionDenied, Refused
from registry_app.services.archive_import import ArchiveImport
from registry_app.services.corrections import Corrections
from registry_app.services.marriage import MarriageCase, MarriageService
from registry_app.storage.models import AuditEntry, Correction, Party, Record, RecordEvent
from tests.factories import id_number, marriage_case, person

D = dt.date


@pytest.fixture
def marriage(clerk_ctx):
    case = marriage_case(person("张伟", "M", D(1995, 3, 8)), person("李娜", "F", D(1997, 11, 20)))
    return MarriageService(clerk_ctx).register_case(MarriageCase.from_dict(case)).record_id


@pytest.fixture
def archived(clerk_ctx, tmp_path):
    path = tmp_path / "a.csv"
    path.write_text(
        "record_type,registration_date,certificate_no,party1_name,party1_sex,party1_birth_date,party2_name,"
        "party2_sex,party2_birth_date,archive_no\n"
        "marriage,1976-10-01,旧001,刘德福,男,,赵淑珍,女,1953-06-09,1976-J-0031\n", encoding="utf-8")
    ArchiveImport(clerk_ctx).run(path)
    with clerk_ctx.db.read() as s:
        return s.execute(select(Record.id)).scalar_one()


def codes(fn, *args, **kw) -> list[str]:
    with pytest.raises(Refused) as err:
        fn(*args, **kw)
    return err.value.codes()


@pytest.mark.parametrize("changes, expected", [
    ([], ["CORRECTION_EMPTY"]),
    ([{"path": "parties.1.name"}], ["CORRECTION_MALFORMED"]),
    ([{"path": "status", "new": "dissolved"}], ["CORRECTION_PATH_NOT_ALLOWED"]),
    ([{"path": "parties.1.role", "new": "adopter"}], ["CORRECTION_PATH_NOT_ALLOWED"]),
    ([{"path": "data.witness", "new": "x"}], ["CORRECTION_PATH_NOT_ALLOWED"]),
    ([{"path": "parties.3.name", "new": "某"}], ["CORRECTION_PARTY_NOT_FOUND"]),
    ([{"path": "certificate_no", "new": "J320102-2026-000999"}], ["CORRECTION_PATH_NOT_ALLOWED"]),
    ([{"path": "registration_date", "new": "2026-06-01"}], ["CORRECTION_PATH_NOT_ALLOWED"]),
    ([{"path": "parties.1.name", "new": "张伟"}], ["CORRECTION_NO_CHANGE"]),
    ([{"path": "parties.1.name", "new": "张卫"}, {"path": "parties.1.name", "new": "张为"}],
     ["CORRECTION_PATH_DUPLICATE"]),
    ([{"path": "parties.1.name", "new": ""}], ["NAME_REQUIRED"]),
    ([{"path": "parties.1.name", "new": "张伟3"}], ["NAME_INVALID"]),
    ([{"path": "parties.1.sex", "new": "F"}], ["SEX_MISMATCH"]),
    ([{"path": "parties.2.birth_date", "new": "1997-11-21"}], ["BIRTH_DATE_MISMATCH"]),
    ([{"path": "parties.2.birth_date", "new": "1997-13-01"}], ["BIRTH_DATE_INVALID"]),
    ([{"path": "parties.1.id_number", "new": "320102199503080012"}], ["ID_CHECK_CHAR"]),
    ([{"path": "parties.1.prior_status", "new": "engaged"}], ["PRIOR_STATUS_INVALID"]),
    ([{"path": "data.remarks", "new": "备" * 501}], ["FIELD_TOO_LONG"]),
    ([{"path": "data.remarks", "new": ["备注"]}], ["CORRECTION_VALUE_INVALID"]),
    ([{"path": "parties.1.name", "new": "张\u202e伟"}], ["FIELD_CHARACTER_INVALID"]),
    ([{"path": "parties.1.name", "new": "张\n伟"}], ["FIELD_CHARACTER_INVALID"]),
    ([{"path": "parties.1.name", "new": {"a": 1}}], ["CORRECTION_VALUE_INVALID"]),
    ([{"path": "parties.1.phone", "new": "1" * 21}], ["FIELD_TOO_LONG"]),
    ([{"path": "parties.1.birth_date", "new": "1870-03-08"}], ["BIRTH_DATE_MISMATCH", "AGE_OVER_LIMIT"]),
])
def test_proposals_are_checked(clerk_ctx, marriage, changes, expected):
    assert codes(Corrections(clerk_ctx).propose, marriage, changes, "原因") == expected


def test_a_reason_is_required(clerk_ctx, marriage):
    assert codes(Corrections(clerk_ctx).propose, marriage, [{"path": "data.remarks", "new": "x"}], " ") == \
        ["REASON_REQUIRED"]


def test_unknown_record(clerk_ctx, db):
    with pytest.raises(NotFound):
        Corrections(clerk_ctx).propose(999, [{"path": "data.remarks", "new": "x"}], "原因")


def test_approval_applies_every_change_and_keeps_history(clerk_ctx, supervisor_ctx, db, marriage):
    new_id = id_number(D(1995, 3, 8), "M")
    corrections = Corrections(clerk_ctx)
    cid = corrections.propose(marriage, [
        {"path": "parties.1.name", "new": "张卫"},
        {"path": "parties.1.id_number", "new": new_id.lower()},
        {"path": "parties.2.occupation", "new": "教师"},
        {"path": "data.remarks", "new": "姓名笔误更正"},
    ], "登记时姓名录入错误", evidence="户口簿复印件")
    with db.read() as s:
        assert s.get(Party, 1).name == "张伟"  # nothing changes before approval
    view = Corrections(supervisor_ctx).approve(cid, "核对原件无误")
    assert view.status == "approved" and view.decided_by == "supervisor"
    with db.read() as s:
        rec = s.get(Record, marriage)
        p1, p2 = rec.parties
        assert (p1.name, p1.name_initials, p1.id_number, p1.id_tail) == ("张卫", "zw", new_id, new_id[-6:])
        assert p2.data["occupation"] == "教师" and rec.data["remarks"] == "姓名笔误更正"
        assert rec.data["witness"] == "clerk"  # the rest of the record is untouched
    [entry] = corrections.history(marriage)
    assert entry.id == cid and entry.reason == "登记时姓名录入错误" and entry.evidence == "户口簿复印件"
    assert entry.changes[0] == {"path": "parties.1.name", "old": "张伟", "new": "张卫"}
    assert entry.changes[1]["new"] == new_id and entry.changes[2]["old"] == ""


def test_an_exported_record_gets_a_corrected_event(clerk_ctx, supervisor_ctx, db, marriage):
    with db.write() as s:
        for ev in s.execute(select(RecordEvent)).scalars():
            ev.batch_seq, ev.sync_status = 1, "exported"
    cid = Corrections(clerk_ctx).propose(marriage, [{"path": "parties.2.name", "new": "李那"}], "笔误")
    Corrections(supervisor_ctx).approve(cid)
    with db.read() as s:
        events = s.execute(select(RecordEvent).order_by(RecordEvent.seq)).scalars().all()
    assert [e.event_type for e in events] == ["marriage.registered", "record.corrected"]
    assert events[-1].record_id == marriage and events[-1].sync_status == "pending"
    assert events[-1].data["changes"] == [{"path": "parties.2.name", "old": "李娜", "new": "李那"}]


def test_back_entered_record_without_events_gets_none(clerk_ctx, supervisor_ctx, db, archived):
    cid = Corrections(clerk_ctx).propose(archived, [
        {"path": "registration_date", "new": "1976-10-02"},
        {"path": "certificate_no", "new": "旧002"},
        {"path": "archive_no", "new": "1976-J-0032"},
        {"path": "parties.1.birth_date", "new": "1950-01-01"},
    ], "档案核对")
    Corrections(supervisor_ctx).approve(cid)
    with db.read() as s:
        rec = s.get(Record, archived)
        assert rec.registration_date == D(1976, 10, 2) and rec.certificate_no == "旧002"
        assert rec.archive_no == "1976-J-0032" and rec.parties[0].birth_date == D(1950, 1, 1)
        assert s.execute(select(RecordEvent)).first() is None


def test_old_gaps_do_not_block_an_unrelated_correction(clerk_ctx, archived):
    # the archive has no birth date and no ID for the man: correcting his name is still allowed
    assert Corrections(clerk_ctx).propose(archived, [{"path": "parties.1.name", "new": "刘德富"}], "笔误")


@pytest.mark.parametrize("changes, expected", [
    ([{"path": "registration_date", "new": "2026-06-16"}], ["REGISTRATION_DATE_FUTURE"]),
    ([{"path": "registration_date", "new": "1949-01-01"}], ["REGISTRATION_DATE_TOO_EARLY"]),
    ([{"path": "registration_date", "new": "1976/10/02"}], ["DATE_INVALID"]),
    ([{"path": "archive_no", "new": " "}], ["ARCHIVE_NO_REQUIRED"]),
    ([{"path": "archive_no", "new": "卷" * 65}], ["FIELD_TOO_LONG"]),
    ([{"path": "parties.2.birth_date", "new": "2030-01-01"}], ["BIRTH_DATE_FUTURE"]),
])
def test_back_entered_values_are_checked(clerk_ctx, archived, changes, expected):
    assert codes(Corrections(clerk_ctx).propose, archived, changes, "原因") == expected


def test_certificate_number_must_stay_unique(clerk_ctx, archived, marriage):
    assert codes(Corrections(clerk_ctx).propose, archived,
                 [{"path": "certificate_no", "new": "J320102-2026-000001"}], "原因") == ["CERTIFICATE_NO_EXISTS"]


def test_four_eyes(clerk_ctx, supervisor_ctx, ctx_for, marriage):
    cid = Corrections(supervisor_ctx).propose(marriage, [{"path": "data.remarks", "new": "x"}], "原因")
    assert codes(Corrections(supervisor_ctx).approve, cid) == ["SELF_APPROVAL"]
    with pytest.raises(PermissionDenied):
        Corrections(clerk_ctx).approve(cid)
    with pytest.raises(PermissionDenied):
        Corrections(ctx_for("clerk2")).reject(cid, "不同意")


def test_reject_needs_a_note_and_changes_nothing(clerk_ctx, supervisor_ctx, db, marriage):
    cid = Corrections(clerk_ctx).propose(marriage, [{"path": "parties.1.name", "new": "张卫"}], "原因")
    assert codes(Corrections(supervisor_ctx).reject, cid, "") == ["NOTE_REQUIRED"]
    view = Corrections(supervisor_ctx).reject(cid, "证明材料不足")
    assert view.status == "rejected" and view.decision_note == "证明材料不足"
    with db.read() as s:
        assert s.get(Party, 1).name == "张伟"
    with pytest.raises(InvalidState):
        Corrections(supervisor_ctx).approve(cid)


def test_a_stale_proposal_cannot_overwrite_a_later_change(clerk_ctx, ctx_for, supervisor_ctx, db, marriage):
    first = Corrections(clerk_ctx).propose(marriage, [{"path": "parties.1.name", "new": "张卫"}], "原因一")
    second = Corrections(ctx_for("clerk2")).propose(marriage, [{"path": "parties.1.name", "new": "张为"}], "原因二")
    Corrections(supervisor_ctx).approve(first)
    with pytest.raises(InvalidState) as err:
        Corrections(supervisor_ctx).approve(second)
    assert err.value.code == "RECORD_CHANGED"      # proposed against the version the first one changed
    with db.write() as s:                           # a proposal made before revision 0013 has no version:
        s.get(Correction, second).record_version = None   # the old values decide
    with pytest.raises(InvalidState) as err:
        Corrections(supervisor_ctx).approve(second)
    assert err.value.code == "CORRECTION_STALE"
    with db.read() as s:
        assert s.get(Party, 1).name == "张卫"
    assert [c.status for c in Corrections(clerk_ctx).history(marriage)] == ["approved", "proposed"]
    assert [c.id for c in Corrections(supervisor_ctx).pending()] == [second]


def test_each_step_is_audited(clerk_ctx, supervisor_ctx, db, marriage):
    cid = Corrections(clerk_ctx).propose(marriage, [{"path": "parties.1.name", "new": "张卫"}], "笔误")
    Corrections(supervisor_ctx).approve(cid, "同意")
    with db.read() as s:
        entries = s.execute(select(AuditEntry).where(AuditEntry.entity_type == "correction")
                            .order_by(AuditEntry.id)).scalars().all()
    assert [(e.action, e.username, e.reason) for e in entries] == [
        ("correction.proposed", "clerk", "笔误"), ("correction.approved", "supervisor", "同意")]
    assert entries[0].detail == {"record_id": marriage, "paths": ["parties.1.name"]}
    assert "张卫" not in str(entries[0].detail)


def test_a_changes_file_is_read_like_a_case_file(clerk_ctx, db, db_path, tmp_path):
    """`correction propose --changes FILE`: a BOM is fine, a key given twice is refused and nothing proposed."""
    import json as _json

    from click.testing import CliRunner

    from registry_app.cli import main
    from registry_app.services.marriage import MarriageCase, MarriageService
    from tests.conftest import PASSPHRASE, PASSWORDS
    from tests.factories import marriage_case

    rec = MarriageService(clerk_ctx).register_case(MarriageCase.from_dict(marriage_case()))
    env = {"REGISTRY_PASSPHRASE": PASSPHRASE, "REGISTRY_USER_PASSWORD": PASSWORDS["clerk"]}
    args = ["--db", str(db_path), "correction", "propose", str(rec.record_id), "--reason", "录入错误", "--user", "clerk",
            "--changes"]
    twice = tmp_path / "twice.json"
    twice.write_text('[{"path": "parties.1.name", "new": "张玮", "new": "张三"}]', encoding="utf-8")
    refused = CliRunner().invoke(main, [*args, str(twice)], env=env)
    assert refused.exit_code == 2
    assert [e["code"] for e in _json.loads(refused.output)["errors"]] == ["CASE_DUPLICATE_KEY"]
    with_bom = tmp_path / "bom.json"
    with_bom.write_bytes(b"\xef\xbb\xbf" + '[{"path": "parties.1.name", "new": "张玮"}]'.encode())
    proposed = CliRunner().invoke(main, [*args, str(with_bom)], env=env)
    assert proposed.exit_code == 0, proposed.output
    with db.read() as s:
        from registry_app.storage.models import Correction

        assert [c.changes[0]["new"] for c in s.query(Correction).all()] == ["张玮"]
