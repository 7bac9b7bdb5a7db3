"""The one vocabulary of states (registry_app/domain/states.py): every member labelled, every state
reachable, no move to an unknown state, the move function's checks, and no status literal left outside."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from registry_app.domain import states as st
from registry_app.domain.states import (
    INITIAL,
    RECORD_STATES,
    STATUS_COLUMNS,
    TRANSITIONS,
    CertificateState,
    DivorcePhase,
    MarriageState,
    allowed,
    divorce_phase_zh,
    record_status_zh,
)

ROOT = Path(__file__).resolve().parents[2]
LABELLED = [v for v in vars(st).values() if isinstance(v, type) and issubclass(v, st._Labelled) and v is not st._Labelled]
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_member_of_every_enum_has_a_chinese_label():
    assert len(LABELLED) >= 12
    for enum in LABELLED:
        assert list(enum), enum
        for member in enum:
            assert CJK.search(member.zh), (enum.__name__, member.value)
            assert member == member.value and enum.label(member.value) == member.zh
        assert len({m.zh for m in enum}) == len(enum), f"{enum.__name__}: two states read the same"


@pytest.mark.parametrize("states", list(TRANSITIONS), ids=lambda e: e.__name__)
def test_every_state_is_reachable_and_every_move_names_a_known_state(states):
    table = TRANSITIONS[states]
    assert set(table) == set(states), "every state has a row (an empty one: final)"
    for source, targets in table.items():
        assert isinstance(source, states) and all(isinstance(t, states) for t in targets), source
    seen, todo = set(INITIAL[states]), list(INITIAL[states])
    while todo:
        for nxt in table[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    assert seen == set(states), f"unreachable: {set(states) - seen}"


def test_every_stored_enum_has_a_table_and_a_column():
    stored = {e for enums in STATUS_COLUMNS.values() for e in enums}
    assert stored == set(TRANSITIONS) == set(INITIAL)
    assert set(RECORD_STATES) == {"marriage", "divorce", "adoption"}


@pytest.mark.parametrize("states, current, target, ok", [
    (MarriageState, "accepted", "reviewed", True),
    (MarriageState, "accepted", "registered", False),          # review comes first
    (MarriageState, "cancelled", "accepted", False),           # final
    (MarriageState, "divorce_pending", "registered", True),    # withdrawn or expired: released
    (MarriageState, "invalidated", "invalidated", True),       # a second judgment of the same effect
    (CertificateState, "issued", "ended_by_divorce", True),
    (CertificateState, "replaced", "issued", False),
    (CertificateState, "voided", "voided", True),
])
def test_allowed_moves(states, current, target, ok):
    assert allowed(states, current, target) is ok


def test_labels_of_values_that_are_not_states():
    assert record_status_zh("marriage", "revoked") == "婚姻被撤销（法院判决）"
    assert record_status_zh("divorce", "issued") == "已发证"
    assert record_status_zh("unknown", "x") == "x"
    assert divorce_phase_zh(DivorcePhase.WINDOW_OPEN) == "待领证"
    assert divorce_phase_zh("withdrawn") == "已撤回"
    assert CertificateState.label("void") == "void"  # an old value shows as itself, never as a wrong label


def test_move_checks_the_table_stamps_and_audits(tmp_path):
    import datetime as dt

    from registry_app.errors import InvalidState
    from registry_app.services.transitions import FORBIDDEN, allowed_next, move
    from registry_app.storage.models import BlankCertificate, Certificate

    class Clock:
        def now(self):
            return dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)

    class Ctx:
        clock = Clock()

    cert = Certificate(status="replaced")
    with pytest.raises(InvalidState) as err:
        move(Ctx(), None, cert, CertificateState.ISSUED)
    assert err.value.code == FORBIDDEN and "已失效（已补领新证）" in str(err.value)
    assert cert.status == "replaced"
    blank = BlankCertificate(serial="A1", status="available")
    move(Ctx(), None, blank, "used")
    assert (blank.status, blank.changed_at) == ("used", Clock().now())
    assert allowed_next(blank) == {"spoiled"}
    with pytest.raises(ValueError):
        move(Ctx(), None, blank, "lost")  # not a state at all


# --- no status literal outside the domain ------------------------------------------------------------
OLD_VALUES = {m.value for e in LABELLED for m in e} | {"void"}
_LITERAL = r"""(["'])([a-z_]+)\1"""
PATTERNS = [
    re.compile(r"\b(?:status|sync_status)\s*(?:==|!=|=)\s*" + _LITERAL),          # x.status == "void", status="x"
    re.compile(r"\b(?:status|sync_status)\s*(?:not\s+)?in\s*[(\[{]\s*" + _LITERAL),  # .status in ("a", ...)
    re.compile(r"\b(?:status|sync_status)\.in_\(\s*[(\[]\s*" + _LITERAL),          # Record.status.in_(("a", ...))
    re.compile(r"\b(?:status|sync_status)\s*(?:==|!=)\s*[(]?[^)\n]*?(?:,\s*)?" + _LITERAL + r"\s*,"),
]
EXCLUDED = ("registry_app/domain/states", "registry_app/storage/migrations/")


def _sources():
    for top in ("registry_app", "ui"):
        for path in sorted((ROOT / top).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if not rel.startswith(EXCLUDED):
                yield rel, path.read_text(encoding="utf-8")


def test_no_status_literal_outside_the_domain():
    found = []
    for rel, text in _sources():
        for no, line in enumerate(text.splitlines(), 1):
            code = line.split("#", 1)[0]
            for pattern in PATTERNS:
                for m in pattern.finditer(code):
                    if m.group(2) in OLD_VALUES:
                        found.append(f"{rel}:{no}: {line.strip()}")
    assert found == [], "status literals outside domain/states.py:\n" + "\n".join(sorted(set(found)))


def test_the_literal_check_finds_what_it_looks_for():
    samples = ['if cert.status == "void":', 'c.status = "voided"', 'x.status in ("issued", "replaced")',
               'Record.status.in_(("registered", "dissolved"))', 'Certificate(status="issued")',
               'ev.sync_status != "pending"']
    for sample in samples:
        assert any(p.search(sample) for p in PATTERNS), sample
    for fine in ['if cert.status == CertificateState.VOIDED:', 'p.prior_status == "widowed"',
                 'filters.get("status")', 'st.recorded_status == "married"']:
        assert not any(p.search(fine) for p in PATTERNS), fine


def test_the_record_page_has_chinese_for_every_stored_state():
    from registry_app.services.record_history import KIND_ZH, STATUS_ZH

    assert set(KIND_ZH) == set(RECORD_STATES)
    for kind, states in RECORD_STATES.items():
        assert set(STATUS_ZH[kind]) == {m.value for m in states}
        assert all(CJK.search(label) for label in STATUS_ZH[kind].values())
    for enum in (CertificateState, st.BlankState, st.SyncState, st.CorrectionState):
        assert all(CJK.search(enum.label(m.value)) for m in enum)


def test_actions_name_states_that_exist_and_follow_the_table():
    from registry_app.domain.states import ACTIONS, DIVORCE_ACTIONS
    from registry_app.services.marriage import MarriageService
    from registry_app.storage.models import Record

    assert set(ACTIONS) <= {m.value for m in MarriageState}
    assert set(DIVORCE_ACTIONS) <= {m.value for m in DivorcePhase} | {m.value for m in st.DivorceState}
    # an action that moves the record is one the transition table allows
    moves = {"review": "reviewed", "register": "registered", "cancel": "cancelled", "correct": "accepted"}
    for state, actions in ACTIONS.items():
        for action in actions & set(moves):
            assert allowed(MarriageState, state, moves[action]), (state, action)
    assert MarriageService.allowed_actions(Record(kind="marriage", status="reviewed")) == {"register", "correct", "cancel"}
    assert MarriageService.allowed_actions(Record(kind="marriage", status="cancelled")) == frozenset()
