"""婚育户一件事 at the counter: a box the marriage (or divorce) page shows once the registration is done.

The clerk ticks what the couple asks for, ticks each party's signed consent, submits; a request not yet
sent may be withdrawn by either party; the receipt prints. The service decides everything (states,
consent, fields); the box only shows what it says.
"""
from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from registry_app.domain.joint_service import request_types
from registry_app.domain.states import JointRequestState
from registry_app.errors import RegistryError
from registry_app.services.joint_service import JointService
from ui.errors import present_error


class JointServiceBox(QGroupBox):
    def __init__(self, ctx, prompter, open_pdf, parent: QWidget | None = None):
        super().__init__("婚育户一件事（经双方同意，推送至公安、卫健部门）", parent)
        self.ctx, self.prompter, self.open_pdf = ctx, prompter, open_pdf
        self.record_id: int | None = None
        self.views: list = []
        types = request_types()
        column = QVBoxLayout(self)
        self.ticks: dict[str, QCheckBox] = {}
        for key, t in types.items():
            box = QCheckBox(f"{t.zh}（{t.department_zh}）")
            box.setToolTip("推送内容：" + t.fields_zh())
            self.ticks[key] = box
            column.addWidget(box)
        form = QFormLayout()
        self.mover = QComboBox()
        self.mover.addItems(["男方迁入女方户籍地", "女方迁入男方户籍地"])
        self.destination = QLineEdit()
        self.destination.setMaxLength(100)
        self.destination.setPlaceholderText("拟迁入地址（投靠方户籍地址）")
        self.phone = QLineEdit()
        self.phone.setMaxLength(20)
        self.children = QSpinBox()
        self.children.setRange(0, 20)
        form.addRow("投靠落户", self.mover)
        form.addRow("拟迁入地址", self.destination)
        form.addRow("联系电话", self.phone)
        form.addRow("已生育子女数", self.children)
        column.addLayout(form)
        consent_row = QHBoxLayout()
        signed = QVBoxLayout()  # one line each: a name makes the text longer than a shared row allows
        self.consent = [QCheckBox("男方已签字同意"), QCheckBox("女方已签字同意")]
        for c in self.consent:
            signed.addWidget(c)
        consent_row.addLayout(signed, 1)
        self.submit = QPushButton("提交联办申请")
        self.submit.clicked.connect(self.request)
        consent_row.addWidget(self.submit)
        column.addLayout(consent_row)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["事项", "推送至", "状态"])
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setMaximumHeight(120)
        column.addWidget(self.table)
        actions = QHBoxLayout()
        self.withdraw_party = QComboBox()
        self.withdraw_party.addItems(["男方撤回同意", "女方撤回同意"])
        self.withdraw_button = QPushButton("撤回所选事项")
        self.withdraw_button.clicked.connect(self.withdraw)
        self.receipt_button = QPushButton("打印联办告知单")
        self.receipt_button.clicked.connect(self.print_receipt)
        actions.addWidget(self.withdraw_party)
        actions.addWidget(self.withdraw_button)
        actions.addStretch(1)
        actions.addWidget(self.receipt_button)
        column.addLayout(actions)
        self.note = QLabel("")
        self.note.setWordWrap(True)
        column.addWidget(self.note)
        self.set_record(None)

    # --- state --------------------------------------------------------------------------------
    def set_record(self, record_id: int | None, names: tuple[str, str] | None = None) -> None:
        self.record_id = record_id
        for box in self.ticks.values():
            box.setChecked(False)
        for c, who, name in zip(self.consent, ("男方", "女方"), names or ("", "")):
            c.setChecked(False)
            c.setText(f"{who}{('（' + name + '）') if name else ''}已签字同意")
        self.destination.clear()
        self.phone.clear()
        self.children.setValue(0)
        self.note.clear()
        self.refresh()

    def refresh(self) -> None:
        self.views = []
        if self.record_id is not None:
            try:
                self.views = JointService(self.ctx).list(self.record_id)
            except RegistryError as exc:
                present_error(self.prompter, exc, "联办事项")
        self.table.setRowCount(len(self.views))
        for row, v in enumerate(self.views):
            for col, text in enumerate((v.request_zh, v.department_zh, v.status_zh)):
                self.table.setItem(row, col, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        live = {v.request_type for v in self.views if v.status != JointRequestState.WITHDRAWN}
        for key, box in self.ticks.items():
            box.setEnabled(self.record_id is not None and key not in live)
        self.submit.setEnabled(self.record_id is not None)
        self.withdraw_button.setEnabled(any(v.status == JointRequestState.REQUESTED for v in self.views))
        self.receipt_button.setEnabled(bool(live))

    # --- actions ------------------------------------------------------------------------------
    def _details(self, key: str) -> dict | None:
        if key == "hukou_transfer":
            return {"mover": self.mover.currentIndex() + 1, "destination": self.destination.text(),
                    "phone": self.phone.text()}
        if key == "birth_registration":
            return {"phone": self.phone.text(), "children_before": self.children.value()}
        return None

    def request(self) -> None:
        if self.record_id is None:
            return
        chosen = [k for k, box in self.ticks.items() if box.isChecked() and box.isEnabled()]
        if not chosen:
            self.note.setText("请先勾选当事人申请的联办事项。")
            return
        consents = [n for n, c in enumerate(self.consent, start=1) if c.isChecked()]
        done = []
        for key in chosen:
            try:
                JointService(self.ctx).request(self.record_id, key, consents, self._details(key))
                done.append(request_types()[key].zh)
            except RegistryError as exc:
                present_error(self.prompter, exc, f"未能申请“{request_types()[key].zh}”")
                break
        if done:
            self.note.setText("已申请：" + "、".join(done) + "。将随今日日终数据推送；推送前任何一方可撤回同意。")
        self.refresh()

    def withdraw(self) -> None:
        row = self.table.currentRow()
        pending = [v for v in self.views if v.status == JointRequestState.REQUESTED]
        view = self.views[row] if 0 <= row < len(self.views) else (pending[0] if len(pending) == 1 else None)
        if view is None:
            self.note.setText("请先在表中选择要撤回的事项。")
            return
        try:
            JointService(self.ctx).withdraw(view.id, self.withdraw_party.currentIndex() + 1, "当事人撤回同意")
        except RegistryError as exc:
            present_error(self.prompter, exc, "未能撤回")
            return
        self.note.setText(f"“{view.request_zh}”已撤回，不再推送。")
        self.refresh()

    def print_receipt(self) -> None:
        if self.record_id is None:
            return
        try:
            pdf = JointService(self.ctx).receipt(self.record_id)
        except RegistryError as exc:
            present_error(self.prompter, exc, "打印联办告知单")
            return
        self.open_pdf(pdf, "婚育户一件事联办告知单")


__all__ = ["JointServiceBox"]
