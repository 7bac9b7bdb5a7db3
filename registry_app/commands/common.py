"""Shared pieces of the workflow commands: reading a case file, running as a user."""
from __future__ import annotations

import json
from pathlib import Path

from registry_app.errors import Issue, Refused


def read_case(path: Path) -> dict:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise Refused([Issue("CASE_FILE_NOT_FOUND", f"找不到文件：{path}", "input")]) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Refused([Issue("CASE_FILE_INVALID", f"文件不是有效的UTF-8 JSON：{exc}", "input")]) from None
    if not isinstance(data, dict):
        raise Refused([Issue("CASE_MALFORMED", "登记数据应为JSON对象", "input")])
    return data


def read_photo(case: dict, base: Path) -> tuple[bytes | None, str]:
    photo = case.get("photo")
    if not photo:
        return None, ""
    p = Path(photo)
    if not p.is_absolute():
        p = base / p
    try:
        return p.read_bytes(), p.name
    except OSError:
        raise Refused([Issue("PHOTO_NOT_FOUND", f"找不到照片文件：{photo}", "photo")]) from None
