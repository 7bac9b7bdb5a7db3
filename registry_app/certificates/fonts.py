"""The fonts every certificate and form uses, registered with ReportLab once.

Both are TrueType, so ReportLab embeds them as subsets (/FontFile2): a PDF carries only the
glyphs it prints and looks the same on every counter's printer. Droid Sans Fallback has the Han
characters but no ASCII digits or letters, so text is set in runs: characters the CJK font lacks
(certificate numbers, ID numbers, the digits of dates) go to DejaVu Sans.
"""
from __future__ import annotations

import threading
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from registry_app.errors import RegistryError
from registry_app.resources import resources_dir

FONT_NAME = "RegistryCJK"
LATIN_FONT_NAME = "RegistryLatin"
_FILES = {FONT_NAME: "DroidSansFallbackFull.ttf", LATIN_FONT_NAME: "DejaVuSans.ttf"}

_lock = threading.Lock()   # bulk printing renders off the GUI thread
_cjk_chars: frozenset[int] = frozenset()
_latin_chars: frozenset[int] = frozenset()


def font_path(name: str = FONT_NAME) -> Path:
    return resources_dir() / "fonts" / _FILES[name]


def register_fonts() -> str:
    """Register both fonts (idempotent, thread-safe) and return the main (CJK) font's name."""
    global _cjk_chars, _latin_chars
    with _lock:
        if _cjk_chars:
            return FONT_NAME
        for name, file in _FILES.items():
            path = font_path(name)
            if not path.is_file():
                raise RegistryError(f"找不到证书字体文件 {file}，请重新安装本程序", code="FONT_MISSING")
            if name not in pdfmetrics.getRegisteredFontNames():
                pdfmetrics.registerFont(TTFont(name, str(path)))
            # One weight only: map bold/italic to it so <b> in paragraphs does not fail.
            # (0, 0) last: the reverse lookup keeps the last mapping, and text is not bold.
            for bold, italic in ((1, 1), (1, 0), (0, 1), (0, 0)):
                addMapping(name, bold, italic, name)
        _latin_chars = frozenset(pdfmetrics.getFont(LATIN_FONT_NAME).face.charToGlyph)
        _cjk_chars = frozenset(pdfmetrics.getFont(FONT_NAME).face.charToGlyph)
        return FONT_NAME


def runs(text: str) -> list[tuple[str, str]]:
    """Split text into (font name, text) runs; spaces stay with the run they are in."""
    register_fonts()
    out: list[tuple[str, str]] = []
    for ch in text:
        code = ord(ch)
        if ch == " " and out:
            font = out[-1][0]
        elif code in _cjk_chars or code not in _latin_chars:
            font = FONT_NAME
        else:
            font = LATIN_FONT_NAME
        if out and out[-1][0] == font:
            out[-1] = (font, out[-1][1] + ch)
        else:
            out.append((font, ch))
    return out


def text_width(text: str, size: float, char_space: float = 0.0) -> float:
    """Width in points of `text` as drawn by draw_string."""
    return sum(pdfmetrics.stringWidth(t, f, size) for f, t in runs(text)) + char_space * max(len(text) - 1, 0)


def draw_string(c: Canvas, x: float, y: float, text: str, size: float, align: str = "left",
                *, char_space: float = 0.0, mode: int | None = None) -> None:
    """Draw one line, switching font per run. `align` says what x is: left edge, centre or right edge."""
    width = text_width(text, size, char_space)
    if align == "center":
        x -= width / 2
    elif align == "right":
        x -= width
    t = c.beginText(x, y)
    if mode is not None:
        t.setTextRenderMode(mode)
    t.setCharSpace(char_space)
    for font, chunk in runs(text):
        t.setFont(font, size)
        t.textOut(chunk)
    c.drawText(t)


def markup(text: str) -> str:
    """Paragraph markup for `text`: escaped, Latin runs wrapped in the Latin font."""
    parts = []
    for font, chunk in runs(text):
        chunk = escape(chunk).replace("\n", "<br/>")
        parts.append(chunk if font == FONT_NAME else f'<font name="{LATIN_FONT_NAME}">{chunk}</font>')
    return "".join(parts)
