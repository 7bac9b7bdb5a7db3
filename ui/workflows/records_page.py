"""档案查询: one search box with results as you type, filters, a paged table; Enter or a double click
opens the record's page (record_detail). The search runs off the GUI thread (ui.background); a newer
query always wins over an older one still on its way. 历史档案补录 opens the archive import dialog.

What a query means, the index it uses, masking and auditing are registry_app.services.search's."""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from registry_app.domain.roles import Permission, can
from registry_app.errors import RegistryError
from registry_app.services.corrections import Corrections
from registry_app.services.record_history import KIND_ZH, STATUS_ZH, path_label
from registry_app.services.search import Hit, RecordSearch, SearchPage
from registry_app.services.staff_names import StaffNames
from ui.background import BackgroundOperation, start
from ui.errors import error_text
from ui.main_window import register_page
from ui.pages import PageBase
from ui.widgets.fields import DateField
from ui.workflows.archive_import_dialog import ArchiveImportDialog
from ui.workflows.record_detail import RecordDetail, RowsModel, make_table

SEARCH_DELAY_MS = 250
PAGE_SIZE = 20
HIT_COLUMNS = ("类型", "状态", "证书字号", "登记日期", "当事人", "证件号码（部分隐藏）", "来源")
QUERY_KIND_ZH = {"id_number": "按身份证号码", "id_tail": "按证件号码尾号", "certificate_no": "按证书字号",
                 "name": "按姓名（同名的按登记日期从新到旧）", "initials": "按拼音首字母（同名的按登记日期从新到旧）"}


def hit_row(h: Hit) -> tuple:
    names = "、".join(p["name"] for p in h.parties)
    ids = "、".join(p.get("id_number_masked") or "—" for p in h.parties)
    return (KIND_ZH.get(h.kind, h.kind), STATUS_ZH.get(h.kind, {}).get(h.status, h.status), h.certificate_no or "",
            h.registration_date or "", names, ids, "历史补录" if h.back_entered else "")


class _EnterFilter(QObject):
    """Enter in the search box or on the table opens the record."""

    def __init__(self, on_enter: Callable[[QObject], bool], parent: QObject):
        super().__init__(parent)
        self.on_enter = on_enter

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 — Qt naming
        if event.type() == QEvent.Type.KeyPress and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            return self.on_enter(obj)
        return False


