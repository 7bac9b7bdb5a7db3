"""batches: pending state, chain hash, audit anchor, training flag, outbox

An export records its batch as `pending` (with the hash of the file about to be written) and commits
before the file appears, so a crash can no longer leave a signed file the database does not know. The
chain hash moves from the `sync_last_batch` setting (newest batch only) to a column on every batch; a
v2 manifest carries the office's audit chain head and whether the database is a training one, kept here
so a re-export rebuilds the same manifest.

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

LAST_BATCH = 'sync_last_batch'


def upgrade() -> None:
    op.add_column('batches', sa.Column('status', sa.String(length=16), nullable=False, server_default='written'))
    op.add_column('batches', sa.Column('chain_hash', sa.String(length=64), nullable=True))
    op.add_column('batches', sa.Column('manifest_version', sa.Integer(), nullable=False, server_default='1'))
    op.add_column('batches', sa.Column('audit_seq', sa.Integer(), nullable=True))
    op.add_column('batches', sa.Column('audit_hash', sa.String(length=64), nullable=True))
    op.add_column('batches', sa.Column('training', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column('batches', sa.Column('outbox', sa.JSON(), nullable=True))
    bind = op.get_bind()
    # every batch's chain hash is the next batch's prev_hash; the newest one's is in the setting
    bind.execute(sa.text(
        "UPDATE batches SET chain_hash = (SELECT n.prev_hash FROM batches n WHERE n.batch_seq = batches.batch_seq + 1)"))
    settings = sa.table('settings', sa.column('key', sa.String), sa.column('value', sa.JSON))
    row = bind.execute(sa.select(settings.c.value).where(settings.c.key == LAST_BATCH)).first()
    value = row[0] if row else None
    if isinstance(value, dict) and isinstance(value.get('batch_seq'), int) and value.get('chain_hash'):
        bind.execute(sa.text("UPDATE batches SET chain_hash = :h WHERE batch_seq = :n AND chain_hash IS NULL"),
                     {"h": value['chain_hash'], "n": value['batch_seq']})
    bind.execute(settings.delete().where(settings.c.key == LAST_BATCH))


def downgrade() -> None:
    bind = op.get_bind()
    # a pending batch has no file and no events marked: forgetting it loses nothing
    bind.execute(sa.text("DELETE FROM batches WHERE status <> 'written'"))
    last = bind.execute(sa.text("SELECT batch_seq, chain_hash FROM batches ORDER BY batch_seq DESC LIMIT 1")).first()
    if last is not None and last[1]:
        settings = sa.table('settings', sa.column('key', sa.String), sa.column('value', sa.JSON))
        bind.execute(settings.insert().values(key=LAST_BATCH,
                                              value={"batch_seq": last[0], "chain_hash": last[1], "key_id": None}))
    for column in ('outbox', 'training', 'audit_hash', 'audit_seq', 'manifest_version', 'chain_hash', 'status'):
        if bind.dialect.name == 'sqlite':
            op.execute(f"ALTER TABLE batches DROP COLUMN {column}")
        else:
            op.drop_column('batches', column)
