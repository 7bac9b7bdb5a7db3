"""indexes for record links, documents, work cases, sync status, a record's audit entries

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_entity', ['entity_type', 'entity_id'], unique=False)

    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.create_index('ix_documents_record', ['record_id'], unique=False)

    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index('ix_events_status', ['sync_status'], unique=False)

    with op.batch_alter_table('records', schema=None) as batch_op:
        batch_op.create_index('ix_records_linked', ['linked_record_id'], unique=False)

    with op.batch_alter_table('work_cases', schema=None) as batch_op:
        batch_op.create_index('ix_work_cases_record', ['record_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_entity')

    with op.batch_alter_table('work_cases', schema=None) as batch_op:
        batch_op.drop_index('ix_work_cases_record')

    with op.batch_alter_table('records', schema=None) as batch_op:
        batch_op.drop_index('ix_records_linked')

    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_status')

    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_index('ix_documents_record')

