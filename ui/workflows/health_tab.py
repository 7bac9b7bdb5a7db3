"""数据库检查: the health check of `registry db check`, run from the administration page off the GUI thread,
with progress and cancel. Only shows what the service found (ids and codes, never a person)."""
from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from registry_app.services.health import DatabaseHealth, HealthReport
from ui.background import BackgroundOperation, start
from ui.errors import error_text

COLUMNS = ("检查项", "结果", "问题数", "说明")


class HealthTab(QWidget):
    def __init__(self, ctx, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.op: BackgroundOperation | None = None
        self.report: HealthReport | None = None
        v = QVBoxLayout(self)
        intro = QLabel(self.tr("检查数据库文件、审计链、每条记录与其审计摘要是否一致、证书字号与上报序号是否连续、"
                               "空白证书是否重复使用、是否有中断的导出。只读，不改动任何数据。"))
        intro.setWordWrap(True)
        v.addWidget(intro)
        row = QHBoxLayout()
        self.run_button = QPushButton(self.tr("全面检查数据库"))
        self.run_button.clicked.connect(self.run_check)
        self.cancel_button = QPushButton(self.tr("取消"))
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        row.addWidget(self.run_button)
        row.addWidget(self.cancel_button)
        row.addStretch(1)
        v.addLayout(row)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        v.addWidget(self.progress)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        v.addWidget(self.summary)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels([self.tr(c) for c in COLUMNS])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        v.addWidget(self.table, 1)

    def run_check(self) -> None:
        if self.op is not None:
            return
        ctx = self.ctx
        op = BackgroundOperation(lambda report, cancelled: DatabaseHealth(ctx).run(progress=report,
                                                                                   cancelled=cancelled))
        op.signals.progress.connect(self._progress)
        op.signals.succeeded.connect(self.show_report)
        op.signals.failed.connect(self._failed)
        op.signals.finished.connect(self._finished)
        self.op = op
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setVisible(True)
        self.progress.setValue(0)
        self.summary.setText(self.tr("正在检查……"))
        start(op)

    def cancel(self) -> None:
        if self.op is not None:
            self.op.cancel()

    def _progress(self, done: int, total: int, label: str) -> None:
        self.progress.setMaximum(max(total, 1))
        self.progress.setValue(done)
        if label:
            self.summary.setText(self.tr("正在检查：") + label)

    def show_report(self, report: HealthReport) -> None:
        self.report = report
        self.table.setRowCount(len(report.checks))
        for row, check in enumerate(report.checks):
            if check.skipped:
                result, note = self.tr("不适用"), check.skipped
            elif check.ok:
                result, note = self.tr("通过"), self.tr("已核对 %n 项", "", check.checked)
            else:
                result, note = self.tr("未通过"), "；".join(p["message"] for p in check.problems[:3])
            for col, text in enumerate((check.label, result, str(check.count), note)):
                self.table.setItem(row, col, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        bad = [c.label for c in report.checks if not c.ok]
        self.summary.setText(self.tr("全部检查通过。") if not bad else
                             self.tr("未通过：") + "、".join(bad) + self.tr("。请将结果告知负责人处理。"))

    def _failed(self, exc) -> None:
        self.summary.setText(error_text(exc))

    def _finished(self) -> None:
        self.op = None
        self.run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.progress.setVisible(False)
