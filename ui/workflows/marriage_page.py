"""结婚登记: 初审 (the form, checked live) → 受理 (the record is created) → 审查 (declarations signed in
front of the registrar, witness, joint photo) → 登记 (read back, then number and certificate).

The page only collects and shows: every rule is MarriageService's. Keyboard first: Tab and Enter go
down the form, Ctrl+Enter takes the next step. Each step on the accepted case sends the record's version
the page holds (two counters: marriage_correction.py tells RECORD_CHANGED and reads the record again)."""
from __future__ import annotations


from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from registry_app.domain.marriage_rules import MarriageDeclarations
from registry_app.errors import Issue, RecordChanged, RegistryError, StorageError
from registry_app.services.certificate_print import CertificatePrinting
from registry_app.services.marriage import (ACCEPTED_VERSION, VARIANTS, MarriageCase, MarriageService,
                                            RegistrationResult)
from registry_app.services.staff_names import StaffNames
from ui.document_viewer import InAppPdfViewer, OpenPdf
from ui.errors import error_text, present_error
from ui.fields import CheckedLineEdit
from ui.main_window import register_page
from ui.pages import PageBase
from ui.widgets import DateField, IssuePanel, IssueSlot, KeyboardFlow, PartyForm, PhotoPicker
from ui.widgets.card_reader import CardReading
from ui.widgets.party_form import LABELS as PARTY_LABELS
from ui.workflows.joint_service_box import JointServiceBox
from ui.workflows.marriage_correction import ACCEPTED, CORRECT, DONE, FORM, REVIEWED, CorrectionFlow
from ui.workflows.marriage_summary import ReadBack

CHECK_DELAY_MS = 300
STEP_NAMES = ("初审", "受理", "审查", "登记")
PRIMARY_TEXT = {FORM: "受理", ACCEPTED: "审查通过", REVIEWED: "登记", CORRECT: "保存更正"}
DECLARATION_TEXT = (("free_will", "双方自愿"), ("no_prohibited_kinship", "无禁止结婚的亲属关系"),
                    ("no_spouse", "双方均无配偶"), ("signed", "声明书已当面签署"))

OTHER_LABELS = {"variant": "登记类别", "union_began": "共同生活起始日期", "witness": "监誓人", "photo": "双方合影",
                "blank_serial": "空白证书印制号", "reason": "取消原因", "previous_record_id": "原婚姻记录"}


def field_label(field: str) -> str:
    """party1.birth_date -> 男方·出生日期, for the issue list."""
    head, _dot, tail = field.partition(".")
    if head in ("party1", "party2"):
        return f"{'男方' if head == 'party1' else '女方'}·{PARTY_LABELS.get(tail, tail)}"
    if head == "declarations":
        return "声明·" + dict(DECLARATION_TEXT).get(tail, tail)
    return OTHER_LABELS.get(field, "")


PAGE_STYLE = """
QLabel#stepTodo { color: #8a94a3; padding: 4px 10px; }
QLabel#stepCurrent { color: white; background: #1f3a5f; padding: 4px 10px; border-radius: 3px; font-weight: bold; }
QLabel#stepDone { color: #2e7d32; padding: 4px 10px; }
QLabel#panelOk { color: #2e7d32; font-weight: bold; font-size: 16px; }
QLabel#hint { color: #666666; font-size: 13px; }
QLabel#banner { background: #e8f0fa; color: #1f3a5f; padding: 6px 10px; border-radius: 3px; }
QLabel#certificateNumber { font-size: 40px; font-weight: bold; color: #c62f2f; padding: 12px 0; }
QCheckBox[invalid="true"] { color: #c62f2f; }
QComboBox[invalid="true"] { border: 2px solid #c62f2f; }
"""


