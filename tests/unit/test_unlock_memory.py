"""The passphrase typed once per machine start (where the office allows it), in a fake keyring."""
from __future__ import annotations

import json

import keyring
import pytest
from keyring.backends.fail import Keyring as NoKeyring

from registry_app.services.unlock_memory import KEYRING_SERVICE, UnlockMemory, machine_start, same_start
from tests.fake_keyring import memory_keyring  # noqa: F401 — fixture

PASS = "office passphrase 42"


def test_kept_passphrase_opens_only_on_the_same_machine_start(tmp_path, memory_keyring):  # noqa: F811
    starts = iter(["boot:a", "boot:a", "boot:b"])
    memory = UnlockMemory(tmp_path / "office.db", start=lambda: next(starts))
    assert memory.remember(PASS)
    assert memory.recall() == PASS  # the client started again before the machine restarted
    assert memory.recall() is None  # after a restart: asked again, and the stale entry is gone
    assert memory_keyring.entries == {}


def test_the_entry_holds_the_machine_start_and_is_keyed_by_the_file(tmp_path, memory_keyring):  # noqa: F811
    UnlockMemory(tmp_path / "office.db", start=lambda: "boot:x").remember(PASS)
    [(service, key)] = memory_keyring.entries
    assert service == KEYRING_SERVICE and key == str((tmp_path / "office.db").resolve())
    assert json.loads(memory_keyring.entries[(service, key)]) == {"start": "boot:x", "passphrase": PASS}
    assert UnlockMemory(tmp_path / "other.db", start=lambda: "boot:x").recall() is None


@pytest.mark.parametrize("stored", [PASS, "", "{}", '{"start": "boot:x"}', '{"start": 1, "passphrase": "p"}',
                                    '{"start": "boot:x", "passphrase": ""}', "[1, 2]"])
def test_an_entry_not_in_our_form_is_deleted_and_asks_again(tmp_path, memory_keyring, stored):  # noqa: F811
    memory = UnlockMemory(tmp_path / "office.db", start=lambda: "boot:x")
    memory_keyring.entries[(KEYRING_SERVICE, memory.key)] = stored
    assert memory.recall() is None
    assert stored == "" or memory_keyring.entries == {}


def test_settle_keeps_what_was_typed_only_where_allowed(tmp_path, memory_keyring):  # noqa: F811
    memory = UnlockMemory(tmp_path / "office.db", start=lambda: "boot:x")
    memory.settle(allowed=True, typed=PASS)
    assert memory.recall() == PASS
    memory.settle(allowed=True, typed=None)  # opened from the keyring: kept as it is
    assert memory.recall() == PASS
    memory.settle(allowed=False, typed=None)  # the administrator turned it off
    assert memory.recall() is None and memory_keyring.entries == {}
    memory.settle(allowed=False, typed=PASS)
    assert memory_keyring.entries == {}


def test_without_a_keyring_the_passphrase_is_simply_asked(tmp_path):
    previous = keyring.get_keyring()
    keyring.set_keyring(NoKeyring())
    try:
        memory = UnlockMemory(tmp_path / "office.db")
        assert memory.remember(PASS) is False
        assert memory.recall() is None
        memory.forget()  # nothing to delete, no error
    finally:
        keyring.set_keyring(previous)


@pytest.mark.parametrize("a, b, same", [
    ("boot:1f2e", "boot:1f2e", True), ("boot:1f2e", "boot:9a9a", False),
    ("t:1700000000", "t:1700000090", True),  # the estimate drifts by seconds between readings
    ("t:1700000000", "t:1700003600", False), ("t:1700000000", "boot:1700000000", False), ("t:x", "t:x", False),
])
def test_same_machine_start(a, b, same):
    assert same_start(a, b) is same


def test_machine_start_is_stable_within_a_run():
    assert same_start(machine_start(), machine_start())
