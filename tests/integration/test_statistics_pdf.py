"""The statistics report as a PDF: A4, indicator names and values in the text layer, fonts embedded."""
from __future__ import annotations

import datetime as dt
import io
import uuid

import pytest
from pypdf import PdfReader

from registry_app.clock import CHINA_TZ
from registry_app.domain.parties import PersonInput
from registry_app.services.people import party_row
from registry_app.services.statistics import INDICATORS, Statistics
from registry_app.services.statistics_pdf import render_statistics_pdf
from registry_app.storage.models import Record
from tests.factories import id_number

D = dt.date


def add_marriage(s, date: dt.date, births: tuple[dt.date, dt.date], prior=("unmarried", "unmarried")) -> None:
    now = dt.datetime.combine(date, dt.time(10), CHINA_TZ)
    rec = Record(uid=str(uuid.uuid4()), kind="marriage", status="registered", office_code="320102",
                 registration_date=date, data={}, created_by="clerk", created_at=now, updated_at=now)
    for i, (sex, birth) in enumerate(zip("MF", births), 1):
        rec.parties.append(party_row(PersonInput(f"人{i}", sex, birth, "resident_id", id_number(birth, sex),
                                                 prior_status=prior[i - 1]), i, f"party{i}"))
    s.add(rec)


@pytest.fixture
def report(supervisor_ctx):
    with supervisor_ctx.db.write() as s:
        add_marriage(s, D(2026, 4, 10), (D(1996, 1, 1), D(1998, 1, 1)))
        add_marriage(s, D(2026, 5, 20), (D(1970, 1, 1), D(1975, 1, 1)), ("divorced", "widowed"))
        add_marriage(s, D(2026, 1, 5), (D(1990, 1, 1), D(1991, 1, 1)))  # Q1: not counted
    return Statistics(supervisor_ctx).report("2026-Q2")


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_pdf_is_a4_and_its_text_layer_holds_every_indicator(report):
    assert (report.indicators["marriages"], report.indicators["remarriages"]) == (2, 2)
    pdf = render_statistics_pdf(report, "南京市玄武区民政局婚姻登记处")
    assert pdf.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(pdf))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)
    text = text_of(pdf)
    for _key, label in INDICATORS:
        assert label in text, label
    assert "2026-Q2" in text and "2026-04-01" in text and "南京市玄武区民政局婚姻登记处" in text
    assert "主要指标" in text and "25-29岁" in text


def test_fonts_are_embedded_subsets(report):
    reader = PdfReader(io.BytesIO(render_statistics_pdf(report)))
    used = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor")
            used[str(font["/BaseFont"])] = bool(descriptor and descriptor.get_object().get("/FontFile2"))
    # every font that carries text is a TrueType subset inside the file (the base-14 Helvetica that
    # ReportLab names by default draws nothing)
    ours = {name: embedded for name, embedded in used.items() if name != "/Helvetica"}
    assert any("DroidSansFallback" in name for name in ours)
    assert all("+" in name for name in ours) and all(ours.values())


def test_an_empty_period_still_renders(supervisor_ctx):
    empty = Statistics(supervisor_ctx).report("2025")
    text = text_of(render_statistics_pdf(empty))
    assert "结婚登记（对）" in text and "2025" in text
