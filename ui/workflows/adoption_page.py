"""收养登记: one form that asks only what the case needs, next to the live checklist of the Civil
Code's conditions (CC 1093–1105) from AdoptionService.check. The page only collects and shows;
the rules and the registration itself are the service's."""
from __future__ import annotations

import datetime as dt
import re

from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QHeaderView,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from registry_app.domain.adoption import ConditionResult, Status
from registry_app.domain.adoption_rules import ADOPTEE_CONSENT_AGE
from registry_app.domain.ids import IdType, InvalidIdNumber, age_on, parse_resident_id, validate_document
from registry_app.errors import Issue, RegistryError
from registry_app.services.adoption import AdoptionService, status_label
from registry_app.services.workspace import office_settings
from ui.errors import error_text, present_error
from ui.fields import CheckedLineEdit
from ui.main_window import register_page
from ui.pages import PageBase

RELATIONSHIPS = [("无", "none"), ("三代以内同辈旁系血亲的子女", "collateral_relative_same_generation"),
                 ("继子女", "step_parent")]
MARITAL = [("未婚", "unmarried"), ("有配偶", "married"), ("离婚", "divorced"), ("丧偶", "widowed")]
SITUATIONS = [("丧失父母的孤儿", "orphan"), ("查找不到生父母", "parents_unknown"),
              ("生父母有特殊困难无力抚养", "parents_special_difficulty"),
              ("父母均无完全民事行为能力且可能严重危害该未成年人", "parents_incapable_harmful"),
              ("生父母有抚养能力（亲属或继父母收养）", "parents_able")]
PLACING = [("儿童福利机构", "welfare_institution"), ("孤儿的监护人", "guardian"), ("生父母", "birth_parents")]
CONCLUSIONS = [("适宜收养", "suitable"), ("不宜收养", "unsuitable")]
COLOURS = {Status.MET: "#1b7f3b", Status.FAILING: "#c62f2f", Status.WAIVED: "#2c6fbb",
           Status.NOT_APPLICABLE: "#8a8a8a"}
FIELD_NAMES = [("adopters[0]", "收养人（一）"), ("adopters[1]", "收养人（二）"), ("adoptee", "被收养人"),
               ("placing", "送养人"), ("assessment", "收养评估"), ("public_notice", "公告"),
               ("consents", "同意"), ("registration_date", "登记日期")]
_SPLIT = re.compile(r"[、，,；;\s]+")


def _combo(items: list[tuple[str, str]]) -> QComboBox:
    box = QComboBox()
    box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    box.setMinimumContentsLength(8)
    for label, value in items:
        box.addItem(label, value)
    return box


def _date_edit(value: dt.date) -> QDateEdit:
    edit = QDateEdit(QDate(value.year, value.month, value.day))
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    edit.setMinimumDate(QDate(1900, 1, 1))
    return edit


def _date(edit: QDateEdit) -> str:
    return edit.date().toString("yyyy-MM-dd")


def _resident_id_issue(value: str) -> Issue | None:
    return validate_document(IdType.RESIDENT, value)


def _where(field: str | None) -> str:
    for prefix, label in FIELD_NAMES:
        if field and field.startswith(prefix):
            return label + "："
    return ""


class _Form(QGroupBox):
    """A group box over a form layout whose rows can be shown or hidden by the case."""

    def __init__(self, title: str):
        super().__init__(title)
        self.form = QFormLayout(self)
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)

    def row(self, label: str, widget: QWidget) -> QWidget:
        self.form.addRow(label, widget)
        return widget

    def show_row(self, widget: QWidget, visible: bool) -> None:
        self.form.setRowVisible(widget, visible)


