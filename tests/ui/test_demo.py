"""registry-app --demo: the demo office opens offscreen, the login window names the demo accounts, every
page is under the demo banner, the export is refused by the service, and the folder is gone afterwards."""
from __future__ import annotations

import datetime as dt
import functools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel, QPushButton

from registry_app.demo import sandbox
from ui import demo as demo_ui
from ui.prompts import RecordingPrompter
from ui.setup_wizard import SetupWizard

DAY = dt.date(2026, 6, 15)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def small_demo(monkeypatch, tmp_path):
    monkeypatch.setattr(demo_ui, "create_demo", functools.partial(sandbox.create_demo, records=300, root=tmp_path))
    return tmp_path


@pytest.mark.qt_log_ignore("This plugin does not support raise")  # the offscreen platform, on the login window
def test_demo_opens_with_its_banner_refuses_export_and_is_deleted(qtbot, small_demo, tmp_path):
    box = demo_ui.prepare_demo(DAY)
    assert box is not None and box.folder.parent == small_demo
    opened = []
    shown = RecordingPrompter()
    session = demo_ui.DemoSession(box.ctx, start_duties=None, maximised=False, prompter=RecordingPrompter(),
                                  window_prompter=lambda: shown, on_quit=lambda: None)
    session.window_opened.connect(demo_ui.decorate)
    session.window_opened.connect(opened.append)
    session.sign_in()
    login = session.dialog
    qtbot.addWidget(login)
    assert "演示" in login.intro.text() and sandbox.PASSWORD in login.intro.text()
    assert login.username.text() == "dengji"
    login.password.setText(sandbox.PASSWORD)
    login.submit()
    qtbot.waitUntil(lambda: bool(opened))
    window = opened[0]
    window.resize(1366, 768)
    banner = window.findChild(QLabel, "demoBanner")
    assert banner is not None and banner.isVisible() and "演示" in banner.text()
    assert "不能导出" in banner.text() and "dengji" in banner.text()
    assert window.windowTitle().startswith("【演示】")
    window.grab().save(str(tmp_path / "demo-window.png"))

    page = window.pages["sync"]
    out = tmp_path / "outbox"
    out.mkdir()
    page.out_dir.setText(str(out))
    page.export_button.click()
    qtbot.waitUntil(lambda: page.last_error is not None or page.last_export is not None, timeout=30000)
    assert page.last_export is None and page.last_error.code == "DEMO_NOTHING_LEAVES"
    assert list(out.iterdir()) == []
    assert any("演示" in text for _kind, _title, text in shown.shown)  # the clerk is told why

    session.quit()
    box.close()
    assert not box.folder.exists()


def test_first_start_screen_offers_the_demo(qtbot, tmp_path):
    wizard = SetupWizard(tmp_path / "office.db", prompter=RecordingPrompter())
    qtbot.addWidget(wizard)
    wizard.show()
    button = wizard.findChild(QPushButton, "tryDemo")
    assert button is not None and button.isVisible() and button.text() == "试用演示"
    button.click()
    assert wizard.result() == SetupWizard.DEMO
    assert not (tmp_path / "office.db").exists()  # nothing of the office was created


@pytest.mark.slow
def test_registry_app_demo_starts_offscreen_and_leaves_nothing(tmp_path):
    """The real entry point, as the build's CI step runs it: up to the demo's login window, then gone."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", TMPDIR=str(temp), REGISTRY_DATA_DIR=str(tmp_path / "data"),
               REGISTRY_SMOKE_EXIT="LoginDialog")
    run = subprocess.run([sys.executable, "-c", "import sys; from ui.app import main; sys.exit(main(sys.argv[1:]))",
                          "--demo", "--date", "2026-06-15"], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    shown = json.loads(run.stdout.strip().splitlines()[-1])
    assert shown["first_window"] == "LoginDialog"
    assert list(temp.glob(sandbox.DEMO_PREFIX + "*")) == []
