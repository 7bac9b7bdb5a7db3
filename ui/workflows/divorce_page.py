"""离婚登记 (协议离婚): 申请受理 — both parties, the marriage to dissolve, the marriage certificates,
capacity and the agreement as items; 受理 gives the cooling-off and collection deadlines and the
acknowledgement slip, a refusal the written 不予受理告知书 when asked — and 我的离婚申请, the work
list with 撤回 and 发证 (divorce_worklist.py).

The page only collects and shows: DivorceService decides. Applications nobody collected in time are
deemed withdrawn by DivorceService.expire_overdue(), which the main window runs at start-up and hourly
(MainWindow.daily_duties, the one schedule); the work list follows records_changed."""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from registry_app.domain.ids import IdType
from registry_app.domain.states import MarriageState
from registry_app.errors import Issue, Refused, RegistryError, StorageError
from registry_app.domain.divorce_rules import CERT_STATES, DivorceCheck
from registry_app.services.divorce import DivorceService
from registry_app.services.divorce_documents import DivorceDocuments
from ui.errors import error_text, present_error
from ui.fields import CheckedLineEdit
from ui.main_window import register_page
from ui.pages import PageBase
from ui.widgets import DateField, IssuePanel, IssueSlot, KeyboardFlow, PartyForm
from ui.widgets.card_reader import CardReading
from ui.widgets.party_form import LABELS as PARTY_LABELS
from ui.workflows.divorce_agreement import AgreementForm, answer, set_answer, yes_no
from ui.document_viewer import InAppPdfViewer, OpenPdf
from ui.widgets.counselling_box import CounsellingBox
from ui.workflows.divorce_worklist import DivorceWorkList

CERT_TEXT = {"present": "已提交", "lost_declared": "遗失，已书面声明",
             "lost_declared_with_archive_copy": "遗失，已声明并附档案复印件"}
REGISTERED_IN = (("", "请选择"), ("mainland", "内地婚姻登记机关"), ("mission", "中国驻外使（领）馆"),
                 ("abroad", "外国或境外机关"))
CHECK_DELAY_MS = 300
#: Questions not answered yet: red at the field only once the clerk asked to accept.
UNANSWERED = frozenset({"CAPACITY_NOT_CONFIRMED", "AGREEMENT_WILL_MISSING", "MARRIAGE_CERTIFICATE_MISSING",
                        "MARRIAGE_REGISTERED_IN_MISSING", "MARRIAGE_NOT_FOUND", "AGREEMENT_TEXT_MISSING",
                        "AGREEMENT_ITEM_MISSING"})
HIDDEN_PARTY_ROWS = ("occupation", "education", "prior_status")
OTHER_LABELS = {"marriage": "婚姻登记", "certificates": "结婚证", "agreement.will_to_divorce": "协议·离婚意思表示",
                "agreement.signed_text": "协议书文本", "agreement.children": "协议·子女抚养",
                "agreement.property": "协议·财产处理", "agreement.debts": "协议·债务处理"}

PAGE_STYLE = """
QLabel#hint { color: #666666; font-size: 13px; }
QLabel#subheading { color: #1f3a5f; font-weight: bold; padding-top: 4px; }
QLabel#marriageFound { color: #1f3a5f; }
QLabel#deadlines { font-size: 16px; line-height: 150%; }
QLabel#actionMessage { color: #1f3a5f; }
QLabel#certificateNumber { font-size: 30px; font-weight: bold; color: #c62f2f; padding: 6px 0; }
QCheckBox[invalid="true"] { color: #c62f2f; }
QComboBox[invalid="true"] { border: 2px solid #c62f2f; }
QTabWidget::pane { border-top: 1px solid #c9d1dc; }
QTabBar::tab { padding: 8px 22px; font-size: 15px; }
QTabBar::tab:selected { color: #1f3a5f; font-weight: bold; border-bottom: 3px solid #c62f2f; }
"""


