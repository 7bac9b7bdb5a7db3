"""颁证仪式 / 集体婚礼: the ceremony list (one row per couple) and a keepsake page for each couple."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from registry_app.certificates.formatting import date_zh
from registry_app.certificates.views import FormView


@dataclass(frozen=True)
class CoupleLine:
    """What the page prints of one couple, read from its record when printing."""
    names: tuple[str, str]
    certificate_no: str
    registration_date: dt.date | None


def ceremony_list(couples: Sequence[CoupleLine], *, kind_zh: str, day: dt.date, place: str, officiant: str,
                  office_name: str) -> FormView:
    return FormView(
        kind="ceremony_list", title=f"{kind_zh}名单", office_name=office_name,
        subtitle=f"{date_zh(day)}　{place}",
        paragraphs=[f"主持人：{officiant}　　新人：{len(couples)}对"],
        fields=[(f"{c.names[0]}　{c.names[1]}", c.certificate_no,
                 date_zh(c.registration_date) if c.registration_date else "") for c in couples],
        field_header=("新人", "结婚证字号", "登记日期"),
        signature_lines=["主持人（签名）"], issue_date=day, show_office_seal=False,
    )


def keepsake(couple: CoupleLine, *, kind_zh: str, day: dt.date, place: str, officiant: str,
             office_name: str) -> FormView:
    """A page for the couple to keep: not a certificate and not proof of the marriage."""
    a, b = couple.names
    when = date_zh(couple.registration_date) if couple.registration_date else ""
    return FormView(
        kind="ceremony_keepsake", title=f"{kind_zh}纪念", office_name=office_name,
        addressee=f"{a}、{b}：",
        paragraphs=[
            (f"你们已于{when}依法登记结婚，" if when else "你们已依法登记结婚，")
            + f"并于{date_zh(day)}在{place}参加{kind_zh}，由{officiant}主持。",
            "婚姻自由、一夫一妻、男女平等。愿你们互相忠实、互相尊重、互相关爱，共同建设文明和睦的婚姻家庭。",
        ],
        fields=[("结婚证字号", couple.certificate_no)] if couple.certificate_no else [],
        notes=["本纪念页不是结婚证，不作为婚姻关系的证明。"],
        issue_date=day, show_office_seal=False,
    )
