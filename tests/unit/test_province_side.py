"""Receiving side: every way a batch can be wrong is refused with its own code and leaves the
province's state as it was; acknowledgements and reference extracts verify and refuse tampering."""
from __future__ import annotations

import json
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry_app.errors import RegistryError
from registry_app.sync import container
from registry_app.sync.ack import parse_ack
from registry_app.sync.batch import batch_chain_hash, build_batch, encode_batch, make_manifest
from registry_app.sync.canonical import canonical_json
from registry_app.sync.keys import KeyRing, OfficeKeyPair, ProvinceKeyPair
from registry_app.sync.province import (ProvinceState, ReceiverKeys, accept_batch, build_ack, open_batch,
                                        validate_batch)
from registry_app.sync.province_state import load_state, save_state
from registry_app.sync.reference import build_reference, id_hash, parse_reference
from registry_app.sync.signed import sign_document

OFFICE = OfficeKeyPair.generate("320102")
OTHER_OFFICE = OfficeKeyPair.generate("320103")
ROGUE = OfficeKeyPair.generate("320102")          # right office code, key nobody registered
PROVINCE = ProvinceKeyPair.generate("32")
OTHER_PROVINCE = ProvinceKeyPair.generate("32")
KEYS = ReceiverKeys([PROVINCE], KeyRing.of([OFFICE.public, OTHER_OFFICE.public]))
DAY = "2026-11-23"
ID_A, ID_B = "11010519950307001X", "320102199708210024"


def event(seq: int, kind: str = "marriage.registered") -> dict:
    data = {"serial": f"Z{seq:08d}"} if kind == "blank.spoiled" else {
        "certificate_no": f"J320102-2026-{seq:06d}", "blank_serial": f"Z{seq:08d}",
        "registration_date": DAY,
        "parties": [{"name": "张伟", "id_number": ID_A, "birth_date": "1995-03-07"},
                    {"name": "李娜", "id_number": ID_B, "birth_date": "1997-08-21"}]}
    return {"event_id": str(uuid.UUID(int=seq)), "seq": seq, "event_type": kind,
            "occurred_at": f"{DAY}T10:00:00+08:00", "record_id": seq, "data": data}


def batch(seqs, batch_seq=1, prev=None, day=DAY, **over) -> bytes:
    args = dict(office_code="320102", business_date=day, batch_seq=batch_seq, prev_batch_hash=prev,
                created_at=f"{day}T18:00:00+08:00", office_key=OFFICE, province_public=PROVINCE.public)
    args.update(over)
    return build_batch([event(s) for s in seqs], **args)


def crafted(events: list, *, sign_with=OFFICE, manifest_key=OFFICE, payload_events=None, **changes) -> bytes:
    """A batch that is wrong in exactly one way, signed so that only the intended check can catch it."""
    payload = canonical_json(events)
    manifest = make_manifest(events, container.sha256_hex(payload), office_code=manifest_key.office_code, business_date=DAY,
                             batch_seq=1, prev_batch_hash=None, created_at=f"{DAY}T18:00:00+08:00",
                             office_key=manifest_key)
    manifest.update(changes)
    if payload_events is not None:
        payload = canonical_json(payload_events)
    return encode_batch(manifest, payload, office_key=sign_with, province_public=PROVINCE.public)


def flip(data: bytes, offset: int, mask: int = 0x01) -> bytes:
    return data[:offset] + bytes([data[offset] ^ mask]) + data[offset + 1:]


def refused(data: bytes, state: ProvinceState | None = None) -> list[str]:
    """Validate and check the two promises of a refusal: not acceptable, state untouched."""
    state = state or ProvinceState()
    before = state.to_json()
    report = validate_batch(data, KEYS, state)
    assert not report.acceptable
    assert report.problems
    with pytest.raises(RegistryError) as err:
        accept_batch(report, state)
    assert err.value.code == "BATCH_NOT_ACCEPTABLE"
    assert state.to_json() == before
    return report.codes()


GOOD = batch([1, 2, 3])
H = container.HEADER.size


