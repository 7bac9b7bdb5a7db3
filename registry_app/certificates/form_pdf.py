"""A4 documents (declarations, review form, notices, slips, proofs) as PDF, in memory.

Laid out with ReportLab's platypus: a centred title, the office, a bordered numbered table of
fields, the body text, and signature lines that are always left blank for a pen.
"""
from __future__ import annotations

import io
import math

from reportlab.lib.colors import Color, black
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from registry_app.certificates.fonts import draw_string, markup, register_fonts, text_width
from registry_app.certificates.formatting import BLANK_DATE, date_zh
from registry_app.certificates.linebreak import wrap
from registry_app.certificates.views import FormView

MARGIN = 22 * mm
HEADER_FILL = Color(0.93, 0.93, 0.93)
NOTE_GREY = Color(0.3, 0.3, 0.3)
TRAINING_MARK = "培训样本 非正式证件"
TRAINING_RED = Color(0.8, 0.1, 0.1)


def draw_training_mark(c, width: float, height: float) -> None:
    """A training database's stamp on a page of `width` × `height` points: large, diagonal and
    translucent across the page (the content stays legible; cropping cannot remove it), and a boxed
    line at the top edge."""
    size = min(width, height) / 9
    c.saveState()
    c.setFillColor(TRAINING_RED)
    c.setStrokeColor(TRAINING_RED)
    c.setFillAlpha(0.22)
    c.translate(width / 2, height / 2)
    c.rotate(math.degrees(math.atan2(height, width)))
    draw_string(c, 0, -size / 3, TRAINING_MARK, size, "center")
    c.restoreState()
    c.saveState()
    c.setFillColor(TRAINING_RED)
    c.setStrokeColor(TRAINING_RED)
    box = size / 3
    w = text_width(TRAINING_MARK, box) + box
    c.setLineWidth(1.2)
    c.rect((width - w) / 2, height - 2.2 * box, w, 1.6 * box, stroke=1, fill=0)
    draw_string(c, width / 2, height - 1.75 * box, TRAINING_MARK, box, "center")
    c.restoreState()


class _Title(Flowable):
    """A centred title in heavier strokes (the font has one weight: fill + outline thickens it)."""

    def __init__(self, text: str, size: float):
        super().__init__()
        self.text, self.size = text, size

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        self.width = available_width
        return available_width, self.size * 1.3

    def draw(self) -> None:
        c = self.canv
        c.saveState()
        c.setLineWidth(self.size * 0.03)
        # Letter-spaced like printed official titles; render mode 2 = fill and stroke.
        spacing = self.size * 0.25 if len(self.text) <= 10 else 0.0
        draw_string(c, self.width / 2, self.size * 0.25, self.text, self.size, "center", char_space=spacing, mode=2)
        c.restoreState()


def _styles() -> dict[str, ParagraphStyle]:
    font = register_fonts()
    base = ParagraphStyle("base", fontName=font, fontSize=12, leading=20, wordWrap="CJK", alignment=TA_LEFT)
    return {
        "body": ParagraphStyle("body", parent=base, firstLineIndent=24),
        "plain": base,
        "centre": ParagraphStyle("centre", parent=base, alignment=TA_CENTER, fontSize=11, leading=16),
        "right": ParagraphStyle("right", parent=base, alignment=TA_RIGHT, fontSize=10, leading=14),
        "office": ParagraphStyle("office", parent=base, alignment=TA_RIGHT),
        "cell": ParagraphStyle("cell", parent=base, fontSize=10.5, leading=14),
        "cell_centre": ParagraphStyle("cell_centre", parent=base, fontSize=10.5, leading=14, alignment=TA_CENTER),
        # Tables with many value columns (the record proof) use a smaller size so numbers stay on one line.
        "cell_small": ParagraphStyle("cell_small", parent=base, fontSize=9, leading=12),
        "cell_small_centre": ParagraphStyle("cell_small_centre", parent=base, fontSize=9, leading=12, alignment=TA_CENTER),
        "note": ParagraphStyle("note", parent=base, fontSize=9, leading=13, textColor=NOTE_GREY),
        "seal": ParagraphStyle("seal", parent=base, alignment=TA_RIGHT, fontSize=9, leading=13, textColor=NOTE_GREY),
    }


