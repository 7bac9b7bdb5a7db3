"""系统管理: users, office settings, holiday schedules (admin_calendar.py), keys (admin_keys.py), the audit
check, backups, the keyring unlock. Only collects and shows: every rule and permission is in the services."""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from registry_app.domain.roles import Permission, Role, can
from registry_app.errors import RegistryError
from registry_app.services.accounts import Accounts, UserInfo
from registry_app.services.audit import verify_chain
from registry_app.services.audit_anchors import verify_anchored as check_anchors
from registry_app.services.backup import Backups
from registry_app.services.office_admin import OfficeAdmin
from ui.background import BackgroundOperation, start
from ui.errors import error_text
from ui.main_window import register_page
from ui.pages import PageBase
from ui.workflows.admin_calendar import CalendarTab
from ui.workflows.admin_keys import KeysTab
from ui.workflows.health_tab import HealthTab

USER_COLUMNS = ("用户名", "姓名", "角色", "状态", "锁定至")


class UsersModel(QAbstractTableModel):
    def __init__(self, users: list[UserInfo] | None = None):
        super().__init__()
        self.users = users or []

    def set_users(self, users: list[UserInfo]) -> None:
        self.beginResetModel()
        self.users = users
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.users)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(USER_COLUMNS)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or role != Qt.ItemDataRole.DisplayRole:
            return None
        u = self.users[index.row()]
        values = (u.username, u.display_name, Role(u.role).zh,
                  "已停用" if u.disabled else ("须改密码" if u.must_change_password else "正常"),
                  (u.locked_until or "")[:16].replace("T", " "))
        return values[index.column()]

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return USER_COLUMNS[section]
        return None


