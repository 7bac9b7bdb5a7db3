"""The adoption form (收养登记): the groups of fields, what the case needs shown, the case as the service
reads it, and each error at its field. Collects and shows only: the conditions are domain/adoption_rules.py's.

Nothing starts filled with a fact the clerk did not give: the child's birth date and sex, the situation,
the assessment dates, the public-notice date and the assessment conclusion start empty or on 请选择, so a
skipped field is reported at the field and can never register a wrong fact. Dates are typed (DateField)."""
from __future__ import annotations

import datetime as dt
import re

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from registry_app.domain.adoption_case import PUBLIC_NOTICE_DAYS
from registry_app.domain.adoption_rules import (
    ADOPTEE_CONSENT_AGE,
    needs_adoptee_consent,
    number_limit_exempt,
)
from registry_app.domain.ids import (
    IdType,
    InvalidIdNumber,
    parse_resident_id,
    validate_document,
)
from registry_app.errors import Issue
from ui.fields import CheckedLineEdit, IssueSlot
from ui.widgets import DateField

CHOOSE = ("请选择", "")
RELATIONSHIPS = [("无", "none"), ("三代以内同辈旁系血亲的子女", "collateral_relative_same_generation"),
                 ("继子女", "step_parent")]
MARITAL = [("未婚", "unmarried"), ("有配偶", "married"), ("离婚", "divorced"), ("丧偶", "widowed")]
SITUATIONS = [CHOOSE, ("丧失父母的孤儿", "orphan"), ("查找不到生父母", "parents_unknown"),
              ("生父母有特殊困难无力抚养", "parents_special_difficulty"),
              ("父母均无完全民事行为能力且可能严重危害该未成年人", "parents_incapable_harmful"),
              ("生父母有抚养能力（亲属或继父母收养）", "parents_able")]
PLACING = [("儿童福利机构", "welfare_institution"), ("孤儿的监护人", "guardian"), ("生父母", "birth_parents")]
CONCLUSIONS = [CHOOSE, ("适宜收养", "suitable"), ("不宜收养", "unsuitable")]
SEXES = [CHOOSE, ("男", "M"), ("女", "F")]
DATE_NAMES = {"adoptee.birth_date": "出生日期", "public_notice.started": "公告开始日期",
              "assessment.started": "评估开始日期", "assessment.finished": "评估完成日期"}
_SPLIT = re.compile(r"[、，,；;\s]+")


def combo(items: list[tuple[str, str]]) -> QComboBox:
    box = QComboBox()
    box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    box.setMinimumContentsLength(8)
    for label, value in items:
        box.addItem(label, value)
    return box


def _resident_id_issue(value: str) -> Issue | None:
    return validate_document(IdType.RESIDENT, value)


def _iso(field: DateField) -> str:
    d = field.date()
    return d.isoformat() if d else ""


def _words(edit: QLineEdit) -> list[str]:
    return [a for a in _SPLIT.split(edit.text().strip()) if a]


class Group(QGroupBox):
    """A group box over a form layout: rows shown or hidden by the case, each field with its error slot
    under a field path ("adoptee.birth_date") the service's issues name."""

    def __init__(self, title: str, prefix: str = ""):
        super().__init__(title)
        self.prefix = prefix
        self.form = QFormLayout(self)
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.slots: dict[str, IssueSlot] = {}
        self._rows: dict[int, QWidget] = {}

    def row(self, label: str, widget: QWidget, key: str | None = None) -> QWidget:
        slot = widget if isinstance(widget, IssueSlot) else IssueSlot(widget)
        if label:
            self.form.addRow(label, slot)
        else:  # a check box states itself: the whole width, so long declarations are not cut
            self.form.addRow(slot)
        self._rows[id(widget)] = slot
        if key:
            self.slots[f"{self.prefix}{key}"] = slot
        return widget

    def show_row(self, widget: QWidget, visible: bool) -> None:
        self.form.setRowVisible(self._rows[id(widget)], visible)


