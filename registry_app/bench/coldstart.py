"""The client's cold start, measured from outside: a new process that builds the application as the
client does, unlocks the database (the key derivation the unlock dialog runs), shows the login window and
says so; the time counts from just before the process is started until that line arrives.

The probes run in their own interpreter, so this module imports nothing of the client (the core
stays Qt-free)."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

# The probes live with the client (ui/probes); the core only starts them by module name.
CLIENT_PROBE = "ui.probes.login_window"
CLIENT_URL_PROBE = "ui.probes.login_window_url"  # PostgreSQL: connect instead of deriving a key
BARE_QT_PROBE = "ui.probes.bare_qt"


def _time_script(module: str, args: list[str], env: dict, timeout: float = 120.0) -> float:
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", module, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env=env, text=True)
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.strip() == "READY":
                elapsed = (time.perf_counter() - started) * 1000.0
                break
        else:
            raise RuntimeError(f"the start-up script ended without showing its window (exit {proc.wait()})")
        proc.wait(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return elapsed


def cold_start_ms(db_path: Path | None, passphrase: str, runs: int = 3,
                  url: str | None = None) -> tuple[list[float], list[float]]:
    """(client start-up times, bare Qt start-up times) in milliseconds."""
    env = dict(os.environ)
    env["QT_QPA_PLATFORM"] = env.get("QT_QPA_PLATFORM") or "offscreen"
    env["REGISTRY_PASSPHRASE"] = passphrase
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    probe, target = (CLIENT_URL_PROBE, url) if url else (CLIENT_PROBE, str(db_path))
    client = [_time_script(probe, [target], env) for _ in range(runs)]
    bare = [_time_script(BARE_QT_PROBE, [], env) for _ in range(runs)]
    return client, bare
