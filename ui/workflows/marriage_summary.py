"""What the clerk reads back to the couple before the final 登记: the record as stored (not the form),
so what is registered and later printed is exactly what was checked."""
from __future__ import annotations

from collections.abc import Sequence
from html import escape

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap

from registry_app.domain.ids import IdType
from registry_app.domain.parties import PRIOR_STATUSES
from registry_app.services.marriage import VARIANTS, MarriageView
from registry_app.services.staff_names import StaffNames
from ui.errors import error_text
from ui.workflows.marriage_correction import REVIEWED

SEX_ZH = {"M": "男", "F": "女"}
ROWS = (("姓名", "name"), ("性别", "sex"), ("出生日期", "birth_date"), ("证件类型", "id_type"),
        ("证件号码", "id_number"), ("民族", "ethnicity"), ("国籍", "nationality"), ("职业", "occupation"),
        ("文化程度", "education"), ("住址", "residence"), ("电话", "phone"), ("婚姻状况", "prior_status"))
DECLARATIONS = (("free_will", "双方自愿"), ("no_prohibited_kinship", "无禁止结婚的亲属关系"), ("no_spouse", "双方均无配偶"))


def _value(key: str, party: dict) -> str:
    v = party.get(key) or ""
    if key == "sex":
        return SEX_ZH.get(v, v)
    if key == "id_type":
        try:
            return IdType(v).zh
        except ValueError:
            return v
    if key == "prior_status":
        return PRIOR_STATUSES.get(v, v)
    return str(v)


def summary_html(view: MarriageView, today: str, blank_serial: str, photo_name: str, witness_name: str,
                 card_changed: Sequence[Sequence[str]] = ((), ())) -> str:
    """`card_changed`: per party, the card-read fields typed over since the card was read (flagged)."""
    cell = 'style="padding:2px 16px 2px 0;"'
    flagged = 'style="padding:2px 16px 2px 0; background:#fff1dc; color:#b35c00;"'
    head = 'style="padding:2px 16px 2px 0; color:#555555;"'
    p1, p2 = (view.parties + [{}, {}])[:2]
    changed = [set(c) for c in (list(card_changed) + [(), ()])[:2]]

    def td(key: str, n: int, party: dict) -> str:
        if key in changed[n]:
            return f'<td {flagged}>{escape(_value(key, party))}（与身份证读取的不同）</td>'
        return f'<td {cell}>{escape(_value(key, party))}</td>'

    rows = [f'<tr><th {head}></th><th align="left" {cell}>男方</th><th align="left" {cell}>女方</th></tr>']
    for label, key in ROWS:
        rows.append(f'<tr><td {head}>{label}</td>{td(key, 0, p1)}{td(key, 1, p2)}</tr>')
    data = view.data
    decl = data.get("declarations") or {}
    said = "、".join(text for key, text in DECLARATIONS if decl.get(key)) or "无"
    facts = [("受理号", str(view.record_id)), ("状态", view.status_zh),
             ("登记类别", VARIANTS.get(view.variant, view.variant))]
    if data.get("union_began"):
        facts.append(("共同生活起始日期", data["union_began"]))
    facts += [("声明", said), ("声明书", "已当面签署" if data.get("declarations_signed") else "未签署"),
              ("监誓人", witness_name or data.get("witness") or ""),
              ("双方合影", f"已提供（{photo_name}）" if data.get("photo_document_id") else "未提供"),
              ("空白证书印制号", blank_serial or "未填写（可在打印时补记）"), ("登记日期", today)]
    fact_rows = "".join(f'<tr><td {head}>{label}</td><td {cell}>{escape(value)}</td></tr>' for label, value in facts)
    warning = ('<p style="color:#b35c00; font-weight:bold;">注意：标出的项目在读取身份证后被改动过，请与证件原件核对。</p>'
               if any(changed) else "")
    return (f'<p style="font-size:17px; font-weight:bold; color:#1f3a5f;">请与当事人核对以下信息，无误后点击“登记”。</p>{warning}'
            f'<table cellspacing="0">{"".join(rows)}</table><br/>'
            f'<table cellspacing="0">{fact_rows}</table>')


class ReadBack:
    """A mixin of MarriagePage: the summary at 审查, read from the record (the page's `summary` labels).
    The version the page holds is its own step's, not this read's: a change by another counter in
    between is still refused at 登记."""

    def _refresh_summary(self) -> None:
        try:
            self._view = self.service.view(self.record_id)
            self._staff = StaffNames(self.state.ctx)  # the witness by name (李明), not by login
        except Exception as exc:  # noqa: BLE001 — shown in place of the summary
            self._view = None
            self.summary.setText("无法读取受理记录：" + error_text(exc))
            return
        self._render_summary()
        big = QPixmap()
        if self.photo.data and big.loadFromData(self.photo.data):
            self.summary_photo.setPixmap(big.scaledToWidth(200, Qt.TransformationMode.SmoothTransformation))
        else:
            self.summary_photo.clear()

    def _render_summary(self) -> None:
        if self.step != REVIEWED or self._view is None:
            return
        witness = self._view.data.get("witness") or self.witness.text().strip()
        self.summary.setText(summary_html(self._view, f"{self.state.ctx.clock.today():%Y年%m月%d日}",
                                          self.blank_serial.text().strip(), self.photo.filename,
                                          self._staff.name(witness), [self.card.changed_fields(i) for i in (0, 1)]))

