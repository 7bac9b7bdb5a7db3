"""A dropped server connection on the divorce page: the clerk is told through the presenter with the
code, the page does not call it a refusal, and nothing typed is lost. (The real drop, on a PostgreSQL
server that is stopped and started under the marriage page, is in tests/postgres/test_pg_network.py.)"""
from __future__ import annotations

import pytest

from registry_app.errors import ConnectionLost
from tests.ui.test_divorce_page import (  # noqa: F401 — fixtures
    EXAMPLE,
    click,
    fill_example,
    marriage_id,
    page,
    window,
)

# the divorce fixtures marry the couple two years back: a training database (see test_divorce_page)
pytestmark = pytest.mark.training


def dropped(*_args, **_kwargs):
    raise ConnectionLost("与数据库服务器的连接中断，本次操作未保存（没有写入任何内容）")

def told(prompter) -> str:
    kind, _title, text = prompter.shown[-1]
    assert kind == "warn"
    return text

def test_divorce_page_keeps_the_application_and_accepts_on_the_next_try(qtbot, page, monkeypatch):  # noqa: F811
    fill_example(qtbot, page)
    monkeypatch.setattr(page.service, "apply", dropped)
    click(qtbot, page.primary)
    assert page.application is None
    assert "CONNECTION_LOST" in told(page.state.prompter)
    assert "项依法不予受理" not in page.panel.text() and "项待补" not in page.panel.text()  # not a refusal
    assert page.party1.name.text() == EXAMPLE["party1"]["name"]
    assert page.agreement.signed_text.toPlainText() == EXAMPLE["agreement"]["signed_text"]
    monkeypatch.undo()
    click(qtbot, page.primary)
    assert page.application is not None, page.panel.text()
