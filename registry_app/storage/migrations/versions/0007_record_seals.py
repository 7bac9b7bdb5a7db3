"""records written before record seals get their digest in the audit trail

From this revision on, every transaction that changes a record puts the digest of the record's new state
into its audit entry (registry_app/services/record_seals.py), and `registry db check` compares each record
with its last audited state. The records already on file are sealed here, in audited entries of their own
(`records.sealed_at_upgrade`, by "system"), so the check is clean right after the upgrade and any later
direct change shows. The migration adds no column and changes no stored value.

Revision ID: 0007
Revises: 0006
"""
from alembic import op
from sqlalchemy.orm import Session


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    from registry_app.services.record_seals import seal_existing

    session = Session(bind=op.get_bind())
    seal_existing(session)
    session.flush()


def downgrade() -> None:
    pass  # the seal entries are part of the audit trail and stay
