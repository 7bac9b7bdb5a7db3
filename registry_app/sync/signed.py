"""Signed JSON documents from the province (acknowledgements, reference extracts).

File layout (v1): one header line, then the body line, each ending in "\n":
    {"format":"registry-ack","key_id":"…","signature":"<b64>","version":1}
    <canonical JSON body>
The signature covers a context string plus the body bytes exactly as they stand in the file, so a
verifier never has to re-serialise JSON the way the signer did."""
from __future__ import annotations

from cryptography.exceptions import InvalidSignature

from registry_app.errors import RegistryError
from registry_app.sync.canonical import canonical_json, load_strict
from registry_app.sync.keys import KeyRing, ProvinceKeyPair, PublicKey, b64, unb64

DOC_VERSION = 1


def _context(kind: str, version: int) -> bytes:
    return f"{kind} v{version}".encode("ascii") + b"\x00"


def sign_document(kind: str, body: dict, key: ProvinceKeyPair, version: int = DOC_VERSION) -> bytes:
    """The header's version is the body's `format_version` (an acknowledgement is version 1 or 2)."""
    body_bytes = canonical_json(body)
    signature = key.signing.sign(_context(kind, version) + body_bytes)
    header = {"format": kind, "version": version, "key_id": key.key_id, "signature": b64(signature)}
    return canonical_json(header) + b"\n" + body_bytes + b"\n"


def open_document(data: bytes, kind: str, keys: KeyRing | list[PublicKey] | PublicKey,
                  prefix: str, what: str, versions: tuple[int, ...] = (DOC_VERSION,)) -> dict:
    """Verify and parse a document of one of `versions`. Codes: <prefix>_MALFORMED,
    FORMAT_VERSION_UNSUPPORTED, <prefix>_KEY_UNKNOWN, <prefix>_BAD_SIGNATURE."""
    ring = KeyRing.of(keys)
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise RegistryError(f"{what}内容不是字节（not bytes）", code=f"{prefix}_MALFORMED")
    data = bytes(data)
    head, sep, rest = data.partition(b"\n")
    if not sep or not rest.endswith(b"\n") or b"\n" in rest[:-1]:
        raise RegistryError(f"{what}结构错误：应为两行（malformed: expected header and body lines）",
                            code=f"{prefix}_MALFORMED")
    body_bytes = rest[:-1]
    header = load_strict(head, f"{prefix}_MALFORMED", f"{what}文件头")
    if not isinstance(header, dict) or header.get("format") != kind:
        raise RegistryError(f"不是{what}文件（format is not {kind}）", code=f"{prefix}_MALFORMED")
    version = header.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise RegistryError(f"{what}缺少版本号（missing version）", code=f"{prefix}_MALFORMED")
    if version not in versions:
        known = "、".join(str(v) for v in versions)
        raise RegistryError(f"{what}格式版本{version}不受支持，本程序支持版本{known}（unsupported format version）",
                            code="FORMAT_VERSION_UNSUPPORTED")
    key_id, sig_text = header.get("key_id"), header.get("signature")
    if not isinstance(key_id, str) or not isinstance(sig_text, str) or set(header) != {
            "format", "version", "key_id", "signature"}:
        raise RegistryError(f"{what}文件头字段不全或多余（malformed header）", code=f"{prefix}_MALFORMED")
    signature = unb64(sig_text, f"{prefix}_MALFORMED", f"{what}签名")
    key = ring.get(key_id)
    if key is None or not key.owner.startswith("province:"):
        raise RegistryError(f"{what}的签名密钥{key_id[:16]}不在已信任的省级公钥中（unknown signing key）",
                            code=f"{prefix}_KEY_UNKNOWN")
    try:
        key.ed25519.verify(signature, _context(kind, version) + body_bytes)
    except InvalidSignature:
        raise RegistryError(f"{what}签名无效：文件被改动或不是省级签发（bad signature）",
                            code=f"{prefix}_BAD_SIGNATURE") from None
    body = load_strict(body_bytes, f"{prefix}_MALFORMED", what)
    if not isinstance(body, dict) or body.get("format") != kind or body.get("format_version") != version:
        raise RegistryError(f"{what}正文与文件头不一致（body does not match header）", code=f"{prefix}_MALFORMED")
    return body