def test_good_batch_is_accepted_and_advances_state():
    state = ProvinceState()
    report = validate_batch(GOOD, KEYS, state)
    assert report.acceptable, report.problems
    assert [e["seq"] for e in report.events] == [1, 2, 3]
    accept_batch(report, state)
    office = state.office("320102")
    assert (office.last_batch_seq, office.last_event_seq) == (1, 3)
    assert office.last_chain_hash == batch_chain_hash(GOOD)
    nxt = batch([4, 5], batch_seq=2, prev=batch_chain_hash(GOOD), day="2026-11-24")
    report2 = validate_batch(nxt, KEYS, state)
    assert report2.acceptable, report2.problems
    accept_batch(report2, state)
    assert state.office("320102").last_event_seq == 5


@pytest.mark.parametrize("length", [0, 1, 7, 8, 9, 10, 50, H - 1, H, H + 15, len(GOOD) - 16, len(GOOD) - 1])
def test_truncated_file(length):
    assert refused(GOOD[:length]) == ["BATCH_TRUNCATED"]


@pytest.mark.parametrize("offset, code", [
    (0, "BATCH_BAD_MAGIC"),
    (7, "BATCH_BAD_MAGIC"),
    (9, "FORMAT_VERSION_UNSUPPORTED"),
    (12, "BATCH_WRONG_RECIPIENT"),            # recipient key id
    (20, "BATCH_DECRYPT_FAILED"),             # ephemeral public key
    (52, "BATCH_DECRYPT_FAILED"),             # office code in clear
    (60, "BATCH_DECRYPT_FAILED"),             # business date in clear
    (67, "BATCH_DECRYPT_FAILED"),             # batch sequence in clear
    (80, "BATCH_DECRYPT_FAILED"),             # chain hash in clear
    (H + 5, "BATCH_DECRYPT_FAILED"),          # ciphertext
    (len(GOOD) - 20, "BATCH_DECRYPT_FAILED"),  # last ciphertext bytes
    (len(GOOD) - 1, "BATCH_DECRYPT_FAILED"),  # GCM tag
])
def test_one_flipped_byte(offset, code):
    assert refused(flip(GOOD, offset)) == [code]


def test_length_field_flipped_reads_as_truncated():
    assert refused(flip(GOOD, H - 4, 0x80)) == ["BATCH_TRUNCATED"]


def test_extra_bytes_after_the_end():
    assert refused(GOOD + b"\x00") == ["BATCH_TRAILING_DATA"]


def test_future_envelope_version():
    future = GOOD[:8] + (2).to_bytes(2, "big") + GOOD[10:]
    assert refused(future) == ["FORMAT_VERSION_UNSUPPORTED"]


def test_future_manifest_version():
    assert refused(crafted([event(1)], format_version=3)) == ["FORMAT_VERSION_UNSUPPORTED"]


def test_wrong_province_key():
    assert refused(batch([1], province_public=OTHER_PROVINCE.public)) == ["BATCH_WRONG_RECIPIENT"]


def test_rotated_province_keys_open_batches_to_either():
    keys = ReceiverKeys([OTHER_PROVINCE, PROVINCE], KEYS.offices)
    for recipient in (PROVINCE, OTHER_PROVINCE):
        report = validate_batch(batch([1], province_public=recipient.public), keys, ProvinceState())
        assert report.acceptable, report.problems


def test_unknown_office_key():
    assert refused(batch([1], office_key=ROGUE)) == ["OFFICE_KEY_UNKNOWN"]


def test_key_of_another_office():
    assert refused(crafted([event(1)], sign_with=OTHER_OFFICE, manifest_key=OTHER_OFFICE,
                           office_code="320102")) == ["OFFICE_KEY_WRONG_OFFICE"]


def test_bad_signature():
    assert refused(crafted([event(1)], sign_with=ROGUE)) == ["BATCH_BAD_SIGNATURE"]


def test_embedded_office_key_must_match_trusted_key():
    assert refused(crafted([event(1)], office_public_key=OTHER_OFFICE.public.to_dict()["ed25519"])) \
        == ["OFFICE_KEY_MISMATCH"]


def test_payload_hash_mismatch():
    changed = event(1)
    changed["data"]["parties"][0]["name"] = "王伟"
    assert refused(crafted([event(1)], payload_events=[changed])) == ["PAYLOAD_HASH_MISMATCH"]


