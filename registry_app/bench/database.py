"""The benchmark's database: built from demo data in a child process, opened raw for baselines, and the
SQL a service ran captured so the baseline can replay exactly those statements."""
from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable

from sqlalchemy import event

from registry_app.errors import RegistryError

ProgressFn = Callable[[str], None]

# --- the database ------------------------------------------------------------------------------------

def sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def raw_connect(path: Path, passphrase: str | None):
    """A plain DB-API connection (sqlcipher3, or sqlite3 for the unencrypted copy) with the pragmas the
    engine sets, autocommit so each transaction is explicit."""
    if passphrase is None:
        import sqlite3

        conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    else:
        import sqlcipher3

        conn = sqlcipher3.connect(str(path), isolation_level=None, check_same_thread=False)
        conn.execute(f"PRAGMA key = {sql_literal(passphrase)}")
        conn.execute("PRAGMA cipher_log_level = NONE")
    for pragma in ("foreign_keys = ON", "busy_timeout = 10000", "temp_store = MEMORY", "secure_delete = ON"):
        conn.execute(f"PRAGMA {pragma}")
    return conn


def count_records(path: Path, passphrase: str) -> int:
    conn = raw_connect(path, passphrase)
    try:
        return conn.execute("SELECT count(*) FROM records").fetchone()[0]
    except Exception:  # noqa: BLE001 — a wrong passphrase or a foreign file: the open below says why
        return -1
    finally:
        conn.close()


def build_database(path: Path, records: int, passphrase: str, progress: ProgressFn) -> float:
    """Make sure `path` holds at least `records` records; add demo data in a separate process (its memory
    is not the benchmark's). Returns the seconds spent generating (0 when reused)."""
    have = count_records(path, passphrase) if path.exists() and path.stat().st_size else 0
    if have < 0:
        raise RegistryError("无法读取基准测试数据库（口令错误或不是本系统的数据库）", code="BENCH_DB_UNREADABLE")
    if have >= records:
        progress(f"reusing {path.name}: {have} records")
        return 0.0
    env = dict(os.environ)
    env["REGISTRY_PASSPHRASE"] = passphrase
    env.setdefault("REGISTRY_ADMIN_PASSWORD", "Bench-" + secrets.token_hex(8) + "-9a")
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    progress(f"generating {records - have} demo records into {path.name}")
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "registry_app.cli", "--db", str(path), "demo-data", "--records",
         str(records - have), "--seed", str(1 + have)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise RegistryError(f"生成演示数据失败：{done.stdout.strip()} {done.stderr.strip()[-500:]}",
                            code="BENCH_DEMO_DATA_FAILED")
    return time.perf_counter() - started


def delete_copies(conn, ids: list[int]) -> None:
    """Remove the baseline's own copies again. Nothing refers to them, and with foreign keys on, SQLite
    would scan every table whose reference to records has no index (records.linked_record_id,
    documents.record_id, work_cases.record_id) once per deleted row."""
    if not ids:
        return
    conn.execute("PRAGMA foreign_keys = OFF")
    try:
        conn.execute("BEGIN IMMEDIATE")
        for i in range(0, len(ids), 500):
            part = ids[i:i + 500]
            marks = ", ".join("?" * len(part))
            conn.execute(f"DELETE FROM certificates WHERE record_id IN ({marks})", part)
            conn.execute(f"DELETE FROM parties WHERE record_id IN ({marks})", part)
            conn.execute(f"DELETE FROM records WHERE id IN ({marks})", part)
        conn.execute("COMMIT")
    finally:
        conn.execute("PRAGMA foreign_keys = ON")


# --- helpers --------------------------------------------------------------------------------------------

class SqlCapture:
    """Collects the SELECTs a service runs (not the audit trail's) so the baseline can run the same SQL."""

    def __init__(self, engine):
        self.engine = engine
        self.current: list[tuple[str, tuple]] | None = None

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._on)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._on)

    def _on(self, conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        if self.current is not None and not executemany and statement.lstrip()[:6].upper() == "SELECT" \
                and "audit_log" not in statement and "chain_heads" not in statement:
            self.current.append((statement, tuple(parameters or ())))

    @contextmanager
    def collect(self):
        self.current = []
        try:
            yield self.current
        finally:
            self.current = None
