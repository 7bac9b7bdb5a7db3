"""Printer calibration: every counter printer feeds paper a little off.

A clerk prints the calibration sheet with no correction, measures where the crosshairs landed
with a ruler, and saves the correction for that printer. The correction moves everything printed:
dx_mm > 0 moves right, dy_mm > 0 moves down, scale stretches from the top-left corner of the page.
"""
from __future__ import annotations

import io
from dataclasses import dataclass

from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from registry_app.certificates.fonts import draw_string, register_fonts
from registry_app.errors import RegistryError

MAX_OFFSET_MM = 20.0
SCALE_RANGE = (0.9, 1.1)


@dataclass(frozen=True)
class Calibration:
    name: str = "未校准"
    dx_mm: float = 0.0
    dy_mm: float = 0.0
    scale: float = 1.0

    def __post_init__(self) -> None:
        if abs(self.dx_mm) > MAX_OFFSET_MM or abs(self.dy_mm) > MAX_OFFSET_MM:
            raise RegistryError(f"校准偏移不能超过 {MAX_OFFSET_MM:g} 毫米", code="CALIBRATION_INVALID")
        if not SCALE_RANGE[0] <= self.scale <= SCALE_RANGE[1]:
            raise RegistryError(f"校准缩放应在 {SCALE_RANGE[0]} 至 {SCALE_RANGE[1]} 之间", code="CALIBRATION_INVALID")

    def point(self, x_mm: float, y_mm: float, page_height_mm: float) -> tuple[float, float]:
        """A layout position (mm from the top-left) as PDF points (from the bottom-left)."""
        x = x_mm * self.scale + self.dx_mm
        y = y_mm * self.scale + self.dy_mm
        return x * mm, (page_height_mm - y) * mm

    def length(self, value_mm: float) -> float:
        return value_mm * self.scale * mm

    def size(self, points: float) -> float:
        return points * self.scale

    @staticmethod
    def from_measurement(name: str, nominal_mm: tuple[float, float], measured_mm: tuple[float, float],
                         nominal_span_mm: float | None = None, measured_span_mm: float | None = None
                         ) -> "Calibration":
        """The correction from the sheet: where a crosshair should be and where it was measured;
        optionally the distance between two crosshairs, for the scale."""
        scale = 1.0
        if nominal_span_mm and measured_span_mm:
            scale = nominal_span_mm / measured_span_mm
        dx = nominal_mm[0] - measured_mm[0] * scale
        dy = nominal_mm[1] - measured_mm[1] * scale
        return Calibration(name, round(dx, 2), round(dy, 2), round(scale, 4))


NO_CALIBRATION = Calibration()

# Crosshairs of the sheet (mm from the top-left corner of an A4 page).
SHEET_MARKS = ((20.0, 20.0), (190.0, 20.0), (20.0, 277.0), (190.0, 277.0), (105.0, 148.5))


def calibration_sheet_pdf(calibration: Calibration | None = None,
                          page_mm: tuple[float, float] = (210.0, 297.0)) -> bytes:
    """A page of millimetre rulers and crosshairs. Printed with no calibration it shows the
    printer's error; printed with a calibration it checks that the correction is right."""
    register_fonts()
    cal = calibration or NO_CALIBRATION
    width, height = page_mm
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=(width * mm, height * mm), invariant=True, initialFontName=register_fonts())
    c.setTitle("打印校准页")

    def line(x1: float, y1: float, x2: float, y2: float) -> None:
        c.line(*cal.point(x1, y1, height), *cal.point(x2, y2, height))

    def text(x: float, y: float, s: str, size: float, align: str = "left") -> None:
        draw_string(c, *cal.point(x, y, height), s, cal.size(size), align)

    c.setLineWidth(0.25)
    # Rulers along the top (x) and the left (y), ticks every mm, numbers every 10 mm.
    ruler_y, ruler_x = 6.0, 6.0
    for x in range(10, int(width) - 9):
        tick = 4.0 if x % 10 == 0 else 2.5 if x % 5 == 0 else 1.5
        line(x, ruler_y, x, ruler_y + tick)
        if x % 10 == 0:
            text(x, ruler_y + 7.0, str(x), 6, "center")
    for y in range(10, int(height) - 9):
        tick = 4.0 if y % 10 == 0 else 2.5 if y % 5 == 0 else 1.5
        line(ruler_x, y, ruler_x + tick, y)
        if y % 10 == 0 and y > 14:
            text(ruler_x + 5, y + 1.0, str(y), 6)

    marks = [m for m in SHEET_MARKS if m[0] < width - 10 and m[1] < height - 10]
    for x, y in marks:
        line(x - 4, y, x + 4, y)
        line(x, y - 4, x, y + 4)
        c.circle(*cal.point(x, y, height), cal.length(3), stroke=1, fill=0)
        text(x + 4, y + 5.5, f"({x:g}, {y:g})", 6)

    left = 30.0
    text(width / 2, 45, "打印校准页", 18, "center")
    lines = [
        f"当前校准：{cal.name}（右移 {cal.dx_mm:g} 毫米，下移 {cal.dy_mm:g} 毫米，缩放 {cal.scale:g}）",
        "1. 用证书打印机、以与证书相同的进纸方式打印本页，打印设置中选择“实际大小”，不要“适合页面”。",
        "2. 用直尺量出左上十字中心到纸张左边缘、上边缘的距离（毫米）。",
        "3. 十字应在距左边缘 20 毫米、距上边缘 20 毫米处；实际位置与此之差即为偏移。",
        "4. 量出左右两个十字中心的距离，应为 170 毫米；不等时据此计算缩放。",
        "5. 在“打印校准”中填入测量值并保存，再打印一次本页核对。",
    ]
    for i, s in enumerate(lines):
        text(left, 62 + i * 8, s, 9)
    c.showPage()
    c.save()
    return buf.getvalue()
