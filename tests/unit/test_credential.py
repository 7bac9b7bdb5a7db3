"""The RGC2 credential (COSE_Sign1 over CBOR claims, zlib, Base45) read by pycose, not by the project's code."""
from __future__ import annotations

import zlib

import base45
import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st
from pycose.algorithms import EdDSA
from pycose.headers import KID, Algorithm
from pycose.keys import OKPKey
from pycose.keys.curves import Ed25519
from pycose.messages import Sign1Message

from registry_app.certificates import credential
from registry_app.certificates.qr import (
    BAD_SIGNATURE,
    MALFORMED,
    OK,
    UNKNOWN_KEY,
    VOIDED,
    holders_digest,
    key_id_of,
    make_payload,
    make_rgc1_payload,
    verify_payload,
)

from tests.unit.qr_sample import COUPLE, FIELDS, KEY, KEYS

PAYLOAD = make_payload(FIELDS, KEY)


def pycose_message(text: str) -> Sign1Message:
    """Decode with base45/zlib/cbor2 and hand the parts to pycose (cbor2 6 gives immutable tag contents)."""
    assert text.startswith("RGC2:")
    tagged = cbor2.loads(zlib.decompress(base45.b45decode(text[5:])))
    assert isinstance(tagged, cbor2.CBORTag) and tagged.tag == 18
    protected, unprotected, payload, signature = tagged.value
    return Sign1Message.from_cose_obj([protected, dict(unprotected), payload, signature], True)


def pycose_verifies(text: str, private: Ed25519PrivateKey = KEY) -> bool:
    msg = pycose_message(text)
    msg.key = OKPKey(crv=Ed25519, x=private.public_key().public_bytes_raw())
    return msg.verify_signature()


def test_pycose_verifies_the_credential_with_the_office_public_key():
    assert pycose_verifies(PAYLOAD)
    msg = pycose_message(PAYLOAD)
    assert msg.get_attr(Algorithm) is EdDSA
    assert msg.get_attr(KID).hex() == key_id_of(KEY.public_key())     # kid = office key id
    claims = cbor2.loads(msg.payload)
    assert claims == {"v": 1, "t": "J", "n": "J320102-2026-000123", "d": "2026-06-15", "o": "320102",
                      "h": holders_digest(COUPLE)}


def test_no_personal_data_in_clear():
    claims = cbor2.loads(pycose_message(PAYLOAD).payload)
    flat = repr(claims)
    for name, number in COUPLE:
        assert name not in flat and number not in flat


def test_pycose_refuses_another_key_and_a_changed_claim():
    assert not pycose_verifies(PAYLOAD, Ed25519PrivateKey.generate())
    tagged = cbor2.loads(zlib.decompress(base45.b45decode(PAYLOAD[5:])))
    protected, _unprotected, payload, signature = tagged.value
    claims = cbor2.loads(payload)
    claims["n"] = "J320102-2026-000124"
    forged = cbor2.dumps(cbor2.CBORTag(18, [protected, {}, cbor2.dumps(claims), signature]))
    forged_text = "RGC2:" + base45.b45encode(zlib.compress(forged)).decode()
    assert not pycose_verifies(forged_text)
    assert verify_payload(forged_text, KEYS).reason_code == BAD_SIGNATURE


def test_round_trip_and_both_formats_verify():
    result = verify_payload(PAYLOAD, KEYS)
    assert (result.valid, result.reason_code, result.fields) == (True, OK, FIELDS)
    assert result.holders_match(reversed(COUPLE))
    old = make_rgc1_payload(FIELDS, KEY)
    assert old.startswith("RGC1:") and verify_payload(old, KEYS).fields == FIELDS


def test_unknown_key_and_voided():
    other = Ed25519PrivateKey.generate()
    assert verify_payload(make_payload(FIELDS, other), KEYS).reason_code == UNKNOWN_KEY
    result = verify_payload(PAYLOAD, KEYS, revoked=lambda number: "已撤销" if number == FIELDS.number else None)
    assert (result.valid, result.reason_code) == (False, VOIDED)


def test_every_single_character_change_is_rejected():
    body = PAYLOAD[5:]
    for i in range(len(body)):
        replacement = "0" if body[i] != "0" else "1"
        assert not verify_payload("RGC2:" + body[:i] + replacement + body[i + 1:], KEYS).valid


def test_zlib_bomb_and_trailing_data_are_malformed():
    bomb = "RGC2:" + base45.b45encode(zlib.compress(b"\x00" * 100_000)).decode()
    assert verify_payload(bomb, KEYS).reason_code == MALFORMED
    raw = zlib.decompress(base45.b45decode(PAYLOAD[5:]))
    trailing = "RGC2:" + base45.b45encode(zlib.compress(raw) + b"x").decode()
    assert verify_payload(trailing, KEYS).reason_code == MALFORMED


@pytest.mark.parametrize("claims", [
    {"v": 2, "t": "J", "n": "J1", "d": "2026-06-15", "o": "320102", "h": bytes(16)},
    {"v": 1, "t": "Q", "n": "J1", "d": "2026-06-15", "o": "320102", "h": bytes(16)},
    {"v": 1, "t": "J", "n": "J1", "d": "2026-02-30", "o": "320102", "h": bytes(16)},
    {"v": 1, "t": "J", "n": "J1", "d": "2026-06-15", "o": "320102", "h": bytes(8)},
    {"v": 1, "t": "J", "n": "结婚1", "d": "2026-06-15", "o": "320102", "h": bytes(16)},
    {"v": 1, "t": "J", "n": "J1", "d": "2026-06-15", "o": "320102", "h": bytes(16), "name": "张伟"},
])
def test_claims_outside_the_format_are_malformed_even_when_signed(claims):
    text = credential.sign(claims, KEY)
    assert verify_payload(text, KEYS).reason_code == MALFORMED


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:", max_size=400))
def test_hostile_base45_text_never_raises(body):
    result = verify_payload("RGC2:" + body, KEYS)
    assert not result.valid


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_hostile_compressed_bytes_never_raise(blob):
    for data in (blob, zlib.compress(blob)):
        assert not verify_payload("RGC2:" + base45.b45encode(data).decode(), KEYS).valid
