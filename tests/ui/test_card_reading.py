"""读卡 (F9) on the marriage page: a simulated card read into the party with the focus, off the GUI
thread; a typed change to a card-read field flagged; an expired card said; the read audited."""
from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import select

from registry_app.devices.card import build_text_block
from registry_app.devices.readers import SimulatedReader
from registry_app.storage.models import AuditEntry
from tests.factories import id_number
from tests.ui.conftest import type_into
from tests.ui.test_marriage_page import page, window  # noqa: F401 — fixtures

MAN = {"name": "张伟", "sex": "1", "ethnicity": "01", "birth": "19950308", "address": "江苏省南京市玄武区中山路100号",
       "id_number": id_number(dt.date(1995, 3, 8), "M"), "authority": "南京市公安局玄武分局",
       "valid_from": "20150101", "valid_to": "20350101"}
WOMAN = {**MAN, "name": "李娜", "sex": "2", "ethnicity": "11", "birth": "19971120",
         "id_number": id_number(dt.date(1997, 11, 20), "F"), "valid_to": "长期"}


@pytest.fixture
def cards(tmp_path, page):  # noqa: F811
    (tmp_path / "1.card").write_bytes(build_text_block(MAN))
    (tmp_path / "2.card").write_bytes(build_text_block(WOMAN))
    reader = SimulatedReader(tmp_path)
    page.card.open_reader = lambda: reader
    return tmp_path


def press_f9(qtbot, page, widget):  # noqa: F811
    widget.setFocus()
    qtbot.keyClick(widget, Qt.Key.Key_F9)
    qtbot.waitUntil(lambda: page.card.operation is None and page.card.button.isEnabled(), timeout=5000)


def test_f9_reads_each_party_and_flags_a_typed_change(qtbot, page, cards, clerk_ctx):  # noqa: F811
    press_f9(qtbot, page, page.party1.name.edit)
    p1 = page.party1.person()
    assert (p1.name, p1.sex, p1.birth_date, p1.id_number, p1.ethnicity, p1.residence) == (
        "张伟", "M", dt.date(1995, 3, 8), MAN["id_number"], "汉族", MAN["address"])
    assert "已从身份证读入男方" in page.card.status.text()

    press_f9(qtbot, page, page.party2.phone.edit)
    p2 = page.party2.person()
    assert (p2.name, p2.sex, p2.ethnicity) == ("李娜", "F", "满族")
    assert page.card.changed_fields(0) == page.card.changed_fields(1) == []

    page.party2.name.edit.selectAll()
    type_into(qtbot, page.party2.name.edit, "李那")
    assert page.card.changed_fields(1) == ["name"]
    assert "女方的姓名" in page.card.status.text() and "与身份证读取的不同" in page.card.status.text()
    assert page.party2.slots["name"].property("cardChanged") is True

    with clerk_ctx.db.read() as s:
        reads = s.execute(select(AuditEntry).where(AuditEntry.action == "card.read")).scalars().all()
    assert [(e.username, e.detail["purpose"]) for e in reads] == [("clerk", "marriage")] * 2
    assert all("张伟" not in str(e.detail) for e in reads)

    page.new_case()
    assert page.card.changed_fields(1) == [] and page.card.status.text() == ""


def test_without_the_vendor_decoder_the_photo_is_said_missing(qtbot, page, cards):  # noqa: F811
    (cards / "1.card").write_bytes(build_text_block(MAN) + bytes(1024))
    press_f9(qtbot, page, page.party1.name.edit)
    assert "解码库" in page.card.status.text() and not page.card.photo.isVisible()


def test_an_expired_card_is_said(qtbot, page, cards):  # noqa: F811
    (cards / "1.card").write_bytes(build_text_block({**MAN, "valid_to": "20200101"}))
    press_f9(qtbot, page, page.party1.name.edit)
    assert "身份证已过期" in page.card.status.text() and "2020年01月01日" in page.card.status.text()


def test_no_card_is_a_coded_message_and_the_form_unchanged(qtbot, page, tmp_path):  # noqa: F811
    page.card.open_reader = lambda: SimulatedReader(tmp_path / "empty")
    press_f9(qtbot, page, page.party1.name.edit)
    assert page.party1.name.text() == ""
    kind, title, text = page.state.prompter.shown[-1]
    assert (kind, title) == ("warn", "读卡") and "CARD_SIMULATED_EMPTY" in text
