"""读卡 (F9) at the divorce and adoption counters: the simulated reader fills the party with the focus,
else the first shown with no name; a typed-over field is flagged where 受理 / 登记 is confirmed; each read
is audited with the counter's purpose; a document the adoption form cannot hold is said, not filled."""
from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

from registry_app.devices.card import build_text_block
from registry_app.devices.readers import SimulatedReader
from registry_app.storage.models import AuditEntry
from tests.ui.conftest import type_into
from tests.ui.test_adoption_page import fill_from_case, open_page
from tests.ui.test_divorce_page import EXAMPLE as DIVORCE
from tests.ui.test_divorce_page import click, fill_example, marriage_id, page, window  # noqa: F401 — fixtures

FLAG = "与身份证读取的不同"
ISSUED = {"authority": "南京市公安局玄武分局", "valid_from": "20150101", "valid_to": "长期", "ethnicity": "01",
          "address": "江苏省南京市玄武区中山路100号"}


def card(name: str, sex: str, id_number: str, **more) -> bytes:
    return build_text_block({**ISSUED, "name": name, "sex": sex, "id_number": id_number,
                             "birth": id_number[6:14], **more})


def reader_of(folder: Path, *cards: bytes) -> SimulatedReader:
    folder.mkdir(exist_ok=True)
    for i, data in enumerate(cards, 1):
        (folder / f"{i}.card").write_bytes(data)
    return SimulatedReader(folder)


def press_f9(qtbot, reading, widget) -> None:
    widget.setFocus()
    qtbot.keyClick(widget, Qt.Key.Key_F9)
    qtbot.waitUntil(lambda: reading.operation is None and reading.button.isEnabled(), timeout=5000)


def purposes(ctx) -> list[str]:
    with ctx.db.read() as s:
        return [e.detail["purpose"] for e in
                s.execute(select(AuditEntry).where(AuditEntry.action == "card.read")).scalars()]


def shot(widget, name: str) -> None:
    """At 1366×768, for a person to look at (kept when REGISTRY_TEST_SHOTS names a folder)."""
    folder = os.environ.get("REGISTRY_TEST_SHOTS")
    if folder:
        widget.window().resize(1366, 768)
        widget.window().grab().save(str(Path(folder) / name))


# --- divorce --------------------------------------------------------------------------------------
@pytest.fixture
def divorce_cards(tmp_path, page):  # noqa: F811
    man, woman = DIVORCE["party1"], DIVORCE["party2"]
    reader = reader_of(tmp_path / "cards", card(man["name"], "1", man["id_number"]),
                       card(woman["name"], "2", woman["id_number"], ethnicity="11"))
    page.card.open_reader = lambda: reader
    return reader


@pytest.mark.training   # the couple married "two years ago": the clock moved back (test_divorce_page)
def test_divorce_f9_fills_the_man_then_the_woman_and_flags_a_typed_name(qtbot, page, divorce_cards,  # noqa: F811
                                                                        clerk_ctx):
    assert page.card.button.isVisible()
    press_f9(qtbot, page.card, page.party1.name.edit)
    p1 = page.party1.person()
    assert (p1.name, p1.sex, p1.birth_date, p1.id_number) == ("张伟", "M", dt.date(1995, 3, 8), "320102199503080019")
    press_f9(qtbot, page.card, page.find_button)          # the focus in no party: the first with no name
    p2 = page.party2.person()
    assert (p2.name, p2.sex, p2.ethnicity, p2.residence) == ("李娜", "F", "满族", ISSUED["address"])
    assert "已从身份证读入女方" in page.card.status.text()
    page.run_check()
    assert FLAG not in page.panel.text()

    page.party2.name.edit.selectAll()
    type_into(qtbot, page.party2.name.edit, "李那")
    assert page.card.changed_fields(1) == ["name"] and page.card.changed_fields(0) == []
    assert page.party2.slots["name"].property("cardChanged") is True
    page.run_check()
    assert "女方的姓名" in page.panel.text() and FLAG in page.panel.text()
    assert purposes(clerk_ctx) == ["divorce", "divorce"]
    shot(page, "divorce-card-reader.png")


@pytest.mark.training
def test_divorce_acceptance_says_what_was_typed_over_and_the_next_couple_starts_clean(
        qtbot, page, divorce_cards):  # noqa: F811
    fill_example(qtbot, page)                               # typed, then read over from the cards
    press_f9(qtbot, page.card, page.party1.name.edit)
    press_f9(qtbot, page.card, page.party2.name.edit)
    page.party1.residence.edit.selectAll()
    type_into(qtbot, page.party1.residence.edit, "江苏省南京市鼓楼区")
    click(qtbot, page.primary)
    assert page.application is not None, page.panel.text()
    assert "男方的住址" in page.panel.text() and FLAG in page.panel.text()
    assert not page.card.isEnabled()                        # accepted: nothing more is read into it

    page.new_application()
    assert page.card.isEnabled() and page.card.status.text() == "" and page.card.changed_fields(0) == []
    assert page.party1.slots["residence"].property("cardChanged") is False


