"""The signed QR on a certificate: anyone holding the office's public key can check that the
certificate was issued by the office, to the people whose ID cards they have in front of them.

New certificates carry the RGC2 credential (COSE_Sign1, Base45; certificates/credential.py and
docs/credential-format.md). RGC1, below, is the first format: still verified, no longer issued.

RGC1 text form: "RGC1:" + unpadded base32 of a compact binary record. Base32 uses only QR's
alphanumeric characters (A-Z, 2-7, ':'), which pack 5.5 bits per character instead of 8, so a
~125-byte record fits a version 8-M symbol (49 modules) that zxing reads from a 200 dpi scan.

Binary record (all integers big-endian):
    version     1 byte (1)
    kind code   1 byte length + ASCII ("J", "L", "BJ", "BL", "SY", "JC")
    reg. date   4 bytes, proleptic Gregorian ordinal
    office code 1 byte length + ASCII
    number      1 byte length + ASCII
    holders     16 bytes: SHA-256 of the normalised (name, ID number) pairs, truncated
    key id      8 bytes: SHA-256 of the raw Ed25519 public key, truncated
    signature   64 bytes: Ed25519 over b"RGC1" + everything above
"""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import io
import re
import struct
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import qrcode
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from registry_app.certificates import credential
from registry_app.certificates.views import CertificateView, PartyView
from registry_app.errors import RegistryError

PREFIX = credential.PREFIX          # what new certificates carry
RGC1_PREFIX = "RGC1:"
_SIGNED_CONTEXT = b"RGC1"
_VERSION = 1
DIGEST_BYTES = 16
KEY_ID_BYTES = 8
SIGNATURE_BYTES = 64
MAX_TEXT = 400   # a real payload is ~205 characters; longer text is not ours

KIND_CODES: dict[str, str] = {
    "marriage": "J",
    "divorce": "L",
    "reissue_marriage": "BJ",
    "reissue_divorce": "BL",
    "adoption": "SY",
    "adoption_dissolution": "JC",
}
_KINDS_BY_CODE = {v: k for k, v in KIND_CODES.items()}
_ASCII_FIELD = re.compile(r"^[\x21-\x7e]{1,64}$")

OK = "OK"
MALFORMED = "MALFORMED"
UNKNOWN_KEY = "UNKNOWN_KEY"
BAD_SIGNATURE = "BAD_SIGNATURE"
VOIDED = "VOIDED"


@dataclass(frozen=True)
class QrFields:
    number: str
    kind_code: str
    registration_date: dt.date
    office_code: str
    holders_digest: bytes

    @property
    def kind(self) -> str:
        return _KINDS_BY_CODE[self.kind_code]


@dataclass(frozen=True)
class VerifyResult:
    valid: bool
    reason_code: str
    reason: str
    fields: QrFields | None = None
    key_id: str | None = None

    def holders_match(self, pairs: Iterable[tuple[str, str]]) -> bool:
        """Do the people in front of the verifier (names and ID numbers) match the certificate?"""
        return self.fields is not None and self.fields.holders_digest == holders_digest(pairs)


def _normalise_name(name: str) -> str:
    # NFKC folds full-width letters; spaces and the several middle dots used in
    # transliterated names (阿依古丽·买买提) must not change the digest.
    text = unicodedata.normalize("NFKC", name or "").upper()
    text = re.sub(r"[\s\u00b7\u2022\u2027\u30fb\u2219.]+", "", text)
    return text


