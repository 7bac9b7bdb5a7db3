"""登记合格率 counts what the rules require: a registration without a photo or whose blank serial is
recorded later still passes (both are listed as reminders); a missing witness, unsigned declarations or a
certificate that does not match its record do not."""
from __future__ import annotations

import datetime as dt

import pytest

from registry_app.services.marriage import MarriageCase, MarriageService
from registry_app.storage.models import Record
from registry_app.sync.quality import REMINDERS
from registry_app.sync.service import SyncService
from tests.factories import jpeg_photo, marriage_case

DAY = dt.date(2026, 6, 15)


def _drop(key):
    return lambda data: {k: v for k, v in data.items() if k != key}


@pytest.mark.parametrize("photo, blank_serial, change, passes, codes", [
    (True, True, None, True, set()),
    (False, True, None, True, {"QC_PHOTO_MISSING"}),                       # no photo: a reminder
    (True, False, None, True, {"QC_BLANK_SERIAL_MISSING"}),                # serial recorded at printing
    (False, False, None, True, {"QC_PHOTO_MISSING", "QC_BLANK_SERIAL_MISSING"}),
    (True, True, lambda d: {**d, "witness": ""}, False, {"QC_WITNESS_MISSING"}),
    (True, True, lambda d: {**d, "declarations_signed": False}, False, {"QC_DECLARATIONS_UNSIGNED"}),
    (False, False, _drop("witness"), False, {"QC_WITNESS_MISSING", "QC_PHOTO_MISSING", "QC_BLANK_SERIAL_MISSING"}),
])
def test_only_required_items_count_against_the_rate(clerk_ctx, supervisor_ctx, photo, blank_serial, change,
                                                    passes, codes):
    if blank_serial:
        from registry_app.services.stock import BlankStock

        BlankStock(supervisor_ctx).receive("marriage", "Z0000001", "Z0000010")
    case = MarriageCase.from_dict(marriage_case(**({"blank_serial": "Z0000001"} if blank_serial else {})))
    case.photo = jpeg_photo() if photo else None
    record_id = MarriageService(clerk_ctx).register_case(case).record_id
    if change is not None:
        with clerk_ctx.db.write() as s:
            rec = s.get(Record, record_id)
            rec.data = change(dict(rec.data))
    report = SyncService(clerk_ctx).close_day_check(DAY)
    assert (report.registrations, report.passed) == (1, 1 if passes else 0)
    assert report.rate_text == ("100.0%" if passes else "0.0%")
    assert {d.code for d in report.defects} == codes
    assert all(("不计入合格率" in d.message) == (d.code in REMINDERS) for d in report.defects)
