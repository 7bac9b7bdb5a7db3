"""The office's importers of province files under hostile input: the acknowledgement and the reference
extract. Province-signed files that are malformed in one field are refused with a code and store
nothing; a bad value already stored never stops the close-day check or the next import; and
Hypothesis throws damaged bytes and damaged-but-signed structures at both importers: always a coded
error or a result, and nothing changed on error."""
from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from registry_app.errors import RegistryError
from registry_app.storage.models import ReferenceEntry, Setting
from registry_app.sync.canonical import canonical_json
from registry_app.sync.keys import b64
from registry_app.sync.province import build_ack, open_batch
from registry_app.sync.reference import build_reference
from registry_app.sync.service import SyncService
from registry_app.sync.signed import _context, sign_document
from tests.conftest import PASSPHRASE, PASSWORDS
from tests.integration.test_sync_service import DAY, day_of_work, province, receiver, snapshot, write  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
_hostile = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                           HealthCheck.too_slow])


def reference_state(db) -> dict:
    with db.read() as s:
        return {"settings": {r.key: r.value for r in s.execute(select(Setting).where(
                    Setting.key.like("reference_%"))).scalars()},
                "entries": s.execute(select(func.count()).select_from(ReferenceEntry)).scalar()}


def extract_body(**over) -> dict:
    body = {"format": "registry-reference", "format_version": 1, "province": "32",
            "as_of": "2026-06-10T00:00:00+08:00", "hash": "HMAC-SHA256", "hmac_key": b64(b"k" * 32),
            "entries": {"ab" * 32: "married"}}
    body.update(over)
    return body


@pytest.mark.parametrize("over, code", [
    ({"as_of": "not a date at all"}, "REFERENCE_MALFORMED"),
    ({"as_of": "2026-13-01"}, "REFERENCE_MALFORMED"),
    ({"as_of": "2026-06-31T00:00:00+08:00"}, "REFERENCE_MALFORMED"),
    ({"as_of": "2026-06-10T25:61:00"}, "REFERENCE_MALFORMED"),
    ({"as_of": "2026-06-10\n"}, "REFERENCE_MALFORMED"),
    ({"as_of": ""}, "REFERENCE_MALFORMED"),
    ({"as_of": 20260610}, "REFERENCE_MALFORMED"),
    ({"as_of": None}, "REFERENCE_MALFORMED"),
    ({"as_of": ["2026-06-10"]}, "REFERENCE_MALFORMED"),
    ({"as_of": "0001-01-01"}, "REFERENCE_MALFORMED"),
    ({"as_of": "9999-12-31T23:59:59+00:00"}, "REFERENCE_MALFORMED"),
    ({"as_of": "2030-01-01T00:00:00+08:00"}, "REFERENCE_AS_OF_FUTURE"),
    ({"province": "3"}, "REFERENCE_MALFORMED"),
    ({"hmac_key": "c2hvcnQ="}, "REFERENCE_MALFORMED"),
    ({"entries": {"not-a-hash": "married"}}, "REFERENCE_MALFORMED"),
    ({"entries": {"ab" * 32: "single"}}, "REFERENCE_MALFORMED"),
    ({"extra": 1}, "REFERENCE_MALFORMED"),
])
def test_a_signed_extract_with_a_malformed_field_is_refused_and_stores_nothing(supervisor_ctx, db, province, tmp_path,
                                                                               over, code):
    before = reference_state(db)
    data = sign_document("registry-reference", extract_body(**over), province)
    with pytest.raises(RegistryError) as err:
        SyncService(supervisor_ctx).import_reference(write(tmp_path, "ref.json", data))
    assert err.value.code == code
    assert reference_state(db) == before


@pytest.mark.parametrize("stored", ["not a date", "2026-13-01", 12, ["2026-06-10"], {"as_of": 1}, "",
                                    "9999-12-31T23:59:59+00:00"])
def test_a_bad_stored_extract_date_never_stops_the_check_or_the_next_import(supervisor_ctx, db, province, tmp_path,
                                                                            stored):
    with db.write() as s:  # as an older version, or a hand in the database file, may have left it
        s.add(Setting(key="reference_as_of", value=stored))
    report = SyncService(supervisor_ctx).close_day_check(DAY)
    assert report.reference.stale and report.reference.warning
    assert report.reference.age_days is None or stored == ""
    fresh = build_reference([], province, "2026-06-12T00:00:00+08:00", known_statuses={"11010519491231002X": "married"})
    result = SyncService(supervisor_ctx).import_reference(write(tmp_path, "ref.json", fresh))
    assert result.entries == 1
    status = SyncService(supervisor_ctx).reference_status()
    assert (status.as_of, status.age_days, status.warning) == ("2026-06-12T00:00:00+08:00", 3, None)


def test_the_command_line_survives_a_bad_stored_extract_date(supervisor_ctx, db, db_path, province, tmp_path):
    with db.write() as s:
        s.add(Setting(key="reference_as_of", value="garbage"))
    fresh = write(tmp_path, "ref.json", build_reference([], province, "2026-06-12T00:00:00+08:00"))
    env = {**os.environ, "REGISTRY_PASSPHRASE": PASSPHRASE, "REGISTRY_USER_PASSWORD": PASSWORDS["supervisor"]}
    for args in (["sync", "check", "--date", "2026-06-15"], ["sync", "import-reference", str(fresh)]):
        proc = subprocess.run([sys.executable, "-m", "registry_app.cli", "--db", str(db_path), *args,
                               "--user", "supervisor"], capture_output=True, text=True, timeout=180, cwd=ROOT, env=env)
        assert proc.returncode == 0, (args, proc.stdout, proc.stderr)
        assert "Traceback" not in proc.stderr


