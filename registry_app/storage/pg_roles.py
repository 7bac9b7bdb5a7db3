"""A PostgreSQL role per office with only the rights the client needs (`registry db grant-role`).

The schema and its migrations belong to the database owner; the counters connect as the office role, which
can read and write casework but cannot DROP, ALTER, TRUNCATE or create anything, deletes only where the
client deletes, and cannot rewrite the audit trail:

- audit_log: SELECT and INSERT; UPDATE of `detail` and `entry_hash` only, and only on rows its own open
  transaction inserted (a row-level policy on xmin). The client seals the changed records' digests into
  the entry it has just written, in the same transaction (services/record_seals.py); an earlier entry is
  out of reach (an UPDATE finds no row). The client takes no savepoints: an entry inserted inside one would
  carry the savepoint's xid and its seal would fail loudly, never pass silently.
- alembic_version: SELECT only; upgrades run as the owner.
Policies apply to every role but the owner, so one set serves every office role of the database."""
from __future__ import annotations

import re

from registry_app.errors import RegistryError
from registry_app.storage.models import Base

# Tables the client deletes rows from: superseded batches, reloaded reference extracts, printer set-ups.
DELETES = ("batches", "printer_calibrations", "reference_entries")
APPEND_ONLY = "audit_log"
SEAL_COLUMNS = ("detail", "entry_hash")
READ_ONLY = ("alembic_version",)
ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def grant_statements(role: str, database: str) -> list[str]:
    """The statements, in order, for psql as the owner in one transaction (`psql -1 -f`)."""
    if not ROLE_NAME.match(role or ""):
        raise RegistryError("角色名只能由小写字母、数字和下划线组成，且不以数字开头（最长63个字符）",
                            code="ROLE_NAME_INVALID", field="role")
    r, db = _q(role), _q(database)
    tables = sorted(t.name for t in Base.metadata.sorted_tables)
    casework = [t for t in tables if t != APPEND_ONLY]
    return [
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
        f"REVOKE CONNECT, TEMPORARY ON DATABASE {db} FROM PUBLIC",
        f"GRANT CONNECT ON DATABASE {db} TO {r}",
        f"GRANT USAGE ON SCHEMA public TO {r}",
        f"GRANT SELECT, INSERT, UPDATE ON TABLE {', '.join(map(_q, casework))} TO {r}",
        f"GRANT DELETE ON TABLE {', '.join(map(_q, DELETES))} TO {r}",
        f"GRANT SELECT, INSERT ON TABLE {_q(APPEND_ONLY)} TO {r}",
        f"GRANT UPDATE ({', '.join(map(_q, SEAL_COLUMNS))}) ON TABLE {_q(APPEND_ONLY)} TO {r}",
        f"ALTER TABLE {_q(APPEND_ONLY)} ENABLE ROW LEVEL SECURITY",
        f"DROP POLICY IF EXISTS registry_audit_read ON {_q(APPEND_ONLY)}",
        f"CREATE POLICY registry_audit_read ON {_q(APPEND_ONLY)} FOR SELECT USING (true)",
        f"DROP POLICY IF EXISTS registry_audit_append ON {_q(APPEND_ONLY)}",
        f"CREATE POLICY registry_audit_append ON {_q(APPEND_ONLY)} FOR INSERT WITH CHECK (true)",
        f"DROP POLICY IF EXISTS registry_audit_seal ON {_q(APPEND_ONLY)}",
        (f"CREATE POLICY registry_audit_seal ON {_q(APPEND_ONLY)} FOR UPDATE "
         "USING (xmin = pg_current_xact_id()::xid) WITH CHECK (true)"),
        *(f"GRANT SELECT ON TABLE {_q(t)} TO {r}" for t in READ_ONLY),
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {r}",
    ]


def grant_script(role: str, database: str) -> str:
    head = (f"-- 办公室数据库角色 {role}：客户端所需的最小权限（以数据库所有者身份运行：psql -1 -f 本文件）\n"
            f"-- 先建角色：CREATE ROLE {_q(role)} LOGIN PASSWORD '…';  表结构升级仍以所有者身份运行\n")
    return head + "".join(s + ";\n" for s in grant_statements(role, database))
