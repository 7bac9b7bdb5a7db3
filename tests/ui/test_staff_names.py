"""Staff by name on screen: the record's timeline shows who did it (李登记) and the witness (赵登记), not
their login names (clerk, clerk2); a login name nobody has is shown as it is."""
from __future__ import annotations

from registry_app.services.marriage import MarriageCase, MarriageService
from registry_app.services.staff_names import StaffNames
from tests.factories import marriage_case
from ui.main_window import AppState
from ui.prompts import RecordingPrompter
from ui.workflows.record_detail import RecordDetail


def test_the_timeline_names_the_operator_and_the_witness(qtbot, clerk_ctx):
    case = MarriageCase.from_dict(marriage_case(witness="clerk2"))
    record_id = MarriageService(clerk_ctx).register_case(case).record_id
    detail = RecordDetail(AppState(ctx=clerk_ctx, prompter=RecordingPrompter()))
    qtbot.addWidget(detail)
    assert detail.open_record(record_id)
    rows = [detail.events_model.rows[r] for r in range(detail.events_model.rowCount())]
    operators = {row[1] for row in rows}
    assert "李登记" in operators and "clerk" not in operators
    reviewed = [row[4] for row in rows if "监誓人" in row[4]]
    assert reviewed and all("监誓人：赵登记" in text for text in reviewed)
    assert not any("clerk2" in row[4] for row in rows)


def test_unknown_and_system_logins(clerk_ctx):
    names = StaffNames(clerk_ctx)
    assert [names.name(u) for u in ("supervisor", "system", "gone", "", None)] == ["张主任", "系统", "gone", "", ""]
    assert names.in_text("监誓人：clerk；证书字号：J1") == "监誓人：李登记；证书字号：J1"