class AdminPage(PageBase):
    title = "系统管理"

    def __init__(self, state, parent=None,
                 choose_file: Callable[[str, str], str] | None = None,
                 ask_text: Callable[[str, str, bool], str | None] | None = None,
                 choose_dir: Callable[[str], str] | None = None):
        super().__init__(state, parent)
        self.choose_file = choose_file or (lambda title, filt: QFileDialog.getOpenFileName(self, title, "", filt)[0])
        self.choose_dir = choose_dir or (lambda title: QFileDialog.getExistingDirectory(self, title))
        self.ask_text = ask_text or self._ask_text
        self.message = QLabel()
        self.message.setObjectName("notice")
        self.message.setWordWrap(True)
        self.tabs = QTabWidget()
        self.layout_.addWidget(self.tabs, 1)
        self.layout_.addWidget(self.message)
        role = state.ctx.user.role if state.ctx.user else None
        if role is None or not can(role, Permission.MANAGE_USERS):
            self.tabs.addTab(QLabel(self.tr("系统管理仅供系统管理员使用。")), self.tr("说明"))
            return
        self._build_users()
        self._build_settings()
        self.calendar_tab = CalendarTab(state, lambda title, filt: self.choose_file(title, filt))
        self.years_label = self.calendar_tab.years_label
        self.tabs.addTab(self.calendar_tab, self.tr("节假日安排"))
        self.keys_tab = KeysTab(state, lambda title, filt: self.choose_file(title, filt),
                                lambda title: self.choose_dir(title))
        self.tabs.addTab(self.keys_tab, self.tr("密钥"))
        self._build_audit()
        self._build_backup()

    # --- users ----------------------------------------------------------------------------------
    def _build_users(self) -> None:
        tab = QWidget()
        v = QVBoxLayout(tab)
        self.users_model = UsersModel()
        self.users_view = QTableView()
        self.users_view.setModel(self.users_model)
        self.users_view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.users_view.horizontalHeader().setStretchLastSection(True)
        v.addWidget(self.users_view, 1)
        form = QHBoxLayout()
        self.new_username = QLineEdit(placeholderText=self.tr("用户名"))
        self.new_name = QLineEdit(placeholderText=self.tr("姓名"))
        self.new_role = QComboBox()
        for r in Role:
            self.new_role.addItem(r.zh, r.value)
        self.new_password = QLineEdit(placeholderText=self.tr("初始密码（至少10位，含字母和数字）"))
        self.new_password.setEchoMode(QLineEdit.EchoMode.Password)
        add = QPushButton(self.tr("添加用户"))
        add.clicked.connect(self.add_user)
        for w in (self.new_username, self.new_name, self.new_role, self.new_password, add):
            form.addWidget(w)
        for edit in (self.new_username, self.new_name, self.new_password):
            edit.returnPressed.connect(self.add_user)  # Enter in any field adds the user
        v.addLayout(form)
        actions = QHBoxLayout()
        for text, slot in ((self.tr("停用"), lambda: self.set_disabled(True)),
                           (self.tr("启用"), lambda: self.set_disabled(False)),
                           (self.tr("重置密码"), self.reset_password)):
            b = QPushButton(text)
            b.clicked.connect(slot)
            actions.addWidget(b)
        actions.addStretch(1)
        v.addLayout(actions)
        self.tabs.addTab(tab, self.tr("用户"))

    def refresh_users(self) -> None:
        self.users_model.set_users(Accounts(self.state.ctx).list())

    def _selected_username(self) -> str | None:
        rows = self.users_view.selectionModel().selectedRows()
        return self.users_model.users[rows[0].row()].username if rows else None

    def _run(self, fn, done: str) -> bool:
        try:
            fn()
        except RegistryError as exc:
            self.message.setText(error_text(exc))
            return False
        self.message.setText(done)
        return True

    def add_user(self) -> None:
        ok = self._run(lambda: Accounts(self.state.ctx).add(self.new_username.text().strip(), self.new_name.text().strip(),
                                                           self.new_role.currentData(), self.new_password.text()),
                       self.tr("已添加用户，首次登录须修改密码。"))
        if ok:
            for w in (self.new_username, self.new_name, self.new_password):
                w.clear()
        self.refresh_users()

    def set_disabled(self, disabled: bool) -> None:
        name = self._selected_username()
        if not name:
            self.message.setText(self.tr("请先选择用户"))
            return
        reason = ""
        if disabled:
            reason = self.ask_text(self.tr("停用用户"), self.tr("停用原因"), False) or ""
        self._run(lambda: Accounts(self.state.ctx).set_disabled(name, disabled, reason),
                  self.tr("已停用") if disabled else self.tr("已启用"))
        self.refresh_users()

    def reset_password(self) -> None:
        name = self._selected_username()
        if not name:
            self.message.setText(self.tr("请先选择用户"))
            return
        password = self.ask_text(self.tr("重置密码"), self.tr("新的初始密码"), True)
        if password:
            self._run(lambda: Accounts(self.state.ctx).reset_password(name, password),
                      self.tr("密码已重置，该用户下次登录须修改密码。"))
            self.refresh_users()

    # --- settings -------------------------------------------------------------------------------
    def _build_settings(self) -> None:
        tab = QWidget()
        form = QFormLayout(tab)
        s = OfficeAdmin(self.state.ctx).settings()
        self.s_name = QLineEdit(s.office_name)
        self.s_foreign = QCheckBox(self.tr("办理涉外、涉港澳台及华侨婚姻登记（省级指定）"))
        self.s_foreign.setChecked(s.handles_foreign_cases)
        self.s_adoption = QCheckBox(self.tr("办理收养登记"))
        self.s_adoption.setChecked(s.handles_adoption)
        self.s_scope = QLineEdit(s.numbering_scope)
        self.s_scope.setPlaceholderText(self.tr("留空则用本机关代码（证书字号归属待核实）"))
        self.s_idle = QSpinBox(minimum=1, maximum=120, value=s.idle_lock_minutes, suffix=self.tr(" 分钟"))
        self.s_fails = QSpinBox(minimum=3, maximum=20, value=s.max_failed_logins, suffix=self.tr(" 次"))
        self.s_lockout = QSpinBox(minimum=1, maximum=1440, value=s.lockout_minutes, suffix=self.tr(" 分钟"))
        self.s_refage = QSpinBox(minimum=1, maximum=365, value=s.reference_max_age_days, suffix=self.tr(" 天"))
        form.addRow(self.tr("登记机关名称"), self.s_name)
        form.addRow(self.tr("行政区划代码"), QLabel(s.office_code))
        form.addRow("", self.s_foreign)
        form.addRow("", self.s_adoption)
        form.addRow(self.tr("证书字号编号范围代码"), self.s_scope)
        form.addRow(self.tr("无操作自动锁屏"), self.s_idle)
        form.addRow(self.tr("登录失败锁定阈值"), self.s_fails)
        form.addRow(self.tr("锁定时长"), self.s_lockout)
        form.addRow(self.tr("省级比对数据过期提醒"), self.s_refage)
        save = QPushButton(self.tr("保存设置"))
        save.clicked.connect(self.save_settings)
        form.addRow("", save)
        # Off by default: with it on, the passphrase typed at a counter is kept in that machine's keyring
        # until the machine restarts (services/unlock_memory.py); turning it off deletes it at once.
        self.s_keyring = QCheckBox(self.tr("开机后只需输入一次数据库口令（口令暂存于本机系统钥匙串，重启电脑后须重新输入）"))
        self.s_keyring.setObjectName("keyring_unlock")
        self.s_keyring.setChecked(s.keyring_unlock)
        form.insertRow(form.rowCount() - 1, "", self.s_keyring)
        self.tabs.addTab(tab, self.tr("办公设置"))

    def save_settings(self) -> None:
        changes = {"office_name": self.s_name.text().strip(), "handles_foreign_cases": self.s_foreign.isChecked(),
                   "handles_adoption": self.s_adoption.isChecked(), "numbering_scope": self.s_scope.text().strip(),
                   "idle_lock_minutes": self.s_idle.value(), "max_failed_logins": self.s_fails.value(),
                   "lockout_minutes": self.s_lockout.value(), "reference_max_age_days": self.s_refage.value(),
                   "keyring_unlock": self.s_keyring.isChecked()}
        if self._run(lambda: OfficeAdmin(self.state.ctx).update(changes), self.tr("设置已保存")):
            self.state.signals.settings_changed.emit()  # the idle lock and the title apply it at once

    # --- calendar -------------------------------------------------------------------------------
    def import_calendar(self) -> None:
        self.calendar_tab.import_file()

    # --- audit ----------------------------------------------------------------------------------
    def _build_audit(self) -> None:
        tab = QWidget()
        v = QVBoxLayout(tab)
        self.audit_result = QLabel(self.tr("审计日志逐条哈希链接，任何修改或删除都会被发现。"))
        self.audit_result.setWordWrap(True)
        check = QPushButton(self.tr("核验审计链"))
        check.clicked.connect(self.verify_audit)
        self.anchored_button = QPushButton(self.tr("按省级回执锚点核验…"))
        self.anchored_button.setToolTip(self.tr("选择存放省级回执的文件夹：审计链须与回执确认的锚点一致"))
        self.anchored_button.clicked.connect(self.verify_anchored)
        self.anchored_op: BackgroundOperation | None = None
        v.addWidget(self.audit_result)
        buttons = QHBoxLayout()
        buttons.addWidget(check)
        buttons.addWidget(self.anchored_button)
        buttons.addStretch(1)
        v.addLayout(buttons)
        self.health = HealthTab(self.state.ctx)
        v.addWidget(self.health, 1)
        self.tabs.addTab(tab, self.tr("审计与检查"))

    def verify_audit(self) -> None:
        report = verify_chain(self.state.ctx)
        if report.ok:
            self.audit_result.setText(self.tr("审计链完整：共核验 %n 条记录。", "", report.checked))
        else:
            self.audit_result.setText(self.tr("审计链断裂：") + report.problem)

    def verify_anchored(self) -> None:
        """`registry audit verify --acks DIR` in the client, off the GUI thread (it walks the whole trail)."""
        if self.anchored_op is not None:
            return
        folder = self.choose_dir(self.tr("选择存放省级回执的文件夹"))
        if not folder:
            return
        ctx = self.state.ctx
        op = BackgroundOperation(lambda _report, _cancelled: check_anchors(ctx, folder))
        op.signals.succeeded.connect(self._anchored_checked)
        op.signals.failed.connect(lambda exc: self.audit_result.setText(error_text(exc)))
        op.signals.finished.connect(self._anchored_finished)
        self.anchored_op = op
        self.anchored_button.setEnabled(False)
        self.audit_result.setText(self.tr("正在核验审计链与省级回执锚点……"))
        start(op)

    def _anchored_checked(self, report) -> None:
        if report.ok:
            self.audit_result.setText(self.tr("审计链完整（%1 条），与 %2 个回执锚点一致；读取回执 %3 份。")
                                      .replace("%1", str(report.checked)).replace("%2", str(len(report.anchors)))
                                      .replace("%3", str(report.acks_read)))
        else:
            self.audit_result.setText(self.tr("审计记录与省级回执确认的锚点不符：") +
                                      "；".join(f"{p.message}（{p.code}）" for p in report.problems))

    def _anchored_finished(self) -> None:
        self.anchored_op = None
        self.anchored_button.setEnabled(True)

    # --- backup ---------------------------------------------------------------------------------
    def _build_backup(self) -> None:
        tab = QWidget()
        form = QFormLayout(tab)
        s = OfficeAdmin(self.state.ctx).settings()
        self.backup_status = QLabel()
        self.backup_status.setWordWrap(True)
        form.addRow(self.backup_status)
        row = QHBoxLayout()
        self.backup_dir = QLineEdit(s.backup_dir)
        self.backup_dir.setPlaceholderText(self.tr("留空则存放在数据库旁（同一块硬盘）；建议选U盘或另一块硬盘"))
        browse = QPushButton(self.tr("选择…"))
        browse.clicked.connect(self.browse_backup_dir)
        row.addWidget(self.backup_dir, 1)
        row.addWidget(browse)
        form.addRow(self.tr("备份文件夹"), row)
        self.backup_keep = QSpinBox(minimum=1, maximum=365, value=s.backup_keep, suffix=self.tr(" 份"))
        form.addRow(self.tr("保留最近"), self.backup_keep)
        save = QPushButton(self.tr("保存备份设置"))
        save.clicked.connect(self.save_backup_settings)
        self.backup_button = QPushButton(self.tr("立即备份"))
        self.backup_button.clicked.connect(self.backup_now)
        buttons = QHBoxLayout()
        buttons.addWidget(save)
        buttons.addWidget(self.backup_button)
        buttons.addStretch(1)
        form.addRow("", buttons)
        form.addRow(QLabel(self.tr("每天首次启动时自动备份一次（用数据库口令加密）。恢复用命令 registry restore，见使用说明。")))
        self.backup_op: BackgroundOperation | None = None
        self.tabs.addTab(tab, self.tr("备份"))

    def refresh_backup_status(self) -> None:
        try:
            status = Backups(self.state.ctx).status()
        except RegistryError as exc:
            self.backup_status.setText(error_text(exc))
            return
        if not status.folder:
            self.backup_status.setText(self.tr("PostgreSQL 数据库由服务器用 pg_dump 备份（见使用说明“备份与恢复”）"))
            self.backup_button.setEnabled(False)
            return
        last = (status.last_made_at or "")[:16].replace("T", " ")
        text = self.tr("最近一次备份：") + (f"{last}（{status.last_file}）" if last else self.tr("无"))
        text += "\n" + self.tr("备份文件夹：") + status.folder
        if status.warning:
            text += "\n" + status.warning
        self.backup_status.setText(text)

    def browse_backup_dir(self) -> None:
        folder = self.choose_dir(self.tr("选择备份文件夹"))
        if folder:
            self.backup_dir.setText(folder)

    def save_backup_settings(self) -> None:
        self._run(lambda: Backups(self.state.ctx).configure(self.backup_dir.text(), self.backup_keep.value()),
                  self.tr("备份设置已保存"))
        self.refresh_backup_status()

    def backup_now(self) -> None:
        """立即备份, off the GUI thread: a large database takes a while to copy."""
        if self.backup_op is not None:
            return
        ctx = self.state.ctx
        op = BackgroundOperation(lambda _report, _cancelled: Backups(ctx).backup_now())
        op.signals.succeeded.connect(self._backup_made)
        op.signals.failed.connect(self._backup_failed)
        op.signals.finished.connect(self._backup_finished)
        self.backup_op = op
        self.backup_button.setEnabled(False)
        self.message.setText(self.tr("正在备份……"))
        start(op)

    def _backup_made(self, result) -> None:
        self.message.setText(self.tr("已备份：") + f"{result.file}（{result.bytes / 1_048_576:.1f} MB）")

    def _backup_failed(self, exc) -> None:
        self.message.setText(self.tr("备份失败：") + error_text(exc))

    def _backup_finished(self) -> None:
        self.backup_op = None
        self.backup_button.setEnabled(True)
        self.refresh_backup_status()
        window = self.window()
        if hasattr(window, "refresh_backup_warning"):
            window.refresh_backup_warning()

    def on_shown(self) -> None:
        if hasattr(self, "users_model"):
            self.refresh_users()
            self.calendar_tab.refresh()
            self.keys_tab.refresh()
            self.refresh_backup_status()

    @staticmethod
    def _ask_text(title: str, label: str, secret: bool) -> str | None:
        mode = QLineEdit.EchoMode.Password if secret else QLineEdit.EchoMode.Normal
        text, ok = QInputDialog.getText(None, title, label, mode)
        return text if ok else None


register_page("admin", "系统管理", lambda state: AdminPage(state))
