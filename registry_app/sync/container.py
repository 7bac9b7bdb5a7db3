"""The binary envelope of a batch file (format v1): a fixed clear header, then AES-256-GCM
ciphertext under a key agreed by X25519 with the province key (ephemeral-static ECDH + HKDF).

The header is the AAD, so none of its bytes can be changed without decryption failing. It is in
clear so the province can route and pre-check a file (which office, which sequence, which of its
keys) before decrypting, and so the office can read its own file's chain hash."""
from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from registry_app.errors import RegistryError

MAGIC = b"REGBATCH"
FORMAT_VERSION = 1
# magic, version, recipient key_id, ephemeral X25519 public key, office code, business date
# (YYYYMMDD), batch sequence, SHA-256 of the signed manifest, ciphertext length (incl. 16-byte tag)
HEADER = struct.Struct(">8sH8s32s6s8sI32sI")
TAG_LEN = 16
HKDF_INFO = b"registry-batch v1 aes-256-gcm"
SIGNATURE_CONTEXT = b"registry-batch-manifest v1\x00"
SIG_LEN = 64
_LEN = struct.Struct(">I")


@dataclass(frozen=True)
class Header:
    version: int
    recipient_key_id: str
    ephemeral: bytes
    office_code: str
    business_date: str            # YYYY-MM-DD
    batch_seq: int
    content_sha256: str           # chain hash: SHA-256 of the signed manifest bytes
    ciphertext_len: int
    raw: bytes


def _fail(code: str, message: str) -> RegistryError:
    return RegistryError(message, code=code)


def parse_header(data: bytes) -> Header:
    """Structural checks in an order that names the real problem: wrong kind of file, newer
    format, cut short, or extra bytes after the end."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise _fail("BATCH_MALFORMED", "批次文件内容不是字节（not bytes）")
    data = bytes(data)
    if data[:len(MAGIC)] != MAGIC[:len(data)]:
        raise _fail("BATCH_BAD_MAGIC", "不是登记批次文件：文件头标识不符（bad magic）")
    if len(data) < len(MAGIC) + 2:
        raise _fail("BATCH_TRUNCATED", f"批次文件不完整：只有{len(data)}字节（truncated file）")
    (version,) = struct.unpack_from(">H", data, len(MAGIC))
    if version != FORMAT_VERSION:
        raise _fail("FORMAT_VERSION_UNSUPPORTED",
                    f"批次文件格式版本{version}不受支持，本程序支持版本{FORMAT_VERSION}（unsupported format version）")
    if len(data) < HEADER.size:
        raise _fail("BATCH_TRUNCATED", f"批次文件不完整：文件头被截断（truncated header, {len(data)} bytes）")
    _, _, kid, eph, office, day, seq, content, ct_len = HEADER.unpack_from(data)
    end = HEADER.size + ct_len
    if ct_len < TAG_LEN or len(data) < end:
        raise _fail("BATCH_TRUNCATED",
                    f"批次文件不完整：应有{end}字节，实有{len(data)}字节（truncated file）")
    if len(data) > end:
        raise _fail("BATCH_TRAILING_DATA", f"批次文件末尾有{len(data) - end}字节多余数据（trailing data）")
    # Decoded leniently: these bytes are only authenticated after decryption, and a message
    # about a damaged file must not itself fail.
    day_text = day.decode("ascii", "replace")
    return Header(version, kid.hex(), eph, office.decode("ascii", "replace"),
                  f"{day_text[:4]}-{day_text[4:6]}-{day_text[6:]}", seq, content.hex(), ct_len,
                  data[:HEADER.size])


def _derive(shared: bytes, ephemeral: bytes, recipient: bytes) -> tuple[bytes, bytes]:
    # The key is used for exactly one file (fresh ephemeral key), so a derived nonce is safe.
    okm = HKDF(hashes.SHA256(), 44, salt=ephemeral + recipient, info=HKDF_INFO).derive(shared)
    return okm[:32], okm[32:]


def seal(plaintext: bytes, *, recipient: X25519PublicKey, recipient_key_id: str, office_code: str,
         business_date: str, batch_seq: int, content_sha256: str) -> bytes:
    eph = X25519PrivateKey.generate()
    eph_pub = eph.public_key().public_bytes_raw()
    header = HEADER.pack(MAGIC, FORMAT_VERSION, bytes.fromhex(recipient_key_id), eph_pub,
                         office_code.encode("ascii"), business_date.replace("-", "").encode("ascii"),
                         batch_seq, bytes.fromhex(content_sha256), len(plaintext) + TAG_LEN)
    key, nonce = _derive(eph.exchange(recipient), eph_pub, recipient.public_bytes_raw())
    return header + AESGCM(key).encrypt(nonce, plaintext, header)


def unseal(data: bytes, header: Header, private: X25519PrivateKey) -> bytes:
    try:
        eph = X25519PublicKey.from_public_bytes(header.ephemeral)
        shared = private.exchange(eph)
    except ValueError:  # an all-zero (low order) point gives no shared secret
        raise _fail("BATCH_DECRYPT_FAILED", "批次文件无法解密：临时公钥无效（invalid ephemeral key）") from None
    key, nonce = _derive(shared, header.ephemeral, private.public_key().public_bytes_raw())
    try:
        return AESGCM(key).decrypt(nonce, bytes(data[HEADER.size:]), header.raw)
    except InvalidTag:
        raise _fail("BATCH_DECRYPT_FAILED",
                    "批次文件无法解密：文件被改动或省级密钥不对（authentication failed: tampered or wrong key）") from None


def frame(manifest: bytes, signature: bytes, payload: bytes | list[bytes]) -> bytes:
    """Plaintext layout: manifest length (u32), manifest, Ed25519 signature (64), payload. The payload may
    come as its parts, joined here in the one copy the plaintext needs anyway."""
    parts = payload if isinstance(payload, list) else [payload]
    return b"".join([_LEN.pack(len(manifest)), manifest, signature, *parts])


def unframe(plaintext: bytes) -> tuple[bytes, bytes, bytes]:
    if len(plaintext) < _LEN.size:
        raise _fail("BATCH_MALFORMED", "批次内容结构错误：缺少清单长度（malformed plaintext）")
    (n,) = _LEN.unpack_from(plaintext)
    start = _LEN.size
    if len(plaintext) < start + n + SIG_LEN:
        raise _fail("BATCH_MALFORMED", "批次内容结构错误：清单或签名不完整（malformed plaintext）")
    return plaintext[start:start + n], plaintext[start + n:start + n + SIG_LEN], plaintext[start + n + SIG_LEN:]


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
