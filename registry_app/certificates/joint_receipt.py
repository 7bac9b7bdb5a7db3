"""婚育户一件事联办告知单: the couple's receipt of what the office passes on, to whom, and how to follow it up."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from registry_app.certificates.formatting import date_zh
from registry_app.certificates.views import FormView


def _when(iso: str) -> str:
    try:
        moment = dt.datetime.fromisoformat(iso)
    except ValueError:
        return ""
    return f"{date_zh(moment.date())}{moment:%H:%M}"


def joint_receipt(requests: Sequence, *, names: Sequence[str], office_name: str, certificate_no: str,
                  issue_date: dt.date) -> FormView:
    """`requests` are JointRequestViews (withdrawn ones left out by the service)."""
    couple = "、".join(names)
    fields: list[tuple[str, ...]] = []
    for n, r in enumerate(requests, start=1):
        fields.append((f"事项{n}：{r.request_zh}", f"推送至{r.department_zh}　状态：{r.status_zh}"))
        fields.append(("推送内容", r.passed_on))
        fields.append(("后续办理", r.follow_up))
    consent_at = min((c.get("at", "") for r in requests for c in r.consents), default="")
    when = _when(consent_at)
    return FormView(
        kind="joint_receipt", title="婚育户一件事联办告知单", office_name=office_name,
        reference=f"证书编号：{certificate_no}" if certificate_no else "",
        addressee=f"{couple}：",
        paragraphs=[
            ("根据你们的申请和书面同意，本登记机关将下列事项所需的信息（仅限各部门办理所需）随当日数据推送至相关部门，"
             "你们无需再向这些部门提交婚姻登记证明。"),
        ] + ([f"双方当事人于{when}书面同意推送。"] if when else []),
        fields=fields,
        closing=[
            ("当日数据推送前，任何一方均可撤回同意，撤回后不再推送；推送后如需撤销，请向接收部门申请。"
             "办理结果以接收部门的通知为准；如被退回，本登记机关将与你们联系。"),
        ],
        signature_lines=["当事人（签收）"],
        issue_date=issue_date,
        notes=["本告知单不是户口迁移或生育登记的办理凭证，请妥善保管以便查询。"],
    )


__all__ = ["joint_receipt"]
