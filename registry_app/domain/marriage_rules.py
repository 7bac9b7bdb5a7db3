"""Who may marry: Civil Code arts. 1046–1049, 1051 and the 2025 Registration Regulations.

Pure: the service gathers what the records say about each party (PartyStanding) and passes it in.
Ill health is deliberately NOT a ground to refuse (removed from the law in 2021)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from registry_app.domain.documents import presented_type
from registry_app.domain.ids import age_on
from registry_app.domain.parties import PersonInput
from registry_app.errors import Issue

MIN_AGE = {"M": 22, "F": 20}  # CC 1047


@dataclass(frozen=True)
class PartyStanding:
    """What this office's records (incl. back-entered ones) and the provincial extract say."""

    recorded_status: str | None = None        # married | divorced | widowed | None (no record)
    province_status: str | None = None        # from the reference extract, if loaded
    spouse_record_id: int | None = None


@dataclass
class MarriageDeclarations:
    free_will: bool = False          # CC 1046: both act of their own free will
    no_prohibited_kinship: bool = False  # CC 1048
    no_spouse: bool = False          # CC 1041/1042 monogamy: each declares having no spouse


def eligibility_issues(
    p1: PersonInput, p2: PersonInput, on: dt.date, s1: PartyStanding, s2: PartyStanding,
    decl: MarriageDeclarations, office_handles_foreign: bool,
) -> list[Issue]:
    out: list[Issue] = []
    for key, p, st in (("party1", p1, s1), ("party2", p2, s2)):
        if p.birth_date and p.sex in MIN_AGE and age_on(p.birth_date, on) < MIN_AGE[p.sex]:
            need = MIN_AGE[p.sex]
            out.append(Issue("MARRIAGE_UNDER_AGE",
                             f"{p.name}未达法定婚龄（{'男' if p.sex == 'M' else '女'}不得早于{need}周岁，民法典第1047条）",
                             f"{key}.birth_date"))
        if st.recorded_status == "married" and not (p.prior_status == "widowed" and p.extra.get("spouse_death_proof")):
            out.append(Issue("EXISTING_SPOUSE", f"{p.name}有配偶（本机关婚姻登记记录），不予登记（民法典第1042条）",
                             f"{key}.id_number"))
        elif st.province_status == "married":
            out.append(Issue("EXISTING_SPOUSE_PROVINCE",
                             f"{p.name}据省级婚姻登记信息比对有配偶，不予登记（民法典第1042条）", f"{key}.id_number"))
        if st.recorded_status in ("divorced", "widowed", "married") and p.prior_status == "unmarried":
            out.append(Issue("PRIOR_STATUS_INCONSISTENT",
                             f"{p.name}声明“未婚”，但登记记录显示曾有婚姻登记，请核实婚姻状况", f"{key}.prior_status"))
        if st.recorded_status == "divorced" and p.prior_status == "widowed":
            out.append(Issue("PRIOR_STATUS_INCONSISTENT",
                             f"{p.name}声明“丧偶”，但登记记录显示为离婚，请核实", f"{key}.prior_status"))
        if p.prior_status == "widowed" and st.recorded_status == "married" and not p.extra.get("spouse_death_proof"):
            out.append(Issue("WIDOWED_PROOF_REQUIRED", f"{p.name}声明丧偶，记录显示在婚，须查验配偶死亡证明",
                             f"{key}.prior_status"))
        # the document the number is, not only the type chosen: a residence permit keyed in as a resident ID
        if not office_handles_foreign and (held := presented_type(p.id_type, p.id_number)).is_foreign_or_hmt:
            out.append(Issue("FOREIGN_CASE_NOT_HANDLED",
                             f"{p.name}持{held.zh}：涉外、涉港澳台或华侨婚姻登记须到省级指定的婚姻登记机关办理",
                             f"{key}.id_type"))
    if p1.sex and p1.sex == p2.sex:
        out.append(Issue("MARRIAGE_SAME_SEX", "结婚登记须为一男一女（民法典第1046条、第1049条）", "party2.sex"))
    if p1.id_number and p1.id_number == p2.id_number:
        out.append(Issue("SAME_PERSON", "双方证件号码相同", "party2.id_number"))
    if not decl.free_will:
        out.append(Issue("NOT_FREE_WILL", "结婚应当男女双方完全自愿，须双方声明自愿（民法典第1046条）", "declarations.free_will"))
    if not decl.no_prohibited_kinship:
        out.append(Issue("PROHIBITED_KINSHIP_NOT_DECLARED",
                         "须双方声明无直系血亲和三代以内旁系血亲关系（民法典第1048条）", "declarations.no_prohibited_kinship"))
    if not decl.no_spouse:
        out.append(Issue("NO_SPOUSE_NOT_DECLARED", "须双方声明本人无配偶", "declarations.no_spouse"))
    return out
