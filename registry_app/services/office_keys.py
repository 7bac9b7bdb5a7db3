"""The office's Ed25519 signing key: made at setup, kept inside the encrypted database.
Rotation adds a new active key; old public keys stay so old certificates and batches verify.
Also the keys as the administrator sees them: fingerprints, and a key file looked at before it is trusted."""
from __future__ import annotations

import base64
import hashlib
from dataclasses import asdict, dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry_app.domain.roles import Permission
from registry_app.errors import RegistryError
from registry_app.services.context import AppContext
from registry_app.storage.models import KeyMaterial
from registry_app.sync.keys import load_public_key_file


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


# --- the keys as the administrator sees them -------------------------------------------------------------


def fingerprint(raw_ed25519: bytes) -> str:
    """SHA-256 of the raw Ed25519 public key in groups of four hex digits, to read out over the phone;
    its first 16 digits are the key_id."""
    digest = hashlib.sha256(raw_ed25519).hexdigest()
    return " ".join(digest[i:i + 4] for i in range(0, len(digest), 4))


@dataclass(frozen=True)
class KeyView:
    key_id: str
    owner: str              # "office:320102" or "province:32"
    fingerprint: str
    created: str
    active: bool            # the key batches are signed with (office) or encrypted to (province)
    trusted: bool = True    # a key file looked at before import: whether this database already trusts it

    @property
    def owner_zh(self) -> str:
        kind, _, code = self.owner.partition(":")
        return {"office": "本处", "province": "省级"}.get(kind, kind) + (f"（{code}）" if code else "")

    def to_dict(self) -> dict:
        return {**asdict(self), "owner_zh": self.owner_zh}


class KeyManagement:
    """What the administration page shows before and after the key operations, which stay in SyncService
    (set_province_key, export_office_public_key, rotate_office_key) as the command line calls them."""

    def __init__(self, ctx: AppContext):
        self.ctx = ctx

    def keys(self) -> list[KeyView]:
        """The office's signing keys and the province keys it trusts, newest first within each."""
        self.ctx.require(Permission.MANAGE_KEYS)
        with self.ctx.db.read() as s:
            rows = s.execute(select(KeyMaterial).where(KeyMaterial.purpose.in_(("office_signing",
                                                                                "province_public")))).scalars()
            views = [_view(r) for r in rows]
        views.sort(key=lambda v: v.created, reverse=True)
        return sorted(views, key=lambda v: (v.owner.startswith("province"), not v.active))

    def inspect_key_file(self, path: str | Path, expect: str | None = None) -> KeyView:
        """A public key file read and checked (format, key_id against the key; with `expect="province"` a
        province key) without storing anything, for the confirmation that shows its fingerprint."""
        self.ctx.require(Permission.MANAGE_KEYS)
        key = load_public_key_file(path)
        if expect == "province" and (not key.owner.startswith("province:") or key.x25519 is None):
            raise RegistryError("该文件不是省级公钥（not a province public key）", code="KEY_NOT_PROVINCE",
                                field="path")
        with self.ctx.db.read() as s:
            row = s.get(KeyMaterial, key.key_id)
            trusted, active = row is not None, bool(row is not None and row.active)
        return KeyView(key.key_id, key.owner, fingerprint(key.ed25519_raw), key.created, active, trusted)


def _view(row: KeyMaterial) -> KeyView:
    raw = base64.b64decode((row.public_data or {}).get("ed25519", ""))
    created = (row.public_data or {}).get("created") or (row.created_at.isoformat() if row.created_at else "")
    return KeyView(row.key_id, row.owner, fingerprint(raw), str(created), bool(row.active))
