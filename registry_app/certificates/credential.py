"""The signed credential on a certificate (QR and electronic certificate): "RGC2:" + Base45(zlib(COSE_Sign1)).

Built from published standards so a bank, a hospital or another office can check it with ordinary tools
(docs/credential-format.md is the normative description; resources/verifier/ is an independent reader):

- COSE_Sign1 (RFC 9052), tag 18, algorithm EdDSA (-8) with the office's Ed25519 key; protected header
  {1: -8, 4: key id} where the key id is the 8-byte office key id (SHA-256 of the raw public key, truncated);
  unprotected header empty; no external AAD.
- Payload: a CBOR map with text keys (RFC 8949 deterministic encoding):
  "v" 1, "t" type code ("J", "L", "BJ", "BL", "SY", "JC"), "n" certificate number, "d" registration date
  "YYYY-MM-DD", "o" office code, "h" 16-byte holders' digest (no personal data in clear).
- zlib (RFC 1950) then Base45 (RFC 9285): Base45 is QR's alphanumeric alphabet, as in the EU digital COVID
  certificate ("HC1:"), whose readers and tooling this deliberately mirrors.

The signature is computed here with `cryptography` over the RFC 9052 Sig_structure rather than through
pycose: the structure is four CBOR items, and pycose would pull its own crypto stack into the counter
client. The tests check our output with pycose, so the two implementations keep each other honest."""
from __future__ import annotations

import datetime as dt
import hashlib
import re
import zlib
from collections.abc import Callable, Mapping

import base45
import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

PREFIX = "RGC2:"        # "RGC" = registry certificate; 2 = second format after RGC1 (base32, own binary layout)
VERSION = 1
COSE_SIGN1_TAG = 18
ALG_EDDSA = -8
HDR_ALG, HDR_KID = 1, 4
MAX_TEXT = 600          # a real credential is ~250 characters; longer text is not ours
MAX_INFLATED = 1024     # zlib bomb guard

