"""证书打印: print a record's certificate (with preview, calibration and the reprint approval),
bulk-print the day's certificates, manage blank stock, calibrate the printer and verify a QR code.
The page only collects and shows: numbering, print log, reprint rule and verification are the
services'. Printing goes through an injectable PrintTarget; long work through ui.background."""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from registry_app.domain.roles import Permission, can
from registry_app.errors import Cancelled, RegistryError
from registry_app.services.certificate_print import CertificatePrinting
from registry_app.services.printing_setup import PrintingSetup
from registry_app.services.staff_names import StaffNames
from ui.background import BackgroundOperation, start
from ui.errors import error_text, present_error
from ui.main_window import register_page
from ui.pages import PageBase
from ui.pdf_preview import PdfPreview
from ui.workflows.certificates_printing import (
    AskSupervisor,
    PrintTarget,
    ask_supervisor_dialog,
)
from ui.workflows.certificates_tabs import (
    CalibrationTab,
    StockTab,
    VerifyTab,
    choose_pdf_dialog,
    message_label,
    say,
)

STYLE = """
QLabel#message { color: #1f3a5f; }
QLabel#message[tone="bad"] { color: #c62f2f; }
QLabel#message[tone="good"] { color: #1b7f3b; }
"""


class PrintTab(QWidget):
    """One record's certificate: find it, preview it, print it; and the day's bulk print."""

    def __init__(self, page: "CertificatesPage"):
        super().__init__()
        self.page = page
        self.ctx = page.state.ctx
        self.bulk_operation: BackgroundOperation | None = None
        self.print_operation: BackgroundOperation | None = None
        row = QHBoxLayout(self)
        # The left column scrolls by itself on a short screen; the preview keeps the full height.
        column = QWidget()
        left = QVBoxLayout(column)
        left.setContentsMargins(0, 0, 0, 0)
        left_scroll = QScrollArea()
        left_scroll.setWidgetResizable(True)
        left_scroll.setFrameShape(QFrame.Shape.NoFrame)
        left_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        left_scroll.setWidget(column)
        left_scroll.setFixedWidth(430 + left_scroll.verticalScrollBar().sizeHint().width() + 4)
        row.addWidget(left_scroll, 0)

        one = QGroupBox("打印证书")
        form = QFormLayout(one)
        self.record_edit = QLineEdit()
        self.record_edit.setPlaceholderText("受理号或证书字号，如 J320102-2026-000001")
        self.record_edit.returnPressed.connect(self.preview)
        form.addRow("受理号/字号", self.record_edit)
        self.mode = QComboBox()
        self.mode.addItem("套打预览（只印字段，用于空白证书）", False)
        self.mode.addItem("空白纸预览（含证书外框，白纸核对位置）", True)
        form.addRow("预览方式", self.mode)
        self.calibration = QComboBox()
        form.addRow("打印机校准", self.calibration)
        buttons = QHBoxLayout()
        self.preview_button = QPushButton("预览")
        self.print_button = QPushButton("打印证书…")
        self.preview_button.clicked.connect(self.preview)
        self.print_button.clicked.connect(self.print_certificate)
        buttons.addWidget(self.preview_button)
        buttons.addWidget(self.print_button)
        form.addRow(buttons)
        self.message = message_label()
        form.addRow(self.message)
        left.addWidget(one)

        bulk = QGroupBox("批量打印当日证书")
        box = QVBoxLayout(bulk)
        day_row = QHBoxLayout()
        day_row.addWidget(QLabel("发证日期"))
        today = self.ctx.clock.today()
        self.day = QDateEdit(QDate(today.year, today.month, today.day))
        self.day.setCalendarPopup(True)
        self.day.setDisplayFormat("yyyy-MM-dd")
        self.day.dateChanged.connect(lambda _d: self.refresh_day())
        day_row.addWidget(self.day)
        self.refresh_button = QPushButton("刷新")
        self.refresh_button.clicked.connect(self.refresh_day)
        day_row.addWidget(self.refresh_button)
        day_row.addStretch(1)
        box.addLayout(day_row)
        self.day_table = QTableWidget(0, 4)
        self.day_table.setHorizontalHeaderLabels(["证书字号", "种类", "持证人", "已打印"])
        self.day_table.verticalHeader().setVisible(False)
        self.day_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.day_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.day_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.day_table.itemDoubleClicked.connect(self._pick_from_day)
        box.addWidget(self.day_table, 1)
        bulk_row = QHBoxLayout()
        self.bulk_button = QPushButton("批量打印当日证书…")
        self.bulk_button.clicked.connect(self.bulk_print)
        self.cancel_button = QPushButton("取消")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel_bulk)
        bulk_row.addWidget(self.bulk_button)
        bulk_row.addWidget(self.cancel_button)
        box.addLayout(bulk_row)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        box.addWidget(self.progress)
        self.bulk_message = message_label()
        box.addWidget(self.bulk_message)
        left.addWidget(bulk, 1)

        self.preview_widget = PdfPreview()
        row.addWidget(self.preview_widget, 1)
        for w in (one, bulk):
            w.setFixedWidth(430)

    # --- lists --------------------------------------------------------------------------------

    def refresh_calibrations(self, names: list[str]) -> None:
        current = self.calibration.currentData()
        self.calibration.clear()
        self.calibration.addItem("不校准", None)
        for name in names:
            self.calibration.addItem(name, name)
        index = self.calibration.findData(current)
        self.calibration.setCurrentIndex(max(0, index))

    def refresh_day(self) -> None:
        day = self.day.date().toPython()
        try:
            rows = PrintingSetup(self.ctx).day_certificates(day)
        except RegistryError as exc:
            self.day_table.setRowCount(0)
            say(self.bulk_message, error_text(exc), "bad")
            return
        self.day_table.setRowCount(len(rows))
        for r, c in enumerate(rows):
            values = [c.certificate_no, c.type_zh, c.holders, "是" if c.print_count else "否"]
            for col, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setData(Qt.ItemDataRole.UserRole, c.record_id)
                self.day_table.setItem(r, col, item)
        waiting = sum(1 for c in rows if not c.print_count)
        say(self.bulk_message, f"{day.isoformat()} 发证 {len(rows)} 份，待打印 {waiting} 份")

    def _pick_from_day(self, item: QTableWidgetItem) -> None:
        self.record_edit.setText(self.day_table.item(item.row(), 0).text())
        self.preview()

    # --- one certificate ----------------------------------------------------------------------

    def _record_id(self) -> int | None:
        try:
            return PrintingSetup(self.ctx).find_record(self.record_edit.text())
        except RegistryError as exc:
            say(self.message, error_text(exc), "bad")
            self.record_edit.setFocus()
            return None

    def preview(self) -> None:
        record_id = self._record_id()
        if record_id is None:
            return
        on_blank = bool(self.mode.currentData())
        try:
            pdf = CertificatePrinting(self.ctx).preview(record_id, calibration=self.calibration.currentData(),
                                                        on_blank=on_blank)
        except RegistryError as exc:
            self.preview_widget.clear("无预览")
            say(self.message, error_text(exc), "bad")
            return
        self.preview_widget.set_pdf(pdf)
        say(self.message, "空白纸预览：用白纸打印可核对套打位置，不计入打印记录" if on_blank
            else "套打预览：只有这些字段会印到空白证书上（签名处留空）")

    def _approval(self, record_id: int) -> tuple[bool, str | None, str | None]:
        """(go ahead, approving supervisor). A reprint needs a supervisor: a supervisor confirms; anyone
        else has a supervisor enter their own user name and password here."""
        printing = CertificatePrinting(self.ctx)
        if not printing.reprint_needed(record_id):
            return True, None, None
        user = self.ctx.user
        if user is not None and can(user.role, Permission.APPROVE_REPRINT):
            ok = self.page.state.prompter.confirm("补打证书", "该证书已打印过，本次为补打，将记入打印记录。确认补打？")
            return ok, user.username if ok else None, None
        say(self.message, "该证书已打印过，补打须经负责人批准：请负责人输入用户名和密码", "bad")
        answer = self.page.ask_supervisor(self, "该证书已打印过。补打须经负责人当场批准，请负责人输入本人的用户名和密码。")
        if answer is None:
            say(self.message, "未获负责人批准，未打印", "bad")
            return False, None, None
        try:
            approver = printing.approve_reprint(*answer)
        except RegistryError as exc:
            say(self.message, "未获批准：" + error_text(exc), "bad")
            return False, None, None
        # the service checks the supervisor's password again inside the print transaction
        return True, approver, answer[1]

    def print_certificate(self) -> None:
        record_id = self._record_id()
        if record_id is None:
            return
        try:
            go, approved_by, approver_password = self._approval(record_id)
        except RegistryError as exc:
            say(self.message, error_text(exc), "bad")
            return
        if not go:
            return
        target = self.page.print_target
        if not target.choose(self, "打印证书"):
            say(self.message, "已取消打印")
            return
        ctx, calibration = self.ctx, self.calibration.currentData()

        def work(report, cancelled):
            pdf = CertificatePrinting(ctx).render(record_id, calibration=calibration, approved_by=approved_by,
                                                  approver_password=approver_password)
            return target.print_pdf(pdf, "证书", progress=report)

        self.print_button.setEnabled(False)
        say(self.message, "正在打印……")
        op = BackgroundOperation(work)
        op.signals.succeeded.connect(lambda pages: self._printed(pages, approved_by))
        op.signals.failed.connect(self._print_failed)
        op.signals.finished.connect(lambda: self.print_button.setEnabled(True))
        self.print_operation = op
        start(op)

    def _printed(self, pages: int, approved_by: str | None) -> None:
        self.print_operation = None
        extra = f"（补打，负责人 {StaffNames(self.ctx).name(approved_by)} 批准）" if approved_by else ""
        say(self.message, f"已送打印机 {pages} 页{extra}", "good")
        self.refresh_day()

    def _print_failed(self, exc: BaseException) -> None:
        self.print_operation = None
        say(self.message, error_text(exc), "bad")
        if not isinstance(exc, RegistryError):  # a defect: also in a dialog, as everywhere
            present_error(self.page.state.prompter, exc, "证书打印")

    # --- the day's certificates ---------------------------------------------------------------

    def bulk_print(self) -> None:
        day = self.day.date().toPython()
        target = self.page.print_target
        if not target.choose(self, f"批量打印 {day.isoformat()} 证书"):
            say(self.bulk_message, "已取消打印")
            return
        ctx, calibration = self.ctx, self.calibration.currentData()

        def work(report, cancelled):
            result = PrintingSetup(ctx).render_day(day, calibration=calibration, cancelled=cancelled,
                                                   progress=report)
            # once logged, the pages go to the printer in full: no cancel half-way through the paper
            pages = target.print_pdf(result.pdf, f"{day.isoformat()} 证书",
                                     progress=report)
            return result, pages

        op = BackgroundOperation(work)
        op.signals.progress.connect(self._bulk_progress)
        op.signals.succeeded.connect(self._bulk_done)
        op.signals.failed.connect(self._bulk_failed)
        op.signals.finished.connect(self._bulk_finished)
        self.bulk_operation = op
        self.bulk_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setRange(0, 0)
        self.progress.setVisible(True)
        say(self.bulk_message, "正在生成当日证书……")
        start(op)

    def cancel_bulk(self) -> None:
        if self.bulk_operation is not None:
            self.bulk_operation.cancel()
            self.cancel_button.setEnabled(False)
            say(self.bulk_message, "正在取消……")

    def _bulk_progress(self, done: int, total: int, label: str) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        if label == "送往打印机":
            self.cancel_button.setEnabled(False)
        say(self.bulk_message, f"{label}：{done} / {total}")

    def _bulk_done(self, outcome) -> None:
        result, pages = outcome
        skipped = f"；{len(result.skipped)} 份此前已打印，未重复打印" if result.skipped else ""
        say(self.bulk_message, f"已送打印机 {pages} 页，共 {len(result.certificates)} 份证书{skipped}", "good")

    def _bulk_failed(self, exc: BaseException) -> None:
        if isinstance(exc, Cancelled):
            say(self.bulk_message, "已取消，未打印，也未登记任何打印记录")
            return
        say(self.bulk_message, error_text(exc), "bad")
        if not isinstance(exc, RegistryError):
            present_error(self.page.state.prompter, exc, "批量打印")

    def _bulk_finished(self) -> None:
        self.bulk_operation = None
        self.bulk_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.progress.setVisible(False)
        message = self.bulk_message.text()
        tone = self.bulk_message.property("tone") or ""
        self.refresh_day()
        say(self.bulk_message, message, tone)


