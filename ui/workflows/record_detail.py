"""档案详情: one record's page inside 档案查询 — state, parties, the timeline from the audit trail,
certificates with blank serials and print log, documents, provincial sync status, corrections.

Only shows what registry_app.services.record_history hands over and collects corrections for
registry_app.services.corrections; every rule (allowed paths, field checks, four eyes) is there.

The page keeps the record's version it showed and a proposal names it: when another counter changed the
record meanwhile the proposal is refused (RECORD_CHANGED, through the presenter), the dialog keeps what
the clerk typed and offers to read the record again; an approval is checked by the service against the
version the proposal was made at, and the list is refreshed on request (刷新)."""
from __future__ import annotations

from typing import Callable, Sequence

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from registry_app.domain.ids import IdType
from registry_app.domain.roles import Permission, can
from registry_app.errors import RecordChanged, RegistryError
from registry_app.services.corrections import Corrections, CorrectionView
from registry_app.services.record_history import RecordHistory, RecordPage, path_label
from registry_app.services.staff_names import StaffNames
from ui.errors import error_text, present_error


class RowsModel(QAbstractTableModel):
    """A read-only table of display strings, with the object behind each row kept alongside."""

    def __init__(self, headers: Sequence[str], parent=None):
        super().__init__(parent)
        self.headers = list(headers)
        self.rows: list[tuple] = []
        self.items: list = []

    def set_rows(self, rows: list[Sequence], items: list | None = None) -> None:
        self.beginResetModel()
        self.rows = [tuple("" if v is None else str(v) for v in r) for r in rows]
        self.items = list(items) if items is not None else [None] * len(self.rows)
        self.endResetModel()

    def item(self, row: int):
        return self.items[row] if 0 <= row < len(self.items) else None

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 — Qt naming
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.headers)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self.rows) or index.column() >= len(self.headers):
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self.rows[index.row()][index.column()]
        return None

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self.headers[section] if 0 <= section < len(self.headers) else None
        return str(section + 1)


def make_table(model: QAbstractTableModel, stretch: int | None = None) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QTableView.SelectionMode.SingleSelection)
    view.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.verticalHeader().setVisible(False)
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    if stretch is not None:
        header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    else:
        header.setStretchLastSection(True)
    return view


def _when(iso: str | None) -> str:
    return (iso or "")[:19].replace("T", " ")


# Choices for the fields whose values are codes; anything else is typed.
_CHOICES = {
    "sex": [("男", "M"), ("女", "F")],
    "prior_status": [("未婚", "unmarried"), ("离婚", "divorced"), ("丧偶", "widowed")],
    "id_type": [(t.zh, t.value) for t in IdType],
}


