"""颁证仪式: record a certificate ceremony or a group wedding (date, place, officiant, the registered marriages
in it by record number), add a couple later, print the list and a keepsake page per couple. The rules are
services.ceremonies'; the page only shows."""
from __future__ import annotations

import re

from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from registry_app.errors import Refused
from registry_app.services.ceremonies import KINDS, Ceremonies, CeremonyView
from ui.document_viewer import InAppPdfViewer, OpenPdf
from ui.errors import present_error
from ui.main_window import register_page
from ui.pages import PageBase
from ui.widgets.fields import DateField
from ui.workflows.record_detail import RowsModel, make_table


def parse_record_ids(text: str) -> list[object]:
    """'12, 15 ３' → [12, 15, 3]; anything not a number is passed on for the service to refuse by name."""
    out: list[object] = []
    for token in re.split(r"[\s,，、;；]+", text.strip()):
        if token:
            out.append(int(token) if token.isdigit() else token)
    return out


class CeremoniesPage(PageBase):
    title = "颁证仪式"

    def __init__(self, app_state, parent: QWidget | None = None, open_pdf: OpenPdf | None = None):
        super().__init__(app_state, parent)
        self.service = Ceremonies(app_state.ctx)
        self.open_pdf: OpenPdf = open_pdf or InAppPdfViewer(self)

        new = QGroupBox("记录仪式")
        self.kind = QComboBox()
        for key, text in KINDS.items():
            self.kind.addItem(text, key)
        self.day = DateField()
        self.day.set_date(app_state.ctx.clock.today())
        self.place = QLineEdit()
        self.place.setMaxLength(100)
        self.place.setPlaceholderText("如 婚姻登记处颁证厅")
        self.officiant = QLineEdit()
        self.officiant.setMaxLength(64)
        self.records = QLineEdit()
        self.records.setPlaceholderText("已登记的结婚登记记录号，多个用逗号分隔（可稍后添加）")
        self.add_button = QPushButton("记录仪式")
        grid = QGridLayout(new)
        for row, (label, widget) in enumerate((("类型", self.kind), ("日期", self.day), ("地点", self.place),
                                               ("主持人", self.officiant), ("新人记录号", self.records))):
            grid.addWidget(QLabel(label), row, 0)
            grid.addWidget(widget, row, 1)
        grid.addWidget(self.add_button, 5, 1)
        grid.setRowStretch(6, 1)

        chosen = QGroupBox("所选仪式")
        self.chosen_label = QLabel("请在右侧选择一场仪式")
        self.chosen_label.setWordWrap(True)
        self.couple = QLineEdit()
        self.couple.setPlaceholderText("结婚登记记录号")
        self.add_couple_button = QPushButton("加入新人")
        self.print_button = QPushButton("打印名单与纪念页")
        cl = QGridLayout(chosen)
        cl.addWidget(self.chosen_label, 0, 0, 1, 2)
        cl.addWidget(self.couple, 1, 0)
        cl.addWidget(self.add_couple_button, 1, 1)
        cl.addWidget(self.print_button, 2, 0, 1, 2)

        left = QVBoxLayout()
        left.addWidget(new)
        left.addWidget(chosen)
        left.addStretch(1)
        self.model = RowsModel(["编号", "类型", "日期", "地点", "主持人", "新人（对）", "记录号"])
        self.table = make_table(self.model, stretch=6)
        body = QHBoxLayout()
        body.addLayout(left, 2)
        body.addWidget(self.table, 3)
        self.layout_.addLayout(body, 1)

        self.add_button.clicked.connect(self.add)
        self.add_couple_button.clicked.connect(self.add_couple)
        self.print_button.clicked.connect(self.print_selected)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._show_chosen())
        self._show_chosen()

    # --- actions --------------------------------------------------------------------------------
    def add(self) -> None:
        if (issue := self.day.local_issue()) is not None:
            present_error(self.state.prompter, Refused([issue]), "记录仪式")
            return
        try:
            view = self.service.add(self.kind.currentData(), self.day.date(), self.place.text(),
                                    self.officiant.text(), parse_record_ids(self.records.text()))
        except Exception as exc:  # noqa: BLE001 — shown through the one presenter
            present_error(self.state.prompter, exc, "记录仪式")
            return
        self.place.clear()
        self.officiant.clear()
        self.records.clear()
        self.refresh(select=view.id)

    def add_couple(self) -> None:
        chosen = self.selected()
        if chosen is None:
            return
        ids = parse_record_ids(self.couple.text()) or [""]
        try:
            view = self.service.add_couple(chosen.id, ids[0])
        except Exception as exc:  # noqa: BLE001
            present_error(self.state.prompter, exc, "加入新人")
            return
        self.couple.clear()
        self.refresh(select=view.id)

    def print_selected(self) -> None:
        chosen = self.selected()
        if chosen is None:
            return
        try:
            pdf = self.service.print(chosen.id)
        except Exception as exc:  # noqa: BLE001
            present_error(self.state.prompter, exc, "打印仪式名单")
            return
        self.open_pdf(pdf, f"{chosen.kind_zh}名单 {chosen.day.isoformat()}")

    # --- showing --------------------------------------------------------------------------------
    def selected(self) -> CeremonyView | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.item(rows[0].row()) if rows else None

    def _show_chosen(self) -> None:
        c = self.selected()
        self.chosen_label.setText(f"{c.kind_zh}　{c.day.isoformat()}　{c.place}　{len(c.record_ids)}对新人"
                                  if c else "请在右侧选择一场仪式")
        for w in (self.couple, self.add_couple_button):
            w.setEnabled(c is not None)
        self.print_button.setEnabled(c is not None and bool(c.record_ids))

    def refresh(self, select: int | None = None) -> None:
        try:
            views = self.service.list()
        except Exception as exc:  # noqa: BLE001
            present_error(self.state.prompter, exc, "颁证仪式")
            return
        self.model.set_rows([(str(v.id), v.kind_zh, v.day.isoformat(), v.place, v.officiant,
                              str(len(v.record_ids)), "、".join(map(str, v.record_ids))) for v in views], views)
        for row, v in enumerate(views):
            if v.id == select:
                self.table.selectRow(row)
        self._show_chosen()

    def on_shown(self) -> None:
        self.refresh()
        self.place.setFocus()


register_page("ceremonies", "颁证仪式", lambda state: CeremoniesPage(state))
