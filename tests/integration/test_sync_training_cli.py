"""Through the `registry` command: a training database's batch is marked and the province refuses it
unless told to accept training batches; `sync check` prints the audit head as the paper anchor; the
acknowledgement's head is what `audit verify --acks` checks against."""
from __future__ import annotations

import json
import shutil

from registry_app.storage.models import Setting
from tests.integration.test_sync_end_to_end import registry
from tests.integration.test_sync_service import DAY, day_of_work  # noqa: F401


def test_a_training_batch_is_refused_by_the_province_unless_accepted(db, db_path, day_of_work, tmp_path):  # noqa: F811
    keys, out, acks = tmp_path / "province", tmp_path / "outbox", tmp_path / "acks"
    acks.mkdir()
    made = registry("province", "keygen", "--out", keys)
    registry("sync", "set-province-key", made["public"], user="admin", db_path=db_path)
    with db.write() as s:  # as `registry init --training` leaves it
        s.get(Setting, "training").value = True
    batch = registry("sync", "export", "--date", DAY, "--out", out, user="clerk", db_path=db_path)
    assert batch["training"] is True and batch["audit_head"]["seq"] > 0
    shutil.copy(batch["public_key_path"], keys)  # the province registers the office's key
    refused = registry("province", "validate", batch["path"], "--keys", keys, expect=1)
    assert [p["code"] for p in refused["problems"]] == ["BATCH_TRAINING"] and refused["training"] is True
    registry("province", "ack", batch["path"], "--keys", keys, "--out", acks / "a1.ack", expect=1)
    assert not (acks / "a1.ack").exists()
    taken = registry("province", "validate", batch["path"], "--keys", keys, "--accept", "--accept-training")
    assert taken["accepted"] and taken["audit_head"] == batch["audit_head"]
    registry("province", "ack", batch["path"], "--keys", keys, "--out", acks / "a1.ack", "--accept-training")
    imported = registry("sync", "import-ack", acks / "a1.ack", user="supervisor", db_path=db_path)
    assert imported["audit_head"] == batch["audit_head"]
    verified = registry("audit", "verify", "--acks", acks, db_path=db_path)
    assert verified["ok"] and verified["last_anchor"]["seq"] == batch["audit_head"]["seq"]


def test_sync_check_prints_the_paper_anchor(db, db_path, day_of_work, tmp_path):  # noqa: F811
    import os
    import subprocess
    import sys

    from tests.conftest import PASSPHRASE, PASSWORDS
    from tests.integration.test_sync_end_to_end import ROOT

    env = {**os.environ, "REGISTRY_PASSPHRASE": PASSPHRASE, "REGISTRY_USER_PASSWORD": PASSWORDS["clerk"]}
    proc = subprocess.run([sys.executable, "-m", "registry_app.cli", "--db", str(db_path), "sync", "check", "--date",
                           str(DAY), "--user", "clerk"], capture_output=True, text=True, timeout=180, cwd=ROOT, env=env)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    head = report["audit_head"]
    assert report["paper_anchor"] == f"第{head['seq']}条 {head['hash'][:16]}"
    assert report["paper_anchor"] in proc.stderr