@pytest.mark.training
def test_f9_on_the_divorce_work_list_reads_nothing(qtbot, page, divorce_cards):  # noqa: F811
    page.tabs.setCurrentIndex(1)
    press_f9(qtbot, page.card, page.worklist)
    assert page.party1.name.text() == "" and divorce_cards._next == 0


# --- adoption -------------------------------------------------------------------------------------
ADOPTION = json.loads((Path(__file__).resolve().parents[2] / "resources" / "examples" / "adoption-case.json")
                      .read_text("utf-8"))
ADOPTER, CHILD = ADOPTION["adopters"][0], ADOPTION["adoptee"]


def adoption_page(qtbot, ctx):
    """The adoption page in the active window (a shortcut reaches only the active window)."""
    win, adoption = open_page(qtbot, ctx)
    win.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win, timeout=5000)
    return adoption


def test_adoption_f9_fills_an_adopter_then_the_child_and_flags_a_typed_name(qtbot, clerk_ctx, tmp_path):
    ap = adoption_page(qtbot, clerk_ctx)
    reader = reader_of(tmp_path / "cards", card(ADOPTER["name"], "1", ADOPTER["id_number"]),
                       card(CHILD["name"], "2", CHILD["id_number"]))
    ap.card.open_reader = lambda: reader
    adopter = ap.form.adopter_forms[0]
    press_f9(qtbot, ap.card, adopter.id_number.edit)
    assert (adopter.name.text(), adopter.id_number.text()) == (ADOPTER["name"], ADOPTER["id_number"])
    assert adopter.derived.text() == "男，1988-04-12"
    assert "已从身份证读入收养人" in ap.card.status.text()

    # one adopter: the second form is hidden and not filled unseen; the child (no name yet) is
    press_f9(qtbot, ap.card, ap.form.relationship)
    assert ap.form.adopter_forms[1].name.text() == ""
    child = ap.form.case_dict()["adoptee"]
    assert (child["name"], child["sex"], child["birth_date"]) == (CHILD["name"], "F", "2025-01-10")
    adopter.name.selectAll()
    type_into(qtbot, adopter.name, "陈立君")
    assert ap.card.changed_fields(0) == ["name"] and ap.card.changed_fields(2) == []
    assert adopter.card_slots()["name"].property("cardChanged") is True
    assert "收养人的姓名" in ap.card.status.text() and FLAG in ap.card.status.text()
    assert purposes(clerk_ctx) == ["adoption", "adoption"]
    shot(ap, "adoption-card-reader.png")


def test_adoption_registration_confirms_what_was_typed_over(qtbot, clerk_ctx, tmp_path):
    ap = adoption_page(qtbot, clerk_ctx)
    fill_from_case(qtbot, ap, ADOPTION)
    reader = reader_of(tmp_path / "cards", card(ADOPTER["name"], "1", ADOPTER["id_number"]))
    ap.card.open_reader = lambda: reader
    adopter = ap.form.adopter_forms[0]
    press_f9(qtbot, ap.card, adopter.name)
    assert ap.card.changed_fields(0) == [] and ap.can_register()
    adopter.name.selectAll()
    type_into(qtbot, adopter.name, "陈立君")
    qtbot.mouseClick(ap.register_button, Qt.MouseButton.LeftButton)
    kind, title, text = ap.state.prompter.shown[-1]
    assert (kind, title) == ("confirm", "确认登记") and "收养人（一）的姓名" in text and FLAG in text
    assert ap.registered is not None and not ap.card.isEnabled()
    qtbot.mouseClick(ap.new_button, Qt.MouseButton.LeftButton)
    assert ap.card.isEnabled() and ap.card.status.text() == "" and ap.card.changed_fields(0) == []


def test_a_card_the_adoption_form_cannot_hold_is_said_not_filled(qtbot, clerk_ctx, tmp_path):
    ap = adoption_page(qtbot, clerk_ctx)
    permit = build_text_block({**ISSUED, "name": "陈家明", "sex": "1", "birth": "19880412",
                               "id_number": "810000198804120030"}, "J")
    ap.card.open_reader = lambda: reader_of(tmp_path / "cards", permit)
    adopter = ap.form.adopter_forms[0]
    press_f9(qtbot, ap.card, adopter.name)
    assert adopter.name.text() == "" and adopter.id_number.text() == ""
    assert "只能读入居民身份证" in ap.card.status.text() and "港澳台居民居住证" in ap.card.status.text()
    assert purposes(clerk_ctx) == ["adoption"]             # it was read, so the access is recorded
