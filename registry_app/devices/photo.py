"""The card photo is 1024 bytes of WLT, encrypted by the card's makers: only their decoder (libwlt /
WltRS) turns it into a 102×126 picture. Without it the bytes are kept and the clerk is told."""
from __future__ import annotations

import ctypes

from registry_app.devices.readers import _load

BMP_BYTES = 38862   # 54-byte BMP header + 102×126×3 pixels, as the decoder writes it


def decoder_available() -> bool:
    return _load(("wlt", "WltRS")) is not None


def decode_wlt(wlt: bytes) -> bytes | None:
    """BMP bytes, or None when no decoder is installed or it refuses the photo."""
    lib = _load(("wlt", "WltRS"))
    if lib is None or not wlt or getattr(lib, "unpack", None) is None:
        return None
    src = ctypes.create_string_buffer(bytes(wlt), len(wlt))
    dst = ctypes.create_string_buffer(BMP_BYTES)
    if lib.unpack(src, dst, ctypes.c_int(1)) != 1:
        return None
    return dst.raw
