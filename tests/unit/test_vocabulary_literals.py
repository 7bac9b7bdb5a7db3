"""No status value or status label written out by hand outside domain/states.py.

tests/unit/test_states.py catches a literal compared with or assigned to a `status`; this reads every string
constant of the code (Python's own parser, so comments and docstrings do not count) and catches the rest: a
tuple of states kept under another name, a column default, a Chinese label typed again. A constant that is a
key (of a dict, a subscript, `.get`) names a field, not a state, and is not checked.

A hit is allowed only when the word belongs to another vocabulary (ALLOWED, with the reason).
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from registry_app.domain import states as st

ROOT = Path(__file__).resolve().parents[2]
EXCLUDED = ("registry_app/domain/states.py", "registry_app/storage/migrations/")
CJK = re.compile(r"[\u4e00-\u9fff]")

STATE_ENUMS = sorted({e for enums in st.STATUS_COLUMNS.values() for e in enums} | {st.DivorcePhase},
                     key=lambda e: e.__name__)
VALUES = {m.value for e in STATE_ENUMS for m in e} | {"void"}  # "void": the old word revision 0008 renamed
LABELS = {m.zh for e in STATE_ENUMS for m in e}

#: (file, word): why the word is not a status there.
ALLOWED = {
    ("registry_app/commands/divorce.py", "pending"): "the `divorce pending` command's name",
    ("registry_app/commands/marriage.py", "void"): "the `marriage void` command's name",
    ("registry_app/commands/sync.py", "conflict"): "the --conflict option's name",
    ("registry_app/domain/annulment.py", "revoked"): "a judgment's effect as the court file states it",
    ("registry_app/sync/acks.py", "open"): "a quarantined batch file's state (office settings), not a work case",
    ("registry_app/sync/reconcile.py", "open"): "a quarantined batch file's state (office settings), not a work case",
    ("registry_app/sync/ack.py", "accepted"): "the acknowledgement format's verdict words (province side)",
    ("registry_app/sync/ack.py", "rejected"): "the acknowledgement format's verdict words (province side)",
    ("registry_app/sync/ack.py", "conflict"): "the acknowledgement format's verdict words (province side)",
    ("registry_app/sync/province.py", "accepted"): "the acknowledgement format's verdict words (province side)",
    ("registry_app/sync/province.py", "rejected"): "the acknowledgement format's verdict words (province side)",
    ("registry_app/sync/province.py", "conflict"): "the acknowledgement format's verdict words (province side)",
    ("registry_app/sync/export.py", "pending"): "a crash-test checkpoint's name",
    ("registry_app/sync/export.py", "written"): "a crash-test checkpoint's name",
    ("registry_app/sync/quality.py", "divorce_pending"): "the kind of an open item in the day's check",
    ("registry_app/errors.py", "已取消"): "an operation cancelled by the clerk, not a marriage application",
    ("registry_app/operations.py", "已取消"): "an operation cancelled by the clerk, not a marriage application",
    ("registry_app/services/stock.py", "已作废"): "part of a sentence (空白证书…已作废)",
    ("ui/workflows/sync_page.py", "open"): "a file dialog's mode",
}

def _keys(tree: ast.AST) -> set[int]:
    """Constants that name a field: dict keys, subscripts, the first argument of .get/.pop/.setdefault."""
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            out.update(id(k) for k in node.keys if k is not None)
        elif isinstance(node, ast.Subscript):
            out.add(id(node.slice))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args \
                and node.func.attr in ("get", "pop", "setdefault"):
            out.add(id(node.args[0]))
    return out


def _docstrings(tree: ast.AST) -> set[int]:
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                out.add(id(first.value))
    return out


def hits(source: str) -> list[tuple[int, str]]:
    """(line, word) for every string constant of `source` that is a status value or a status label."""
    tree = ast.parse(source)
    skip = _keys(tree) | _docstrings(tree)
    return sorted({(node.lineno, node.value) for node in ast.walk(tree)
                   if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip
                   and (node.value in VALUES or node.value in LABELS)})


def _found() -> dict[tuple[str, str], list[int]]:
    found: dict[tuple[str, str], list[int]] = {}
    for top in ("registry_app", "ui"):
        for path in sorted((ROOT / top).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel.startswith(EXCLUDED):
                continue
            for line, word in hits(path.read_text(encoding="utf-8")):
                found.setdefault((rel, word), []).append(line)
    return found


def test_no_status_value_or_label_is_written_out_of_the_enums():
    found = _found()
    new = {f"{rel}:{lines[0]}: {word!r}" for (rel, word), lines in found.items()
           if (rel, word) not in ALLOWED}
    assert not new, "use the enum of domain/states.py (its .value or .zh):\n" + "\n".join(sorted(new))


def test_the_exceptions_hold_only_what_is_still_there():
    found = _found()
    stale = sorted(f"{rel}: {word!r}" for rel, word in ALLOWED if (rel, word) not in found)
    assert not stale, "gone: remove from ALLOWED:\n" + "\n".join(stale)


@pytest.mark.parametrize(("source", "expected"), [
    ('MARRIED = ("registered", "dissolved")', [(1, "dissolved"), (1, "registered")]),
    ('status = mapped_column(String(16), default="issued")', [(1, "issued")]),
    ('row = {"sync_status": "pending"}', [(1, "pending")]),
    ('LABELS = {"x": "已失效（双方离婚）"}', [(1, "已失效（双方离婚）")]),
    ('if cert.status == "void":\n    pass', [(1, "void")]),
    ('ok = CertificateState.ISSUED', []),
    ('n = tally["accepted"]', []),                       # a key
    ('w = data.get("withdrawn")', []),                  # a key
    ('out = {"replaced": numbers}', []),                # a key
    ('def f():\n    """Becomes "replaced"."""', []),   # a docstring
    ('text = "证书已作废，不能再打印"', []),              # a sentence, not a label
])
def test_the_check_finds_what_it_looks_for(source, expected):
    assert hits(source) == expected


# --- the record page names every action its timeline can show ---------------------------------------------
PAGE_ENTITIES = {"record", "certificate", "correction", "import"}  # what services/record_history.py reads
PAGE_PREFIXES = ("marriage.", "divorce.", "adoption.", "certificate.", "correction.")  # moves of those rows


def _actions() -> set[str]:
    """Every audit action written about an entity the record page shows: audit.record(ctx, s, ACTION,
    ENTITY, ...) with both literal, and transitions.move(..., action=ACTION) on a record, certificate or
    correction."""
    out: set[str] = set()
    for path in sorted((ROOT / "registry_app").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            args = [a.value if isinstance(a, ast.Constant) else None for a in node.args]
            if name == "record" and len(args) >= 4 and isinstance(args[2], str) and args[3] in PAGE_ENTITIES:
                out.add(args[2])
            if name == "move":
                out.update(k.value.value for k in node.keywords if k.arg == "action"
                           and isinstance(k.value, ast.Constant) and k.value.value.startswith(PAGE_PREFIXES))
    return out


def test_the_record_page_names_every_action_it_can_show():
    from registry_app.services.record_history import ACTION_ZH

    actions = _actions()
    assert {"marriage.registered", "certificate.voided", "marriage.corrected"} <= actions  # the scan sees them
    assert sorted(a for a in actions if a not in ACTION_ZH) == []
    assert all(CJK.search(ACTION_ZH[a]) for a in actions)


def test_the_record_page_shows_chinese_for_every_certificate_and_blank_state():
    from registry_app.services.record_history import STATUS_ZH

    for kind, states in st.RECORD_STATES.items():
        assert STATUS_ZH[kind] == {m.value: m.zh for m in states}
    for enum in (st.CertificateState, st.BlankState, st.SyncState, st.CorrectionState):
        assert all(CJK.search(enum.label(m.value)) for m in enum)
