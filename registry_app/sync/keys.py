"""Keys of the sync formats and their files.

An office signs with Ed25519 (its private key lives in the encrypted database, hence the raw-bytes
helpers). The province has an Ed25519 key (signs acknowledgements and reference extracts) and an
X25519 key (batches are encrypted to it), rotated together and named by one key_id. Verifiers hold a
KeyRing of every public key they trust, so files signed before a rotation still verify."""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from registry_app.errors import RegistryError
from registry_app.fsutil import write_atomic
from registry_app.sync.canonical import canonical_json, load_strict
from registry_app.sync.schemas import schema_errors

PUBLIC_FORMAT = "registry-public-key"
PRIVATE_FORMAT = "registry-private-key"
KEY_FILE_VERSION = 1
_OFFICE = re.compile(r"^[1-9]\d{5}$")
_PROVINCE = re.compile(r"^[1-9]\d$")


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def unb64(text: str, code: str, what: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, AttributeError):
        raise RegistryError(f"{what}不是有效的Base64（invalid base64）", code=code) from None


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def key_id_of(public: Ed25519PublicKey) -> str:
    """First 8 bytes of SHA-256 of the raw Ed25519 public key, hex (same rule as the office database)."""
    return hashlib.sha256(public.public_bytes_raw()).digest()[:8].hex()


@dataclass(frozen=True)
class PublicKey:
    owner: str                      # "office:320102" or "province:32"
    ed25519: Ed25519PublicKey
    x25519: X25519PublicKey | None = None
    created: str = ""

    @property
    def key_id(self) -> str:
        return key_id_of(self.ed25519)

    @property
    def ed25519_raw(self) -> bytes:
        return self.ed25519.public_bytes_raw()

    def to_dict(self) -> dict:
        out = {"format": PUBLIC_FORMAT, "version": KEY_FILE_VERSION, "owner": self.owner,
               "key_id": self.key_id, "ed25519": b64(self.ed25519_raw), "created": self.created}
        if self.x25519 is not None:
            out["x25519"] = b64(self.x25519.public_bytes_raw())
        return out

    def to_file_bytes(self) -> bytes:
        return canonical_json(self.to_dict()) + b"\n"


def parse_public_key(data: bytes) -> PublicKey:
    """Read a .pub file. Refuses a future version, a malformed file or a key_id that does not
    match the key (a hand-edited or mixed-up file)."""
    doc = load_strict(data, "KEY_FILE_MALFORMED", "公钥文件")
    if isinstance(doc, dict) and doc.get("format") == PUBLIC_FORMAT and isinstance(doc.get("version"), int) \
            and doc["version"] > KEY_FILE_VERSION:
        raise RegistryError(f"公钥文件版本{doc['version']}过新，本程序只支持版本{KEY_FILE_VERSION}"
                            "（unsupported key file version）", code="FORMAT_VERSION_UNSUPPORTED")
    problems = schema_errors("public-key-v1", doc)
    if problems:
        path, msg = problems[0]
        raise RegistryError(f"公钥文件格式错误：{path} {msg}（malformed public key file）", code="KEY_FILE_MALFORMED")
    try:
        ed = Ed25519PublicKey.from_public_bytes(unb64(doc["ed25519"], "KEY_FILE_MALFORMED", "ed25519"))
        x = X25519PublicKey.from_public_bytes(unb64(doc["x25519"], "KEY_FILE_MALFORMED", "x25519")) \
            if "x25519" in doc else None
    except ValueError:
        raise RegistryError("公钥长度错误（bad key length）", code="KEY_FILE_MALFORMED") from None
    key = PublicKey(doc["owner"], ed, x, doc["created"])
    if key.key_id != doc["key_id"]:
        raise RegistryError(f"公钥文件的key_id {doc['key_id']}与密钥不符（key_id does not match the key）",
                            code="KEY_ID_MISMATCH")
    if doc["owner"].startswith("province:") and x is None:
        raise RegistryError("省级公钥缺少X25519加密公钥（province key lacks x25519）", code="KEY_FILE_MALFORMED")
    return key


def load_public_key_file(path: str | os.PathLike) -> PublicKey:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise RegistryError(f"无法读取公钥文件{Path(path).name}（{exc.strerror}）", code="KEY_FILE_UNREADABLE") from None
    return parse_public_key(data)


@dataclass(frozen=True)
class OfficeKeyPair:
    office_code: str
    private: Ed25519PrivateKey
    created: str = ""

    def __post_init__(self) -> None:
        if not _OFFICE.match(self.office_code):
            raise RegistryError(f"登记机关代码“{self.office_code}”应为6位数字（office code）", code="OFFICE_CODE_SHAPE")

    @classmethod
    def generate(cls, office_code: str, created: str | None = None) -> "OfficeKeyPair":
        return cls(office_code, Ed25519PrivateKey.generate(), created or _now())

    @classmethod
    def from_private_bytes(cls, office_code: str, raw: bytes, created: str = "") -> "OfficeKeyPair":
        """From the 32 raw bytes the office database keeps (KeyMaterial.private_key)."""
        try:
            return cls(office_code, Ed25519PrivateKey.from_private_bytes(raw), created)
        except (ValueError, TypeError):
            raise RegistryError("办公签名私钥长度错误（office private key must be 32 bytes）",
                                code="KEY_MALFORMED") from None

    def to_private_bytes(self) -> bytes:
        return self.private.private_bytes_raw()

    @property
    def public(self) -> PublicKey:
        return PublicKey(f"office:{self.office_code}", self.private.public_key(), None, self.created)

    @property
    def key_id(self) -> str:
        return key_id_of(self.private.public_key())


