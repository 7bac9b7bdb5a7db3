"""certificate ceremonies (颁证仪式) and group weddings (集体婚礼), the couples in each by record id

New tables only: `ceremonies` (date, place, officiant, kind) and `ceremony_couples` (a registered
marriage's record in a ceremony, once). No names are copied: they come from the records at print time.

Revision ID: 0012
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0010'
branch_labels = None
depends_on = None

KINDS = ("ceremony", "group_wedding")


def upgrade() -> None:
    op.create_table(
        "ceremonies",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("place", sa.String(100), nullable=False),
        sa.Column("officiant", sa.String(64), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN (" + ", ".join(repr(k) for k in KINDS) + ")", name="ck_ceremonies_kind"),
    )
    op.create_index("ix_ceremonies_day", "ceremonies", ["day"])
    op.create_table(
        "ceremony_couples",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("ceremony_id", sa.Integer, sa.ForeignKey("ceremonies.id"), nullable=False),
        sa.Column("record_id", sa.Integer, sa.ForeignKey("records.id"), nullable=False),
        sa.Column("added_by", sa.String(64), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("ceremony_id", "record_id", name="uq_ceremony_couples_ceremony_record"),
    )
    op.create_index("ix_ceremony_couples_record", "ceremony_couples", ["record_id"])


def downgrade() -> None:
    op.drop_index("ix_ceremony_couples_record", "ceremony_couples")
    op.drop_table("ceremony_couples")
    op.drop_index("ix_ceremonies_day", "ceremonies")
    op.drop_table("ceremonies")
