"""婚姻家庭辅导 on the divorce page: recorded with the application and never a condition — not offered,
declined or accepted with a referral, the application is accepted the same."""
from __future__ import annotations

import pytest

from registry_app.services.divorce import DivorceService
from tests.ui.test_divorce_page import click, fill_example, marriage_id, page, window  # noqa: F401 — fixtures

pytestmark = pytest.mark.training   # the page tests' couple, married two years back


@pytest.mark.parametrize("choice, referral, stored", [
    ("", "", {"offered": False, "agreed": False, "referral": ""}),
    ("declined", "", {"offered": True, "agreed": False, "referral": ""}),
    ("agreed", "区婚姻家庭辅导中心", {"offered": True, "agreed": True, "referral": "区婚姻家庭辅导中心"}),
])
def test_counselling_recorded_and_not_a_condition(qtbot, page, clerk_ctx, choice, referral, stored):  # noqa: F811
    fill_example(qtbot, page)
    box = page.counselling
    box.offer.setCurrentIndex(box.offer.findData(choice))
    assert box.referral.isEnabled() == bool(choice)   # a referral only once counselling was offered
    box.referral.setText(referral)
    click(qtbot, page.primary)
    assert page.application is not None, page.panel.text()
    assert DivorceService(clerk_ctx).view(page.application["application_id"])["counselling"] == stored
    click(qtbot, page.next_button)
    assert box.offer.currentIndex() == 0 and box.referral.text() == ""
