"""A day at the office and the province's answer, through the `registry` command where a clerk or
the province would use it: register a day of mixed events, export, validate and acknowledge on the
receiving side (one rejection, one conflict), import the acknowledgement twice, the supervisor's
work list, correct the rejected record, export the next day, the province accepts the chain and
sends a reference extract back."""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from registry_app.services.divorce import DivorceService
from registry_app.services.marriage import MarriageCase, MarriageService
from registry_app.services.stock import BlankStock
from registry_app.storage.models import RecordEvent
from tests.conftest import PASSPHRASE, PASSWORDS
from tests.factories import jpeg_photo, marriage_case, person

ROOT = Path(__file__).resolve().parents[2]
D = dt.date
PHOTO = jpeg_photo()
TRAINING = ("--accept-training",)  # the scenario runs on a training database (see below)


def registry(*args, user: str | None = None, db_path: Path | None = None, expect: int = 0) -> dict | list:
    env = {**os.environ, "REGISTRY_PASSPHRASE": PASSPHRASE}
    if user:
        env["REGISTRY_USER_PASSWORD"] = PASSWORDS.get(user, PASSWORDS["clerk"])
    cmd = [sys.executable, "-m", "registry_app.cli"] + (["--db", str(db_path)] if db_path else []) + [str(a) for a in args]
    if user:
        cmd += ["--user", user]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180, cwd=ROOT, env=env)
    assert proc.returncode == expect, (args, proc.returncode, proc.stdout, proc.stderr)
    return json.loads(proc.stdout)


def register(ctx, case: dict) -> int:
    c = MarriageCase.from_dict(case)
    c.photo = PHOTO
    return MarriageService(ctx).register_case(c).record_id


def divorce_application(case: dict, marriage_id: int) -> dict:
    app = json.loads((ROOT / "resources/examples/divorce-case.json").read_text("utf-8"))
    for key in ("party1", "party2"):
        app[key] = {k: case[key][k] for k in ("name", "sex", "birth_date", "id_type", "id_number")}
    app["marriage"] = {"record_id": marriage_id}
    return app


def correct(clerk_ctx, supervisor_ctx, db, record_id: int) -> str:
    """Correct a party's name through the corrections service when there is one, else record the
    correction event directly. Returns the first party's name as the record now has it."""
    try:
        from registry_app.services.corrections import Corrections
    except ImportError:  # pragma: no cover - depends on what the project ships
        from registry_app.services.events import append_event

        with db.write() as s:
            append_event(clerk_ctx, s, "record.corrected", record_id, {"changes": []})
        return "张伟"
    cid = Corrections(clerk_ctx).propose(record_id, [{"path": "parties.1.name", "new": "张卫"}],
                                        "身份证号码录入有误，按证件更正姓名")
    Corrections(supervisor_ctx).approve(cid, "已核对身份证原件")
    return "张卫"