class CJKParagraph(Paragraph):
    """A paragraph broken into lines by linebreak.wrap once its width is known, so no line
    starts with a comma; each line then goes to ReportLab with an explicit break."""

    def __init__(self, text: str, style: ParagraphStyle):
        self._plain = text
        self._wrapped_for: float | None = None
        super().__init__(markup(text), style)

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        if self._wrapped_for != available_width:
            s = self.style
            width = available_width - s.leftIndent - s.rightIndent - 1   # 1 pt spare against rounding
            lines = wrap(self._plain, s.fontSize, width, first_width=width - s.firstLineIndent)
            Paragraph.__init__(self, "<br/>".join(markup(line) for line in lines), s)
            self._wrapped_for = available_width
        return super().wrap(available_width, available_height)


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return CJKParagraph(text, style)


def _grid(data: list[list], widths: list[float], header: bool) -> Table:
    table = Table(data, colWidths=widths, repeatRows=1 if header else 0)
    style = [
        ("FONTNAME", (0, 0), (-1, -1), register_fonts()),   # empty cells too: no stray Helvetica
        ("GRID", (0, 0), (-1, -1), 0.6, black),
        ("BOX", (0, 0), (-1, -1), 1.2, black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
        ("LEFTPADDING", (0, 0), (-1, -1), 5),
        ("RIGHTPADDING", (0, 0), (-1, -1), 5),
    ]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL))
    table.setStyle(TableStyle(style))
    return table


def _value_widths(columns: list[list[str]], available: float, style: ParagraphStyle) -> list[float]:
    """Share the width among value columns by how much text each holds, so an ID number is not
    squeezed onto two lines next to a column that holds one word."""
    pad = 12
    natural = [max([text_width(t, style.fontSize) for t in col] + [20]) + pad for col in columns]
    if sum(natural) <= available:
        extra = (available - sum(natural)) / len(natural)
        return [w + extra for w in natural]
    floor = 18 * mm
    share = [max(floor, w * available / sum(natural)) for w in natural]
    return [w * available / sum(share) for w in share]


def _fields_table(view: FormView, s: dict[str, ParagraphStyle], width: float) -> Table:
    values = max(len(row) - 1 for row in view.fields)
    header = bool(view.field_header)
    cell, centre = (s["cell_small"], s["cell_small_centre"]) if values >= 4 else (s["cell"], s["cell_centre"])
    no_w = 12 * mm
    label_w = min(max(max(text_width(row[0], cell.fontSize) for row in view.fields) + 12, 24 * mm), 50 * mm)
    heads = list(view.field_header) + [""] * (values + 1 - len(view.field_header))
    columns = [[str(row[1 + c]) for row in view.fields if len(row) - 1 == values]
               + ([heads[1 + c]] if header else []) for c in range(values)]
    value_ws = _value_widths(columns, width - no_w - label_w, cell)
    data: list[list] = []
    spans = []
    if header:
        data.append([_p("序号", centre)] + [_p(h, centre) for h in heads[: values + 1]])
    for i, row in enumerate(view.fields, start=1):
        given = len(row) - 1
        cells = list(row[1:]) + [""] * (values - given)
        if 0 < given < values:   # a row with one value spans the value columns
            spans.append(("SPAN", (1 + given, len(data)), (-1, len(data))))
        data.append([_p(str(i), centre), _p(row[0], cell)] + [_p(v, cell) for v in cells])
    table = _grid(data, [no_w, label_w] + value_ws, header)
    if spans:
        table.setStyle(TableStyle(spans))
    return table


