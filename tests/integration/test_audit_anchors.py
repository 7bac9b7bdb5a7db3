"""The audit trail against anchors held outside the database: each batch carries the chain head, the
province's signed acknowledgement repeats it. A table of attacks done with raw SQL on the encrypted
file, by someone holding the passphrase, each of which the chain check alone no longer sees: a
rewritten trail (a row edited and every later hash recomputed), a truncated one (last rows deleted,
head moved back), a wiped one. Each older than the last acknowledgement is caught with its own code
by `registry audit verify --acks DIR`, also when the attacker erased the anchors stored in the
database or replaced the province key there."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from registry_app.services import audit
from registry_app.services.audit_anchors import verify_anchored
from registry_app.storage.engine import open_database, sqlcipher_url
from registry_app.storage.models import Acknowledgement, AuditEntry, KeyMaterial
from registry_app.sync.keys import ProvinceKeyPair
from registry_app.sync.province import ProvinceState, accept_batch, build_ack, validate_batch
from registry_app.sync.service import SyncService
from tests.conftest import PASSPHRASE
from tests.factories import marriage_case, person
from tests.integration.test_sync_service import D, DAY, day_of_work, province, receiver, register  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def anchored(clerk_ctx, supervisor_ctx, db, day_of_work, province, tmp_path, clock):  # noqa: F811
    """Two days sent and acknowledged (acks kept in a folder and imported), then more work after."""
    out, acks = tmp_path / "out", tmp_path / "acks"
    acks.mkdir()
    state, heads = ProvinceState(), []
    for n, day in enumerate((DAY, D(2026, 6, 16)), start=1):
        clock.set(day)
        if n == 2:
            register(clerk_ctx, marriage_case(person("周杰", "M", D(1988, 8, 8)), person("吴芳", "F", D(1990, 2, 2))))
        result = SyncService(clerk_ctx).export(day, out)
        report = validate_batch(Path(result.path).read_bytes(), receiver(province, out), state)
        accept_batch(report, state)
        ack = acks / f"ack-{n}.json"
        ack.write_bytes(build_ack(report.opened, province_key=province, created_at=f"{day}T20:00:00+08:00"))
        assert SyncService(supervisor_ctx).import_ack(ack).audit_head == result.audit_head
        heads.append(result.audit_head)
    report = SyncService(supervisor_ctx).close_day_check(D(2026, 6, 16))  # entries after the last anchor
    return acks, heads, report.audit_head


def raw(db_path: Path):
    """A raw connection to the encrypted file, opened with the passphrase as any counter could."""
    return open_database(sqlcipher_url(db_path, PASSPHRASE))


def rows(conn) -> list[AuditEntry]:
    cur = conn.execute("SELECT id, ts, username, role, action, entity_type, entity_id, detail, reason, prev_hash, "
                       "entry_hash FROM audit_log ORDER BY id")
    names = [d[0] for d in cur.description]
    out = []
    for r in cur.fetchall():
        values = dict(zip(names, r))
        values["detail"] = json.loads(values["detail"]) if values["detail"] else {}
        out.append(AuditEntry(**values))
    return out


def rehash_from(conn, first_id: int) -> None:
    """Recompute every hash from `first_id` on and move the head: what makes an edit invisible to the
    chain check."""
    prev = audit.GENESIS
    for e in rows(conn):
        if e.id >= first_id:
            e.prev_hash = prev
            e.entry_hash = audit.entry_hash(prev, audit._entry_body(e))
            conn.execute("UPDATE audit_log SET prev_hash = ?, entry_hash = ? WHERE id = ?",
                         (e.prev_hash, e.entry_hash, e.id))
        prev = e.entry_hash
    conn.execute("UPDATE chain_heads SET value = ? WHERE name = 'audit'", (prev,))


def rewrite(conn, heads) -> None:
    conn.execute("UPDATE audit_log SET reason = '无' WHERE id = 3")
    rehash_from(conn, 3)


def truncate(conn, heads) -> None:
    keep = heads[-1]["seq"] - 1  # back to before the last acknowledged head
    conn.execute("DELETE FROM audit_log WHERE id > ?", (keep,))
    rehash_from(conn, keep + 1)


def wipe(conn, heads) -> None:
    conn.execute("DELETE FROM audit_log")
    conn.execute("DELETE FROM chain_heads WHERE name = 'audit'")


def erase_stored_anchors(conn) -> None:
    conn.execute("UPDATE acknowledgements SET summary = json_remove(summary, '$.audit_head')")


def attack(db_path: Path, fn, heads, erase_stored: bool) -> None:
    db = raw(db_path)
    conn = db.engine.raw_connection()
    try:
        fn(conn, heads)
        if erase_stored:
            erase_stored_anchors(conn)
        conn.commit()
    finally:
        conn.close()
        db.close()


def cli_verify(db_path: Path, acks: Path | None) -> tuple[int, dict]:
    env = {**os.environ, "REGISTRY_PASSPHRASE": PASSPHRASE}
    cmd = [sys.executable, "-m", "registry_app.cli", "--db", str(db_path), "audit", "verify"]
    if acks is not None:
        cmd += ["--acks", str(acks)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180, cwd=ROOT, env=env)
    return proc.returncode, json.loads(proc.stdout)


ATTACKS = {"rewrite": (rewrite, "AUDIT_ANCHOR_REWRITTEN"), "truncate": (truncate, "AUDIT_ANCHOR_TRUNCATED"),
           "wipe": (wipe, "AUDIT_ANCHOR_WIPED")}


def test_an_untouched_trail_holds_against_every_anchor(anchored, db_path):
    acks, heads, _printed = anchored
    code, out = cli_verify(db_path, acks)
    assert code == 0, out
    assert (out["ok"], out["acks_read"], out["anchors_checked"], out["problems"]) == (True, 2, 4, [])
    assert out["last_anchor"]["seq"] == heads[-1]["seq"] and out["head"]["seq"] > heads[-1]["seq"]


@pytest.mark.parametrize("name", list(ATTACKS))
def test_an_attack_older_than_the_last_acknowledgement_is_caught_from_the_acks_folder(
        anchored, db, db_path, clerk_ctx, name):
    """The attacker also erased the anchors stored in the database: the folder still catches it."""
    acks, heads, _printed = anchored
    fn, code = ATTACKS[name]
    attack(db_path, fn, heads, erase_stored=True)
    assert audit.verify_chain(clerk_ctx).ok  # the chain alone is fooled
    exit_code, out = cli_verify(db_path, acks)
    assert exit_code == 1 and not out["ok"]
    assert code in [p["code"] for p in out["problems"]], out["problems"]
    assert {p["source"] for p in out["problems"]} <= {"ack-1.json", "ack-2.json"}


@pytest.mark.parametrize("name", list(ATTACKS))
def test_an_attack_is_caught_by_the_stored_anchors_when_no_folder_is_given(anchored, db, db_path, clerk_ctx, name):
    acks, heads, _printed = anchored
    fn, code = ATTACKS[name]
    attack(db_path, fn, heads, erase_stored=False)
    report = verify_anchored(clerk_ctx)
    assert not report.ok and code in report.codes()
    assert {p.source for p in report.problems} == {"stored"}


def test_replacing_or_deleting_the_province_key_does_not_silence_the_acks(anchored, db, db_path, clerk_ctx):
    acks, heads, _printed = anchored
    attack(db_path, wipe, heads, erase_stored=True)
    with db.write() as s:  # and the trusted province key swapped for the attacker's own
        row = s.execute(select(KeyMaterial).where(KeyMaterial.purpose == "province_public")).scalar_one()
        row.public_data = ProvinceKeyPair.generate("32").public.to_dict()
        row.key_id = row.public_data["key_id"]
    report = verify_anchored(clerk_ctx, acks)
    assert report.codes() == ["ANCHOR_ACK_INVALID", "ANCHOR_ACK_INVALID"]
    with db.write() as s:
        s.execute(KeyMaterial.__table__.delete().where(KeyMaterial.purpose == "province_public"))
    assert verify_anchored(clerk_ctx, acks).codes() == ["ANCHOR_NO_PROVINCE_KEY", "ANCHOR_NO_PROVINCE_KEY"]


def test_a_stored_anchor_changed_to_match_a_rewrite_disagrees_with_the_signed_one(anchored, db, clerk_ctx):
    acks, heads, _printed = anchored
    with db.write() as s:
        ack = s.execute(select(Acknowledgement).where(Acknowledgement.batch_seq == 1)).scalar_one()
        ack.summary = {**ack.summary, "audit_head": {"seq": heads[0]["seq"], "hash": "0" * 64}}
    report = verify_anchored(clerk_ctx, acks)
    assert set(report.codes()) == {"ANCHOR_STORED_MISMATCH", "AUDIT_ANCHOR_REWRITTEN"}


def test_an_edit_newer_than_the_last_acknowledgement_is_left_to_the_chain_and_the_paper_anchor(
        anchored, db, db_path, clerk_ctx):
    """What the anchors do not protect (README, Reliability): entries after the last acknowledged head.
    The head printed at close of day then no longer matches the trail."""
    acks, heads, printed = anchored
    newer = heads[-1]["seq"] + 1
    db2 = raw(db_path)
    conn = db2.engine.raw_connection()
    conn.execute("UPDATE audit_log SET reason = '无' WHERE id = ?", (newer,))
    rehash_from(conn, newer)
    conn.commit()
    conn.close()
    db2.close()
    assert verify_anchored(clerk_ctx, acks).ok  # no acknowledgement reaches that far
    with db.read() as s:
        now = s.get(AuditEntry, printed["seq"]).entry_hash
    assert now[:16] != printed["hash"][:16]  # but the sheet the supervisor signed says otherwise


def exported_ack_body(clerk_ctx, province, tmp_path):
    """The day exported, and the body of the province's acknowledgement of it (to be altered and re-signed)."""
    out = tmp_path / "out"
    result = SyncService(clerk_ctx).export(DAY, out)
    opened = validate_batch(Path(result.path).read_bytes(), receiver(province, out), ProvinceState()).opened
    return result, json.loads(build_ack(opened, province_key=province, created_at="2026-06-16T08:00:00+08:00")
                              .split(b"\n")[1])


