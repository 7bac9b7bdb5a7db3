"""The one CJK font every certificate and form uses, registered with ReportLab once.

Droid Sans Fallback has TrueType outlines, so ReportLab embeds it as a subset (/FontFile2):
a PDF carries only the glyphs it prints and looks the same on every counter's printer.
"""
from __future__ import annotations

import threading
from pathlib import Path

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from registry_app.errors import RegistryError
from registry_app.resources import resources_dir

FONT_NAME = "RegistryCJK"
FONT_FILE = "DroidSansFallbackFull.ttf"

_lock = threading.Lock()   # bulk printing renders off the GUI thread


def font_path() -> Path:
    return resources_dir() / "fonts" / FONT_FILE


def register_fonts() -> str:
    """Register the CJK font (idempotent, thread-safe) and return its ReportLab name."""
    with _lock:
        if FONT_NAME in pdfmetrics.getRegisteredFontNames():
            return FONT_NAME
        path = font_path()
        if not path.is_file():
            raise RegistryError(f"找不到证书字体文件 {FONT_FILE}，请重新安装本程序", code="FONT_MISSING")
        pdfmetrics.registerFont(TTFont(FONT_NAME, str(path)))
        # One weight only: map bold/italic to it so <b> in paragraphs does not fail.
        for bold in (0, 1):
            for italic in (0, 1):
                addMapping(FONT_NAME, bold, italic, FONT_NAME)
        return FONT_NAME


def text_width(text: str, size: float) -> float:
    """Width in points of `text` set in the CJK font."""
    return pdfmetrics.stringWidth(text, register_fonts(), size)
