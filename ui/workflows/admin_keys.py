"""系统管理 → 密钥: trust the province's public key (its fingerprint shown for the administrator to check
with the province before anything is stored), export the office's public key, rotate the office's signing
key. The same SyncService operations as `registry sync set-province-key / export-office-key /
rotate-office-key`, audited there."""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from registry_app.errors import RegistryError
from registry_app.services.office_keys import KeyManagement, KeyView
from registry_app.sync.service import SyncService
from ui.errors import error_text

KEY_COLUMNS = ("归属", "密钥编号", "状态", "生成时间", "指纹（SHA-256）")


def describe(view: KeyView) -> str:
    """The lines a confirmation shows: enough to compare with what the province reads out."""
    return (f"归属：{view.owner_zh}\n密钥编号：{view.key_id}\n指纹（SHA-256）：\n{view.fingerprint}\n"
            f"生成时间：{view.created[:19].replace('T', ' ') or '—'}")


class KeysTab(QWidget):
    def __init__(self, state, choose_file: Callable[[str, str], str], choose_dir: Callable[[str], str], parent=None):
        super().__init__(parent)
        self.state = state
        self.choose_file = choose_file
        self.choose_dir = choose_dir
        v = QVBoxLayout(self)

        province = QGroupBox(self.tr("省级公钥（日终批次加密、省级回执和比对数据验签）"))
        p = QHBoxLayout(province)
        notes = QVBoxLayout()
        notes.addWidget(self._note(self.tr(
            "首次上报前导入省级下发的公钥文件（province-…pub）；省级更换密钥后再次导入。"
            "导入前会显示密钥指纹，请与省级主管部门电话或书面核对一致后再确认。原有省级公钥保留，用于核验以前的回执。")))
        self.province_status = QLabel()
        self.province_status.setObjectName("fieldError")
        notes.addWidget(self.province_status)
        p.addLayout(notes, 1)
        self.province_button = QPushButton(self.tr("导入省级公钥…"))
        self.province_button.setObjectName("primary")
        self.province_button.clicked.connect(self.import_province_key)
        p.addWidget(self.province_button)
        v.addWidget(province)

        office = QGroupBox(self.tr("本处签名密钥（批次和证书二维码签名）"))
        o = QHBoxLayout(office)
        o.addWidget(self._note(self.tr(
            "每次导出批次时，本处公钥文件会写在批次旁；也可在此单独导出交省级登记。"
            "怀疑密钥泄露或按规定定期更换时，更换签名密钥：旧密钥保留，已签发的证书和批次仍可核验；新的公钥文件须交省级登记。")), 1)
        buttons = QVBoxLayout()
        self.export_button = QPushButton(self.tr("导出本处公钥…"))
        self.export_button.clicked.connect(self.export_office_key)
        self.rotate_button = QPushButton(self.tr("更换本处签名密钥…"))
        self.rotate_button.clicked.connect(self.rotate_office_key)
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.rotate_button)
        o.addLayout(buttons)
        v.addWidget(office)

        self.table = QTableWidget(0, len(KEY_COLUMNS))
        self.table.setHorizontalHeaderLabels(KEY_COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(len(KEY_COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        self.table.setWordWrap(True)
        v.addWidget(self.table, 1)
        self.message = QLabel()
        self.message.setWordWrap(True)
        v.addWidget(self.message)

    @staticmethod
    def _note(text: str) -> QLabel:
        label = QLabel(text)
        label.setWordWrap(True)
        return label

    def _say(self, text: str, error: bool = False) -> None:
        self.message.setObjectName("fieldError" if error else "notice")
        self.message.setText(text)
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)

    def refresh(self) -> None:
        try:
            keys = KeyManagement(self.state.ctx).keys()
        except RegistryError as exc:
            self._say(error_text(exc), error=True)
            return
        self.keys = keys
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self.table.setRowCount(len(keys))
        for n, k in enumerate(keys):
            status = self.tr("在用") if k.active else self.tr("已停用（仍用于核验）")
            # the fingerprint on two lines of eight groups: whole at 1366 pixels, easy to read out
            groups = k.fingerprint.split(" ")
            printed = " ".join(groups[:8]) + "\n" + " ".join(groups[8:])
            cells = (k.owner_zh, k.key_id, status, k.created[:19].replace("T", " "), printed)
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c in (1, 4):
                    item.setFont(mono)
                self.table.setItem(n, c, item)
        self.table.resizeColumnsToContents()
        self.table.resizeRowsToContents()
        missing = not any(k.owner.startswith("province") for k in keys)
        self.province_status.setText(self.tr("尚未导入省级公钥：导入前无法导出日终批次。") if missing else "")
        self.province_status.setVisible(missing)

    # --- actions ------------------------------------------------------------------------------------
    def import_province_key(self) -> bool:
        path = self.choose_file(self.tr("选择省级公钥文件"), "公钥文件 (*.pub);;所有文件 (*)")
        if not path:
            return False
        try:
            view = KeyManagement(self.state.ctx).inspect_key_file(path, expect="province")
        except RegistryError as exc:
            self._say(error_text(exc), error=True)
            return False
        if view.active:
            self._say(self.tr("该省级公钥已在使用，无需再次导入。") + f"（{view.key_id}）")
            return False
        question = (self.tr("请核对省级公钥的指纹：\n\n") + describe(view) +
                    self.tr("\n\n与省级主管部门提供的指纹一致吗？确认后，日终批次将用此密钥加密。"))
        if not self.state.prompter.confirm(self.tr("导入省级公钥"), question):
            self._say(self.tr("未导入省级公钥。"))
            return False
        try:
            result = SyncService(self.state.ctx).set_province_key(path)
        except RegistryError as exc:
            self._say(error_text(exc), error=True)
            return False
        self.refresh()
        self._say(self.tr("已导入省级公钥") + f" {result.key_id}" + self.tr("，日终批次将用此密钥加密。"))
        return True

    def export_office_key(self) -> str | None:
        folder = self.choose_dir(self.tr("选择保存本处公钥文件的文件夹"))
        if not folder:
            return None
        try:
            result = SyncService(self.state.ctx).export_office_public_key(folder)
        except RegistryError as exc:
            self._say(error_text(exc), error=True)
            return None
        self._say(self.tr("已导出本处公钥：") + (result.path or "") + self.tr("（密钥编号 ") + result.key_id + "）")
        return result.path

    def rotate_office_key(self) -> bool:
        if not self.state.prompter.confirm(self.tr("更换本处签名密钥"), self.tr(
                "生成新的本处签名密钥？\n\n此后的批次和证书二维码用新密钥签名；旧密钥保留，已签发的仍可核验。"
                "新的公钥文件须交省级登记，省级登记前导出的批次将无法通过省级验签。")):
            return False
        try:
            result = SyncService(self.state.ctx).rotate_office_key()
        except RegistryError as exc:
            self._say(error_text(exc), error=True)
            return False
        self.refresh()
        new = next((k for k in self.keys if k.key_id == result.key_id), None)
        text = self.tr("已生成新的本处签名密钥 ") + result.key_id
        if new is not None:
            text += self.tr("，指纹 ") + new.fingerprint
        self._say(text + self.tr("。请导出新的公钥文件交省级登记。"))
        if self.state.prompter.confirm(self.tr("导出本处公钥"), self.tr("现在导出新的本处公钥文件吗？")):
            self.export_office_key()
        return True
