"""The export's crash windows, each hit deterministically: a failure injected at every step inside the
process, and the process killed (SIGKILL) at every step, including half-way through writing the file.
Afterwards the reconcile (or the next export) settles what was left, and the province's validator
accepts the office's whole chain with no BATCH_REPLAY, gap or fork. Unknown batch files in the outbox
are quarantined and never allowed to fork the chain."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import select

from registry_app.errors import Refused, RegistryError
from registry_app.storage.models import AuditEntry, Batch, RecordEvent
from registry_app.sync import export as export_module
from registry_app.sync.batch import build_batch, batch_chain_hash
from registry_app.sync.outbox import outbox_lock
from registry_app.sync.province import ProvinceState, accept_batch, build_ack, validate_batch
from registry_app.sync.service import SyncService
from tests.conftest import PASSPHRASE, PASSWORDS
from tests.factories import marriage_case, person
from tests.integration.test_sync_service import D, DAY, day_of_work, province, receiver, register, write  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]


def state_of(db) -> dict:
    with db.read() as s:
        return {"batches": [(b.batch_seq, b.status) for b in s.execute(select(Batch).order_by(Batch.batch_seq))
                            .scalars()],
                "events": [(e.seq, e.batch_seq) for e in s.execute(select(RecordEvent).order_by(RecordEvent.seq))
                           .scalars()]}


def batch_names(out: Path) -> list[str]:
    return sorted(p.name for p in out.glob("*.rgb"))


def province_takes(province, out: Path, state: ProvinceState, *paths: Path) -> list[int]:
    """Validate and accept each file in order, as the province would; every one must be acceptable."""
    taken = []
    for path in paths:
        report = validate_batch(path.read_bytes(), receiver(province, out), state)
        assert report.acceptable, (path.name, report.problem_dicts())
        accept_batch(report, state)
        taken.append(report.manifest["batch_seq"])
    return taken


def next_day_work(clerk_ctx):
    register(clerk_ctx, marriage_case(person("周杰", "M", D(1988, 8, 8)), person("吴芳", "F", D(1990, 2, 2))))


# --- a failure inside the process: the export undoes itself --------------------------------------

@pytest.mark.parametrize("step", ["pending", "file", "commit"])
def test_a_failure_at_any_step_leaves_nothing_and_the_next_export_is_accepted(
        clerk_ctx, db, day_of_work, province, tmp_path, monkeypatch, step):
    out = tmp_path / "out"
    before = state_of(db)

    def fail(at):
        if at == step:
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(export_module, "checkpoint", fail)
    with pytest.raises(OSError):
        SyncService(clerk_ctx).export(DAY, out)
    assert state_of(db) == before and batch_names(out) == [] and not list(out.glob(".*"))
    monkeypatch.setattr(export_module, "checkpoint", lambda at: None)
    result = SyncService(clerk_ctx).export(DAY, out)
    assert result.batch_seq == 1 and result.event_count == 2
    assert province_takes(province, out, ProvinceState(), Path(result.path)) == [1]


def test_a_failure_after_the_batch_is_written_keeps_it(clerk_ctx, db, day_of_work, province, tmp_path, monkeypatch):
    out = tmp_path / "out"

    def fail(at):
        if at == "written":
            raise RuntimeError("the screen went away")

    monkeypatch.setattr(export_module, "checkpoint", fail)
    with pytest.raises(RuntimeError):
        SyncService(clerk_ctx).export(DAY, out)
    assert state_of(db)["batches"] == [(1, "written")] and batch_names(out) == ["320102-20260615-000001.rgb"]
    monkeypatch.setattr(export_module, "checkpoint", lambda at: None)
    assert not SyncService(clerk_ctx).reconcile().changed
    assert province_takes(province, out, ProvinceState(), out / "320102-20260615-000001.rgb") == [1]


# --- the process killed: the reconcile settles it ------------------------------------------------

KILLER = textwrap.dedent("""
    import datetime as dt, os, signal, sys
    from registry_app.clock import FixedClock
    from registry_app.services.accounts import Accounts
    from registry_app.services.context import AppContext
    from registry_app.storage.engine import open_database, sqlcipher_url
    from registry_app.sync import export as export_module
    from registry_app.sync.service import SyncService

    db_path, passphrase, password, out, step, day = sys.argv[1:7]
    die = lambda: os.kill(os.getpid(), signal.SIGKILL)
    if step == "rename":  # half-way through writing the batch: temporary file complete, not yet renamed
        real_replace = os.replace
        def replace(src, dst, *a, **kw):
            if str(dst).endswith(".rgb"):
                die()
            return real_replace(src, dst, *a, **kw)
        os.replace = replace
    else:
        export_module.checkpoint = lambda at: die() if at == step else None
    ctx = AppContext(db=open_database(sqlcipher_url(db_path, passphrase)), clock=FixedClock(dt.date.fromisoformat(day)))
    ctx.user = Accounts(ctx).login("clerk", password)
    SyncService(ctx).export(dt.date.fromisoformat(day), out)
    sys.exit(3)  # the kill did not happen
