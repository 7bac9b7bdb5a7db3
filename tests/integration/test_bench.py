"""`registry bench` prints a report of the documented shape. Shape only: no timing is asserted."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from registry_app.bench.timing import Samples, operation, percentile

ROOT = Path(__file__).resolve().parents[2]
OP_KEYS = {"count", "median_ms", "p95_ms", "baseline_median_ms", "ratio"}
EXPECTED_OPS = {"lookup_id", "lookup_certificate", "name_search", "registration", "certificate_pdf",
                "archive_import", "encryption_lookup", "encryption_import", "cold_start"}
EXPECTED_TARGETS = {"lookup_id_p95_ms", "lookup_certificate_p95_ms", "name_search_p95_ms", "registration_p95_ms",
                    "certificate_pdf_median_ms", "export_1000_s", "export_100000_s", "import_rows_per_s",
                    "import_vs_raw_ratio", "encryption_lookup_ratio", "encryption_import_ratio", "cold_start_s",
                    "peak_memory_mb"}


@pytest.mark.slow
def test_bench_prints_the_documented_json(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", REGISTRY_PASSPHRASE="bench test passphrase 1",
               REGISTRY_ADMIN_PASSWORD="Bench-root-2026")
    command = [sys.executable, "-m", "registry_app.cli", "--db", str(tmp_path / "bench.db"), "bench",
               "--records", "300", "--json"]
    # twice: the second run reuses the database the first one built (and must not trip over its leftovers)
    for _run in range(2):
        done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=1800)
        assert done.returncode == 0, done.stderr[-2000:]
    assert "reusing" in done.stderr
    report = json.loads(done.stdout)
    assert set(report) == {"records", "engine", "operations", "targets"}
    assert report["records"] >= 300
    assert report["engine"] == "sqlcipher"
    ops = report["operations"]
    assert EXPECTED_OPS <= set(ops)
    exports = [name for name in ops if name.startswith("export_")]
    assert len(exports) == 2
    for name, op in ops.items():
        assert OP_KEYS <= set(op) <= OP_KEYS | {"per_s"}, name
        assert isinstance(op["count"], int) and op["count"] > 0, name
        for key in ("median_ms", "p95_ms", "baseline_median_ms", "ratio"):
            assert isinstance(op[key], (int, float)) and op[key] > 0, (name, key)
        if "per_s" in op:
            assert op["per_s"] > 0
    for name in ("archive_import", *exports):
        assert "per_s" in ops[name]
    targets = report["targets"]
    assert {t["name"] for t in targets} == EXPECTED_TARGETS
    for t in targets:
        assert set(t) == {"name", "target", "value", "met"}
        assert isinstance(t["met"], bool) and isinstance(t["target"], str)
        assert t["value"] is None or t["value"] > 0
    measured = {t["name"] for t in targets if t["value"] is not None}
    assert measured >= EXPECTED_TARGETS - {"export_1000_s", "export_100000_s"}  # 300 records: smaller batches


@pytest.mark.parametrize("values, q, expected", [
    ([5.0], 95, 5.0),
    ([1.0, 2.0, 3.0, 4.0, 5.0], 50, 3.0),
    ([1.0, 2.0, 3.0, 4.0, 5.0], 100, 5.0),
    ([10.0, 0.0], 95, 9.5),
    ([], 95, 0.0),
])
def test_percentile(values, q, expected):
    assert percentile(values, q) == pytest.approx(expected)


def test_operation_entry():
    entry = operation(Samples([2.0, 4.0, 6.0]), Samples([1.0, 2.0]), per=100)
    assert entry == {"count": 3, "median_ms": 4.0, "p95_ms": 5.8, "baseline_median_ms": 1.5, "ratio": 2.67,
                     "per_s": 25000.0}
