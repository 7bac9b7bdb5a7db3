"""Key files, key rotation and atomic writing."""
from __future__ import annotations

import json
import os
import stat

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry_app.errors import RegistryError
from registry_app.fsutil import write_atomic
from registry_app.services.office_keys import key_id_of as database_key_id
from registry_app.sync.batch import build_batch
from registry_app.sync.canonical import canonical_json
from registry_app.sync.keys import (KeyRing, OfficeKeyPair, ProvinceKeyPair, PublicKey, key_id_of,
                                    load_province_private_key, load_public_key_file, parse_public_key,
                                    province_keygen)
from registry_app.sync.province import open_batch

posix_only = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")


def test_key_id_is_first_8_bytes_of_sha256_and_matches_the_database_rule():
    import hashlib
    office = OfficeKeyPair.generate("320102")
    raw = office.public.ed25519_raw
    assert office.key_id == hashlib.sha256(raw).digest()[:8].hex()
    assert office.key_id == database_key_id(office.private.public_key()) == key_id_of(office.private.public_key())


def test_office_private_bytes_round_trip():
    office = OfficeKeyPair.generate("320102")
    raw = office.to_private_bytes()
    assert len(raw) == 32
    again = OfficeKeyPair.from_private_bytes("320102", raw)
    assert again.key_id == office.key_id
    with pytest.raises(RegistryError) as err:
        OfficeKeyPair.from_private_bytes("320102", raw[:31])
    assert err.value.code == "KEY_MALFORMED"


def test_public_key_file_round_trip():
    province = ProvinceKeyPair.generate("32", "2026-01-01T00:00:00+08:00")
    doc = json.loads(province.public.to_file_bytes())
    assert doc["format"] == "registry-public-key" and doc["version"] == 1
    assert doc["owner"] == "province:32" and doc["key_id"] == province.key_id
    key = parse_public_key(province.public.to_file_bytes())
    assert key.key_id == province.key_id
    assert key.x25519.public_bytes_raw() == province.encryption.public_key().public_bytes_raw()
    office = parse_public_key(OfficeKeyPair.generate("320102").public.to_file_bytes())
    assert office.x25519 is None and office.owner == "office:320102"


def _pub_doc(**over) -> bytes:
    doc = json.loads(ProvinceKeyPair.generate("32", "2026-01-01").public.to_file_bytes())
    doc.update(over)
    return canonical_json({k: v for k, v in doc.items() if v is not None})


@pytest.mark.parametrize("data, code", [
    (_pub_doc(version=2), "FORMAT_VERSION_UNSUPPORTED"),
    (_pub_doc(key_id="00" * 8), "KEY_ID_MISMATCH"),
    (_pub_doc(owner="someone"), "KEY_FILE_MALFORMED"),
    (_pub_doc(x25519=None), "KEY_FILE_MALFORMED"),          # a province key must carry its encryption key
    (_pub_doc(ed25519="A" * 43 + "="), "KEY_ID_MISMATCH"),
    (b"not json", "KEY_FILE_MALFORMED"),
    (b'{"format":"registry-public-key","format":"x"}', "KEY_FILE_MALFORMED"),
])
def test_public_key_file_refusals(data, code):
    with pytest.raises(RegistryError) as err:
        parse_public_key(data)
    assert err.value.code == code


def test_province_keygen_writes_both_files(tmp_path):
    paths = province_keygen(tmp_path / "keys", "32", created="2026-01-01T00:00:00+08:00")
    assert paths.public.name == f"province-32-{paths.key_id}.pub"
    assert paths.private.name == f"province-32-{paths.key_id}.key"
    pair = load_province_private_key(paths.private)
    public = load_public_key_file(paths.public)
    assert pair.key_id == public.key_id == paths.key_id
    assert sorted(p.name for p in (tmp_path / "keys").iterdir()) == sorted([paths.public.name, paths.private.name])


@posix_only
def test_private_key_file_is_0600_and_refused_when_readable_by_others(tmp_path):
    paths = province_keygen(tmp_path, "32")
    assert stat.S_IMODE(paths.private.stat().st_mode) == 0o600
    os.chmod(paths.private, 0o644)
    with pytest.raises(RegistryError) as err:
        load_province_private_key(paths.private)
    assert err.value.code == "KEY_FILE_PERMISSIONS"


def test_private_key_file_refusals():
    with pytest.raises(RegistryError) as err:
        ProvinceKeyPair.from_private_file_bytes(ProvinceKeyPair.generate("32").public.to_file_bytes())
    assert err.value.code == "KEY_FILE_MALFORMED"
    doc = json.loads(ProvinceKeyPair.generate("32").to_private_file_bytes())
    with pytest.raises(RegistryError) as err:
        ProvinceKeyPair.from_private_file_bytes(canonical_json({**doc, "key_id": "11" * 8}))
    assert err.value.code == "KEY_ID_MISMATCH"
    with pytest.raises(RegistryError) as err:
        ProvinceKeyPair.from_private_file_bytes(canonical_json({**doc, "version": 2}))
    assert err.value.code == "FORMAT_VERSION_UNSUPPORTED"


def test_key_ring_loads_a_directory_and_refuses_owner_conflicts(tmp_path):
    a, b = ProvinceKeyPair.generate("32"), OfficeKeyPair.generate("320102")
    write_atomic(tmp_path / "a.pub", a.public.to_file_bytes(), 0o644)
    write_atomic(tmp_path / "b.pub", b.public.to_file_bytes(), 0o644)
    ring = KeyRing.from_dir(tmp_path)
    assert {k.key_id for k in ring} == {a.key_id, b.key_id}
    impostor = PublicKey("office:320103", b.private.public_key())
    with pytest.raises(RegistryError) as err:
        ring.add(impostor)
    assert err.value.code == "KEY_OWNER_CONFLICT"


def test_batches_signed_before_and_after_office_key_rotation_both_verify():
    province = ProvinceKeyPair.generate("32")
    old, new = OfficeKeyPair.generate("320102"), OfficeKeyPair.generate("320102")
    ring = KeyRing.of([old.public, new.public])
    for key in (old, new):
        data = build_batch([], office_code="320102", business_date="2026-11-23", batch_seq=1, prev_batch_hash=None,
                           created_at="2026-11-23T18:00:00+08:00", office_key=key, province_public=province.public)
        assert open_batch(data, province, ring).office_key.key_id == key.key_id


@pytest.mark.parametrize("code", ["32010", "abcdef", "020102"])
def test_office_key_pair_needs_an_office_code(code):
    with pytest.raises(RegistryError):
        OfficeKeyPair.generate(code)


def test_write_atomic_replaces_content_and_leaves_no_temp_files(tmp_path):
    target = tmp_path / "state.json"
    write_atomic(target, b"one")
    write_atomic(target, b"two")
    assert target.read_bytes() == b"two"
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


@posix_only
@pytest.mark.parametrize("mode", [0o600, 0o644, 0o400])
def test_write_atomic_sets_the_mode(tmp_path, mode):
    target = write_atomic(tmp_path / "f", b"x", mode)
    assert stat.S_IMODE(target.stat().st_mode) == mode


def test_write_atomic_into_a_missing_directory_is_a_storage_error(tmp_path):
    with pytest.raises(RegistryError) as err:
        write_atomic(tmp_path / "missing" / "f", b"x")
    assert err.value.code == "FILE_WRITE_FAILED"


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300) | st.text(max_size=200).map(lambda t: t.encode("utf-8")))
def test_parse_public_key_arbitrary_input(data):
    with pytest.raises(RegistryError):
        parse_public_key(data)

