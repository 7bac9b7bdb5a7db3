"""The office's Ed25519 signing key: made at setup, kept inside the encrypted database.
Rotation adds a new active key; old public keys stay so old certificates and batches verify."""
from __future__ import annotations

import base64
import hashlib

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry_app.errors import RegistryError
from registry_app.storage.models import KeyMaterial


def key_id_of(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).digest()[:8].hex()


def create_office_key(session: Session, office_code: str, now) -> KeyMaterial:
    for old in session.execute(select(KeyMaterial).where(KeyMaterial.purpose == "office_signing")).scalars():
        old.active = False
    private = Ed25519PrivateKey.generate()
    public = private.public_key()
    raw_pub = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    row = KeyMaterial(
        key_id=key_id_of(public),
        purpose="office_signing",
        owner=f"office:{office_code}",
        public_data={"ed25519": base64.b64encode(raw_pub).decode(), "created": now.isoformat()},
        private_key=private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                          serialization.NoEncryption()),
        active=True,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def active_office_key(session: Session) -> tuple[str, Ed25519PrivateKey]:
    row = session.execute(
        select(KeyMaterial).where(KeyMaterial.purpose == "office_signing", KeyMaterial.active.is_(True))
    ).scalar_one_or_none()
    if row is None or row.private_key is None:
        raise RegistryError("本处尚无签名密钥，请管理员生成", code="OFFICE_KEY_MISSING")
    return row.key_id, Ed25519PrivateKey.from_private_bytes(row.private_key)


def office_public_keys(session: Session) -> dict[str, Ed25519PublicKey]:
    rows = session.execute(select(KeyMaterial).where(KeyMaterial.purpose == "office_signing")).scalars()
    return {
        r.key_id: Ed25519PublicKey.from_public_bytes(base64.b64decode(r.public_data["ed25519"]))
        for r in rows
    }
