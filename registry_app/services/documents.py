"""Files kept with a record (the couple's joint photo, the adoption photo): stored inside the encrypted
database, with their type read from the bytes and their SHA-256.

Only a photo is kept: bytes that decode as JPEG or PNG (Pillow, with only those two decoders allowed),
at most MAX_PHOTO_BYTES and MAX_PHOTO_PIXELS; anything else (a text file, a truncated image, a
decompression bomb) is refused with PHOTO_INVALID or PHOTO_TOO_LARGE before it reaches the database."""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import warnings
from pathlib import PurePath

from sqlalchemy.orm import Session

from registry_app.domain.field_rules import forbidden_character
from registry_app.errors import Issue, Refused
from registry_app.storage.models import Document

# The photo picker's limit: a camera's original photo fits; a scan at print resolution is far smaller.
MAX_PHOTO_BYTES = 10 * 1024 * 1024
# 40 megapixels: a 7,700 x 5,200 camera image. Checked from the header, before any pixel is decoded.
MAX_PHOTO_PIXELS = 40_000_000
MAX_FILENAME = 100
_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png"}


def media_type(data: bytes) -> str:
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    return "application/octet-stream"


def _invalid(message: str, code: str = "PHOTO_INVALID") -> Refused:
    return Refused([Issue(code, message, "photo")])


def check_photo(data: bytes) -> str:
    """The photo's media type, after decoding it; Refused when it is not a whole JPEG or PNG photo."""
    from PIL import Image, UnidentifiedImageError

    if not isinstance(data, (bytes, bytearray)) or not data:
        raise _invalid("照片为空或不是文件内容")
    if len(data) > MAX_PHOTO_BYTES:
        raise _invalid(f"照片文件超过{MAX_PHOTO_BYTES // 1024 // 1024}MB", "PHOTO_TOO_LARGE")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(_FORMATS)) as img:
                if img.width * img.height > MAX_PHOTO_PIXELS:
                    raise _invalid(f"照片像素过多（{img.width}×{img.height}），请缩小后再采集", "PHOTO_TOO_LARGE")
                kind = _FORMATS[img.format]
                if img.format == "JPEG":
                    img.draft(img.mode, (max(1, img.width // 8), max(1, img.height // 8)))  # decode at 1/8 scale
                img.load()  # every byte of the image data is read: a truncated or damaged file fails here
    except Refused:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _invalid("照片不是可识别的JPEG或PNG图片") from None
    except (OSError, ValueError, SyntaxError, EOFError, MemoryError, IndexError, TypeError, KeyError):
        raise _invalid("照片文件已损坏或不完整，请重新采集") from None
    return kind


def _safe_filename(filename: str, kind: str) -> str:
    """The name shown next to the stored photo: its last path part, without hidden characters."""
    name = PurePath(filename if isinstance(filename, str) else "").name
    if not name or len(name) > MAX_FILENAME or forbidden_character(name) is not None:
        return "photo.jpg" if kind == "image/jpeg" else "photo.png"
    return name


def attach(s: Session, record_id: int, kind: str, filename: str, content: bytes, added_by: str,
           added_at: dt.datetime) -> Document:
    """Store a photo with the record (in the caller's transaction); the Document comes back with its id.
    Raises Refused (PHOTO_INVALID, PHOTO_TOO_LARGE) for anything but a whole JPEG or PNG photo."""
    media = check_photo(content)
    content = bytes(content)
    doc = Document(record_id=record_id, kind=kind, filename=_safe_filename(filename, media), media_type=media,
                   sha256=hashlib.sha256(content).hexdigest(), content=content, added_by=added_by,
                   added_at=added_at)
    s.add(doc)
    s.flush()
    return doc


__all__ = ["MAX_PHOTO_BYTES", "MAX_PHOTO_PIXELS", "attach", "check_photo", "media_type"]
