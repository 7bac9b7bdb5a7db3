"""name search on PostgreSQL through an index: the name and initials with the pattern operator class

Name search asks `parties.name LIKE '王伟%'` (or `name_initials LIKE 'wangw%'`) ordered by name, then newest
registration. In a PostgreSQL database whose collation is not "C" (C.UTF-8, zh_CN.UTF-8, en_US.UTF-8, an
ICU locale) a b-tree index in the collation's order cannot serve a LIKE prefix, so the search read the
whole parties table (a parallel sequential scan: 0.6 s at a million records). An index with
`varchar_pattern_ops` compares byte by byte and can; with the registration date and record id in it, the
matching parties are read from the index alone and only they are sorted into the search's order.

On PostgreSQL the pattern indexes replace `ix_parties_name_date` and `ix_parties_initials_date`: left in
place, the planner walks the ordered index from its start for a common surname, filtering every entry,
because it expects the matches to be spread evenly (李 at a million records: a third of the index read
for one page). The pattern indexes also serve equality on the name.

PostgreSQL only: SQLite's search asks a range (services/search.py), which the ordered indexes serve, and
SQLite has no operator classes. models.py describes the SQLite schema (the consistency test compares it);
tests/postgres/test_pg_name_search.py checks that PostgreSQL differs from it by exactly these indexes.

Revision ID: 0014
Revises: 0013
"""
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

INDEXES = {  # pattern index -> (column, the collation-ordered index it replaces on PostgreSQL)
    "ix_parties_name_pattern": ("name", "ix_parties_name_date"),
    "ix_parties_initials_pattern": ("name_initials", "ix_parties_initials_date"),
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for index, (column, ordered) in INDEXES.items():
        op.execute(f"CREATE INDEX {index} ON parties ({column} varchar_pattern_ops, registration_date, record_id)")
        op.execute(f"DROP INDEX {ordered}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for index, (column, ordered) in INDEXES.items():
        op.execute(f"CREATE INDEX {ordered} ON parties ({column}, registration_date, record_id)")
        op.execute(f"DROP INDEX {index}")
