"""The joint-service box driven as a clerk would: tick, consent, submit, withdraw, print the receipt."""
from __future__ import annotations

import datetime as dt
import os

from PySide6.QtCore import Qt

from registry_app.services.joint_service import JointService
from registry_app.services.marriage import MarriageCase, MarriageService
from tests.factories import jpeg_photo, marriage_case, person
from ui.prompts import RecordingPrompter
from ui.workflows.joint_service_box import JointServiceBox

D = dt.date


def registered(ctx) -> int:
    c = MarriageCase.from_dict(marriage_case(
        person("张伟", "M", D(1995, 3, 8), residence="江苏省南京市玄武区北京东路1号"),
        person("李娜", "F", D(1997, 11, 20), residence="四川省成都市武侯区人民南路4段9号")))
    c.photo = jpeg_photo()
    return MarriageService(ctx).register_case(c).record_id


def test_tick_consent_submit_withdraw_and_print(qtbot, clerk_ctx, tmp_path):
    record = registered(clerk_ctx)
    prompter, opened = RecordingPrompter(), []
    box = JointServiceBox(clerk_ctx, prompter, lambda pdf, title: opened.append((pdf[:4], title)))
    qtbot.addWidget(box)
    box.resize(900, 560)
    box.show()
    box.set_record(record, ("张伟", "李娜"))
    assert not box.receipt_button.isEnabled()
    box.ticks["hukou_marital"].setChecked(True)
    box.ticks["birth_registration"].setChecked(True)
    qtbot.keyClicks(box.phone, "13800000001")
    box.consent[0].setChecked(True)
    qtbot.mouseClick(box.submit, Qt.MouseButton.LeftButton)
    # one party has not consented: refused with the service's words, nothing recorded
    assert prompter.shown and "双方当事人同意" in prompter.shown[-1][2]
    assert JointService(clerk_ctx).list(record) == []
    box.consent[1].setChecked(True)
    qtbot.mouseClick(box.submit, Qt.MouseButton.LeftButton)
    assert [(v.request_type, v.status) for v in JointService(clerk_ctx).list(record)] == [
        ("hukou_marital", "requested"), ("birth_registration", "requested")]
    assert box.table.rowCount() == 2 and not box.ticks["hukou_marital"].isEnabled()
    assert "推送前任何一方可撤回同意" in box.note.text()
    if os.environ.get("SCREENSHOT_DIR"):
        box.grab().save(os.path.join(os.environ["SCREENSHOT_DIR"], "joint_service_box.png"))
    box.table.selectRow(1)
    box.withdraw_party.setCurrentIndex(1)
    qtbot.mouseClick(box.withdraw_button, Qt.MouseButton.LeftButton)
    assert [v.status for v in JointService(clerk_ctx).list(record)] == ["requested", "withdrawn"]
    assert box.ticks["birth_registration"].isEnabled()  # may be asked for again
    qtbot.mouseClick(box.receipt_button, Qt.MouseButton.LeftButton)
    assert opened == [(b"%PDF", "婚育户一件事联办告知单")]


def test_the_marriage_page_offers_it_once_registered(qtbot, clerk_ctx):
    from tests.ui.test_marriage_page import fill_valid_case
    from ui.main_window import AppState, MainWindow
    from ui.workflows.marriage_page import DONE

    win = MainWindow(AppState(ctx=clerk_ctx, prompter=RecordingPrompter()))
    qtbot.addWidget(win)
    win.resize(1366, 768)
    win.show()
    win.show_page("marriage")
    page = win.page("marriage")
    fill_valid_case(qtbot, page)
    qtbot.waitUntil(lambda: "符合结婚登记条件" in page.panel.text(), timeout=3000)
    for _ in range(3):  # 受理, 审查通过, 登记
        qtbot.mouseClick(page.primary, Qt.MouseButton.LeftButton)
    assert page.step == DONE
    box = page.joint_box
    assert box.isVisible() and box.record_id == page.result.record_id
    assert "张伟" in box.consent[0].text() and box.submit.isEnabled()
    if os.environ.get("SCREENSHOT_DIR"):
        win.grab().save(os.path.join(os.environ["SCREENSHOT_DIR"], "marriage_done_joint.png"))