def test_old_acknowledgements_without_a_head_still_import_and_anchor_nothing(
        clerk_ctx, supervisor_ctx, db, day_of_work, province, tmp_path):  # noqa: F811
    """A province not yet upgraded answers in version 1: accepted, with a note, and no anchor stored."""
    from registry_app.sync.signed import sign_document

    _result, body = exported_ack_body(clerk_ctx, province, tmp_path)
    body["format_version"] = 1
    del body["batch"]["audit_head"]
    ack = tmp_path / "old.ack"
    ack.write_bytes(sign_document("registry-ack", body, province, 1))
    imported = SyncService(supervisor_ctx).import_ack(ack)
    assert imported.accepted == 2 and imported.audit_head is None and "旧版" in imported.note
    report = verify_anchored(clerk_ctx, ack.parent)
    assert report.ok and (report.acks_read, report.acks_without_head, len(report.anchors)) == (1, 1, 0)


def test_an_ack_repeating_another_head_than_the_batch_sent_is_refused_and_changes_nothing(
        clerk_ctx, supervisor_ctx, db, day_of_work, province, tmp_path):  # noqa: F811
    from registry_app.errors import Refused
    from registry_app.sync.signed import sign_document
    from tests.integration.test_sync_service import snapshot

    result, body = exported_ack_body(clerk_ctx, province, tmp_path)
    body["batch"]["audit_head"] = {"seq": result.audit_head["seq"], "hash": "0" * 64}
    ack = tmp_path / "other-head.ack"
    ack.write_bytes(sign_document("registry-ack", body, province, 2))
    before = snapshot(db)
    with pytest.raises(Refused) as err:
        SyncService(supervisor_ctx).import_ack(ack)
    assert err.value.codes() == ["SYNC_ACK_ANCHOR_MISMATCH"] and snapshot(db) == before
