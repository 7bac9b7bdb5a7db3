"""Refusals that must outlive the refused operation: a permission refused (`access.denied`) and a
wrong supervisor password given as an approval (`auth.approval_failed`, which also counts towards
that supervisor's lock-out).

Each is written in its own committed transaction, so the refused operation's rollback cannot erase
it. A refusal may happen while the same thread holds an open transaction on the database (a reprint
approval is checked inside the print transaction): SQLite keeps its write lock until that transaction
ends, and on PostgreSQL it may hold the audit chain's row lock, so a second writer on this thread would
wait for itself. Such a refusal is therefore queued on the open session and written right after that
session's transaction ends (committed or rolled back), when the locks are free; with no transaction
open on this thread it is written at once.
"""
from __future__ import annotations

import logging
import threading
from typing import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session

from registry_app.services.context import AppContext

log = logging.getLogger(__name__)
_QUEUE = "registry.deferred_refusals"
_local = threading.local()

Writer = Callable[[Session], None]


def _open_sessions() -> list[Session]:
    sessions = getattr(_local, "sessions", None)
    if sessions is None:
        sessions = _local.sessions = []
    return sessions


@event.listens_for(Session, "after_transaction_create")
def _began(session: Session, transaction) -> None:  # noqa: ANN001
    if transaction.parent is None:
        _open_sessions().append(session)


@event.listens_for(Session, "after_transaction_end")
def _ended(session: Session, transaction) -> None:  # noqa: ANN001
    if transaction.parent is not None:
        return
    sessions = _open_sessions()
    if session in sessions:
        sessions.remove(session)
    for ctx, writer in session.info.pop(_QUEUE, []):
        _write(ctx, writer)


def _open_session_on(ctx: AppContext) -> Session | None:
    """This thread's innermost session with an open transaction on ctx's database, if any."""
    pool = ctx.db.engine.pool
    for session in reversed(_open_sessions()):
        if getattr(session.bind, "pool", None) is pool and session.in_transaction():
            return session
    return None


def _write(ctx: AppContext, writer: Writer) -> None:
    try:
        with ctx.db.write() as s:
            writer(s)
    except Exception:  # noqa: BLE001 — the refusal itself stands; failing to log it must not hide it
        log.exception("could not record a refusal in the audit trail")


def record_refusal(ctx: AppContext, writer: Writer) -> None:
    """Run `writer(session)` in its own transaction: now, or once this thread's open transaction on
    the same database has ended."""
    session = _open_session_on(ctx)
    if session is None:
        _write(ctx, writer)
    else:
        session.info.setdefault(_QUEUE, []).append((ctx, writer))


def access_denied(ctx: AppContext, permission, code: str, operation: str) -> None:
    """Audit a refusal by AppContext.require: who, in which role, lacking what, in which operation."""
    from registry_app.services import audit

    user = ctx.user
    detail = {"permission": getattr(permission, "value", str(permission)), "code": code, "operation": operation}

    def write(s: Session) -> None:
        audit.record(ctx, s, "access.denied", "permission", detail["permission"], detail,
                     username=user.username if user else "?", role=user.role.value if user else "none")

    record_refusal(ctx, write)
