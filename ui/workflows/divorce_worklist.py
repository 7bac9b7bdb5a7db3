"""我的离婚申请: the open divorce applications with their phase and days left, and the two actions of
the procedure after 受理 — 撤回 (either party alone, in the cooling-off) and 发证 (both present, in
the collection window). Each action button is enabled only in its phase; otherwise its tooltip says
why. The rules and the transitions are DivorceService's.

Two counters: each row carries the application's `version` as listed; an action sends it. When another
counter changed the application since (RECORD_CHANGED) the page's presenter says who and when, what the
clerk typed stays, and 刷新 reads the application again — nothing is reloaded over the clerk's input."""
from __future__ import annotations

import datetime as dt
from typing import Callable

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from registry_app.domain.states import DivorcePhase
from registry_app.errors import RecordChanged, RegistryError
from registry_app.services.divorce import DivorceService
from ui.errors import error_lines, error_text

COLUMNS = (("application_id", "受理号"), ("parties", "当事人"), ("received", "受理日期"), ("phase_zh", "状态"),
           ("cooling_off_ends", "冷静期届满"), ("collect_by", "领证截止"), ("days_left", "剩余天数"))
PHASE_COLOURS = {DivorcePhase.COOLING_OFF: "#2c6fbb", DivorcePhase.WINDOW_OPEN: "#1b7f3b"}
NO_SELECTION = "请先在上方列表中选择一件申请"
STALE = "受理号 {app_id}：已录入的内容保留。请点击“刷新”重新读取，与当事人核对后再办理。"


def _date_zh(iso: str | None) -> str:
    if not iso:
        return ""
    d = dt.date.fromisoformat(iso)
    return f"{d.year}年{d.month}月{d.day}日"


def days_left_text(row: dict) -> str:
    n = row.get("days_left")
    if n is None:
        return ""
    target = "冷静期届满" if row.get("phase") == DivorcePhase.COOLING_OFF else "领证截止"
    return f"距{target}还有 {n} 天" if n > 0 else f"今日{target}"


