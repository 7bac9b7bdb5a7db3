"""婚姻家庭辅导 at a divorce application: recorded (offered, accepted, referral) and shown back, never a
condition for registering — not offered, declined or accepted, the application is accepted alike; only input
that is not what it claims to be is refused, and then nothing is stored."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from registry_app.domain.counselling import counselling_from_dict
from registry_app.errors import Refused
from registry_app.services.divorce import DivorceService
from registry_app.storage.models import Record
from tests.integration.test_divorce_service import married  # noqa: F401 — the fixture

REFERRAL = "区婚姻家庭辅导中心（周二、周四下午）"


@pytest.mark.parametrize("counselling, stored", [
    (None, {}),                                                          # not recorded at all
    ({"offered": False}, {"offered": False, "agreed": False, "referral": ""}),
    ({"offered": True, "agreed": False}, {"offered": True, "agreed": False, "referral": ""}),   # declined
    ({"offered": True, "agreed": True, "referral": f"  {REFERRAL} "},
     {"offered": True, "agreed": True, "referral": REFERRAL}),
])
def test_recorded_and_never_a_condition(clerk_ctx, married, counselling, stored):  # noqa: F811
    _marriage_id, app = married
    if counselling is not None:
        app["counselling"] = counselling
    out = DivorceService(clerk_ctx).apply(app)
    assert out["status"] == "cooling_off"
    assert DivorceService(clerk_ctx).view(out["application_id"])["counselling"] == stored


@pytest.mark.parametrize("counselling, code", [
    ("yes", "CASE_MALFORMED"),
    ({"offered": "是"}, "CASE_MALFORMED"),
    ({"offered": True, "agreed": 1}, "CASE_MALFORMED"),
    ({"offered": True, "referral": 5}, "CASE_MALFORMED"),
    ({"offered": False, "agreed": True}, "COUNSELLING_NOT_OFFERED"),
    ({"offered": False, "referral": "中心"}, "COUNSELLING_NOT_OFFERED"),
    ({"offered": True, "referral": "中" * 201}, "FIELD_TOO_LONG"),
    ({"offered": True, "referral": "中心\u202e"}, "FIELD_CHARACTER_INVALID"),
])
def test_bad_input_refused_and_nothing_stored(clerk_ctx, married, counselling, code):  # noqa: F811
    _marriage_id, app = married
    app["counselling"] = counselling
    with pytest.raises(Refused) as err:
        DivorceService(clerk_ctx).apply(app)
    assert code in err.value.codes()
    with clerk_ctx.db.read() as s:
        assert s.execute(select(func.count()).select_from(Record).where(Record.kind == "divorce")).scalar() == 0


def test_the_referral_may_hold_lines():
    stored, issues = counselling_from_dict({"offered": True, "agreed": True, "referral": "中心\n电话 12345"})
    assert issues == [] and stored["referral"] == "中心\n电话 12345"