class CorrectionDialog(QDialog):
    """提出更正: which field (from the record's allow-list), the new value, why, and on what evidence."""

    def __init__(self, ctx, page: RecordPage, parent: QWidget | None = None, *, prompter=None,
                 reread: Callable[[], RecordPage | None] | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.page = page
        self.prompter = prompter
        self.reread = reread      # reads the record again (its new version), for after a RECORD_CHANGED
        self.correction_id: int | None = None
        self.setWindowTitle(self.tr("提出更正"))
        self.setMinimumWidth(520)
        form = QFormLayout(self)
        form.addRow(QLabel(self.tr("档案：") + f"{page.kind_zh} {page.certificate_no or ''}（第{page.record_id}号）"))
        self.field = QComboBox()
        for f in page.correctable:
            self.field.addItem(f.label, f.path)
        self.current = QLabel()
        self.current.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.new_value = QComboBox()
        self.new_value.setEditable(True)
        self.new_value.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.reason = QLineEdit(placeholderText=self.tr("如：当事人申请，原登记录入错误"))
        self.evidence = QLineEdit(placeholderText=self.tr("如：户口簿、身份证复印件、原始档案页"))
        self.message = QLabel()
        self.message.setObjectName("fieldError")
        self.message.setWordWrap(True)
        form.addRow(self.tr("更正项目"), self.field)
        form.addRow(self.tr("原值"), self.current)
        form.addRow(self.tr("新值"), self.new_value)
        form.addRow(self.tr("更正原因"), self.reason)
        form.addRow(self.tr("证明材料"), self.evidence)
        form.addRow(self.message)
        buttons = QHBoxLayout()
        self.reread_button = QPushButton(self.tr("重新读取档案"))
        self.reread_button.setToolTip(self.tr("读取档案的最新内容；已填写的新值、原因和证明材料保留"))
        self.reread_button.clicked.connect(self.read_again)
        self.reread_button.setVisible(False)
        buttons.addWidget(self.reread_button)
        self.submit_button = QPushButton(self.tr("提交审批"))
        self.submit_button.setObjectName("primary")
        self.submit_button.clicked.connect(self.submit)
        cancel = QPushButton(self.tr("取消"))
        cancel.clicked.connect(self.reject)
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.submit_button)
        form.addRow(buttons)
        self.field.currentIndexChanged.connect(self._field_changed)
        self._field_changed()

    def select_path(self, path: str) -> None:
        index = self.field.findData(path)
        if index >= 0:
            self.field.setCurrentIndex(index)

    def _show_current(self) -> None:
        path = self.field.currentData() or ""
        current = next((f.current for f in self.page.correctable if f.path == path), "")
        self.current.setText(current or self.tr("（空）"))

    def _field_changed(self) -> None:
        path = self.field.currentData() or ""
        self._show_current()
        self.new_value.clear()
        for text, value in _CHOICES.get(path.rsplit(".", 1)[-1], []):
            self.new_value.addItem(text, value)
        self.new_value.setCurrentIndex(-1)
        self.new_value.setEditText("")

    def value(self) -> str:
        text = self.new_value.currentText().strip()
        index = self.new_value.findText(text)
        return self.new_value.itemData(index) if index >= 0 else text

    def submit(self) -> None:
        change = {"path": self.field.currentData(), "new": self.value()}
        try:
            self.correction_id = Corrections(self.ctx).propose(self.page.record_id, [change], self.reason.text(),
                                                               self.evidence.text(), version=self.page.version)
        except RecordChanged as exc:
            # another counter changed the record since the page read it: say so, keep what was typed
            present_error(self.prompter or self, exc, self.tr("提出更正"))
            self.message.setText(error_text(exc) + self.tr("。已填写的内容保留，可点击“重新读取档案”。"))
            self.reread_button.setVisible(self.reread is not None)
            self.adjustSize()   # room for the whole message
            return
        except RegistryError as exc:
            self.message.setText(error_text(exc))
            return
        self.accept()

    def read_again(self) -> None:
        """Read the record again (its new version and values); the typed new value, reason and evidence stay."""
        page = self.reread() if self.reread else None
        if page is None:
            return
        self.page = page
        self._show_current()
        self.reread_button.setVisible(False)
        self.message.setText(self.tr("已重新读取档案，请核对原值后再提交。"))


