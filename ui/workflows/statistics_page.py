"""统计报表: choose a year, quarter or month; see the civil-affairs indicators as a table and as bars;
export CSV (UTF-8 with BOM, opens in Excel) or an A4 PDF. Counting rules live in
registry_app.services.statistics, the PDF in registry_app.services.statistics_pdf."""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QWidget,
)

from registry_app.domain.roles import Permission, can
from registry_app.errors import RegistryError
from registry_app.fsutil import write_atomic
from registry_app.services.statistics import AGE_BANDS, Report, Statistics
from registry_app.services.statistics_pdf import CHART_INDICATORS, render_statistics_pdf
from registry_app.services.workspace import office_settings
from ui.main_window import register_page
from ui.errors import error_text
from ui.pages import PageBase
from ui.workflows.record_detail import RowsModel, make_table

PERIOD_KINDS = (("quarter", "季度"), ("month", "月份"), ("year", "年度"))


class BarChart(QWidget):
    """Horizontal bars drawn with QPainter (QtCharts is not part of the Essentials wheel)."""

    BAR = QColor("#2c6fbb")

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.items: list[tuple[str, int]] = []
        self.setMinimumWidth(360)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_items(self, items: list[tuple[str, int]]) -> None:
        self.items = list(items)
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 — Qt naming
        return QSize(480, 28 * max(len(self.items), 6) + 16)

    def paintEvent(self, _event) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor("#ffffff"))
        if not self.items:
            p.setPen(QColor("#777777"))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.tr("选择统计期后点击“生成报表”"))
            p.end()
            return
        metrics = p.fontMetrics()
        label_w = max(metrics.horizontalAdvance(label) for label, _ in self.items) + 16
        value_w = metrics.horizontalAdvance("00000") + 8
        top, left = 8, 8
        row_h = max(22.0, min(34.0, (self.height() - 2 * top) / len(self.items)))
        bar_area = max(self.width() - left - label_w - value_w - 8, 20)
        peak = max([v for _, v in self.items] + [1])
        for i, (label, value) in enumerate(self.items):
            y = top + i * row_h
            p.setPen(QColor("#222222"))
            p.drawText(QRectF(left, y, label_w - 8, row_h), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                       label)
            length = bar_area * value / peak
            if value:
                p.fillRect(QRectF(left + label_w, y + row_h * 0.2, max(length, 2), row_h * 0.6), self.BAR)
            p.drawText(QRectF(left + label_w + length + 6, y, value_w, row_h),
                       Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, str(value))
        p.setPen(QPen(QColor("#999999"), 1))
        p.drawLine(int(left + label_w), top, int(left + label_w), int(top + row_h * len(self.items)))
        p.end()


