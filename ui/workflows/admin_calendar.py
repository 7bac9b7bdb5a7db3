"""系统管理 → 节假日安排: paste the State Council's notice as published, 解析 shows every day it lists
(date, weekday, 放假/上班, holiday) for the administrator to check against the paper, 导入 stores the year.
A JSON or CSV schedule file still imports as before. The warning for a missing year clears at once."""
from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QTextCursor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from registry_app.domain.holiday_notice import ParsedNotice, looks_like_notice
from registry_app.domain.workdays import decode_text
from registry_app.errors import RegistryError
from registry_app.services.calendar import HolidaySchedules, coverage_warning
from ui.errors import error_text

DAY_COLUMNS = ("日期", "星期", "安排", "节日")
NO_YEAR = 1999  # the year box's "from the title" value
HOLIDAY_BG = QColor("#fdecea")
WORKDAY_BG = QColor("#e8f0fb")


class CalendarTab(QWidget):
    def __init__(self, state, choose_file: Callable[[str, str], str], parent=None):
        super().__init__(parent)
        self.state = state
        self.choose_file = choose_file
        self.parsed: ParsedNotice | None = None
        self.parsed_text: str | None = None
        v = QVBoxLayout(self)
        self.years_label = QLabel()
        self.years_label.setWordWrap(True)
        v.addWidget(self.years_label)
        self.warning = QLabel()
        self.warning.setObjectName("fieldError")
        self.warning.setWordWrap(True)
        v.addWidget(self.warning)

        row = QHBoxLayout()
        paste = QGroupBox(self.tr("粘贴国务院办公厅通知"))
        p = QVBoxLayout(paste)
        self.notice_box = QPlainTextEdit()
        self.notice_box.setPlaceholderText(self.tr(
            "将《国务院办公厅关于××××年部分节假日安排的通知》全文（含标题）粘贴在此处，例如：\n"
            "国务院办公厅关于2027年部分节假日安排的通知\n"
            "一、元旦：1月1日（周五）至3日（周日）放假，共3天。\n……"))
        self.notice_box.setTabChangesFocus(True)
        p.addWidget(self.notice_box, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(QLabel(self.tr("年度")))
        self.year_box = QSpinBox(minimum=NO_YEAR, maximum=2200, value=NO_YEAR)
        self.year_box.setSpecialValueText(self.tr("按通知标题"))
        self.year_box.setToolTip(self.tr("粘贴的内容不含标题时，在此指明年度"))
        buttons.addWidget(self.year_box)
        self.parse_button = QPushButton(self.tr("解析"))
        self.parse_button.clicked.connect(self.parse)
        buttons.addWidget(self.parse_button)
        buttons.addStretch(1)
        self.file_button = QPushButton(self.tr("从文件导入…"))
        self.file_button.setToolTip(self.tr("通知文本（.txt）先解析再导入；JSON 或 CSV 格式的安排文件直接导入"))
        self.file_button.clicked.connect(self.import_file)
        buttons.addWidget(self.file_button)
        p.addLayout(buttons)
        row.addWidget(paste, 1)

        result = QGroupBox(self.tr("解析结果（请与通知原文逐日核对）"))
        r = QVBoxLayout(result)
        self.days_table = QTableWidget(0, len(DAY_COLUMNS))
        self.days_table.setHorizontalHeaderLabels(DAY_COLUMNS)
        self.days_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.days_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.days_table.verticalHeader().setVisible(False)
        self.days_table.horizontalHeader().setSectionResizeMode(len(DAY_COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        r.addWidget(self.days_table, 1)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        r.addWidget(self.summary)
        go = QHBoxLayout()
        go.addStretch(1)
        self.import_button = QPushButton(self.tr("导入"))
        self.import_button.setObjectName("primary")
        self.import_button.setEnabled(False)
        self.import_button.clicked.connect(self.import_notice)
        go.addWidget(self.import_button)
        r.addLayout(go)
        row.addWidget(result, 1)
        v.addLayout(row, 1)
        self.message = QLabel()
        self.message.setWordWrap(True)
        v.addWidget(self.message)
        self.notice_box.textChanged.connect(self._text_changed)
        self.year_box.valueChanged.connect(self._text_changed)

    # --- showing ------------------------------------------------------------------------------------
    def refresh(self) -> None:
        try:
            years = HolidaySchedules(self.state.ctx).years()
            warning = coverage_warning(self.state.ctx)
        except RegistryError as exc:
            self._say(error_text(exc), error=True)
            return
        recent = [f"{y['year']}年（{y['source']}）" for y in years[-4:]]
        self.years_label.setText(self.tr("已载入的年度：") + "、".join(recent) +
                                 self.tr("\n期限落在未载入年度的离婚申请将被拒绝计算，请在国务院公布次年安排后及时导入。"))
        self.warning.setText(warning or "")
        self.warning.setVisible(bool(warning))

    def _say(self, text: str, error: bool = False) -> None:
        self.message.setObjectName("fieldError" if error else "notice")
        self.message.setText(text)
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)

    def _year(self) -> int | None:
        return None if self.year_box.value() == NO_YEAR else self.year_box.value()

    def _text_changed(self) -> None:
        if self.parsed is not None and (self.notice_box.toPlainText(), self._year()) != self.parsed_text:
            self.import_button.setEnabled(False)
            self.summary.setText(self.tr("内容已改动，请重新解析后再导入。"))

    def _show(self, parsed: ParsedNotice | None) -> None:
        days = list(parsed.days) if parsed else []
        self.days_table.setRowCount(len(days))
        for n, d in enumerate(days):
            kind = d.kind_zh if d.in_year else f"{d.kind_zh}（属{d.day.year}年，不导入）"
            cells = (f"{d.day.year}-{d.day.month:02d}-{d.day.day:02d}", d.weekday_zh, kind, d.name)
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setBackground(HOLIDAY_BG if d.kind == "holiday" else WORKDAY_BG)
                if c < 3:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.days_table.setItem(n, c, item)
        self.days_table.resizeColumnsToContents()
        if parsed is None:
            self.summary.setText("")
            return
        s = parsed.schedule
        self.summary.setText(self.tr("%1年：放假%2天，调休上班%3天。出处：%4")
                             .replace("%1", str(parsed.year)).replace("%2", str(len(s.holidays)))
                             .replace("%3", str(len(s.workdays))).replace("%4", parsed.source))

    # --- actions ------------------------------------------------------------------------------------
    def parse(self) -> bool:
        text, year = self.notice_box.toPlainText(), self._year()
        self.parsed, self.parsed_text = None, None
        self.import_button.setEnabled(False)
        try:
            parsed = HolidaySchedules(self.state.ctx).preview_notice(text, year)
        except RegistryError as exc:
            self._show(None)
            self._say(self.tr("未能解析：") + error_text(exc), error=True)
            self._select_line(exc)
            return False
        self.parsed, self.parsed_text = parsed, (text, year)
        self._show(parsed)
        self.import_button.setEnabled(True)
        self._say(self.tr("已解析，请核对右侧每一天后点“导入”。"))
        return True

    def _select_line(self, exc: RegistryError) -> None:
        """Puts the cursor on the first line a refusal names ("第7行：…"), selected, to fix it there."""
        m = re.search(r"第(\d+)行", error_text(exc))
        block = self.notice_box.document().findBlockByNumber(int(m.group(1)) - 1) if m else None
        if block is None or not block.isValid():
            return
        cursor = QTextCursor(block)
        cursor.movePosition(QTextCursor.MoveOperation.EndOfBlock, QTextCursor.MoveMode.KeepAnchor)
        self.notice_box.setTextCursor(cursor)
        self.notice_box.setFocus()

    def import_notice(self) -> bool:
        if self.parsed is None or (self.notice_box.toPlainText(), self._year()) != self.parsed_text:
            return False
        year = self.parsed.year
        loaded = {y["year"]: y["source"] for y in HolidaySchedules(self.state.ctx).years()}
        if year in loaded and not self.state.prompter.confirm(
                self.tr("替换节假日安排"),
                self.tr("%1年已有节假日安排（%2）。导入后以本通知为准，替换原有安排。是否导入？")
                .replace("%1", str(year)).replace("%2", loaded[year])):
            return False
        try:
            result = HolidaySchedules(self.state.ctx).import_notice(*self.parsed_text)
        except RegistryError as exc:
            self._say(error_text(exc), error=True)
            return False
        self.import_button.setEnabled(False)
        self._say(self.tr("已导入%1年节假日安排：放假%2天，调休上班%3天。")
                  .replace("%1", str(result["year"])).replace("%2", str(result["holidays"]))
                  .replace("%3", str(result["workdays"])))
        self._changed()
        return True

    def import_file(self) -> None:
        path = self.choose_file(self.tr("选择通知文本或节假日安排文件"), "节假日安排 (*.txt *.json *.csv);;所有文件 (*)")
        if not path:
            return
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            self._say(self.tr("无法读取文件：") + (exc.strerror or str(type(exc).__name__)), error=True)
            return
        try:
            text = decode_text(data, Path(path).name)
        except RegistryError:
            text = ""
        if looks_like_notice(text):
            # the notice saved as text: shown for checking like a pasted one, imported with 导入
            self.notice_box.setPlainText(text)
            self.parse()
            return
        try:
            result = HolidaySchedules(self.state.ctx).import_file(data, Path(path).name)
        except RegistryError as exc:
            self._say(error_text(exc), error=True)
            return
        self._say(self.tr("已导入") + f"{Path(path).name}（{result['year']}年）")
        self._changed()

    def _changed(self) -> None:
        """The year is in force now: this tab and the status bar re-check without a restart."""
        self.refresh()
        window = self.window()
        if hasattr(window, "refresh_warnings"):
            window.refresh_warnings()
