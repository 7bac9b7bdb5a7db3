"""CSV files the office opens in Excel or WPS.

Every cell a spreadsheet would read as a formula is neutralised (OWASP, CSV injection): text beginning
with = + - @, a tab or a carriage return gets a leading single quote, so `=HYPERLINK(...)` or
`=cmd|' /C calc'!A0` typed into an archive row comes back as text, never as a live formula. Numbers the
product itself computes (counts) are written as numbers. `unquote_cell` undoes the prefix when such a
file is read back (a refused-rows report corrected and imported again).
"""
from __future__ import annotations

import csv
import io
from typing import Iterable

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def unquote_cell(text: str) -> str:
    """A cell as safe_cell wrote it, back to what was typed."""
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_START) else text


def csv_text(rows: Iterable[Iterable[object]]) -> str:
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    for row in rows:
        w.writerow([safe_cell(v) for v in row])
    return buf.getvalue()


def csv_bytes(rows: Iterable[Iterable[object]]) -> bytes:
    """UTF-8 with a BOM, so Excel on Chinese Windows reads the Chinese text."""
    return csv_text(rows).encode("utf-8-sig")


__all__ = ["FORMULA_START", "csv_bytes", "csv_text", "safe_cell", "unquote_cell"]
