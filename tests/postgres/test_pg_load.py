"""Load: eight counters registering at once, each a process of its own (as eight counter machines are),
released together against one PostgreSQL server. Numbering stays distinct and consecutive, the audit chain
holds, and every count adds up."""
from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa

from registry_app.bench.counters import run_counters
from tests.postgres.conftest import registry

pytestmark = pytest.mark.postgres
COUNTERS = 8
EACH = 8


def test_eight_counters_at_once(pg_office):
    url, db, _clock = pg_office
    with db.read() as s:
        audit_before = s.execute(sa.text("SELECT count(*) FROM audit_log")).scalar()
    figure = run_counters(COUNTERS, EACH, path=None, passphrase=None, url=url, username="clerk")
    assert (figure["registrations"], figure["failed"]) == (COUNTERS * EACH, 0)
    timed = figure["certificate_numbers"]
    assert len(set(timed)) == len(timed) == COUNTERS * EACH

    with db.read() as s:
        numbers = [n for (n,) in s.execute(sa.text("SELECT certificate_no FROM records ORDER BY id"))]
        parties = s.execute(sa.text("SELECT count(*) FROM parties")).scalar()
        certificates = s.execute(sa.text("SELECT count(*) FROM certificates")).scalar()
        events = s.execute(sa.text("SELECT count(*), min(seq), max(seq) FROM events")).one()
        audit_after = s.execute(sa.text("SELECT count(*) FROM audit_log")).scalar()
        counter = s.execute(sa.text("SELECT last_value FROM certificate_sequences WHERE cert_type = 'J'")).scalar()
    total = COUNTERS * (EACH + 1)  # each counter also registered one couple to warm up
    assert len(numbers) == total
    prefix = numbers[0][:-6]
    assert re.fullmatch(r"J320102-\d{4}-", prefix)
    # distinct and consecutive: exactly 1..total, whatever order the counters committed in
    assert sorted(numbers) == [f"{prefix}{n:06d}" for n in range(1, total + 1)]
    assert set(timed) <= set(numbers)
    assert counter == total
    assert parties == 2 * total
    assert certificates == total  # one certificate row per marriage
    assert events == (total, 1, total)  # one sync event per registration, numbered without gap
    assert audit_after - audit_before >= total

    verify = registry("--url", url, "audit", "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert json.loads(verify.stdout)["checked"] == audit_after
    check = registry("--url", url, "db", "check")
    assert check.returncode == 0, check.stdout + check.stderr
