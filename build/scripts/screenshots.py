#!/usr/bin/env python3
"""Screenshots of every page of the client at 1366×768, for looking at and for the README.

    .venv/bin/python build/scripts/screenshots.py OUT_DIR [--size 1366x768] [--records 400] [--docs docs/screenshots]

Makes a throwaway training database in a temporary folder (deleted afterwards) with synthetic demo data
and three staff (登记员 李明, 负责人 张红, 系统管理员 王建国), signs in as each in turn and saves a PNG of
every page each may use, plus a filled marriage form, a record's page and the divorce receipt preview.
Runs headless (Qt's offscreen platform) unless QT_QPA_PLATFORM says otherwise, e.g. under xvfb-run.
"""
from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from registry_app.clock import FixedClock  # noqa: E402
from registry_app.demo.generator import generate  # noqa: E402
from registry_app.domain.roles import Role  # noqa: E402
from registry_app.resources import resources_dir  # noqa: E402
from registry_app.services.accounts import Accounts  # noqa: E402
from registry_app.services.context import AppContext  # noqa: E402
from registry_app.services.office_setup import OfficeSetup, initialise  # noqa: E402
from ui.app import make_application  # noqa: E402
from ui.main_window import AppState, MainWindow  # noqa: E402
from ui.prompts import RecordingPrompter  # noqa: E402

PASSPHRASE = "screenshot passphrase 2026"
SCREEN_DAY = dt.date(2026, 6, 15)
STAFF = (("li", "李明", Role.CLERK, "Desk-pass-2026"), ("zhang", "张红", Role.SUPERVISOR, "Head-pass-2026"))
ADMIN = ("admin", "王建国", "Root-pass-2026")


