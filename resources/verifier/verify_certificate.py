#!/usr/bin/env python3
"""Check a marriage/adoption registry certificate's QR text against an office's published public key.

Stand-alone: needs only Python 3.9+, `cryptography`, `cbor2` and `base45` (pip install cryptography cbor2 base45).
The format is described in docs/credential-format.md; this file is a second implementation of it.

    python verify_certificate.py --key office-320102.pub "RGC2:..."
    python verify_certificate.py --key a.pub --key b.pub --holder 张伟 32010219950308123X --holder ... < scanned.txt

Exit status: 0 valid signature, 1 not valid, 2 usage or key file error. Whether the office has since voided
the certificate can only be answered by the office (the signature proves issue, not current validity)."""
from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
import json
import re
import struct
import sys
import unicodedata
import zlib

import base45
import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

TYPES = {"J": "结婚证", "L": "离婚证", "BJ": "结婚证（补发）", "BL": "离婚证（补发）", "SY": "收养登记证",
         "JC": "解除收养关系证明"}
ASCII = re.compile(r"^[\x21-\x7e]{1,64}$")


class Invalid(Exception):
    pass


def load_key(path: str) -> tuple[str, Ed25519PublicKey, str]:
    """-> key id (hex), key, owner, from a `registry-public-key` JSON file."""
    with open(path, "rb") as f:
        doc = json.loads(f.read().decode("utf-8"))
    if doc.get("format") != "registry-public-key" or doc.get("version") != 1:
        raise ValueError("not a version 1 registry-public-key file")
    raw = base64.b64decode(doc["ed25519"], validate=True)
    key_id = hashlib.sha256(raw).digest()[:8].hex()
    if key_id != doc.get("key_id"):
        raise ValueError("key_id does not match the key")
    return key_id, Ed25519PublicKey.from_public_bytes(raw), str(doc.get("owner", ""))


def parse_rgc2(text: str) -> tuple[dict, str, bytes, bytes]:
    """-> claims, key id, bytes signed (the COSE Sig_structure), signature."""
    try:
        inflater = zlib.decompressobj()
        message = inflater.decompress(base45.b45decode(text[5:]), 1024)
        if not inflater.eof or inflater.unused_data or inflater.unconsumed_tail:
            raise Invalid("zlib stream incomplete or followed by data")
        item = cbor2.loads(message)
    except Invalid:
        raise
    except (ValueError, TypeError, zlib.error, cbor2.CBORError, RecursionError, OverflowError) as exc:
        raise Invalid(f"cannot decode: {exc}") from None
    if isinstance(item, cbor2.CBORTag):
        if item.tag != 18:
            raise Invalid("not a COSE_Sign1 (tag 18)")
        item = item.value
    if not isinstance(item, (list, tuple)) or len(item) != 4:
        raise Invalid("COSE_Sign1 must be an array of 4")
    protected, _unprotected, payload, signature = item
    if not all(isinstance(x, bytes) for x in (protected, payload, signature)):
        raise Invalid("COSE_Sign1 parts have wrong types")
    try:
        header, claims = cbor2.loads(protected), cbor2.loads(payload)
    except (ValueError, TypeError, cbor2.CBORError, RecursionError, OverflowError) as exc:
        raise Invalid(f"cannot decode: {exc}") from None
    if not isinstance(header, dict) or header.get(1) != -8 or not isinstance(header.get(4), bytes):
        raise Invalid("protected header must hold alg -8 (EdDSA) and a kid")
    if not isinstance(claims, dict) or set(claims) != {"v", "t", "n", "d", "o", "h"} or claims["v"] != 1:
        raise Invalid("claims are not version 1")
    if claims["t"] not in TYPES or not ASCII.match(str(claims["n"])) or not ASCII.match(str(claims["o"])) \
            or not isinstance(claims["h"], bytes) or len(claims["h"]) != 16:
        raise Invalid("claims out of range")
    dt.date.fromisoformat(claims["d"])
    to_verify = cbor2.dumps(["Signature1", protected, b"", payload])
    return claims, header[4].hex(), to_verify, signature


