"""Shared pieces of the workflow commands: reading a case file and the photo it names.

A case file is UTF-8 JSON, with or without the byte-order mark Notepad writes, at most
MAX_CASE_BYTES. A key given twice is refused (JSON parsers differ on which one wins, so the clerk's
file could mean two things); so are NaN/Infinity, nesting deeper than field_rules.MAX_DEPTH, and a
path that is a directory, a device or unreadable. Every problem is a coded Refused, never a traceback.
"""
from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

from registry_app.domain.field_rules import structure_issues, text_issues
from registry_app.errors import Issue, Refused
from registry_app.services.documents import MAX_PHOTO_BYTES, check_photo

MAX_CASE_BYTES = 1024 * 1024  # a case without its photo is a few KB; the longest allowed texts fit many times


class _DuplicateKey(ValueError):
    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict:
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} 不是有效的数值")


def _refuse(code: str, message: str, field: str = "input") -> Refused:
    return Refused([Issue(code, message, field)])


def _read_regular_file(path: Path, limit: int, what: str, prefix: str, field: str) -> bytes:
    """The bytes of a regular file of at most `limit` bytes. Codes: {prefix}_NOT_FOUND, _NOT_A_FILE (a
    directory, a device or a pipe, which could block or never end), _TOO_LARGE, _UNREADABLE."""
    too_large = _refuse(f"{prefix}_TOO_LARGE", f"{what}超过{limit // 1024 // 1024}MB：{path.name}", field)
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            raise _refuse(f"{prefix}_NOT_A_FILE", f"{what}不是普通文件（可能是文件夹）：{path.name}", field)
        if info.st_size > limit:
            raise too_large
        with open(path, "rb") as f:
            data = f.read(limit + 1)
    except FileNotFoundError:
        raise _refuse(f"{prefix}_NOT_FOUND", f"找不到{what}：{path.name}", field) from None
    except OSError as exc:
        raise _refuse(f"{prefix}_UNREADABLE", f"无法读取{what}{path.name}：{exc.strerror or exc}", field) from None
    if len(data) > limit:  # grew while being read
        raise too_large
    return data


def parse_json(data: bytes) -> Any:
    """Case-file bytes to a JSON value, or Refused: CASE_FILE_INVALID (not UTF-8 JSON), CASE_DUPLICATE_KEY,
    CASE_TOO_DEEP, CASE_FILE_TOO_LARGE."""
    if len(data) > MAX_CASE_BYTES:
        raise _refuse("CASE_FILE_TOO_LARGE", f"登记数据文件超过{MAX_CASE_BYTES // 1024 // 1024}MB")
    try:
        text = data.decode("utf-8-sig")  # Notepad's byte-order mark is accepted
    except UnicodeDecodeError as exc:
        raise _refuse("CASE_FILE_INVALID", f"文件不是UTF-8编码（第{exc.start + 1}个字节），请另存为UTF-8") from None
    try:
        value = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
    except _DuplicateKey as exc:
        raise _refuse("CASE_DUPLICATE_KEY", f"数据项“{exc.key[:64]}”在同一对象中出现了两次，请删去其中一个") from None
    except RecursionError:
        raise _refuse("CASE_TOO_DEEP", "数据嵌套层数过多") from None
    except json.JSONDecodeError as exc:
        raise _refuse("CASE_FILE_INVALID", f"文件不是有效的JSON：第{exc.lineno}行第{exc.colno}列（{exc.msg}）") from None
    except ValueError as exc:  # NaN/Infinity, or an integer of thousands of digits
        raise _refuse("CASE_FILE_INVALID", f"文件不是有效的JSON：{str(exc)[:80]}") from None
    return value


def parse_case(data: bytes) -> dict:
    """A case file's bytes to the case object, its shape checked by field_rules."""
    value = parse_json(data)
    if not isinstance(value, dict):
        raise _refuse("CASE_MALFORMED", "登记数据应为JSON对象")
    issues = structure_issues(value)
    if issues:
        raise Refused(issues)
    return value


def load_json(path: Path) -> Any:
    """Any JSON value from a file given on the command line (a case, a list of corrections)."""
    return parse_json(_read_regular_file(Path(path), MAX_CASE_BYTES, "登记数据文件", "CASE_FILE", "input"))


def read_case(path: Path) -> dict:
    return parse_case(_read_regular_file(Path(path), MAX_CASE_BYTES, "登记数据文件", "CASE_FILE", "input"))


def read_photo(case: dict, base: Path) -> tuple[bytes | None, str]:
    """The photo a case names (`"photo": "photo.jpg"`, relative to the case file): a regular file of at
    most MAX_PHOTO_BYTES that decodes as JPEG or PNG, else PHOTO_NOT_FOUND, PHOTO_NOT_A_FILE,
    PHOTO_UNREADABLE, PHOTO_TOO_LARGE or PHOTO_INVALID."""
    photo = case.get("photo")
    if photo is None or photo == "":
        return None, ""
    if not isinstance(photo, str):
        raise _refuse("PHOTO_INVALID", "photo 应为照片文件的路径（文字）", "photo")
    if bad := text_issues(photo, "photo"):
        raise Refused(bad)
    p = Path(photo)
    if not p.is_absolute():
        p = base / p
    data = _read_regular_file(p, MAX_PHOTO_BYTES, "照片文件", "PHOTO", "photo")
    check_photo(data)
    return data, p.name
