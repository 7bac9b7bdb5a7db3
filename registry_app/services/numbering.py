"""Certificate numbers: type + division code + -YYYY- + 6-digit sequence, unique and gap-free
per scope, type and year. The counter row is taken inside the registration's own transaction, so
a crash or a refusal after numbering rolls the number back with everything else."""
from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry_app.storage.models import CertificateSequence

CERT_TYPES = {"J": "结婚证", "L": "离婚证", "BJ": "结婚证（补发）", "BL": "离婚证（补发）",
              "SY": "收养登记证", "JC": "解除收养关系证明"}
NUMBER_RE = re.compile(r"^(J|L|BJ|BL)(\d{6})-(\d{4})-(\d{6})$")


def allocate(session: Session, cert_type: str, scope: str, year: int, fmt: str | None = None) -> str:
    row = session.execute(
        select(CertificateSequence).where(
            CertificateSequence.scope == scope, CertificateSequence.cert_type == cert_type,
            CertificateSequence.year == year,
        ).with_for_update()
    ).scalar_one_or_none()
    if row is None:
        row = CertificateSequence(scope=scope, cert_type=cert_type, year=year, last_value=0)
        session.add(row)
    row.last_value += 1
    session.flush()
    if fmt:
        return fmt.format(office=scope, year=year, seq=row.last_value)
    return f"{cert_type}{scope}-{year}-{row.last_value:06d}"
