"""`registry --url … bench` on PostgreSQL prints the report of the documented shape (the same operations as
on SQLCipher, less the cost-of-encryption pair), and `--counters` adds the concurrent-counters figure on
both engines. Shape only: no timing is asserted."""
from __future__ import annotations

import json
import os

import pytest

from registry_app.bench.counters import parse_levels
from registry_app.errors import RegistryError
from tests.postgres.conftest import registry

OP_KEYS = {"count", "median_ms", "p95_ms", "baseline_median_ms", "ratio"}
PG_OPS = {"lookup_id", "lookup_certificate", "name_search", "registration", "certificate_pdf", "archive_import",
          "cold_start"}
PG_TARGETS = {"lookup_id_p95_ms", "lookup_certificate_p95_ms", "name_search_p95_ms", "registration_p95_ms",
              "certificate_pdf_median_ms", "export_1000_s", "export_100000_s", "import_rows_per_s",
              "import_vs_raw_ratio", "cold_start_s", "peak_memory_mb"}
COUNTER_KEYS = {"counters", "registrations", "failed", "per_s", "median_ms", "p95_ms"}


def _counters_shape(figure: list[dict], levels: list[int], each: int = 30) -> None:
    assert [c["counters"] for c in figure] == levels
    for c in figure:
        assert set(c) == COUNTER_KEYS
        # on one SQLite file a counter may wait out the busy timeout: counted as failed, never lost
        assert c["registrations"] + c["failed"] == c["counters"] * each and c["registrations"] > 0
        assert c["per_s"] > 0 and 0 < c["median_ms"] <= c["p95_ms"]


@pytest.mark.postgres
@pytest.mark.slow
def test_bench_on_postgres_prints_the_documented_json(pg_url):
    done = registry("--url", pg_url, "bench", "--records", "300", "--counters", "1,2", "--json",
                    env={"QT_QPA_PLATFORM": "offscreen", "REGISTRY_ADMIN_PASSWORD": "Bench-root-2026"})
    assert done.returncode == 0, done.stdout[-1000:] + done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert set(report) == {"records", "engine", "operations", "targets", "counters"}
    assert report["engine"] == "postgresql" and report["records"] >= 300
    ops = report["operations"]
    assert PG_OPS <= set(ops) and not {"encryption_lookup", "encryption_import"} & set(ops)
    assert len([name for name in ops if name.startswith("export_")]) == 2
    for name, op in ops.items():
        assert OP_KEYS <= set(op) <= OP_KEYS | {"per_s"}, name
        assert op["count"] > 0 and op["median_ms"] > 0 and op["baseline_median_ms"] > 0, name
    assert {t["name"] for t in report["targets"]} == PG_TARGETS
    _counters_shape(report["counters"], [1, 2])
    # what the benchmark leaves (its couples, prints, imports; its baseline copies removed) is consistent
    check = registry("--url", pg_url, "db", "check")
    assert check.returncode == 0, check.stdout


@pytest.mark.slow
def test_counters_on_sqlcipher(tmp_path):
    done = registry("--db", str(tmp_path / "bench.db"), "bench", "--records", "200", "--counters", "1,3",
                    "--counters-only", "--json", cwd=tmp_path,
                    env={"REGISTRY_PASSPHRASE": "bench test passphrase 1", "REGISTRY_ADMIN_PASSWORD": "Bench-root-2026"})
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert report["engine"] == "sqlcipher" and report["operations"] == {}
    _counters_shape(report["counters"], [1, 3])
    assert not [p for p in os.listdir(tmp_path) if p not in ("bench.db", "bench.db.lock", "bench.db-wal", "bench.db-shm")]


@pytest.mark.parametrize("text, levels", [("1,4,8", [1, 4, 8]), ("2", [2]), (" 1, 8 ", [1, 8])])
def test_counter_levels(text, levels):
    assert parse_levels(text) == levels


@pytest.mark.parametrize("text", ["", "0", "1,x", "-1", "33", "1;4"])
def test_bad_counter_levels_are_refused(text):
    with pytest.raises(RegistryError) as err:
        parse_levels(text)
    assert err.value.code == "BENCH_COUNTERS_INVALID"
