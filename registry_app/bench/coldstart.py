"""The client's cold start, measured from outside: a new process that builds the application as the
client does, unlocks the database (the key derivation the unlock dialog runs), shows the login window and
says so; the time counts from just before the process is started until that line arrives.

The scripts run in their own interpreter, so this module imports no Qt (the core stays Qt-free)."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

CLIENT_SCRIPT = r"""
import sys
from pathlib import Path
from ui.app import make_application
from ui.login import LoginDialog
from registry_app.services.workspace import open_workspace
import os
app = make_application(sys.argv[:1])
ctx = open_workspace(Path(sys.argv[1]), os.environ["REGISTRY_PASSPHRASE"], exclusive=False)
dialog = LoginDialog(ctx)
dialog.show()
app.processEvents()
print("READY", flush=True)
ctx.db.close()
"""

# The floor: an interpreter that starts Qt and shows an empty dialog.
BARE_QT_SCRIPT = r"""
import sys
from PySide6.QtWidgets import QApplication, QDialog
app = QApplication(sys.argv[:1])
dialog = QDialog()
dialog.show()
app.processEvents()
print("READY", flush=True)
"""


def _time_script(script: str, args: list[str], env: dict, timeout: float = 120.0) -> float:
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", script, *args], stdout=subprocess.PIPE,
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


def cold_start_ms(db_path: Path, passphrase: str, runs: int = 3) -> tuple[list[float], list[float]]:
    """(client start-up times, bare Qt start-up times) in milliseconds."""
    env = dict(os.environ)
    env["QT_QPA_PLATFORM"] = env.get("QT_QPA_PLATFORM") or "offscreen"
    env["REGISTRY_PASSPHRASE"] = passphrase
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    client = [_time_script(CLIENT_SCRIPT, [str(db_path)], env) for _ in range(runs)]
    bare = [_time_script(BARE_QT_SCRIPT, [], env) for _ in range(runs)]
    return client, bare