def test_clear_header_must_match_signed_manifest():
    events = [event(1)]
    payload = canonical_json(events)
    manifest = make_manifest(events, container.sha256_hex(payload), office_code="320102", business_date=DAY, batch_seq=1,
                             prev_batch_hash=None, created_at=f"{DAY}T18:00:00+08:00", office_key=OFFICE)
    manifest_bytes = canonical_json(manifest)
    plaintext = container.frame(manifest_bytes, OFFICE.private.sign(container.SIGNATURE_CONTEXT + manifest_bytes),
                                payload)
    data = container.seal(plaintext, recipient=PROVINCE.encryption.public_key(), recipient_key_id=PROVINCE.key_id,
                          office_code="320102", business_date=DAY, batch_seq=9,
                          content_sha256=container.sha256_hex(manifest_bytes))
    assert refused(data) == ["BATCH_HEADER_MISMATCH"]


def test_manifest_schema_violation():
    assert refused(crafted([event(1)], created_at="soon")) == ["BATCH_SCHEMA"]


def test_event_schema_violation_names_the_event():
    bad = event(2)
    del bad["data"]["registration_date"]
    state = ProvinceState()
    assert refused(crafted([event(1), bad]), state) == ["BATCH_SCHEMA"]
    report = validate_batch(crafted([event(1), bad]), KEYS, state)
    assert report.problems[0].event_id == bad["event_id"]
    assert "/data" in report.problems[0].message


def test_reordered_events_are_caught_only_by_the_sequence_check():
    events = [event(1), event(3), event(2), event(4)]
    assert refused(crafted(events)) == ["EVENT_SEQ_ORDER"]


@pytest.mark.parametrize("seqs, code", [([1, 2, 4], "EVENT_SEQ_GAP"), ([1, 2, 2], "EVENT_SEQ_REPEAT")])
def test_event_sequence_faults_inside_a_batch(seqs, code):
    events = [event(s) for s in seqs]
    events[-1]["event_id"] = str(uuid.UUID(int=99))
    assert refused(crafted(events)) == [code]


def test_same_event_id_twice():
    twin = {**event(2), "event_id": event(1)["event_id"]}
    assert refused(crafted([event(1), twin])) == ["EVENT_ID_REPEAT"]


@pytest.mark.parametrize("change", [
    {"event_count": 3},
    {"counts": {"marriage.registered": 1, "blank.spoiled": 1}},
    {"last_event_seq": 3},
])
def test_counts_mismatch(change):
    assert refused(crafted([event(1), event(2)], **change)) == ["COUNTS_MISMATCH"]


@pytest.fixture
def state_after_first():
    state = ProvinceState()
    accept_batch(validate_batch(GOOD, KEYS, state), state)
    return state


def test_replay_of_accepted_batch(state_after_first):
    assert refused(GOOD, state_after_first) == ["BATCH_REPLAY"]
    # a fresh encryption of the same batch is the same replay
    assert refused(batch([1, 2, 3]), state_after_first) == ["BATCH_REPLAY"]


def test_skipped_batch_sequence(state_after_first):
    assert refused(batch([4], batch_seq=3, prev=batch_chain_hash(GOOD)), state_after_first) == ["BATCH_SEQ_GAP"]


def test_first_batch_of_an_office_must_be_number_one():
    assert refused(batch([1], batch_seq=2, prev="00" * 32)) == ["BATCH_SEQ_GAP"]


def test_broken_chain(state_after_first):
    assert refused(batch([4], batch_seq=2, prev="00" * 32), state_after_first) == ["BATCH_CHAIN_BROKEN"]


def test_chain_survives_re_export_of_the_previous_batch(state_after_first):
    re_exported = batch([1, 2, 3])  # other file bytes, same signed content
    nxt = batch([4], batch_seq=2, prev=batch_chain_hash(re_exported))
    assert validate_batch(nxt, KEYS, state_after_first).acceptable


@pytest.mark.parametrize("seqs, code", [([5, 6], "EVENT_SEQ_GAP"), ([3, 4], "EVENT_SEQ_REPEAT")])
def test_event_sequence_must_continue_across_batches(state_after_first, seqs, code):
    assert refused(batch(seqs, batch_seq=2, prev=batch_chain_hash(GOOD)), state_after_first) == [code]


def test_business_date_must_not_go_backwards(state_after_first):
    assert refused(batch([4], batch_seq=2, prev=batch_chain_hash(GOOD), day="2026-11-22"),
                   state_after_first) == ["BATCH_DATE_ORDER"]


