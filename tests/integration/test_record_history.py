"""The record page's data: state, parties, audited timeline, certificates with blanks and prints,
documents, corrections with old values, sync status; opening is itself audited."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from registry_app.errors import NotFound, PermissionDenied
from registry_app.services.archive_import import ArchiveImport
from registry_app.services.corrections import Corrections
from registry_app.services.marriage import MarriageCase, MarriageService
from registry_app.services.record_history import ACTION_ZH, RecordHistory, path_label
from registry_app.services.stock import BlankStock
from registry_app.storage.models import AuditEntry, Certificate, PrintJob, RecordEvent
from tests.factories import jpeg_photo, marriage_case, person

D = dt.date
PHOTO = jpeg_photo()  # the services store only photos that decode


@pytest.fixture
def marriage(clerk_ctx, supervisor_ctx):
    BlankStock(supervisor_ctx).receive("marriage", "J0000001", "J0000002")
    case = MarriageCase.from_dict(marriage_case(person("张伟", "M", D(1995, 3, 8)), person("李娜", "F", D(1997, 11, 20)),
                                                blank_serial="J0000001"))
    case.photo = PHOTO
    return MarriageService(clerk_ctx).register_case(case).record_id


def views(ctx, record_id: int) -> int:
    with ctx.db.read() as s:
        return len(s.execute(select(AuditEntry).where(AuditEntry.action == "record.view",
                                                      AuditEntry.entity_id == str(record_id))).all())


def test_opening_shows_state_parties_timeline_and_is_audited(clerk_ctx, marriage):
    before = views(clerk_ctx, marriage)
    page = RecordHistory(clerk_ctx).record(marriage)
    assert views(clerk_ctx, marriage) == before + 1
    assert (page.kind_zh, page.status, page.status_zh) == ("结婚登记", "registered", "已登记")
    assert page.certificate_no.startswith("J320102-2026-")
    assert [p.name for p in page.parties] == ["张伟", "李娜"]
    assert [p.sex for p in page.parties] == ["男", "女"]
    assert page.parties[0].id_type_zh == "居民身份证"
    actions = [e.action for e in page.events]
    assert actions == ["marriage.accepted", "marriage.reviewed", "marriage.registered", "record.view"]
    assert [e.action_zh for e in page.events][:3] == ["受理结婚登记申请", "审查（声明书签署、监誓）", "结婚登记、发证"]
    registered = page.events[2]
    assert (registered.username, registered.role_zh) == ("clerk", "登记员")
    assert "J0000001" in registered.what and page.certificate_no in registered.what
    assert [e.at for e in page.events] == sorted(e.at for e in page.events)


def test_certificates_blanks_prints_documents_and_sync(clerk_ctx, supervisor_ctx, marriage):
    with clerk_ctx.db.write() as s:
        cert = s.execute(select(Certificate).where(Certificate.record_id == marriage)).scalar_one()
        s.add(PrintJob(certificate_id=cert.id, copy_no=1, blank_serial="J0000001", printed_by="clerk",
                       printed_at=clerk_ctx.clock.now()))
        s.execute(RecordEvent.__table__.update().where(RecordEvent.record_id == marriage)
                  .values(sync_status="exported", batch_seq=3))
    page = RecordHistory(clerk_ctx).record(marriage)
    [c] = page.certificates
    assert (c.cert_type_zh, c.status_zh, c.blank_serial, c.blank_status_zh) == ("结婚证", "有效", "J0000001", "已使用")
    assert [(p.copy_no, p.printed_by) for p in c.prints] == [(1, "clerk")]
    [doc] = page.documents
    assert (doc.kind_zh, doc.filename) == ("结婚登记合影", "joint-photo.jpg")
    assert not hasattr(doc, "content")
    [ev] = page.sync
    assert (ev.event_type_zh, ev.sync_status_zh, ev.batch_seq) == ("结婚登记", "已上报", 3)


def test_corrections_appear_with_old_values_and_in_the_timeline(clerk_ctx, supervisor_ctx, marriage):
    cid = Corrections(clerk_ctx).propose(marriage, [{"path": "parties.2.occupation", "new": "教师"}], "当事人申请")
    Corrections(supervisor_ctx).approve(cid, "核对户口簿无误")
    page = RecordHistory(supervisor_ctx).record(marriage)
    [corr] = page.corrections
    assert corr.status_zh == "已批准"
    assert corr.changes == [{"path": "parties.2.occupation", "old": "", "new": "教师"}]
    assert page.parties[1].details["occupation"] == "教师"
    timeline = [(e.action, e.username) for e in page.events]
    assert ("correction.proposed", "clerk") in timeline and ("correction.approved", "supervisor") in timeline
    approved = next(e for e in page.events if e.action == "correction.approved")
    assert "女方/当事人二·职业" in approved.what and approved.reason == "核对户口簿无误"
    assert [s.event_type for s in page.sync] == ["marriage.registered", "record.corrected"]
    assert not page.pending_corrections


def test_correctable_fields_follow_the_record(clerk_ctx, marriage, tmp_path):
    page = RecordHistory(clerk_ctx).record(marriage)
    paths = {f.path: f for f in page.correctable}
    assert paths["parties.1.name"].current == "张伟"
    assert paths["parties.1.name"].label == "男方/当事人一·姓名"
    assert "registration_date" not in paths  # a number this office issued is not edited
    csv = tmp_path / "a.csv"
    csv.write_text("record_type,registration_date,party1_name,party1_sex,party2_name,party2_sex,archive_no\n"
                   "marriage,1976-10-01,刘德福,男,赵淑珍,女,1976-J-0031\n", encoding="utf-8")
    ArchiveImport(clerk_ctx).run(csv)
    from registry_app.services.search import RecordSearch
    hit = RecordSearch(clerk_ctx).search("刘德福").hits[0]
    old = RecordHistory(clerk_ctx).record(hit.record_id)
    assert old.back_entered
    assert {"registration_date", "certificate_no", "archive_no"} <= {f.path for f in old.correctable}
    assert [e.action for e in old.events][:1] == ["archive.import"]
    assert old.archive_no == "1976-J-0031" and "archive_no" not in old.data


@pytest.mark.parametrize("path,label", [
    ("parties.1.birth_date", "第1位当事人·出生日期"), ("data.remarks", "备注"), ("certificate_no", "证书字号"),
])
def test_path_labels(path, label):
    assert path_label(path) == label


def test_every_record_action_has_a_chinese_name():
    for action in ("marriage.accepted", "divorce.applied", "adoption.registered", "certificate.voided",
                   "correction.rejected", "archive.import", "record.view"):
        assert any("\u4e00" <= ch <= "\u9fff" for ch in ACTION_ZH[action])


def test_permissions_and_missing_record(admin_ctx, clerk_ctx, marriage):
    with pytest.raises(PermissionDenied):
        RecordHistory(admin_ctx).record(marriage)
    with pytest.raises(NotFound) as err:
        RecordHistory(clerk_ctx).record(99999)
    assert err.value.code == "RECORD_NOT_FOUND"
