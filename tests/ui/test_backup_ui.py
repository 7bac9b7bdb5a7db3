"""Backups through the screens: the administrator's folder, N and 立即备份 (off the GUI thread), the
client's daily backup and the status-bar warning."""
from __future__ import annotations

from PySide6.QtCore import Qt

from registry_app.services.backup import Backups
from ui.main_window import AppState, MainWindow
from ui.prompts import RecordingPrompter
from ui.workflows.admin_page import AdminPage


def _backups(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("registry-backup-"))


def make_page(qtbot, ctx, folder):
    page = AdminPage(AppState(ctx=ctx, prompter=RecordingPrompter()), choose_dir=lambda _title: str(folder))
    qtbot.addWidget(page)
    page.on_shown()
    return page


def test_administrator_sets_the_folder_and_backs_up_now_off_the_gui_thread(qtbot, admin_ctx, tmp_path):
    folder = tmp_path / "usb"
    folder.mkdir()
    page = make_page(qtbot, admin_ctx, folder)
    assert "无" in page.backup_status.text()
    page.browse_backup_dir()
    assert page.backup_dir.text() == str(folder)
    page.backup_keep.setValue(3)
    page.save_backup_settings()
    assert "已保存" in page.message.text()
    assert (Backups(admin_ctx).settings().backup_dir, Backups(admin_ctx).settings().backup_keep) == (str(folder), 3)
    qtbot.mouseClick(page.backup_button, Qt.MouseButton.LeftButton)
    assert page.backup_op is not None and not page.backup_button.isEnabled()  # the click returned at once
    qtbot.waitUntil(lambda: page.backup_op is None, timeout=30_000)
    assert "已备份" in page.message.text() and page.backup_button.isEnabled()
    made = _backups(folder)
    assert len(made) == 1 and made[0] in page.backup_status.text()


def test_a_folder_that_is_not_there_is_refused_on_the_page(qtbot, admin_ctx, tmp_path):
    page = make_page(qtbot, admin_ctx, tmp_path / "unplugged")
    page.browse_backup_dir()
    page.save_backup_settings()
    assert "不存在" in page.message.text()
    assert Backups(admin_ctx).settings().backup_dir == ""


def test_backup_refused_in_the_background_is_shown_not_raised(qtbot, admin_ctx, tmp_path):
    folder = tmp_path / "usb"
    folder.mkdir()
    page = make_page(qtbot, admin_ctx, folder)
    page.browse_backup_dir()
    page.save_backup_settings()
    folder.rmdir()  # the drive is pulled out before the button is pressed
    page.backup_now()
    qtbot.waitUntil(lambda: page.backup_op is None, timeout=30_000)
    assert "无法访问" in page.message.text() and "无法访问" in page.backup_status.text()


def test_main_window_makes_the_daily_backup_and_warns_when_it_is_old_or_unreachable(qtbot, clerk_ctx, admin_ctx,
                                                                                      db_path, tmp_path):
    window = MainWindow(AppState(ctx=clerk_ctx, prompter=RecordingPrompter()))
    qtbot.addWidget(window)
    assert "尚无" in window.backup_warning.text() and not window.backup_warning.isHidden()
    assert not window.backup_timer.isActive()  # only the running client (ui.app) starts it
    window.start_backups()
    assert window.backup_timer.isActive()
    qtbot.waitUntil(lambda: window.backup_op is None, timeout=30_000)
    assert window.backup_warning.text() == "" and window.backup_warning.isHidden()
    assert len(_backups(db_path.parent / "backups")) == 1
    window.run_scheduled_backup()  # the hourly check: one a day is enough
    qtbot.waitUntil(lambda: window.backup_op is None, timeout=30_000)
    assert len(_backups(db_path.parent / "backups")) == 1
    clerk_ctx.clock.advance(days=1, hours=1)
    window.refresh_backup_warning()
    assert "超过一天" in window.backup_warning.text()
    window.run_scheduled_backup()  # the next day's
    qtbot.waitUntil(lambda: window.backup_op is None, timeout=30_000)
    assert window.backup_warning.isHidden() and len(_backups(db_path.parent / "backups")) == 2
    usb = tmp_path / "usb"
    usb.mkdir()
    Backups(admin_ctx).configure(str(usb), 14)
    usb.rmdir()
    window.run_scheduled_backup()
    qtbot.waitUntil(lambda: window.backup_op is None, timeout=30_000)
    assert "无法访问" in window.backup_warning.text()
    window.backup_timer.stop()
