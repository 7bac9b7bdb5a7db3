"""The main window: navigation on the left, one page at a time, the user and office in the status
bar, and the idle lock."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMainWindow,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from registry_app.domain.roles import Permission, can
from registry_app.errors import RegistryError
from registry_app.services.backup import Backups
from registry_app.services.calendar import coverage_warning
from registry_app.services.clock_guard import clock_warning
from registry_app.services.divorce import DivorceService
from registry_app.services.context import AppContext
from registry_app.services.settings import OfficeSettings
from registry_app.services.workspace import office_settings
from registry_app.sync.service import SyncService
from ui.errors import error_text, present_error
from ui.pages import NotYetAvailablePage, PageBase
from ui.prompts import Prompter
from ui.widgets.elided_label import ElidedLabel


class AppSignals(QObject):
    records_changed = Signal()
    settings_changed = Signal()  # office settings saved: the window re-reads what it shows and the idle limit
    open_certificate = Signal(str)  # a record id or certificate number: show it on the certificates page


@dataclass
class AppState:
    """What every page gets: the service context, the dialog interface and change notifications."""

    ctx: AppContext
    prompter: Prompter
    signals: AppSignals = field(default_factory=AppSignals)


PageFactory = Callable[[AppState], PageBase]

HOURLY_MS = 60 * 60 * 1000  # daily duties: divorce applications past their window, status-bar warnings

# (key, navigation label, factory). Workflow modules replace placeholders as they land.
NAVIGATION: list[tuple[str, str, PageFactory]] = [
    ("marriage", "结婚登记", lambda s: NotYetAvailablePage(s, "结婚登记", "初审、受理审查、登记发证。")),
    ("divorce", "离婚登记", lambda s: NotYetAvailablePage(s, "离婚登记", "离婚申请、冷静期、撤回、发证。")),
    ("adoption", "收养登记", lambda s: NotYetAvailablePage(s, "收养登记", "收养登记、解除收养。")),
    ("records", "档案查询", lambda s: NotYetAvailablePage(s, "档案查询", "按证件号、证号、姓名查询，档案更正。")),
    ("certificates", "证书打印", lambda s: NotYetAvailablePage(s, "证书打印", "打印预览、空白证书管理、二维码核验。")),
    # the counter's day sits with the casework, before the end-of-day and office pages
    ("appointments", "预约", lambda s: NotYetAvailablePage(s, "预约", "预约时段、高峰日、离婚领证期限。")),
    ("queue", "叫号", lambda s: NotYetAvailablePage(s, "叫号", "取号、叫号、当日报告。")),
    ("ceremonies", "颁证仪式", lambda s: NotYetAvailablePage(s, "颁证仪式", "颁证仪式、集体婚礼、名单与纪念页。")),
    ("sync", "日终上报", lambda s: NotYetAvailablePage(s, "日终上报", "登记质量检查、批次导出、省级回执导入。")),
    ("statistics", "统计报表", lambda s: NotYetAvailablePage(s, "统计报表", "季度民政统计指标。")),
    ("admin", "系统管理", lambda s: NotYetAvailablePage(s, "系统管理", "用户、办公设置、密钥、节假日安排。")),
]


def load_pages() -> None:
    """Import the workflow pages (each registers itself). Done when the main window is built, not at
    start-up, so the unlock and login windows come up without loading PDF, pinyin and schema code."""
    import importlib
    import pkgutil

    import ui.workflows as pkg

    for info in pkgutil.iter_modules(pkg.__path__):
        importlib.import_module(f"{pkg.__name__}.{info.name}")


def register_page(key: str, label: str, factory: PageFactory) -> None:
    for i, (k, _l, _f) in enumerate(NAVIGATION):
        if k == key:
            NAVIGATION[i] = (key, label, factory)
            return
    NAVIGATION.append((key, label, factory))


class IdleWatcher(QObject):
    """Counts time since the last key press or mouse action anywhere in the application."""

    INPUT_EVENTS = {QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.Wheel}

    def __init__(self, parent=None):
        super().__init__(parent)
        self.last_input = time.monotonic()

    def eventFilter(self, obj, event) -> bool:  # noqa: N802
        if event.type() in self.INPUT_EVENTS:
            self.last_input = time.monotonic()
        return False

    def idle_seconds(self) -> float:
        return time.monotonic() - self.last_input


class MainWindow(QMainWindow):
    lock_requested = Signal()
    switch_user_requested = Signal()
    quit_requested = Signal()  # the close box or 退出程序, confirmed: the session ends the program
    ask_before_close = False

    def __init__(self, state: AppState, parent: QWidget | None = None):
        super().__init__(parent)
        load_pages()
        self.state = state
        settings = office_settings(state.ctx)
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        # A training database says so above every page: its records have no legal effect.
        self.training_banner = QLabel(self.tr("培训环境 — 数据不具法律效力"))
        self.training_banner.setObjectName("trainingBanner")
        self.training_banner.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.training_banner.setStyleSheet("background: #b71c1c; color: white; font-weight: bold; padding: 4px;")
        self.training_banner.setVisible(settings.training)
        column.addWidget(self.training_banner)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        column.addLayout(row, 1)
        self.nav = QListWidget()
        self.nav.setObjectName("nav")
        self.nav.setFixedWidth(170)
        self.stack = QStackedWidget()
        self.pages: dict[str, PageBase] = {}
        for index, (key, label, factory) in enumerate(NAVIGATION):
            page = factory(state)
            page.setObjectName(f"page_{key}")
            self.pages[key] = page
            self.stack.addWidget(page)
            self.nav.addItem(label)
            if index < 9:  # Ctrl+1..9 jump between pages: keyboard first
                shortcut = QShortcut(QKeySequence(f"Ctrl+{index + 1}"), self)
                shortcut.activated.connect(lambda i=index: self.nav.setCurrentRow(i))
        self.nav.currentRowChanged.connect(self._show)
        state.signals.open_certificate.connect(self.open_certificate)
        row.addWidget(self.nav)
        row.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        user = state.ctx.user
        who = f"{user.display_name}（{user.role.zh}）" if user else ""
        self.who = who
        self.status_user = QLabel()
        self.statusBar().addPermanentWidget(self.status_user)
        # Warnings share the rest of the line; one too long ends in … with the whole text as tooltip.
        self.calendar_warning = ElidedLabel()
        self.calendar_warning.setObjectName("fieldError")
        self.statusBar().addWidget(self.calendar_warning, 1)
        self.backup_warning = ElidedLabel()
        self.backup_warning.setObjectName("fieldError")
        self.statusBar().addWidget(self.backup_warning, 1)
        self._build_menu()
        self.backup_op = None
        self.backup_timer = QTimer(self)  # started by start_backups(): the running client, not every window
        self.backup_timer.setInterval(3_600_000)
        self.backup_timer.timeout.connect(self.run_scheduled_backup)
        self.daily_duties()
        # An administrator does no casework: open on the administration page.
        start = "admin" if user and user.role.value == "admin" and "admin" in self.pages else next(iter(self.pages))
        self.nav.setCurrentRow(list(self.pages).index(start))
        self.resize(1200, 780)
        # idle lock
        self.idle = IdleWatcher(self)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self.idle)
        self.apply_settings(settings)
        state.signals.settings_changed.connect(self.apply_settings)
        self.idle_timer = QTimer(self)
        self.idle_timer.setInterval(15_000)
        self.idle_timer.timeout.connect(self._check_idle)
        self.idle_timer.start()
        self.hourly = QTimer(self)  # the date changes while the client stays open all day; the only schedule
        self.hourly.setInterval(HOURLY_MS)
        self.hourly.timeout.connect(self.daily_duties)
        self.hourly.start()

    def _build_menu(self) -> None:
        menu = self.menuBar().addMenu(self.tr("账户(&A)"))
        for text, keys, signal in ((self.tr("锁定屏幕"), "Ctrl+L", self.lock_requested),
                                   (self.tr("切换用户…"), "Ctrl+Shift+L", self.switch_user_requested)):
            action = menu.addAction(text)
            action.setShortcut(QKeySequence(keys))
            action.triggered.connect(signal.emit)
        menu.addSeparator()
        menu.addAction(self.tr("退出程序")).triggered.connect(self.close)
        self.account_menu = menu

    def apply_settings(self, settings: OfficeSettings | None = None) -> None:
        """Title, status line and idle limit from the office settings; again whenever they are saved, so a
        changed idle-lock time applies at once. The title leaves the application's name to Qt, which adds
        it to every window title."""
        settings = settings or office_settings(self.state.ctx)
        self.setWindowTitle(settings.office_name + (self.tr("（培训环境）") if settings.training else ""))
        self.status_user.setText(f"{settings.office_name}  {settings.office_code}    {self.who}")
        self.idle_limit_s = max(1, settings.idle_lock_minutes) * 60

    def closeEvent(self, event) -> None:  # noqa: N802
        """In the client (`ask_before_close`, set by the session) the close box asks, like every way out."""
        if not self.ask_before_close:
            super().closeEvent(event)
            return
        event.ignore()
        if self.state.prompter.confirm(self.tr("退出程序"), self.tr("退出程序？未保存的输入将丢失。")):
            self.quit_requested.emit()

    def daily_duties(self) -> None:
        """What must happen without anyone pressing a button: uncollected divorce applications past
        their window are deemed withdrawn (at start-up, then hourly while the client stays open). A failure
        is presented and the next hour tries again: it must not stop the timer."""
        user = self.state.ctx.user
        if user is not None and can(user.role, Permission.REGISTER):
            try:
                expired = DivorceService(self.state.ctx).expire_overdue()
            except Exception as exc:  # noqa: BLE001 — shown once; retried at the next tick
                present_error(self.state.prompter, exc, "离婚申请逾期处理")
            else:
                if expired:
                    self.state.signals.records_changed.emit()
        try:
            self.refresh_warnings()
        except Exception as exc:  # noqa: BLE001 — same: the hourly duties go on
            present_error(self.state.prompter, exc, "状态检查")

    def refresh_warnings(self) -> None:
        # a clock set back (nothing can be saved) or far ahead, then the holiday calendar's coverage
        warning = "；".join(w for w in (clock_warning(self.state.ctx), coverage_warning(self.state.ctx)) if w)
        self.calendar_warning.setText(warning or "")
        self.calendar_warning.setVisible(bool(warning))
        self.refresh_backup_warning()

    def start_backups(self) -> None:
        """The daily backup: now (if the folder holds none from today), then checked hourly, so a client
        left open overnight makes the next day's."""
        self.run_scheduled_backup()
        self.backup_timer.start()

    def run_scheduled_backup(self) -> None:
        """Off the GUI thread; whatever happens ends in the status-bar line, never a dialog."""
        from ui.background import BackgroundOperation, start

        if self.backup_op is not None:
            return
        ctx = self.state.ctx
        op = BackgroundOperation(lambda _report, _cancelled: Backups(ctx).run_daily())
        op.signals.failed.connect(self._scheduled_backup_failed)
        op.signals.finished.connect(self._scheduled_backup_done)
        self.backup_op = op
        start(op)

    def _scheduled_backup_failed(self, exc: BaseException) -> None:
        # No dialog: the status-bar line (refreshed when the operation finishes) says the backup is late.
        error_text(exc)  # logs an unexpected error's place

    def _scheduled_backup_done(self) -> None:
        self.backup_op = None
        self.refresh_backup_warning()

    def refresh_backup_warning(self) -> None:
        """Warns when the last good backup is older than a day or its folder cannot be reached."""
        try:
            warning = Backups(self.state.ctx).status().warning
        except RegistryError as exc:
            warning = error_text(exc)
        self.backup_warning.setText(warning)
        self.backup_warning.setVisible(bool(warning))

    def settle_interrupted_exports(self) -> None:
        """Once after sign-in: what a killed end-of-day export left in its outbox is settled (a finished file
        adopted, a missing one remade, an unknown one quarantined). Off the GUI thread (the outbox may be a
        slow USB drive); the outcome is told once, and stays on the sync page."""
        from ui.background import BackgroundOperation, start

        ctx = self.state.ctx
        op = BackgroundOperation(lambda _report, _cancelled: SyncService(ctx).reconcile())
        op.signals.succeeded.connect(self._exports_settled)
        op.signals.failed.connect(lambda exc: self.statusBar().showMessage(
            f"核对中断的导出失败：{error_text(exc)}", 30_000))
        op.signals.finished.connect(lambda: setattr(self, "reconcile_op", None))
        self.reconcile_op = op
        start(op)

    def _exports_settled(self, report) -> None:
        message = report.message()
        if message:
            self.state.prompter.inform("日终上报", message)

    def page(self, key: str) -> PageBase:
        return self.pages[key]

    def open_certificate(self, reference: str) -> None:
        page = self.pages.get("certificates")
        if page is not None and hasattr(page, "show_certificate"):
            self.show_page("certificates")
            page.show_certificate(reference)

    def show_page(self, key: str) -> None:
        self.nav.setCurrentRow(list(self.pages).index(key))

    def _show(self, row: int) -> None:
        if row < 0:
            return
        self.stack.setCurrentIndex(row)
        self.stack.currentWidget().on_shown()

    def _check_idle(self) -> None:
        if self.idle.idle_seconds() >= self.idle_limit_s:
            self.idle.last_input = time.monotonic()
            self.lock_requested.emit()
