"""预约: a day's slots and bookings (book a couple into a slot, mark arrival — which takes a queue
ticket — or cancel); a supervisor opens slots and adds peak days; the peak days of the coming twelve
months with the load to expect; the divorce couples whose collection window closes soon. The rules
are services.appointments' and services.peak_days'."""
from __future__ import annotations

import datetime as dt

from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from registry_app.domain.roles import Permission, can
from registry_app.domain.states import AppointmentState
from registry_app.errors import RecordChanged
from registry_app.services.appointments import Appointments
from registry_app.services.peak_days import PeakDays
from registry_app.services.queue import SERVICES
from ui.errors import present_error
from ui.main_window import register_page
from ui.pages import PageBase
from ui.widgets.fields import DateField
from ui.workflows.record_detail import RowsModel, make_table

CLOSING_DAYS = 7


class AppointmentsPage(PageBase):
    title = "预约"

    def __init__(self, app_state, parent=None):
        super().__init__(app_state, parent)
        ctx = app_state.ctx
        self.service_ = Appointments(ctx)
        self.peaks = PeakDays(ctx)
        user = ctx.user
        self.supervisor = bool(user and can(user.role, Permission.MANAGE_APPOINTMENTS))
        self.tabs = QTabWidget()
        self.tabs.addTab(self._build_day(), "当日预约")
        self.tabs.addTab(self._build_peaks(), "高峰日")
        self.tabs.addTab(self._build_closing(), "离婚领证期限")
        self.layout_.addWidget(self.tabs, 1)
        self.day.set_date(ctx.clock.today())

    # --- building -------------------------------------------------------------------------------
    def _build_day(self) -> QWidget:
        w = QWidget()
        col = QVBoxLayout(w)
        top = QHBoxLayout()
        self.day = DateField()
        self.show_button = QPushButton("查看")
        top.addWidget(QLabel("日期"))
        top.addWidget(self.day)
        top.addWidget(self.show_button)
        self.peak_note = QLabel("")
        self.peak_note.setStyleSheet("color:#b00020;font-weight:bold;")
        top.addWidget(self.peak_note, 1)
        col.addLayout(top)

        row = QHBoxLayout()
        slots_box = QGroupBox("时段与号源")
        sl = QVBoxLayout(slots_box)
        self.slots_model = RowsModel(["时段", "窗口", "号源", "已约", "余"])
        self.slots_view = make_table(self.slots_model, stretch=0)
        sl.addWidget(self.slots_view)
        self.open_box = QWidget()
        ol = QHBoxLayout(self.open_box)
        ol.setContentsMargins(0, 0, 0, 0)
        self.slot_counter = QLineEdit("1号窗口")
        self.slot_start = QLineEdit("09:00")
        self.slot_end = QLineEdit("11:30")
        self.slot_quota = QSpinBox()
        self.slot_quota.setRange(0, 200)
        self.slot_quota.setValue(10)
        self.open_button = QPushButton("放号")
        for label, widget in (("窗口", self.slot_counter), ("自", self.slot_start), ("至", self.slot_end),
                              ("号源", self.slot_quota)):
            ol.addWidget(QLabel(label))
            ol.addWidget(widget)
        ol.addWidget(self.open_button)
        self.open_box.setVisible(self.supervisor)
        sl.addWidget(self.open_box)
        row.addWidget(slots_box, 1)

        book_box = QGroupBox("预约登记（电话或窗口）")
        bl = QGridLayout(book_box)
        self.book_service = QComboBox()
        for key, text in SERVICES.items():
            if key != "other":
                self.book_service.addItem(text, key)
        self.book_names = QLineEdit()
        self.book_names.setPlaceholderText("双方姓名，如 张伟、李娜")
        self.book_phone = QLineEdit()
        self.book_phone.setPlaceholderText("联系电话")
        self.book_record = QLineEdit()
        self.book_record.setPlaceholderText("领取离婚证：离婚申请受理号")
        self.book_button = QPushButton("预约所选时段")
        for i, (label, widget) in enumerate((("业务", self.book_service), ("姓名", self.book_names),
                                             ("电话", self.book_phone), ("受理号", self.book_record))):
            bl.addWidget(QLabel(label), i, 0)
            bl.addWidget(widget, i, 1)
        bl.addWidget(self.book_button, 4, 1)
        row.addWidget(book_box, 1)
        col.addLayout(row)

        self.bookings_model = RowsModel(["时段", "窗口", "业务", "姓名", "电话", "状态"])
        self.bookings_view = make_table(self.bookings_model, stretch=3)
        col.addWidget(self.bookings_view, 1)
        actions = QHBoxLayout()
        self.arrive_button = QPushButton("到场取号")
        self.missed_button = QPushButton("未到场")
        self.cancel_reason = QLineEdit()
        self.cancel_reason.setPlaceholderText("取消原因（默认：来电取消）")
        self.cancel_button = QPushButton("取消预约")
        self.arrived_note = QLabel("")
        actions.addWidget(self.arrive_button)
        actions.addWidget(self.missed_button)
        actions.addWidget(self.cancel_reason, 1)
        actions.addWidget(self.cancel_button)
        actions.addWidget(self.arrived_note, 1)
        col.addLayout(actions)

        self.show_button.clicked.connect(self.refresh_day)
        self.day.edit.returnPressed.connect(self.refresh_day)
        self.open_button.clicked.connect(self.open_slot)
        self.book_button.clicked.connect(self.book)
        self.arrive_button.clicked.connect(self.arrive)
        self.missed_button.clicked.connect(self.missed)
        self.cancel_button.clicked.connect(self.cancel)
        return w

    def _build_peaks(self) -> QWidget:
        w = QWidget()
        col = QVBoxLayout(w)
        col.addWidget(QLabel("未来十二个月的高峰日；预计登记量按本处往年同日的结婚登记数平均。"))
        self.peaks_model = RowsModel(["日期", "星期", "名称", "来源", "预计结婚登记", "往年"])
        self.peaks_view = make_table(self.peaks_model, stretch=5)
        col.addWidget(self.peaks_view, 1)
        self.add_box = QWidget()
        al = QHBoxLayout(self.add_box)
        al.setContentsMargins(0, 0, 0, 0)
        self.peak_day = DateField()
        self.peak_name = QLineEdit()
        self.peak_name.setPlaceholderText("名称，如 本地节日")
        self.add_peak_button = QPushButton("添加高峰日")
        self.plan_button = QPushButton("到该日放号")
        for widget in (QLabel("日期"), self.peak_day, QLabel("名称"), self.peak_name, self.add_peak_button,
                       self.plan_button):
            al.addWidget(widget)
        self.add_box.setVisible(self.supervisor)
        col.addWidget(self.add_box)
        self.add_peak_button.clicked.connect(self.add_peak)
        self.plan_button.clicked.connect(self.plan_selected_peak)
        return w

    def _build_closing(self) -> QWidget:
        w = QWidget()
        col = QVBoxLayout(w)
        col.addWidget(QLabel(f"领证期限{CLOSING_DAYS}天内届满的离婚申请：请联系双方，在期限内预约领证。"))
        self.closing_model = RowsModel(["受理号", "双方", "可领证自", "领证截止", "剩余天数", "预约日期"])
        self.closing_view = make_table(self.closing_model, stretch=1)
        col.addWidget(self.closing_view, 1)
        return w

    # --- helpers --------------------------------------------------------------------------------
    def _try(self, title: str, fn):
        try:
            return fn()
        except Exception as exc:  # noqa: BLE001 — shown through the one presenter
            present_error(self.state.prompter, exc, title)
            if isinstance(exc, RecordChanged):
                self._offer_reload(title)
            return None

    def _offer_reload(self, title: str) -> None:
        """Another counter changed the booking since the list was read: the clerk chooses to re-read
        the day (the new versions); what was typed (the booking form, the cancel reason) is kept."""
        if self.state.prompter.confirm(title, "是否重新读取当日预约？已填写的内容保留。"):
            self.refresh_day()

    def _selected(self, view, model):
        rows = view.selectionModel().selectedRows()
        return model.item(rows[0].row()) if rows else None

    # --- the day --------------------------------------------------------------------------------
    def refresh_day(self) -> None:
        day = self.day.date()
        if day is None:
            return
        slots = self._try("预约", lambda: self.service_.slots(day))
        bookings = self._try("预约", lambda: self.service_.bookings(day))
        peaks = self._try("预约", lambda: [p for p in self.peaks.for_year(day.year) if p.day == day]) or []
        if slots is None or bookings is None:
            return
        chosen = self._selected(self.bookings_view, self.bookings_model)
        self.slots_model.set_rows([(f"{s.start}–{s.end}", s.counter, s.quota, s.booked, s.free) for s in slots], slots)
        self.bookings_model.set_rows([(b.start, b.counter, b.service_zh, b.names, b.phone, b.status_zh)
                                      for b in bookings], bookings)
        note = "；".join(f"高峰日：{p.name}" + (f"，预计约{p.expected:g}对" if p.expected is not None else "")
                        for p in peaks)
        self.peak_note.setText(note)
        if slots:
            self.slots_view.selectRow(0)
        if chosen is not None:   # the same booking stays selected after a re-read
            for i, b in enumerate(bookings):
                if b.id == chosen.id:
                    self.bookings_view.selectRow(i)

    def open_slot(self) -> None:
        day = self.day.date()
        if day is None:
            return
        if self._try("放号", lambda: self.service_.open_slot(day, self.slot_counter.text(), self.slot_start.text().strip(),
                                                            self.slot_end.text().strip(), self.slot_quota.value())):
            self.refresh_day()

    def book(self) -> None:
        slot = self._selected(self.slots_view, self.slots_model)
        if slot is None:
            self.state.prompter.warn("预约", "请先在左侧选择一个时段")
            return
        record = self.book_record.text().strip()
        if record and not record.isdigit():
            self.state.prompter.warn("预约", "受理号应为数字")
            return
        done = self._try("预约", lambda: self.service_.book(slot.id, self.book_service.currentData(),
                                                           self.book_names.text(), self.book_phone.text(),
                                                           int(record) if record else None))
        if done:
            for edit in (self.book_names, self.book_phone, self.book_record):
                edit.clear()
            self.refresh_day()

    # each edit sends the version the list showed (RECORD_CHANGED when another counter changed it since)
    def arrive(self) -> None:
        booking = self._selected(self.bookings_view, self.bookings_model)
        if booking is None:
            return
        done = self._try("到场取号", lambda: self.service_.arrive(booking.id, version=booking.version))
        if done:
            self.arrived_note.setText(f"{booking.names}：请持 {done[1].label} 号等候叫号")
            self.refresh_day()

    def missed(self) -> None:
        booking = self._selected(self.bookings_view, self.bookings_model)
        title = AppointmentState.MISSED.zh
        if booking is None or not self.state.prompter.confirm(title, f"{booking.names} 未按时到场？"):
            return
        if self._try(title, lambda: self.service_.missed(booking.id, version=booking.version)):
            self.refresh_day()

    def cancel(self) -> None:
        booking = self._selected(self.bookings_view, self.bookings_model)
        if booking is None or not self.state.prompter.confirm("取消预约", f"取消 {booking.names} 的预约？"):
            return
        reason = self.cancel_reason.text().strip() or "来电取消"
        if self._try("取消预约", lambda: self.service_.cancel(booking.id, reason, version=booking.version)):
            self.cancel_reason.clear()
            self.refresh_day()

    # --- peak days ------------------------------------------------------------------------------
    def refresh_peaks(self) -> None:
        today = self.state.ctx.clock.today()
        until = today + dt.timedelta(days=365)
        views = []
        for year in range(today.year, until.year + 1):
            views += self._try("高峰日", lambda y=year: self.peaks.for_year(y)) or []
        views = [v for v in views if today <= v.day <= until]
        source = {"fixed": "固定", "lunar": "农历", "office": "本处添加"}
        self.peaks_model.set_rows([(f"{v.day:%Y-%m-%d}", "一二三四五六日"[v.day.weekday()], v.name, source[v.source],
                                    "无往年数据" if v.expected is None else f"{v.expected:g}",
                                    "、".join(f"{y}年{n}对" for y, n in v.history)) for v in views], views)

    def add_peak(self) -> None:
        day = self.peak_day.date()
        if day is None:
            self.state.prompter.warn("高峰日", "请填写日期（YYYY-MM-DD）")
            return
        if self._try("高峰日", lambda: self.peaks.add(day, self.peak_name.text())):
            self.peak_name.clear()
            self.refresh_peaks()

    def plan_selected_peak(self) -> None:
        """Go to the selected peak day on the first tab, where the supervisor opens its slots."""
        peak = self._selected(self.peaks_view, self.peaks_model)
        if peak is None:
            return
        self.day.set_date(peak.day)
        self.tabs.setCurrentIndex(0)
        self.refresh_day()

    # --- closing windows -----------------------------------------------------------------------
    def refresh_closing(self) -> None:
        rows = self._try("离婚领证期限", lambda: self.service_.closing_windows(CLOSING_DAYS)) or []
        self.closing_model.set_rows([(c.record_id, c.names, f"{c.window_opens:%Y-%m-%d}", f"{c.collect_by:%Y-%m-%d}",
                                      c.days_left, f"{c.booked_on:%Y-%m-%d}" if c.booked_on else "未预约")
                                     for c in rows], rows)

    def on_shown(self) -> None:
        self.refresh_day()
        self.refresh_peaks()
        self.refresh_closing()


register_page("appointments", "预约", lambda state: AppointmentsPage(state))
