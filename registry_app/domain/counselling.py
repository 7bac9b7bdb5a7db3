"""婚姻家庭辅导 at a divorce application: whether counselling was offered, whether the couple accepted it,
and where they were referred. A record of the offer only: never a condition for registering, so nothing
here can refuse an application except input that is not what it claims to be (a type, a length)."""
from __future__ import annotations

from typing import Any

from registry_app.domain.field_rules import text_issues
from registry_app.errors import Issue


def counselling_from_dict(value: Any, path: str = "counselling") -> tuple[dict, list[Issue]]:
    """{"offered": bool, "agreed": bool, "referral": str} → the stored form and the input issues.
    Missing means not recorded ({}); agreeing or a referral without an offer is contradictory input."""
    if value is None:
        return {}, []
    if not isinstance(value, dict):
        return {}, [Issue("CASE_MALFORMED", "婚姻家庭辅导应为对象", path)]
    issues: list[Issue] = []
    flags = {}
    for key in ("offered", "agreed"):
        flag = value.get(key, False)
        if not isinstance(flag, bool):
            issues.append(Issue("CASE_MALFORMED", f"{path}.{key} 应为 true 或 false", f"{path}.{key}"))
            flag = False
        flags[key] = flag
    referral = value.get("referral", "")
    if not isinstance(referral, str):
        issues.append(Issue("CASE_MALFORMED", f"{path}.referral 应为文字", f"{path}.referral"))
        referral = ""
    referral = referral.strip()
    issues += text_issues(referral, f"{path}.referral", "referral")
    if not flags["offered"] and (flags["agreed"] or referral):
        issues.append(Issue("COUNSELLING_NOT_OFFERED", "未告知婚姻家庭辅导，不能记录接受或转介", f"{path}.offered"))
    if issues:
        return {}, issues
    return {"offered": flags["offered"], "agreed": flags["agreed"], "referral": referral}, []
