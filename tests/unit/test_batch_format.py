"""Office side of the end-of-day batch: what build_batch writes, and what it refuses to write."""
from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry_app.errors import RegistryError
from registry_app.sync import container
from registry_app.sync.batch import batch_chain_hash, batch_file_hash, batch_file_name, build_batch
from registry_app.sync.canonical import canonical_json
from registry_app.sync.keys import KeyRing, OfficeKeyPair, ProvinceKeyPair
from registry_app.sync.province import open_batch

OFFICE = OfficeKeyPair.generate("320102", "2026-01-05T09:00:00+08:00")
PROVINCE = ProvinceKeyPair.generate("32", "2026-01-01T00:00:00+08:00")
TRUSTED = KeyRing.of([OFFICE.public])
DAY = dt.date(2026, 11, 23)
CREATED = "2026-11-23T17:30:00+08:00"


def marriage(seq: int, *, name1: str = "张伟", name2: str = "李娜") -> dict:
    return {
        "event_id": str(uuid.UUID(int=seq)), "seq": seq, "event_type": "marriage.registered",
        "occurred_at": "2026-11-23T10:15:00+08:00", "record_id": 100 + seq,
        "data": {
            "kind": "marriage", "certificate_no": f"J320102-2026-{seq:06d}", "blank_serial": f"Z{seq:08d}",
            "registration_date": "2026-11-23", "variant": "ordinary", "back_entered": False,
            "parties": [
                {"role": "party1", "name": name1, "sex": "M", "birth_date": "1995-03-07",
                 "id_type": "resident_id", "id_number": "11010519950307001X", "nationality": "CHN"},
                {"role": "party2", "name": name2, "sex": "F", "birth_date": "1997-08-21",
                 "id_type": "resident_id", "id_number": "320102199708210024", "nationality": "CHN"},
            ],
        },
    }


def spoiled(seq: int) -> dict:
    return {"event_id": str(uuid.UUID(int=seq)), "seq": seq, "event_type": "blank.spoiled",
            "occurred_at": "2026-11-23T11:00:00+08:00", "record_id": None,
            "data": {"serial": f"Z{seq:08d}", "booklet_type": "marriage", "reason": "打印错位"}}


def build(events, **over) -> bytes:
    args = dict(office_code="320102", business_date=DAY, batch_seq=17, prev_batch_hash="ab" * 32,
                created_at=CREATED, office_key=OFFICE, province_public=PROVINCE.public)
    args.update(over)
    return build_batch(events, **args)


def decrypted(data: bytes) -> bytes:
    header = container.parse_header(data)
    return container.unseal(data, header, PROVINCE.encryption)


def test_round_trip_gives_back_events_and_manifest():
    events = [marriage(5), spoiled(6), marriage(7)]
    data = build(events)
    opened = open_batch(data, PROVINCE, TRUSTED)
    assert opened.events == events
    m = opened.manifest
    assert (m["office_code"], m["business_date"], m["batch_seq"]) == ("320102", "2026-11-23", 17)
    assert m["prev_batch_hash"] == "ab" * 32
    assert m["counts"] == {"marriage.registered": 2, "blank.spoiled": 1}
    assert (m["event_count"], m["first_event_seq"], m["last_event_seq"]) == (3, 5, 7)
    assert m["key_id"] == OFFICE.key_id
    assert m["created_at"] == CREATED


def test_file_starts_with_magic_and_version_and_hides_personal_data():
    data = build([marriage(1)])
    assert data[:10] == b"REGBATCH\x00\x01"
    for secret in ("张伟", "11010519950307001X", "J320102-2026-000001"):
        assert secret.encode("utf-8") not in data


def test_re_export_gives_identical_decrypted_content_but_fresh_encryption():
    events = [marriage(1), spoiled(2)]
    first, second = build(events), build(list(reversed(events)))
    assert first != second                       # new ephemeral key each time
    assert decrypted(first) == decrypted(second)  # manifest, signature and payload byte for byte
    assert batch_chain_hash(first) == batch_chain_hash(second)
    assert batch_file_hash(first) != batch_file_hash(second)


def test_chain_hash_is_sha256_of_the_signed_manifest():
    data = build([marriage(1)])
    manifest_bytes, _sig, _payload = container.unframe(decrypted(data))
    assert batch_chain_hash(data) == container.sha256_hex(manifest_bytes)
    assert batch_file_hash(data) == container.sha256_hex(data)