class CertificatesPage(PageBase):
    title = "证书打印"

    def __init__(self, state, parent=None, *, print_target: PrintTarget | None = None,
                 ask_supervisor: AskSupervisor | None = None,
                 choose_pdf: Callable[[QWidget], str | None] | None = None):
        super().__init__(state, parent)
        self.setStyleSheet(STYLE)
        self.print_target = print_target or PrintTarget()
        self.ask_supervisor = ask_supervisor or ask_supervisor_dialog
        self.choose_pdf = choose_pdf or choose_pdf_dialog
        self.tabs = QTabWidget()
        self.print_tab = PrintTab(self)
        self.stock_tab = StockTab(self)
        self.calibration_tab = CalibrationTab(self)
        self.verify_tab = VerifyTab(self)
        self.tabs.addTab(self.print_tab, "打印")
        self.tabs.addTab(self.stock_tab, "空白证书")
        self.tabs.addTab(self.calibration_tab, "打印校准")
        self.tabs.addTab(self.verify_tab, "二维码核验")
        self.layout_.addWidget(self.tabs, 1)
        self.refresh()

    def refresh(self) -> None:
        user = self.state.ctx.user
        if user is None or not can(user.role, Permission.PRINT):
            return   # an administrator does no casework: the services would refuse anyway
        self.refresh_calibrations()
        self.print_tab.refresh_day()
        self.stock_tab.refresh()

    def refresh_calibrations(self) -> None:
        try:
            saved = PrintingSetup(self.state.ctx).calibrations()
        except RegistryError:
            saved = []
        self.print_tab.refresh_calibrations([c.name for c in saved])
        self.calibration_tab.refresh(saved)

    def on_shown(self) -> None:
        self.refresh()

    def show_certificate(self, reference: str) -> None:
        """Opened from a workflow page right after registration: the print tab with its preview."""
        self.tabs.setCurrentWidget(self.print_tab)
        self.print_tab.record_edit.setText(str(reference))
        self.print_tab.preview()


register_page("certificates", "证书打印", lambda state: CertificatesPage(state))
