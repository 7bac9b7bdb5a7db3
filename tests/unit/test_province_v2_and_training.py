"""Format version 2 on both sides: the manifest carries the audit chain head and the training flag, the
acknowledgement repeats the head; version 1 files are still read. A training batch is refused by the
province unless it is told to accept one. Both sides check the same schemas."""
from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator

from registry_app.errors import RegistryError
from registry_app.sync.ack import parse_ack
from registry_app.sync.batch import make_manifest
from registry_app.sync.province import ProvinceState, accept_batch, build_ack, validate_batch
from registry_app.sync.schemas import schemas_dir
from registry_app.sync.signed import sign_document
from tests.unit.test_province_side import DAY, KEYS, OFFICE, PROVINCE, batch, crafted, event, refused

HEAD = {"seq": 41, "hash": "ab" * 32}


def v2(seqs=(1, 2), training=False, **over) -> bytes:
    return batch(list(seqs), audit_head=HEAD, training=training, **over)


def test_a_v2_batch_carries_the_head_and_is_accepted():
    report = validate_batch(v2(), KEYS, ProvinceState())
    assert report.acceptable, report.problem_dicts()
    assert (report.manifest["format_version"], report.manifest["audit_head"], report.manifest["training"]) == (
        2, HEAD, False)


def test_a_v1_batch_is_still_accepted_and_answered_in_v1():
    report = validate_batch(batch([1, 2]), KEYS, ProvinceState())
    assert report.acceptable and report.manifest["format_version"] == 1 and "audit_head" not in report.manifest
    ack = parse_ack(build_ack(report.opened, province_key=PROVINCE, created_at="2026-11-24T08:00:00+08:00"),
                    [PROVINCE.public])
    assert (ack.version, ack.audit_head, ack.repeats_head) == (1, None, False)


def test_the_ack_of_a_v2_batch_repeats_its_head_under_the_province_signature():
    report = validate_batch(v2(), KEYS, ProvinceState())
    data = build_ack(report.opened, province_key=PROVINCE, created_at="2026-11-24T08:00:00+08:00")
    ack = parse_ack(data, [PROVINCE.public])
    assert (ack.version, ack.audit_head, ack.repeats_head) == (2, HEAD, True)
    head, body = data.split(b"\n")[:2]
    changed = body.replace(HEAD["hash"].encode(), b"cd" * 32)
    with pytest.raises(RegistryError) as err:
        parse_ack(head + b"\n" + changed + b"\n", [PROVINCE.public])
    assert err.value.code == "ACK_BAD_SIGNATURE"


@pytest.mark.parametrize("training, accept, acceptable", [(True, False, False), (True, True, True),
                                                          (False, False, True)])
def test_a_training_batch_is_refused_unless_accepted(training, accept, acceptable):
    state = ProvinceState()
    report = validate_batch(v2(training=training), KEYS, state, accept_training=accept)
    assert report.acceptable == acceptable
    if not acceptable:
        assert report.codes() == ["BATCH_TRAINING"]
        with pytest.raises(RegistryError) as err:
            build_ack(report.opened, province_key=PROVINCE, created_at="2026-11-24T08:00:00+08:00")
        assert err.value.code == "BATCH_TRAINING"
        assert state.office("320102").last_batch_seq == 0
    else:
        accept_batch(report, state)
        build_ack(report.opened, province_key=PROVINCE, created_at="2026-11-24T08:00:00+08:00",
                  accept_training=accept)


def test_training_needs_a_v2_manifest():
    with pytest.raises(RegistryError) as err:
        make_manifest([], "0" * 64, office_code="320102", business_date=DAY, batch_seq=1, prev_batch_hash=None,
                      created_at=f"{DAY}T18:00:00+08:00", office_key=OFFICE, training=True)
    assert err.value.code == "BATCH_SCHEMA"


@pytest.mark.parametrize("changes, code", [
    ({"format_version": 2}, "BATCH_SCHEMA"),                                  # v2 without a head
    ({"format_version": 2, "audit_head": HEAD}, "BATCH_SCHEMA"),              # nor the training flag
    ({"format_version": 2, "audit_head": {"seq": -1, "hash": "ab" * 32}, "training": False}, "BATCH_SCHEMA"),
    ({"format_version": 2, "audit_head": {"seq": 1, "hash": "AB" * 32}, "training": False}, "BATCH_SCHEMA"),
    ({"format_version": 2, "audit_head": HEAD, "training": "no"}, "BATCH_SCHEMA"),
    ({"audit_head": HEAD, "training": False}, "BATCH_SCHEMA"),               # v1 with v2 fields
    ({"format_version": 3}, "FORMAT_VERSION_UNSUPPORTED"),
])
def test_manifest_version_and_fields_must_agree(changes, code):
    assert set(refused(crafted([event(1)], **changes))) == {code}


def test_a_v2_ack_with_a_malformed_head_or_out_of_range_numbers_is_refused():
    report = validate_batch(v2(), KEYS, ProvinceState())
    body = json.loads(build_ack(report.opened, province_key=PROVINCE, created_at="2026-11-24T08:00:00+08:00")
                      .split(b"\n")[1])
    for path, value in ((("batch", "audit_head"), {"seq": 1}), (("batch", "batch_seq"), 10**30),
                        (("batch", "business_date"), "2026-13-45"), (("created_at",), "yesterday")):
        doc = json.loads(json.dumps(body))
        doc[path[0]] = value if len(path) == 1 else {**doc[path[0]], path[1]: value}
        with pytest.raises(RegistryError) as err:
            parse_ack(sign_document("registry-ack", doc, PROVINCE, 2), [PROVINCE.public])
        assert err.value.code == "ACK_MALFORMED", path
    del body["batch"]["audit_head"]  # a v2 ack must say what head it confirms, even null
    with pytest.raises(RegistryError) as err:
        parse_ack(sign_document("registry-ack", body, PROVINCE, 2), [PROVINCE.public])
    assert err.value.code == "ACK_MALFORMED"


@pytest.mark.parametrize("name", ["manifest-v2", "ack-v2"])
def test_the_new_schemas_are_valid_2020_12(name):
    Draft202012Validator.check_schema(json.loads((schemas_dir() / f"{name}.schema.json").read_text("utf-8")))
