"""收养登记: the form (adoption_form.py) asks only what the case needs, next to the live checklist of the
Civil Code's conditions (CC 1093–1105) from AdoptionService.check; each failing condition is also shown
under its field. The page only collects and shows; the rules and the registration are the service's.
After registration the certificate is printed from the certificates page (打印收养登记证)."""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QBrush, QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from registry_app.domain.adoption import ConditionResult, Status
from registry_app.errors import Issue, Refused, RegistryError
from registry_app.services.adoption import AdoptionService, status_label
from registry_app.services.workspace import office_settings
from ui.errors import error_text, present_error
from ui.main_window import register_page
from ui.pages import PageBase
from ui.widgets import KeyboardFlow
from ui.widgets.card_reader import CardReading
from ui.workflows.adoption_form import AdoptionForm

COLOURS = {Status.MET: "#1b7f3b", Status.FAILING: "#c62f2f", Status.WAIVED: "#2c6fbb",
           Status.NOT_APPLICABLE: "#8a8a8a"}
FIELD_NAMES = [("adopters[0]", "收养人（一）"), ("adopters[1]", "收养人（二）"), ("adoptee", "被收养人"),
               ("placing", "送养人"), ("assessment", "收养评估"), ("public_notice", "公告"),
               ("consents", "同意"), ("registration_date", "登记日期")]


PAGE_STYLE = """
QCheckBox[invalid="true"] { color: #c62f2f; }
QComboBox[invalid="true"] { border: 2px solid #c62f2f; }
QSpinBox[invalid="true"] { border: 2px solid #c62f2f; }
"""


def _where(field: str | None) -> str:
    for prefix, label in FIELD_NAMES:
        if field and field.startswith(prefix):
            return label + "："
    return ""


