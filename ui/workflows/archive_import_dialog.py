"""历史档案补录: choose a CSV of old paper records, import it off the GUI thread with progress and
cancel, then show what happened (counts and where the refusal report was written).

The checks, the one-transaction import and the refusal report are registry_app.services.archive_import's."""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from registry_app.errors import Cancelled
from registry_app.services.archive_import import ArchiveImport, ImportReport
from ui.background import BackgroundOperation, start
from ui.errors import error_text

# Short Chinese names of the refusal codes for the summary; the report file has the full reasons.
REFUSAL_ZH = {
    "AGE_IMPLAUSIBLE": "登记时年龄过小", "ARCHIVE_NO_DUPLICATE": "档案号在文件中重复", "ARCHIVE_NO_EXISTS": "档案号已补录过",
    "ARCHIVE_NO_REQUIRED": "缺少档案号", "BIRTH_AFTER_REGISTRATION": "出生日期不早于登记日期",
    "BIRTH_DATE_INVALID": "出生日期无效", "BIRTH_DATE_FUTURE": "出生日期晚于今天",
    "CERTIFICATE_NO_DUPLICATE": "证书字号在文件中重复", "CERTIFICATE_NO_EXISTS": "证书字号已存在",
    "FIELD_TOO_LONG": "内容过长", "NAME_INVALID": "姓名无效", "NAME_REQUIRED": "缺少姓名",
    "PARTY_SEXES_SAME": "双方性别相同", "RECORD_TYPE_INVALID": "登记类型无效",
    "REGISTRATION_DATE_FUTURE": "登记日期晚于今天", "REGISTRATION_DATE_INVALID": "登记日期无效",
    "REGISTRATION_DATE_REQUIRED": "缺少登记日期", "REGISTRATION_DATE_TOO_EARLY": "登记日期早于1949年10月1日",
    "SAME_PERSON": "双方证件号码相同", "SEX_INVALID": "性别无效", "SEX_MISMATCH": "性别与身份证号码不符",
    "ID_CHECK_CHAR": "身份证校验位错误", "ID_SHAPE": "证件号码格式错误", "ID_BIRTH_DATE": "身份证出生日期无效",
    "BIRTH_DATE_MISMATCH": "出生日期与身份证号码不符",
}


class ArchiveImportDialog(QDialog):
    imported = Signal(object)   # the ImportReport of a completed (not cancelled) import

    def __init__(self, state, parent: QWidget | None = None,
                 choose_file: Callable[[str, str], str] | None = None):
        super().__init__(parent)
        self.state = state
        self.choose_file = choose_file or (
            lambda title, filt: QFileDialog.getOpenFileName(self, title, "", filt)[0])
        self.path: str = ""
        self.operation: BackgroundOperation | None = None
        self.report: ImportReport | None = None
        self.cancelled = False   # the last run was cancelled: nothing was saved
        self.setWindowTitle(self.tr("历史档案补录"))
        self.setMinimumWidth(560)
        v = QVBoxLayout(self)
        intro = QLabel(self.tr("从 CSV 文件导入历史纸质婚姻登记档案（每行一件）。每行都会检查；有问题的行不导入，"
                               "写入“拒收报告”（可在 Excel 中修改后再次导入）。整个文件在一个事务中导入，"
                               "取消则不留下任何记录。"))
        intro.setWordWrap(True)
        v.addWidget(intro)
        row = QHBoxLayout()
        self.file_label = QLabel(self.tr("尚未选择文件"))
        self.file_label.setWordWrap(True)
        self.choose_button = QPushButton(self.tr("选择 CSV 文件…"))
        self.choose_button.clicked.connect(self.choose)
        row.addWidget(self.file_label, 1)
        row.addWidget(self.choose_button)
        v.addLayout(row)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        v.addWidget(self.progress)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setObjectName("notice")
        v.addWidget(self.status)
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.result.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        v.addWidget(self.result, 1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.start_button = QPushButton(self.tr("开始导入"))
        self.start_button.setObjectName("primary")
        self.start_button.setEnabled(False)
        self.start_button.clicked.connect(self.start_import)
        self.cancel_button = QPushButton(self.tr("取消导入"))
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel_import)
        self.close_button = QPushButton(self.tr("关闭"))
        self.close_button.clicked.connect(self.reject)
        for b in (self.start_button, self.cancel_button, self.close_button):
            buttons.addWidget(b)
        v.addLayout(buttons)

    @property
    def running(self) -> bool:
        return self.operation is not None

    def choose(self) -> bool:
        path = self.choose_file(self.tr("选择历史档案 CSV 文件"), self.tr("CSV 文件 (*.csv);;所有文件 (*)"))
        if not path:
            return False
        self.path = path
        self.file_label.setText(path)
        self.result.clear()
        self.status.clear()
        self.start_button.setEnabled(True)
        return True

    def start_import(self) -> None:
        if not self.path or self.running:
            return
        ctx, path = self.state.ctx, self.path

        def work(report, cancelled):
            return ArchiveImport(ctx).run(path, progress=report, cancelled=cancelled)

        op = BackgroundOperation(work)
        op.signals.progress.connect(self._progress)
        op.signals.succeeded.connect(self._done)
        op.signals.failed.connect(self._failed)
        op.signals.finished.connect(self._finished)
        self.operation = op
        self.report = None
        self.cancelled = False
        self.result.clear()
        self.progress.setRange(0, 0)
        self.progress.setVisible(True)
        self.status.setText(self.tr("正在读取文件……"))
        self.start_button.setEnabled(False)
        self.choose_button.setEnabled(False)
        self.close_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        start(op)

    def cancel_import(self) -> None:
        if self.operation is not None:
            self.operation.cancel()
            self.cancel_button.setEnabled(False)
            self.status.setText(self.tr("正在取消，已检查的内容不会保存……"))

    def _progress(self, done: int, total: int, label: str) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.status.setText(f"{label}：{done} / {total}")

    def _done(self, report: ImportReport) -> None:
        self.report = report
        self.status.setText(self.tr("导入完成。"))
        lines = [
            self.tr("共 ") + f"{report.total}" + self.tr(" 行：导入 ") + f"{report.imported}" + self.tr(" 件，拒收 ")
            + f"{report.refused}" + self.tr(" 行。"),
            self.tr("其中结婚登记 ") + f"{report.marriages}" + self.tr(" 件，离婚登记 ") + f"{report.divorces}"
            + self.tr(" 件；因离婚而终止的婚姻 ") + f"{report.dissolved}" + self.tr(" 件。"),
        ]
        if report.refusals_by_code:
            lines.append(self.tr("拒收原因：") + "，".join(
                f"{REFUSAL_ZH.get(code, code)} {n} 处" for code, n in report.refusals_by_code.items()))
        if report.report_path:
            lines.append(self.tr("拒收报告已写入：") + report.report_path)
        self.result.setText("\n".join(lines))
        self.imported.emit(report)

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, Cancelled):
            self.cancelled = True
            self.status.setText(self.tr("已取消导入，未保存任何记录。"))
        else:
            self.status.setText(self.tr("未导入，未保存任何记录：") + error_text(exc))

    def _finished(self) -> None:
        self.operation = None
        self.progress.setVisible(False)
        self.cancel_button.setEnabled(False)
        self.choose_button.setEnabled(True)
        self.close_button.setEnabled(True)
        self.start_button.setEnabled(bool(self.path))

    def reject(self) -> None:  # Esc or 关闭: never while the import is still running
        if self.running:
            return
        super().reject()
