"""First start: office, database passphrase, first administrator. Pages only collect and show;
the rules are the service's (OfficeSetup.issues), checked again when the office is created."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QCheckBox, QFormLayout, QLabel, QWizard, QWizardPage

from registry_app.domain.office import validate_office_code
from registry_app.errors import Issue, RegistryError
from registry_app.services.accounts import password_issues
from registry_app.services.context import AppContext
from registry_app.services.office_setup import MIN_PASSPHRASE, OfficeSetup
from registry_app.services.workspace import create_workspace
from ui.errors import error_text
from ui.fields import CheckedLineEdit
from ui.prompts import Prompter


def _required(message: str):
    return lambda v: None if v.strip() else Issue("REQUIRED", message)


class _Page(QWizardPage):
    def __init__(self, title: str, subtitle: str):
        super().__init__()
        self.setTitle(title)
        self.setSubTitle(subtitle)
        self.form = QFormLayout(self)
        self.fields: list[CheckedLineEdit] = []

    def add(self, label: str, field: CheckedLineEdit, name: str) -> CheckedLineEdit:
        field.setObjectName(name)
        self.form.addRow(label, field)
        self.fields.append(field)
        field.validity_changed.connect(lambda _v: self.completeChanged.emit())
        return field

    def isComplete(self) -> bool:  # noqa: N802
        return all(f.is_valid() for f in self.fields)


class OfficePage(_Page):
    def __init__(self):
        super().__init__(self.tr("登记机关"), self.tr("填写本婚姻登记机关的名称和县级行政区划代码（GB/T 2260）。"))
        self.name = self.add(self.tr("机关名称"), CheckedLineEdit(_required(self.tr("请输入登记机关名称")),
                                                              "例：南京市玄武区民政局婚姻登记处"), "office_name")
        self.code = self.add(self.tr("行政区划代码"), CheckedLineEdit(validate_office_code, "6位数字，如 320102"),
                             "office_code")
        self.foreign = QCheckBox(self.tr("本机关经省级指定，办理涉外、涉港澳台及华侨婚姻登记"))
        self.adoption = QCheckBox(self.tr("本机关办理收养登记"))
        self.adoption.setChecked(True)
        self.training = QCheckBox(self.tr("培训环境（练习用数据库：可指定日期，证书和表格印“培训样本 非正式证件”，数据不具法律效力）"))
        self.training.setObjectName("training")
        self.form.addRow("", self.foreign)
        self.form.addRow("", self.adoption)
        self.form.addRow("", self.training)


class PassphrasePage(_Page):
    def __init__(self):
        super().__init__(self.tr("数据库口令"),
                         self.tr("所有登记数据加密保存。口令丢失将无法恢复数据，请妥善保管（建议由负责人另行封存）。"))
        self.passphrase = self.add(
            self.tr("口令"),
            CheckedLineEdit(lambda v: None if len(v) >= MIN_PASSPHRASE else
                            Issue("PASSPHRASE_TOO_SHORT", f"口令至少{MIN_PASSPHRASE}位"), password=True),
            "passphrase")
        self.repeat = self.add(
            self.tr("再次输入"),
            CheckedLineEdit(lambda v: None if v == self.passphrase.text() else Issue("MISMATCH", "两次输入不一致"),
                            password=True),
            "passphrase_repeat")
        self.passphrase.edit.textChanged.connect(lambda _t: self.repeat._check(self.repeat.text()))


class AdminPage(_Page):
    def __init__(self):
        super().__init__(self.tr("系统管理员"), self.tr("创建第一个系统管理员账户，用于添加登记员和负责人。"))
        self.username = self.add(self.tr("用户名"), CheckedLineEdit(_required("请输入用户名")), "admin_username")
        self.display = self.add(self.tr("姓名"), CheckedLineEdit(_required("请输入姓名")), "admin_display")
        self.password = self.add(
            self.tr("密码"),
            CheckedLineEdit(lambda v: (password_issues(v, self.username.text()) or [None])[0], password=True),
            "admin_password")
        self.repeat = self.add(
            self.tr("再次输入"),
            CheckedLineEdit(lambda v: None if v == self.password.text() else Issue("MISMATCH", "两次输入不一致"),
                            password=True),
            "admin_password_repeat")
        self.password.edit.textChanged.connect(lambda _t: self.repeat._check(self.repeat.text()))
        self.result = QLabel()
        self.result.setObjectName("fieldError")
        self.form.addRow("", self.result)


class SetupWizard(QWizard):
    DEMO = 2  # exec() result: the person chose 试用演示 (nothing was created here)

    def __init__(self, db_path: Path, clock=None, parent=None, prompter: Prompter | None = None):
        super().__init__(parent)
        self.prompter = prompter  # None: real dialogs over the wizard (made when asked: no reference cycle)
        self.setWindowTitle(self.tr("首次设置"))  # Qt adds the application's name
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.db_path = db_path
        self.clock = clock
        self.context: AppContext | None = None
        self.office = OfficePage()
        self.secret = PassphrasePage()
        self.admin = AdminPage()
        for page in (self.office, self.secret, self.admin):
            self.addPage(page)
        self.setButtonText(QWizard.WizardButton.NextButton, self.tr("下一步"))
        self.setButtonText(QWizard.WizardButton.BackButton, self.tr("上一步"))
        self.setButtonText(QWizard.WizardButton.FinishButton, self.tr("完成"))
        self.setButtonText(QWizard.WizardButton.CancelButton, self.tr("取消"))
        # 试用演示: try a throwaway demo office instead of setting up this one (ui/demo.py)
        self.setOption(QWizard.WizardOption.HaveCustomButton1, True)
        self.setButtonText(QWizard.WizardButton.CustomButton1, self.tr("试用演示"))
        demo = self.button(QWizard.WizardButton.CustomButton1)
        demo.setObjectName("tryDemo")
        demo.clicked.connect(lambda: self.done(self.DEMO))
        self.resize(640, 460)

    def setup_request(self) -> OfficeSetup:
        return OfficeSetup(
            office_code=self.office.code.text().strip(), office_name=self.office.name.text().strip(),
            passphrase=self.secret.passphrase.text(), admin_username=self.admin.username.text().strip(),
            admin_display_name=self.admin.display.text().strip(), admin_password=self.admin.password.text(),
            handles_foreign_cases=self.office.foreign.isChecked(), handles_adoption=self.office.adoption.isChecked(),
            training=self.office.training.isChecked(),
        )

    def accept(self) -> None:
        try:
            self.context = create_workspace(self.setup_request(), self.db_path, self.clock)
        except RegistryError as exc:
            self.admin.result.setText(error_text(exc))
            return
        super().accept()

    def reject(self) -> None:
        """取消, Escape or the close box: nothing has been created yet; ask before ending the program."""
        if (self.prompter or Prompter(self)).confirm(self.tr("退出程序"), self.tr("首次设置尚未完成，退出程序？")):
            super().reject()
