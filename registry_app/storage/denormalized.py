"""Copies kept in step by the storage layer, so no service has to remember them.

parties.registration_date repeats records.registration_date (revision 0004): name search then reads a
page of hits, newest first, from the index on (name, registration date, record id) without touching the
record rows. Every ORM flush copies the date to a record's parties when either side is new or the
record's date changed. Bulk writers that bypass the ORM (archive import, demo data) write the copy
themselves; the test suite checks the invariant after every test that used a database.
"""
from __future__ import annotations

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, attributes

from registry_app.storage.models import Party, Record


@event.listens_for(Session, "before_flush")
def _copy_registration_dates(session: Session, _context, _instances) -> None:  # noqa: ANN001
    with session.no_autoflush:
        for obj in list(session.new) + list(session.dirty):
            if isinstance(obj, Record):
                if obj in session.new or attributes.get_history(obj, "registration_date").has_changes():
                    for party in obj.parties:
                        if party.registration_date != obj.registration_date:
                            party.registration_date = obj.registration_date
            elif isinstance(obj, Party) and obj in session.new:
                record = obj.record
                if record is None and obj.record_id is not None:
                    record = session.get(Record, obj.record_id)
                if record is not None:
                    obj.registration_date = record.registration_date


def mismatched_registration_dates(session: Session) -> int:
    """Parties whose copy of the registration date differs from their record's (0 when consistent)."""
    return session.execute(
        select(func.count()).select_from(Party).join(Record, Record.id == Party.record_id)
        .where(Party.registration_date.is_distinct_from(Record.registration_date))
    ).scalar() or 0


__all__ = ["mismatched_registration_dates"]