def test_payload_is_canonical_json():
    data = build([spoiled(2), marriage(1)])
    _m, _s, payload = container.unframe(decrypted(data))
    events = json.loads(payload)
    assert [e["seq"] for e in events] == [1, 2]
    assert payload == json.dumps(events, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def test_empty_day_makes_a_batch_with_no_event_range():
    opened = open_batch(build([], prev_batch_hash=None, batch_seq=1), PROVINCE, TRUSTED)
    assert opened.events == []
    assert (opened.manifest["first_event_seq"], opened.manifest["last_event_seq"]) == (None, None)
    assert opened.manifest["prev_batch_hash"] is None


@pytest.mark.parametrize("office, day, seq, name", [
    ("320102", dt.date(2026, 11, 23), 17, "320102-20261123-000017.rgb"),
    ("110105", "2027-01-02", 1, "110105-20270102-000001.rgb"),
])
def test_file_name(office, day, seq, name):
    assert batch_file_name(office, day, seq) == name


def _without(event: dict, *path: str) -> dict:
    event = json.loads(json.dumps(event))
    target = event
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return event


@pytest.mark.parametrize("bad, path", [
    (_without(marriage(2), "data", "certificate_no"), "/data"),
    (_without(marriage(2), "event_id"), "/"),
    ({**marriage(2), "event_type": "marriage.dissolved"}, "/event_type"),
    ({**marriage(2), "seq": 0}, "/seq"),
    ({**marriage(2), "seq": "2"}, "/seq"),
    ({**marriage(2), "event_id": "not-a-uuid"}, "/event_id"),
    ({**marriage(2), "actor": "clerk"}, "/"),
    ({**spoiled(2), "data": {"reason": "x"}}, "/data"),
    ({**marriage(2), "data": {**marriage(2)["data"], "parties": [marriage(2)["data"]["parties"][0]]}},
     "/data/parties"),
])
def test_schema_violation_is_refused_naming_event_and_path(bad, path):
    with pytest.raises(RegistryError) as err:
        build([marriage(1), bad])
    assert err.value.code == "BATCH_SCHEMA"
    assert err.value.field == path
    label = bad.get("event_id", "第2个事件")
    assert str(label) in err.value.message


@pytest.mark.parametrize("seqs, code", [
    ([1, 3], "BATCH_EVENT_SEQ"),
    ([1, 1], "BATCH_EVENT_SEQ"),
])
def test_sequence_faults_are_refused_before_writing(seqs, code):
    events = [spoiled(s) for s in seqs]
    events[-1]["event_id"] = str(uuid.uuid4())
    with pytest.raises(RegistryError) as err:
        build(events)
    assert err.value.code == code


def test_same_event_twice_is_refused():
    twin = {**spoiled(2), "event_id": spoiled(1)["event_id"]}
    with pytest.raises(RegistryError) as err:
        build([spoiled(1), twin])
    assert err.value.code == "BATCH_EVENT_DUPLICATE"


@pytest.mark.parametrize("over, code", [
    ({"office_code": "320103"}, "BATCH_OFFICE_KEY_MISMATCH"),
    ({"prev_batch_hash": "xyz"}, "BATCH_SCHEMA"),
    ({"batch_seq": 0}, "BATCH_SCHEMA"),
    ({"business_date": "2026-02-30"}, "BATCH_SCHEMA"),
    ({"created_at": "yesterday"}, "BATCH_SCHEMA"),
    ({"province_public": OFFICE.public}, "KEY_NOT_PROVINCE"),
])
def test_bad_parameters_are_refused(over, code):
    with pytest.raises(RegistryError) as err:
        build([marriage(1)], **over)
    assert err.value.code == code


def test_float_in_event_data_is_refused():
    ev = spoiled(1)
    ev["data"]["weight"] = 1.5
    with pytest.raises(RegistryError) as err:
        build([ev])
    assert err.value.code == "CANONICAL_JSON"


def test_canonical_json_is_sorted_compact_utf8():
    assert canonical_json({"b": 1, "a": ["张", None, True]}) == '{"a":["张",null,true],"b":1}'.encode()


_names = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(start=st.integers(1, 10_000), kinds=st.lists(st.booleans(), max_size=8), name=_names,
       note=st.text(max_size=30))
def test_any_valid_event_list_round_trips(start, kinds, name, note):
    events = []
    for i, is_marriage in enumerate(kinds):
        ev = marriage(start + i, name1=name) if is_marriage else spoiled(start + i)
        ev["data"]["note"] = note
        events.append(ev)
    opened = open_batch(build(events), PROVINCE, TRUSTED)
    assert opened.events == events
    assert opened.manifest["event_count"] == len(events)


def test_divorce_issued_carries_one_blank_serial_per_holder():
    ev = marriage(1)
    ev["event_type"] = "divorce.issued"
    ev["data"]["certificate_no"] = "L320102-2026-000001"
    del ev["data"]["blank_serial"]
    ev["data"]["blank_serials"] = ["L00000001", "L00000002"]
    assert open_batch(build([ev]), PROVINCE, TRUSTED).events == [ev]
    ev["data"]["blank_serials"] = "L00000001"
    with pytest.raises(RegistryError) as err:
        build([ev])
    assert (err.value.code, err.value.field) == ("BATCH_SCHEMA", "/data/blank_serials")
