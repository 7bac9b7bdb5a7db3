"""Certificates to PDF, in memory.

Fields-only output goes onto the pre-printed booklet; `on_blank=True` adds the booklet's own
frame, labels and background in grey so a clerk can check positions on plain paper. Nothing is
ever printed on the registrar's signature place. Forms (A4 documents) are in form_pdf.py.
"""
from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Sequence

from reportlab.lib.colors import Color, HexColor, black, white
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from registry_app.certificates.calibration import NO_CALIBRATION, Calibration
from registry_app.certificates.fonts import draw_string, register_fonts, text_width
from registry_app.certificates.form_pdf import draw_training_mark
from registry_app.certificates.form_pdf import render_form  # noqa: F401  (public API lives here too)
from registry_app.certificates.formatting import display
from registry_app.certificates.linebreak import wrap
from registry_app.certificates.layout import FieldSpec, Layout, load_layout
from registry_app.certificates.qr import qr_matrix
from registry_app.certificates.views import CertificateView
from registry_app.errors import Cancelled, RegistryError
from registry_app.operations import Progress

GREY = Color(0.55, 0.55, 0.55)
LIGHT_GREY = Color(0.75, 0.75, 0.75)
QUIET_ZONE_MODULES = 4
PREVIEW_MARK = "白纸预览样张 · 仅供核对套打位置"

def field_text(view: CertificateView, source: str) -> str:
    """The printed text of a layout source such as "holders.1.birth_date" or "extra.adoptee.name"."""
    parts = source.split(".")
    value: object = view
    attribute = parts[-1]
    for part in parts:
        if value is None:
            return ""
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, (list, tuple)):
            index = int(part)
            value = value[index] if index < len(value) else None
        else:
            value = getattr(value, part, None)
    return display(value, attribute)


def _fit(spec: FieldSpec, text: str, cal: Calibration) -> tuple[float, list[str]]:
    """The largest size from spec.size down to the minimum at which the text fits."""
    width = cal.length(spec.max_width_mm)
    smallest = spec.min_size or spec.size * 0.6
    size = spec.size
    while size >= smallest - 1e-6:
        scaled = cal.size(size)
        lines = wrap(text, scaled, width) if spec.lines > 1 else [text]
        if len(lines) <= spec.lines and all(text_width(l, scaled) <= width for l in lines):
            return size, lines
        size -= 0.25
    raise RegistryError(f"“{spec.name}”内容过长，证书上放不下：{text}", code="FIELD_TOO_LONG", field=spec.name)


def _draw_field(c: Canvas, spec: FieldSpec, text: str, layout: Layout, cal: Calibration) -> None:
    size, lines = _fit(spec, text, cal)
    for i, line in enumerate(lines):
        x, y = cal.point(spec.x_mm, spec.y_mm + i * spec.leading_mm, layout.height_mm)
        draw_string(c, x, y, line, cal.size(size), spec.align)


def _draw_outline(c: Canvas, layout: Layout, cal: Calibration, has_photo: bool) -> None:
    h = layout.height_mm
    outline = layout.outline
    for frame in outline.frames:
        x, y = cal.point(frame.x_mm, frame.y_mm + frame.h_mm, h)
        if outline.tint:
            c.setFillColor(HexColor(outline.tint))
            c.rect(x, y, cal.length(frame.w_mm), cal.length(frame.h_mm), stroke=0, fill=1)
        c.setStrokeColor(GREY)
        c.setLineWidth(0.8)
        c.rect(x, y, cal.length(frame.w_mm), cal.length(frame.h_mm), stroke=1, fill=0)
    c.setLineWidth(0.4)
    for rule in outline.rules:
        c.setStrokeColor(LIGHT_GREY if rule.dashed else GREY)
        c.setDash(2, 2) if rule.dashed else c.setDash()
        c.line(*cal.point(rule.x1_mm, rule.y1_mm, h), *cal.point(rule.x2_mm, rule.y2_mm, h))
    c.setDash()
    c.setFillColor(GREY)
    for label in outline.labels:
        draw_string(c, *cal.point(label.x_mm, label.y_mm, h), label.text, cal.size(label.size), label.align)
    if layout.photo and not has_photo:
        _dashed_box(c, layout.photo.x_mm, layout.photo.y_mm, layout.photo.w_mm, layout.photo.h_mm, "照片", layout, cal)
    for place in layout.blank_places:
        _dashed_box(c, place.box.x_mm, place.box.y_mm, place.box.w_mm, place.box.h_mm, "", layout, cal)
    c.setFillColor(LIGHT_GREY)
    draw_string(c, *cal.point(layout.width_mm / 2, 4.5, h), PREVIEW_MARK, cal.size(6.5), "center")
    c.setFillColor(black)
    c.setStrokeColor(black)


def _dashed_box(c: Canvas, x_mm: float, y_mm: float, w_mm: float, h_mm: float, label: str,
                layout: Layout, cal: Calibration) -> None:
    c.setStrokeColor(LIGHT_GREY)
    c.setLineWidth(0.4)
    c.setDash(2, 2)
    x, y = cal.point(x_mm, y_mm + h_mm, layout.height_mm)
    c.rect(x, y, cal.length(w_mm), cal.length(h_mm), stroke=1, fill=0)
    c.setDash()
    if label:
        c.setFillColor(LIGHT_GREY)
        cx, cy = cal.point(x_mm + w_mm / 2, y_mm + h_mm / 2 + 1.2, layout.height_mm)
        draw_string(c, cx, cy, label, cal.size(9), "center")


