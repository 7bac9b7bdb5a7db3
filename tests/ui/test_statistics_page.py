"""统计报表 on a hand-made data set: period chooser, table and chart, CSV and PDF export."""
from __future__ import annotations

import csv
import datetime as dt
import io
import os
import uuid
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from registry_app.clock import CHINA_TZ
from registry_app.domain.parties import PersonInput
from registry_app.services.people import party_row
from registry_app.services.statistics import INDICATORS
from registry_app.storage.models import Record
from tests.factories import id_number
from ui.main_window import AppState
from ui.prompts import RecordingPrompter
from ui.workflows.statistics_page import StatisticsPage

D = dt.date


def add(s, kind: str, status: str, date: dt.date, parties=(), back_entered=False) -> None:
    now = dt.datetime.combine(date, dt.time(10), CHINA_TZ)
    rec = Record(uid=str(uuid.uuid4()), kind=kind, status=status, office_code="320102", registration_date=date,
                 back_entered=back_entered, data={}, created_by="clerk", created_at=now, updated_at=now)
    for i, (sex, birth, prior) in enumerate(parties, 1):
        rec.parties.append(party_row(PersonInput(f"人{i}", sex, birth, "resident_id", id_number(birth, sex),
                                                 prior_status=prior), i, f"party{i}"))
    s.add(rec)


@pytest.fixture
def dataset(supervisor_ctx):
    """Q2 2026, counted by hand: 3 marriages (one a remarriage of both: 2 persons), 1 divorce issued,
    1 adoption; outside the quarter or back-entered: nothing counts."""
    first = ("unmarried", "unmarried")
    with supervisor_ctx.db.write() as s:
        add(s, "marriage", "registered", D(2026, 4, 3), [("M", D(1996, 1, 1), "unmarried"), ("F", D(1998, 2, 2), "unmarried")])
        add(s, "marriage", "registered", D(2026, 5, 20), [("M", D(1980, 1, 1), "divorced"), ("F", D(1982, 2, 2), "widowed")])
        add(s, "marriage", "dissolved", D(2026, 6, 1), [("M", D(1990, 1, 1), first[0]), ("F", D(1991, 1, 1), first[1])])
        add(s, "divorce", "issued", D(2026, 6, 10))
        add(s, "adoption", "registered", D(2026, 4, 30))
        add(s, "marriage", "registered", D(2026, 3, 31), [("M", D(1990, 1, 1), "unmarried"), ("F", D(1991, 1, 1), "unmarried")])
        add(s, "marriage", "registered", D(2026, 5, 5), [("M", D(1950, 1, 1), "unmarried"), ("F", D(1951, 1, 1), "unmarried")],
            back_entered=True)
    return {"marriages": 3, "marriages_mainland": 3, "first_marriages": 4, "remarriages": 2, "divorces": 1,
            "adoptions": 1, "reissues": 0}


def make_page(qtbot, ctx, tmp_path) -> StatisticsPage:
    saved = {"csv": tmp_path / "q2.csv", "pdf": tmp_path / "q2.pdf"}
    page = StatisticsPage(AppState(ctx=ctx, prompter=RecordingPrompter()),
                          choose_save=lambda _title, name, _filt: str(saved[name.rsplit(".", 1)[-1]]))
    qtbot.addWidget(page)
    page.resize(1280, 800)
    page.show()
    return page


def values(page: StatisticsPage) -> dict[str, int]:
    return {page.model.item(r): int(page.model.rows[r][1]) for r in range(page.model.rowCount())}


@pytest.mark.parametrize("kind,part,expected", [("quarter", "Q2", "2026-Q2"), ("month", "06", "2026-06"),
                                                ("year", None, "2026")])
def test_period_chooser(qtbot, supervisor_ctx, tmp_path, kind, part, expected):
    page = make_page(qtbot, supervisor_ctx, tmp_path)
    page.kind.setCurrentIndex(page.kind.findData(kind))
    if part:
        page.part.setCurrentIndex(page.part.findData(part))
    assert page.period() == expected
    assert page.part.isVisible() == (kind != "year")
    page.set_period("2025-Q4")
    assert page.period() == "2025-Q4"


def test_quarter_counts_table_chart_and_exports(qtbot, qtmodeltester, supervisor_ctx, dataset, tmp_path):
    page = make_page(qtbot, supervisor_ctx, tmp_path)
    assert page.period() == "2026-Q2"  # the current quarter by default
    assert not page.csv_button.isEnabled()
    qtbot.mouseClick(page.generate_button, Qt.MouseButton.LeftButton)
    got = values(page)
    for key, value in dataset.items():
        assert got[key] == value, key
    assert page.model.rows[0] == ("结婚登记（对）", "3")
    qtmodeltester.check(page.model)
    chart = dict(page.chart.items)
    assert chart["结婚登记（对）"] == 3 and chart["离婚登记（对）"] == 1
    assert "2026-04-01 至 2026-06-30" in page.period_label.text()

    out = Path(os.environ.get("REGISTRY_SCREENSHOT_DIR") or tmp_path) / "statistics.png"
    QApplication.processEvents()
    assert page.grab().save(str(out))

    qtbot.mouseClick(page.csv_button, Qt.MouseButton.LeftButton)
    raw = (tmp_path / "q2.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads the BOM as UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:2] == ["统计期 period", "2026-Q2"]
    assert ["marriages", "结婚登记（对）", "3"] in rows
    assert "已导出" in page.message.text()

    qtbot.mouseClick(page.pdf_button, Qt.MouseButton.LeftButton)
    pdf = (tmp_path / "q2.pdf").read_bytes()
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    for _key, label in INDICATORS:
        assert label in text, label
    assert "南京市玄武区民政局婚姻登记处" in text


def test_a_month_and_a_year(qtbot, supervisor_ctx, dataset, tmp_path):
    page = make_page(qtbot, supervisor_ctx, tmp_path)
    page.set_period("2026-05")
    page.generate()
    assert (values(page)["marriages"], values(page)["remarriages"]) == (1, 2)
    page.set_period("2026")
    page.generate()
    assert values(page)["marriages"] == 4


def test_a_clerk_is_told_and_cannot_generate(qtbot, clerk_ctx, tmp_path):
    page = make_page(qtbot, clerk_ctx, tmp_path)
    assert not page.generate_button.isEnabled()
    assert "负责人" in page.message.text()
    assert page.generate() is None and page.model.rowCount() == 0
    assert page.export_csv() is None
