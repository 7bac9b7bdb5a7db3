"""The certificate page's other tabs: 空白证书 (blank stock), 打印校准 (printer calibration) and
二维码核验 (QR verification). They only collect and show; the services decide."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from registry_app.certificates import Calibration, calibration_sheet_pdf
from registry_app.certificates.calibration import SHEET_MARKS
from registry_app.domain.states import BlankState, CertificateState, CertificateType
from registry_app.errors import RegistryError
from registry_app.services.electronic_certificates import ElectronicCertificates
from registry_app.services.printing_setup import PrintingSetup
from registry_app.services.stock import BOOKLET_TYPES, BlankStock
from ui.background import BackgroundOperation, start
from ui.errors import error_text

VERDICTS = {
    "OK": (CertificateState.ISSUED.zh, "good", "二维码签名与本机关密钥相符，证书未作废。"),
    "BAD_SIGNATURE": ("签名不符", "bad", "二维码内容与签名不一致，证书内容可能被篡改。"),
    "UNKNOWN_KEY": ("未知机关密钥", "bad", "签发密钥不在本处已知密钥之列：可能不是本处签发，或对方机关的公钥尚未导入。"),
    "VOIDED": ("证书已作废", "bad", "签名有效，但本处记录显示该证书已作废或失效。"),
    "MALFORMED": ("无法识别", "bad", "这不是本系统的证书二维码，或内容不完整。"),
    "NO_QR": ("未找到二维码", "bad", "所选PDF中没有证书二维码。"),
    "ECERT_SIGNATURE_INVALID": ("电子签名不符", "bad", "电子证照的签名校验失败：文件在签发后被改动。"),
    "ECERT_UNKNOWN_SIGNER": ("未知签名机关", "bad", "电子证照不是用本处已知的密钥签名的。"),
    "ECERT_CHANGED_AFTER_SIGNING": ("签名后被追加内容", "bad", "电子证照在签名之后被追加了内容，不能作为有效证照。"),
    "ECERT_NOT_ISSUED": ("本处未签发", "bad", "本处没有签发过该电子证照。"),
    "ECERT_STALE": ("电子证照已过时", "bad", "登记内容在电子证照签发后已更正，请重新签发。"),
    "ECERT_MISMATCH": ("内容不一致", "bad", "电子证照的凭证与证照编号不一致。"),
}
SPOIL_REASONS = ["卡纸", "打印错位", "内容打错", "污损", "其他"]


def choose_pdf_dialog(parent: QWidget) -> str | None:
    path, _filter = QFileDialog.getOpenFileName(parent, "选择证书PDF", "", "PDF 文件 (*.pdf)")
    return path or None


def say(label: QLabel, text: str, tone: str = "") -> None:
    """Show a message in a label; tone "good" or "bad" colours it (see the page's style sheet)."""
    label.setProperty("tone", tone)
    label.setText(text)
    label.style().unpolish(label)
    label.style().polish(label)


def message_label() -> QLabel:
    label = QLabel("")
    label.setObjectName("message")
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label




def _table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
    return table


class StockTab(QWidget):
    """Blank booklets: what is in stock per type, receiving a range, spoiling one with a reason."""

    def __init__(self, page):
        super().__init__()
        self.page = page
        self.ctx = page.state.ctx
        layout = QHBoxLayout(self)
        left = QVBoxLayout()
        layout.addLayout(left, 1)
        summary = QGroupBox("库存")
        box = QVBoxLayout(summary)
        self.summary_table = _table(["种类", "可用", "已用", BlankState.SPOILED.zh])
        self.summary_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        box.addWidget(self.summary_table)
        self.refresh_button = QPushButton("刷新")
        self.refresh_button.clicked.connect(self.refresh)
        box.addWidget(self.refresh_button, 0, Qt.AlignmentFlag.AlignLeft)
        left.addWidget(summary, 1)

        right = QVBoxLayout()
        layout.addLayout(right, 1)
        receive = QGroupBox("入库（负责人）")
        form = QFormLayout(receive)
        self.booklet_type = QComboBox()
        for key, label in BOOKLET_TYPES.items():
            self.booklet_type.addItem(label, key)
        self.first = QLineEdit()
        self.first.setPlaceholderText("起始印制号，如 J0000101")
        self.last = QLineEdit()
        self.last.setPlaceholderText("终止印制号，如 J0000200")
        self.receive_button = QPushButton("入库")
        self.receive_button.clicked.connect(self.receive)
        form.addRow("证书种类", self.booklet_type)
        form.addRow("起始印制号", self.first)
        form.addRow("终止印制号", self.last)
        form.addRow(self.receive_button)
        right.addWidget(receive)
        spoil = QGroupBox("作废空白证书")
        form = QFormLayout(spoil)
        self.serial = QLineEdit()
        self.serial.setPlaceholderText("印制号")
        self.reason = QComboBox()
        self.reason.setEditable(True)
        self.reason.addItems(SPOIL_REASONS)
        self.reason.setCurrentIndex(-1)
        self.reason.lineEdit().setPlaceholderText("作废原因")
        self.spoil_button = QPushButton("作废")
        self.spoil_button.clicked.connect(self.spoil)
        form.addRow("印制号", self.serial)
        form.addRow("原因", self.reason)
        form.addRow(self.spoil_button)
        right.addWidget(spoil)
        self.message = message_label()
        right.addWidget(self.message)
        right.addStretch(1)

    def refresh(self) -> None:
        try:
            rows = BlankStock(self.ctx).summary()
        except RegistryError as exc:
            say(self.message, error_text(exc), "bad")
            return
        self.summary_table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            values = [BOOKLET_TYPES[row.booklet_type], row.available, row.used, row.spoiled]
            for c, value in enumerate(values):
                item = QTableWidgetItem(str(value))
                if c:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.summary_table.setItem(r, c, item)

    def receive(self) -> None:
        first, last = self.first.text().strip().upper(), self.last.text().strip().upper()
        try:
            count = BlankStock(self.ctx).receive(self.booklet_type.currentData(), first, last)
        except RegistryError as exc:
            say(self.message, error_text(exc), "bad")
            return
        say(self.message, f"已入库{self.booklet_type.currentText()} {count} 本（{first} 至 {last}）", "good")
        self.first.clear()
        self.last.clear()
        self.refresh()

    def spoil(self) -> None:
        serial, reason = self.serial.text().strip().upper(), self.reason.currentText().strip()
        try:
            BlankStock(self.ctx).spoil(serial, reason)
        except RegistryError as exc:
            say(self.message, error_text(exc), "bad")
            return
        say(self.message, f"空白证书 {serial} 已作废（{reason}）", "good")
        self.serial.clear()
        self.refresh()


def _spin(low: float, high: float, value: float, decimals: int = 1, step: float = 0.1) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(low, high)
    box.setDecimals(decimals)
    box.setSingleStep(step)
    box.setValue(value)
    return box


class CalibrationTab(QWidget):
    """Print the calibration sheet, measure the crosshair, save the correction for a printer."""

    NOMINAL = SHEET_MARKS[0]                      # top-left crosshair, mm from the paper's corner
    SPAN = SHEET_MARKS[1][0] - SHEET_MARKS[0][0]  # between the two top crosshairs

    def __init__(self, page):
        super().__init__()
        self.page = page
        self.ctx = page.state.ctx
        self.operation: BackgroundOperation | None = None
        # The tallest tab: it scrolls by itself, so the print tab beside it fits a 768-pixel screen.
        body = QWidget()
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(body)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        layout = QHBoxLayout(body)
        left = QVBoxLayout()
        layout.addLayout(left, 1)

        step1 = QGroupBox("第一步：打印校准页")
        box = QVBoxLayout(step1)
        note = QLabel("用证书打印机、按打印证书的进纸方式打印校准页（打印设置选“实际大小”）。"
                      "页上左上十字应距纸张左边缘 20 毫米、上边缘 20 毫米，左右两个十字相距 170 毫米。")
        note.setWordWrap(True)
        box.addWidget(note)
        self.sheet_button = QPushButton("打印校准页…")
        self.sheet_button.clicked.connect(lambda: self.print_sheet(None))
        box.addWidget(self.sheet_button, 0, Qt.AlignmentFlag.AlignLeft)
        left.addWidget(step1)

        step2 = QGroupBox("第二步：填入测量值")
        form = QFormLayout(step2)
        self.measured_x = _spin(0, 60, self.NOMINAL[0])
        self.measured_y = _spin(0, 60, self.NOMINAL[1])
        self.measured_span = _spin(150, 190, self.SPAN)
        self.measured_x.setSuffix(" 毫米")
        self.measured_y.setSuffix(" 毫米")
        self.measured_span.setSuffix(" 毫米")
        form.addRow("左上十字距左边缘", self.measured_x)
        form.addRow("左上十字距上边缘", self.measured_y)
        form.addRow("左右十字间距", self.measured_span)
        self.compute_button = QPushButton("按测量值计算偏移")
        self.compute_button.clicked.connect(self.compute)
        form.addRow(self.compute_button)
        left.addWidget(step2)

        step3 = QGroupBox("第三步：保存校准")
        form = QFormLayout(step3)
        self.name = QComboBox()
        self.name.setEditable(True)
        self.name.lineEdit().setPlaceholderText("打印机名称或窗口号，如 1号窗口")
        self.dx = _spin(-20, 20, 0.0, 2)
        self.dy = _spin(-20, 20, 0.0, 2)
        self.scale = _spin(0.9, 1.1, 1.0, 4, 0.001)
        self.dx.setSuffix(" 毫米")
        self.dy.setSuffix(" 毫米")
        form.addRow("校准名称", self.name)
        form.addRow("右移（负数为左移）", self.dx)
        form.addRow("下移（负数为上移）", self.dy)
        form.addRow("缩放", self.scale)
        self.save_button = QPushButton("保存校准")
        self.save_button.clicked.connect(self.save)
        form.addRow(self.save_button)
        left.addWidget(step3)
        self.message = message_label()
        left.addWidget(self.message)
        left.addStretch(1)

        saved = QGroupBox("已保存的校准")
        box = QVBoxLayout(saved)
        self.table = _table(["名称", "右移（毫米）", "下移（毫米）", "缩放"])
        self.table.itemSelectionChanged.connect(self._load_selected)
        box.addWidget(self.table, 1)
        row = QHBoxLayout()
        self.check_button = QPushButton("用所选校准打印核对页…")
        self.check_button.clicked.connect(lambda: self.print_sheet(self._selected()))
        self.delete_button = QPushButton("删除所选")
        self.delete_button.clicked.connect(self.delete)
        row.addWidget(self.check_button)
        row.addWidget(self.delete_button)
        box.addLayout(row)
        layout.addWidget(saved, 1)

    def refresh(self, saved) -> None:
        text = self.name.currentText()
        self.name.clear()
        self.name.addItems([c.name for c in saved])
        self.name.setEditText(text)
        self.table.setRowCount(len(saved))
        for r, c in enumerate(saved):
            for col, value in enumerate([c.name, f"{c.dx_mm:g}", f"{c.dy_mm:g}", f"{c.scale:g}"]):
                self.table.setItem(r, col, QTableWidgetItem(value))

    def _selected(self) -> str | None:
        items = self.table.selectedItems()
        return self.table.item(items[0].row(), 0).text() if items else None

    def _load_selected(self) -> None:
        row = self.table.currentRow()
        if row < 0 or self.table.item(row, 0) is None:
            return
        self.name.setEditText(self.table.item(row, 0).text())
        self.dx.setValue(float(self.table.item(row, 1).text()))
        self.dy.setValue(float(self.table.item(row, 2).text()))
        self.scale.setValue(float(self.table.item(row, 3).text()))

    def compute(self) -> None:
        try:
            cal = Calibration.from_measurement("", self.NOMINAL, (self.measured_x.value(), self.measured_y.value()),
                                               self.SPAN, self.measured_span.value())
        except RegistryError as exc:
            say(self.message, error_text(exc), "bad")
            return
        self.dx.setValue(cal.dx_mm)
        self.dy.setValue(cal.dy_mm)
        self.scale.setValue(cal.scale)
        say(self.message, f"计算结果：右移 {cal.dx_mm:g} 毫米，下移 {cal.dy_mm:g} 毫米，缩放 {cal.scale:g}。"
                           "核对后填写名称并保存。")

    def save(self) -> None:
        try:
            saved = PrintingSetup(self.ctx).save_calibration(self.name.currentText(), self.dx.value(),
                                                             self.dy.value(), self.scale.value())
        except RegistryError as exc:
            say(self.message, error_text(exc), "bad")
            return
        self.page.refresh_calibrations()
        say(self.message, f"已保存校准“{saved.name}”。可用“用所选校准打印核对页”再打印一次核对。", "good")

    def delete(self) -> None:
        name = self._selected()
        if not name or not self.page.state.prompter.confirm("删除校准", f"删除校准“{name}”？"):
            return
        try:
            PrintingSetup(self.ctx).delete_calibration(name)
        except RegistryError as exc:
            say(self.message, error_text(exc), "bad")
            return
        self.page.refresh_calibrations()
        say(self.message, f"已删除校准“{name}”", "good")

    def print_sheet(self, name: str | None) -> None:
        try:
            pdf = PrintingSetup(self.ctx).calibration_sheet(name) if name else calibration_sheet_pdf()
        except RegistryError as exc:
            say(self.message, error_text(exc), "bad")
            return
        target = self.page.print_target
        if not target.choose(self, "打印校准页"):
            return
        op = BackgroundOperation(lambda report, cancelled: target.print_pdf(pdf, "打印校准页"))
        op.signals.succeeded.connect(lambda _pages: say(self.message, "校准页已送打印机", "good"))
        op.signals.failed.connect(lambda exc: say(self.message, "打印失败：" + error_text(exc), "bad"))
        op.signals.finished.connect(self._finished)
        self.operation = op
        start(op)

    def _finished(self) -> None:
        self.operation = None


class VerifyTab(QWidget):
    """Paste a scanned payload or choose a certificate PDF; the answer in plain Chinese."""

    def __init__(self, page):
        super().__init__()
        self.page = page
        self.ctx = page.state.ctx
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("扫描证书二维码后粘贴内容（以 RGC2: 或 RGC1: 开头），或选择证书或电子证照PDF文件："))
        self.payload = QPlainTextEdit()
        self.payload.setPlaceholderText("RGC2:…")
        self.payload.setMaximumHeight(90)
        layout.addWidget(self.payload)
        row = QHBoxLayout()
        self.verify_button = QPushButton("核验")
        self.verify_button.clicked.connect(self.verify_payload)
        self.pdf_button = QPushButton("选择PDF核验…")
        self.pdf_button.clicked.connect(self.verify_pdf)
        row.addWidget(self.verify_button)
        row.addWidget(self.pdf_button)
        row.addStretch(1)
        layout.addLayout(row)
        self.verdict = QLabel("")
        self.verdict.setObjectName("verdict")
        layout.addWidget(self.verdict)
        self.details = QLabel("")
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.details)
        layout.addStretch(1)

    def verify_payload(self) -> None:
        # Base45 (RGC2) has a space in its alphabet: drop only line breaks a scanner may add
        text = "".join(self.payload.toPlainText().strip().splitlines())
        if not text:
            self._show_text("请先粘贴二维码内容", "bad")
            return
        self._show(ElectronicCertificates(self.ctx).verify(payload=text))

    def verify_pdf(self) -> None:
        path = self.page.choose_pdf(self)
        if not path:
            return
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            self._show_text(f"无法读取文件：{exc.strerror or exc}", "bad")
            return
        self._show(ElectronicCertificates(self.ctx).verify(pdf=data), Path(path).name)

    def _show_text(self, text: str, tone: str) -> None:
        self.verdict.setText(text)
        colour = "#1b7f3b" if tone == "good" else "#c62f2f"
        self.verdict.setStyleSheet(f"font-size: 20px; font-weight: bold; color: {colour};")
        self.details.setText("")

    def _show(self, result: dict, source: str = "") -> None:
        headline, tone, explanation = VERDICTS.get(result["reason_code"], ("无效", "bad", result["reason"]))
        self._show_text(("✔ " if result["valid"] else "✘ ") + headline, tone)
        lines = [explanation]
        if result.get("reason") and result["reason_code"] not in ("OK",):
            lines.append(f"详情：{result['reason']}")
        if result.get("electronic") and result.get("identifier"):
            lines.append(f"电子证照：{result.get('licence_name') or ''}　标识：{result['identifier']}"
                         f"　签发日期：{result.get('issue_date') or ''}")
        if result.get("certificate_no") and result.get("kind"):
            lines.append(f"证书字号：{result['certificate_no']}　种类：{CertificateType.label(result['kind'])}"
                         f"　登记日期：{result['registration_date']}　机关代码：{result['office_code']}")
        elif result.get("certificate_no"):
            lines.append(f"证书字号：{result['certificate_no']}")
        if source:
            lines.append(f"文件：{source}")
        self.details.setText("\n".join(lines))