""")


def kill_export_at(db_path: Path, out: Path, step: str, day=DAY) -> None:
    proc = subprocess.run([sys.executable, "-c", KILLER, str(db_path), PASSPHRASE, PASSWORDS["clerk"], str(out),
                           step, day.isoformat()], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, (proc.returncode, proc.stdout, proc.stderr)


# step killed at -> (batch state left, file left, what the reconcile does)
KILLS = {
    "pending": ([(1, "pending")], False, "dropped"),
    "rename": ([(1, "pending")], False, "dropped"),
    "file": ([(1, "pending")], True, "adopted"),
    "commit": ([(1, "pending")], True, "adopted"),
    "written": ([(1, "written")], True, None),
}


@pytest.mark.parametrize("step", list(KILLS))
def test_a_kill_at_any_step_is_settled_and_the_chain_holds(clerk_ctx, db, db_path, day_of_work, province, tmp_path,
                                                           step, clock):
    out = tmp_path / "out"
    kill_export_at(db_path, out, step)
    batches, file_left, outcome = KILLS[step]
    assert state_of(db)["batches"] == batches
    assert batch_names(out) == (["320102-20260615-000001.rgb"] if file_left else [])
    assert bool(list(out.glob(".*.tmp"))) == (step == "rename")
    if outcome is not None:  # nothing new is made while the batch is unsettled on this computer's outbox
        with pytest.raises(RegistryError) as err:
            SyncService(clerk_ctx)._record_pending(clerk_ctx.user, DAY, out, lambda *a: None, lambda: False)
        assert err.value.code == "SYNC_BATCH_PENDING"
    report = SyncService(clerk_ctx).reconcile()
    assert report.adopted == ([1] if outcome == "adopted" else [])
    assert report.dropped == ([1] if outcome == "dropped" else [])
    assert report.quarantined == [] and not list(out.glob(".*.tmp"))
    with db.read() as s:
        assert s.execute(select(RecordEvent.seq).where(RecordEvent.batch_seq.is_(None))).all() == (
            [(1,), (2,)] if outcome == "dropped" else [])
    first = out / "320102-20260615-000001.rgb"
    if outcome == "dropped":
        again = SyncService(clerk_ctx).export(DAY, out)
        assert (again.batch_seq, again.event_count) == (1, 2)
    clock.set(D(2026, 6, 16))
    next_day_work(clerk_ctx)
    second = SyncService(clerk_ctx).export(D(2026, 6, 16), out)
    assert (second.batch_seq, second.first_event_seq) == (2, 3)
    assert province_takes(province, out, ProvinceState(), first, Path(second.path)) == [1, 2]


def test_an_orphan_that_reached_the_province_before_the_reconcile_is_adopted(
        clerk_ctx, db, db_path, day_of_work, province, tmp_path, clock):
    """Killed with the file written; the file is taken to the province at once. Its acknowledgement, or
    the reconcile, completes the same batch: never a second batch 1."""
    out, courier = tmp_path / "out", tmp_path / "courier"
    kill_export_at(db_path, out, "file")
    assert list(out.glob("*.pub")) == []  # killed before the key file was written
    sent = out / "320102-20260615-000001.rgb"
    courier.mkdir()
    SyncService(clerk_ctx).export_office_public_key(courier)  # the province knows the office's key already
    state = ProvinceState()
    province_takes(province, courier, state, sent)
    report = SyncService(clerk_ctx).reconcile()
    assert report.adopted == [1] and len(list(out.glob("office-*.pub"))) == 1
    clock.set(D(2026, 6, 16))
    second = SyncService(clerk_ctx).export(D(2026, 6, 16), out)
    assert province_takes(province, out, state, Path(second.path)) == [2]


def test_a_file_taken_away_before_the_reconcile_is_recreated_from_its_acknowledgement(
        clerk_ctx, supervisor_ctx, db, db_path, day_of_work, province, tmp_path, clock):
    """Killed with the file written, and the file moved out of the outbox to the province before the
    next start: the reconcile cannot tell it ever existed and drops the batch. The province's
    acknowledgement then proves it was received, and the batch comes back exactly as sent."""
    out, courier = tmp_path / "out", tmp_path / "courier"
    kill_export_at(db_path, out, "file")
    courier.mkdir()
    sent = Path(shutil.move(str(out / "320102-20260615-000001.rgb"), courier))
    SyncService(clerk_ctx).export_office_public_key(courier)
    state = ProvinceState()
    province_takes(province, courier, state, sent)
    assert SyncService(clerk_ctx).reconcile().dropped == [1]
    opened = validate_batch(sent.read_bytes(), receiver(province, courier), ProvinceState()).opened
    ack = write(tmp_path, "ack1.json", build_ack(opened, province_key=province, created_at="2026-06-16T08:00:00+08:00"))
    result = SyncService(supervisor_ctx).import_ack(ack)
    assert (result.batch_seq, result.accepted, result.adopted) == (1, 2, True)
    assert result.audit_head == opened.manifest["audit_head"]
    assert state_of(db)["batches"] == [(1, "written")]
    again = SyncService(clerk_ctx).export(DAY, courier, again=True)  # the recreated batch re-exports identically
    assert again.chain_hash == opened.chain_hash
    clock.set(D(2026, 6, 16))
    second = SyncService(clerk_ctx).export(D(2026, 6, 16), out)
    shutil.copy(second.path, courier)
    assert province_takes(province, courier, state, courier / Path(second.path).name) == [2]


def test_a_dropped_batch_acknowledged_after_it_was_remade_is_refused_with_its_own_code(
        clerk_ctx, supervisor_ctx, db, db_path, day_of_work, province, tmp_path):
    out, courier = tmp_path / "out", tmp_path / "courier"
    kill_export_at(db_path, out, "file")
    courier.mkdir()
    sent = Path(shutil.move(str(out / "320102-20260615-000001.rgb"), courier))
    SyncService(clerk_ctx).export_office_public_key(courier)
    remade = SyncService(clerk_ctx).export(DAY, out)  # reconciles (drops) and makes batch 1 again
    assert remade.batch_seq == 1 and remade.chain_hash != batch_chain_hash(sent.read_bytes())
    opened = validate_batch(sent.read_bytes(), receiver(province, courier), ProvinceState()).opened
    ack = write(tmp_path, "ack1.json", build_ack(opened, province_key=province, created_at="2026-06-16T08:00:00+08:00"))
    with pytest.raises(Refused) as err:
        SyncService(supervisor_ctx).import_ack(ack)
    assert err.value.codes() == ["SYNC_ACK_DROPPED_BATCH"]


# --- unknown files in the outbox ------------------------------------------------------------------

def orphan_file(db, province, out: Path, batch_seq: int = 1, office: str = "320102") -> Path:
    """A signed batch the database does not know: what the export before this version left when killed
    between writing the file and committing."""
    from registry_app.sync.keys import OfficeKeyPair
    from registry_app.sync.service import event_payload

    with db.read() as s:
        events = [event_payload(e) for e in s.execute(select(RecordEvent).order_by(RecordEvent.seq)).scalars()]
        key = SyncService._office_key(s, "320102")
    if office != "320102":
        key = OfficeKeyPair.generate(office)
    data = build_batch(events if office == "320102" else [], office_code=office, business_date=DAY,
                       batch_seq=batch_seq, prev_batch_hash=None, created_at="2026-06-15T17:00:00+08:00",
                       office_key=key, province_public=province.public)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{office}-20260615-{batch_seq:06d}.rgb"
    path.write_bytes(data)
    (out / f"office-320102-{key.key_id}.pub").write_bytes(key.public.to_file_bytes()) if office == "320102" else None
    return path


def test_an_unknown_batch_of_this_office_is_quarantined_and_blocks_until_its_ack_adopts_it(
        clerk_ctx, supervisor_ctx, db, day_of_work, province, tmp_path, clock):
    out = tmp_path / "out"
    orphan = orphan_file(db, province, out)
    state = ProvinceState()
    province_takes(province, out, state, orphan)  # it did reach the province
    with pytest.raises(Refused) as err:
        SyncService(clerk_ctx).export(DAY, out)
    assert err.value.codes() == ["SYNC_ORPHAN_UNRESOLVED"]
    assert batch_names(out) == [] and (out / "quarantine" / orphan.name).exists()
    with pytest.raises(Refused):  # asked again: still blocked, nothing made
        SyncService(clerk_ctx).export(DAY, out)
    assert state_of(db)["batches"] == []
    opened = validate_batch((out / "quarantine" / orphan.name).read_bytes(), receiver(province, out),
                            ProvinceState()).opened
    ack = write(tmp_path, "ack1.json", build_ack(opened, province_key=province, created_at="2026-06-16T08:00:00+08:00"))
    assert SyncService(supervisor_ctx).import_ack(ack).adopted
    clock.set(D(2026, 6, 16))
    next_day_work(clerk_ctx)
    second = SyncService(clerk_ctx).export(D(2026, 6, 16), out)
    assert (second.batch_seq, second.first_event_seq, second.event_count) == (2, 3, 1)
    assert province_takes(province, out, state, Path(second.path)) == [2]


def test_an_unknown_batch_the_province_never_received_is_released_by_a_supervisor(
        clerk_ctx, supervisor_ctx, db, day_of_work, province, tmp_path):
    out = tmp_path / "out"
    orphan = orphan_file(db, province, out)
    report = SyncService(clerk_ctx).reconcile(out)
    assert [(q["file"], q["batch_seq"], q["blocking"]) for q in report.quarantined] == [(orphan.name, 1, True)]
    assert [o["file"] for o in report.open_orphans] == [orphan.name]
    with pytest.raises(RegistryError) as err:
        SyncService(clerk_ctx).release_orphan(orphan.name, "省级确认未收到")
    assert err.value.code == "PERMISSION_DENIED"
    with pytest.raises(Refused):
        SyncService(supervisor_ctx).release_orphan(orphan.name, " ")
    SyncService(supervisor_ctx).release_orphan(orphan.name, "已电话核实：省级未收到该批次")
    result = SyncService(clerk_ctx).export(DAY, out)
    assert result.batch_seq == 1
    assert province_takes(province, out, ProvinceState(), Path(result.path)) == [1]
    with db.read() as s:
        actions = set(s.execute(select(AuditEntry.action)).scalars())
    assert {"sync.file_quarantined", "sync.orphan_released"} <= actions


def test_another_offices_file_is_quarantined_without_blocking_and_known_files_stay(
        clerk_ctx, db, day_of_work, province, tmp_path):
    out = tmp_path / "out"
    first = SyncService(clerk_ctx).export(DAY, out)
    SyncService(clerk_ctx).export(DAY, out, again=True)  # a re-export: new file hash, same chain hash
    foreign = orphan_file(db, province, out, batch_seq=1, office="320103")
    (out / "notes.rgb").write_bytes(b"not a batch at all")
    second = SyncService(clerk_ctx).export(DAY, out)
    assert second.batch_seq == 2
    assert sorted(q["file"] for q in second.reconciled["quarantined"]) == sorted([foreign.name, "notes.rgb"])
    assert not any(q["blocking"] for q in second.reconciled["quarantined"])
    assert batch_names(out) == sorted([Path(first.path).name, Path(second.path).name])


def test_an_export_in_progress_elsewhere_is_not_disturbed(clerk_ctx, db, day_of_work, province, tmp_path):
    out = tmp_path / "out"
    with outbox_lock(out):
        with pytest.raises(RegistryError) as err:
            SyncService(clerk_ctx).export(DAY, out)
        assert err.value.code == "SYNC_EXPORT_BUSY"
        assert SyncService(clerk_ctx).reconcile(out).busy == [str(out)]
    with db.write() as s:  # a batch another computer recorded pending and has not finished
        s.add(Batch(batch_seq=1, business_date=DAY, file_name="320102-20260615-000001.rgb", file_hash="f" * 64,
                    prev_hash=None, first_event_seq=1, last_event_seq=2, event_count=2, created_at="x",
                    created_by="clerk", acknowledged=False, status="pending", chain_hash="c" * 64,
                    outbox={"dir": "/elsewhere/outbox", "host": "counter-9"}))
    report = SyncService(clerk_ctx).reconcile(out)
    assert report.unreachable == [{"batch_seq": 1, "host": "counter-9", "dir": "/elsewhere/outbox"}]
    assert report.dropped == [] and state_of(db)["batches"] == [(1, "pending")]
    with pytest.raises(RegistryError) as err:
        SyncService(clerk_ctx).export(DAY, out)
    assert err.value.code == "SYNC_BATCH_PENDING" and "counter-9" in err.value.message


def test_reconcile_needs_a_login_and_runs_for_any_role(ctx_for, db, day_of_work, province, tmp_path):
    from registry_app.services.context import AppContext

    with pytest.raises(RegistryError) as err:
        SyncService(AppContext(db=db)).reconcile()
    assert err.value.code == "NOT_LOGGED_IN"
    for user in ("clerk", "supervisor", "admin"):
        assert not SyncService(ctx_for(user)).reconcile(tmp_path / "nowhere").changed
    assert not (tmp_path / "nowhere").exists()  # a reconcile never creates a folder


def test_kill_helper_really_kills(db_path, tmp_path, day_of_work, province):
    """The kill tests above are only as good as the kill: an unknown step must exit normally (3)."""
    proc = subprocess.run([sys.executable, "-c", KILLER, str(db_path), PASSPHRASE, PASSWORDS["clerk"],
                           str(tmp_path / "o"), "no-such-step", DAY.isoformat()], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 3, proc.stderr
    assert os.path.exists(tmp_path / "o" / "320102-20260615-000001.rgb")
