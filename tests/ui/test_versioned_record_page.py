"""档案详情 with two counters on one record (issue #18), driven through real widgets on both engines: the
page at counter 1 keeps the version it showed; after counter 2 changed the record, counter 1's proposal is
refused as RECORD_CHANGED through the presenter, the typed value, reason and evidence stay, and after
重新读取档案 the same proposal goes through. A supervisor approving a proposal the record has moved past
sees RECORD_CHANGED through the presenter, the proposal stays, 刷新 reads the record again."""
from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from registry_app.services.corrections import Corrections
from registry_app.services.marriage import MarriageCase, MarriageService
from tests.factories import marriage_case
from tests.two_counters import counters  # noqa: F401  (fixture)
from tests.ui.conftest import type_into
from ui.main_window import AppState
from ui.prompts import RecordingPrompter
from ui.workflows.record_detail import RecordDetail


def _page(qtbot, ctx) -> RecordDetail:
    detail = RecordDetail(AppState(ctx=ctx, prompter=RecordingPrompter()), ask_text=lambda *_: "记录已变更")
    qtbot.addWidget(detail)
    detail.resize(1366, 768)
    detail.show()
    return detail


def _changed_at_counter_two(counters, rid: int) -> None:
    cid = Corrections(counters.b).propose(rid, [{"path": "parties.2.occupation", "new": "会计"}], "当事人申请")
    Corrections(counters.supervisor_b).approve(cid)


def _shot(widget, name: str, tmp_path: Path) -> None:
    out = Path(os.environ.get("REGISTRY_SCREENSHOT_DIR") or tmp_path) / name
    QApplication.processEvents()
    assert widget.grab().save(str(out))


def test_a_proposal_from_the_older_page_is_refused_and_keeps_what_was_typed(qtbot, counters, tmp_path):
    rid = MarriageService(counters.a).register_case(MarriageCase.from_dict(marriage_case())).record_id
    detail = _page(qtbot, counters.a)
    assert detail.open_record(rid)
    shown = detail.page.version
    dialog = detail.propose_correction()
    dialog.select_path("parties.2.name")
    assert dialog.current.text() == "李娜"
    dialog.new_value.setFocus()
    dialog.new_value.lineEdit().insert("李妍")
    type_into(qtbot, dialog.reason, "原登记录入错误")
    type_into(qtbot, dialog.evidence, "户口簿")

    _changed_at_counter_two(counters, rid)          # meanwhile, at counter 2
    qtbot.mouseClick(dialog.submit_button, Qt.MouseButton.LeftButton)

    assert dialog.isVisible() and dialog.correction_id is None
    warnings = [w for w in detail.state.prompter.shown if w[0] == "warn"]
    assert len(warnings) == 1 and warnings[0][1] == "提出更正"
    assert "RECORD_CHANGED" in warnings[0][2] and "张主任" in warnings[0][2]
    assert "RECORD_CHANGED" in dialog.message.text()
    # everything typed is still there; nothing was proposed
    assert (dialog.field.currentData(), dialog.new_value.currentText(), dialog.reason.text(),
            dialog.evidence.text()) == ("parties.2.name", "李妍", "原登记录入错误", "户口簿")
    assert Corrections(counters.a).history(rid)[-1].status == "approved"   # only counter 2's
    assert detail.page.version == shown                                     # not silently reloaded
    assert dialog.reread_button.isVisible()
    _shot(dialog, "record-correction-changed.png", tmp_path)

    qtbot.mouseClick(dialog.reread_button, Qt.MouseButton.LeftButton)      # read again, on request
    assert detail.page.version == shown + 1 and dialog.page.version == shown + 1
    assert (dialog.new_value.currentText(), dialog.reason.text(), dialog.evidence.text()) == \
        ("李妍", "原登记录入错误", "户口簿")
    qtbot.mouseClick(dialog.submit_button, Qt.MouseButton.LeftButton)
    assert dialog.result() == dialog.DialogCode.Accepted
    proposed = Corrections(counters.a).history(rid)[-1]
    assert (proposed.status, proposed.record_version) == ("proposed", shown + 1)


def test_approving_a_proposal_the_record_moved_past_shows_it_and_refreshes_on_request(qtbot, counters, tmp_path):
    rid = MarriageService(counters.a).register_case(MarriageCase.from_dict(marriage_case())).record_id
    cid = Corrections(counters.a).propose(rid, [{"path": "parties.2.name", "new": "李妍"}], "录入错误")
    boss = _page(qtbot, counters.supervisor_a)
    assert boss.open_record(rid)
    boss.tabs.setCurrentIndex(4)                                       # 更正记录
    assert boss.refresh_button.isVisible()
    _changed_at_counter_two(counters, rid)
    boss.corrections_view.selectRow(0)
    qtbot.mouseClick(boss.approve_button, Qt.MouseButton.LeftButton)
    warnings = [w for w in boss.state.prompter.shown if w[0] == "warn"]
    assert len(warnings) == 1 and warnings[0][1] == "批准更正" and "RECORD_CHANGED" in warnings[0][2]
    assert "请驳回后重新提出" in warnings[0][2]
    assert boss.corrections_model.rowCount() == 1                      # the list as it was shown
    assert [c.id for c in Corrections(counters.supervisor_a).pending()] == [cid]
    assert "刷新" in boss.message.text()
    _shot(boss, "record-approval-changed.png", tmp_path)
    qtbot.mouseClick(boss.refresh_button, Qt.MouseButton.LeftButton)
    assert boss.corrections_model.rowCount() == 2 and "会计" in boss.parties_model.rows[1][-1]
    row = next(r for r in range(boss.corrections_model.rowCount()) if boss.corrections_model.item(r).id == cid)
    boss.corrections_view.selectRow(row)
    boss.reject_selected()
    assert {c.id: c.status for c in Corrections(counters.supervisor_a).history(rid)}[cid] == "rejected"