@dataclass(frozen=True)
class ProvinceKeyPair:
    province_code: str
    signing: Ed25519PrivateKey
    encryption: X25519PrivateKey
    created: str = ""

    def __post_init__(self) -> None:
        if not _PROVINCE.match(self.province_code):
            raise RegistryError(f"省级代码“{self.province_code}”应为2位数字（province code）", code="PROVINCE_CODE_SHAPE")

    @classmethod
    def generate(cls, province_code: str, created: str | None = None) -> "ProvinceKeyPair":
        return cls(province_code, Ed25519PrivateKey.generate(), X25519PrivateKey.generate(), created or _now())

    @property
    def public(self) -> PublicKey:
        return PublicKey(f"province:{self.province_code}", self.signing.public_key(),
                         self.encryption.public_key(), self.created)

    @property
    def key_id(self) -> str:
        return key_id_of(self.signing.public_key())

    def to_private_file_bytes(self) -> bytes:
        return canonical_json({
            "format": PRIVATE_FORMAT, "version": KEY_FILE_VERSION, "owner": f"province:{self.province_code}",
            "key_id": self.key_id, "ed25519": b64(self.signing.private_bytes_raw()),
            "x25519": b64(self.encryption.private_bytes_raw()), "created": self.created,
        }) + b"\n"

    @classmethod
    def from_private_file_bytes(cls, data: bytes) -> "ProvinceKeyPair":
        doc = load_strict(data, "KEY_FILE_MALFORMED", "私钥文件")
        if not isinstance(doc, dict) or doc.get("format") != PRIVATE_FORMAT:
            raise RegistryError("不是省级私钥文件（not a private key file）", code="KEY_FILE_MALFORMED")
        if doc.get("version") != KEY_FILE_VERSION:
            raise RegistryError(f"私钥文件版本{doc.get('version')}不受支持（unsupported version）",
                                code="FORMAT_VERSION_UNSUPPORTED")
        try:
            owner = str(doc["owner"])
            pair = cls(owner.removeprefix("province:"),
                       Ed25519PrivateKey.from_private_bytes(unb64(doc["ed25519"], "KEY_FILE_MALFORMED", "ed25519")),
                       X25519PrivateKey.from_private_bytes(unb64(doc["x25519"], "KEY_FILE_MALFORMED", "x25519")),
                       str(doc.get("created", "")))
        except (KeyError, ValueError, TypeError):
            raise RegistryError("私钥文件内容不完整（incomplete private key file）", code="KEY_FILE_MALFORMED") from None
        if pair.key_id != doc.get("key_id"):
            raise RegistryError("私钥文件的key_id与密钥不符（key_id does not match）", code="KEY_ID_MISMATCH")
        return pair


def load_province_private_key(path: str | os.PathLike) -> ProvinceKeyPair:
    """Refuses a key file others can read, as ssh does: such a key must be treated as leaked."""
    p = Path(path)
    try:
        if os.name == "posix" and p.stat().st_mode & 0o077:
            raise RegistryError(f"私钥文件{p.name}的权限过宽，其他用户可读（chmod 600）",
                                code="KEY_FILE_PERMISSIONS")
        data = p.read_bytes()
    except OSError as exc:
        raise RegistryError(f"无法读取私钥文件{p.name}（{exc.strerror}）", code="KEY_FILE_UNREADABLE") from None
    return ProvinceKeyPair.from_private_file_bytes(data)


@dataclass(frozen=True)
class ProvinceKeyPaths:
    public: Path
    private: Path
    key_id: str


def province_keygen(out_dir: str | os.PathLike, province_code: str = "32",
                    created: str | None = None) -> ProvinceKeyPaths:
    """Make a new province key pair: `province-32-<key_id>.key` (0600) and `.pub`. Never overwrites."""
    pair = ProvinceKeyPair.generate(province_code, created)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True, mode=0o700)
    stem = f"province-{province_code}-{pair.key_id}"
    private, public = out / f"{stem}.key", out / f"{stem}.pub"
    if private.exists() or public.exists():
        raise RegistryError(f"{stem}已存在，不会覆盖（key files exist）", code="KEY_FILE_EXISTS")
    write_atomic(private, pair.to_private_file_bytes(), mode=0o600)
    write_atomic(public, pair.public.to_file_bytes(), mode=0o644)
    return ProvinceKeyPaths(public, private, pair.key_id)


@dataclass
class KeyRing:
    """Trusted public keys by key_id: old keys stay so files signed before a rotation verify."""

    keys: dict[str, PublicKey] = field(default_factory=dict)

    @classmethod
    def of(cls, keys: "KeyRing | Iterable[PublicKey] | PublicKey") -> "KeyRing":
        if isinstance(keys, KeyRing):
            return keys
        ring = cls()
        for k in [keys] if isinstance(keys, PublicKey) else keys:
            ring.add(k)
        return ring

    @classmethod
    def from_dir(cls, directory: str | os.PathLike) -> "KeyRing":
        return cls.of(load_public_key_file(p) for p in sorted(Path(directory).glob("*.pub")))

    def add(self, key: PublicKey) -> None:
        old = self.keys.get(key.key_id)
        if old is not None and old.owner != key.owner:
            raise RegistryError(f"密钥{key.key_id}已登记为{old.owner}（key already known for another owner）",
                                code="KEY_OWNER_CONFLICT")
        self.keys[key.key_id] = key

    def get(self, key_id: str) -> PublicKey | None:
        return self.keys.get(key_id)

    def __contains__(self, key_id: object) -> bool:
        return key_id in self.keys

    def __iter__(self) -> Iterator[PublicKey]:
        return iter(self.keys.values())

    def __len__(self) -> int:
        return len(self.keys)