def test_stale_report_cannot_advance_state_twice():
    state = ProvinceState()
    first, second = validate_batch(GOOD, KEYS, state), validate_batch(GOOD, KEYS, state)
    accept_batch(first, state)
    before = state.to_json()
    with pytest.raises(RegistryError) as err:
        accept_batch(second, state)
    assert err.value.code == "BATCH_STALE_REPORT"
    assert state.to_json() == before


def test_state_file_round_trip(tmp_path, state_after_first):
    path = tmp_path / "province-state.json"
    save_state(path, state_after_first)
    assert load_state(path) == state_after_first
    assert load_state(tmp_path / "absent.json") == ProvinceState()
    with pytest.raises(RegistryError) as err:
        ProvinceState.from_json(b'{"format":"other"}')
    assert err.value.code == "STATE_MALFORMED"


# --- acknowledgements -------------------------------------------------------------------------

def opened_good():
    return open_batch(GOOD, PROVINCE, KEYS.offices)


def make_ack(**over) -> bytes:
    args = dict(province_key=PROVINCE, rejects={event(2)["event_id"]: "R002"},
                conflicts={event(3)["event_id"]: "C001"}, created_at="2026-11-24T08:00:00+08:00")
    args.update(over)
    return build_ack(opened_good(), **args)


def test_ack_round_trip():
    ack = parse_ack(make_ack(), [PROVINCE.public])
    assert (ack.office_code, ack.batch_seq, ack.business_date) == ("320102", 1, DAY)
    assert ack.content_sha256 == batch_chain_hash(GOOD)
    assert [(e.seq, e.status, e.code, e.message) for e in ack.entries] == [
        (1, "accepted", None, None), (2, "rejected", "R002", "证件号码无效"),
        (3, "conflict", "C001", "一方在他处已有婚姻登记")]


def test_ack_with_a_code_not_in_the_table_has_no_message():
    ack = parse_ack(make_ack(rejects={event(1)["event_id"]: "R555"}, conflicts={}), [PROVINCE.public])
    assert (ack.entries[0].code, ack.entries[0].message) == ("R555", None)


@pytest.mark.parametrize("over, code", [
    ({"rejects": {str(uuid.uuid4()): "R001"}}, "ACK_UNKNOWN_EVENT"),
    ({"rejects": {event(3)["event_id"]: "R001"}}, "ACK_DOUBLE_STATUS"),
    ({"rejects": {event(2)["event_id"]: "C001"}}, "ACK_BAD_REASON"),
    ({"conflicts": {event(3)["event_id"]: "bad"}}, "ACK_BAD_REASON"),
])
def test_ack_build_refusals(over, code):
    with pytest.raises(RegistryError) as err:
        make_ack(**over)
    assert err.value.code == code


def _ack_variants():
    good = make_ack()
    head, body = good.split(b"\n")[:2]
    header = json.loads(head)
    return {
        "body changed": (good.replace(b'"status":"rejected"', b'"status":"accepted"'), "ACK_BAD_SIGNATURE"),
        "signature changed": (head.replace(b'"signature":"', b'"signature":"AA') + b"\n" + body + b"\n",
                              "ACK_BAD_SIGNATURE"),
        "untrusted key": (make_ack(province_key=OTHER_PROVINCE), "ACK_KEY_UNKNOWN"),
        "future version": (canonical_json({**header, "version": 3}) + b"\n" + body + b"\n",
                           "FORMAT_VERSION_UNSUPPORTED"),
        "not json": (b"hello\nworld\n", "ACK_MALFORMED"),
        "one line": (head + b"\n", "ACK_MALFORMED"),
        "reference instead": (build_reference([], PROVINCE, "2026-11-24"), "ACK_MALFORMED"),
        "signed but wrong summary": (sign_document("registry-ack", {
            **json.loads(body), "summary": {"accepted": 3, "rejected": 0, "conflict": 0}}, PROVINCE),
            "ACK_MALFORMED"),
    }


@pytest.mark.parametrize("name", list(_ack_variants()))
def test_ack_refusals(name):
    data, code = _ack_variants()[name]
    with pytest.raises(RegistryError) as err:
        parse_ack(data, [PROVINCE.public])
    assert err.value.code == code


def test_ack_signed_by_an_office_key_is_not_trusted():
    forged = sign_document("registry-ack", json.loads(make_ack().split(b"\n")[1]),
                           ProvinceKeyPair(  # an office key dressed up as a signer
                               "32", OFFICE.private, PROVINCE.encryption))
    with pytest.raises(RegistryError) as err:
        parse_ack(forged, [PROVINCE.public, OFFICE.public])
    assert err.value.code == "ACK_KEY_UNKNOWN"