# The scenario is played on the days it happened (the clock moved back, then on between the command
# line's system-clock entries): a training database.
@pytest.mark.training
def test_a_day_exported_acknowledged_corrected_and_resent(db, db_path, clock, clerk_ctx, supervisor_ctx, tmp_path):
    keys, out = tmp_path / "province", tmp_path / "outbox"
    # the province makes its keys; the office administrator trusts its public key
    made = registry("province", "keygen", "--out", keys)
    registry("sync", "set-province-key", made["public"], user="admin", db_path=db_path)

    # a couple married two weeks ago (not yet sent), then the day: two marriages, a divorce
    # application for the earlier couple, a spoiled blank
    BlankStock(supervisor_ctx).receive("marriage", "Z0000001", "Z0000010")
    clock.set(D(2026, 6, 1))
    earlier_case = marriage_case(person("吴刚", "M", D(1985, 2, 2)), person("郑洁", "F", D(1987, 3, 3)),
                                 blank_serial="Z0000001")
    earlier = register(clerk_ctx, earlier_case)
    clock.set(D(2026, 6, 15))
    first = register(clerk_ctx, marriage_case(blank_serial="Z0000002"))
    register(clerk_ctx, marriage_case(person("王强", "M", D(1990, 1, 2)), person("赵敏", "F", D(1992, 5, 6)),
                                      blank_serial="Z0000003"))
    application = DivorceService(clerk_ctx).apply(divorce_application(earlier_case, earlier))["application_id"]
    BlankStock(clerk_ctx).spoil("Z0000004", "打印卡纸")

    check = registry("sync", "check", "--date", "2026-06-15", user="clerk", db_path=db_path)
    assert (check["registrations"], check["passed"], check["rate_text"]) == (2, 2, "100.0%")
    assert check["counts"] == {"blank.spoiled": 1, "divorce.applied": 1, "marriage.registered": 2}
    assert [i["kind"] for i in check["open_work"]] == ["divorce_pending"]

    day1 = registry("sync", "export", "--date", "2026-06-15", "--out", out, user="clerk", db_path=db_path)
    assert (day1["batch_seq"], day1["event_count"], day1["first_event_seq"]) == (1, 5, 1)
    shutil.copy(day1["public_key_path"], keys)  # the province registers the office key

    # a training database's batches are marked: the province refuses them unless told to take them
    refused = registry("province", "validate", day1["path"], "--keys", keys, expect=1)
    assert (refused["training"], [p["code"] for p in refused["problems"]]) == (True, ["BATCH_TRAINING"])
    seen = registry("province", "validate", day1["path"], "--keys", keys, *TRAINING)
    assert seen["acceptable"] and not seen["accepted"] and seen["problems"] == []
    assert seen["audit_head"] == day1["audit_head"] and seen["format_version"] == 2
    by_type = {}
    for ev in seen["events"]:
        by_type.setdefault(ev["event_type"], []).append(ev)
    rejected = next(ev for ev in by_type["marriage.registered"] if ev["record_id"] == first)
    conflict = by_type["divorce.applied"][0]
    ack1 = tmp_path / "ack-000001.json"
    registry("province", "ack", day1["path"], "--keys", keys, "--out", ack1, *TRAINING,
             "--reject", f"{rejected['event_id']}:R002", "--conflict", f"{conflict['event_id']}:C002")
    # the state moved on: the same batch again is a replay
    replay = registry("province", "validate", day1["path"], "--keys", keys, *TRAINING, expect=1)
    assert [p["code"] for p in replay["problems"]] == ["BATCH_REPLAY"]

    applied = registry("sync", "import-ack", ack1, user="supervisor", db_path=db_path)
    assert (applied["accepted"], applied["rejected"], applied["conflict"]) == (3, 1, 1)
    assert not applied["already_imported"] and applied["audit_head"] == day1["audit_head"]
    again = registry("sync", "import-ack", ack1, user="supervisor", db_path=db_path)
    assert again["already_imported"] and again["cases_opened"] == []

    cases = registry("sync", "cases", user="supervisor", db_path=db_path)
    assert [(c["kind"], c["code"], c["record_id"]) for c in cases] == [
        ("sync_rejected", "R002", first), ("sync_conflict", "C002", application)]

    # next day: the rejected record is corrected, the day is exported; the registration goes again
    clock.set(D(2026, 6, 16))
    name_now = correct(clerk_ctx, supervisor_ctx, db, first)
    day2 = registry("sync", "export", "--date", "2026-06-16", "--out", out, user="clerk", db_path=db_path)
    assert day2["batch_seq"] == 2 and day2["first_event_seq"] == 6
    assert day2["resent"] == [rejected["event_id"]]
    assert day2["counts"] == {"marriage.registered": 1, "record.corrected": 1}
    accepted = registry("province", "validate", day2["path"], "--keys", keys, "--accept", *TRAINING)
    assert accepted["accepted"] and accepted["problems"] == []
    ack2 = tmp_path / "ack-000002.json"
    registry("province", "ack", day2["path"], "--keys", keys, "--out", ack2, *TRAINING)
    applied2 = registry("sync", "import-ack", ack2, user="supervisor", db_path=db_path)
    assert applied2["accepted"] == 2 and len(applied2["cases_resolved"]) == 1
    assert [c["kind"] for c in registry("sync", "cases", user="supervisor", db_path=db_path)] == ["sync_conflict"]
    with db.read() as s:
        resend = s.execute(select(RecordEvent).where(RecordEvent.seq == 7)).scalar_one()
        assert resend.data["resend_of"] == rejected["event_id"]
        assert resend.data["parties"][0]["name"] == name_now
        assert resend.sync_status == "accepted"

    # re-export of day 1 gives the same content: the province sees the batch it already has
    redo = registry("sync", "export", "--date", "2026-06-15", "--out", tmp_path / "again", "--again",
                    user="clerk", db_path=db_path)
    assert redo[0]["chain_hash"] == day1["chain_hash"] and redo[0]["file_hash"] != day1["file_hash"]
    assert [p["code"] for p in registry("province", "validate", redo[0]["path"], "--keys", keys, *TRAINING,
                                        expect=1)["problems"]] == ["BATCH_REPLAY"]

    # the province's reference extract comes back and is the office's offline status check
    ref = tmp_path / "reference.json"
    made_ref = registry("province", "reference", "--keys", keys, "--out", ref, day1["path"], day2["path"])
    assert made_ref["entries"] == 6
    imported = registry("sync", "import-reference", ref, user="supervisor", db_path=db_path)
    assert imported["entries"] == 6 and imported["age_days"] is not None


def test_province_commands_refuse_bad_input(tmp_path):
    keys = tmp_path / "keys"
    registry("province", "keygen", "--out", keys)
    junk = tmp_path / "junk.rgb"
    junk.write_bytes(b"not a batch")
    report = registry("province", "validate", junk, "--keys", keys, expect=1)
    assert [p["code"] for p in report["problems"]] == ["BATCH_BAD_MAGIC"] and not report["acceptable"]
    refused = registry("province", "ack", junk, "--keys", keys, "--out", tmp_path / "a.json", "--reject", "x", expect=2)
    assert refused["errors"][0]["code"] == "ARGUMENT_INVALID"
    missing = registry("province", "validate", junk, "--keys", tmp_path / "nowhere", expect=2)
    assert missing["errors"][0]["code"] == "KEY_DIR_MISSING"
