"""A marriage declared invalid or revoked by a court (CC 1051–1053): the two effects, the grounds the Civil
Code gives for each, and a judgment as the office records it. A court decides; the office only annotates
the record (services/court_annotation.py), so the rules here are what a judgment may say, not when a
marriage is invalid.

CC 1051: a marriage is invalid for bigamy, a prohibited kinship, or a party under the marriage age.
CC 1052: a party coerced into the marriage may ask the court to revoke it.
CC 1053: so may a party whose spouse did not disclose a serious illness before the registration.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import NamedTuple

from registry_app.domain.field_rules import structure_issues
from registry_app.domain.states import MarriageState
from registry_app.errors import Issue, Refused

INVALID, REVOKED = "invalid", "revoked"


class Effect(NamedTuple):
    status: MarriageState  # the record's status once annotated
    zh: str


class Ground(NamedTuple):
    effect: str   # INVALID or REVOKED
    zh: str       # what the court found
    article: int  # of the Civil Code

    @property
    def text(self) -> str:
        return f"{self.zh}（民法典第{self.article}条）"


EFFECTS: dict[str, Effect] = {
    INVALID: Effect(MarriageState.INVALIDATED, "婚姻无效"),
    REVOKED: Effect(MarriageState.REVOKED, "婚姻被撤销"),
}
GROUNDS: dict[str, Ground] = {
    "bigamy": Ground(INVALID, "重婚", 1051),
    "prohibited_kinship": Ground(INVALID, "有禁止结婚的亲属关系", 1051),
    "under_age": Ground(INVALID, "未到法定婚龄", 1051),
    "coercion": Ground(REVOKED, "因胁迫结婚", 1052),
    "illness_not_disclosed": Ground(REVOKED, "一方婚前未如实告知重大疾病", 1053),
}


def effect_of(status: str) -> Effect | None:
    """The judgment a record's status records (None: no judgment)."""
    return next((e for e in EFFECTS.values() if e.status == status), None)


def ground_issue(effect: str | None, ground: str) -> Issue | None:
    """Why `ground` cannot stand in a judgment of `effect` (None: it can, or no ground was given)."""
    if not ground:
        return None
    if ground not in GROUNDS:
        return Issue("JUDGMENT_GROUND_INVALID", "判决理由应为 " + "、".join(GROUNDS), "ground")
    if effect in EFFECTS and GROUNDS[ground].effect != effect:
        return Issue("JUDGMENT_GROUND_MISMATCH",
                     f"“{GROUNDS[ground].text}”对应的判决结果不是“{EFFECTS[effect].zh}”", "ground")
    return None


def _text(d: dict, key: str) -> str:
    value = d.get(key)
    return value.strip() if isinstance(value, str) else ""


@dataclass
class Judgment:
    """A court judgment on a marriage, as the office records it."""

    court: str
    case_number: str
    judgment_date: dt.date
    effect: str
    archive_number: str
    remark: str = ""
    ground: str = ""
    effective_date: dt.date | None = None

    @classmethod
    def from_dict(cls, d: dict, today: dt.date) -> Judgment:
        """Parse the judgment JSON (resources/examples/annotation.json); raises Refused with every issue."""
        if not isinstance(d, dict):
            raise Refused([Issue("REQUEST_MALFORMED", "法院判决信息应为JSON对象")])
        issues: list[Issue] = structure_issues(d)
        if issues:
            raise Refused(issues)
        court, case_number, archive_number = _text(d, "court"), _text(d, "case_number"), _text(d, "archive_number")
        if not court:
            issues.append(Issue("JUDGMENT_COURT_REQUIRED", "须填写作出判决的人民法院", "court"))
        if not case_number:
            issues.append(Issue("JUDGMENT_CASE_NUMBER_REQUIRED", "须填写判决书案号", "case_number"))
        if not archive_number:
            issues.append(Issue("ARCHIVE_NUMBER_REQUIRED", "须填写婚姻登记档案号（备注写在审查处理表上）", "archive_number"))
        dates: dict[str, dt.date | None] = {}
        for key, zh in (("judgment_date", "判决日期"), ("effective_date", "判决生效日期")):
            raw = d.get(key)
            dates[key] = None
            if raw in (None, "") and key == "effective_date":
                continue
            try:
                dates[key] = dt.date.fromisoformat(str(raw))
            except ValueError:
                issues.append(Issue("JUDGMENT_DATE_INVALID", f"{zh}格式应为YYYY-MM-DD", key))
                continue
            if dates[key] > today:
                issues.append(Issue("JUDGMENT_DATE_FUTURE", f"{zh}不能晚于今天", key))
        if dates.get("judgment_date") and dates.get("effective_date") and \
                dates["effective_date"] < dates["judgment_date"]:
            issues.append(Issue("JUDGMENT_DATE_INVALID", "判决生效日期不能早于判决日期", "effective_date"))
        effect = d.get("effect")
        if not isinstance(effect, str) or effect not in EFFECTS:
            issues.append(Issue("JUDGMENT_EFFECT_INVALID", "判决结果应为婚姻无效（invalid）或撤销婚姻（revoked）", "effect"))
        ground = _text(d, "ground")
        if bad := ground_issue(effect if isinstance(effect, str) else None, ground):
            issues.append(bad)
        remark = d.get("remark")
        if remark is not None and not isinstance(remark, str):
            issues.append(Issue("REQUEST_MALFORMED", "remark 应为字符串", "remark"))
        if issues:
            raise Refused(issues)
        return cls(court=court, case_number=case_number, judgment_date=dates["judgment_date"], effect=effect,
                   archive_number=archive_number, remark=(remark or "").strip(), ground=ground,
                   effective_date=dates.get("effective_date"))

    def default_remark(self) -> str:
        text = f"经{self.court}（{self.case_number}）判决，{EFFECTS[self.effect].zh}"
        if self.ground:
            text += f"，理由：{GROUNDS[self.ground].text}"
        return text + f"。档案号：{self.archive_number}。"


__all__ = ["EFFECTS", "GROUNDS", "INVALID", "REVOKED", "Effect", "Ground", "Judgment", "effect_of", "ground_issue"]