# --- reference extract ------------------------------------------------------------------------

def test_reference_round_trip_and_lookup():
    divorce = {**event(9, "marriage.registered"), "event_type": "divorce.issued"}
    divorce["data"]["parties"][1]["id_number"] = "110101198001010053"
    data = build_reference([event(1), divorce], PROVINCE, "2026-11-24T00:00:00+08:00", hmac_key=b"k" * 32,
                           known_statuses={"440101195001010012": "widowed"})
    extract = parse_reference(data, [PROVINCE.public])
    assert extract.as_of == "2026-11-24T00:00:00+08:00"
    assert extract.status_of(ID_A) == "divorced"
    assert extract.status_of(ID_A.lower()) == "divorced"
    assert extract.status_of(ID_B) == "married"
    assert extract.status_of("110101198001010053") == "divorced"
    assert extract.status_of("440101195001010012") == "widowed"
    assert extract.status_of("110101200001010015") is None
    assert extract.entries[id_hash(ID_B, b"k" * 32)] == "married"
    for secret in (ID_A, ID_B, "张伟"):
        assert secret.encode() not in data


def test_reference_key_is_fresh_per_extract():
    a = parse_reference(build_reference([event(1)], PROVINCE, DAY), [PROVINCE.public])
    b = parse_reference(build_reference([event(1)], PROVINCE, DAY), [PROVINCE.public])
    assert a.key != b.key and set(a.entries).isdisjoint(b.entries)
    assert a.status_of(ID_A) == b.status_of(ID_A) == "married"


def test_reference_refusals():
    data = build_reference([event(1)], PROVINCE, DAY)
    with pytest.raises(RegistryError) as err:
        parse_reference(data.replace(b'"married"', b'"divorced"'), [PROVINCE.public])
    assert err.value.code == "REFERENCE_BAD_SIGNATURE"
    with pytest.raises(RegistryError) as err:
        parse_reference(data, [OTHER_PROVINCE.public])
    assert err.value.code == "REFERENCE_KEY_UNKNOWN"
    with pytest.raises(RegistryError) as err:
        build_reference([], PROVINCE, DAY, known_statuses={ID_A: "single"})
    assert err.value.code == "REFERENCE_STATUS"


# --- arbitrary input never escapes as anything but a RegistryError ---------------------------

_fuzz = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_fuzz
@given(st.binary(max_size=400))
def test_open_batch_arbitrary_bytes(data):
    with pytest.raises(RegistryError):
        open_batch(data, PROVINCE, KEYS.offices)


@_fuzz
@given(st.binary(max_size=300))
def test_open_batch_bytes_behind_a_valid_prefix(tail):
    with pytest.raises(RegistryError):
        open_batch(GOOD[:10] + tail, PROVINCE, KEYS.offices)


@_fuzz
@given(st.integers(0, len(GOOD) - 1), st.integers(1, 255))
def test_any_single_byte_change_is_refused(offset, mask):
    report = validate_batch(flip(GOOD, offset, mask), KEYS, ProvinceState())
    assert not report.acceptable and report.problems


@_fuzz
@given(st.binary(max_size=400))
def test_parse_ack_arbitrary_bytes(data):
    with pytest.raises(RegistryError):
        parse_ack(data, [PROVINCE.public])


_json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                            lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                                       max_size=3), max_leaves=10)


@_fuzz
@given(st.dictionaries(st.sampled_from(["format", "version", "key_id", "signature"]), _json_values),
       st.binary(max_size=100))
def test_parse_ack_structured_headers(header, body):
    data = json.dumps(header).encode() + b"\n" + body.replace(b"\n", b"") + b"\n"
    with pytest.raises(RegistryError):
        parse_ack(data, [PROVINCE.public])


@_fuzz
@given(st.binary(max_size=400))
def test_parse_reference_arbitrary_bytes(data):
    with pytest.raises(RegistryError):
        parse_reference(data, [PROVINCE.public])


@_fuzz
@given(_json_values)
def test_signed_but_malformed_reference_bodies(body):
    with pytest.raises(RegistryError):
        parse_reference(sign_document("registry-reference", {"format": "registry-reference",
                                                             "format_version": 1, "x": body}, PROVINCE),
                        [PROVINCE.public])
