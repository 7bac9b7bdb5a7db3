"""The first QR format (RGC1, still verified for certificates printed with it): round trip, tampering, unknown keys, voided certificates, holders digest."""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from registry_app.certificates.qr import (
    BAD_SIGNATURE,
    MALFORMED,
    OK,
    UNKNOWN_KEY,
    VOIDED,
    QrFields,
    holders_digest,
    key_id_of,
    qr_matrix,
    qr_png,
    verify_payload,
)
from registry_app.certificates.qr import RGC1_PREFIX as PREFIX
from registry_app.certificates.qr import make_rgc1_payload as make_payload
from registry_app.errors import RegistryError

from tests.unit.qr_sample import COUPLE, FIELDS, KEY, KEYS

PAYLOAD = make_payload(FIELDS, KEY)


def test_round_trip_gives_back_the_fields_and_key():
    result = verify_payload(PAYLOAD, KEYS)
    assert (result.valid, result.reason_code) == (True, OK)
    assert result.fields == FIELDS
    assert result.fields.kind == "marriage"
    assert result.key_id == key_id_of(KEY.public_key())
    assert result.holders_match(reversed(COUPLE))


def test_key_id_is_first_8_bytes_of_sha256_of_raw_public_key():
    raw = KEY.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert key_id_of(KEY.public_key()) == hashlib.sha256(raw).digest()[:8].hex()


def test_text_uses_only_qr_alphanumeric_characters_and_fits_a_version_8_symbol():
    assert PAYLOAD.startswith(PREFIX)
    assert set(PAYLOAD) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567:1")
    assert len(qr_matrix(PAYLOAD)) <= 49   # version 8: ~0.4 mm modules on a 25 mm QR


def test_every_single_character_change_is_rejected():
    body = PAYLOAD[len(PREFIX):]
    for i, ch in enumerate(body):
        replacement = "A" if ch != "A" else "B"
        tampered = PREFIX + body[:i] + replacement + body[i + 1:]
        result = verify_payload(tampered, KEYS)
        assert not result.valid, i
        assert result.reason_code in (BAD_SIGNATURE, MALFORMED, UNKNOWN_KEY), i


def test_a_changed_byte_in_the_signed_part_is_a_bad_signature():
    raw = bytearray(base64.b32decode(PAYLOAD[len(PREFIX):] + "=" * (-len(PAYLOAD[len(PREFIX):]) % 8)))
    number_at = raw.index(b"J320102")
    raw[number_at + 8] ^= 0x01            # J320102-2026-000123 -> another number
    tampered = PREFIX + base64.b32encode(bytes(raw)).decode().rstrip("=")
    assert verify_payload(tampered, KEYS).reason_code == BAD_SIGNATURE


def test_unknown_key():
    other = Ed25519PrivateKey.generate()
    result = verify_payload(PAYLOAD, {key_id_of(other.public_key()): other.public_key()})
    assert (result.valid, result.reason_code) == (False, UNKNOWN_KEY)


def test_key_listed_under_the_right_id_but_different_is_a_bad_signature():
    other = Ed25519PrivateKey.generate()
    result = verify_payload(PAYLOAD, {key_id_of(KEY.public_key()): other.public_key()})
    assert result.reason_code == BAD_SIGNATURE


def test_raw_public_key_bytes_are_accepted():
    raw = KEY.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert verify_payload(PAYLOAD, {key_id_of(KEY.public_key()): raw}).valid


def test_voided_certificate():
    asked = []

    def revoked(number: str) -> str | None:
        asked.append(number)
        return "证书打印错误已作废" if number == FIELDS.number else None

    result = verify_payload(PAYLOAD, KEYS, revoked)
    assert (result.valid, result.reason_code) == (False, VOIDED)
    assert "证书打印错误已作废" in result.reason
    assert asked == [FIELDS.number]
    assert verify_payload(PAYLOAD, KEYS, lambda number: None).reason_code == OK


def test_revocation_is_not_consulted_for_a_forged_payload():
    other = Ed25519PrivateKey.generate()
    forged = make_payload(FIELDS, other)
    keys = {key_id_of(other.public_key()): KEY.public_key()}
    called = []
    assert verify_payload(forged, keys, lambda n: called.append(n)).reason_code == BAD_SIGNATURE
    assert called == []


def test_holders_digest_normalises_and_ignores_order():
    assert len(holders_digest(COUPLE)) == 16
    assert holders_digest(COUPLE) == holders_digest(list(reversed(COUPLE)))
    assert holders_digest([(" 张伟 ", "32010219950308123x"), ("欧阳晓雯", "3201021997 11211248")]) == holders_digest(COUPLE)
    assert holders_digest([("阿依古丽·买买提", "1")]) == holders_digest([("阿依古丽•买买提", "1")])
    assert holders_digest([("ＪＯＨＮ smith", "E1234567")]) == holders_digest([("John Smith", "E1234567")])
    assert holders_digest([("张伟", "32010219950308123X")]) != holders_digest(COUPLE)
    assert holders_digest([("张伟", "32010219950308123X"), ("欧阳晓雯", "320102199711211249")]) != holders_digest(COUPLE)


def test_make_payload_rejects_fields_it_cannot_encode():
    with pytest.raises(RegistryError) as err:
        make_payload(QrFields("结婚-1", "J", dt.date(2026, 1, 1), "320102", bytes(16)), KEY)
    assert err.value.code == "QR_INVALID_FIELDS"
    with pytest.raises(RegistryError):
        make_payload(QrFields("J1", "Q", dt.date(2026, 1, 1), "320102", bytes(16)), KEY)
    with pytest.raises(RegistryError):
        make_payload(QrFields("J1", "J", dt.date(2026, 1, 1), "320102", bytes(8)), KEY)


@pytest.mark.parametrize("text", ["", "RGC1:", "RGC1:====", "RGC1:abc", "RGC2:" + PAYLOAD[5:], PAYLOAD + "A",
                                  PAYLOAD[:-8], "RGC1:" + "A" * 1000, "http://example.invalid/cert"])
def test_malformed_examples(text):
    result = verify_payload(text, KEYS)
    assert (result.valid, result.reason_code) == (False, MALFORMED)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_arbitrary_text_never_raises_and_never_verifies(text):
    result = verify_payload(text, KEYS)
    assert not result.valid


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", max_size=260))
def test_arbitrary_base32_after_the_prefix_never_raises_and_never_verifies(body):
    assert not verify_payload(PREFIX + body, KEYS).valid


@settings(max_examples=100, deadline=None)
@given(st.binary(min_size=0, max_size=160))
def test_arbitrary_binary_records_never_raise(raw):
    text = PREFIX + base64.b32encode(raw).decode().rstrip("=")
    assert verify_payload(text, KEYS).reason_code in (MALFORMED, UNKNOWN_KEY)


def test_qr_png_decodes_to_the_payload():
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    image = Image.open(io.BytesIO(qr_png(PAYLOAD)))
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [PAYLOAD]
