"""Plain data the services fill and the renderers print. No ORM objects, no Qt.

A `CertificateView` is what goes on one booklet; a `FormView` is one A4 document (declaration,
review form, notice, slip, proof). `forms.py` builds the official wording of the FormViews.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from registry_app.domain.ids import IdType, Sex

CERTIFICATE_KINDS: dict[str, str] = {
    "marriage": "结婚证",
    "divorce": "离婚证",
    "adoption": "收养登记证",
    "adoption_dissolution": "解除收养关系证明书",
    "reissue_marriage": "结婚证（补发）",
    "reissue_divorce": "离婚证（补发）",
}


@dataclass(frozen=True)
class PartyView:
    name: str
    sex: Sex | str
    nationality: str
    birth_date: dt.date | str | None
    id_type: IdType | str
    id_number: str
    ethnicity: str = ""


@dataclass
class CertificateView:
    """One certificate booklet.

    `holders` are both spouses (marriage, divorce) or the adopters (adoption, dissolution; the
    adoptee is `extra["adoptee"]`, a PartyView). `bearer_index` says which holder keeps this booklet
    (持证人): each spouse gets their own booklet with the same data.
    """

    kind: str
    number: str
    registration_date: dt.date
    office_name: str
    office_code: str
    holders: list[PartyView]
    remarks: str = ""
    blank_serial: str = ""
    photo: bytes | None = None
    qr_payload: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    bearer_index: int = 0
    training: bool = False   # from a training database: stamped 培训样本 非正式证件

    @property
    def title(self) -> str:
        return CERTIFICATE_KINDS.get(self.kind, self.kind)

    @property
    def bearer(self) -> PartyView | None:
        if 0 <= self.bearer_index < len(self.holders):
            return self.holders[self.bearer_index]
        return None


@dataclass
class FormView:
    """One A4 document. Sections print in this order, each only when present:
    reference (top right), title, subtitle, addressee, paragraphs, coded items, the numbered
    table of fields, closing paragraphs, signature lines (always blank), office and date, notes.

    `fields` rows are (label, value) or (label, value_a, value_b, ...) with `field_header` naming
    the value columns (e.g. the two parties on the review form).
    """

    kind: str
    title: str
    office_name: str
    fields: list[tuple[str, ...]] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    signature_lines: list[str] = field(default_factory=list)
    subtitle: str = ""
    reference: str = ""
    addressee: str = ""
    items: list[tuple[str, str]] = field(default_factory=list)   # (code, text), e.g. refusal reasons
    field_header: tuple[str, ...] = ()
    closing: list[str] = field(default_factory=list)
    issue_date: dt.date | None = None   # printed under the office name; None leaves "年 月 日" blank
    show_office_seal: bool = True       # office name + seal place at the end
    notes: list[str] = field(default_factory=list)
    training: bool = False              # from a training database: stamped 培训样本 非正式证件
