"""The official wording of the A4 documents, as FormViews the services fill with facts.

The services decide (dates, reasons, numbers); these functions only phrase the decision the way
the counter hands it out. Signature places stay blank: people sign with a pen.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from registry_app.certificates.formatting import date_zh, id_type_zh, sex_zh
from registry_app.certificates.views import FormView, PartyView
from registry_app.domain.ids import Sex
from registry_app.errors import Issue

APPEAL_TEXT = ("如对本决定不服，可以自收到本告知书之日起六十日内依法申请行政复议，"
               "或者自收到本告知书之日起六个月内依法向人民法院提起行政诉讼。")


def _id_text(p: PartyView) -> str:
    return f"{id_type_zh(p.id_type)} {p.id_number}".strip()


def _party_rows(p: PartyView) -> list[tuple[str, str]]:
    rows = [("姓名", p.name), ("性别", sex_zh(p.sex)), ("出生日期", date_zh(p.birth_date)),
            ("国籍", p.nationality)]
    if p.ethnicity:
        rows.append(("民族", p.ethnicity))
    rows += [("身份证件类型", id_type_zh(p.id_type)), ("身份证件号码", p.id_number)]
    return rows


def marriage_declaration(party: PartyView, partner_name: str, *, office_name: str, marital_status: str,
                         occupation: str = "", education: str = "", residence: str = "",
                         cohabiting_since: dt.date | None = None) -> FormView:
    """申请结婚登记声明书, one per party, signed in front of the registrar as witness.
    With `cohabiting_since` it is the declaration for a supplementary registration (补办)."""
    rows = _party_rows(party) + [("婚姻状况", marital_status)]
    for label, value in (("职业", occupation), ("文化程度", education), ("常住户口所在地", residence)):
        if value:
            rows.append((label, value))
    if cohabiting_since is None:
        title = "申请结婚登记声明书"
        will = f"本人与{partner_name}自愿结婚。"
    else:
        title = "申请补办结婚登记声明书"
        will = f"本人与{partner_name}自{date_zh(cohabiting_since)}起以夫妻名义共同生活，现自愿申请补办结婚登记。"
    return FormView(
        kind="marriage_declaration", title=title, office_name=office_name,
        subtitle=f"受理机关：{office_name}",
        fields=rows,
        closing=[
            "本人郑重声明：",
            will + "本人与对方均无配偶，没有直系血亲和三代以内旁系血亲关系；"
            "本人患有重大疾病的，已在结婚登记前如实告知对方。",
            "本人上述声明完全真实，如有虚假，愿承担法律责任。",
        ],
        signature_lines=["声明人（签名或按指印）", "监誓人（婚姻登记员签名）"],
        show_office_seal=False,
    )


def marriage_review_form(parties: Sequence[PartyView], *, office_name: str, marital_statuses: Sequence[str],
                         application_date: dt.date, registration_date: dt.date | None, number: str,
                         blank_serial: str, documents: str,
                         review_opinion: str = "符合结婚登记条件，准予登记。",
                         remarks: str = "", reference: str = "", registrar: str = "",
                         witness: str = "") -> FormView:
    """结婚登记审查处理表: both parties side by side, then the review and the certificate issued.
    `reference` is the archive number (档案号), left out until there is one; `registrar` and `witness`
    are people's names (李明), not login names."""
    a, b = parties
    if sex_zh(a.sex) == Sex.FEMALE.zh and sex_zh(b.sex) == Sex.MALE.zh:
        a, b = b, a
        marital_statuses = list(reversed(marital_statuses))
    header = ("项目", "男方", "女方") if sex_zh(a.sex) == "男" and sex_zh(b.sex) == "女" else ("项目", "当事人一", "当事人二")
    rows_a, rows_b = dict(_party_rows(a)), dict(_party_rows(b))
    labels = [label for label, _ in _party_rows(a)]
    for label, _ in _party_rows(b):
        if label not in labels:
            labels.append(label)
    rows: list[tuple[str, ...]] = [(lab, rows_a.get(lab, ""), rows_b.get(lab, "")) for lab in labels]
    rows.append(("婚姻状况", marital_statuses[0], marital_statuses[1]))
    rows += [
        ("提交的证件和材料", documents),
        ("审查意见", review_opinion),
        ("申请日期", date_zh(application_date)),
        ("登记日期", date_zh(registration_date)),
        ("结婚证字号", number),
        ("结婚证印制号", blank_serial),
        ("登记机关", office_name),
    ]
    rows += [(label, name) for label, name in (("受理登记员", registrar), ("监誓人", witness)) if name]
    rows.append(("备注", remarks))
    return FormView(
        kind="marriage_review", title="结婚登记审查处理表", office_name=office_name,
        reference=f"档案编号：{reference}" if reference else "",
        field_header=header, fields=rows,
        signature_lines=["婚姻登记员（签名）"],
        show_office_seal=False,
    )


