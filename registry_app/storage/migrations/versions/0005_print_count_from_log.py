"""a certificate's print count is read from the print log

certificates.print_count repeated the number of the certificate's print_log rows, kept in step in one
place; the print log (unique on certificate and copy number) is the record of every copy, so the count is
now read from it and the column is dropped.

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite drops the column in place: a batch copy of the table would have to drop the old
        # certificates table, which the print log and the blank stock refer to.
        op.execute("ALTER TABLE certificates DROP COLUMN print_count")
    else:
        op.drop_column('certificates', 'print_count')


def downgrade() -> None:
    op.add_column('certificates', sa.Column('print_count', sa.Integer(), nullable=False, server_default='0'))
    op.execute("UPDATE certificates SET print_count = (SELECT count(*) FROM print_log "
               "WHERE print_log.certificate_id = certificates.id)")