def settle(seconds: float = 0.6) -> None:
    """Let background work (searches, previews) finish and the layout settle."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        QApplication.processEvents()
        time.sleep(0.02)


def save(widget: QWidget, path: Path) -> Path:
    settle()
    if not widget.grab().save(str(path)):
        raise SystemExit(f"could not write {path}")
    print(path)
    return path


def make_database(folder: Path, records: int) -> AppContext:
    # A fixed working day (a training database accepts it): the same pictures on any date, and one the
    # built-in holiday schedules cover.
    clock = FixedClock(SCREEN_DAY)
    db = initialise(OfficeSetup("320102", "南京市玄武区民政局婚姻登记处", PASSPHRASE, ADMIN[0], ADMIN[1], ADMIN[2],
                                training=True), folder / "screenshots.db", clock)
    ctx = AppContext(db=db, clock=clock)
    with db.write() as s:
        for username, name, role, password in STAFF:
            Accounts(ctx).create_user(s, username, name, role, password, must_change=False)
    generate(db, records, seed=7, until=SCREEN_DAY, actor="li", event_days=20)
    return ctx


def signed_in(ctx: AppContext, username: str) -> AppContext:
    password = {u: p for u, _n, _r, p in STAFF}.get(username, ADMIN[2])
    ctx.user = Accounts(ctx).login(username, password)
    return ctx


def window_for(ctx: AppContext, size: tuple[int, int]) -> MainWindow:
    window = MainWindow(AppState(ctx=ctx, prompter=RecordingPrompter()))
    window.resize(*size)
    window.show()
    settle()
    return window


def pages(window: MainWindow, out: Path, prefix: str, only: tuple[str, ...] = ()) -> None:
    for row, key in enumerate(window.pages):
        if only and key not in only:
            continue
        window.nav.setCurrentRow(row)
        settle(1.0)
        save(window, out / f"{prefix}-{row + 1:02d}-{key}.png")


def marriage_filled(window: MainWindow, out: Path) -> None:
    """The marriage form with a valid case typed in: the live check and both party forms."""
    page = window.pages.get("marriage")
    if page is None or not hasattr(page, "party1"):
        return
    case = json.loads((resources_dir() / "examples" / "marriage-case.json").read_text("utf-8"))
    for form, key in ((page.party1, "party1"), (page.party2, "party2")):
        if hasattr(form, "set_person"):
            from registry_app.services.marriage import MarriageCase

            form.set_person(getattr(MarriageCase.from_dict(case), key))
    window.nav.setCurrentRow(list(window.pages).index("marriage"))
    settle(1.5)
    save(window, out / "clerk-marriage-filled.png")


def record_detail(window: MainWindow, out: Path) -> None:
    page = window.pages.get("records")
    if page is None or not hasattr(page, "search_edit"):
        return
    window.nav.setCurrentRow(list(window.pages).index("records"))
    page.search_edit.setText("张")
    settle(2.0)
    save(window, out / "clerk-records-search.png")
    if page.model.rowCount() and page.open_row(0):
        settle(1.5)
        save(window, out / "clerk-record-detail.png")


def certificate_preview(ctx: AppContext, window: MainWindow, out: Path) -> None:
    """A registered marriage's certificate, previewed on the blank's outline."""
    from sqlalchemy import select

    from registry_app.storage.models import Record

    page = window.pages.get("certificates")
    if page is None or not hasattr(page, "show_certificate"):
        return
    with ctx.db.read() as s:
        number = s.execute(select(Record.certificate_no).where(
            Record.kind == "marriage", Record.status == "registered", Record.back_entered.is_(False),
            Record.certificate_no.is_not(None)).order_by(Record.id.desc())).scalars().first()
    window.nav.setCurrentRow(list(window.pages).index("certificates"))
    page.show_certificate(number)
    settle(3.0)
    save(window, out / "clerk-certificate-preview.png")


def statistics_report(window: MainWindow, out: Path, prefix: str) -> None:
    page = window.pages.get("statistics")
    if page is None or not hasattr(page, "generate"):
        return
    window.nav.setCurrentRow(list(window.pages).index("statistics"))
    page.set_period("2026-Q2")
    page.generate()
    settle(1.0)
    save(window, out / f"{prefix}-statistics-report.png")


def divorce_receipt(ctx: AppContext, window: MainWindow, out: Path) -> None:
    """A divorce application accepted on a demo marriage, and its receipt in the preview window."""
    from sqlalchemy import select

    from registry_app.services.divorce import DivorceService
    from registry_app.services.divorce_documents import DivorceDocuments
    from registry_app.storage.models import Party, Record
    from ui.document_viewer import DocumentDialog
    from ui.workflows.certificates_printing import PrintTarget

    with ctx.db.read() as s:
        record_id = s.execute(select(Record.id).where(Record.kind == "marriage", Record.status == "registered",
                                                      Record.back_entered.is_(False))
                              .order_by(Record.id.desc())).scalars().first()
        parties = s.execute(select(Party).where(Party.record_id == record_id).order_by(Party.position)).scalars()
        people = [{"name": p.name, "sex": p.sex, "birth_date": p.birth_date.isoformat(), "id_type": p.id_type,
                   "id_number": p.id_number} for p in parties]
    case = json.loads((resources_dir() / "examples" / "divorce-case.json").read_text("utf-8"))
    application = copy.deepcopy(case)
    application["party1"], application["party2"] = people
    application["marriage"] = {"record_id": record_id}
    app_id = DivorceService(ctx).apply(application)["application_id"]
    pdf = DivorceDocuments(ctx).acknowledgement_slip(app_id)
    dialog = DocumentDialog(pdf, f"divorce-slip-{app_id}.pdf", PrintTarget(), window)
    dialog.show()
    settle(1.5)
    save(dialog, out / "clerk-divorce-receipt-preview.png")
    dialog.close()


# The ones the README shows (file written -> name in docs/screenshots/), at most six.
MAIN = {"clerk-marriage-filled.png": "marriage.png", "clerk-02-divorce.png": "divorce.png",
        "clerk-records-search.png": "records.png", "clerk-certificate-preview.png": "certificate-preview.png",
        "clerk-divorce-receipt-preview.png": "divorce-receipt.png",
        "supervisor-statistics-report.png": "statistics.png"}
MAX_BYTES = 150 * 1024


def publish(shots: Path, docs: Path) -> None:
    """Copy the main screenshots to `docs` as palette PNGs (text stays crisp, files stay small)."""
    from PIL import Image

    docs.mkdir(parents=True, exist_ok=True)
    for source, name in MAIN.items():
        with Image.open(shots / source) as image:
            for colours in (256, 128, 64):
                image.convert("RGB").quantize(colours, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE) \
                    .save(docs / name, optimize=True)
                if (docs / name).stat().st_size < MAX_BYTES:
                    break
        print(docs / name, (docs / name).stat().st_size)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder for the PNG files")
    parser.add_argument("--size", default="1366x768", help="window size, WIDTHxHEIGHT")
    parser.add_argument("--records", type=int, default=400, help="demo records to generate")
    parser.add_argument("--docs", type=Path, default=None,
                        help="also write the README's screenshots here, optimised (docs/screenshots)")
    args = parser.parse_args(argv)
    size = tuple(int(x) for x in args.size.lower().split("x"))
    args.out.mkdir(parents=True, exist_ok=True)
    app = make_application([sys.argv[0]])
    with tempfile.TemporaryDirectory(prefix="registry-screens-") as tmp:
        ctx = make_database(Path(tmp), args.records)
        try:
            clerk = window_for(signed_in(ctx, "li"), size)
            pages(clerk, args.out, "clerk")
            marriage_filled(clerk, args.out)
            record_detail(clerk, args.out)
            certificate_preview(ctx, clerk, args.out)
            divorce_receipt(ctx, clerk, args.out)
            clerk.close()
            supervisor = window_for(signed_in(ctx, "zhang"), size)
            pages(supervisor, args.out, "supervisor", only=("sync", "statistics"))
            statistics_report(supervisor, args.out, "supervisor")
            supervisor.close()
            admin = window_for(signed_in(ctx, ADMIN[0]), size)
            pages(admin, args.out, "admin", only=("admin",))
            admin.close()
        finally:
            settle(0.2)
            ctx.db.close()
    app.processEvents()
    if args.docs is not None:
        publish(args.out, args.docs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
