"""One party's details as keyed in at the counter (a man, a woman, an adopter, a placing parent...).

The form only collects and shows. The document number is checked as it is typed with the domain's
validate_document; a valid resident ID fills the birth date and sex (unless the clerk typed
different ones: then the service reports the mismatch). Every other rule comes back from the
service as Issues whose field ends with one of FIELDS, and show_issues() puts each one next to its
field."""
from __future__ import annotations

import datetime as dt
from typing import Callable

from PySide6.QtCore import QEvent, Signal
from PySide6.QtWidgets import QComboBox, QCompleter, QFormLayout, QGroupBox, QWidget

from registry_app.domain.ids import IdType, parse_resident_id, validate_document
from registry_app.domain.parties import PRIOR_STATUSES, PersonInput
from registry_app.errors import Issue
from ui.fields import CheckedLineEdit, IssueSlot
from ui.widgets.fields import DateField

# Suggestions only (the list a clerk picks from); the service decides what is acceptable.
ETHNIC_GROUPS = (
    "汉族", "蒙古族", "回族", "藏族", "维吾尔族", "苗族", "彝族", "壮族", "布依族", "朝鲜族", "满族", "侗族", "瑶族",
    "白族", "土家族", "哈尼族", "哈萨克族", "傣族", "黎族", "傈僳族", "佤族", "畲族", "高山族", "拉祜族", "水族",
    "东乡族", "纳西族", "景颇族", "柯尔克孜族", "土族", "达斡尔族", "仫佬族", "羌族", "布朗族", "撒拉族", "毛南族",
    "仡佬族", "锡伯族", "阿昌族", "普米族", "塔吉克族", "怒族", "乌孜别克族", "俄罗斯族", "鄂温克族", "德昂族",
    "保安族", "裕固族", "京族", "塔塔尔族", "独龙族", "鄂伦春族", "赫哲族", "门巴族", "珞巴族", "基诺族",
)
EDUCATION_LEVELS = ("研究生", "大学本科", "大学专科", "中等专科", "高中", "初中", "小学", "其他")
SEXES = (("", "请选择"), ("M", "男"), ("F", "女"))

FIELDS = ("name", "id_type", "id_number", "sex", "birth_date", "ethnicity", "nationality", "occupation",
          "education", "residence", "phone", "prior_status")
LABELS = {"name": "姓名", "id_type": "证件类型", "id_number": "证件号码", "sex": "性别", "birth_date": "出生日期",
          "ethnicity": "民族", "nationality": "国籍", "occupation": "职业", "education": "文化程度",
          "residence": "住址", "phone": "电话", "prior_status": "婚姻状况"}


def _combo(items, editable: bool = False) -> QComboBox:
    box = QComboBox()
    box.setEditable(editable)
    for value, text in items:
        box.addItem(text, value)
    return box