class RecordDetail(QWidget):
    back_requested = Signal()
    changed = Signal()

    def __init__(self, state, parent: QWidget | None = None,
                 ask_text: Callable[[str, str], str | None] | None = None):
        super().__init__(parent)
        self.state = state
        self.ask_text = ask_text or self._ask_text
        self.page: RecordPage | None = None
        self.dialog: CorrectionDialog | None = None
        role = state.ctx.user.role if state.ctx.user else None
        self.supervisor = bool(role) and can(role, Permission.APPROVE_CORRECTION)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        self.back_button = QPushButton(self.tr("‹ 返回查询结果"))
        self.back_button.clicked.connect(self.back_requested)
        self.heading = QLabel()
        self.heading.setObjectName("recordHeading")
        self.heading.setStyleSheet("font-size: 18px; font-weight: bold; color: #1f3a5f;")
        self.correct_button = QPushButton(self.tr("提出更正…"))
        self.correct_button.clicked.connect(self.propose_correction)
        top.addWidget(self.back_button)
        top.addWidget(self.heading, 1)
        top.addWidget(self.correct_button)
        outer.addLayout(top)
        shortcut = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shortcut.activated.connect(self.back_requested)

        self.message = QLabel()
        self.message.setObjectName("notice")
        self.message.setWordWrap(True)

        upper = QHBoxLayout()
        state_box = QGroupBox(self.tr("当前状态"))
        grid = QGridLayout(state_box)
        self.summary: dict[str, QLabel] = {}
        for i, (key, label) in enumerate((("status", "状态"), ("certificate_no", "证书字号"),
                                          ("registration_date", "登记日期"), ("application_date", "受理日期"),
                                          ("archive_no", "档案号"), ("source", "来源"), ("remarks", "备注"))):
            value = QLabel()
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setWordWrap(True)
            self.summary[key] = value
            grid.addWidget(QLabel(self.tr(label) + "："), i, 0, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(value, i, 1)
        grid.setColumnStretch(1, 1)
        state_box.setMinimumWidth(300)
        upper.addWidget(state_box)
        parties_box = QGroupBox(self.tr("当事人"))
        pv = QVBoxLayout(parties_box)
        self.parties_model = RowsModel(("身份", "姓名", "性别", "出生日期", "证件类型", "证件号码", "国籍", "其他"))
        self.parties_view = make_table(self.parties_model, stretch=7)
        self.parties_view.setMaximumHeight(200)   # room for five parties (an adoption), the rest to the tabs
        pv.addWidget(self.parties_view)
        upper.addWidget(parties_box, 1)
        outer.addLayout(upper)

        self.tabs = QTabWidget()
        self.events_model = RowsModel(("时间", "操作人", "角色", "事项", "内容", "原因"))
        self.events_view = make_table(self.events_model, stretch=4)
        self.tabs.addTab(self.events_view, self.tr("办理经过"))

        certs = QWidget()
        cv = QVBoxLayout(certs)
        cv.setContentsMargins(0, 0, 0, 0)
        self.certs_model = RowsModel(("证书字号", "种类", "状态", "发证日期", "空白证书印制号", "空白证书状态",
                                      "打印次数", "作废原因"))
        self.certs_view = make_table(self.certs_model, stretch=7)
        self.prints_model = RowsModel(("证书字号", "份次", "印制号", "打印人", "批准人", "打印时间"))
        self.prints_view = make_table(self.prints_model)
        cv.addWidget(self.certs_view, 3)
        cv.addWidget(QLabel(self.tr("打印记录")))
        cv.addWidget(self.prints_view, 2)
        self.tabs.addTab(certs, self.tr("证书与空白证书"))

        self.docs_model = RowsModel(("材料", "文件名", "类型", "添加人", "添加时间"))
        self.tabs.addTab(make_table(self.docs_model, stretch=1), self.tr("材料"))
        self.sync_model = RowsModel(("序号", "上报事项", "业务日期", "批次", "上报状态", "省级代码"))
        self.tabs.addTab(make_table(self.sync_model), self.tr("上报状态"))

        corr = QWidget()
        rv = QVBoxLayout(corr)
        rv.setContentsMargins(0, 0, 0, 0)
        self.corrections_model = RowsModel(("编号", "状态", "更正项目", "原值", "新值", "原因", "证明材料",
                                            "提出人", "审批人", "审批意见"))
        self.corrections_view = make_table(self.corrections_model, stretch=5)
        rv.addWidget(self.corrections_view, 1)
        actions = QHBoxLayout()
        self.pending_label = QLabel()
        actions.addWidget(self.pending_label, 1)
        self.approve_button = QPushButton(self.tr("批准所选更正"))
        self.approve_button.clicked.connect(self.approve_selected)
        self.reject_button = QPushButton(self.tr("驳回所选更正"))
        self.reject_button.clicked.connect(self.reject_selected)
        for b in (self.approve_button, self.reject_button):
            b.setVisible(self.supervisor)
            actions.addWidget(b)
        self.refresh_button = QPushButton(self.tr("刷新"))
        self.refresh_button.setToolTip(self.tr("重新读取档案和更正记录"))
        self.refresh_button.clicked.connect(self.reload)
        actions.addWidget(self.refresh_button)
        rv.addLayout(actions)
        self.tabs.addTab(corr, self.tr("更正记录"))
        outer.addWidget(self.tabs, 3)
        outer.addWidget(self.message)

    # --- loading --------------------------------------------------------------------------------
    def open_record(self, record_id: int) -> bool:
        """Open (and so audit a view of) the record; False with the reason shown when refused."""
        try:
            page = RecordHistory(self.state.ctx).record(record_id)
        except RegistryError as exc:
            self.message.setText(error_text(exc))
            return False
        self.show_page(page)
        return True

    def reload(self) -> RecordPage | None:
        """Read the record again (a new `record.view`); the page as now shown, None when refused."""
        if self.page is not None and self.open_record(self.page.record_id):
            return self.page
        return None

    def show_page(self, page: RecordPage) -> None:
        self.page = page
        self.message.clear()
        head = f"{page.kind_zh}　{page.certificate_no or self.tr('（未发证）')}"
        if page.back_entered:
            head += self.tr("　［历史补录］")
        self.heading.setText(head)
        data = page.data or {}
        values = {"status": page.status_zh, "certificate_no": page.certificate_no or "—",
                  "registration_date": page.registration_date or "—", "application_date": page.application_date or "—",
                  "archive_no": page.archive_no or "—",
                  "source": self.tr("历史档案补录") if page.back_entered else self.tr("本机关办理"),
                  "remarks": data.get("remarks") or "—"}
        for key, label in self.summary.items():
            label.setText(str(values[key]))
        self.parties_model.set_rows([
            (p.role_zh, p.name, p.sex, p.birth_date or "", p.id_type_zh, p.id_number, p.nationality,
             "，".join(str(v) for v in p.details.values()))
            for p in page.parties], page.parties)
        staff = StaffNames(self.state.ctx)  # the people who did it by name (李明), not by login
        self.events_model.set_rows([
            (_when(e.at), staff.name(e.username), e.role_zh, e.action_zh, staff.in_text(e.what), e.reason)
            for e in page.events], page.events)
        self.events_view.scrollToBottom()
        self.certs_model.set_rows([
            (c.number, c.cert_type_zh, c.status_zh, c.issued_on, c.blank_serial or self.tr("未记录"),
             c.blank_status_zh, len(c.prints), c.void_reason) for c in page.certificates], page.certificates)
        prints = [(c.number, p) for c in page.certificates for p in c.prints]
        self.prints_model.set_rows([
            (number, f"第{p.copy_no}份", p.blank_serial or "", staff.name(p.printed_by), staff.name(p.approved_by),
             _when(p.printed_at))
            for number, p in prints], [p for _, p in prints])
        self.docs_model.set_rows([(d.kind_zh, d.filename, d.media_type, staff.name(d.added_by), _when(d.added_at))
                                  for d in page.documents], page.documents)
        self.sync_model.set_rows([(e.seq, e.event_type_zh, e.business_date, e.batch_seq or "", e.sync_status_zh,
                                   e.sync_code or "") for e in page.sync], page.sync)
        rows, items = [], []
        for c in page.corrections:
            for ch in c.changes:
                rows.append((c.id, c.status_zh, path_label(ch["path"], page.parties), ch.get("old") or "（空）",
                             ch.get("new") or "（空）", c.reason, c.evidence, staff.name(c.proposed_by),
                             staff.name(c.decided_by),
                             c.decision_note))
                items.append(c)
        self.corrections_model.set_rows(rows, items)
        pending = page.pending_corrections
        self.pending_label.setText(self.tr("待审批更正：") + f"{len(pending)} 项" if pending else "")
        self.tabs.setTabText(4, self.tr("更正记录") + (f"（{len(pending)} 项待审批）" if pending else ""))
        self.correct_button.setEnabled(bool(page.correctable))

    # --- corrections ----------------------------------------------------------------------------
    def propose_correction(self) -> CorrectionDialog | None:
        """Open the 提出更正 dialog (window-modal, not blocking); the page reloads when it is submitted."""
        if self.page is None:
            return None
        self.dialog = CorrectionDialog(self.state.ctx, self.page, self, prompter=self.state.prompter,
                                       reread=self.reload)
        self.dialog.accepted.connect(self._proposed)
        self.dialog.open()
        return self.dialog

    def _proposed(self) -> None:
        cid = self.dialog.correction_id if self.dialog else None
        self.reload()
        self.tabs.setCurrentIndex(4)
        self.message.setText(self.tr("已提出更正申请") + f"（第{cid}号），" + self.tr("须由负责人审批后生效。"))
        self.changed.emit()

    def selected_correction(self) -> CorrectionView | None:
        rows = self.corrections_view.selectionModel().selectedRows()
        if rows:
            return self.corrections_model.item(rows[0].row())
        pending = self.page.pending_corrections if self.page else []
        return pending[0] if len(pending) == 1 else None

    def approve_selected(self) -> None:
        c = self.selected_correction()
        if c is None:
            self.message.setText(self.tr("请先选择一项待审批的更正"))
            return
        try:
            Corrections(self.state.ctx).approve(c.id)   # checked against the version it was proposed at
        except RecordChanged as exc:
            present_error(self.state.prompter, exc, self.tr("批准更正"))
            self.message.setText(error_text(exc) + self.tr("。点击“刷新”查看档案现状。"))
            return
        except RegistryError as exc:
            self.message.setText(error_text(exc))
            return
        self.reload()
        self.message.setText(self.tr("已批准更正") + f"第{c.id}号，" + self.tr("档案已按更正内容修改，原值保留在更正记录中。"))
        self.changed.emit()

    def reject_selected(self) -> None:
        c = self.selected_correction()
        if c is None:
            self.message.setText(self.tr("请先选择一项待审批的更正"))
            return
        note = self.ask_text(self.tr("驳回更正"), self.tr("驳回理由"))
        if note is None:
            return
        try:
            Corrections(self.state.ctx).reject(c.id, note)
        except RegistryError as exc:
            self.message.setText(error_text(exc))
            return
        self.reload()
        self.message.setText(self.tr("已驳回更正") + f"第{c.id}号")
        self.changed.emit()

    def _ask_text(self, title: str, label: str) -> str | None:
        text, ok = QInputDialog.getText(self, title, label)
        return text if ok else None
