"""Divorce by agreement (协议离婚): what an application must hold, and which failings are a legal refusal.

Sources: CC 1076 (a written agreement stating the will to divorce and the arrangements for children,
property and debts; both apply in person), CC 1078 (the office checks the agreement), R25 (the grounds
on which an application is not accepted: no agreement reached, a party without full civil capacity, a
marriage not registered by a mainland office), WS (the marriage certificates, or a written declaration of
their loss; both lost: also a sealed copy of the marriage archive).

Two kinds of answer, kept apart because the counter treats them differently:
- `refused`: the facts as entered are a legal ground not to accept (不予受理); a written 不予受理告知书
  may be printed for them.
- `incomplete`: something is not entered yet or not in the required form; the clerk completes the form.
  No notice is printed for missing input.
A yes/no fact (civil capacity, the will to divorce, where the marriage was registered) is refused only
when it was answered "no"; unanswered, it is incomplete.

Pure: the service looks up the marriage record and passes in what it found (`MarriageOnRecord`).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from registry_app.domain.states import MarriageState
from registry_app.errors import Issue

#: Where a marriage that may be dissolved by agreement was registered (CC 1076, R25).
REGISTERED_IN = {"mainland": "内地婚姻登记机关", "mission": "中国驻外使（领）馆"}
#: The marriage certificate of each party: handed in, or declared lost in writing (WS).
CERT_STATES = ("present", "lost_declared", "lost_declared_with_archive_copy")

#: Failings that are a legal ground not to accept (R25, CC 1076); everything else is missing input.
REFUSAL_CODES = frozenset({
    "NO_AGREEMENT",                # R25: 未达成离婚协议 (CC 1076)
    "LACKS_CAPACITY",              # R25: 无民事行为能力或限制民事行为能力 — to court instead
    "MARRIAGE_NOT_MAINLAND",       # R25: 结婚登记不是在中国内地办理
    "MARRIAGE_NOT_LIVE",           # no marriage to dissolve: dissolved, void or annulled
    "DIVORCE_ALREADY_PENDING",     # the marriage is already in an open application
    "PARTIES_NOT_MATCH_MARRIAGE",  # the applicants are not the spouses of that marriage
})


@dataclass(frozen=True)
class MarriageOnRecord:
    """This office's marriage record the application names, as the service found it."""

    status: str                    # MarriageState value
    id_numbers: frozenset[str]     # the spouses' ID numbers on the record (may be empty for old files)


@dataclass(frozen=True)
class DivorceCheck:
    """The answer for an application: the legal refusals and the missing input, each coded per field."""

    refused: list[Issue] = field(default_factory=list)
    incomplete: list[Issue] = field(default_factory=list)

    @property
    def issues(self) -> list[Issue]:
        return self.refused + self.incomplete

    @property
    def acceptable(self) -> bool:
        return not self.refused and not self.incomplete

    @classmethod
    def of(cls, issues: Iterable[Issue]) -> DivorceCheck:
        issues = list(issues)
        return cls([i for i in issues if is_refusal(i)], [i for i in issues if not is_refusal(i)])


def is_refusal(issue: Issue) -> bool:
    return issue.code in REFUSAL_CODES


def _answered_no(value) -> bool:
    return value is False


def agreement_issues(agreement: dict) -> list[Issue]:
    """CC 1076: a written agreement stating the will to divorce and the arrangements for children,
    property and debts. Items are structured, not free text only."""
    out = []
    will = agreement.get("will_to_divorce")
    if _answered_no(will):
        out.append(Issue("NO_AGREEMENT", "双方未达成离婚协议，不予受理（民法典第1076条）", "agreement.will_to_divorce"))
    elif will is not True:
        out.append(Issue("AGREEMENT_WILL_MISSING", "请确认协议是否写明双方自愿离婚的意思表示（民法典第1076条）",
                         "agreement.will_to_divorce"))
    text = agreement.get("signed_text")
    if not isinstance(text, str) or not text.strip():
        out.append(Issue("AGREEMENT_TEXT_MISSING", "须附双方签名的离婚协议书文本", "agreement.signed_text"))
    children = agreement.get("children", [])
    if not isinstance(children, list):
        out.append(Issue("CASE_MALFORMED", "children 应为列表", "agreement.children"))
        children = []
    for i, c in enumerate(children):
        if not isinstance(c, dict) or not isinstance(c.get("name"), str) or not c["name"].strip() \
                or c.get("custody") not in ("party1", "party2"):
            out.append(Issue("CHILD_ARRANGEMENT_INCOMPLETE", f"第{i + 1}个子女的姓名或抚养方未写明（民法典第1076条）",
                             f"agreement.children.{i}"))
            continue
        try:
            dt.date.fromisoformat(str(c.get("birth_date")))
        except ValueError:
            out.append(Issue("CHILD_ARRANGEMENT_INCOMPLETE", f"第{i + 1}个子女的出生日期无效",
                             f"agreement.children.{i}.birth_date"))
        amount = c.get("support_amount")
        if isinstance(amount, bool) or not isinstance(amount, (int, float)) or amount < 0:
            out.append(Issue("CHILD_SUPPORT_MISSING", f"第{i + 1}个子女的抚养费数额未写明",
                             f"agreement.children.{i}.support_amount"))
    if agreement.get("has_children") is True and not children:
        out.append(Issue("CHILD_ARRANGEMENT_INCOMPLETE", "有子女的，须写明子女抚养安排", "agreement.children"))
    for key, zh in (("property", "财产处理"), ("debts", "债务处理")):
        if not isinstance(agreement.get(key), list):
            out.append(Issue("AGREEMENT_ITEM_MISSING", f"协议须写明{zh}（无则填空列表）", f"agreement.{key}"))
    return out