class AdoptionPage(PageBase):
    title = "收养登记"

    def __init__(self, app_state, parent=None):
        super().__init__(app_state, parent)
        self.service = AdoptionService(app_state.ctx)
        self.results: list[ConditionResult] = []
        self.form_issues: list[Issue] = []
        self.registered: dict | None = None
        self.reveal = False  # asked to register once: fields left empty are marked too
        self.setStyleSheet(PAGE_STYLE)
        self._building = True
        self._refreshing = False

        self.form = AdoptionForm(app_state.ctx.clock.today)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self.form)
        scroll.setMinimumWidth(self.form.minimumSizeHint().width() + scroll.verticalScrollBar().sizeHint().width() + 4)
        self.form_scroll = scroll
        # 读卡 (F9): into the adopter or the adoptee with the focus, else the first shown with no name yet
        self.card = CardReading(self.state, [*self.form.adopter_forms, self.form.child_form], self,
                                purpose="adoption")
        left = QVBoxLayout()
        left.addWidget(self.card)
        left.addWidget(scroll, 1)

        right = QVBoxLayout()
        heading = QLabel("登记条件（民法典第1093条至第1105条）")
        heading.setObjectName("sectionTitle")
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.checklist = self._build_checklist()
        self.register_button = QPushButton("登记（Ctrl+Enter）")
        self.register_button.setObjectName("primary")
        self.register_button.setMinimumHeight(40)
        self.register_button.clicked.connect(self.register)
        self.print_button = QPushButton("打印收养登记证")
        self.print_button.setObjectName("primary")
        self.print_button.setMinimumHeight(40)
        self.print_button.clicked.connect(self.print_certificate)
        self.new_button = QPushButton("办理下一件")
        self.new_button.clicked.connect(self.reset)
        self.result = QLabel()
        self.result.setObjectName("adoptionResult")
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QHBoxLayout()
        for button in (self.register_button, self.print_button, self.new_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        right.addWidget(heading)
        right.addWidget(self.summary)
        right.addWidget(self.checklist, 1)
        right.addLayout(buttons)
        right.addWidget(self.result)

        body = QHBoxLayout()
        body.addLayout(left, 5)
        body.addLayout(right, 6)
        self.office_notice = QLabel()
        self.office_notice.setObjectName("notice")
        self.office_notice.hide()
        self.layout_.addWidget(self.office_notice)
        self.layout_.addLayout(body, 1)
        for seq in ("Ctrl+Return", "Ctrl+Enter"):
            shortcut = QShortcut(QKeySequence(seq), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(self.register)

        self.handles_adoption = True
        self._read_office()
        self.form.connect_changes(self.refresh)
        self.flow = KeyboardFlow(self.register, self)
        self.flow.watch(*self.form.inputs())
        self._building = False
        self.refresh()

    def _build_checklist(self) -> QTableWidget:
        table = QTableWidget(0, 2)
        table.setObjectName("adoptionChecklist")
        table.setHorizontalHeaderLabels(["结果", "条件与说明"])
        table.verticalHeader().hide()
        table.setWordWrap(True)
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        table.setAlternatingRowColors(True)
        header = table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Fixed)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        table.setColumnWidth(0, 150)
        table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        return table

    def _read_office(self) -> None:
        try:
            self.handles_adoption = office_settings(self.state.ctx).handles_adoption
        except RegistryError:
            self.handles_adoption = True
        if not self.handles_adoption:
            self.office_notice.setText("本登记机关未开办收养登记业务（办公设置），可以核对条件，不能登记。")
            self.office_notice.show()

    def on_shown(self) -> None:
        self._read_office()
        self.refresh()

    # --- the checklist ---------------------------------------------------------------------------
    def refresh(self) -> None:
        if self._building or self._refreshing:
            return
        self._refreshing = True  # update_visibility may set widgets, which would call back here
        try:
            self.form.update_visibility()
            self.results, self.form_issues = [], self.form.local_issues()
            if not self.form_issues:
                try:
                    self.results = self.service.check(self.form.case_dict())
                except RegistryError as exc:
                    self.form_issues = exc.issues
            self._show_checklist()
            self.form.show_issues(self.field_issues(), self.reveal)
            self._update_buttons()
        finally:
            self._refreshing = False

    def field_issues(self) -> list[Issue]:
        """What is wrong, field by field: input still to give, then the conditions that fail."""
        return self.form_issues + [r.issue() for r in self.results if r.status is Status.FAILING]

    def _where(self, field: str | None) -> str:
        where = _where(field)
        return where if self.form.couple else where.replace("收养人（一）", "收养人")

    def _add_row(self, label: str, text: str, status: str, colour: str, tip: str = "") -> None:
        row = self.checklist.rowCount()
        self.checklist.insertRow(row)
        for column, value in enumerate((label, text)):
            item = QTableWidgetItem(value)
            item.setForeground(QBrush(QColor(colour)))
            item.setData(Qt.ItemDataRole.UserRole, status)
            if tip:
                item.setToolTip(tip)
            self.checklist.setItem(row, column, item)

    def checklist_rows(self) -> list[tuple[str, str, str]]:
        """(status, label, text) of every row, as shown."""
        t = self.checklist
        return [(t.item(r, 0).data(Qt.ItemDataRole.UserRole), t.item(r, 0).text(), t.item(r, 1).text())
                for r in range(t.rowCount())]

    def _show_checklist(self) -> None:
        self.checklist.setRowCount(0)
        for issue in self.form_issues:
            self._add_row("待填写", f"{self._where(issue.field)}{issue.message}", "incomplete", COLOURS[Status.FAILING])
        for r in self.results:
            self._add_row(status_label(r), f"{r.title}（{r.article}）\n{r.message}", r.status.value,
                          COLOURS[r.status], r.message)
        failing = sum(r.status is Status.FAILING for r in self.results)
        if self.registered is not None:
            self.summary.setText("已登记。")
        elif self.form_issues:
            self.summary.setText(f"还有{len(self.form_issues)}项须填写或更正，填完后显示全部登记条件。")
        elif failing:
            self.summary.setText(f"有{failing}项条件不符合，不能登记（见标红的字段）。")
        else:
            self.summary.setText("各项条件均符合或依法免除，可以登记。")
        colour = COLOURS[Status.MET] if self.can_register() or self.registered else COLOURS[Status.FAILING]
        self.summary.setStyleSheet(f"color: {colour}; font-weight: bold;")

    def can_register(self) -> bool:
        return (bool(self.results) and not self.form_issues and self.registered is None and self.handles_adoption
                and not any(r.status is Status.FAILING for r in self.results))

    def _update_buttons(self) -> None:
        # 登记 stays available while the case is open: pressing it with a field missing says which, at the field
        self.register_button.setEnabled(self.registered is None and self.handles_adoption)
        self.register_button.setVisible(self.registered is None)
        self.print_button.setVisible(self.registered is not None)
        self.form.setEnabled(self.registered is None)
        self.card.setEnabled(self.registered is None)

    # --- actions ---------------------------------------------------------------------------------
    def register(self) -> None:
        if self.registered is not None or not self.handles_adoption:
            return
        self.reveal = True
        self.refresh()
        if not self.can_register():
            self._point_at(self.field_issues())
            return
        case = self.form.case_dict()
        adopters = "、".join(a["name"] for a in case["adopters"])
        # what was typed over a read card is said where the clerk confirms, to check it with the card
        typed_over = any(self.card.changed_fields(i) for i in range(len(self.card.forms)))
        note = "\n\n" + self.card.status.text() if typed_over else ""
        if not self.state.prompter.confirm("确认登记", f"为收养人{adopters}收养{case['adoptee']['name']}办理收养登记？{note}"):
            return
        try:
            result = self.service.register(case, blank_serial=self.form.blank_serial.text().strip() or None)
        except Refused as exc:  # each reason in the checklist and under the field it concerns
            self.form_issues = exc.issues
            self._show_checklist()
            self.form.show_issues(exc.issues, True)
            self._point_at(exc.issues)
            return
        except Exception as exc:  # noqa: BLE001 — the counter keeps working; the clerk is told
            self.result.setStyleSheet(f"color: {COLOURS[Status.FAILING]};")
            self.result.setText("未能登记：" + error_text(exc))
            present_error(self.state.prompter, exc, "未能登记")
            return
        self.registered = result
        self.result.setStyleSheet(f"color: {COLOURS[Status.MET]}; font-size: 18px; font-weight: bold;")
        self.result.setText(f"登记完成。收养登记证字号：{result['certificate_no']}")
        self._show_checklist()
        self._update_buttons()
        self.state.signals.records_changed.emit()
        self.print_button.setFocus()

    def _point_at(self, issues: list[Issue]) -> None:
        self.result.setStyleSheet(f"color: {COLOURS[Status.FAILING]};")
        self.result.setText("不能登记：请先更正标红的字段。")
        slot = self.form.first_slot(issues)
        if slot is not None:
            slot.setFocus()
            # after the error labels just shown have been laid out, or the position is stale
            QTimer.singleShot(0, lambda: self.form_scroll.ensureWidgetVisible(slot))

    def print_certificate(self) -> None:
        if self.registered is None:
            return
        # The certificates page owns preview, calibration and printing; it opens on this certificate.
        self.state.signals.open_certificate.emit(self.registered["certificate_no"])

    def reset(self) -> None:
        """Clear the form for the next case."""
        self._building = True
        self.form.clear()
        self.card.forget()
        self.registered = None
        self.reveal = False
        self.result.clear()
        self._building = False
        self.refresh()


register_page("adoption", "收养登记", lambda state: AdoptionPage(state))
