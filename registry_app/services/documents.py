"""Files kept with a record (the couple's joint photo, the adoption photo): stored inside the encrypted
database, with their type read from the bytes and their SHA-256."""
from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy.orm import Session

from registry_app.storage.models import Document


def media_type(data: bytes) -> str:
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    return "application/octet-stream"


def attach(s: Session, record_id: int, kind: str, filename: str, content: bytes, added_by: str,
           added_at: dt.datetime) -> Document:
    """Store a file with the record (in the caller's transaction); the Document comes back with its id."""
    doc = Document(record_id=record_id, kind=kind, filename=filename, media_type=media_type(content),
                   sha256=hashlib.sha256(content).hexdigest(), content=content, added_by=added_by,
                   added_at=added_at)
    s.add(doc)
    s.flush()
    return doc


__all__ = ["attach", "media_type"]
