"""name search in index order; the archive number as an indexed column

The counter's name search lists a name's records newest first. With the date only on the record, a
common full name (王伟: about 900 parties in a million records) meant reading every one of those record
rows to sort them. The party row now keeps a copy of its record's registration date (kept in step by
registry_app.storage.denormalized), and the name and initials indexes carry (date, record id), so a
page of hits is read from the index alone.

A back-entered record's archive number (档案号) moves from the record's JSON data to its own indexed
column: an archive import checks its rows for numbers already on record, and with the number inside
the JSON that meant reading every back-entered record on each import.

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('parties', schema=None) as batch_op:
        batch_op.add_column(sa.Column('registration_date', sa.Date(), nullable=True))
    op.execute("UPDATE parties SET registration_date = "
               "(SELECT records.registration_date FROM records WHERE records.id = parties.record_id)")
    with op.batch_alter_table('parties', schema=None) as batch_op:
        batch_op.drop_index('ix_parties_name')
        batch_op.drop_index('ix_parties_initials')
        batch_op.create_index('ix_parties_name_date', ['name', 'registration_date', 'record_id'], unique=False)
        batch_op.create_index('ix_parties_initials_date', ['name_initials', 'registration_date', 'record_id'],
                              unique=False)

    with op.batch_alter_table('records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('archive_no', sa.String(length=64), nullable=True))
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("UPDATE records SET archive_no = data->>'archive_no', "
                   "data = (data::jsonb - 'archive_no')::json WHERE data->>'archive_no' IS NOT NULL")
    else:
        op.execute("UPDATE records SET archive_no = json_extract(data, '$.archive_no'), "
                   "data = json_remove(data, '$.archive_no') WHERE json_type(data, '$.archive_no') IS NOT NULL")
    with op.batch_alter_table('records', schema=None) as batch_op:
        batch_op.create_index('ix_records_archive_no', ['archive_no'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('records', schema=None) as batch_op:
        batch_op.drop_index('ix_records_archive_no')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("UPDATE records SET data = (data::jsonb || jsonb_build_object('archive_no', archive_no))::json "
                   "WHERE archive_no IS NOT NULL")
    else:
        op.execute("UPDATE records SET data = json_set(data, '$.archive_no', archive_no) WHERE archive_no IS NOT NULL")
    with op.batch_alter_table('records', schema=None) as batch_op:
        batch_op.drop_column('archive_no')
    with op.batch_alter_table('parties', schema=None) as batch_op:
        batch_op.drop_index('ix_parties_initials_date')
        batch_op.drop_index('ix_parties_name_date')
        batch_op.create_index('ix_parties_initials', ['name_initials'], unique=False)
        batch_op.create_index('ix_parties_name', ['name'], unique=False)
        batch_op.drop_column('registration_date')
