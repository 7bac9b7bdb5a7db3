"""The divorce agreement (离婚协议书, CC 1076) as structured items: children with custody and support,
property, debts, and the signed text. Collects only; domain/divorce_rules.agreement_issues decides."""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ui.widgets.fields import parse_date_text

CUSTODY = (("party1", "男方"), ("party2", "女方"))
OWNERS = (("party1", "男方"), ("party2", "女方"), ("both", "双方共有"))
DEBTORS = (("party1", "男方"), ("party2", "女方"), ("both", "双方共同"))


def yes_no(yes: str, no: str) -> QComboBox:
    """A fact answered yes or no, starting unanswered: a skipped question is missing input, never a
    "no" (which is a legal refusal, domain/divorce_rules.py). `answer()` reads it as True/False/None."""
    box = QComboBox()
    for value, text in (("", "请选择"), ("yes", yes), ("no", no)):
        box.addItem(text, value)
    return box


def answer(box: QComboBox) -> bool | None:
    return {"yes": True, "no": False}.get(box.currentData())


def set_answer(box: QComboBox, value: bool | None) -> None:
    box.setCurrentIndex(box.findData({True: "yes", False: "no"}.get(value, "")))


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: str = "text"          # text | date | amount | choice
    choices: tuple = ()
    width: int = 0              # 0: stretch


class ItemTable(QWidget):
    """A small editable table (one agreement item a row) with 添加 / 删除 buttons. Choice columns are
    combo boxes; the others are typed into the cell."""

    changed = Signal()

    def __init__(self, columns: list[Column], add_text: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.columns = columns
        self.table = QTableWidget(0, len(columns))
        self.table.setHorizontalHeaderLabels([c.header for c in columns])
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.AllEditTriggers)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table: keyboard flow of the form
        header = self.table.horizontalHeader()
        for i, c in enumerate(columns):
            if c.width:
                header.setSectionResizeMode(i, QHeaderView.ResizeMode.Interactive)
                self.table.setColumnWidth(i, c.width)
            else:
                header.setSectionResizeMode(i, QHeaderView.ResizeMode.Stretch)
        self.table.itemChanged.connect(self._item_changed)
        self.add_button = QPushButton(add_text)
        self.remove_button = QPushButton("删除所选")
        self.add_button.clicked.connect(lambda: self.add_row())
        self.remove_button.clicked.connect(self.remove_selected)
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        self._fit_height()

    def _item_changed(self, item: QTableWidgetItem) -> None:
        item.setToolTip(item.text())   # a long schedule or item stays readable when the cell cuts it
        self.changed.emit()

    def _fit_height(self) -> None:
        rows = max(1, self.table.rowCount())
        h = self.table.horizontalHeader().sizeHint().height() + rows * 34 + 6
        self.table.setFixedHeight(min(h, 230))

    def add_row(self, values: dict | None = None) -> int:
        values = values or {}
        row = self.table.rowCount()
        self.table.blockSignals(True)
        self.table.insertRow(row)
        self.table.setRowHeight(row, 34)
        for col, c in enumerate(self.columns):
            value = values.get(c.key, "")
            if c.kind == "choice":
                box = QComboBox()
                for key, text in c.choices:
                    box.addItem(text, key)
                i = box.findData(value)
                box.setCurrentIndex(i if i >= 0 else 0)
                box.currentIndexChanged.connect(lambda _i: self.changed.emit())
                self.table.setCellWidget(row, col, box)
            else:
                text = "" if value is None else (f"{value:g}" if isinstance(value, float) else str(value))
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(row, col, item)
        self.table.blockSignals(False)
        self._fit_height()
        self.changed.emit()
        return row

    def remove_selected(self) -> None:
        rows = sorted({i.row() for i in self.table.selectedIndexes()}, reverse=True)
        if not rows and self.table.currentRow() >= 0:
            rows = [self.table.currentRow()]
        for row in rows:
            self.table.removeRow(row)
        self._fit_height()
        self.changed.emit()

    def clear_rows(self) -> None:
        self.table.setRowCount(0)
        self._fit_height()
        self.changed.emit()

    def set_cell(self, row: int, key: str, value: str) -> None:
        """What typing into a cell does (tests and pre-filling)."""
        col = [c.key for c in self.columns].index(key)
        widget = self.table.cellWidget(row, col)
        if isinstance(widget, QComboBox):
            widget.setCurrentIndex(max(0, widget.findData(value)))
        else:
            self.table.item(row, col).setText(value)

    def rows(self) -> list[dict]:
        """Every non-empty row as a dict; a date is ISO if it parses (else as typed, for the service
        to refuse), an amount a number if it parses (else left out: the service says it is missing)."""
        out = []
        for row in range(self.table.rowCount()):
            d: dict = {}
            empty = True
            for col, c in enumerate(self.columns):
                if c.kind == "choice":
                    d[c.key] = self.table.cellWidget(row, col).currentData()
                    continue
                item = self.table.item(row, col)
                text = (item.text() if item else "").strip()
                if text:
                    empty = False
                if c.kind == "date":
                    parsed = parse_date_text(text)
                    d[c.key] = parsed.isoformat() if parsed else text
                elif c.kind == "amount":
                    try:
                        amount = float(text.replace(",", "").replace("，", "").replace("元", ""))
                    except ValueError:
                        continue
                    d[c.key] = int(amount) if amount.is_integer() else amount
                else:
                    d[c.key] = text
            if not empty:
                out.append(d)
        return out


