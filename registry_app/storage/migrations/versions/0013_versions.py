"""versioned edits: two clerks on the same record, the second save from an older read is refused

- `records.version` (from 1), with `changed_by` / `changed_at`: who and when the record's state last
  changed, so the refusal can name them without searching the audit trail. A record is one aggregate: a
  change to its parties, certificates or documents raises its version too (services/versions.py, and the
  commit hook in services/record_seals.py).
- `appointments.version`, `work_cases.version`: the same for a booking and a supervisor's work item.
- `corrections.record_version`: the record's version the proposal was made against; approving it after
  the record changed is refused.

Only new columns with defaults: no stored value changes, and the record digests leave these columns out
(storage/digests.py), so `db check` stays clean without resealing.

Revision ID: 0013
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ADD/DROP COLUMN (SQLite 3.35+ has both): a batch copy of `records` would trip the foreign keys
    # of its parties, certificates and documents on the way down
    op.add_column("records", sa.Column("version", sa.Integer, nullable=False, server_default="1"))
    op.add_column("records", sa.Column("changed_by", sa.String(64), nullable=True))
    op.add_column("records", sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True))
    for table in ("appointments", "work_cases"):
        op.add_column(table, sa.Column("version", sa.Integer, nullable=False, server_default="1"))
    op.add_column("corrections", sa.Column("record_version", sa.Integer, nullable=True))


def downgrade() -> None:
    op.drop_column("corrections", "record_version")
    for table in ("work_cases", "appointments"):
        op.drop_column(table, "version")
    for column in ("changed_at", "changed_by", "version"):
        op.drop_column("records", column)
