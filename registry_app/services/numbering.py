"""Certificate numbers: type + division code + -YYYY- + 6-digit sequence, unique and gap-free
per scope, type and year. The counter row is taken inside the registration's own transaction, so
a crash or a refusal after numbering rolls the number back with everything else."""
from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry_app.storage.models import CertificateSequence

NUMBER_RE = re.compile(r"^(J|L|BJ|BL)(\d{6})-(\d{4})-(\d{6})$")


def _ensure_row(session: Session, cert_type: str, scope: str, year: int) -> None:
    """Create the year's counter if missing without racing another counter doing the same
    (INSERT ... ON CONFLICT DO NOTHING on both SQLite and PostgreSQL)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    session.execute(insert(CertificateSequence).values(scope=scope, cert_type=cert_type, year=year, last_value=0)
                    .on_conflict_do_nothing())


def allocate(session: Session, cert_type: str, scope: str, year: int, fmt: str | None = None) -> str:
    _ensure_row(session, cert_type, scope, year)
    row = session.execute(
        select(CertificateSequence).where(
            CertificateSequence.scope == scope, CertificateSequence.cert_type == cert_type,
            CertificateSequence.year == year,
        ).with_for_update()
    ).scalar_one()
    row.last_value += 1
    session.flush()
    if fmt:
        return fmt.format(office=scope, year=year, seq=row.last_value)
    return f"{cert_type}{scope}-{year}-{row.last_value:06d}"
