"""Roles and what each may do. Checked in the service layer (services.context.require)."""
from __future__ import annotations

from enum import Enum


class Role(str, Enum):
    CLERK = "clerk"            # 登记员：受理、审查、登记、打印
    SUPERVISOR = "supervisor"  # 负责人：审批更正、作废、法院文书备注、统计
    ADMIN = "admin"            # 系统管理员：用户、办公设置、密钥、节假日

    @property
    def zh(self) -> str:
        return {"clerk": "登记员", "supervisor": "负责人", "admin": "系统管理员"}[self.value]


class Permission(str, Enum):
    VIEW_RECORD = "view_record"
    SEARCH = "search"
    REGISTER = "register"                 # marriage, divorce, adoption casework
    PRINT = "print"
    PROPOSE_CORRECTION = "propose_correction"
    SYNC_EXPORT = "sync_export"
    APPROVE_CORRECTION = "approve_correction"
    VOID_CERTIFICATE = "void_certificate"
    ANNOTATE_JUDGMENT = "annotate_judgment"
    REVOKE = "revoke"
    APPROVE_REPRINT = "approve_reprint"
    STATISTICS = "statistics"
    SYNC_IMPORT = "sync_import"
    MANAGE_STOCK = "manage_stock"
    MANAGE_USERS = "manage_users"
    MANAGE_SETTINGS = "manage_settings"
    MANAGE_KEYS = "manage_keys"
    MANAGE_CALENDAR = "manage_calendar"
    READ_AUDIT = "read_audit"
    IMPORT_ARCHIVE = "import_archive"
    BACKUP = "backup"                     # an encrypted copy of the whole database
    MANAGE_APPOINTMENTS = "manage_appointments"   # slots, quotas and peak days of the counters

    @property
    def zh(self) -> str:
        return _PERMISSION_ZH.get(self, self.value)


_CLERK = {
    Permission.VIEW_RECORD, Permission.SEARCH, Permission.REGISTER, Permission.PRINT,
    Permission.PROPOSE_CORRECTION, Permission.SYNC_EXPORT, Permission.IMPORT_ARCHIVE,
}
_SUPERVISOR = _CLERK | {
    Permission.APPROVE_CORRECTION, Permission.VOID_CERTIFICATE, Permission.ANNOTATE_JUDGMENT,
    Permission.REVOKE, Permission.APPROVE_REPRINT, Permission.STATISTICS, Permission.SYNC_IMPORT,
    Permission.MANAGE_STOCK, Permission.READ_AUDIT, Permission.MANAGE_APPOINTMENTS,
}
# The administrator runs the system, not the counter: no casework, no viewing personal records.
_ADMIN = {
    Permission.MANAGE_USERS, Permission.MANAGE_SETTINGS, Permission.MANAGE_KEYS,
    Permission.MANAGE_CALENDAR, Permission.READ_AUDIT, Permission.SYNC_IMPORT, Permission.STATISTICS,
    Permission.BACKUP,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.CLERK: frozenset(_CLERK),
    Role.SUPERVISOR: frozenset(_SUPERVISOR),
    Role.ADMIN: frozenset(_ADMIN),
}

_PERMISSION_ZH = {
    Permission.VIEW_RECORD: "查看登记档案",
    Permission.SEARCH: "查询",
    Permission.REGISTER: "办理登记",
    Permission.PRINT: "打印证书",
    Permission.PROPOSE_CORRECTION: "提出更正",
    Permission.SYNC_EXPORT: "日终导出",
    Permission.APPROVE_CORRECTION: "审批更正",
    Permission.VOID_CERTIFICATE: "作废证书",
    Permission.ANNOTATE_JUDGMENT: "登记法院判决",
    Permission.REVOKE: "撤销登记",
    Permission.APPROVE_REPRINT: "批准补打",
    Permission.STATISTICS: "统计",
    Permission.MANAGE_APPOINTMENTS: "安排预约号源和高峰日",
    Permission.SYNC_IMPORT: "导入省级回执和比对数据",
    Permission.MANAGE_STOCK: "管理空白证书",
    Permission.MANAGE_USERS: "用户管理",
    Permission.MANAGE_SETTINGS: "办公设置",
    Permission.MANAGE_KEYS: "密钥管理",
    Permission.MANAGE_CALENDAR: "节假日安排",
    Permission.READ_AUDIT: "查看审计日志",
    Permission.IMPORT_ARCHIVE: "历史档案录入",
    Permission.BACKUP: "数据库备份",
}


def can(role: Role | str, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[Role(role)]