def capacity_issues(capacity: dict) -> list[Issue]:
    """Both parties of full civil capacity (R25); otherwise the divorce goes to court."""
    out = []
    for key in ("party1", "party2"):
        value = capacity.get(key)
        if _answered_no(value):
            out.append(Issue("LACKS_CAPACITY", "当事人不具有完全民事行为能力的，不予受理协议离婚，应向人民法院起诉",
                             f"capacity.{key}"))
        elif value is not True:
            out.append(Issue("CAPACITY_NOT_CONFIRMED", "请确认当事人是否具有完全民事行为能力", f"capacity.{key}"))
    return out


def certificate_issues(certificates: dict) -> list[Issue]:
    """Each party's marriage certificate, or a written declaration of its loss; both lost: the archive
    copy too (WS)."""
    out = []
    states = [certificates.get("party1"), certificates.get("party2")]
    for i, state in enumerate(states, start=1):
        if state not in CERT_STATES:
            out.append(Issue("MARRIAGE_CERTIFICATE_MISSING", "须提交结婚证，遗失的须书面声明", f"certificates.party{i}"))
    if all(isinstance(st, str) and st.startswith("lost") for st in states) \
            and "lost_declared_with_archive_copy" not in states:
        out.append(Issue("ARCHIVE_COPY_REQUIRED", "双方结婚证均遗失的，须提交书面声明及加盖印章的婚姻登记档案复印件",
                         "certificates"))
    return out


def marriage_issues(on_record: MarriageOnRecord | None, record_named: bool, elsewhere: dict | None,
                    applicant_ids: set[str]) -> list[Issue]:
    """The marriage to dissolve: this office's record (`on_record`, None when `record_named` found
    nothing), or a certificate of another office (`elsewhere`)."""
    out = []
    if record_named:
        if on_record is None:
            return [Issue("MARRIAGE_NOT_FOUND", "未找到该结婚登记记录", "marriage.record_id")]
        if on_record.id_numbers and on_record.id_numbers != applicant_ids:
            out.append(Issue("PARTIES_NOT_MATCH_MARRIAGE", "申请人与结婚登记记录的当事人不一致", "marriage.record_id"))
        if on_record.status == MarriageState.DIVORCE_PENDING:
            out.append(Issue("DIVORCE_ALREADY_PENDING", "该婚姻已有离婚申请在办理中", "marriage.record_id"))
        elif on_record.status != MarriageState.REGISTERED:
            out.append(Issue("MARRIAGE_NOT_LIVE", "该婚姻已解除或被宣告无效、撤销", "marriage.record_id"))
        return out
    if elsewhere:
        where = elsewhere.get("registered_in")
        if not where:
            out.append(Issue("MARRIAGE_REGISTERED_IN_MISSING", "请选择结婚登记机关的类别",
                             "marriage.registered_elsewhere.registered_in"))
        elif not isinstance(where, str) or where not in REGISTERED_IN:
            out.append(Issue("MARRIAGE_NOT_MAINLAND", "婚姻登记不是在中国内地或中国驻外使（领）馆办理的，不予受理协议离婚",
                             "marriage.registered_elsewhere.registered_in"))
        if not elsewhere.get("certificate_no") and not elsewhere.get("archive_no"):
            out.append(Issue("MARRIAGE_REFERENCE_MISSING", "须录入结婚证字号或档案号", "marriage.registered_elsewhere"))
        return out
    return [Issue("MARRIAGE_NOT_FOUND", "须指明要解除的婚姻（本机关记录或外地结婚证）", "marriage")]


__all__ = ["CERT_STATES", "REFUSAL_CODES", "REGISTERED_IN", "DivorceCheck", "MarriageOnRecord", "agreement_issues",
           "capacity_issues", "certificate_issues", "is_refusal", "marriage_issues"]
