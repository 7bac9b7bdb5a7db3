"""Canonical JSON: one byte string per value, so hashes and signatures are reproducible.

Sorted keys, no whitespace, UTF-8 (not \\u escapes), integers only. Floats are refused because
their text form differs between languages; nothing in the format needs them."""
from __future__ import annotations

import json
from typing import Any

from registry_app.errors import RegistryError


def _check(value: Any, where: str) -> None:
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return
    if isinstance(value, float):
        raise RegistryError(f"{where}含小数，格式只允许整数（floats are not allowed）", code="CANONICAL_JSON")
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise RegistryError(f"{where}的键不是字符串（non-string key）", code="CANONICAL_JSON")
            _check(v, f"{where}/{k}")
        return
    if isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            _check(v, f"{where}/{i}")
        return
    raise RegistryError(f"{where}含不能写入JSON的值（unsupported type {type(value).__name__}）",
                        code="CANONICAL_JSON")


def canonical_json(value: Any) -> bytes:
    _check(value, "")
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict:
    out: dict = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"duplicate key {k!r}")
        out[k] = v
    return out


def _no_float(text: str) -> Any:
    raise ValueError("float")


def _no_constant(text: str) -> Any:
    raise ValueError(text)


def load_strict(data: bytes, code: str, what: str) -> Any:
    """Parse JSON from an untrusted file: valid UTF-8, no duplicate keys (two readers could pick
    different values), no floats, NaN or Infinity. Any failure is a RegistryError with `code`."""
    try:
        text = data.decode("utf-8")
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_float=_no_float,
                          parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise RegistryError(f"{what}不是有效的JSON（malformed JSON: {exc}）", code=code) from None
