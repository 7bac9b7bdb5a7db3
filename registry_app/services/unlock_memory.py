"""The office passphrase typed once per machine start, where the administrator allows it.

With the office setting `keyring_unlock` on, the passphrase typed at the unlock window is kept in the
operating system's keyring (Secret Service, Keychain, Windows Credential Manager) together with an
identifier of the current machine start; a later start of the client on the same machine start opens
the database without asking. After a restart of the machine the entry no longer matches: it is deleted
and the passphrase is asked again. With the setting off, any kept passphrase is deleted as soon as the
database is open. Where no keyring is available the passphrase is simply asked every time.
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Callable

KEYRING_SERVICE = "registry-app"
_BOOT_ID = Path("/proc/sys/kernel/random/boot_id")
_START_TOLERANCE_S = 120  # the estimated boot time drifts by seconds between two readings


def machine_start() -> str:
    """Identifies this start of the machine: Linux's boot id, elsewhere the boot time estimated from
    the wall clock and the monotonic clock (which counts from boot on Windows and macOS)."""
    try:
        return "boot:" + _BOOT_ID.read_text(encoding="ascii").strip()
    except OSError:
        return f"t:{int(time.time() - time.monotonic())}"


def same_start(a: str, b: str) -> bool:
    if a.startswith("t:") and b.startswith("t:"):
        try:
            return abs(int(a[2:]) - int(b[2:])) <= _START_TOLERANCE_S
        except ValueError:
            return False
    return a == b


class UnlockMemory:
    """The keyring entry of one database file (keyed by its resolved path)."""

    def __init__(self, db_path: Path, start: Callable[[], str] = machine_start):
        self.key = str(Path(db_path).resolve())
        self.start = start

    def recall(self) -> str | None:
        """The passphrase kept on this machine start, or None (and a stale entry is deleted)."""
        try:
            import keyring

            stored = keyring.get_password(KEYRING_SERVICE, self.key)
        except Exception:  # noqa: BLE001 — no keyring backend, or it refused: ask as usual
            return None
        if not stored:
            return None
        try:
            entry = json.loads(stored)
            start, passphrase = entry["start"], entry["passphrase"]
        except (ValueError, TypeError, KeyError):
            start, passphrase = "", ""
        if not (isinstance(start, str) and isinstance(passphrase, str) and passphrase
                and same_start(start, self.start())):
            self.forget()  # kept on an earlier machine start, or not ours
            return None
        return passphrase

    def remember(self, passphrase: str) -> bool:
        """Keep `passphrase` until the machine restarts. False where no keyring is available."""
        try:
            import keyring

            keyring.set_password(KEYRING_SERVICE, self.key,
                                 json.dumps({"start": self.start(), "passphrase": passphrase}))
            return True
        except Exception:  # noqa: BLE001 — no keyring backend on this machine
            return False

    def forget(self) -> None:
        try:
            import keyring

            keyring.delete_password(KEYRING_SERVICE, self.key)
        except Exception:  # noqa: BLE001 — nothing kept, or no keyring: nothing to delete
            pass

    def settle(self, allowed: bool, typed: str | None) -> None:
        """After the database is open: keep what was typed if the office allows it, else keep nothing."""
        if not allowed:
            self.forget()
        elif typed:
            self.remember(typed)


__all__ = ["KEYRING_SERVICE", "UnlockMemory", "machine_start", "same_start"]