def _items_table(view: FormView, s: dict[str, ParagraphStyle], width: float) -> Table:
    code_w, no_w = 40 * mm, 12 * mm
    data = [[_p("序号", s["cell_centre"]), _p("原因", s["cell_centre"]), _p("代码", s["cell_centre"])]]
    for i, (code, text) in enumerate(view.items, start=1):
        data.append([_p(str(i), s["cell_centre"]), _p(text, s["cell"]), _p(code, s["cell"])])
    return _grid(data, [no_w, width - no_w - code_w, code_w], header=True)


def _signature_block(view: FormView, s: dict[str, ParagraphStyle], width: float) -> Table:
    date_w = 48 * mm
    label_w = max(text_width(label + "：", 12) for label in view.signature_lines) + 8
    rows = [[_p(label + "：", s["plain"]), "", _p(BLANK_DATE, s["plain"])] for label in view.signature_lines]
    table = Table(rows, colWidths=[label_w, width - label_w - date_w, date_w], rowHeights=[15 * mm] * len(rows))
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), register_fonts()),
        ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
        ("LINEBELOW", (1, 0), (1, -1), 0.6, black),   # the blank a person signs on
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
    ]))
    return table


def build_story(view: FormView) -> list[Flowable]:
    s = _styles()
    width = A4[0] - 2 * MARGIN
    story: list[Flowable] = []
    if view.reference:
        story.append(_p(view.reference, s["right"]))
    story.append(Spacer(1, 4 * mm))
    story.append(_Title(view.title, 20))
    if view.subtitle:
        story += [Spacer(1, 1 * mm), _p(view.subtitle, s["centre"])]
    story.append(Spacer(1, 7 * mm))
    if view.addressee:
        story.append(_p(view.addressee, s["plain"]))
    story += [_p(text, s["body"]) for text in view.paragraphs]
    if view.items:
        story += [Spacer(1, 3 * mm), _items_table(view, s, width), Spacer(1, 3 * mm)]
    if view.fields:
        story += [Spacer(1, 2 * mm), _fields_table(view, s, width), Spacer(1, 4 * mm)]
    story += [_p(text, s["body"]) for text in view.closing]
    if view.signature_lines:
        story += [Spacer(1, 4 * mm), _signature_block(view, s, width)]
    if view.show_office_seal:
        when = date_zh(view.issue_date) if view.issue_date else BLANK_DATE
        story.append(KeepTogether([
            Spacer(1, 12 * mm),
            _p(view.office_name + "（印章）", s["office"]),
            Spacer(1, 2 * mm),
            _p(when, s["office"]),
        ]))
    if view.notes:
        story.append(Spacer(1, 8 * mm))
        story += [_p(note, s["note"]) for note in view.notes]
    return story


def _footer(view: FormView):
    def draw(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFillColor(NOTE_GREY)
        draw_string(canvas, A4[0] / 2, 12 * mm, f"{view.title}　第 {doc.page} 页", 8, "center")
        canvas.restoreState()
        if view.training:
            draw_training_mark(canvas, *A4)
    return draw


def render_form(view: FormView) -> bytes:
    """One A4 document as PDF bytes."""
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN,
                            topMargin=18 * mm, bottomMargin=20 * mm,
                            title=view.title, creator="registry-app", invariant=True,
                            initialFontName=register_fonts())
    footer = _footer(view)
    doc.build(build_story(view), onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()


def render_forms(views: list[FormView]) -> bytes:
    """Several A4 documents in one PDF (e.g. both declarations and the review form handed over for
    signature together), each starting on a new page."""
    if not views:
        raise ValueError("no forms to render")
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN,
                            topMargin=18 * mm, bottomMargin=20 * mm,
                            title="、".join(v.title for v in views), creator="registry-app", invariant=True,
                            initialFontName=register_fonts())
    story: list[Flowable] = []
    for i, view in enumerate(views):
        if i:
            story.append(PageBreak())
        story += build_story(view)

    training = any(v.training for v in views)

    def footer(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFillColor(NOTE_GREY)
        draw_string(canvas, A4[0] / 2, 12 * mm, f"第 {doc.page} 页", 8, "center")
        canvas.restoreState()
        if training:
            draw_training_mark(canvas, *A4)

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()