def parse_rgc1(text: str) -> tuple[dict, str, bytes, bytes]:
    """The first format (base32 of a fixed binary layout), still found on certificates printed before RGC2."""
    body = text[5:]
    raw = base64.b32decode(body + "=" * (-len(body) % 8))
    pos = 0

    def take(n: int) -> bytes:
        nonlocal pos
        if pos + n > len(raw):
            raise Invalid("truncated")
        pos += n
        return raw[pos - n:pos]

    if take(1) != b"\x01":
        raise Invalid("RGC1 version must be 1")
    kind = take(take(1)[0]).decode("ascii")
    date = dt.date.fromordinal(struct.unpack(">I", take(4))[0])
    office = take(take(1)[0]).decode("ascii")
    number = take(take(1)[0]).decode("ascii")
    digest, key_id = take(16), take(8)
    signed = b"RGC1" + raw[:pos]
    signature = take(64)
    if pos != len(raw) or kind not in TYPES:
        raise Invalid("RGC1 layout wrong")
    return {"t": kind, "n": number, "d": date.isoformat(), "o": office, "h": digest}, key_id.hex(), signed, signature


def holders_digest(pairs: list[tuple[str, str]]) -> bytes:
    def name(n: str) -> str:
        return re.sub(r"[\s\u00b7\u2022\u2027\u30fb\u2219.]+", "", unicodedata.normalize("NFKC", n).upper())

    def number(i: str) -> str:
        return re.sub(r"\s+", "", unicodedata.normalize("NFKC", i)).upper()

    items = sorted(f"{name(n)}\x1f{number(i)}" for n, i in pairs)
    return hashlib.sha256("\x1e".join(items).encode("utf-8")).digest()[:16]


def verify(text: str, keys: dict[str, Ed25519PublicKey]) -> dict:
    text = text.strip("\r\n")
    if text.startswith("RGC2:"):
        claims, key_id, signed, signature = parse_rgc2(text)
    elif text.startswith("RGC1:"):
        claims, key_id, signed, signature = parse_rgc1(text)
    else:
        raise Invalid("not a registry certificate credential (RGC2: or RGC1:)")
    if key_id not in keys:
        raise Invalid(f"issued with key {key_id}, which is not among the keys given")
    try:
        keys[key_id].verify(signature, signed)
    except InvalidSignature:
        raise Invalid("signature does not match: the content was changed or not issued by this key") from None
    return {"type": claims["t"], "type_name": TYPES[claims["t"]], "number": claims["n"],
            "registration_date": claims["d"], "office_code": claims["o"], "key_id": key_id,
            "holders_digest": claims["h"].hex()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("text", nargs="?", help="the scanned QR text; read from standard input when absent")
    ap.add_argument("--key", action="append", required=True, help="an office .pub file (repeat for several)")
    ap.add_argument("--holder", nargs=2, action="append", metavar=("NAME", "ID_NUMBER"),
                    help="a person named on the certificate, from their ID card (give every holder)")
    args = ap.parse_args(argv)
    keys = {}
    for path in args.key:
        try:
            key_id, key, _owner = load_key(path)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            print(f"key file {path}: {exc}", file=sys.stderr)
            return 2
        keys[key_id] = key
    text = args.text if args.text is not None else sys.stdin.read()
    try:
        result = verify(text, keys)
    except (Invalid, ValueError, TypeError, KeyError, struct.error, OverflowError) as exc:
        print(json.dumps({"valid": False, "reason": str(exc)}, ensure_ascii=False))
        return 1
    result["valid"] = True
    if args.holder:
        result["holders_match"] = holders_digest([tuple(h) for h in args.holder]).hex() == result["holders_digest"]
        result["valid"] = result["holders_match"]
    print(json.dumps(result, ensure_ascii=False))
    return 0 if result["valid"] else 1


if __name__ == "__main__":
    sys.exit(main())
