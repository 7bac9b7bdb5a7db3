"""The benchmark's database (an SQLCipher file or a PostgreSQL database): built from demo data in a child
process, and the SQL a service ran captured so the baseline can replay exactly those statements."""
from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from collections.abc import Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Callable

from sqlalchemy import event

from registry_app.bench.raw import raw_connect
from registry_app.errors import RegistryError

ProgressFn = Callable[[str], None]

# --- the database ------------------------------------------------------------------------------------

def count_records(path: Path | None, passphrase: str | None, url: str | None = None) -> int:
    """Records in the benchmark database: 0 for an empty file or a PostgreSQL database without the schema,
    -1 when it cannot be read (a wrong passphrase, a foreign file)."""
    if url is None and not (path.exists() and path.stat().st_size):
        return 0
    try:
        conn = raw_connect(path, passphrase, url)
    except Exception:  # noqa: BLE001 — the open below says why
        return -1
    try:
        if conn.dialect == "postgresql" and conn.execute("SELECT to_regclass('records')").fetchone()[0] is None:
            return 0
        return conn.execute("SELECT count(*) FROM records").fetchone()[0]
    except Exception:  # noqa: BLE001
        return -1
    finally:
        conn.close()


def _initialise_postgres(url: str, env: dict) -> None:
    """An empty PostgreSQL database becomes a training office (demo data goes only into one)."""
    from registry_app.services.office_setup import OfficeSetup, initialise

    initialise(OfficeSetup("320102", "基准测试登记处", "", "admin", "admin", env["REGISTRY_ADMIN_PASSWORD"],
                           training=True), None, url=url).close()


def build_database(path: Path | None, records: int, passphrase: str | None, progress: ProgressFn,
                   url: str | None = None) -> float:
    """Make sure the database holds at least `records` records; add demo data in a separate process (its
    memory is not the benchmark's). Returns the seconds spent generating (0 when reused)."""
    have = count_records(path, passphrase, url)
    if have < 0:
        raise RegistryError("无法读取基准测试数据库（口令错误或不是本系统的数据库）", code="BENCH_DB_UNREADABLE")
    where = "the PostgreSQL database" if url else path.name
    if have >= records:
        progress(f"reusing {where}: {have} records")
        return 0.0
    env = dict(os.environ)
    env.setdefault("REGISTRY_ADMIN_PASSWORD", "Bench-" + secrets.token_hex(8) + "-9a")
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    if url:
        if have == 0:
            _initialise_postgres(url, env)
        target = ["--url", url]
        env.pop("REGISTRY_DB_URL", None)
    else:
        env["REGISTRY_PASSPHRASE"] = passphrase
        target = ["--db", str(path)]
    progress(f"generating {records - have} demo records into {where}")
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "registry_app.cli", *target, "demo-data", "--records", str(records - have),
         "--seed", str(1 + have)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise RegistryError(f"生成演示数据失败：{done.stdout.strip()} {done.stderr.strip()[-500:]}",
                            code="BENCH_DEMO_DATA_FAILED")
    return time.perf_counter() - started


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
            # psycopg's named parameters stay a mapping; SQLite's positional ones a tuple
            params = parameters if isinstance(parameters, Mapping) else tuple(parameters or ())
            self.current.append((statement, params))

    @contextmanager
    def collect(self):
        self.current = []
        try:
            yield self.current
        finally:
            self.current = None