class AgreementForm(QGroupBox):
    """The items of the agreement; `agreement()` gives the dict DivorceService expects."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__("离婚协议", parent)
        self.will = yes_no("协议写明双方自愿离婚", "双方未达成离婚协议")
        self.will.setToolTip("离婚协议是否写明双方自愿离婚的意思表示（民法典第1076条）")
        self.has_children = QCheckBox("双方有共同子女（须写明抚养安排）")
        self.children = ItemTable([
            Column("name", "子女姓名", width=100), Column("birth_date", "出生日期", "date", width=112),
            Column("custody", "直接抚养方", "choice", CUSTODY, width=104),
            Column("support_amount", "抚养费（元/月）", "amount", width=130),
            Column("support_schedule", "支付方式与期限"),
        ], "添加子女")
        self.property = ItemTable([Column("item", "财产"), Column("to", "归属", "choice", OWNERS, width=110)],
                                  "添加财产")
        self.debts = ItemTable([Column("item", "债务"), Column("borne_by", "承担方", "choice", DEBTORS, width=110)],
                               "添加债务")
        self.signed_text = QPlainTextEdit()
        self.signed_text.setPlaceholderText("双方签名的离婚协议书文本（照录或摘要）")
        self.signed_text.setTabChangesFocus(True)
        self.signed_text.setFixedHeight(84)

        layout = QVBoxLayout(self)
        layout.setSpacing(6)
        checks = QHBoxLayout()
        checks.addWidget(QLabel("离婚意思表示"))
        checks.addWidget(self.will)
        checks.addWidget(self.has_children)
        checks.addStretch(1)
        layout.addLayout(checks)
        for title, widget in (("子女抚养", self.children), ("财产处理（无则不填）", self.property),
                              ("债务处理（无则不填）", self.debts), ("协议书文本", self.signed_text)):
            label = QLabel(title)
            label.setObjectName("subheading")
            layout.addWidget(label)
            layout.addWidget(widget)
        for w in (self.children, self.property, self.debts):
            w.changed.connect(self.changed.emit)
        self.will.currentIndexChanged.connect(lambda _i: self.changed.emit())
        self.has_children.toggled.connect(lambda _b: self.changed.emit())
        self.signed_text.textChanged.connect(self.changed.emit)

    def inputs(self) -> list[QWidget]:
        return [self.will, self.has_children, self.children.table, self.children.add_button,
                self.property.table, self.property.add_button, self.debts.table, self.debts.add_button,
                self.signed_text]

    def agreement(self) -> dict:
        return {"will_to_divorce": answer(self.will), "has_children": self.has_children.isChecked(),
                "children": self.children.rows(), "property": self.property.rows(), "debts": self.debts.rows(),
                "signed_text": self.signed_text.toPlainText().strip()}

    def set_agreement(self, a: dict) -> None:
        set_answer(self.will, a.get("will_to_divorce"))
        self.has_children.setChecked(bool(a.get("has_children")))
        for table, key in ((self.children, "children"), (self.property, "property"), (self.debts, "debts")):
            table.clear_rows()
            for row in a.get(key) or []:
                table.add_row(row)
        self.signed_text.setPlainText(a.get("signed_text", ""))

    def clear(self) -> None:
        self.set_agreement({})


__all__ = ["AgreementForm", "Column", "ItemTable", "answer", "set_answer", "yes_no"]