class DivorceListModel(QAbstractTableModel):
    """Rows as DivorceService.pending() gives them (plain dicts)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._rows: list[dict] = []

    def set_rows(self, rows: list[dict]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row(self, r: int) -> dict:
        return self._rows[r]

    def rows(self) -> list[dict]:
        return list(self._rows)

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 — Qt naming
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._rows) or not 0 <= index.column() < len(COLUMNS):
            return None
        row = self._rows[index.row()]
        key = COLUMNS[index.column()][0]
        if role == Qt.ItemDataRole.DisplayRole:
            if key == "parties":
                return "、".join(row.get("parties") or [])
            if key in ("received", "cooling_off_ends", "collect_by"):
                return _date_zh(row.get(key))
            if key == "days_left":
                return days_left_text(row)
            value = row.get(key)
            return "" if value is None else str(value)
        if role == Qt.ItemDataRole.ForegroundRole and key == "phase_zh":
            colour = PHASE_COLOURS.get(row.get("phase"))
            return QBrush(QColor(colour)) if colour else None
        if role == Qt.ItemDataRole.ToolTipRole and key == "days_left":
            return (f"冷静期至 {_date_zh(row.get('cooling_off_ends'))}；"
                    f"领证期 {_date_zh(row.get('window_opens'))} 至 {_date_zh(row.get('collect_by'))}")
        if role == Qt.ItemDataRole.UserRole:
            return row.get("application_id")
        if role == Qt.ItemDataRole.TextAlignmentRole and key in ("application_id", "days_left"):
            return int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft)
        return None

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section][1] if 0 <= section < len(COLUMNS) else None
        return str(section + 1) if 0 <= section < len(self._rows) else None


# Whether an action may be taken is the service's answer (each row's `actions`, from the state table in the
# domain); the page only explains a disabled button.
def withdraw_block_reason(row: dict | None) -> str:
    if row is None:
        return NO_SELECTION
    if "withdraw" not in row.get("actions", ()):
        return f"只能在离婚冷静期内撤回（当前：{row.get('phase_zh', '')}）"
    return ""


def issue_block_reason(row: dict | None) -> str:
    if row is None:
        return NO_SELECTION
    if "issue" in row.get("actions", ()):
        return ""
    if row.get("phase") == DivorcePhase.COOLING_OFF:
        return f"冷静期未届满，{_date_zh(row.get('window_opens'))}起方可发给离婚证"
    return f"申请{row.get('phase_zh', '')}，不能发证"


class DivorceWorkList(QWidget):
    """The list and its actions. `changed` after a withdrawal or an issue; `print_withdrawal` asks the
    page to print the confirmation of the application just withdrawn."""

    changed = Signal()
    print_withdrawal = Signal(int)

    def __init__(self, service: DivorceService, confirm: Callable[[str, str], bool], parent: QWidget | None = None,
                 present: Callable[[BaseException], None] | None = None):
        super().__init__(parent)
        self.service = service
        self.confirm = confirm
        self.present = present    # the page's error presenter (RECORD_CHANGED is told there)
        self._party_for: int | None = None   # the application the 撤回人 choice was made for
        self.last_withdrawn: int | None = None
        self.last_result: dict | None = None

        self.only_mine = QCheckBox("只显示我受理的")
        self.only_mine.setChecked(True)
        self.refresh_button = QPushButton("刷新")
        self.count = QLabel()
        self.count.setObjectName("hint")
        top = QHBoxLayout()
        top.addWidget(self.only_mine)
        top.addWidget(self.count)
        top.addStretch(1)
        top.addWidget(self.refresh_button)

        self.model = DivorceListModel(self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setAlternatingRowColors(True)
        self.view.verticalHeader().setVisible(False)
        self.view.verticalHeader().setDefaultSectionSize(32)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setStretchLastSection(False)
        self.empty = QLabel("没有办理中的离婚申请。")
        self.empty.setObjectName("hint")

        self.withdraw_box = self._build_withdraw()
        self.issue_box = self._build_issue()
        self.message = QLabel()
        self.message.setObjectName("actionMessage")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.certificate_number = QLabel()
        self.certificate_number.setObjectName("certificateNumber")
        self.certificate_number.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.certificate_number.hide()

        actions = QHBoxLayout()
        actions.setSpacing(12)
        actions.addWidget(self.withdraw_box, 2)
        actions.addWidget(self.issue_box, 3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.empty)
        layout.addWidget(self.message)
        layout.addWidget(self.certificate_number)
        layout.addLayout(actions)

        self.only_mine.toggled.connect(lambda _b: self.refresh())
        self.refresh_button.clicked.connect(self.refresh)
        self.view.selectionModel().selectionChanged.connect(lambda *_a: self._selection_changed())
        self._selection_changed()

    # --- building -------------------------------------------------------------------------------
    def _build_withdraw(self) -> QGroupBox:
        box = QGroupBox("撤回申请（冷静期内，任何一方均可）")
        self.withdraw_party = QComboBox()
        self.slip_lost = QCheckBox("受理回执单遗失（须提交书面说明）")
        self.withdraw_note = QLineEdit()
        self.withdraw_note.setPlaceholderText("书面说明的要点")
        self.withdraw_note.setEnabled(False)
        self.slip_lost.toggled.connect(self.withdraw_note.setEnabled)
        self.withdraw_button = QPushButton("撤回")
        self.withdraw_button.clicked.connect(self.withdraw)
        self.print_withdrawal_button = QPushButton("打印撤回确认单")
        self.print_withdrawal_button.setEnabled(False)
        self.print_withdrawal_button.setToolTip("撤回后可打印")
        self.print_withdrawal_button.clicked.connect(
            lambda: self.last_withdrawn is not None and self.print_withdrawal.emit(self.last_withdrawn))
        form = QFormLayout(box)
        form.addRow("撤回人", self.withdraw_party)
        form.addRow(self.slip_lost)
        form.addRow("书面说明", self.withdraw_note)
        buttons = QHBoxLayout()
        buttons.addWidget(self.withdraw_button)
        buttons.addWidget(self.print_withdrawal_button)
        buttons.addStretch(1)
        form.addRow(buttons)
        self.withdraw_reason = QLabel()
        self.withdraw_reason.setObjectName("hint")
        self.withdraw_reason.setWordWrap(True)
        form.addRow(self.withdraw_reason)
        return box

    def _build_issue(self) -> QGroupBox:
        box = QGroupBox("发给离婚证（领证期内，双方共同到场）")
        self.both_present = QCheckBox("双方均已到场并出示身份证件")
        self.questioning: dict[str, QPlainTextEdit] = {}
        for key, who in (("party1", "男方"), ("party2", "女方")):
            edit = QPlainTextEdit()
            edit.setPlaceholderText(f"分别询问{who}的记录：是否自愿离婚，对协议有无异议")
            edit.setTabChangesFocus(True)
            edit.setFixedHeight(58)
            self.questioning[key] = edit
        self.signed = QCheckBox("双方已在监誓人面前签署声明书和离婚协议书")
        self.serials = [QLineEdit(), QLineEdit()]
        for edit, who in zip(self.serials, ("男方", "女方")):
            edit.setPlaceholderText(f"{who}离婚证印制号")
        self.issue_button = QPushButton("发证")
        self.issue_button.setObjectName("primary")
        self.issue_button.setMinimumHeight(34)
        self.issue_button.clicked.connect(self.issue)
        grid = QGridLayout(box)
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(6)
        grid.addWidget(self.both_present, 0, 0, 1, 4)
        grid.addWidget(QLabel("询问男方"), 1, 0, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(self.questioning["party1"], 1, 1)
        grid.addWidget(QLabel("询问女方"), 1, 2, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(self.questioning["party2"], 1, 3)
        grid.addWidget(self.signed, 2, 0, 1, 4)
        grid.addWidget(QLabel("印制号"), 3, 0)
        grid.addWidget(self.serials[0], 3, 1)
        grid.addWidget(self.serials[1], 3, 3)
        self.issue_reason = QLabel()
        self.issue_reason.setObjectName("hint")
        self.issue_reason.setWordWrap(True)
        grid.addWidget(self.issue_reason, 4, 0, 1, 3)
        grid.addWidget(self.issue_button, 4, 3, Qt.AlignmentFlag.AlignRight)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        return box

    # --- data -----------------------------------------------------------------------------------
    def refresh(self) -> None:
        selected = self.selected_id()
        try:
            rows = self.service.pending(only_mine=self.only_mine.isChecked())
        except RegistryError as exc:
            self.model.set_rows([])
            self.count.setText("")
            self.empty.setText(error_text(exc))
            self.empty.show()
            self._selection_changed()
            return
        self.model.set_rows(rows)
        self.count.setText(f"共 {len(rows)} 件")
        self.empty.setText("没有办理中的离婚申请。")
        self.empty.setVisible(not rows)
        self.select(selected)
        self._selection_changed()

    def select(self, app_id: int | None) -> None:
        for r, row in enumerate(self.model.rows()):
            if row["application_id"] == app_id:
                self.view.selectRow(r)
                return
        self.view.clearSelection()

    def selected_id(self) -> int | None:
        row = self.selected_row()
        return row["application_id"] if row else None

    def selected_row(self) -> dict | None:
        rows = self.view.selectionModel().selectedRows() if self.view.selectionModel() else []
        return self.model.row(rows[0].row()) if rows else None

    def _selection_changed(self) -> None:
        row = self.selected_row()
        names = (row or {}).get("parties") or []
        app_id = (row or {}).get("application_id")
        # the same application read again (刷新) keeps the party the clerk chose
        party = self.withdraw_party.currentData() if app_id is not None and app_id == self._party_for else None
        self._party_for = app_id
        self.withdraw_party.clear()
        for i, label in enumerate(("申请人一", "申请人二")):
            name = names[i] if i < len(names) else ""
            self.withdraw_party.addItem(f"{label}　{name}".strip(), i + 1)
        if party is not None:
            self.withdraw_party.setCurrentIndex(max(0, self.withdraw_party.findData(party)))
        for button, label, reason in ((self.withdraw_button, self.withdraw_reason, withdraw_block_reason(row)),
                                      (self.issue_button, self.issue_reason, issue_block_reason(row))):
            button.setEnabled(not reason)
            button.setToolTip(reason)
            label.setText(reason)   # also in plain sight: a tooltip needs the mouse

    # --- actions --------------------------------------------------------------------------------
    def withdraw(self) -> None:
        row = self.selected_row()
        if withdraw_block_reason(row):
            return
        party = self.withdraw_party.currentData()
        who = self.withdraw_party.currentText()
        if not self.confirm("撤回离婚登记申请", f"确定由{who}撤回受理号 {row['application_id']} 的离婚登记申请？"):
            return
        result = self._call("未能撤回", row, lambda: self.service.withdraw(
            row["application_id"], party, self.slip_lost.isChecked(), self.withdraw_note.text().strip(),
            version=row.get("version")))
        if result is None:
            return
        self.last_withdrawn = row["application_id"]
        self.print_withdrawal_button.setEnabled(True)
        self.print_withdrawal_button.setToolTip(f"受理号 {self.last_withdrawn} 的撤回确认单")
        self.message.setText(f"受理号 {self.last_withdrawn} 已由{who}撤回，离婚登记程序终止。可打印撤回确认单交当事人。")
        self.slip_lost.setChecked(False)
        self.withdraw_note.clear()
        self.changed.emit()
        self.refresh()

    def issue(self) -> None:
        row = self.selected_row()
        if issue_block_reason(row):
            return
        app_id = row["application_id"]
        if not self.confirm("发给离婚证", f"确认为受理号 {app_id}（{'、'.join(row.get('parties') or [])}）发给离婚证？"):
            return
        serials = [e.text().strip() for e in self.serials if e.text().strip()]
        result = self._call("未能发证", row, lambda: self.service.issue(
            app_id, both_present=self.both_present.isChecked(),
            questioning={k: e.toPlainText().strip() for k, e in self.questioning.items()},
            signed=self.signed.isChecked(), blank_serials=serials, version=row.get("version")))
        if result is None:
            return
        self.last_result = result
        self.certificate_number.setText(f"离婚证字号　{result['certificate_no']}")
        self.certificate_number.show()
        voided = "、".join(result.get("voided_marriage_certificates") or [])
        self.message.setText(f"受理号 {app_id} 已发给离婚证。"
                             + (f"结婚证 {voided} 已加注“双方离婚，证件失效”。" if voided else "")
                             + "离婚证在“证书打印”页面按字号打印。")
        self.both_present.setChecked(False)
        self.signed.setChecked(False)
        for e in list(self.questioning.values()):
            e.clear()
        for e in self.serials:
            e.clear()
        self.changed.emit()
        self.refresh()

    def _call(self, title: str, row: dict, fn):
        self.certificate_number.hide()
        try:
            return fn()
        except RecordChanged as exc:
            # who and when, through the page's presenter; the typed boxes stay, 刷新 reads the row again
            self.message.setText(f"{title}：\n· {error_text(exc)}\n{STALE.format(app_id=row['application_id'])}")
            if self.present is not None:
                self.present(exc)
            self.refresh_button.setFocus()
            return None
        except Exception as exc:  # noqa: BLE001 — the counter keeps working; the clerk is told
            self.message.setText(title + "：\n" + "\n".join(f"· {line}" for line in error_lines(exc)))
            return None


__all__ = ["DivorceListModel", "DivorceWorkList", "issue_block_reason", "withdraw_block_reason"]