def _normalise_id(number: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", number or "")).upper()


def holders_digest(pairs: Iterable[tuple[str, str]]) -> bytes:
    """SHA-256 over the sorted, normalised (name, ID number) pairs, truncated to 16 bytes.
    Order does not matter: the verifier may check the two ID cards in either order."""
    items = sorted(f"{_normalise_name(n)}\x1f{_normalise_id(i)}" for n, i in pairs)
    return hashlib.sha256("\x1e".join(items).encode("utf-8")).digest()[:DIGEST_BYTES]


def key_id_of(public_key: Ed25519PublicKey) -> str:
    """Hex of the first 8 bytes of SHA-256 of the raw public key (same as the office key table)."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).digest()[:KEY_ID_BYTES].hex()


def certificate_holders(view: CertificateView) -> list[PartyView]:
    """The people a certificate names: the holders, and for adoption kinds the adoptee too."""
    people = list(view.holders)
    adoptee = view.extra.get("adoptee")
    if isinstance(adoptee, PartyView):
        people.append(adoptee)
    return people


def fields_for_certificate(view: CertificateView) -> QrFields:
    if view.kind not in KIND_CODES:
        raise RegistryError(f"未知的证书种类：{view.kind}", code="QR_INVALID_FIELDS", field="kind")
    pairs = [(p.name, p.id_number) for p in certificate_holders(view)]
    return QrFields(view.number, KIND_CODES[view.kind], view.registration_date, view.office_code,
                    holders_digest(pairs))


def _ascii(value: str, what: str) -> bytes:
    if not isinstance(value, str) or not _ASCII_FIELD.match(value):
        raise RegistryError(f"二维码字段“{what}”应为1至64个可见ASCII字符", code="QR_INVALID_FIELDS", field=what)
    return value.encode("ascii")


def _body(fields: QrFields, key_id: bytes) -> bytes:
    if fields.kind_code not in _KINDS_BY_CODE:
        raise RegistryError(f"未知的证书种类代码：{fields.kind_code}", code="QR_INVALID_FIELDS", field="kind_code")
    if len(fields.holders_digest) != DIGEST_BYTES:
        raise RegistryError("持证人摘要应为16字节", code="QR_INVALID_FIELDS", field="holders_digest")
    def short_text(value: str, what: str) -> bytes:
        b = _ascii(value, what)
        return bytes([len(b)]) + b

    return (bytes([_VERSION]) + short_text(fields.kind_code, "kind_code")
            + struct.pack(">I", fields.registration_date.toordinal())
            + short_text(fields.office_code, "office_code") + short_text(fields.number, "number")
            + fields.holders_digest + key_id)


def make_payload(fields: QrFields, private_key: Ed25519PrivateKey) -> str:
    """Sign the fields and return the text to put in the QR (RGC2)."""
    _body(fields, b"")     # same field checks and codes as RGC1
    return credential.sign(credential.claims_of(fields), private_key)


def make_rgc1_payload(fields: QrFields, private_key: Ed25519PrivateKey) -> str:
    """The first format, kept to test that certificates printed with it still verify."""
    key_id = bytes.fromhex(key_id_of(private_key.public_key()))
    body = _body(fields, key_id)
    signature = private_key.sign(_SIGNED_CONTEXT + body)
    return RGC1_PREFIX + base64.b32encode(body + signature).decode("ascii").rstrip("=")


class _Malformed(Exception):
    pass


def _parse(text: str) -> tuple[QrFields, str, bytes, bytes]:
    """-> fields, key id (hex), signed body, signature; raises _Malformed."""
    if not isinstance(text, str) or len(text) > MAX_TEXT or not text.startswith(RGC1_PREFIX):
        raise _Malformed("不是本系统的证书二维码")
    encoded = text[len(RGC1_PREFIX):]
    if not re.fullmatch(r"[A-Z2-7]+", encoded):
        raise _Malformed("二维码内容含有非法字符")
    try:
        raw = base64.b32decode(encoded + "=" * (-len(encoded) % 8))
    except (binascii.Error, ValueError):
        raise _Malformed("二维码内容无法解码") from None
    # Canonical form only: re-encoding must give the same text (no stray trailing bits).
    if base64.b32encode(raw).decode("ascii").rstrip("=") != encoded:
        raise _Malformed("二维码内容不规范")
    pos = 0

    def take(n: int) -> bytes:
        nonlocal pos
        if n < 0 or pos + n > len(raw):
            raise _Malformed("二维码内容不完整")
        chunk = raw[pos:pos + n]
        pos += n
        return chunk

    def ascii_field() -> str:
        value = take(take(1)[0]).decode("ascii", errors="replace")
        if not _ASCII_FIELD.match(value):
            raise _Malformed("二维码字段格式错误")
        return value

    if take(1)[0] != _VERSION:
        raise _Malformed("二维码格式版本不受支持")
    kind_code = ascii_field()
    if kind_code not in _KINDS_BY_CODE:
        raise _Malformed("二维码中的证书种类未知")
    ordinal = struct.unpack(">I", take(4))[0]
    try:
        date = dt.date.fromordinal(ordinal)
    except (ValueError, OverflowError):
        raise _Malformed("二维码中的登记日期无效") from None
    office_code = ascii_field()
    number = ascii_field()
    digest = take(DIGEST_BYTES)
    key_id = take(KEY_ID_BYTES)
    body = raw[:pos]
    signature = take(SIGNATURE_BYTES)
    if pos != len(raw):
        raise _Malformed("二维码内容有多余数据")
    return QrFields(number, kind_code, date, office_code, digest), key_id.hex(), body, signature


def _public_key(value: object) -> Ed25519PublicKey | None:
    if isinstance(value, Ed25519PublicKey):
        return value
    if isinstance(value, (bytes, bytearray)) and len(value) == 32:
        return Ed25519PublicKey.from_public_bytes(bytes(value))
    return None


def verify_payload(text: str, public_keys: Mapping[str, Ed25519PublicKey | bytes],
                   revoked: Callable[[str], str | None] | None = None) -> VerifyResult:
    """Check a scanned QR text. Never raises on bad input: the result says what is wrong.
    `revoked(number)` returns a reason when the office has voided that certificate."""
    try:
        if isinstance(text, str) and text.startswith(credential.PREFIX):
            claims, key_id, signed, signature = credential.parse(text)
            fields = credential.fields_of(claims, QrFields)
        else:
            fields, key_id, body, signature = _parse(text)
            signed = _SIGNED_CONTEXT + body
    except (_Malformed, credential.Malformed) as exc:
        return VerifyResult(False, MALFORMED, str(exc))
    key = _public_key(public_keys.get(key_id))
    if key is None:
        return VerifyResult(False, UNKNOWN_KEY, f"签发密钥 {key_id} 不在已知密钥之列", fields, key_id)
    try:
        key.verify(signature, signed)
    except InvalidSignature:
        return VerifyResult(False, BAD_SIGNATURE, "签名不符，证书内容可能被篡改", fields, key_id)
    if revoked is not None:
        why = revoked(fields.number)
        if why:
            return VerifyResult(False, VOIDED, f"该证书已作废：{why}", fields, key_id)
    return VerifyResult(True, OK, "证书二维码有效", fields, key_id)


def qr_matrix(text: str) -> list[list[bool]]:
    """Modules of the QR symbol, without the quiet zone (error correction M)."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    qr.add_data(text)
    qr.make(fit=True)
    return [list(row) for row in qr.get_matrix()]


def qr_png(text: str, box_size: int = 8) -> bytes:
    """The QR as a PNG (screen display, electronic certificate)."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box_size, border=4)
    qr.add_data(text)
    qr.make(fit=True)
    buf = io.BytesIO()
    qr.make_image(fill_color="black", back_color="white").save(buf, format="PNG")
    return buf.getvalue()


def extract_payload_from_pdf(pdf_bytes: bytes, dpi: int = 200) -> str | None:
    """Render page 1 and read its QR code; None when there is none. Needs zxing-cpp."""
    try:
        import zxingcpp  # verify-side dependency, not needed for printing
    except ImportError:
        raise RegistryError("未安装二维码识别组件 zxing-cpp，无法从PDF读取二维码", code="QR_READER_MISSING") from None
    import pypdfium2

    try:
        pdf = pypdfium2.PdfDocument(pdf_bytes)
    except pypdfium2.PdfiumError:
        raise RegistryError("文件不是可读的PDF", code="PDF_UNREADABLE") from None
    try:
        if len(pdf) == 0:
            return None
        page = pdf[0]
        image = page.render(scale=dpi / 72).to_pil().convert("L")
        page.close()
    finally:
        pdf.close()
    results = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    texts = [r.text for r in results if r.valid] if results else []
    for t in texts:
        if t.startswith((PREFIX, RGC1_PREFIX)):
            return t
    return texts[0] if texts else None
