"""The demo's one promise, kept by the services: nothing leaves a demo database.

A throwaway demo database (registry-app --demo) carries a marker setting; the end-of-day export and every
backup ask here first and are refused with DEMO_NOTHING_LEAVES, whether the request comes from the
client or from the command line pointed at the demo's file. Imports only storage, so services and sync
may call it without depending on the generator."""
from __future__ import annotations

from sqlalchemy.orm import Session

from registry_app.errors import Issue, Refused
from registry_app.storage.engine import Database
from registry_app.storage.models import Setting

DEMO_SANDBOX_SETTING = "demo_sandbox"


def is_demo_sandbox(db: Database, session: Session | None = None) -> bool:
    if session is not None:
        return session.get(Setting, DEMO_SANDBOX_SETTING) is not None
    with db.read() as s:
        return s.get(Setting, DEMO_SANDBOX_SETTING) is not None


def refuse_in_demo(db: Database, what: str) -> None:
    """Raise DEMO_NOTHING_LEAVES when `db` is a demo database; `what` names the refused operation."""
    if is_demo_sandbox(db):
        raise Refused([Issue("DEMO_NOTHING_LEAVES",
                             f"演示数据库中的数据不能离开本机：{what}不可用（演示结束后数据即删除）")])
