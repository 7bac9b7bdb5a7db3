"""The import-linter contracts in pyproject.toml run with the tests (as napari does)."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_layers_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    for contract in ("The core is Qt-free and does not know the UI",
                     "The UI talks to services, never to storage internals",
                     "The domain is pure rules: no storage, services, sync or SQL",
                     "The batch format and the receiving side know no office database"):
        assert f"{contract} KEPT" in result.stdout
    assert "Contracts: 4 kept, 0 broken" in result.stdout