def _draw_photo(c: Canvas, photo: bytes, layout: Layout, cal: Calibration) -> None:
    box = layout.photo
    assert box is not None
    try:
        image = ImageReader(io.BytesIO(photo))
        iw, ih = image.getSize()
    except Exception:
        raise RegistryError("照片文件无法读取，请重新采集照片", code="PHOTO_INVALID", field="photo") from None
    # Fit inside the box keeping the proportions, centred: a photo is never stretched.
    ratio = min(box.w_mm / iw, box.h_mm / ih)
    w, h = iw * ratio, ih * ratio
    x_mm = box.x_mm + (box.w_mm - w) / 2
    y_mm = box.y_mm + (box.h_mm - h) / 2
    x, y = cal.point(x_mm, y_mm + h, layout.height_mm)
    c.drawImage(image, x, y, cal.length(w), cal.length(h))


def draw_qr(c: Canvas, text: str, x_mm: float, y_mm: float, size_mm: float, page_height_mm: float,
            cal: Calibration = NO_CALIBRATION) -> None:
    """The QR as vector squares (sharp at any printer resolution), with a white quiet zone."""
    matrix = qr_matrix(text)
    n = len(matrix)
    module = size_mm / (n + 2 * QUIET_ZONE_MODULES)
    x0, y0 = cal.point(x_mm, y_mm + size_mm, page_height_mm)
    c.setFillColor(white)
    c.rect(x0, y0, cal.length(size_mm), cal.length(size_mm), stroke=0, fill=1)
    c.setFillColor(black)
    path = c.beginPath()
    for r, row in enumerate(matrix):
        col = 0
        while col < n:
            if not row[col]:
                col += 1
                continue
            start = col
            while col < n and row[col]:
                col += 1
            # One rectangle per run of dark modules keeps the content stream small.
            mx = x_mm + (QUIET_ZONE_MODULES + start) * module
            my = y_mm + (QUIET_ZONE_MODULES + r + 1) * module
            px, py = cal.point(mx, my, page_height_mm)
            path.rect(px, py, cal.length((col - start) * module), cal.length(module))
    c.drawPath(path, stroke=0, fill=1)


def _draw_certificate(c: Canvas, view: CertificateView, layout: Layout, cal: Calibration, on_blank: bool) -> None:
    c.setPageSize((layout.width_mm * mm, layout.height_mm * mm))
    if on_blank:
        _draw_outline(c, layout, cal, has_photo=bool(view.photo))
    for spec in layout.fields:
        if spec.preprinted and not on_blank:
            continue
        text = field_text(view, spec.source)
        if not text:
            continue
        c.setFillColor(GREY if spec.preprinted else black)
        _draw_field(c, spec, text, layout, cal)
    c.setFillColor(black)
    if view.photo and layout.photo:
        _draw_photo(c, view.photo, layout, cal)
    if view.training:  # across the whole booklet; the QR keeps its quiet zone, so it still scans
        draw_training_mark(c, layout.width_mm * mm, layout.height_mm * mm)
    if view.qr_payload and layout.qr:
        draw_qr(c, view.qr_payload, layout.qr.x_mm, layout.qr.y_mm, layout.qr.size_mm, layout.height_mm, cal)


def _canvas(buf: io.BytesIO, title: str) -> Canvas:
    # invariant: same input, same bytes (no timestamps or random ids); the initial font is ours,
    # so no unembedded Helvetica is referenced.
    c = Canvas(buf, invariant=True, initialFontName=register_fonts())
    c.setTitle(title)                 # the kind only: no personal data in the metadata
    c.setCreator("registry-app")
    return c


def render_certificate(view: CertificateView, *, calibration: Calibration | None = None,
                       on_blank: bool = False, layout: Layout | None = None) -> bytes:
    """One certificate as a one-page PDF the size of the booklet spread."""
    return render_many([view], calibration=calibration, on_blank=on_blank,
                       layouts={view.kind: layout} if layout else None)


def render_many(views: Iterable[CertificateView], *, calibration: Calibration | None = None,
                on_blank: bool = False, progress: Progress | None = None,
                cancelled: Callable[[], bool] | None = None,
                layouts: dict[str, Layout] | None = None) -> bytes:
    """Several certificates in one PDF, one per page, for bulk printing. Raises
    Cancelled (code CANCELLED) as soon as `cancelled()` says so."""
    items: Sequence[CertificateView] = list(views)
    if not items:
        raise RegistryError("没有要打印的证书", code="NOTHING_TO_PRINT")
    cal = calibration or NO_CALIBRATION
    cache: dict[str, Layout] = dict(layouts or {})
    register_fonts()
    buf = io.BytesIO()
    c = _canvas(buf, items[0].title if len(items) == 1 else "证书批量打印")
    total = len(items)
    for done, view in enumerate(items):
        if cancelled is not None and cancelled():
            raise Cancelled("已取消打印")
        layout = cache.get(view.kind) or cache.setdefault(view.kind, load_layout(view.kind))
        _draw_certificate(c, view, layout, cal, on_blank)
        c.showPage()
        if progress is not None:
            progress(done + 1, total, "生成证书")
    c.save()
    return buf.getvalue()
