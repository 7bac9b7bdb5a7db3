"""one vocabulary of states: old certificate values renamed, every status column kept in its set

registry_app/domain/states.py holds one enum per entity. Stored values it renamed:

- certificates.status "void" (a divorce ended the marriage the certificate proves) -> "ended_by_divorce",
  next to "voided" (declared void by a supervisor), which it was one letter away from. Demo databases also
  hold "void" for certificates a reissue superseded (the service writes "replaced" for those): a void J/L/BJ/BL
  certificate whose record has a later BJ/BL certificate, and whose remark is not the divorce's, becomes
  "replaced".

Records whose certificates changed are re-sealed (`records.vocabulary_migrated`), so `registry db check` stays
clean. Then every status column is kept in its set: CHECK constraints on PostgreSQL; on SQLite, triggers
that abort an INSERT or UPDATE with a value outside the set. A CHECK on SQLite needs a copy of the table
(batch mode), and copying `records` or `certificates` means dropping a table that parties, events,
print_log and blank_stock refer to (see revision 0005); a trigger enforces the same set in place. The sets
are written out here, not imported, so this revision stays what it was when a later one adds a state.

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.orm import Session


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

DIVORCE_REMARK = "双方离婚，证件失效"

RECORD_STATES = {
    "marriage": ("accepted", "reviewed", "registered", "cancelled", "divorce_pending", "dissolved", "invalidated",
                 "revoked"),
    "divorce": ("cooling_off", "withdrawn", "expired", "issued"),
    "adoption": ("registered", "dissolved", "revoked"),
}
# (table, column) -> allowed values; records are checked per kind
SETS = {
    ("certificates", "status"): ("issued", "ended_by_divorce", "voided", "replaced", "surrendered", "invalidated"),
    ("blank_stock", "status"): ("available", "used", "spoiled"),
    ("corrections", "status"): ("proposed", "approved", "rejected"),
    ("events", "sync_status"): ("pending", "exported", "accepted", "rejected", "conflict"),
    ("batches", "status"): ("pending", "written"),
    ("work_cases", "status"): ("open", "resolved"),
}
ABORT = "STATE_NOT_IN_SET"


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _conditions(prefix: str = ""):
    """(table, columns watched, name, condition that must hold)."""
    records = " OR ".join(f"({prefix}kind = '{kind}' AND {_in(prefix + 'status', values)})"
                          for kind, values in RECORD_STATES.items())
    yield "records", ("status", "kind"), "ck_records_status", records
    for (table, column), values in SETS.items():
        yield table, (column,), f"ck_{table}_{column}", _in(prefix + column, values)


def _reseal(ids, reason: str) -> None:
    from registry_app.services.record_seals import reseal

    session = Session(bind=op.get_bind())
    reseal(session, ids, "records.vocabulary_migrated", reason)
    session.flush()


def upgrade() -> None:
    bind = op.get_bind()
    changed = [r[0] for r in bind.execute(sa.text(
        "SELECT DISTINCT record_id FROM certificates WHERE status = 'void'"))]
    bind.execute(sa.text(
        "UPDATE certificates SET status = 'replaced' WHERE status = 'void' "
        "AND cert_type IN ('J', 'L', 'BJ', 'BL') AND coalesce(void_reason, '') <> :remark "
        "AND EXISTS (SELECT 1 FROM certificates later WHERE later.record_id = certificates.record_id "
        "AND later.cert_type IN ('BJ', 'BL') AND later.id > certificates.id)"), {"remark": DIVORCE_REMARK})
    bind.execute(sa.text("UPDATE certificates SET status = 'ended_by_divorce' WHERE status = 'void'"))
    if changed:
        _reseal(changed, "升级：证书状态改用统一名称（“void”改为“因离婚失效”或“已补领新证”）")
    if bind.dialect.name == "sqlite":
        for table, columns, name, condition in _conditions("NEW."):
            for when, event in (("insert", "INSERT"), ("update", f"UPDATE OF {', '.join(columns)}")):
                op.execute(f"CREATE TRIGGER {name}_{when} BEFORE {event} ON {table} "
                           f"WHEN NOT ({condition}) BEGIN SELECT RAISE(ABORT, '{ABORT}: {table}.{columns[0]}'); END")
    else:
        for table, _columns, name, condition in _conditions():
            op.create_check_constraint(name, table, condition)


def downgrade() -> None:
    bind = op.get_bind()
    for table, _columns, name, _condition in _conditions():
        if bind.dialect.name == "sqlite":
            op.execute(f"DROP TRIGGER IF EXISTS {name}_insert")
            op.execute(f"DROP TRIGGER IF EXISTS {name}_update")
        else:
            op.drop_constraint(name, table, type_="check")
    changed = [r[0] for r in bind.execute(sa.text(
        "SELECT DISTINCT record_id FROM certificates WHERE status = 'ended_by_divorce'"))]
    bind.execute(sa.text("UPDATE certificates SET status = 'void' WHERE status = 'ended_by_divorce'"))
    if changed:
        _reseal(changed, "降级：证书状态恢复旧名称")