class PersonGroup(Group):
    """A person's group that 读卡 (ui.widgets.card_reader) fills: the name and the resident ID number, the
    sex and birth date being the number's. changed is emitted after an edit to either."""

    changed = Signal()
    card_documents = (IdType.RESIDENT,)   # the adoption form takes a resident ID only

    def __init__(self, title: str, prefix: str, id_label: str, id_hint: str):
        super().__init__(title, prefix)
        self.name = self.row("姓名", QLineEdit(), "name")
        self.id_number = self.row(id_label, CheckedLineEdit(_resident_id_issue, id_hint), "id_number")
        for edit in (self.name, self.id_number.edit):
            edit.textChanged.connect(lambda _t: self.changed.emit())

    def fill_from_card(self, card) -> dict[str, str]:
        self.name.setText(card.name)
        self.id_number.setText(card.id_number)
        return self.card_values()

    def card_values(self) -> dict[str, str]:
        return {"name": self.name.text().strip(), "id_number": self.id_number.text().strip().upper()}

    def card_slots(self) -> dict[str, QWidget]:
        return {"name": self._rows[id(self.name)], "id_number": self.id_number}


class AdopterForm(PersonGroup):
    def __init__(self, title: str, index: int):
        super().__init__(title, f"adopters[{index}].", "身份证号码", "18位，出生日期和性别由号码读出")
        self.derived = self.row("性别 / 出生日期", QLabel("—"), "birth_date")
        self.slots[f"{self.prefix}sex"] = self.slots[f"{self.prefix}birth_date"]
        self.marital = self.row("婚姻状况", combo(MARITAL), "marital_status")
        self.children = self.row("现有子女数（含收养）", QSpinBox(), "children_count")
        self.adopted = self.row("其中收养的子女数", QSpinBox(), "adopted_children_count")
        self.overseas = self.row("", QCheckBox("华侨"), "overseas_chinese")
        self.able = self.row("", QCheckBox("声明：有抚养、教育和保护被收养人的能力"), "able_to_raise")
        self.health = self.row("", QCheckBox("声明：未患有医学上认为不应当收养子女的疾病"), "no_unfit_disease")
        self.record = self.row("", QCheckBox("声明：无不利于被收养人健康成长的违法犯罪记录"), "no_harmful_criminal_record")
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


