"""How values read on a certificate or form: dates as 2026年06月15日, sex and document types in Chinese."""
from __future__ import annotations

import datetime as dt
from enum import Enum

from registry_app.domain.ids import IdType, Sex

# For a person to fill in by hand. No-break spaces: paragraphs collapse ordinary and ideographic ones.
BLANK_DATE = "\u00a0" * 10 + "年" + "\u00a0" * 6 + "月" + "\u00a0" * 6 + "日"


def date_zh(value: dt.date | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return f"{value.year}年{value.month:02d}月{value.day:02d}日"
    return str(value)


def sex_zh(value: Sex | str | None) -> str:
    if value is None:
        return ""
    try:
        return Sex(value).zh
    except ValueError:
        return str(value)


def id_type_zh(value: IdType | str | None) -> str:
    if value is None:
        return ""
    try:
        return IdType(value).zh
    except ValueError:
        return str(value)


def display(value: object, attribute: str = "") -> str:
    """Any view value as printed text; `attribute` picks the reading of codes (sex, id_type)."""
    if value is None:
        return ""
    if attribute == "sex":
        return sex_zh(value)  # type: ignore[arg-type]
    if attribute == "id_type":
        return id_type_zh(value)  # type: ignore[arg-type]
    if isinstance(value, (dt.date, dt.datetime)):
        return date_zh(value)
    if isinstance(value, Sex) or isinstance(value, IdType):
        return value.zh
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)
