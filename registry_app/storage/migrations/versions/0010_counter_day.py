"""the counter's day: appointment slots and bookings, office-added peak days, the day's queue

New tables only (no existing row changes): `appointment_slots` (a counter's time on a day, with its quota),
`appointments` (bookings entered by staff; names, phone and details ahead are personal data, kept inside the
encrypted database like `parties`), `peak_days` (days the office adds), `queue_tickets` (numbered per day).
The status columns are checked by the database, with the sets of domain/states.py's QueueState and
AppointmentState written out (a later state needs a revision that adds it).

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

QUEUE_STATES = ("waiting", "called", "at_counter", "done", "no_show")
APPOINTMENT_STATES = ("booked", "arrived", "cancelled", "missed")


def _check(column: str, values: tuple[str, ...], name: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(f"{column} IN (" + ", ".join(repr(v) for v in values) + ")", name=name)


def upgrade() -> None:
    op.create_table(
        "appointment_slots",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("counter", sa.String(16), nullable=False),
        sa.Column("start", sa.String(5), nullable=False),
        sa.Column("end", sa.String(5), nullable=False),
        sa.Column("quota", sa.Integer, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.UniqueConstraint("day", "counter", "start", name="uq_appointment_slots_day_counter_start"),
        sa.CheckConstraint("quota >= 0", name="ck_appointment_slots_quota"),
    )
    op.create_index("ix_appointment_slots_day", "appointment_slots", ["day"])
    op.create_table(
        "appointments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("slot_id", sa.Integer, sa.ForeignKey("appointment_slots.id"), nullable=False),
        sa.Column("service", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("names", sa.String(128), nullable=False),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("record_id", sa.Integer, sa.ForeignKey("records.id"), nullable=True),
        sa.Column("details", sa.JSON, nullable=False),
        sa.Column("booked_by", sa.String(64), nullable=False),
        sa.Column("booked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
        _check("status", APPOINTMENT_STATES, "ck_appointments_status"),
    )
    op.create_index("ix_appointments_slot", "appointments", ["slot_id"])
    op.create_index("ix_appointments_record", "appointments", ["record_id"])
    op.create_table(
        "peak_days",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("added_by", sa.String(64), nullable=False),
    )
    op.create_table(
        "queue_tickets",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("service", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("counter", sa.String(16), nullable=False),
        sa.Column("appointment_id", sa.Integer, sa.ForeignKey("appointments.id"), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("called_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("handled_by", sa.String(64), nullable=False),
        sa.UniqueConstraint("day", "number", name="uq_queue_tickets_day_number"),
        _check("status", QUEUE_STATES, "ck_queue_tickets_status"),
    )
    op.create_index("ix_queue_tickets_day_status", "queue_tickets", ["day", "status"])


def downgrade() -> None:
    op.drop_index("ix_queue_tickets_day_status", "queue_tickets")
    op.drop_table("queue_tickets")
    op.drop_table("peak_days")
    op.drop_index("ix_appointments_record", "appointments")
    op.drop_index("ix_appointments_slot", "appointments")
    op.drop_table("appointments")
    op.drop_index("ix_appointment_slots_day", "appointment_slots")
    op.drop_table("appointment_slots")