class AdoptionForm(QWidget):
    """Every group of the adoption form in one column."""

    def __init__(self, today, parent: QWidget | None = None):
        super().__init__(parent)
        self.today = today  # a callable: the clock's today
        case = Group("收养关系")
        self.relationship = case.row("收养人与被收养人的关系", combo(RELATIONSHIPS), "relationship")
        self.adopter_count = case.row("收养人人数", combo([("1人", "1"), ("夫妻2人共同收养", "2")]), "adopters")
        self.case_form = case

        self.adopter_forms = [AdopterForm("收养人（一）", 0), AdopterForm("收养人（二）", 1)]

        child = PersonGroup("被收养人", "adoptee.", "身份证号码（如有）", "没有可不填")
        self.child_name, self.child_id = child.name, child.id_number
        self.child_sex = child.row("性别", combo(SEXES), "sex")
        self.child_birth = child.row("出生日期", DateField("如 2020-05-01 或 20200501"), "birth_date")
        self.situation = child.row("被收养的情形", combo(SITUATIONS), "situation")
        self.disabled = child.row("", QCheckBox("残疾未成年人"), "disabled")
        self.in_institution = child.row("", QCheckBox("由儿童福利机构抚养"), "in_welfare_institution")
        self.child_form = child

        placing = Group("送养人", "placing.")
        self.placing_kind = placing.row("送养人", combo(PLACING), "kind")
        self.institution = placing.row("福利机构名称", QLineEdit())
        self.guardian = placing.row("监护人姓名", QLineEdit())
        self.support_obligors = placing.row("", QCheckBox("有抚养义务的人已同意送养（或无有抚养义务的人）"))
        placing.slots["consents.support_obligors"] = placing._rows[id(self.support_obligors)]
        self.father = placing.row("生父姓名", QLineEdit())
        self.mother = placing.row("生母姓名", QLineEdit())
        self.both_place = placing.row("", QCheckBox("生父母双方共同送养"), "both_place")
        self.other_missing = placing.row("", QCheckBox("另一方不明或查找不到，单方送养"),
                                         "other_parent_unknown_or_missing")
        self.special_difficulty = placing.row("", QCheckBox("生父母有特殊困难，无力抚养"), "special_difficulty")
        self.placing_form = placing

        consents = Group("同意", "consents.")
        self.spouses_consent = consents.row("", QCheckBox("夫妻双方同意共同收养"), "spouses")
        self.adoptee_consent = consents.row("", QCheckBox(f"被收养人（{ADOPTEE_CONSENT_AGE}周岁以上）本人同意"),
                                            "adoptee")
        self.birth_parent_consent = consents.row("", QCheckBox("被收养人的生父母同意继父母收养"), "birth_parent")
        self.consents_form = consents

        notice = Group("公告（查找不到生父母）", "public_notice.")
        self.notice_started = notice.row("公告开始日期", DateField("公告刊登之日"), "started")
        notice.slots["public_notice"] = self.notice_started
        self.notice_days = notice.row("公告天数", QSpinBox(), "days")
        self.notice_days.setRange(1, 365)
        self.notice_days.setValue(PUBLIC_NOTICE_DAYS)
        self.notice_form = notice

        assess = Group("收养评估", "assessment.")
        self.assess_body = assess.row("评估机构", QLineEdit(), "body")
        self.assessors = assess.row("评估人员", QLineEdit(), "assessors")
        self.assessors.setPlaceholderText("以顿号分隔，如：吴静、孙海峰")
        self.assess_by_office = assess.row("", QCheckBox("民政部门自行组织评估"), "performed_by_civil_affairs_office")
        self.assess_started = assess.row("开始日期", DateField(), "started")
        self.assess_finished = assess.row("完成日期", DateField(), "finished")
        self.assess_areas = assess.row("评估内容", QLineEdit(), "areas")
        self.assess_areas.setPlaceholderText("以顿号分隔，如：收养动机、健康状况、经济及住房条件")
        self.conclusion = assess.row("评估结论", combo(CONCLUSIONS), "conclusion")
        self.assess_form = assess

        issue = Group("发证")
        self.blank_serial = issue.row("空白证书印制号", QLineEdit())
        self.blank_serial.setPlaceholderText("打印时再填可留空")
        self.remarks = issue.row("备注", QLineEdit(), "remarks")
        self.issue_form = issue

        self.groups = [case, *self.adopter_forms, child, placing, consents, notice, assess, issue]
        column = QVBoxLayout(self)
        for box in self.groups:
            column.addWidget(box)
        column.addStretch(1)
        self.slots: dict[str, IssueSlot] = {}
        for box in self.groups:
            self.slots.update(box.slots)
        self.dates = [self.child_birth, self.notice_started, self.assess_started, self.assess_finished]
        self.in_institution.setChecked(True)  # the default placing party is a welfare institution
        self._derived: tuple[str, str] | None = None  # what the child's ID number last said
        self.placing_kind.currentIndexChanged.connect(self._placing_changed)

    # --- wiring ----------------------------------------------------------------------------------
    def line_edits(self) -> list[QLineEdit]:
        # a number box keeps a line edit of its own inside: not a field of the form
        return [w for w in self.findChildren(QLineEdit) if not isinstance(w.parentWidget(), QAbstractSpinBox)]

    def inputs(self) -> list[QWidget]:
        """Every input, for the keyboard flow (Enter: next field; Ctrl+Enter: 登记)."""
        return [*self.line_edits(), *self.findChildren(QComboBox), *self.findChildren(QCheckBox),
                *self.findChildren(QSpinBox)]

    def connect_changes(self, slot) -> None:
        for w in self.line_edits():
            w.textChanged.connect(slot)
        for w in self.findChildren(QComboBox):
            w.currentIndexChanged.connect(slot)
        for w in self.findChildren(QCheckBox):
            w.toggled.connect(slot)
        for w in self.findChildren(QSpinBox):
            w.valueChanged.connect(slot)

    def _placing_changed(self) -> None:
        if self.placing_kind.currentData() == "welfare_institution":
            self.in_institution.setChecked(True)

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

    def child_identity(self) -> tuple[str, str] | None:
        if not self.child_id.text().strip():
            return None
        try:
            rid = parse_resident_id(self.child_id.text())
        except InvalidIdNumber:
            return None
        return rid.sex.value, rid.birth_date.isoformat()

    def child_birth_date(self) -> dt.date | None:
        ident = self.child_identity()
        return dt.date.fromisoformat(ident[1]) if ident else self.child_birth.date()

    def _consent_asked(self) -> bool:
        birth = self.child_birth_date()
        return birth is not None and needs_adoptee_consent(birth, self.today())

    def update_visibility(self) -> None:
        step, kind, situation = self.step_parent, self.placing_kind.currentData(), self.situation.currentData()
        if step:  # CC 1103: the step-father or step-mother alone, married to the child's parent
            self.adopter_count.setCurrentIndex(0)
            self.adopter_forms[0].marital.setCurrentIndex(self.adopter_forms[0].marital.findData("married"))
        self.adopter_count.setEnabled(not step)
        self.adopter_forms[1].setVisible(self.couple)
        self.adopter_forms[0].setTitle("收养人（一）" if self.couple else "收养人")
        counts = not step and not number_limit_exempt(situation, self.disabled.isChecked(),
                                                      self.in_institution.isChecked())
        for form in self.adopter_forms:
            form.show_row(form.marital, not self.couple and not step)
            form.show_row(form.children, counts)
            form.show_row(form.adopted, counts)
            form.show_row(form.overseas, self.collateral)
            for box in (form.able, form.health, form.record):
                form.show_row(box, not step)
        ident = self.child_identity()
        if ident:  # the ID number says it: shown, not typed
            self.child_sex.setCurrentIndex(self.child_sex.findData(ident[0]))
            if self.child_birth.text() != ident[1]:
                self.child_birth.setText(ident[1])
        elif self._derived and self.child_birth.text() == self._derived[1]:
            # the number is gone: what it said goes with it, to be typed (never kept unseen)
            self.child_birth.setText("")
            self.child_sex.setCurrentIndex(0)
        self._derived = ident
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
        c.show_row(self.adoptee_consent, self._consent_asked())
        c.show_row(self.birth_parent_consent, step)
        c.setVisible(self.couple or step or self._consent_asked())
        self.notice_form.setVisible(situation == "parents_unknown")
        self.assess_form.setVisible(not step)

    # --- the case as the service reads it --------------------------------------------------------
    def case_dict(self) -> dict:
        count = 2 if self.couple else 1
        adopters = [f.to_dict(self.couple) for f in self.adopter_forms[:count]]
        ident = self.child_identity()
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
                "birth_date": ident[1] if ident else _iso(self.child_birth),
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
            # as ticked: whether a consent is needed at all is the rules' question (CC 1101, 1103, 1104)
            "consents": {
                "spouses": self.couple and self.spouses_consent.isChecked(),
                "adoptee": self.adoptee_consent.isChecked(),
                "birth_parent": step and self.birth_parent_consent.isChecked(),
                "support_obligors": self.support_obligors.isChecked(),
            },
            "assessment": None if step else {
                "body": self.assess_body.text().strip(), "assessors": _words(self.assessors),
                "performed_by_civil_affairs_office": self.assess_by_office.isChecked(),
                "started": _iso(self.assess_started), "finished": _iso(self.assess_finished),
                "areas": _words(self.assess_areas), "conclusion": self.conclusion.currentData(),
            },
            "public_notice": ({"started": _iso(self.notice_started), "days": self.notice_days.value()}
                              if self.situation.currentData() == "parents_unknown" else None),
            "remarks": self.remarks.text().strip(),
        }

    def local_issues(self) -> list[Issue]:
        """What must be typed before the conditions can be weighed at all, each at its field."""
        out = []
        count = 2 if self.couple else 1
        for i, form in enumerate(self.adopter_forms[:count]):
            where = f"adopters[{i}]"
            if not form.name.text().strip():
                out.append(Issue("NAME_EMPTY", "请填写姓名", f"{where}.name"))
            if problem := _resident_id_issue(form.id_number.text()):
                out.append(Issue(problem.code, problem.message, f"{where}.id_number"))
        if not self.child_name.text().strip():
            out.append(Issue("NAME_EMPTY", "请填写姓名", "adoptee.name"))
        if self.child_id.text().strip() and self.child_identity() is None:
            problem = _resident_id_issue(self.child_id.text())
            out.append(Issue(problem.code if problem else "ID_INVALID", problem.message if problem else "身份证号码无效",
                             "adoptee.id_number"))
        if self.child_identity() is None and not self.child_sex.currentData():
            out.append(Issue("SEX_NOT_CHOSEN", "请选择性别", "adoptee.sex"))
        if not self.situation.currentData():
            out.append(Issue("SITUATION_NOT_CHOSEN", "请选择被收养的情形", "adoptee.situation"))
        names = self.case_dict()["placing"]["names"]
        if not names or not all(names):
            out.append(Issue("PLACING_NAMES_EMPTY", "请填写送养人名称或姓名", "placing.names"))
        dates = [(self.child_birth, "adoptee.birth_date", self.child_identity() is None)]
        dates.append((self.notice_started, "public_notice.started", self.situation.currentData() == "parents_unknown"))
        if not self.step_parent:
            if not self.assess_body.text().strip():
                out.append(Issue("ASSESSMENT_BODY_EMPTY", "请填写评估机构", "assessment.body"))
            dates += [(self.assess_started, "assessment.started", True),
                      (self.assess_finished, "assessment.finished", True)]
            if not self.conclusion.currentData():
                out.append(Issue("CONCLUSION_NOT_CHOSEN", "请选择评估结论", "assessment.conclusion"))
        for field, path, asked in dates:
            if not asked:
                continue
            if problem := field.local_issue():
                out.append(Issue(problem.code, problem.message, path))
            elif field.date() is None:
                out.append(Issue("DATE_REQUIRED", f"请填写{DATE_NAMES[path]}", path))
        return out

    def show_issues(self, issues: list[Issue], reveal: bool) -> None:
        """Each issue under its field. Before the clerk asks to register, a field merely left empty is
        not marked (it is listed in the checklist); a wrong value or a failing condition is, at once."""
        by_field: dict[str, Issue] = {}
        for issue in issues:
            if issue.field and (reveal or issue.code not in EMPTY_CODES):
                by_field.setdefault(issue.field, issue)
        for path, slot in self.slots.items():
            issue = by_field.get(path)
            if issue is None and isinstance(slot, CheckedLineEdit) and slot.text().strip() and slot.validator:
                issue = slot.validator(slot.text())  # what was typed wrong stays marked as typed
            slot.show_issue(issue)

    def first_slot(self, issues: list[Issue]) -> IssueSlot | None:
        for issue in issues:
            slot = self.slots.get(issue.field or "")
            if slot is not None and slot.isVisibleTo(self):
                return slot
        return None

    def clear(self) -> None:
        for w in self.line_edits():
            w.clear()
        for w in self.findChildren(QCheckBox):
            w.setChecked(False)
        for w in self.findChildren(QComboBox):
            w.setCurrentIndex(0)
        for w in self.findChildren(QSpinBox):
            w.setValue(w.minimum())
        self.notice_days.setValue(PUBLIC_NOTICE_DAYS)
        self.in_institution.setChecked(True)
        self.show_issues([], False)


#: Issues that only say a field is still empty: marked at the field once the clerk asks to register.
EMPTY_CODES = frozenset({"NAME_EMPTY", "SEX_NOT_CHOSEN", "SITUATION_NOT_CHOSEN", "PLACING_NAMES_EMPTY",
                         "ASSESSMENT_BODY_EMPTY", "CONCLUSION_NOT_CHOSEN", "DATE_REQUIRED", "ID_EMPTY",
                         "ID_REQUIRED", "FIELD_MISSING"})