class RecordsPage(PageBase):
    title = "档案查询"

    def __init__(self, state, parent: QWidget | None = None,
                 choose_file: Callable[[str, str], str] | None = None,
                 ask_text: Callable[[str, str], str | None] | None = None):
        super().__init__(state, parent)
        self.choose_file = choose_file
        self.generation = 0            # bumped by every search: only the newest answer is shown
        self.shown_generation = 0
        self.offset = 0
        self.result: SearchPage | None = None
        self.operations: set[BackgroundOperation] = set()
        self.import_dialog: ArchiveImportDialog | None = None
        role = state.ctx.user.role if state.ctx.user else None
        self.supervisor = bool(role) and can(role, Permission.APPROVE_CORRECTION)

        self.stack = QStackedWidget()
        self.layout_.addWidget(self.stack, 1)
        self.stack.addWidget(self._build_search())
        self.detail = RecordDetail(state, self, ask_text=ask_text)
        self.detail.back_requested.connect(self.back_to_results)
        self.detail.changed.connect(self._records_changed)
        self.stack.addWidget(self.detail)

        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(SEARCH_DELAY_MS)
        self.timer.timeout.connect(self.run_search)
        state.signals.records_changed.connect(self._records_changed)

    # --- building -------------------------------------------------------------------------------
    def _build_search(self) -> QWidget:
        w = QWidget()
        v = QVBoxLayout(w)
        v.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.search_edit = QLineEdit()
        self.search_edit.setObjectName("searchBox")
        self.search_edit.setPlaceholderText(self.tr("输入姓名、拼音首字母、身份证号码（或后4至6位）、证书字号"))
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.setStyleSheet("font-size: 17px; padding: 6px 8px;")
        self.search_edit.textChanged.connect(self._query_changed)
        row.addWidget(self.search_edit, 1)
        self.import_button = QPushButton(self.tr("历史档案补录…"))
        self.import_button.clicked.connect(self.open_import)
        row.addWidget(self.import_button)
        v.addLayout(row)

        filters = QHBoxLayout()
        self.kind = QComboBox()
        self.kind.addItem(self.tr("全部类型"), None)
        for key, label in KIND_ZH.items():
            self.kind.addItem(label, key)
        self.status = QComboBox()
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.status.currentIndexChanged.connect(self._filters_changed)
        self.date_from = DateField(self.tr("自，如 2020-01-01"))
        self.date_to = DateField(self.tr("至，如 2026-06-30"))
        for d in (self.date_from, self.date_to):
            d.edit.textChanged.connect(self._filters_changed)
            d.setFixedWidth(200)
        filters.addWidget(QLabel(self.tr("类型")))
        filters.addWidget(self.kind)
        filters.addWidget(QLabel(self.tr("状态")))
        filters.addWidget(self.status)
        filters.addWidget(QLabel(self.tr("登记日期")))
        filters.addWidget(self.date_from, 0, Qt.AlignmentFlag.AlignTop)
        filters.addWidget(QLabel("—"))
        filters.addWidget(self.date_to, 0, Qt.AlignmentFlag.AlignTop)
        filters.addStretch(1)
        v.addLayout(filters)
        self._kind_changed()

        self.tabs = QTabWidget()
        results = QWidget()
        rv = QVBoxLayout(results)
        rv.setContentsMargins(0, 0, 0, 0)
        self.model = RowsModel(HIT_COLUMNS)
        self.view = make_table(self.model, stretch=4)
        self.view.doubleClicked.connect(lambda index: self.open_row(index.row()))
        rv.addWidget(self.view, 1)
        pager = QHBoxLayout()
        self.summary = QLabel()
        self.summary.setObjectName("notice")
        self.prev_button = QPushButton(self.tr("上一页"))
        self.next_button = QPushButton(self.tr("下一页"))
        self.prev_button.clicked.connect(self.previous_page)
        self.next_button.clicked.connect(self.next_page)
        self.prev_button.setEnabled(False)
        self.next_button.setEnabled(False)
        pager.addWidget(self.summary, 1)
        pager.addWidget(self.prev_button)
        pager.addWidget(self.next_button)
        rv.addLayout(pager)
        self.tabs.addTab(results, self.tr("查询结果"))
        if self.supervisor:
            pending = QWidget()
            pv = QVBoxLayout(pending)
            pv.setContentsMargins(0, 0, 0, 0)
            self.pending_model = RowsModel(("编号", "档案", "更正项目", "原值", "新值", "原因", "提出人", "提出时间"))
            self.pending_view = make_table(self.pending_model, stretch=5)
            self.pending_view.doubleClicked.connect(lambda index: self.open_pending(index.row()))
            pv.addWidget(self.pending_view, 1)
            hint = QLabel(self.tr("双击打开档案，在“更正记录”中批准或驳回（不能审批本人提出的更正）。"))
            hint.setObjectName("notice")
            pv.addWidget(hint)
            self.tabs.addTab(pending, self.tr("待审批更正"))
        v.addWidget(self.tabs, 1)
        self.message = QLabel(self.tr("输入后即时查询；回车或双击打开档案。"))
        self.message.setObjectName("notice")
        self.message.setWordWrap(True)
        v.addWidget(self.message)

        self.enter_filter = _EnterFilter(self._enter, self)
        self.search_edit.installEventFilter(self.enter_filter)
        self.view.installEventFilter(self.enter_filter)
        return w

    # --- searching ------------------------------------------------------------------------------
    def _kind_changed(self) -> None:
        kind = self.kind.currentData()
        self.status.blockSignals(True)
        self.status.clear()
        self.status.addItem(self.tr("全部状态"), None)
        seen = set()
        for k, states in STATUS_ZH.items():
            if kind and k != kind:
                continue
            for key, label in states.items():
                if key not in seen:
                    seen.add(key)
                    self.status.addItem(label, key)
        self.status.blockSignals(False)
        self._filters_changed()

    def _query_changed(self) -> None:
        self.offset = 0
        self.timer.start()

    def _filters_changed(self) -> None:
        self.offset = 0
        if self.search_edit.text().strip():
            self.timer.start()

    def filters(self) -> dict:
        return {"kind": self.kind.currentData(), "status": self.status.currentData(),
                "date_from": self.date_from.date(), "date_to": self.date_to.date()}

    def run_search(self, offset: int | None = None) -> None:
        """Start a search for what is in the box now (off the GUI thread); older answers are dropped."""
        self.timer.stop()
        if offset is not None:
            self.offset = offset
        query = self.search_edit.text().strip()
        self.generation += 1
        generation = self.generation
        for op in self.operations:
            op.cancel()
        if not query:
            self._show(generation, None)
            self.message.setText(self.tr("输入后即时查询；回车或双击打开档案。"))
            return
        bad = [f for f in (self.date_from, self.date_to) if f.text().strip() and f.date() is None]
        if bad:
            self.message.setText(self.tr("登记日期格式应为 年-月-日，如 2020-01-01"))
            return
        ctx, filters, offset_now = self.state.ctx, self.filters(), self.offset

        def work(_report, _cancelled) -> SearchPage:
            return RecordSearch(ctx).search(query, limit=PAGE_SIZE, offset=offset_now, **filters)

        op = BackgroundOperation(work)
        op.signals.succeeded.connect(lambda page, g=generation: self._show(g, page))
        op.signals.failed.connect(lambda exc, g=generation: self._failed(g, exc))
        op.signals.finished.connect(lambda op=op: self.operations.discard(op))
        self.operations.add(op)
        self.message.setText(self.tr("正在查询……"))
        start(op)

    @property
    def searching(self) -> bool:
        return bool(self.operations) or self.timer.isActive()

    def _show(self, generation: int, page: SearchPage | None) -> None:
        if generation != self.generation:
            return  # a newer query was typed meanwhile
        self.shown_generation = generation
        self.result = page
        hits = page.hits if page else []
        self.model.set_rows([hit_row(h) for h in hits], hits)
        self.prev_button.setEnabled(bool(page) and self.offset > 0)
        self.next_button.setEnabled(bool(page and page.has_more))
        if page is None:
            self.summary.clear()
            return
        if hits:
            self.view.selectRow(0)
        total = f"{page.total_estimate}+" if page.total_estimate >= 1000 else str(page.total_estimate)
        number = self.offset // PAGE_SIZE + 1
        self.summary.setText(self.tr("第 ") + f"{number}" + self.tr(" 页　共 ") + total + self.tr(" 件"))
        how = QUERY_KIND_ZH.get(page.query_kind, "")
        self.message.setText(f"{how}：" + (self.tr("找到以下档案，回车或双击打开。") if hits
                                          else self.tr("没有找到符合条件的档案。")))

    def _failed(self, generation: int, exc: BaseException) -> None:
        if generation != self.generation:
            return
        self.shown_generation = generation
        self.result = None
        self.model.set_rows([])
        self.summary.clear()
        self.prev_button.setEnabled(False)
        self.next_button.setEnabled(False)
        self.message.setText(error_text(exc))

    def next_page(self) -> None:
        if self.result and self.result.has_more:
            self.run_search(self.offset + PAGE_SIZE)

    def previous_page(self) -> None:
        if self.offset > 0:
            self.run_search(max(0, self.offset - PAGE_SIZE))

    # --- opening --------------------------------------------------------------------------------
    def _enter(self, obj) -> bool:
        if obj is self.search_edit and (self.searching or self.shown_generation != self.generation):
            self.run_search()
            return True
        row = self.view.currentIndex().row() if self.view.currentIndex().isValid() else 0
        if self.model.rowCount():
            self.open_row(row)
            return True
        return obj is self.search_edit

    def open_row(self, row: int) -> bool:
        hit = self.model.item(row)
        return self.open_record(hit.record_id) if hit else False

    def open_record(self, record_id: int) -> bool:
        if not self.detail.open_record(record_id):
            self.message.setText(self.detail.message.text())
            return False
        self.stack.setCurrentWidget(self.detail)
        self.detail.tabs.setFocus()
        return True

    def back_to_results(self) -> None:
        self.stack.setCurrentIndex(0)
        self.search_edit.setFocus()
        self.search_edit.selectAll()

    def _records_changed(self) -> None:
        self.refresh_pending()
        if self.search_edit.text().strip():
            self.run_search(self.offset)

    # --- supervisor: corrections waiting -------------------------------------------------------
    def refresh_pending(self) -> None:
        if not self.supervisor:
            return
        try:
            pending = Corrections(self.state.ctx).pending()
        except RegistryError as exc:
            self.message.setText(error_text(exc))
            return
        rows, items = [], []
        staff = StaffNames(self.state.ctx)
        for c in pending:
            for ch in c.changes:
                rows.append((c.id, f"第{c.record_id}号", path_label(ch["path"]), ch.get("old") or "（空）",
                             ch.get("new") or "（空）", c.reason, staff.name(c.proposed_by),
                             c.proposed_at[:16].replace("T", " ")))
                items.append(c)
        self.pending_model.set_rows(rows, items)
        self.tabs.setTabText(1, self.tr("待审批更正") + (f"（{len(pending)}）" if pending else ""))

    def open_pending(self, row: int) -> bool:
        c = self.pending_model.item(row)
        if c is None or not self.open_record(c.record_id):
            return False
        self.detail.tabs.setCurrentIndex(4)
        return True

    # --- archive import -------------------------------------------------------------------------
    def open_import(self) -> ArchiveImportDialog:
        self.import_dialog = ArchiveImportDialog(self.state, self, choose_file=self.choose_file)
        self.import_dialog.imported.connect(lambda _report: self.state.signals.records_changed.emit())
        self.import_dialog.open()
        return self.import_dialog

    def on_shown(self) -> None:
        self.refresh_pending()
        if self.stack.currentIndex() == 0:
            self.search_edit.setFocus()


register_page("records", "档案查询", lambda state: RecordsPage(state))


__all__ = ["RecordsPage", "hit_row", "PAGE_SIZE", "SEARCH_DELAY_MS"]