_TYPE_CODES = ("J", "L", "BJ", "BL", "SY", "JC")
_ASCII_FIELD = re.compile(r"^[\x21-\x7e]{1,64}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_B45 = re.compile(r"^[0-9A-Z $%*+\-./:]+$")
# what base45, zlib and cbor2 raise on hostile input
_DECODE_ERRORS = (ValueError, TypeError, zlib.error, cbor2.CBORError, RecursionError, OverflowError)


class Malformed(Exception):
    """The text is not a well-formed RGC2 credential (message is Chinese, for the clerk)."""


def key_id_bytes(public: Ed25519PublicKey) -> bytes:
    return hashlib.sha256(public.public_bytes_raw()).digest()[:8]


def claims_of(fields) -> dict:
    """The CBOR claims for a QrFields (certificates/qr.py)."""
    if fields.kind_code not in _TYPE_CODES:
        raise ValueError("kind_code")
    for value in (fields.number, fields.office_code):
        if not isinstance(value, str) or not _ASCII_FIELD.match(value):
            raise ValueError("ascii")
    if len(fields.holders_digest) != 16:
        raise ValueError("holders_digest")
    return {"v": VERSION, "t": fields.kind_code, "n": fields.number,
            "d": fields.registration_date.isoformat(), "o": fields.office_code, "h": bytes(fields.holders_digest)}


def _sig_structure(protected: bytes, payload: bytes) -> bytes:
    return cbor2.dumps(["Signature1", protected, b"", payload], canonical=True)


def sign(claims: dict, private_key: Ed25519PrivateKey) -> str:
    """COSE_Sign1 over the claims, zlib, Base45, prefix."""
    protected = cbor2.dumps({HDR_ALG: ALG_EDDSA, HDR_KID: key_id_bytes(private_key.public_key())}, canonical=True)
    payload = cbor2.dumps(claims, canonical=True)
    signature = private_key.sign(_sig_structure(protected, payload))
    message = cbor2.dumps(cbor2.CBORTag(COSE_SIGN1_TAG, [protected, {}, payload, signature]), canonical=True)
    return PREFIX + base45.b45encode(zlib.compress(message, 9)).decode("ascii")


def parse(text: str) -> tuple[dict, str, bytes, bytes]:
    """-> claims, key id (hex), Sig_structure bytes to verify, signature. Raises Malformed."""
    if not isinstance(text, str) or len(text) > MAX_TEXT or not text.startswith(PREFIX):
        raise Malformed("不是本系统的证书凭证")
    encoded = text[len(PREFIX):]
    if not encoded or not _B45.match(encoded):
        raise Malformed("凭证内容含有非法字符")
    try:
        compressed = base45.b45decode(encoded)
        inflater = zlib.decompressobj()
        message = inflater.decompress(compressed, MAX_INFLATED)
        if inflater.unconsumed_tail or not inflater.eof or inflater.unused_data:
            raise Malformed("凭证内容不完整或有多余数据")
        item = cbor2.loads(message)
    except Malformed:
        raise
    except _DECODE_ERRORS:
        raise Malformed("凭证内容无法解码") from None
    if isinstance(item, cbor2.CBORTag):
        if item.tag != COSE_SIGN1_TAG:
            raise Malformed("凭证不是COSE_Sign1签名消息")
        item = item.value
    if not isinstance(item, (list, tuple)) or len(item) != 4:
        raise Malformed("凭证结构错误")
    protected, unprotected, payload, signature = item
    if not (isinstance(protected, bytes) and isinstance(payload, bytes) and isinstance(signature, bytes)
            and isinstance(unprotected, Mapping)):
        raise Malformed("凭证结构错误")
    try:
        header = cbor2.loads(protected)
        claims = cbor2.loads(payload)
    except _DECODE_ERRORS:
        raise Malformed("凭证内容无法解码") from None
    if not isinstance(header, Mapping) or header.get(HDR_ALG) != ALG_EDDSA:
        raise Malformed("凭证签名算法不受支持")
    kid = header.get(HDR_KID)
    if not isinstance(kid, bytes) or len(kid) != 8:
        raise Malformed("凭证缺少签发密钥标识")
    _check_claims(claims)
    if len(signature) != 64:
        raise Malformed("凭证签名长度错误")
    return dict(claims), kid.hex(), _sig_structure(protected, payload), signature


def _check_claims(claims: object) -> None:
    if not isinstance(claims, Mapping) or set(claims) != {"v", "t", "n", "d", "o", "h"}:
        raise Malformed("凭证字段不全或有多余字段")
    if claims["v"] != VERSION:
        raise Malformed("凭证格式版本不受支持")
    if claims["t"] not in _TYPE_CODES:
        raise Malformed("凭证中的证书种类未知")
    for key in ("n", "o"):
        if not isinstance(claims[key], str) or not _ASCII_FIELD.match(claims[key]):
            raise Malformed("凭证字段格式错误")
    if not isinstance(claims["d"], str) or not _DATE.match(claims["d"]):
        raise Malformed("凭证中的登记日期无效")
    try:
        dt.date.fromisoformat(claims["d"])
    except ValueError:
        raise Malformed("凭证中的登记日期无效") from None
    if not isinstance(claims["h"], bytes) or len(claims["h"]) != 16:
        raise Malformed("凭证中的持证人摘要无效")


def verify_signature(public: Ed25519PublicKey, to_verify: bytes, signature: bytes) -> bool:
    try:
        public.verify(signature, to_verify)
        return True
    except InvalidSignature:
        return False


def fields_of(claims: Mapping, make: Callable) -> object:
    """Build the caller's field type from checked claims: make(number, type, date, office, digest)."""
    return make(claims["n"], claims["t"], dt.date.fromisoformat(claims["d"]), claims["o"], claims["h"])