class AdopterForm(_Form):
    def __init__(self, title: str):
        super().__init__(title)
        self.name = self.row("姓名", QLineEdit())
        self.id_number = self.row("身份证号码", CheckedLineEdit(_resident_id_issue, "18位，出生日期和性别由号码读出"))
        self.derived = self.row("性别 / 出生日期", QLabel("—"))
        self.marital = self.row("婚姻状况", _combo(MARITAL))
        self.children = self.row("现有子女数（含收养）", QSpinBox())
        self.adopted = self.row("其中收养的子女数", QSpinBox())
        self.overseas = self.row("", QCheckBox("华侨"))
        self.able = self.row("", QCheckBox("声明：有抚养、教育和保护被收养人的能力"))
        self.health = self.row("", QCheckBox("声明：未患有医学上认为不应当收养子女的疾病"))
        self.record = self.row("", QCheckBox("声明：无不利于被收养人健康成长的违法犯罪记录"))
        self.id_number.edit.textChanged.connect(self._show_derived)

    def identity(self) -> tuple[str, str] | None:
        try:
            rid = parse_resident_id(self.id_number.text())
        except InvalidIdNumber:
            return None
        return rid.sex.value, rid.birth_date.isoformat()

    def _show_derived(self) -> None:
        ident = self.identity()
        self.derived.setText(f"{'男' if ident[0] == 'M' else '女'}，{ident[1]}" if ident else "—")

    def to_dict(self, married_couple: bool) -> dict:
        sex, birth = self.identity() or (None, None)
        return {
            "name": self.name.text().strip(), "sex": sex, "birth_date": birth, "id_type": IdType.RESIDENT.value,
            "id_number": self.id_number.text().strip().upper(),
            "marital_status": "married" if married_couple else self.marital.currentData(),
            "spouse_joins": married_couple, "children_count": self.children.value(),
            "adopted_children_count": min(self.adopted.value(), self.children.value()),
            "overseas_chinese": self.overseas.isVisible() and self.overseas.isChecked(),
            "able_to_raise": self.able.isChecked(), "no_unfit_disease": self.health.isChecked(),
            "no_harmful_criminal_record": self.record.isChecked(),
        }


