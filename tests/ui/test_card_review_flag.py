"""A typed change to a card-read field is flagged at 审查 too: in the panel when the case is accepted and
on the readback the clerk checks with the couple; a case typed as read carries no flag."""
from __future__ import annotations

import pytest

from tests.ui.conftest import type_into
from tests.ui.test_card_reading import cards, press_f9  # noqa: F401 — fixtures
from tests.ui.test_marriage_page import click, page, tick, window  # noqa: F401 — fixtures
from ui.workflows.marriage_page import ACCEPTED, REVIEWED

FLAG = "与身份证读取的不同"


@pytest.mark.parametrize("retype", [None, "李那"])
def test_review_shows_a_typed_change(qtbot, page, cards, retype):  # noqa: F811
    press_f9(qtbot, page, page.party1.name.edit)
    press_f9(qtbot, page, page.party2.phone.edit)
    if retype:
        page.party2.name.edit.selectAll()
        type_into(qtbot, page.party2.name.edit, retype)
    for key in ("free_will", "no_prohibited_kinship", "no_spouse", "signed"):
        tick(qtbot, page.declarations[key])

    click(qtbot, page.primary)  # 受理
    assert page.step == ACCEPTED, page.panel.text()
    assert ("女方的姓名" in page.panel.text()) == bool(retype)
    click(qtbot, page.primary)  # 审查通过
    assert page.step == REVIEWED, page.panel.text()
    summary = page.summary.text()
    assert (f"李那（{FLAG}）" in summary) == bool(retype)
    assert ("被改动过" in summary) == bool(retype)
    assert f"张伟（{FLAG}）" not in summary