def refusal_notice(*, office_name: str, addressees: Sequence[str], matter: str, application_date: dt.date,
                   reasons: Sequence[Issue | tuple[str, str]], issue_date: dt.date,
                   stage: str = "registration", document_number: str = "") -> FormView:
    """不予登记告知书 (stage="registration") or 不予受理告知书 (stage="acceptance"), every reason coded."""
    if stage not in ("registration", "acceptance"):
        raise ValueError("stage must be 'registration' or 'acceptance'")
    verb = "登记" if stage == "registration" else "受理"
    items = [(r.code, r.message) if isinstance(r, Issue) else (r[0], r[1]) for r in reasons]
    return FormView(
        kind=f"refusal_{stage}", title=f"不予{verb}告知书", office_name=office_name,
        subtitle=document_number,
        addressee="、".join(addressees) + "：",
        paragraphs=[f"你（们）于{date_zh(application_date)}向本机关申请办理{matter}。"
                    f"经审查，存在下列情形，依法不予{verb}："],
        items=items,
        closing=[APPEAL_TEXT, "特此告知。"],
        signature_lines=["当事人（签收）"],
        issue_date=issue_date,
    )


def divorce_acknowledgement(parties: Sequence[PartyView], *, office_name: str, received_date: dt.date,
                            cooling_off_end: dt.date, collection_deadline: dt.date,
                            application_number: str) -> FormView:
    """离婚登记申请受理回执单: the dates come from the cooling-off rules in the domain."""
    a, b = parties
    return FormView(
        kind="divorce_acknowledgement", title="离婚登记申请受理回执单", office_name=office_name,
        reference=f"受理编号：{application_number}",
        addressee=f"{a.name}、{b.name}：",
        paragraphs=[
            f"你们于{date_zh(received_date)}向本登记机关提交的离婚登记申请，本机关已经受理。",
            "依照《中华人民共和国民法典》第一千零七十七条，自本登记机关收到离婚登记申请之日起三十日内"
            "（离婚冷静期），任何一方不愿意离婚的，可以持本回执单和本人有效身份证件到本登记机关撤回离婚登记申请。",
        ],
        fields=[
            ("申请人", f"{a.name}　{_id_text(a)}"),
            ("申请人", f"{b.name}　{_id_text(b)}"),
            ("受理日期", date_zh(received_date)),
            ("离婚冷静期届满日", date_zh(cooling_off_end)),
            ("申请发给离婚证截止日", date_zh(collection_deadline)),
            ("受理机关", office_name),
        ],
        closing=[
            f"离婚冷静期届满后，双方应当于{date_zh(collection_deadline)}前（含当日）持本回执单、本人有效身份证件、"
            "结婚证等材料，共同到本登记机关申请发给离婚证；期满未申请的，视为撤回离婚登记申请。",
        ],
        signature_lines=["受理人（婚姻登记员签名）"],
        issue_date=received_date,
        notes=["请妥善保管本回执单。撤回申请或申请发给离婚证时须出示。"],
    )


def withdrawal_confirmation(*, office_name: str, withdrawing: PartyView, other_name: str,
                            application_number: str, received_date: dt.date, withdrawal_date: dt.date) -> FormView:
    """撤回离婚登记申请确认单, issued to the party who withdrew during the cooling-off period."""
    return FormView(
        kind="divorce_withdrawal", title="撤回离婚登记申请确认单", office_name=office_name,
        reference=f"受理编号：{application_number}",
        paragraphs=[
            f"{withdrawing.name}（{_id_text(withdrawing)}）于{date_zh(withdrawal_date)}向本登记机关申请撤回"
            f"其与{other_name}于{date_zh(received_date)}提交的离婚登记申请。"
            "经核实，本机关确认该离婚登记申请已撤回，离婚登记程序终止。",
        ],
        fields=[
            ("撤回申请人", withdrawing.name),
            ("身份证件", _id_text(withdrawing)),
            ("另一方当事人", other_name),
            ("原申请受理日期", date_zh(received_date)),
            ("受理编号", application_number),
            ("撤回日期", date_zh(withdrawal_date)),
        ],
        signature_lines=["撤回申请人（签名或按指印）", "婚姻登记员（签名）"],
        issue_date=withdrawal_date,
    )


@dataclass(frozen=True)
class MarriageRecordEntry:
    """One registration found in the archive, for the record proof."""

    kind_zh: str          # 结婚登记 / 离婚登记 / 补发结婚证 ...
    registration_date: dt.date
    spouse_name: str
    spouse_id: str
    number: str
    office_name: str = ""


def marriage_record_proof(*, office_name: str, person: PartyView, records: Sequence[MarriageRecordEntry],
                          issue_date: dt.date, proof_number: str = "", purpose: str = "") -> FormView:
    """婚姻登记记录证明: issued instead of a reissued certificate when the status has changed since."""
    intro = (f"兹证明：经查询本机关婚姻登记档案，{person.name}（性别：{sex_zh(person.sex)}，"
             f"出生日期：{date_zh(person.birth_date)}，{_id_text(person)}）")
    if records:
        intro += "的婚姻登记记录如下："
    else:
        intro += "在本机关无婚姻登记记录。"
    rows = [(r.kind_zh, date_zh(r.registration_date), r.spouse_name, r.spouse_id, r.number) for r in records]
    closing = ["本证明仅证明本机关婚姻登记档案的记载情况。"]
    if purpose:
        closing.append(f"本证明用于：{purpose}。")
    closing.append("特此证明。")
    return FormView(
        kind="marriage_record_proof", title="婚姻登记记录证明", office_name=office_name,
        reference=f"编号：{proof_number}" if proof_number else "",
        paragraphs=[intro],
        field_header=("登记类别", "登记日期", "对方姓名", "对方身份证件号码", "证件字号") if rows else (),
        fields=rows,
        closing=closing,
        issue_date=issue_date,
    )
