"""the joint service (婚育户一件事): requests passed on to public security and health

One table, `joint_requests`: what the couple asked the office to pass on, each party's consent, and the
request's state (requested, withdrawn, sent, accepted, rejected; domain/states.py JointRequestState),
checked by the database as revision 0008 checks the other status columns. No existing row changes.

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

STATES = ("requested", "withdrawn", "sent", "accepted", "rejected")


def upgrade() -> None:
    op.create_table(
        "joint_requests",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("uid", sa.String(36), nullable=False, unique=True),
        sa.Column("record_id", sa.Integer, sa.ForeignKey("records.id"), nullable=False),
        sa.Column("request_type", sa.String(32), nullable=False),
        sa.Column("department", sa.String(24), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("consents", sa.JSON, nullable=False),
        sa.Column("details", sa.JSON, nullable=False),
        sa.Column("event_id", sa.String(36), nullable=True),
        sa.Column("requested_by", sa.String(64), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        sa.CheckConstraint("status IN (" + ", ".join(repr(s) for s in STATES) + ")",
                           name="ck_joint_requests_status"),
    )
    op.create_index("ix_joint_requests_record", "joint_requests", ["record_id"])
    op.create_index("ix_joint_requests_status", "joint_requests", ["status"])


def downgrade() -> None:
    op.drop_index("ix_joint_requests_status", "joint_requests")
    op.drop_index("ix_joint_requests_record", "joint_requests")
    op.drop_table("joint_requests")
