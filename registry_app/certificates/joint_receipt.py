"""婚育户一件事联办告知单: the couple's receipt of what the office passes on, to whom, and how to follow it up."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from registry_app.certificates.formatting import date_zh
from registry_app.certificates.views import FormView


def joint_receipt(requests: Sequence, *, names: Sequence[str], office_name: str, certificate_no: str,
                  issue_date: dt.date) -> FormView:
    """`requests` are JointRequestViews (withdrawn ones left out by the service)."""
    couple = "、".join(names)
    items = [(str(n), f"{r.request_zh}　→　{r.department_zh}（{r.status_zh}）")
             for n, r in enumerate(requests, start=1)]
    fields: list[tuple[str, ...]] = []
    for r in requests:
        fields.append((f"{r.request_zh}：推送内容", r.passed_on))
        fields.append((f"{r.request_zh}：后续办理", r.follow_up))
    consent_at = min((c.get("at", "") for r in requests for c in r.consents), default="")
    return FormView(
        kind="joint_receipt", title="婚育户一件事联办告知单", office_name=office_name,
        reference=f"证书编号：{certificate_no}" if certificate_no else "",
        addressee=f"{couple}：",
        paragraphs=[
            "根据你们的申请和书面同意，本登记机关将下列事项所需信息随当日数据推送至相关部门，"
            "你们无需再向这些部门重复提交结婚（离婚）证明材料。推送的仅为各部门办理该事项所需的信息。",
            f"同意时间：{consent_at.replace('T', ' ')}。" if consent_at else "",
        ],
        items=items,
        fields=fields,
        closing=[
            "在本登记机关当日数据推送前，任何一方均可撤回同意，撤回后不再推送；推送后如需撤销，请向接收部门申请。",
            "相关部门将依其规定审核办理，办理结果以该部门的通知为准；如被退回，本登记机关将与你们联系。",
        ],
        signature_lines=["当事人（签收）", "经办人（婚姻登记员签名）"],
        issue_date=issue_date,
        notes=["本告知单不是户口迁移或生育登记的办理凭证，请妥善保管以便查询。"],
    )


__all__ = ["joint_receipt"]