class MarriagePage(CorrectionFlow, ReadBack, PageBase):
    title = "结婚登记"

    def __init__(self, app_state, parent: QWidget | None = None, open_pdf: OpenPdf | None = None):
        super().__init__(app_state, parent)
        self.service = MarriageService(app_state.ctx)
        self.open_pdf: OpenPdf = open_pdf or InAppPdfViewer(self)
        self.step = FORM
        self.record_id: int | None = None
        self.version: int | None = None    # the accepted record's version as this page last read or wrote it
        self.stale = False                 # another counter changed it since: 重新读取 is offered
        self.result: RegistrationResult | None = None
        self._view = None
        self._staff = StaffNames(app_state.ctx)  # staff by name (李明) beside a login name
        self.reveal = False
        self._last_warning = ""
        self.setStyleSheet(PAGE_STYLE)
        self.check_timer = QTimer(self)
        self.check_timer.setSingleShot(True)
        self.check_timer.setInterval(CHECK_DELAY_MS)
        self.check_timer.timeout.connect(self.run_check)
        self.flow = KeyboardFlow(self.next_step, self)

        self.steps_bar = QHBoxLayout()
        self.step_labels = []
        for i, name in enumerate(STEP_NAMES):
            label = QLabel(f"{i + 1}. {name}")
            self.step_labels.append(label)
            self.steps_bar.addWidget(label)
            if i < len(STEP_NAMES) - 1:
                arrow = QLabel("›")
                arrow.setObjectName("stepTodo")
                self.steps_bar.addWidget(arrow)
        self.steps_bar.addStretch(1)
        self.layout_.addLayout(self.steps_bar)

        self.outer = QStackedWidget()
        self.layout_.addWidget(self.outer, 1)
        work = QWidget()
        row = QHBoxLayout(work)
        row.setContentsMargins(0, 0, 0, 0)
        self.left = QStackedWidget()
        self.left.addWidget(self._build_form())
        self.left.addWidget(self._build_summary())
        row.addWidget(self.left, 1)
        row.addWidget(self._build_side())
        self.outer.addWidget(work)
        self.outer.addWidget(self._build_result())

        for seq in ("Ctrl+Return", "Ctrl+Enter"):
            shortcut = QShortcut(QKeySequence(seq), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(self.next_step)
        self._chain_tabs()
        self.new_case()

    # --- building -------------------------------------------------------------------------------
    def _build_form(self) -> QWidget:
        today = self.state.ctx.clock.today
        self.party1 = PartyForm("男方", today, default_sex="M")
        self.party2 = PartyForm("女方", today, default_sex="F")
        parties = QHBoxLayout()
        parties.setSpacing(12)
        parties.addWidget(self.party1, 1)
        parties.addWidget(self.party2, 1)
        self.card = CardReading(self.state, [self.party1, self.party2], self, purpose="marriage")
        self.banner = QLabel()
        self.banner.setObjectName("banner")
        self.banner.setWordWrap(True)
        self.banner.hide()

        self.matters = QGroupBox("登记事项")
        self.variant = QComboBox()
        for key, text in VARIANTS.items():
            self.variant.addItem(text, key)
        self.union_began = DateField("如 2020-05-01")
        self.union_began_label = QLabel("共同生活起始日期")
        self.union_began.setToolTip("补办结婚登记：双方开始以夫妻名义共同生活的日期")
        self.declarations: dict[str, QCheckBox] = {}
        for key, text in DECLARATION_TEXT:
            self.declarations[key] = QCheckBox(text)
        grid = QGridLayout(self.matters)
        grid.setHorizontalSpacing(12)
        grid.addWidget(QLabel("登记类别"), 0, 0)
        self.variant_slot = IssueSlot(self.variant)
        grid.addWidget(self.variant_slot, 0, 1)
        grid.addWidget(self.union_began_label, 0, 2)
        grid.addWidget(self.union_began, 0, 3)
        grid.addWidget(QLabel("当事人声明"), 1, 0, Qt.AlignmentFlag.AlignTop)
        decl_box = QGridLayout()
        decl_box.setContentsMargins(0, 0, 0, 0)
        self.declaration_slots = {key: IssueSlot(box) for key, box in self.declarations.items()}
        for i, (key, _text) in enumerate(DECLARATION_TEXT):
            decl_box.addWidget(self.declaration_slots[key], i // 2, i % 2)
        grid.addLayout(decl_box, 1, 1, 1, 3)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)

        self.materials = QGroupBox("审查材料")
        self.witness = CheckedLineEdit(placeholder="监誓登记员的用户名")
        self.photo = PhotoPicker("选择合影照片…", "选择双方2寸合影照片")
        materials = QFormLayout(self.materials)
        self.witness_name = QLabel()  # the witness's name, for the login name typed
        self.witness_name.setObjectName("hint")
        witness_row = QHBoxLayout()
        witness_row.addWidget(self.witness, 1)
        witness_row.addWidget(self.witness_name)
        materials.addRow("监誓人", witness_row)
        self.witness.edit.textChanged.connect(
            lambda text: self.witness_name.setText(self._staff.name(text.strip()) if text.strip() in self._staff.names else ""))
        materials.addRow("双方合影", self.photo)

        body = QWidget()
        column = QVBoxLayout(body)
        column.setContentsMargins(0, 0, 8, 0)
        column.addWidget(self.card)
        column.addLayout(parties)
        column.addWidget(self.matters)
        column.addWidget(self.materials)
        column.addStretch(1)
        self.form_scroll = QScrollArea()
        self.form_scroll.setWidget(body)
        self.form_scroll.setWidgetResizable(True)
        self.form_scroll.setFrameShape(QFrame.Shape.NoFrame)

        for form in (self.party1, self.party2):
            form.changed.connect(self._edited)
        self.variant.currentIndexChanged.connect(self._variant_changed)
        self.union_began.edit.textChanged.connect(self._edited)
        for box in self.declarations.values():
            box.toggled.connect(self._edited)
        self.witness.edit.textChanged.connect(self._edited)
        self.photo.changed.connect(self._edited)
        # the banner stays in sight above the scrolling form: the acceptance number, or the correction under way
        holder = QWidget()
        stack = QVBoxLayout(holder)
        stack.setContentsMargins(0, 0, 0, 0)
        stack.addWidget(self.banner)
        stack.addWidget(self.form_scroll, 1)
        return holder

    def _build_summary(self) -> QWidget:
        self.summary = QLabel()
        self.summary.setObjectName("summary")
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary_photo = QLabel()
        self.summary_photo.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        body = QWidget()
        row = QHBoxLayout(body)
        row.addWidget(self.summary, 1)
        row.addWidget(self.summary_photo, 0, Qt.AlignmentFlag.AlignTop)
        scroll = QScrollArea()
        scroll.setWidget(body)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        return scroll

    def _build_side(self) -> QWidget:
        side = QWidget()
        side.setFixedWidth(330)
        column = QVBoxLayout(side)
        column.setContentsMargins(8, 0, 0, 0)
        self.panel = IssuePanel("登记条件", field_label)
        column.addWidget(self.panel, 1)
        issue_box = QGroupBox("发证")
        form = QFormLayout(issue_box)
        self.blank_serial = CheckedLineEdit(placeholder="选填，空白证书上的印制号")
        form.addRow("空白证书\n印制号", self.blank_serial)
        self.blank_serial.edit.textChanged.connect(lambda _t: self._render_summary())
        column.addWidget(issue_box)
        # After 受理: the two declarations and the review form, printed for signing before the registrar.
        self.forms_button = QPushButton("打印声明书和审查处理表")
        self.forms_button.clicked.connect(self.print_forms)
        column.addWidget(self.forms_button)
        # Before 登记 a typo is corrected on the same accepted case (same acceptance number), not cancelled.
        self.correct_button = QPushButton("返回修改信息")
        self.correct_button.clicked.connect(self.start_correction)
        self.discard_button = QPushButton("放弃修改")
        self.discard_button.clicked.connect(self.discard_correction)
        column.addWidget(self.correct_button)
        column.addWidget(self.discard_button)
        self.reload_button = QPushButton("重新读取受理记录")
        self.reload_button.setToolTip("其他工作人员已改动此受理记录：读取现在的记录，核对后再操作")
        self.reload_button.clicked.connect(self.reload_record)
        column.addWidget(self.reload_button)
        self.cancel_box = QGroupBox("取消办理")
        cancel = QVBoxLayout(self.cancel_box)
        self.cancel_reason = CheckedLineEdit(placeholder="取消原因（必填）")
        self.cancel_button = QPushButton("取消办理")
        self.cancel_button.clicked.connect(self.cancel_case)
        cancel.addWidget(self.cancel_reason)
        cancel.addWidget(self.cancel_button)
        column.addWidget(self.cancel_box)
        self.primary = QPushButton()
        self.primary.setObjectName("primary")
        self.primary.setMinimumHeight(40)
        self.primary.clicked.connect(self.next_step)
        column.addWidget(self.primary)
        hint = QLabel("Enter 下一项　Ctrl+Enter 下一步")
        hint.setObjectName("hint")
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        column.addWidget(hint)
        return side

    def _build_result(self) -> QWidget:
        page = QWidget()
        column = QVBoxLayout(page)
        column.setContentsMargins(24, 24, 24, 24)
        done = QLabel("登记完成，结婚证字号")
        done.setObjectName("panelOk")
        self.certificate_number = QLabel()
        self.certificate_number.setObjectName("certificateNumber")
        self.certificate_number.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result_details = QLabel()
        self.result_details.setWordWrap(True)
        self.print_button = QPushButton("打印结婚证")
        self.print_button.setObjectName("primary")
        self.print_button.setMinimumHeight(40)
        self.print_button.clicked.connect(self.print_certificate)
        self.next_button = QPushButton("办理下一对（Ctrl+Enter）")
        self.next_button.setMinimumHeight(40)
        self.next_button.clicked.connect(self.new_case)
        buttons = QHBoxLayout()
        buttons.addWidget(self.print_button)
        buttons.addWidget(self.next_button)
        buttons.addStretch(1)
        column.addWidget(done)
        column.addWidget(self.certificate_number)
        column.addWidget(self.result_details)
        column.addSpacing(16)
        column.addLayout(buttons)
        column.addStretch(1)
        # 婚育户一件事 beside the result: what the couple asks the office to pass on (joint_service_box.py)
        self.joint_box = JointServiceBox(self.state.ctx, self.state.prompter, self.open_pdf)
        row = QWidget()
        beside = QHBoxLayout(row)
        beside.addWidget(page, 1)
        beside.addWidget(self.joint_box, 1)
        return row

    def _chain_tabs(self) -> None:
        chain = self.party1.inputs() + self.party2.inputs() + [self.variant, self.union_began.edit]
        chain += list(self.declarations.values())
        chain += [self.witness.edit, self.photo.button, self.photo.clear_button, self.blank_serial.edit,
                  self.primary, self.cancel_reason.edit, self.cancel_button]
        for a, b in zip(chain, chain[1:]):
            QWidget.setTabOrder(a, b)
        self.flow.watch(*[w for w in chain if not isinstance(w, QPushButton)])

    # --- collecting -----------------------------------------------------------------------------
    def collect_case(self) -> MarriageCase:
        d = self.declarations
        return MarriageCase(
            party1=self.party1.person(), party2=self.party2.person(),
            declarations=MarriageDeclarations(free_will=d["free_will"].isChecked(),
                                              no_prohibited_kinship=d["no_prohibited_kinship"].isChecked(),
                                              no_spouse=d["no_spouse"].isChecked()),
            declarations_signed=d["signed"].isChecked(), variant=self.variant.currentData(),
            union_began=self.union_began.date() if self._supplementary() else None,
            witness=self.witness.text().strip() or None, blank_serial=self.blank_serial.text().strip() or None,
            photo=self.photo.data, photo_name=self.photo.filename or "joint-photo.jpg",
        )

    def _supplementary(self) -> bool:
        return self.variant.currentData() == "supplementary"

    def _local_issues(self) -> list[Issue]:
        out = []
        for prefix, form in (("party1", self.party1), ("party2", self.party2)):
            out += [Issue(i.code, i.message, f"{prefix}.{key}") for key, i in form.local_issues().items()]
        if self._supplementary() and self.union_began.text().strip() and self.union_began.local_issue():
            issue = self.union_began.local_issue()
            out.append(Issue(issue.code, issue.message, "union_began"))
        return out

    # --- live check -----------------------------------------------------------------------------
    def _edited(self, *_args) -> None:
        if self.step in (FORM, CORRECT):
            self.check_timer.start()

    def _variant_changed(self) -> None:
        visible = self._supplementary()
        self.union_began.setVisible(visible)
        self.union_began_label.setVisible(visible)
        self._edited()

    def run_check(self) -> list[Issue]:
        """Ask the service whether the case as typed could be accepted; show the answer."""
        self.check_timer.stop()
        if self.step not in (FORM, CORRECT):
            return []
        try:
            issues = self.service.check(self.collect_case(), self.record_id)
        except RegistryError as exc:
            issues = exc.issues
        except Exception as exc:  # noqa: BLE001 — shown, never a crash of the counter
            self.panel.show_state("bad", "暂时无法检查登记条件")
            self._warn_once("检查登记条件时出错：" + error_text(exc))  # once: the check runs as the clerk types
            return []
        seen = {i.field for i in issues}
        issues = issues + [i for i in self._local_issues() if i.field not in seen]
        if issues:
            self.panel.show_state("bad", f"有 {len(issues)} 项不符合或未填写", issues)
        else:
            self.panel.show_state("ok", "符合结婚登记条件")
        self._show_field_issues(issues)
        return issues

    def _show_field_issues(self, issues: list[Issue]) -> None:
        self.party1.show_issues(issues, "party1", self.reveal)
        self.party2.show_issues(issues, "party2", self.reveal)
        by_field: dict[str, Issue] = {}
        for issue in issues:
            if issue.field:
                by_field.setdefault(issue.field, issue)
        slots = {"variant": self.variant_slot, "union_began": self.union_began, "witness": self.witness,
                 "blank_serial": self.blank_serial, "reason": self.cancel_reason}
        slots.update({f"declarations.{k}": s for k, s in self.declaration_slots.items()})
        for name, slot in slots.items():
            issue = by_field.get(name)
            if name == "union_began" and self.union_began.local_issue():
                issue = self.union_began.local_issue()
            if issue and not self.reveal and name.startswith("declarations."):
                issue = None  # an unticked box is listed in the panel; red under it only once asked to go on
            slot.show_issue(issue)
        self.photo.show_issue(by_field.get("photo"))

    # --- steps ----------------------------------------------------------------------------------
    def next_step(self) -> None:
        """Ctrl+Enter and the main button: the next step of the current case."""
        {FORM: self.accept_case, ACCEPTED: self.review_case, REVIEWED: self.register_case,
         DONE: self.new_case, CORRECT: self.save_correction}[self.step]()

    def _form_has_local_issues(self) -> bool:
        """Before a step that stores the form: mark every field's own problems; True when there are any."""
        self.check_timer.stop()
        self.reveal = True
        local = self._local_issues()
        if local:
            self.panel.show_state("bad", "请先更正标红的字段", local)
            self._show_field_issues(local)
        return bool(local)

    def accept_case(self) -> None:
        if self._form_has_local_issues():
            return
        record_id = self._call("不予受理", lambda: self.service.accept(self.collect_case()))
        if record_id is None:
            return
        self.record_id, self.version = record_id, ACCEPTED_VERSION  # accepted just now: nobody else has changed it
        self.state.signals.records_changed.emit()
        self._set_step(ACCEPTED)
        self._show_accepted(f"已受理，受理号 {record_id}。")

    def _show_accepted(self, head: str) -> None:
        if any(self.card.changed_fields(i) for i in (0, 1)):   # 审查 sees what was typed over the card
            head += "\n" + self.card.status.text()
        self.panel.show_state("info", f"{head}\n请双方在登记员面前签署声明书，确认监誓人与合影后点击“审查通过”。")
        self._show_field_issues([])
        self.form_scroll.ensureWidgetVisible(self.materials)
        self.declarations["signed"].setFocus()

    def review_case(self) -> None:
        case = self.collect_case()
        version = self._call("审查未通过", lambda: self.service.review(
            self.record_id, case.declarations_signed, case.witness, case.photo, case.photo_name, version=self.version))
        if version is None:
            return
        self.version = version
        self.state.signals.records_changed.emit()
        self._set_step(REVIEWED)
        self.panel.show_state("info", "审查完成。请与当事人核对左侧信息，填写空白证书印制号（选填）后点击“登记”。")
        self._show_field_issues([])
        self._refresh_summary()
        self.blank_serial.setFocus()

    def register_case(self) -> None:
        serial = self.blank_serial.text().strip() or None
        result = self._call("未能登记", lambda: self.service.register(self.record_id, serial, version=self.version))
        if result is None:
            return
        self.result = result
        self.state.signals.records_changed.emit()
        p1, p2 = self.party1.person(), self.party2.person()
        self.certificate_number.setText(result.certificate_no or "")
        self.result_details.setText(
            f"男方：{p1.name}　　女方：{p2.name}\n登记日期：{self.state.ctx.clock.today():%Y年%m月%d日}"
            f"\n空白证书印制号：{result.blank_serial or '未填写'}\n受理号：{result.record_id}")
        self.joint_box.set_record(result.record_id, (p1.name, p2.name))
        self._set_step(DONE)
        self.print_button.setFocus()

    def cancel_case(self) -> None:
        if self.record_id is None or self.step not in (ACCEPTED, REVIEWED):
            return
        reason = self.cancel_reason.text().strip()
        if reason and not self.state.prompter.confirm(
                "取消办理", f"确定取消受理号 {self.record_id} 的结婚登记申请？\n原因：{reason}"):
            return
        done = self._call("未能取消", lambda: self.service.cancel(self.record_id, reason, version=self.version))
        if done is None:
            return
        record_id = self.record_id
        self.state.signals.records_changed.emit()
        self.new_case()
        self.panel.show_state("info", f"受理号 {record_id} 已取消办理。")
        self.state.prompter.inform("取消办理", f"受理号 {record_id} 的结婚登记申请已取消。")

    def print_forms(self) -> None:
        if self.record_id is None:
            return
        try:
            pdf = CertificatePrinting(self.state.ctx).render(self.record_id, "declarations")
        except RegistryError as exc:
            present_error(self.state.prompter, exc, "打印声明书")
            return
        self.open_pdf(pdf, "申请结婚登记声明书、结婚登记审查处理表")

    def print_certificate(self) -> None:
        if self.result is None:
            return
        # The certificates page owns preview, calibration and printing; it opens on this certificate.
        self.state.signals.open_certificate.emit(self.result.certificate_no)

    def new_case(self) -> None:
        """A clean form for the next couple."""
        self.check_timer.stop()
        self.record_id = self.version = None
        self.stale = False
        self.result = None
        self.reveal = False
        self.party1.clear()
        self.party2.clear()
        self.card.forget()
        self.variant.setCurrentIndex(0)
        self.union_began.setText("")
        for box in self.declarations.values():
            box.setChecked(False)
        user = self.state.ctx.user
        self._staff = StaffNames(self.state.ctx)
        self.witness.setText(user.username if user else "")
        self.photo.clear()
        self.blank_serial.setText("")
        self.cancel_reason.setText("")
        self.check_timer.stop()
        self._set_step(FORM)
        self._variant_changed()
        self.check_timer.stop()
        self._show_field_issues([])
        self.panel.show_state("info", "录入双方信息后，此处实时显示是否符合结婚登记条件。")
        self.party1.name.setFocus()

    def on_shown(self) -> None:
        if self.step == FORM:
            self.party1.name.setFocus()

    # --- helpers --------------------------------------------------------------------------------
    def _call(self, refusal_title: str, fn):
        """Run a service transition; refusals go to the panel and next to the fields, anything
        unexpected to the prompter. Returns the result, or None when it did not happen."""
        try:
            return fn()
        except StorageError as exc:
            # The database, not the couple (a dropped server connection): never "不予受理"; the form stays.
            present_error(self.state.prompter, exc, "结婚登记")
            return None
        except RecordChanged as exc:  # another counter changed the case: told, nothing typed is lost
            self.record_changed(exc)
            return None
        except RegistryError as exc:
            self.reveal = True
            self.panel.show_state("bad", refusal_title, exc.issues)
            self._show_field_issues(exc.issues)
            return None
        except Exception as exc:  # noqa: BLE001 — the counter keeps working; the clerk is told
            present_error(self.state.prompter, exc, "结婚登记")
            return None

    def _warn_once(self, text: str) -> None:
        if text != self._last_warning:
            self._last_warning = text
            self.state.prompter.warn("结婚登记", text)

    def _set_step(self, step: int) -> None:
        self.step = step
        editable = step in (FORM, CORRECT)
        for w in (self.party1, self.party2, self.variant, self.union_began):
            w.setEnabled(editable)
        for key in ("free_will", "no_prohibited_kinship", "no_spouse"):
            self.declarations[key].setEnabled(editable)
        for w in (self.declarations["signed"], self.witness, self.photo):
            w.setEnabled(step in (FORM, ACCEPTED))
        self.blank_serial.setEnabled(step not in (DONE, CORRECT))
        self.cancel_box.setVisible(step in (ACCEPTED, REVIEWED))
        self.forms_button.setVisible(step in (ACCEPTED, REVIEWED))
        self.correct_button.setVisible(step in (ACCEPTED, REVIEWED))
        self.discard_button.setVisible(step == CORRECT)
        self.reload_button.setVisible(self.stale and step in (ACCEPTED, REVIEWED, CORRECT))
        self.left.setCurrentIndex(1 if step == REVIEWED else 0)
        self.outer.setCurrentIndex(1 if step == DONE else 0)
        self.primary.setText(f"{PRIMARY_TEXT.get(step, '')}（Ctrl+Enter）")
        if step == ACCEPTED:
            self.banner.setText(f"已受理（受理号 {self.record_id}），双方信息已锁定。"
                                "审查：确认声明书已当面签署、监誓人与双方合影。")
        elif step == CORRECT:
            self.banner.setText(f"正在修改受理号 {self.record_id} 的信息（受理号不变）。")
        self.banner.setVisible(step in (ACCEPTED, CORRECT))
        current = {FORM: 0, ACCEPTED: 2, REVIEWED: 3, DONE: 4, CORRECT: 2}[step]  # correcting is part of 审查
        for i, label in enumerate(self.step_labels):
            label.setObjectName("stepDone" if i < current else "stepCurrent" if i == current else "stepTodo")
            label.setText(("✓ " if i < current else f"{i + 1}. ") + STEP_NAMES[i])
            label.style().unpolish(label)
            label.style().polish(label)


register_page("marriage", "结婚登记", lambda state: MarriagePage(state))
