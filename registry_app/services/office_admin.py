"""Office settings changed by the administrator, validated and audited. (The passphrase kept in the
operating system's keyring, where `keyring_unlock` allows it, is services/unlock_memory.py.)"""
from __future__ import annotations

from dataclasses import fields

from registry_app.domain.roles import Permission
from registry_app.errors import Issue, Refused
from registry_app.services import audit
from registry_app.services.context import AppContext
from registry_app.services.settings import OfficeSettings, load_settings, save_settings

# What an administrator may change here, with the range that makes sense at a counter.
_EDITABLE = {
    "office_name": (str, None),
    "handles_foreign_cases": (bool, None),
    "handles_adoption": (bool, None),
    "numbering_scope": (str, None),
    "adoption_number_format": (str, None),
    "adoption_dissolution_number_format": (str, None),
    "idle_lock_minutes": (int, (1, 120)),
    "max_failed_logins": (int, (3, 20)),
    "lockout_minutes": (int, (1, 1440)),
    "reference_max_age_days": (int, (1, 365)),
    "clock_ahead_warning_days": (int, (1, 3650)),
    "keyring_unlock": (bool, None),
}


class OfficeAdmin:
    def __init__(self, ctx: AppContext):
        self.ctx = ctx

    def settings(self) -> OfficeSettings:
        with self.ctx.db.read() as s:
            return load_settings(s)

    def update(self, changes: dict) -> OfficeSettings:
        self.ctx.require(Permission.MANAGE_SETTINGS)
        issues = []
        for key, value in changes.items():
            if key not in _EDITABLE:
                issues.append(Issue("SETTING_NOT_EDITABLE", f"不能在此修改设置项：{key}", key))
                continue
            kind, bounds = _EDITABLE[key]
            if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
                issues.append(Issue("SETTING_INVALID", "应为整数", key))
            elif kind is not int and not isinstance(value, kind):
                issues.append(Issue("SETTING_INVALID", "取值类型不正确", key))
            elif bounds and not bounds[0] <= value <= bounds[1]:
                issues.append(Issue("SETTING_OUT_OF_RANGE", f"应在{bounds[0]}至{bounds[1]}之间", key))
        if "office_name" in changes and not str(changes["office_name"]).strip():
            issues.append(Issue("OFFICE_NAME_REQUIRED", "请输入登记机关名称", "office_name"))
        if "numbering_scope" in changes and changes["numbering_scope"]:
            from registry_app.domain.office import validate_office_code

            bad = validate_office_code(changes["numbering_scope"])
            if bad:
                issues.append(Issue(bad.code, bad.message, "numbering_scope"))
        for key in ("adoption_number_format", "adoption_dissolution_number_format"):
            if key in changes:
                try:
                    sample = str(changes[key]).format(office="320102", year=2026, seq=1)
                except (KeyError, IndexError, ValueError):
                    sample = ""
                if not sample or "1" not in sample:
                    issues.append(Issue("NUMBER_FORMAT_INVALID", "编号格式须含 {seq}，可用 {office} {year}", key))
        if issues:
            raise Refused(issues)
        with self.ctx.db.write() as s:
            current = load_settings(s)
            before = {k: getattr(current, k) for k in changes}
            for k, v in changes.items():
                setattr(current, k, v)
            save_settings(s, current)
            audit.record(self.ctx, s, "settings.changed", "office", current.office_code,
                         {"before": before, "after": changes})
            return current


def editable_settings() -> list[str]:
    return [f.name for f in fields(OfficeSettings) if f.name in _EDITABLE]
