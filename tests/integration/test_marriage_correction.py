"""Correcting an accepted marriage case before 登记 (issue 14 item 7): the same record and acceptance
number, the corrected case checked again, one audited operation naming the fields and no values."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest
from sqlalchemy import select

from registry_app.errors import InvalidState, Refused
from registry_app.services.marriage import MarriageCase, MarriageService, changed_fields
from registry_app.storage.models import AuditEntry, Record
from tests.factories import marriage_case

D = dt.date


def accepted(ctx) -> tuple[MarriageService, int, MarriageCase]:
    service = MarriageService(ctx)
    case = MarriageCase.from_dict(marriage_case())
    return service, service.accept(case), case


def entries(db, record_id: int) -> list[AuditEntry]:
    with db.read() as s:
        rows = s.execute(select(AuditEntry).where(AuditEntry.entity_id == str(record_id))
                         .order_by(AuditEntry.id)).scalars().all()
        for row in rows:
            s.expunge(row)
        return rows


def test_a_typo_is_corrected_on_the_same_record_and_audited_by_field(clerk_ctx, db):
    service, record_id, case = accepted(clerk_ctx)
    fixed = dataclasses.replace(case, party1=dataclasses.replace(case.party1, name="张维", occupation="教师"))
    assert service.correct(record_id, fixed, "姓名录错") == ["party1.name", "party1.occupation"]
    with db.read() as s:
        rec = s.get(Record, record_id)
        assert rec.status == "accepted"
        assert rec.parties[0].name == "张维" and rec.parties[0].data["occupation"] == "教师"
        assert rec.parties[0].name_initials == "zw"
    last = entries(db, record_id)[-1]
    assert last.action == "marriage.corrected" and last.reason == "姓名录错"
    detail = json.loads(last.detail) if isinstance(last.detail, str) else last.detail
    assert detail["fields"] == ["party1.name", "party1.occupation"] and detail["from"] == "accepted"
    assert "张维" not in json.dumps(detail, ensure_ascii=False)  # field names, never the values
    # the corrected case registers under the same acceptance number
    service.review(record_id, True)
    assert service.register(record_id).record_id == record_id


def test_a_reviewed_case_goes_back_to_review_and_must_be_signed_again(clerk_ctx, db):
    service, record_id, case = accepted(clerk_ctx)
    service.review(record_id, True)
    fixed = dataclasses.replace(case, party2=dataclasses.replace(case.party2, residence="江苏省南京市秦淮区1号"))
    assert service.correct(record_id, fixed) == ["party2.residence"]
    with db.read() as s:
        rec = s.get(Record, record_id)
        assert rec.status == "accepted" and "declarations_signed" not in rec.data
    with pytest.raises(InvalidState):
        service.register(record_id)
    assert [e.action for e in entries(db, record_id)][-2:] == ["marriage.reviewed", "marriage.corrected"]


@pytest.mark.parametrize("change, code", [
    (lambda c: dataclasses.replace(c, party1=dataclasses.replace(c.party1, birth_date=D(2010, 1, 1))),
     "MARRIAGE_UNDER_AGE"),
    (lambda c: dataclasses.replace(c, party2=dataclasses.replace(c.party2, sex="M")), "MARRIAGE_SAME_SEX"),
    (lambda c: c, "CORRECTION_NOTHING_CHANGED"),
])
def test_a_correction_that_fails_the_rules_changes_nothing(clerk_ctx, db, change, code):
    service, record_id, case = accepted(clerk_ctx)
    before = entries(db, record_id)
    with pytest.raises(Refused) as err:
        service.correct(record_id, change(case))
    assert code in err.value.codes()
    assert len(entries(db, record_id)) == len(before)
    with db.read() as s:
        assert s.get(Record, record_id).parties[0].name == case.party1.name


def test_a_registered_or_cancelled_case_cannot_be_corrected(clerk_ctx):
    service, record_id, case = accepted(clerk_ctx)
    service.cancel(record_id, "当事人放弃")
    fixed = dataclasses.replace(case, party1=dataclasses.replace(case.party1, name="张维"))
    with pytest.raises(InvalidState) as err:
        service.correct(record_id, fixed)
    assert err.value.code == "MARRIAGE_NOT_OPEN"


def test_changed_fields_names_declarations_and_matters():
    case = MarriageCase.from_dict(marriage_case())
    other = dataclasses.replace(case, variant="supplementary", union_began=D(2020, 5, 1),
                                declarations=dataclasses.replace(case.declarations, free_will=False))
    assert changed_fields(case, other) == ["declarations.free_will", "variant", "union_began"]
    assert changed_fields(case, case) == []


def test_the_record_page_names_the_corrected_fields_in_chinese(clerk_ctx):
    from registry_app.services.record_history import RecordHistory

    service, record_id, case = accepted(clerk_ctx)
    fixed = dataclasses.replace(case, party2=dataclasses.replace(case.party2, name="李雅"), variant="supplementary",
                                union_began=D(2020, 5, 1))
    service.correct(record_id, fixed, "姓名录错")
    event = next(e for e in RecordHistory(clerk_ctx).record(record_id).events if e.action == "marriage.corrected")
    assert event.action_zh.startswith("更正") and event.reason == "姓名录错"
    assert event.what == "更正项目：女方·姓名、登记类别、共同生活起始日期"
    assert "李雅" not in event.what