class StatisticsPage(PageBase):
    title = "统计报表"

    def __init__(self, state, parent: QWidget | None = None,
                 choose_save: Callable[[str, str, str], str] | None = None):
        super().__init__(state, parent)
        self.choose_save = choose_save or (
            lambda title, name, filt: QFileDialog.getSaveFileName(self, title, name, filt)[0])
        self.report: Report | None = None
        today = state.ctx.clock.today()
        role = state.ctx.user.role if state.ctx.user else None

        bar = QHBoxLayout()
        self.kind = QComboBox()
        for key, label in PERIOD_KINDS:
            self.kind.addItem(label, key)
        self.year = QSpinBox(minimum=1949, maximum=today.year + 1, value=today.year, suffix=self.tr(" 年"))
        self.part = QComboBox()
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.generate_button = QPushButton(self.tr("生成报表"))
        self.generate_button.setObjectName("primary")
        self.generate_button.clicked.connect(self.generate)
        self.csv_button = QPushButton(self.tr("导出 CSV…"))
        self.csv_button.clicked.connect(self.export_csv)
        self.pdf_button = QPushButton(self.tr("导出 PDF…"))
        self.pdf_button.clicked.connect(self.export_pdf)
        for w in (QLabel(self.tr("统计期")), self.kind, self.year, self.part, self.generate_button):
            bar.addWidget(w)
        bar.addStretch(1)
        bar.addWidget(self.csv_button)
        bar.addWidget(self.pdf_button)
        self.layout_.addLayout(bar)
        self.period_label = QLabel()
        self.period_label.setObjectName("notice")
        self.layout_.addWidget(self.period_label)

        body = QHBoxLayout()
        self.model = RowsModel(("指标", "数值"))
        self.view = make_table(self.model, stretch=0)
        self.view.setMinimumWidth(420)
        body.addWidget(self.view, 5)
        self.chart = BarChart()
        body.addWidget(self.chart, 6)
        self.layout_.addLayout(body, 1)
        self.message = QLabel(self.tr("历史补录档案不计入本期数；比率由上级按人口数计算。"))
        self.message.setObjectName("notice")
        self.message.setWordWrap(True)
        self.layout_.addWidget(self.message)

        self._kind_changed()
        self.part.setCurrentIndex((today.month - 1) // 3)
        self._set_exports(False)
        if role is None or not can(role, Permission.STATISTICS):
            self.generate_button.setEnabled(False)
            self.message.setText(self.tr("统计报表供负责人使用。"))

    def _kind_changed(self) -> None:
        kind = self.kind.currentData()
        self.part.clear()
        if kind == "quarter":
            for q in range(1, 5):
                self.part.addItem(f"第{q}季度", f"Q{q}")
        elif kind == "month":
            for m in range(1, 13):
                self.part.addItem(f"{m}月", f"{m:02d}")
            self.part.setCurrentIndex(self.state.ctx.clock.today().month - 1)
        self.part.setVisible(kind != "year")

    def period(self) -> str:
        kind, year = self.kind.currentData(), self.year.value()
        if kind == "quarter":
            return f"{year}-{self.part.currentData()}"
        if kind == "month":
            return f"{year}-{self.part.currentData()}"
        return str(year)

    def set_period(self, text: str) -> None:
        """'2026', '2026-Q2' or '2026-06' (for tests and a remembered choice)."""
        year, _, part = text.partition("-")
        self.year.setValue(int(year))
        kind = "year" if not part else "quarter" if part.upper().startswith("Q") else "month"
        self.kind.setCurrentIndex(self.kind.findData(kind))
        if part:
            self.part.setCurrentIndex(self.part.findData(part.upper()))

    def _set_exports(self, enabled: bool) -> None:
        self.csv_button.setEnabled(enabled)
        self.pdf_button.setEnabled(enabled)

    def generate(self) -> Report | None:
        try:
            report = Statistics(self.state.ctx).report(self.period())
        except RegistryError as exc:
            self.message.setText(error_text(exc))
            return None
        self.show_report(report)
        return report

    def show_report(self, report: Report) -> None:
        self.report = report
        rows = report.to_rows()
        self.model.set_rows([(label, value) for _key, label, value in rows], [key for key, _l, _v in rows])
        labels = {key: label for key, label, _ in rows}
        ages = [(f"结婚年龄 {label}（人）", report.age_bands.get(key, {}).get("total", 0))
                for key, label, _lo, _hi in AGE_BANDS]
        self.chart.set_items([(labels[k], report.indicators[k]) for k in CHART_INDICATORS] + ages)
        self.period_label.setText(self.tr("统计期：") + f"{report.period}（{report.start} 至 {report.end}）")
        self.message.setText(self.tr("报表已生成，可导出 CSV 或 PDF。"))
        self._set_exports(True)

    def export_csv(self) -> str | None:
        if self.report is None:
            return None
        path = self.choose_save(self.tr("导出统计报表（CSV）"), f"统计报表-{self.report.period}.csv",
                                self.tr("CSV 文件 (*.csv)"))
        if not path:
            return None
        return self._write(path, self.report.to_csv().encode("utf-8-sig"))

    def export_pdf(self) -> str | None:
        if self.report is None:
            return None
        path = self.choose_save(self.tr("导出统计报表（PDF）"), f"统计报表-{self.report.period}.pdf",
                                self.tr("PDF 文件 (*.pdf)"))
        if not path:
            return None
        try:
            data = render_statistics_pdf(self.report, office_settings(self.state.ctx).office_name)
        except RegistryError as exc:
            self.message.setText(error_text(exc))
            return None
        return self._write(path, data)

    def _write(self, path: str, data: bytes) -> str | None:
        try:
            write_atomic(path, data)
        except RegistryError as exc:
            self.message.setText(error_text(exc))
            return None
        self.message.setText(self.tr("已导出：") + path)
        return path


register_page("statistics", "统计报表", lambda state: StatisticsPage(state))


__all__ = ["StatisticsPage", "BarChart"]
