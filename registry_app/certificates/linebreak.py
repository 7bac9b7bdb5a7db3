"""Line breaking for Chinese text with the usual rules: a line never starts with a closing mark
(，。、；：) nor ends with an opening one (（《“). ReportLab's own CJK breaking gets this wrong once
a paragraph mixes fonts, and certificates switch to the Latin font for every digit."""
from __future__ import annotations

import re

from registry_app.certificates.fonts import text_width

NO_LINE_START = set("，。、；：？！）》」』】〕〉…%,.;:?!)]}’”·")
NO_LINE_END = set("（《「『【〔〈‘“([{")
_TOKEN = re.compile(r"[A-Za-z0-9\-_/.@]+|\s+|.", re.S)


def wrap(text: str, size: float, width: float, first_width: float | None = None) -> list[str]:
    """Greedy breaking: any Han character may start a line, Latin words and numbers stay whole.
    Widths in points; `first_width` is the first line's width when it is indented."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for token in _TOKEN.findall(paragraph):
            limit = first_width if (first_width is not None and not lines) else width
            if not line or text_width(line + token, size) <= limit:
                line += token
                continue
            carry = ""
            # Pull characters back so the next line does not start with a closing mark
            # and this one does not end with an opening mark.
            if token[0] in NO_LINE_START:
                while len(line) > 1 and (not carry or carry[0] in NO_LINE_START):
                    carry = line[-1] + carry
                    line = line[:-1]
            while len(line) > 1 and line[-1] in NO_LINE_END:
                carry = line[-1] + carry
                line = line[:-1]
            lines.append(line.rstrip())
            line = (carry + token).lstrip()
        lines.append(line.rstrip())
    return lines
