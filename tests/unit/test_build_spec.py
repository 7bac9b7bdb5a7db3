"""The desktop build's recipe (build/pyinstaller/registry.spec), checked without building, so the parts a
Windows build shares with Linux are checked where no Windows runner exists: every file the program reads
at run time is in it, the programs it makes are the package's two entry points, no Qt module the code
imports is left out, and Qt's Chinese translations stay in under both platforms' path spellings."""
from __future__ import annotations

import ast
import runpy
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SPEC = runpy.run_path(str(ROOT / "build/pyinstaller/registry.spec"))


def _shipped_sources() -> set[Path]:
    files = set()
    for src, _dest in SPEC["DATA_DIRS"]:
        base = ROOT / src
        files |= {p for p in base.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    return files


def test_data_entries_are_relative_and_land_where_the_code_looks():
    for src, dest in SPEC["DATA_DIRS"]:
        assert not Path(src).is_absolute() and "\\" not in src and (ROOT / src).is_dir()
        assert src == dest  # resources_dir() and the migrations find them at the same place as in a checkout


def test_every_resource_and_migration_is_shipped():
    shipped = _shipped_sources()
    wanted = [p for p in (ROOT / "resources").rglob("*") if p.is_file()]
    wanted += list((ROOT / "registry_app/storage/migrations").rglob("*.py"))
    wanted += [ROOT / "registry_app/storage/migrations/script.py.mako"]
    missing = [str(p.relative_to(ROOT)) for p in wanted if "__pycache__" not in p.parts and p not in shipped]
    assert missing == []


def _imported_qt_modules() -> set[str]:
    found = set()
    for package in ("ui", "registry_app"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = [node.module] if isinstance(node, ast.ImportFrom) and node.module else \
                    [a.name for a in node.names] if isinstance(node, ast.Import) else []
                found |= {n for n in names if n.startswith("PySide6.")}
    return found


def test_no_qt_module_the_code_imports_is_excluded():
    used = _imported_qt_modules()
    assert "PySide6.QtWidgets" in used  # the scan works
    assert used.isdisjoint(SPEC["QT_EXCLUDED"])
    assert {"PySide6.QtQml", "PySide6.QtQuick", "PySide6.QtWebEngineCore", "PySide6.Qt3DCore"} <= set(SPEC["QT_EXCLUDED"])


def test_the_two_programs_are_the_package_entry_points():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    scripts = {**project["scripts"], **project["gui-scripts"]}
    assert set(SPEC["ENTRY_POINTS"]) == set(scripts)
    for name, entry in SPEC["ENTRY_POINTS"].items():
        module, func = scripts[name].split(":")
        text = (ROOT / entry).read_text(encoding="utf-8")
        assert f"from {module} import {func}" in text


@pytest.mark.parametrize("sep", ["/", "\\"])  # Linux and Windows spell the destinations differently
@pytest.mark.parametrize(("name", "kept"), [
    ("PySide6{s}Qt{s}translations{s}qtbase_zh_CN.qm", True),
    ("PySide6{s}Qt{s}translations{s}qt_zh_CN.qm", True),
    ("PySide6{s}Qt{s}translations{s}qtbase_de.qm", False),
    ("PySide6{s}translations{s}qtbase_ja.qm", False),           # the Windows wheel's layout
    ("PySide6{s}translations{s}qtbase_zh_CN.qm", True),
    ("PySide6{s}Qt{s}plugins{s}sqldrivers{s}libqsqlite.so", False),
    ("PySide6{s}plugins{s}tls{s}qschannelbackend.dll", False),
    ("PySide6{s}Qt{s}plugins{s}platforms{s}libqxcb.so", True),
    ("PySide6{s}plugins{s}platforms{s}qwindows.dll", True),
    ("PySide6{s}Qt{s}plugins{s}printsupport{s}libcupsprintersupport.so", True),
    ("PySide6{s}Qt{s}lib{s}libQt6Qml.so.6", False),
    ("PySide6{s}Qt6Quick.dll", False),
    ("PySide6{s}Qt6Widgets.dll", True),
    ("PySide6{s}Qt6PrintSupport.dll", True),
    ("resources{s}fonts{s}DroidSansFallbackFull.ttf", True),
])
def test_the_filter_keeps_chinese_and_the_widgets_on_both_platforms(name, kept, sep):
    assert SPEC["_keep"](name.format(s=sep)) is kept


def test_the_kept_qt_translations_exist_in_the_installed_qt():
    from PySide6.QtCore import QLibraryInfo

    folder = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath))
    assert (folder / "qtbase_zh_CN.qm").is_file()
    assert "qtbase_zh_CN.qm" in SPEC["QT_TRANSLATIONS_KEPT"]
