"""日终上报: the close-day check of a business day (open work, 登记合格率 and its defects, events by
type), the batch export run off the GUI thread with progress and cancel, the province's
acknowledgement and reference extract imports (both off the GUI thread), the extract's age, and for
supervisors the work list of rejected and conflicting events and the release of a quarantined batch file
the province never received (`registry sync release-orphan`). The page only collects and shows;
SyncService decides."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QGridLayout,
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
    QVBoxLayout,
    QWidget,
)

from registry_app.domain.roles import Permission, can
from registry_app.errors import Cancelled, RecordChanged, RegistryError
from registry_app.services.events import EVENT_TYPE_ZH
from registry_app.sync.service import CloseDayReport, ExportResult, SyncService
from ui.background import BackgroundOperation, start
from ui.errors import error_text, present_error
from ui.main_window import register_page
from ui.pages import PageBase

# chooser(kind, title) -> a path, or None when the user gave up; kind is "directory" or "open"
Chooser = Callable[[str, str], "str | None"]

PAGE_STYLE = """
QLabel#refOk { color: #2e7d32; }
QLabel#refWarn { color: #c62f2f; font-weight: bold; }
QLabel#quality { font-size: 16px; font-weight: bold; color: #1f3a5f; }
QLabel#syncMessage { color: #1f3a5f; }
QLabel#syncError { color: #c62f2f; }
QLabel#anchor { font-family: monospace; color: #1f3a5f; }
QLabel#outboxWarn { color: #c62f2f; font-weight: bold; }
"""


def dialog_chooser(parent: QWidget) -> Chooser:
    def choose(kind: str, title: str) -> str | None:
        if kind == "directory":
            path = QFileDialog.getExistingDirectory(parent, title)
        else:
            path, _filter = QFileDialog.getOpenFileName(parent, title)
        return path or None

    return choose


def _table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setSectionResizeMode(len(headers) - 1, QHeaderView.ResizeMode.Stretch)
    table.setMinimumHeight(110)
    return table


def _fill(table: QTableWidget, rows: list[list[object]]) -> None:
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            table.setItem(r, c, QTableWidgetItem("" if value is None else str(value)))
    for c in range(table.columnCount() - 1):  # the last column stretches
        table.resizeColumnToContents(c)


class SyncPage(PageBase):
    title = "日终上报"

    def __init__(self, app_state, parent=None, chooser: Chooser | None = None):
        super().__init__(app_state, parent)
        self.setStyleSheet(PAGE_STYLE)
        self.chooser: Chooser = chooser or dialog_chooser(self)
        self.report: CloseDayReport | None = None
        self.last_export: ExportResult | None = None
        self.last_error: RegistryError | Exception | None = None
        self._op: BackgroundOperation | None = None
        self.cases: list = []
        role = app_state.ctx.user.role if app_state.ctx.user else None
        self.may_export = bool(role) and can(role, Permission.SYNC_EXPORT)
        self.may_import = bool(role) and can(role, Permission.SYNC_IMPORT)
        self.is_supervisor = bool(role) and can(role, Permission.APPROVE_CORRECTION)

        body = QWidget()
        column = QVBoxLayout(body)
        column.setContentsMargins(0, 0, 8, 0)

        top = QHBoxLayout()
        top.addWidget(QLabel("营业日"))
        today = app_state.ctx.clock.today()
        self.date_edit = QDateEdit(QDate(today.year, today.month, today.day))
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("yyyy-MM-dd")
        self.date_edit.setMaximumDate(QDate(today.year, today.month, today.day))
        top.addWidget(self.date_edit)
        self.check_button = QPushButton("检查")
        top.addWidget(self.check_button)
        top.addStretch(1)
        self.reference_label = QLabel("")
        self.reference_label.setWordWrap(True)
        top.addWidget(self.reference_label, 2)
        column.addLayout(top)

        grid = QGridLayout()
        quality = QGroupBox("登记质量检查")
        q = QVBoxLayout(quality)
        self.quality_label = QLabel("—")
        self.quality_label.setObjectName("quality")
        q.addWidget(self.quality_label)
        self.defects_table = _table(["记录号", "证书字号", "问题"])
        q.addWidget(self.defects_table)
        grid.addWidget(quality, 0, 0)

        counts = QGroupBox("当日事件")
        c = QVBoxLayout(counts)
        self.counts_table = _table(["事件类型", "件数"])
        c.addWidget(self.counts_table)
        self.pending_label = QLabel("")
        self.pending_label.setWordWrap(True)
        c.addWidget(self.pending_label)
        # the audit chain head, copied by hand onto the close-of-day sheet: an anchor outside the database
        self.anchor_label = QLabel("")
        self.anchor_label.setObjectName("anchor")
        self.anchor_label.setWordWrap(True)
        self.anchor_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        c.addWidget(self.anchor_label)
        grid.addWidget(counts, 0, 1)

        open_work = QGroupBox("未办结事项")
        o = QVBoxLayout(open_work)
        self.open_table = _table(["类别", "记录号", "状态", "说明"])
        o.addWidget(self.open_table)
        grid.addWidget(open_work, 1, 0, 1, 2)
        column.addLayout(grid)

        export = QGroupBox("导出上报批次")
        e = QVBoxLayout(export)
        row = QHBoxLayout()
        row.addWidget(QLabel("保存到"))
        self.out_dir = QLineEdit()
        self.out_dir.setPlaceholderText("批次文件和本处公钥文件写入的文件夹")
        row.addWidget(self.out_dir, 1)
        self.choose_dir_button = QPushButton("选择文件夹…")
        row.addWidget(self.choose_dir_button)
        e.addLayout(row)
        row = QHBoxLayout()
        self.again_box = QCheckBox("重写该日已导出的批次（内容不变，不产生新批次）")
        row.addWidget(self.again_box)
        row.addStretch(1)
        self.export_button = QPushButton("导出批次")
        self.export_button.setObjectName("primary")
        row.addWidget(self.export_button)
        self.cancel_button = QPushButton("取消")
        self.cancel_button.setEnabled(False)
        row.addWidget(self.cancel_button)
        e.addLayout(row)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        e.addWidget(self.progress)
        self.message = QLabel("")
        self.message.setObjectName("syncMessage")
        self.message.setWordWrap(True)
        e.addWidget(self.message)
        column.addWidget(export)

        imports = QGroupBox("省级回执与比对数据")
        i = QHBoxLayout(imports)
        self.import_ack_button = QPushButton("导入省级回执…")
        self.import_reference_button = QPushButton("导入比对数据…")
        i.addWidget(self.import_ack_button)
        i.addWidget(self.import_reference_button)
        i.addStretch(1)
        column.addWidget(imports)

        self.cases_box = QGroupBox("待处理的退回与冲突（负责人）")
        k = QVBoxLayout(self.cases_box)
        self.cases_table = _table(["编号", "类别", "记录号", "证书字号", "代码", "说明"])
        k.addWidget(self.cases_table)
        row = QHBoxLayout()
        self.case_note = QLineEdit()
        self.case_note.setPlaceholderText("处理情况（必填）")
        row.addWidget(self.case_note, 1)
        self.resolve_button = QPushButton("标记已处理")
        row.addWidget(self.resolve_button)
        k.addLayout(row)
        # a quarantined batch file blocks the next export until the province confirms it never arrived
        self.orphan_row = QWidget()
        row = QHBoxLayout(self.orphan_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("隔离的批次文件"))
        self.orphan_files = QComboBox()
        row.addWidget(self.orphan_files)
        self.orphan_note = QLineEdit()
        self.orphan_note.setPlaceholderText("与省级核实的情况（必填，如：省级确认未收到该批次）")
        row.addWidget(self.orphan_note, 1)
        self.release_button = QPushButton("确认省级未收到")
        row.addWidget(self.release_button)
        k.addWidget(self.orphan_row)
        self.orphan_row.setVisible(False)
        column.addWidget(self.cases_box)
        column.addStretch(1)

        scroll = QScrollArea()
        scroll.setWidget(body)
        scroll.setWidgetResizable(True)
        self.layout_.addWidget(scroll, 1)

        self.export_button.setEnabled(self.may_export)
        self.again_box.setEnabled(self.may_export)
        self.import_ack_button.setEnabled(self.may_import)
        self.import_reference_button.setEnabled(self.may_import)
        self.cases_box.setVisible(self.is_supervisor)

        self.date_edit.dateChanged.connect(lambda _d: self.refresh())
        self.check_button.clicked.connect(self.refresh)
        self.choose_dir_button.clicked.connect(self._choose_dir)
        self.export_button.clicked.connect(self.start_export)
        self.cancel_button.clicked.connect(self.cancel)
        self.import_ack_button.clicked.connect(self.import_ack)
        self.import_reference_button.clicked.connect(self.import_reference)
        self.resolve_button.clicked.connect(self.resolve_selected)
        self.release_button.clicked.connect(self.release_orphan)

    # --- helpers ----------------------------------------------------------------------------------
    @property
    def service(self) -> SyncService:
        return SyncService(self.state.ctx)

    def business_date(self) -> dt.date:
        d = self.date_edit.date()
        return dt.date(d.year(), d.month(), d.day())

    def running(self) -> bool:
        return self._op is not None

    def _say(self, text: str, error: bool = False) -> None:
        self.message.setObjectName("syncError" if error else "syncMessage")
        self.message.setText(text)
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)

    def _refused(self, exc: BaseException) -> None:
        self.last_error = exc
        self._say(error_text(exc), error=True)
        present_error(self.state.prompter, exc, "未能完成")

    def on_shown(self) -> None:
        self.refresh()

    # --- the check --------------------------------------------------------------------------------
    def refresh(self) -> None:
        try:
            report = self.service.close_day_check(self.business_date())
        except RegistryError as exc:
            self._say(error_text(exc), error=True)
            self.report = None
            return
        self.report = report
        if report.registrations:
            self.quality_label.setText(f"登记合格率：{report.rate_text}（{report.passed}/{report.registrations}）")
        else:
            self.quality_label.setText("当日无登记")
        _fill(self.defects_table, [[d.record_id, d.certificate_no or "", f"{d.message}（{d.code}）"]
                                   for d in report.defects])
        _fill(self.counts_table, [[EVENT_TYPE_ZH.get(t, t), n] for t, n in report.counts.items()])
        batches = "、".join(str(b) for b in report.batches) or "无"
        lines = [f"待上报事件（截至当日）：{report.pending_events}件；当日已导出批次：{batches}"]
        if report.pending_batches:
            lines.append(f"批次{'、'.join(map(str, report.pending_batches))}导出时中断，尚待核对（重新打开本系统或再次导出即核对）")
        for o in report.open_orphans:
            lines.append(f"隔离文件夹中的批次文件{o['file']}尚待确认是否已报送省级：确认前不能导出新批次")
        if report.training:
            lines.append("培训数据库：导出的批次标为培训，省级不作正式接收")
        self.pending_label.setObjectName("outboxWarn" if len(lines) > 1 else "")
        self.pending_label.setText("\n".join(lines))
        self.pending_label.style().unpolish(self.pending_label)
        self.pending_label.style().polish(self.pending_label)
        self.anchor_label.setText(f"审计链锚点（请抄录在日终报表上）：{report.anchor_text}")
        _fill(self.open_table, [[i.kind_zh, i.record_id or "", i.status_zh, i.note] for i in report.open_work])
        self._show_reference(report.reference)
        if self.is_supervisor:
            self._load_cases()
            self.orphan_files.clear()
            for o in report.open_orphans:
                self.orphan_files.addItem(f"{o['file']}（批次{o.get('batch_seq', '?')}）", o["file"])
            self.orphan_row.setVisible(bool(report.open_orphans))

    def _show_reference(self, ref) -> None:
        if ref.warning:
            self.reference_label.setObjectName("refWarn")
            self.reference_label.setText(ref.warning)
        else:
            self.reference_label.setObjectName("refOk")
            self.reference_label.setText(f"省级比对数据截至{ref.as_of[:10]}（{ref.age_days}天前，{ref.entries}条）")
        self.reference_label.style().unpolish(self.reference_label)
        self.reference_label.style().polish(self.reference_label)

    # --- export -----------------------------------------------------------------------------------
    def _choose_dir(self) -> str | None:
        path = self.chooser("directory", "选择保存批次文件的文件夹")
        if path:
            self.out_dir.setText(path)
        return path

    def start_export(self) -> None:
        if self.running():
            return
        out = self.out_dir.text().strip() or self._choose_dir()
        if not out:
            return
        day, again, ctx = self.business_date(), self.again_box.isChecked(), self.state.ctx
        self.last_export, self.last_error = None, None
        self._run(lambda report, cancelled: SyncService(ctx).export(day, Path(out), report, cancelled, again=again),
                  self._exported, "正在导出…")

    def _exported(self, result: ExportResult) -> None:
        self.last_export = result
        what = "已重写" if result.again else "已导出"
        found = (result.reconciled or {}).get("message")
        self._say(f"{what}批次{result.batch_seq}：{Path(result.path).name}，事件{result.event_count}件"
                  + (f"（含更正后重新上报{len(result.resent)}件）" if result.resent else "")
                  + f"。请将批次文件与公钥文件{Path(result.public_key_path).name}一并报送。"
                  + (f"导出前核对发件箱：{found}。" if found else ""))
        self.refresh()

    def cancel(self) -> None:
        if self._op is not None:
            self._op.cancel()
            self.cancel_button.setEnabled(False)
            self._say("正在取消…")

    def _run(self, fn, on_success, label: str) -> None:
        op = BackgroundOperation(fn)
        self._op = op
        self.progress.setRange(0, 0)
        self._say(label)
        for button in (self.export_button, self.import_ack_button, self.import_reference_button, self.check_button):
            button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        op.signals.progress.connect(self._progress)
        op.signals.succeeded.connect(on_success)
        op.signals.failed.connect(self._failed)
        op.signals.finished.connect(self._finished)
        start(op)

    def _progress(self, done: int, total: int, label: str) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        if label:
            self.progress.setFormat(f"{label}  %p%")

    def _failed(self, exc: Exception) -> None:
        self.last_error = exc
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        if isinstance(exc, Cancelled):
            self._say(error_text(exc))
        else:
            self._refused(exc)

    def _finished(self) -> None:
        self._op = None
        self.cancel_button.setEnabled(False)
        self.check_button.setEnabled(True)
        self.export_button.setEnabled(self.may_export)
        self.import_ack_button.setEnabled(self.may_import)
        self.import_reference_button.setEnabled(self.may_import)

    # --- imports ----------------------------------------------------------------------------------
    def import_ack(self) -> None:
        if self.running():
            return
        path = self.chooser("open", "选择省级回执文件")
        if not path:
            return
        ctx = self.state.ctx
        self.last_error = None
        self._run(lambda _report, _cancelled: SyncService(ctx).import_ack(path), self._ack_imported,
                  "正在导入省级回执…")

    def _ack_imported(self, result) -> None:
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        if result.already_imported:
            text = f"批次{result.batch_seq}的回执已导入过，未作改动。"
        else:
            text = (f"批次{result.batch_seq}回执已导入：接收{result.accepted}件，退回{result.rejected}件，"
                    f"冲突{result.conflict}件" + ("，已列入待处理事项。" if result.cases_opened else "。"))
        self._say(text + (f"（{result.note}）" if result.note else ""))
        self.state.prompter.inform("省级回执", text)
        self.refresh()

    def import_reference(self) -> None:
        if self.running():
            return
        path = self.chooser("open", "选择省级比对数据文件")
        if not path:
            return
        ctx = self.state.ctx
        self._run(lambda report, cancelled: SyncService(ctx).import_reference(path, report, cancelled),
                  self._reference_imported, "正在导入比对数据…")

    def _reference_imported(self, result) -> None:
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        text = f"比对数据已更新：截至{result.as_of[:10]}，{result.entries}条。"
        self._say(text)
        self.state.prompter.inform("省级比对数据", text)
        self.refresh()

    # --- work list --------------------------------------------------------------------------------
    def _load_cases(self) -> None:
        try:
            cases = self.service.work_cases()
        except RegistryError as exc:
            self._say(error_text(exc), error=True)
            return
        self.cases = cases
        _fill(self.cases_table, [[c.id, c.kind_zh, c.record_id or "", c.certificate_no or "", c.code, c.message]
                                 for c in cases])

    def release_orphan(self) -> None:
        file_name = self.orphan_files.currentData()
        if not file_name:
            return
        try:
            self.service.release_orphan(file_name, self.orphan_note.text())
        except RegistryError as exc:
            self._refused(exc)
            return
        self.orphan_note.clear()
        self._say(f"已确认省级未收到{file_name}：下次导出可使用该批次号。")
        self.refresh()

    def resolve_selected(self) -> None:
        row = self.cases_table.currentRow()
        if row < 0 or row >= len(self.cases):
            self._say("请先在列表中选择一项", error=True)
            return
        case = self.cases[row]
        try:   # the version the list showed: refused when another desk resolved it since
            self.service.resolve_case(case.id, self.case_note.text(), version=case.version)
        except RegistryError as exc:
            self._refused(exc)
            if isinstance(exc, RecordChanged) and self.state.prompter.confirm(
                    "待处理事项", "是否重新读取待处理事项列表？已填写的处理情况保留。"):
                self._load_cases()   # the list only: the note stays as typed
            return
        self.case_note.clear()
        self._say("已标记为已处理。")
        self.refresh()


register_page("sync", "日终上报", lambda state: SyncPage(state))