class AdoptionPage(PageBase):
    title = "收养登记"

    def __init__(self, app_state, parent=None):
        super().__init__(app_state, parent)
        self.service = AdoptionService(app_state.ctx)
        self.results: list[ConditionResult] = []
        self.form_issues: list[Issue] = []
        self.registered: dict | None = None
        today = app_state.ctx.clock.today()
        self._building = True

        # --- the case -------------------------------------------------------------------------
        case = _Form("收养关系")
        self.relationship = case.row("收养人与被收养人的关系", _combo(RELATIONSHIPS))
        self.adopter_count = case.row("收养人人数", _combo([("1人", "1"), ("夫妻2人共同收养", "2")]))
        self.case_form = case

        self.adopter_forms = [AdopterForm("收养人（一）"), AdopterForm("收养人（二）")]

        child = _Form("被收养人")
        self.child_name = child.row("姓名", QLineEdit())
        self.child_id = child.row("身份证号码（如有）", CheckedLineEdit(_resident_id_issue, "没有可不填"))
        self.child_sex = child.row("性别", _combo([("男", "M"), ("女", "F")]))
        self.child_birth = child.row("出生日期", _date_edit(today))
        self.situation = child.row("被收养的情形", _combo(SITUATIONS))
        self.disabled = child.row("", QCheckBox("残疾未成年人"))
        self.in_institution = child.row("", QCheckBox("由儿童福利机构抚养"))
        self.child_form = child

        placing = _Form("送养人")
        self.placing_kind = placing.row("送养人", _combo(PLACING))
        self.institution = placing.row("福利机构名称", QLineEdit())
        self.guardian = placing.row("监护人姓名", QLineEdit())
        self.support_obligors = placing.row("", QCheckBox("有抚养义务的人已同意送养（或无有抚养义务的人）"))
        self.father = placing.row("生父姓名", QLineEdit())
        self.mother = placing.row("生母姓名", QLineEdit())
        self.both_place = placing.row("", QCheckBox("生父母双方共同送养"))
        self.other_missing = placing.row("", QCheckBox("另一方不明或查找不到，单方送养"))
        self.special_difficulty = placing.row("", QCheckBox("生父母有特殊困难，无力抚养"))
        self.placing_form = placing

        consents = _Form("同意")
        self.spouses_consent = consents.row("", QCheckBox("夫妻双方同意共同收养"))
        self.adoptee_consent = consents.row("", QCheckBox("被收养人（八周岁以上）本人同意"))
        self.birth_parent_consent = consents.row("", QCheckBox("被收养人的生父母同意继父母收养"))
        self.consents_form = consents

        notice = _Form("公告（查找不到生父母）")
        self.notice_started = notice.row("公告开始日期", _date_edit(today - dt.timedelta(days=61)))
        self.notice_days = notice.row("公告天数", QSpinBox())
        self.notice_days.setRange(1, 365)
        self.notice_days.setValue(60)
        self.notice_form = notice

        assess = _Form("收养评估")
        self.assess_body = assess.row("评估机构", QLineEdit())
        self.assessors = assess.row("评估人员", QLineEdit())
        self.assessors.setPlaceholderText("以顿号分隔，如：吴静、孙海峰")
        self.assess_by_office = assess.row("", QCheckBox("民政部门自行组织评估"))
        self.assess_started = assess.row("开始日期", _date_edit(today))
        self.assess_finished = assess.row("完成日期", _date_edit(today))
        self.assess_areas = assess.row("评估内容", QLineEdit())
        self.assess_areas.setPlaceholderText("以顿号分隔，如：收养动机、健康状况、经济及住房条件")
        self.conclusion = assess.row("评估结论", _combo(CONCLUSIONS))
        self.assess_form = assess

        issue = _Form("发证")
        self.blank_serial = issue.row("空白证书印制号", QLineEdit())
        self.blank_serial.setPlaceholderText("打印时再填可留空")
        self.remarks = issue.row("备注", QLineEdit())

        column = QWidget()
        col = QVBoxLayout(column)
        for box in (case, *self.adopter_forms, child, placing, consents, notice, assess, issue):
            col.addWidget(box)
        col.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(column)
        scroll.setMinimumWidth(520)

        # --- the checklist and the action --------------------------------------------------------
        right = QVBoxLayout()
        heading = QLabel("登记条件（民法典第1093条至第1105条）")
        heading.setObjectName("sectionTitle")
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.checklist = QTableWidget(0, 2)
        self.checklist.setObjectName("adoptionChecklist")
        self.checklist.setHorizontalHeaderLabels(["结果", "条件与说明"])
        self.checklist.verticalHeader().hide()
        self.checklist.setWordWrap(True)
        self.checklist.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.checklist.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.checklist.setAlternatingRowColors(True)
        header = self.checklist.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Fixed)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.checklist.setColumnWidth(0, 150)
        self.checklist.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.register_button = QPushButton("登记")
        self.register_button.setObjectName("primary")
        self.register_button.clicked.connect(self.register)
        self.new_button = QPushButton("办理下一件")
        self.new_button.clicked.connect(self.reset)
        self.result = QLabel()
        self.result.setObjectName("adoptionResult")
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QHBoxLayout()
        buttons.addWidget(self.register_button)
        buttons.addWidget(self.new_button)
        buttons.addStretch(1)
        right.addWidget(heading)
        right.addWidget(self.summary)
        right.addWidget(self.checklist, 1)
        right.addLayout(buttons)
        right.addWidget(self.result)

        body = QHBoxLayout()
        body.addWidget(scroll, 5)
        body.addLayout(right, 6)
        self.office_notice = QLabel()
        self.office_notice.setObjectName("notice")
        self.office_notice.hide()
        self.layout_.addWidget(self.office_notice)
        self.layout_.addLayout(body, 1)

        self.in_institution.setChecked(True)  # the default placing party is a welfare institution
        self.handles_adoption = True
        self._refreshing = False
        self._read_office()
        self._connect_all(column)
        self._building = False
        self.refresh()

    # --- wiring ----------------------------------------------------------------------------------
    @staticmethod
    def _line_edits(root: QWidget) -> list[QLineEdit]:
        # a date or number box keeps a line edit of its own inside: not a field of the form
        return [w for w in root.findChildren(QLineEdit) if not isinstance(w.parentWidget(), QAbstractSpinBox)]

    def _connect_all(self, root: QWidget) -> None:
        for w in self._line_edits(root):
            w.textChanged.connect(self.refresh)
        for w in root.findChildren(QComboBox):
            w.currentIndexChanged.connect(self.refresh)
        for w in root.findChildren(QCheckBox):
            w.toggled.connect(self.refresh)
        for w in root.findChildren(QSpinBox):
            w.valueChanged.connect(self.refresh)
        for w in root.findChildren(QDateEdit):
            w.dateChanged.connect(self.refresh)
        self.placing_kind.currentIndexChanged.connect(self._placing_changed)

    def _read_office(self) -> None:
        try:
            self.handles_adoption = office_settings(self.state.ctx).handles_adoption
        except RegistryError:
            self.handles_adoption = True
        if not self.handles_adoption:
            self.office_notice.setText("本登记机关未开办收养登记业务（办公设置），可以核对条件，不能登记。")
            self.office_notice.show()

    def _placing_changed(self) -> None:
        if self.placing_kind.currentData() == "welfare_institution":
            self.in_institution.setChecked(True)

    def on_shown(self) -> None:
        self._read_office()
        self.refresh()

    # --- what the case needs ---------------------------------------------------------------------
    @property
    def step_parent(self) -> bool:
        return self.relationship.currentData() == "step_parent"

    @property
    def collateral(self) -> bool:
        return self.relationship.currentData() == "collateral_relative_same_generation"

    @property
    def couple(self) -> bool:
        return self.adopter_count.currentData() == "2"

    def _child_identity(self) -> tuple[str, str] | None:
        if not self.child_id.text().strip():
            return None
        try:
            rid = parse_resident_id(self.child_id.text())
        except InvalidIdNumber:
            return None
        return rid.sex.value, rid.birth_date.isoformat()

    def _child_age(self) -> int:
        ident = self._child_identity()
        birth = dt.date.fromisoformat(ident[1]) if ident else self.child_birth.date().toPython()
        return age_on(birth, self.state.ctx.clock.today())

    def _number_exempt(self) -> bool:
        situation = self.situation.currentData()
        return (situation == "orphan" or self.disabled.isChecked()
                or (self.in_institution.isChecked() and situation == "parents_unknown"))

    def update_visibility(self) -> None:
        step, kind, situation = self.step_parent, self.placing_kind.currentData(), self.situation.currentData()
        if step:  # CC 1103: the step-father or step-mother alone, married to the child's parent
            self.adopter_count.setCurrentIndex(0)
            self.adopter_forms[0].marital.setCurrentIndex(self.adopter_forms[0].marital.findData("married"))
        self.adopter_count.setEnabled(not step)
        self.adopter_forms[1].setVisible(self.couple)
        self.adopter_forms[0].setTitle("收养人（一）" if self.couple else "收养人")
        for form in self.adopter_forms:
            form.show_row(form.marital, not self.couple and not step)
            counts = not step and not self._number_exempt()
            form.show_row(form.children, counts)
            form.show_row(form.adopted, counts)
            form.show_row(form.overseas, self.collateral)
            for box in (form.able, form.health, form.record):
                form.show_row(box, not step)
        ident = self._child_identity()
        if ident:
            self.child_sex.setCurrentIndex(self.child_sex.findData(ident[0]))
            y, m, d = (int(x) for x in ident[1].split("-"))
            self.child_birth.setDate(QDate(y, m, d))
        self.child_sex.setEnabled(ident is None)
        self.child_birth.setEnabled(ident is None)
        p = self.placing_form
        p.show_row(self.institution, kind == "welfare_institution")
        p.show_row(self.guardian, kind == "guardian")
        p.show_row(self.support_obligors, kind == "guardian" and situation == "orphan")
        for w in (self.father, self.mother, self.both_place, self.other_missing):
            p.show_row(w, kind == "birth_parents")
        p.show_row(self.special_difficulty, kind == "birth_parents" and not step and not self.collateral)
        c = self.consents_form
        c.show_row(self.spouses_consent, self.couple)
        c.show_row(self.adoptee_consent, self._child_age() >= ADOPTEE_CONSENT_AGE)
        c.show_row(self.birth_parent_consent, step)
        c.setVisible(self.couple or step or self._child_age() >= ADOPTEE_CONSENT_AGE)
        self.notice_form.setVisible(situation == "parents_unknown")
        self.assess_form.setVisible(not step)

    # --- the case as the service reads it --------------------------------------------------------
    def case_dict(self) -> dict:
        count = 2 if self.couple else 1
        adopters = [f.to_dict(self.couple) for f in self.adopter_forms[:count]]
        ident = self._child_identity()
        kind = self.placing_kind.currentData()
        if kind == "welfare_institution":
            names = [self.institution.text().strip()]
        elif kind == "guardian":
            names = [self.guardian.text().strip()]
        else:
            names = [n for n in (self.father.text().strip(), self.mother.text().strip()) if n]
        step = self.step_parent
        return {
            "relationship": self.relationship.currentData(),
            "adopters": adopters,
            "adoptee": {
                "name": self.child_name.text().strip(),
                "sex": ident[0] if ident else self.child_sex.currentData(),
                "birth_date": ident[1] if ident else _date(self.child_birth),
                "id_number": self.child_id.text().strip().upper() or None,
                "situation": self.situation.currentData(), "disabled": self.disabled.isChecked(),
                "in_welfare_institution": self.in_institution.isChecked(),
            },
            "placing": {
                "kind": kind, "names": names,
                "both_place": kind == "birth_parents" and self.both_place.isChecked(),
                "other_parent_unknown_or_missing": kind == "birth_parents" and self.other_missing.isChecked(),
                "special_difficulty": (kind == "birth_parents" and not step and not self.collateral
                                       and self.special_difficulty.isChecked()),
            },
            "consents": {
                "spouses": self.couple and self.spouses_consent.isChecked(),
                "adoptee": self._child_age() >= ADOPTEE_CONSENT_AGE and self.adoptee_consent.isChecked(),
                "birth_parent": step and self.birth_parent_consent.isChecked(),
                "support_obligors": self.support_obligors.isChecked(),
            },
            "assessment": None if step else {
                "body": self.assess_body.text().strip(),
                "assessors": [a for a in _SPLIT.split(self.assessors.text().strip()) if a],
                "performed_by_civil_affairs_office": self.assess_by_office.isChecked(),
                "started": _date(self.assess_started), "finished": _date(self.assess_finished),
                "areas": [a for a in _SPLIT.split(self.assess_areas.text().strip()) if a],
                "conclusion": self.conclusion.currentData(),
            },
            "public_notice": ({"started": _date(self.notice_started), "days": self.notice_days.value()}
                              if self.situation.currentData() == "parents_unknown" else None),
            "remarks": self.remarks.text().strip(),
        }

    def _form_issues(self) -> list[Issue]:
        """What must be typed before the conditions can be weighed at all."""
        out = []
        count = 2 if self.couple else 1
        for i, form in enumerate(self.adopter_forms[:count]):
            where = f"adopters[{i}]"
            if not form.name.text().strip():
                out.append(Issue("NAME_EMPTY", "请填写姓名", f"{where}.name"))
            problem = _resident_id_issue(form.id_number.text())
            if problem:
                out.append(Issue(problem.code, problem.message, f"{where}.id_number"))
        if not self.child_name.text().strip():
            out.append(Issue("NAME_EMPTY", "请填写姓名", "adoptee.name"))
        if self.child_id.text().strip() and self._child_identity() is None:
            problem = _resident_id_issue(self.child_id.text())
            out.append(Issue(problem.code if problem else "ID_INVALID", problem.message if problem else "身份证号码无效",
                             "adoptee.id_number"))
        names = self.case_dict()["placing"]["names"]
        if not names or not all(names):
            out.append(Issue("PLACING_NAMES_EMPTY", "请填写送养人名称或姓名", "placing.names"))
        if not self.step_parent and not self.assess_body.text().strip():
            out.append(Issue("ASSESSMENT_BODY_EMPTY", "请填写评估机构", "assessment.body"))
        return out

    # --- the checklist ---------------------------------------------------------------------------
    def refresh(self) -> None:
        if self._building or self._refreshing:
            return
        self._refreshing = True  # update_visibility may set widgets, which would call back here
        try:
            self.update_visibility()
            self.results, self.form_issues = [], self._form_issues()
            if not self.form_issues:
                try:
                    self.results = self.service.check(self.case_dict())
                except RegistryError as exc:
                    self.form_issues = exc.issues
            self._show_checklist()
            self._update_button()
        finally:
            self._refreshing = False

    def _where(self, field: str | None) -> str:
        where = _where(field)
        return where if self.couple else where.replace("收养人（一）", "收养人")

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
        if self.form_issues:
            self.summary.setText(f"还有{len(self.form_issues)}项须填写或更正，填完后显示全部登记条件。")
        elif failing:
            self.summary.setText(f"有{failing}项条件不符合，不能登记。")
        else:
            self.summary.setText("各项条件均符合或依法免除，可以登记。")
        colour = COLOURS[Status.MET] if self.can_register() else COLOURS[Status.FAILING]
        self.summary.setStyleSheet(f"color: {colour}; font-weight: bold;")

    def can_register(self) -> bool:
        return (bool(self.results) and not self.form_issues and self.registered is None and self.handles_adoption
                and not any(r.status is Status.FAILING for r in self.results))

    def _update_button(self) -> None:
        self.register_button.setEnabled(self.can_register())

    # --- actions ---------------------------------------------------------------------------------
    def register(self) -> None:
        if not self.can_register():
            return
        case = self.case_dict()
        adopters = "、".join(a["name"] for a in case["adopters"])
        if not self.state.prompter.confirm("确认登记", f"为收养人{adopters}收养{case['adoptee']['name']}办理收养登记？"):
            return
        try:
            result = self.service.register(case, blank_serial=self.blank_serial.text().strip() or None)
        except RegistryError as exc:
            # each reason also beside the condition it concerns, in the checklist
            self.form_issues = exc.issues
            self._show_checklist()
            self.result.setStyleSheet(f"color: {COLOURS[Status.FAILING]};")
            self.result.setText("未能登记：" + error_text(exc))
            present_error(self.state.prompter, exc, "未能登记")
            return
        self.registered = result
        self.result.setStyleSheet(f"color: {COLOURS[Status.MET]}; font-size: 18px; font-weight: bold;")
        self.result.setText(f"登记完成。收养登记证字号：{result['certificate_no']}")
        self._update_button()
        self.state.signals.records_changed.emit()

    def reset(self) -> None:
        """Clear the form for the next case."""
        self._building = True
        root = self.adopter_forms[0].parentWidget()
        for w in self._line_edits(root):
            w.clear()
        for w in root.findChildren(QCheckBox):
            w.setChecked(False)
        for w in root.findChildren(QComboBox):
            w.setCurrentIndex(0)
        for w in root.findChildren(QSpinBox):
            w.setValue(w.minimum())
        self.notice_days.setValue(60)
        self.in_institution.setChecked(True)
        self.registered = None
        self.result.clear()
        self._building = False
        self.refresh()


register_page("adoption", "收养登记", lambda state: AdoptionPage(state))
