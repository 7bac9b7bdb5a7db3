"""A statistics Report as an A4 PDF: heading, a bar chart of the main indicators and of the age bands
(reportlab.graphics), and the full indicator table. All text is real text in the PDF's text layer
(the embedded CJK and Latin fonts of registry_app.certificates.fonts), so it can be searched and copied.

Rendered to memory; the caller decides where the bytes go (registry_app.fsutil.write_atomic)."""
from __future__ import annotations

import io

from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from registry_app.certificates.fonts import FONT_NAME, markup, register_fonts, runs, text_width
from registry_app.services.statistics import AGE_BANDS, Report

# The indicators drawn as bars (the "其中" breakdowns and age rows stay in the table).
CHART_INDICATORS = ("marriages", "marriages_mainland", "first_marriages", "remarriages", "marriages_foreign_hmt",
                    "divorces", "divorce_withdrawn", "divorce_expired", "reissues", "adoptions",
                    "adoption_dissolutions")
BAR = colors.HexColor("#2c6fbb")
BAR_FEMALE = colors.HexColor("#c62f2f")
INK = colors.HexColor("#1f3a5f")


def _label(d: Drawing, x: float, y: float, text: str, size: float, anchor: str = "start",
           color=colors.black) -> None:
    """A line of mixed Chinese and Latin text as String shapes, one per font run."""
    width = text_width(text, size)
    if anchor == "end":
        x -= width
    elif anchor == "middle":
        x -= width / 2
    from reportlab.pdfbase.pdfmetrics import stringWidth

    for font, chunk in runs(text):
        d.add(String(x, y, chunk, fontName=font, fontSize=size, fillColor=color))
        x += stringWidth(chunk, font, size)


def _bar_chart(items: list[tuple[str, int]], width: float, title: str, color=BAR) -> Drawing:
    """Horizontal bars: label on the left, value at the end of each bar."""
    row_h, size, label_w, top = 16, 8.5, 58 * mm, 18
    height = top + row_h * len(items) + 6
    d = Drawing(width, height)
    _label(d, 0, height - 11, title, 10, color=INK)
    peak = max([v for _, v in items] + [1])
    bar_w = width - label_w - 40
    for i, (label, value) in enumerate(items):
        y = height - top - (i + 1) * row_h + 4
        _label(d, label_w - 6, y + 2, label, size, anchor="end")
        length = bar_w * value / peak
        if value:
            d.add(Rect(label_w, y, max(length, 1), row_h - 6, fillColor=color, strokeColor=None))
        _label(d, label_w + length + 4, y + 2, str(value), size)
    d.add(Line(label_w, 2, label_w, height - top + 2, strokeColor=colors.grey, strokeWidth=0.5))
    return d


def render_statistics_pdf(report: Report, office_name: str = "") -> bytes:
    register_fonts()
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
                            bottomMargin=16 * mm, title=f"婚姻收养登记统计 {report.period}",
                            author=office_name or "婚姻登记处", subject="民政统计报表")
    title = ParagraphStyle("title", fontName=FONT_NAME, fontSize=16, leading=22, textColor=INK)
    body = ParagraphStyle("body", fontName=FONT_NAME, fontSize=9.5, leading=13)
    cell = ParagraphStyle("cell", fontName=FONT_NAME, fontSize=9, leading=11)
    story = [
        Paragraph(markup(f"婚姻收养登记统计报表（{report.period}）"), title),
        Paragraph(markup(f"{office_name}　统计期：{report.start} 至 {report.end}"), body),
        Paragraph(markup(f"生成时间：{report.generated_at.replace('T', ' ')}　历史补录档案不计入本期数"), body),
        Spacer(1, 5 * mm),
    ]
    rows = report.to_rows()
    labels = {key: label for key, label, _ in rows}
    width = A4[0] - 36 * mm
    story.append(_bar_chart([(labels[k], report.indicators[k]) for k in CHART_INDICATORS], width, "主要指标"))
    story.append(Spacer(1, 3 * mm))
    bands = []
    for key, label, _, _ in AGE_BANDS:
        band = report.age_bands.get(key, {})
        bands.append((f"{label} 男", band.get("male", 0)))
        bands.append((f"{label} 女", band.get("female", 0)))
    story.append(_bar_chart(bands, width, "结婚登记当事人年龄（人）", color=BAR_FEMALE))
    story.append(Spacer(1, 5 * mm))

    data = [[Paragraph(markup("指标"), cell), Paragraph(markup("代码"), cell), Paragraph(markup("数值"), cell)]]
    for key, label, value in rows:
        data.append([Paragraph(markup(label.strip()), cell), Paragraph(markup(key), cell),
                     Paragraph(markup(str(value)), cell)])
    table = Table(data, colWidths=[width - 70 * mm, 45 * mm, 25 * mm], repeatRows=1)
    table.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8f0fa")),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9aa8b8")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (2, 1), (2, -1), "RIGHT"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]))
    story.append(table)
    story.append(Spacer(1, 4 * mm))
    story.append(Paragraph(markup("说明：结婚、离婚登记按对计，初婚、再婚及年龄按人计；千分率等比率由上级按人口数计算。"), body))

    def footer(canvas, _doc):
        from registry_app.certificates.fonts import draw_string

        canvas.saveState()
        draw_string(canvas, A4[0] / 2, 9 * mm, f"第 {canvas.getPageNumber()} 页", 8, align="center")
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()


__all__ = ["render_statistics_pdf", "CHART_INDICATORS"]
