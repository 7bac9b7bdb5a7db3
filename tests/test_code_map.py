"""The README's code map matches the tree: every module it names exists, every package is on it."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _code_map() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## Code map")
    return text[start:text.index("\n## ", start + 1)]


def _names(section: str) -> set[str]:
    # `a.py`, `a.py`/`b.py`, `province*` — every backticked token that names code
    return set(re.findall(r"`([A-Za-z_][\w/]*(?:\.py|/|\*))`", section))


def test_every_module_the_map_names_exists():
    section = _code_map()
    sources = {p.relative_to(ROOT).as_posix() for p in ROOT.glob("registry_app/**/*.py")}
    sources |= {p.relative_to(ROOT).as_posix() for p in ROOT.glob("ui/**/*.py")}
    basenames = {s.rsplit("/", 1)[-1] for s in sources}
    dirs = {s.rsplit("/", 1)[0].split("/", 1)[-1] + "/" for s in sources if "/" in s}
    missing = []
    for name in _names(section):
        if name.endswith("*"):
            found = any(b.startswith(name[:-1]) for b in basenames)
        elif name.endswith("/"):
            found = name in dirs or any(d.endswith("/" + name) for d in dirs) or (ROOT / name).is_dir()
        elif "<" in name:
            continue
        else:
            found = name.rsplit("/", 1)[-1] in basenames
        if not found:
            missing.append(name)
    assert not missing, f"the README's code map names what the tree does not have: {sorted(missing)}"


def test_every_package_of_the_core_and_the_client_is_on_the_map():
    section = _code_map()
    packages = [p.parent for p in ROOT.glob("registry_app/*/__init__.py")]
    packages += [p.parent for p in ROOT.glob("ui/*/__init__.py")]
    absent = [p.name for p in packages if f"`{p.name}/`" not in section]
    assert not absent, f"packages missing from the README's code map: {absent}"


def test_every_service_module_is_on_the_map():
    section = _code_map()
    services = [p.stem for p in (ROOT / "registry_app/services").glob("*.py") if p.stem != "__init__"]
    absent = [s for s in services if f"`{s}.py`" not in section]
    assert not absent, f"services missing from the README's code map: {absent}"