def field_label(field: str) -> str:
    head, _dot, tail = field.partition(".")
    who = {"party1": "男方", "party2": "女方"}
    if head in who:
        return f"{who[head]}·{PARTY_LABELS.get(tail, tail)}"
    if head in ("capacity", "certificates") and tail in who:
        return f"{who[tail]}·" + ("民事行为能力" if head == "capacity" else "结婚证")
    if field.startswith("agreement.children."):
        index = field.split(".")[2]
        return f"协议·第{int(index) + 1}个子女" if index.isdigit() else "协议·子女抚养"
    if head == "marriage":
        return "婚姻登记"
    return OTHER_LABELS.get(field, "")


def _combo(items) -> QComboBox:
    box = QComboBox()
    for value, text in items:
        box.addItem(text, value)
    return box


class DivorcePage(PageBase):
    title = "离婚登记"

    def __init__(self, app_state, parent: QWidget | None = None, open_pdf: OpenPdf | None = None):
        super().__init__(app_state, parent)
        ctx = app_state.ctx
        self.service = DivorceService(ctx)
        self.documents = DivorceDocuments(ctx)
        self.open_pdf: OpenPdf = open_pdf or InAppPdfViewer(self)
        self.application: dict | None = None      # what DivorceService.apply answered
        self.refusal: list[Issue] = []          # the legal grounds of the latest refusal: printable
        self.marriage_record_id: int | None = None
        self._found_for: tuple[str, str] | None = None  # the ID numbers the marriage was found for
        self.reveal = False                      # asked to accept once: every missing field shown red
        self.setStyleSheet(PAGE_STYLE)
        self.check_timer = QTimer(self)
        self.check_timer.setSingleShot(True)
        self.check_timer.setInterval(CHECK_DELAY_MS)
        self.check_timer.timeout.connect(self.run_check)
        self.flow = KeyboardFlow(self.accept_application, self)

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.layout_.addWidget(self.tabs, 1)
        self.apply_tab = apply_tab = QWidget()   # F9 reads a card only on this tab
        row = QHBoxLayout(apply_tab)
        row.setContentsMargins(0, 6, 0, 0)
        row.addWidget(self._build_form(), 1)
        row.addWidget(self._build_side())
        self.tabs.addTab(apply_tab, "申请受理")
        self.worklist = DivorceWorkList(self.service, self.state.prompter.confirm,
                                        present=lambda exc: present_error(self.state.prompter, exc, self.title))
        self.worklist.changed.connect(self.state.signals.records_changed.emit)
        self.worklist.print_withdrawal.connect(self.print_withdrawal)
        self.tabs.addTab(self.worklist, "我的离婚申请")
        self.tabs.currentChanged.connect(lambda i: i == 1 and self.refresh())

        for seq in ("Ctrl+Return", "Ctrl+Enter"):
            shortcut = QShortcut(QKeySequence(seq), apply_tab)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(self.accept_application)
        self._chain_tabs()
        self._watch_edits()
        self.new_application()

        # Expiry is the main window's hourly duty; whatever it (or another page) changes shows here.
        self.state.signals.records_changed.connect(self.worklist.refresh)
        self.refresh()

    # --- building -------------------------------------------------------------------------------
    def _build_form(self) -> QWidget:
        today = self.state.ctx.clock.today
        self.party1 = PartyForm("男方", today, default_sex="M")
        self.party2 = PartyForm("女方", today, default_sex="F")
        for form in (self.party1, self.party2):
            for key in HIDDEN_PARTY_ROWS:   # not asked for a divorce: the certificate and archive need none
                form.layout().setRowVisible(form.slots[key], False)
        parties = QHBoxLayout()
        parties.setSpacing(12)
        parties.addWidget(self.party1, 1)
        parties.addWidget(self.party2, 1)
        self.card = CardReading(self.state, [self.party1, self.party2], self.apply_tab, purpose="divorce")

        body = QWidget()
        column = QVBoxLayout(body)
        column.setContentsMargins(0, 0, 8, 0)
        column.addWidget(self.card)
        column.addLayout(parties)
        column.addWidget(self._build_marriage())
        column.addWidget(self._build_documents())
        self.agreement = AgreementForm()
        column.addWidget(self.agreement)
        self.counselling = CounsellingBox()
        column.addWidget(self.counselling)
        column.addStretch(1)
        self.form_body = body
        self.form_scroll = QScrollArea()
        self.form_scroll.setWidget(body)
        self.form_scroll.setWidgetResizable(True)
        self.form_scroll.setFrameShape(QFrame.Shape.NoFrame)
        return self.form_scroll

    def _build_marriage(self) -> QGroupBox:
        box = QGroupBox("要解除的婚姻")
        self.marriage_here = QRadioButton("本机关登记（按双方证件号码查找）")
        self.marriage_elsewhere = QRadioButton("其他机关登记（按结婚证录入）")
        self.marriage_mode = QButtonGroup(box)
        self.marriage_mode.addButton(self.marriage_here, 0)
        self.marriage_mode.addButton(self.marriage_elsewhere, 1)
        modes = QHBoxLayout()
        modes.addWidget(self.marriage_here)
        modes.addWidget(self.marriage_elsewhere)
        modes.addStretch(1)

        here = QWidget()
        here_row = QHBoxLayout(here)
        here_row.setContentsMargins(0, 0, 0, 0)
        self.find_button = QPushButton("查找结婚登记")
        self.find_button.clicked.connect(self.find_marriage)
        self.marriage_found = QLabel("录入双方证件号码后点击“查找结婚登记”。")
        self.marriage_found.setObjectName("marriageFound")
        self.marriage_found.setWordWrap(True)
        here_row.addWidget(self.find_button)
        here_row.addWidget(self.marriage_found, 1)

        there = QWidget()
        grid = QGridLayout(there)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(10)
        self.registered_in = _combo(REGISTERED_IN)
        self.registered_in_slot = IssueSlot(self.registered_in)
        self.office_name = CheckedLineEdit(placeholder="如 北京市朝阳区民政局婚姻登记处")
        self.certificate_no = CheckedLineEdit(placeholder="结婚证字号")
        self.archive_no = CheckedLineEdit(placeholder="选填")
        self.married_on = DateField("选填，如 2020-05-20")
        grid.addWidget(QLabel("登记机关类别"), 0, 0)
        grid.addWidget(self.registered_in_slot, 0, 1)
        grid.addWidget(QLabel("登记机关"), 0, 2)
        grid.addWidget(self.office_name, 0, 3)
        grid.addWidget(QLabel("结婚证字号"), 1, 0)
        grid.addWidget(self.certificate_no, 1, 1)
        grid.addWidget(QLabel("档案号"), 1, 2)
        grid.addWidget(self.archive_no, 1, 3)
        grid.addWidget(QLabel("登记日期"), 2, 0)
        grid.addWidget(self.married_on, 2, 1)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 2)

        # Two panes shown one at a time (a QStackedWidget would keep the taller one's height).
        self.marriage_panes = (here, there)
        self.marriage_mode.idToggled.connect(self._marriage_mode_changed)
        self.marriage_error = QLabel()
        self.marriage_error.setObjectName("fieldError")
        self.marriage_error.setWordWrap(True)
        self.marriage_error.hide()
        layout = QVBoxLayout(box)
        layout.addLayout(modes)
        layout.addWidget(here)
        layout.addWidget(there)
        layout.addWidget(self.marriage_error)
        return box

    def _marriage_mode_changed(self, index: int, on: bool) -> None:
        if on:
            for i, pane in enumerate(self.marriage_panes):
                pane.setVisible(i == index)

    def _build_documents(self) -> QGroupBox:
        box = QGroupBox("证件与行为能力")
        self.certificates: dict[str, QComboBox] = {}
        self.certificate_slots: dict[str, IssueSlot] = {}
        self.capacity: dict[str, QComboBox] = {}
        self.capacity_slots: dict[str, IssueSlot] = {}
        grid = QGridLayout(box)
        grid.setHorizontalSpacing(12)
        for col, (key, who) in enumerate((("party1", "男方"), ("party2", "女方"))):
            combo = _combo([("", "请选择")] + [(s, CERT_TEXT[s]) for s in CERT_STATES])
            self.certificates[key] = combo
            self.certificate_slots[key] = IssueSlot(combo)
            capacity = yes_no("具有完全民事行为能力", "无或限制民事行为能力")
            self.capacity[key] = capacity
            self.capacity_slots[key] = IssueSlot(capacity)
            grid.addWidget(QLabel(f"{who}结婚证"), 0, col * 2)
            grid.addWidget(self.certificate_slots[key], 0, col * 2 + 1)
            grid.addWidget(QLabel(f"{who}行为能力"), 1, col * 2)
            grid.addWidget(self.capacity_slots[key], 1, col * 2 + 1)
        self.certificates_error = QLabel()
        self.certificates_error.setObjectName("fieldError")
        self.certificates_error.setWordWrap(True)
        self.certificates_error.hide()
        grid.addWidget(self.certificates_error, 2, 0, 1, 4)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        return box

    def _build_side(self) -> QWidget:
        side = QWidget()
        side.setFixedWidth(340)
        column = QVBoxLayout(side)
        column.setContentsMargins(8, 0, 0, 0)
        self.panel = IssuePanel("受理", field_label)
        column.addWidget(self.panel, 1)
        self.result_box = QGroupBox("受理结果")
        result = QVBoxLayout(self.result_box)
        self.deadlines = QLabel()
        self.deadlines.setObjectName("deadlines")
        self.deadlines.setWordWrap(True)
        self.deadlines.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        result.addWidget(self.deadlines)
        column.addWidget(self.result_box)
        self.print_slip_button = QPushButton("打印受理回执单")
        self.print_slip_button.clicked.connect(self.print_slip)
        self.print_refusal_button = QPushButton("打印不予受理告知书")
        self.print_refusal_button.clicked.connect(self.print_refusal)
        self.primary = QPushButton("受理（Ctrl+Enter）")
        self.primary.setObjectName("primary")
        self.primary.setMinimumHeight(40)
        self.primary.clicked.connect(self.accept_application)
        self.next_button = QPushButton("办理下一对")
        self.next_button.clicked.connect(self.new_application)
        for w in (self.print_slip_button, self.print_refusal_button, self.primary, self.next_button):
            column.addWidget(w)
        hint = QLabel("Enter 下一项　Ctrl+Enter 受理")
        hint.setObjectName("hint")
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        column.addWidget(hint)
        return side

    def _chain_tabs(self) -> None:
        chain = self.party1.inputs() + self.party2.inputs()
        chain += [self.marriage_here, self.find_button, self.registered_in, self.office_name.edit,
                  self.certificate_no.edit, self.archive_no.edit, self.married_on.edit]
        for key in ("party1", "party2"):
            chain += [self.certificates[key], self.capacity[key]]
        chain += self.agreement.inputs() + [self.primary]
        for a, b in zip(chain, chain[1:]):
            QWidget.setTabOrder(a, b)
        self.flow.watch(*[w for w in chain if not isinstance(w, QPushButton)
                          and w not in (self.agreement.signed_text, self.agreement.children.table,
                                        self.agreement.property.table, self.agreement.debts.table)])

    def _watch_edits(self) -> None:
        """Every edit re-runs the live check (debounced), so errors clear as the clerk fixes them."""
        for form in (self.party1, self.party2):
            form.changed.connect(self._edited)
        for box in (self.registered_in, *self.certificates.values(), *self.capacity.values()):
            box.currentIndexChanged.connect(self._edited)
        for field in (self.office_name, self.certificate_no, self.archive_no, self.married_on):
            field.edit.textChanged.connect(self._edited)
        self.marriage_mode.idToggled.connect(self._edited)
        self.agreement.changed.connect(self._edited)

    def _edited(self, *_args) -> None:
        if self.application is None:
            self.check_timer.start()

    # --- collecting -----------------------------------------------------------------------------
    def collect(self) -> dict:
        """The application as DivorceService.apply takes it."""
        if self.marriage_here.isChecked():
            found = self.marriage_record_id is not None and self._ids() == self._found_for
            marriage = {"record_id": self.marriage_record_id} if found else {}
        else:
            married_on = self.married_on.date()
            marriage = {"registered_elsewhere": {
                "registered_in": self.registered_in.currentData(), "office_name": self.office_name.text().strip(),
                "certificate_no": self.certificate_no.text().strip(), "archive_no": self.archive_no.text().strip(),
                "registration_date": married_on.isoformat() if married_on else None}}
        return {
            "party1": self.party1.person().to_dict(), "party2": self.party2.person().to_dict(),
            "marriage": marriage,
            "certificates": {k: (c.currentData() or None) for k, c in self.certificates.items()},
            "capacity": {k: answer(c) for k, c in self.capacity.items()},
            "agreement": self.agreement.agreement(),
            "counselling": self.counselling.value(),
        }

    def _local_issues(self) -> list[Issue]:
        out = []
        for prefix, form in (("party1", self.party1), ("party2", self.party2)):
            out += [Issue(i.code, i.message, f"{prefix}.{key}") for key, i in form.local_issues().items()]
        return out

    def _ids(self) -> tuple[str, str] | None:
        p1, p2 = self.party1.person(), self.party2.person()
        if self._local_issues() or not p1.id_number or not p2.id_number:
            return None
        return p1.id_number, p2.id_number

    # --- the marriage in this office's records --------------------------------------------------
    def find_marriage(self) -> bool:
        """Both parties' ID numbers -> this office's marriage record of the two (RecordSearch, audited)."""
        self.marriage_record_id = None
        ids = self._found_for = self._ids()
        if ids is None:
            self.marriage_found.setText("请先正确录入双方的证件号码。")
            return False
        if self.party1.id_type.currentData() != IdType.RESIDENT.value and \
                self.party2.id_type.currentData() != IdType.RESIDENT.value:
            self.marriage_found.setText("本机关记录按居民身份证号码查找；其他证件请按结婚证录入。")
            return False
        try:
            hit = self.service.find_marriage(*ids)
        except RegistryError as exc:
            self.marriage_found.setText("无法查找：" + error_text(exc))
            return False
        if hit is None:
            self.marriage_found.setText("本机关没有这两人的结婚登记记录。如在其他机关登记，请选择“其他机关登记”按结婚证录入。")
            return False
        self.marriage_record_id = hit.record_id
        names = "、".join(hit.names)
        date = hit.registration_date or "日期未录"
        self.marriage_found.setText(f"已找到：{names}，{date} 登记，结婚证字号 {hit.certificate_no or '（无）'}"
                                    + ("" if hit.status == MarriageState.REGISTERED else "（该婚姻当前不能办理离婚，受理时将说明原因）"))
        self._edited()
        return True

    # --- live check -----------------------------------------------------------------------------
    def run_check(self) -> DivorceCheck | None:
        """Ask the service whether the application as typed could be accepted; show the answer."""
        self.check_timer.stop()
        if self.application is not None:
            return None
        try:
            check = self.service.check(self.collect())
        except Exception as exc:  # noqa: BLE001 — shown, never a crash of the counter
            self.panel.show_state("bad", "暂时无法检查受理条件：" + error_text(exc))
            return None
        seen = {i.field for i in check.issues}
        check = DivorceCheck(check.refused, check.incomplete + [i for i in self._local_issues() if i.field not in seen])
        self._show_check(check)
        return check

    def _show_check(self, check: DivorceCheck, title: str = "") -> None:
        """Refusals (legal grounds, printable as 不予受理告知书) apart from what is still missing."""
        self.refusal = list(check.refused) if self.reveal else []
        note = self._card_note()
        if check.refused:
            head = title or "不予受理"
            self.panel.show_state("bad", (f"{head}（{len(check.refused)} 项依法不予受理，{len(check.incomplete)} 项待补）"
                                          if check.incomplete else f"{head}（{len(check.refused)} 项）") + note,
                                  check.issues)
        elif check.incomplete:
            self.panel.show_state("bad", f"{title or '尚不能受理'}：{len(check.incomplete)} 项未填写或不完整{note}",
                                  check.incomplete)
        else:
            self.panel.show_state("ok", "符合受理条件，可以受理" + note)
        self._show_field_issues(check.issues)
        self._set_state()

    # --- steps ----------------------------------------------------------------------------------
    def accept_application(self) -> None:
        if self.application is not None:
            return
        self.check_timer.stop()
        self.reveal = True
        local = self._local_issues()
        if local:
            self._show_check(DivorceCheck([], local), "请先更正标红的字段")
            return
        if self.marriage_here.isChecked() and (self.marriage_record_id is None or self._ids() != self._found_for):
            self.find_marriage()
        case = self.collect()
        try:
            out = self.service.apply(case)
        except Refused as exc:
            self._show_check(DivorceCheck.of(exc.issues))
            return
        except StorageError as exc:  # the database (a dropped server connection), not the application
            present_error(self.state.prompter, exc, "离婚登记")
            return
        except RegistryError as exc:
            self._show_check(DivorceCheck([], exc.issues), "未能受理")
            return
        except Exception as exc:  # noqa: BLE001 — the counter keeps working; the clerk is told
            present_error(self.state.prompter, exc, "离婚登记")
            return
        self.application = out
        self.refusal = []
        self.state.signals.records_changed.emit()
        self._show_field_issues([])
        self.panel.show_state("ok", f"已受理，受理号 {out['application_id']}。{self._card_note()}\n"
                                    "请打印受理回执单，由双方签收。冷静期内任何一方可持回执单撤回申请。")
        self.deadlines.setText(self.deadlines_text(out))
        self._set_state()
        self.refresh()
        self.print_slip_button.setFocus()

    def _card_note(self) -> str:
        """What was typed over a read card, said where 受理 is decided (the clerk checks it with the card)."""
        return "\n" + self.card.status.text() if any(self.card.changed_fields(i) for i in (0, 1)) else ""

    @staticmethod
    def deadlines_text(out: dict) -> str:
        def zh(key):
            y, m, d = (int(x) for x in out[key].split("-"))
            return f"{y}年{m}月{d}日"
        return (f"受理号：{out['application_id']}\n受理日期：{zh('received')}\n"
                f"冷静期届满：{zh('cooling_off_ends')}\n领证期：{zh('window_opens')} 至 {zh('collect_by')}\n"
                "期满未共同申请发证的，视为撤回申请。")

    def _show_field_issues(self, issues: list[Issue]) -> None:
        """Errors at their fields. Before the first 受理, a question not yet answered is listed in the
        panel only (the clerk is still filling in); what was typed wrong is shown at once."""
        self.party1.show_issues(issues, "party1", self.reveal)
        self.party2.show_issues(issues, "party2", self.reveal)
        by_field: dict[str, Issue] = {}
        for issue in issues:
            if issue.field and (self.reveal or issue.code not in UNANSWERED):
                by_field.setdefault(issue.field, issue)
        issues = [i for i in issues if self.reveal or i.code not in UNANSWERED]
        for key in ("party1", "party2"):
            self.certificate_slots[key].show_issue(by_field.get(f"certificates.{key}"))
            self.capacity_slots[key].show_issue(by_field.get(f"capacity.{key}"))
        self.registered_in_slot.show_issue(by_field.get("marriage.registered_elsewhere.registered_in"))
        for label, prefix in ((self.marriage_error, "marriage"), (self.certificates_error, "certificates")):
            messages = [i.message for i in issues if i.field == prefix or
                        (prefix == "marriage" and (i.field or "").startswith("marriage.")
                         and i.field != "marriage.registered_elsewhere.registered_in")]
            label.setText("；".join(messages))
            label.setVisible(bool(messages))

    def print_slip(self) -> None:
        if self.application is None:
            return
        app_id = self.application["application_id"]
        self._print(lambda: self.documents.acknowledgement_slip(app_id), f"divorce-slip-{app_id}.pdf")

    def print_refusal(self) -> None:
        if not self.refusal:
            return
        names = [p.name.text().strip() for p in (self.party1, self.party2)]
        self._print(lambda: self.documents.refusal_notice(self.refusal, names, self.state.ctx.clock.today()),
                    "divorce-refusal.pdf")

    def print_withdrawal(self, app_id: int) -> None:
        self._print(lambda: self.documents.withdrawal_confirmation(app_id), f"divorce-withdrawal-{app_id}.pdf")

    def _print(self, render: Callable[[], bytes], name: str) -> None:
        try:
            pdf = render()
            self.open_pdf(pdf, name)
        except Exception as exc:  # noqa: BLE001 — a coded refusal or a defect, shown the one way
            present_error(self.state.prompter, exc, "打印")

    def new_application(self) -> None:
        self.check_timer.stop()
        self.application = None
        self.refusal = []
        self.reveal = False
        self.marriage_record_id = None
        self._found_for = None
        self.party1.clear()
        self.party2.clear()
        self.card.forget()
        self.marriage_here.setChecked(True)
        self._marriage_mode_changed(0, True)
        self.marriage_found.setText("录入双方证件号码后点击“查找结婚登记”，受理时也会自动查找。")
        for w in (self.office_name, self.certificate_no, self.archive_no, self.married_on):
            w.setText("")
        self.registered_in.setCurrentIndex(0)
        for key in ("party1", "party2"):
            self.certificates[key].setCurrentIndex(0)
            set_answer(self.capacity[key], None)
        self.agreement.clear()
        self.counselling.clear()
        self.check_timer.stop()
        self.deadlines.setText("")
        self._show_field_issues([])
        self.panel.show_state("info", "录入双方信息、婚姻登记、证件和离婚协议后点击“受理”。\n"
                                      "不予受理的，此处列出全部原因，可打印不予受理告知书。")
        self._set_state()
        self.form_scroll.verticalScrollBar().setValue(0)
        self.party1.name.setFocus()

    def _set_state(self) -> None:
        accepted = self.application is not None
        self.form_body.setEnabled(not accepted)
        self.primary.setEnabled(not accepted)
        self.result_box.setVisible(accepted)
        self.print_slip_button.setEnabled(accepted)
        self.print_slip_button.setToolTip("" if accepted else "受理后可打印")
        self.print_refusal_button.setEnabled(bool(self.refusal))
        self.print_refusal_button.setToolTip("" if self.refusal else "依法不予受理时可打印（未填写完整的不属于不予受理）")
        self.next_button.setVisible(accepted or bool(self.refusal))

    # --- the work list --------------------------------------------------------------------------
    def refresh(self) -> None:
        self.worklist.refresh()

    def on_shown(self) -> None:
        self.refresh()
        if self.tabs.currentIndex() == 0 and self.application is None:
            self.party1.name.setFocus()


register_page("divorce", "离婚登记", lambda state: DivorcePage(state))