def test_a_signed_body_nested_too_deep_is_a_coded_refusal(supervisor_ctx, db, province, tmp_path):
    body = b"[" * 100000 + b"]" * 100000
    for kind, code in (("registry-ack", "ACK_MALFORMED"), ("registry-reference", "REFERENCE_MALFORMED")):
        header = canonical_json({"format": kind, "version": 1, "key_id": province.key_id,
                                 "signature": b64(province.signing.sign(_context(kind, 1) + body))})
        path = write(tmp_path, "deep.json", header + b"\n" + body + b"\n")
        before = snapshot(db)
        with pytest.raises(RegistryError) as err:
            (SyncService(supervisor_ctx).import_ack if kind == "registry-ack"
             else SyncService(supervisor_ctx).import_reference)(path)
        assert err.value.code == code and snapshot(db) == before


# --- Hypothesis: damaged structures, signed so that only the content checks can refuse them ------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.integers(-2, 10**7) | st.text(max_size=12)
    | st.sampled_from(["", "\x00", "\u202e", "2026-06-15", "2026-13-45", "R002", "C001", "a" * 64]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8)


def paths_of(node, prefix=()) -> list[tuple]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += paths_of(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += paths_of(v, prefix + (i,))
    return out


def mutate(body: dict, path: tuple, op: str, value) -> dict:
    doc = copy.deepcopy(body)
    if not path:
        return value if op == "replace" else doc
    parent = doc
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if op == "delete" and isinstance(parent, dict):
        del parent[last]
    elif op == "add" and isinstance(parent, dict):
        parent[f"x{len(parent)}"] = value
    else:
        parent[last] = value
    return doc


mutations = st.tuples(st.sampled_from(["replace", "delete", "add"]), json_values, st.integers(0, 10**6),
                      st.sampled_from([1, 2, 3]))


@pytest.fixture
def exported_v2(clerk_ctx, day_of_work, province, tmp_path):  # noqa: F811
    out = tmp_path / "out"
    res = SyncService(clerk_ctx).export(DAY, out)
    return open_batch(Path(res.path).read_bytes(), [province], receiver(province, out).offices)


def test_import_ack_under_damaged_signed_structures(supervisor_ctx, db, exported_v2, province, tmp_path):
    good = json.loads(build_ack(exported_v2, province_key=province, rejects={exported_v2.events[0]["event_id"]: "R002"},
                                created_at="2026-06-16T08:00:00+08:00").split(b"\n")[1])
    paths = paths_of(good)

    @_hostile
    @given(mutations)
    def hostile(mutation):
        op, value, pick, version = mutation
        body = mutate(good, paths[pick % len(paths)], op, value)
        try:
            data = sign_document("registry-ack", body, province, version)
        except RegistryError:
            return  # not even canonical JSON: nothing to sign
        before = snapshot(db)
        try:
            result = SyncService(supervisor_ctx).import_ack(write(tmp_path, "h.ack", data))
        except RegistryError as exc:
            assert exc.code.startswith(("ACK_", "FORMAT_", "SYNC_ACK_")), exc.code
            after = snapshot(db)
            assert {k: v for k, v in after.items() if k != "audit"} == \
                {k: v for k, v in before.items() if k != "audit"}
        else:
            assert result.batch_seq == 1

    hostile()


def test_import_ack_under_damaged_bytes(supervisor_ctx, db, exported_v2, province, tmp_path):
    good = build_ack(exported_v2, province_key=province, created_at="2026-06-16T08:00:00+08:00")

    @_hostile
    @given(st.integers(0, len(good) - 1), st.integers(1, 255), st.sampled_from(["flip", "cut", "insert"]))
    def damaged(position, byte, how):
        data = {"flip": good[:position] + bytes([good[position] ^ byte]) + good[position + 1:],
                "cut": good[:position],
                "insert": good[:position] + bytes([byte]) + good[position:]}[how]
        before = snapshot(db)
        try:
            SyncService(supervisor_ctx).import_ack(write(tmp_path, "d.ack", data))
        except RegistryError as exc:
            assert exc.code.startswith(("ACK_", "FORMAT_", "SYNC_ACK_")), exc.code
            assert snapshot(db) == before

    damaged()


def test_import_reference_under_damaged_signed_structures(supervisor_ctx, db, province, tmp_path):
    good = extract_body()
    paths = paths_of(good)

    @_hostile
    @given(mutations)
    def hostile(mutation):
        op, value, pick, version = mutation
        body = mutate(good, paths[pick % len(paths)], op, value)
        try:
            data = sign_document("registry-reference", body, province, version)
        except RegistryError:
            return
        before = reference_state(db)
        try:
            result = SyncService(supervisor_ctx).import_reference(write(tmp_path, "h.ref", data))
        except RegistryError as exc:
            assert exc.code.startswith(("REFERENCE_", "FORMAT_")), exc.code
            assert reference_state(db) == before
        else:
            assert result.entries == len(body["entries"])
        SyncService(supervisor_ctx).close_day_check(DAY)  # whatever was stored, the check still runs

    hostile()


def test_import_reference_under_damaged_bytes(supervisor_ctx, db, province, tmp_path):
    good = sign_document("registry-reference", extract_body(), province)

    @_hostile
    @given(st.integers(0, len(good) - 1), st.integers(1, 255), st.booleans())
    def damaged(position, byte, cut):
        data = good[:position] if cut else good[:position] + bytes([good[position] ^ byte]) + good[position + 1:]
        before = reference_state(db)
        try:
            SyncService(supervisor_ctx).import_reference(write(tmp_path, "d.ref", data))
        except RegistryError as exc:
            assert exc.code.startswith(("REFERENCE_", "FORMAT_")), exc.code
            assert reference_state(db) == before

    damaged()