class PartyForm(QGroupBox):
    """changed is emitted after every edit (the page debounces its live check on it)."""

    changed = Signal()

    def __init__(self, title: str, today: Callable[[], dt.date], *,
                 id_types: tuple[IdType, ...] = tuple(t for t in IdType if t is not IdType.NONE),
                 prior_statuses: dict[str, str] | None = None, default_sex: str = "",
                 parent: QWidget | None = None):
        super().__init__(title, parent)
        self.today = today
        self.default_sex = default_sex
        self._auto_birth = ""   # what the ID filled in, so a later ID may replace it
        self._auto_sex = ""
        self.name = CheckedLineEdit(placeholder="与证件一致")
        self.id_type = _combo((t.value, t.zh) for t in id_types)
        self.id_number = CheckedLineEdit(self._id_issue, placeholder="18位身份证号码")
        self.id_number.edit.setMaxLength(20)
        self.sex = _combo(SEXES)
        self.birth_date = DateField()
        self.ethnicity = CheckedLineEdit(placeholder="如 汉族")
        completer = QCompleter(list(ETHNIC_GROUPS), self.ethnicity.edit)
        self.ethnicity.edit.setCompleter(completer)
        self.nationality = CheckedLineEdit(placeholder="如 中国")
        self.occupation = CheckedLineEdit()
        self.education = _combo([("", "")] + [(x, x) for x in EDUCATION_LEVELS], editable=True)
        self.residence = CheckedLineEdit(placeholder="常住户口所在地或现住址")
        self.phone = CheckedLineEdit(placeholder="手机或固定电话")
        statuses = prior_statuses if prior_statuses is not None else PRIOR_STATUSES
        self.prior_status = _combo(statuses.items())
        self.slots: dict[str, QWidget] = {
            "name": self.name, "id_type": IssueSlot(self.id_type), "id_number": self.id_number,
            "sex": IssueSlot(self.sex), "birth_date": self.birth_date, "ethnicity": self.ethnicity,
            "nationality": self.nationality, "occupation": self.occupation,
            "education": IssueSlot(self.education), "residence": self.residence, "phone": self.phone,
            "prior_status": IssueSlot(self.prior_status),
        }
        self.touched: set[str] = set()
        form = QFormLayout(self)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setVerticalSpacing(6)
        form.setHorizontalSpacing(10)
        for key in FIELDS:
            self.slots[key].setObjectName(key)
            form.addRow(LABELS[key], self.slots[key])
        self.clear()
        for key in ("name", "id_number", "birth_date", "ethnicity", "nationality", "occupation", "residence",
                    "phone"):
            self.slots[key].edit.textEdited.connect(lambda _t, k=key: self._edited(k))
            self.slots[key].edit.textChanged.connect(lambda _t: self.changed.emit())
        self.id_number.edit.textChanged.connect(self._id_changed)
        self.id_type.currentIndexChanged.connect(self._id_type_changed)
        for key, box in (("sex", self.sex), ("prior_status", self.prior_status)):
            box.activated.connect(lambda _i, k=key: self._edited(k))
            box.currentIndexChanged.connect(lambda _i: self.changed.emit())
        self.education.currentTextChanged.connect(lambda _t: self._edited("education"))

    def changeEvent(self, event) -> None:  # noqa: N802 — Qt naming
        # A locked form shows data only: a grey hint in an empty field would read like a value.
        if event.type() == QEvent.Type.EnabledChange:
            for slot in self.slots.values():
                edit = getattr(slot, "edit", None)
                if edit is None:
                    continue
                if not self.isEnabled():
                    edit.setProperty("hint", edit.placeholderText())
                    edit.setPlaceholderText("")
                elif edit.property("hint") is not None:
                    edit.setPlaceholderText(edit.property("hint"))
        super().changeEvent(event)

    # --- what the clerk sees in order, for the page's tab chain ------------------------------------
    def inputs(self) -> list[QWidget]:
        return [self.name.edit, self.id_type, self.id_number.edit, self.sex, self.birth_date.edit,
                self.ethnicity.edit, self.nationality.edit, self.occupation.edit, self.education,
                self.residence.edit, self.phone.edit, self.prior_status]

    # --- data --------------------------------------------------------------------------------------
    def person(self) -> PersonInput:
        return PersonInput(
            name=self.name.text().strip(), sex=self.sex.currentData() or "", birth_date=self.birth_date.date(),
            id_type=self.id_type.currentData(), id_number=self.id_number.text().strip().replace(" ", "").upper(),
            nationality=self.nationality.text().strip(), ethnicity=self.ethnicity.text().strip(),
            occupation=self.occupation.text().strip(), education=self.education.currentText().strip(),
            residence=self.residence.text().strip(), phone=self.phone.text().strip(),
            prior_status=self.prior_status.currentData() or "",
        )

    def set_person(self, p: PersonInput) -> None:
        self.name.setText(p.name)
        self._select(self.id_type, p.id_type)
        self.id_number.setText(p.id_number)
        self._select(self.sex, p.sex)
        self.birth_date.set_date(p.birth_date)
        self.ethnicity.setText(p.ethnicity)
        self.nationality.setText(p.nationality)
        self.occupation.setText(p.occupation)
        self.education.setCurrentText(p.education)
        self.residence.setText(p.residence)
        self.phone.setText(p.phone)
        self._select(self.prior_status, p.prior_status)

    def clear(self) -> None:
        for key in ("name", "id_number", "birth_date", "occupation", "residence", "phone"):
            self.slots[key].setText("")
        self.ethnicity.setText("汉族")
        self.nationality.setText("中国")
        self.id_type.setCurrentIndex(0)
        self._select(self.sex, self.default_sex)
        self.education.setCurrentIndex(0)
        self.prior_status.setCurrentIndex(0)
        self._auto_birth = ""
        self._auto_sex = self.default_sex  # a preset sex gives way to the one the ID says
        self.touched.clear()
        self.show_issues([], "", reveal=False)

    def is_blank(self, key: str) -> bool:
        slot = self.slots[key]
        if hasattr(slot, "text"):
            return not slot.text().strip()
        widget = slot.widget
        return not (widget.currentData() if not widget.isEditable() else widget.currentText().strip())

    # --- issues ------------------------------------------------------------------------------------
    def local_issues(self) -> dict[str, Issue]:
        """Format errors seen while typing (not the service's rules)."""
        out = {}
        for key in ("id_number", "birth_date"):
            slot = self.slots[key]
            issue = slot.local_issue() if key == "birth_date" else self._id_issue(slot.text())
            if issue and slot.text().strip():
                out[key] = issue
        return out

    def show_issues(self, issues: list[Issue], prefix: str, reveal: bool) -> None:
        """Show each Issue whose field is `<prefix>.<key>` next to that field. An empty field is
        not shouted at until `reveal` (the clerk asked to go on) or the clerk has touched it."""
        by_key: dict[str, Issue] = {}
        for issue in issues:
            if issue.field and issue.field.startswith(prefix + "."):
                by_key.setdefault(issue.field[len(prefix) + 1:], issue)
        local = self.local_issues()
        for key, slot in self.slots.items():
            issue = local.get(key) or by_key.get(key)
            if issue is not None and key not in local and not reveal and self.is_blank(key) \
                    and key not in self.touched:
                issue = None
            slot.show_issue(issue)

    # --- the resident ID fills birth date and sex -------------------------------------------------
    def _id_issue(self, text: str) -> Issue | None:
        return validate_document(self.id_type.currentData(), text, self.today())

    def _id_type_changed(self) -> None:
        resident = self.id_type.currentData() == IdType.RESIDENT.value
        self.id_number.edit.setPlaceholderText("18位身份证号码" if resident else "证件号码")
        self.id_number._check(self.id_number.text())
        self._id_changed(self.id_number.text())
        self._edited("id_type")

    def _id_changed(self, text: str) -> None:
        if self.id_type.currentData() != IdType.RESIDENT.value or validate_document(
                IdType.RESIDENT, text, self.today()) is not None:
            return
        rid = parse_resident_id(text, self.today())
        birth = rid.birth_date.isoformat()
        if self.birth_date.text().strip() in ("", self._auto_birth):
            self.birth_date.setText(birth)
            self._auto_birth = birth
        if (self.sex.currentData() or "") in ("", self._auto_sex):
            self._select(self.sex, rid.sex.value)
            self._auto_sex = rid.sex.value

    def _edited(self, key: str) -> None:
        if key == "sex":
            self._auto_sex = ""  # the clerk chose: an ID that disagrees is reported, not obeyed
        self.touched.add(key)
        self.changed.emit()

    @staticmethod
    def _select(box: QComboBox, value: str) -> None:
        i = box.findData(value)
        box.setCurrentIndex(i if i >= 0 else 0)
