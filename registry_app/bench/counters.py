"""Concurrent counters: K clerks registering marriages at the same moment, each in a process of its own
(as K counter machines are), against one database. For each K: registrations per second over the whole
burst (from the moment all K are released until the last one finishes), the median and p95 of one
registration as a clerk waits for it, and how many could not get the database at all (`failed`).

Each worker (bench/counter_worker.py) opens the database, prepares its couples and registers one to warm
up, says READY and waits; all are released together with one line on their standard input."""
from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from registry_app.bench.timing import Samples
from registry_app.errors import RegistryError

COUNTER_REGISTRATIONS = 30  # per counter and level
MAX_COUNTERS = 32


def parse_levels(text: str) -> list[int]:
    """'1,4,8' -> [1, 4, 8]; a coded refusal for anything else."""
    try:
        levels = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        levels = []
    if not levels or any(k < 1 or k > MAX_COUNTERS for k in levels):
        raise RegistryError(f"--counters 应为1到{MAX_COUNTERS}之间的整数，用逗号分隔，例如 1,4,8",
                            code="BENCH_COUNTERS_INVALID", field="counters")
    return levels


def _worker_env(passphrase: str | None) -> dict:
    env = dict(os.environ)
    if passphrase is not None:
        env["REGISTRY_PASSPHRASE"] = passphrase
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def run_counters(k: int, per_counter: int, *, path: Path | None, passphrase: str | None, url: str | None,
                 username: str, timeout: float = 1800.0) -> dict:
    """One burst of k counters, each registering `per_counter` couples: the figure for k."""
    env = _worker_env(passphrase)
    spec = {"path": str(path) if path else None, "url": url, "count": per_counter, "user": username}
    procs = []
    try:
        for _ in range(k):
            proc = subprocess.Popen([sys.executable, "-m", "registry_app.bench.counter_worker"], env=env,
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    text=True)
            proc.stdin.write(json.dumps({**spec, "seed": secrets.randbits(32)}) + "\n")
            proc.stdin.flush()
            procs.append(proc)
        for proc in procs:
            line = proc.stdout.readline().strip()
            if line != "READY":
                raise RegistryError(f"并发登记测试进程未能启动：{proc.stderr.read()[-500:]}",
                                    code="BENCH_COUNTER_FAILED")
        for proc in procs:  # released together
            proc.stdin.write("GO\n")
            proc.stdin.flush()
        results = []
        for proc in procs:
            out, err = proc.communicate(timeout=timeout)
            if proc.returncode != 0:
                raise RegistryError(f"并发登记测试进程失败：{err.strip()[-500:]}", code="BENCH_COUNTER_FAILED")
            results.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    timings = Samples([ms for r in results for ms in r["ms"]])
    wall = max(r["ended"] for r in results) - min(r["started"] for r in results)
    return {
        "counters": k,
        "registrations": len(timings.ms),
        "failed": sum(r["failed"] for r in results),
        "per_s": round(len(timings.ms) / wall, 1) if wall > 0 else 0.0,
        "median_ms": round(timings.median, 3),
        "p95_ms": round(timings.p95, 3),
        "certificate_numbers": sorted(n for r in results for n in r["numbers"]),
    }


def counters_figure(levels: list[int], *, path: Path | None, passphrase: str | None, url: str | None,
                    username: str, per_counter: int = COUNTER_REGISTRATIONS,
                    progress: Callable[[str], None] = lambda _m: None) -> list[dict]:
    out = []
    for k in levels:
        progress(f"{k} counter(s) at once, {per_counter} registrations each")
        figure = run_counters(k, per_counter, path=path, passphrase=passphrase, url=url, username=username)
        figure.pop("certificate_numbers")
        out.append(figure)
    return out
