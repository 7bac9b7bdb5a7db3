"""One clock: `--date` only on a training database, a clock set back writes nothing, a clock far ahead
is warned about, the lockout never reads an override, training output is stamped, and a print is
logged only once its PDF exists."""
from __future__ import annotations

import datetime as dt
import errno
import io
import os
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from pypdf import PdfReader
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from registry_app.cli import main
from registry_app.clock import CHINA_TZ, Clock, FixedClock, TrainingClock
from registry_app.demo.generator import generate
from registry_app.errors import AuthenticationFailed, RegistryError, StorageError
from registry_app.services.accounts import Accounts
from registry_app.services.certificate_print import CertificatePrinting
from registry_app.services.clock_guard import BEHIND_TOLERANCE, clock_warning
from registry_app.services.context import AppContext
from registry_app.services.marriage import MarriageCase, MarriageService
from registry_app.services.office_admin import OfficeAdmin
from registry_app.storage.models import AuditEntry, PrintJob, Record
from tests.conftest import PASSPHRASE, PASSWORDS
from tests.factories import marriage_case, person

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "resources" / "examples"
D = dt.date
TRAINING_MARK = "培训样本 非正式证件"


def counts(db) -> tuple[int, int, int]:
    with db.read() as s:
        return tuple(s.execute(select(func.count()).select_from(m)).scalar() for m in (AuditEntry, Record, PrintJob))


def registry(db_path: Path, *args: str, password: str = PASSWORDS["clerk"]):
    env = {"REGISTRY_PASSPHRASE": PASSPHRASE, "REGISTRY_USER_PASSWORD": password,
           "REGISTRY_ADMIN_PASSWORD": PASSWORDS["admin"]}
    return CliRunner().invoke(main, ["--db", str(db_path), *args], env=env, catch_exceptions=False)


# --- `--date`: a training database only --------------------------------------------------------

def _commands_with_a_date_option(group: click.Group, path: tuple[str, ...] = ()):
    for name, cmd in group.commands.items():
        if isinstance(cmd, click.Group):
            yield from _commands_with_a_date_option(cmd, path + (name,))
        elif any("--date" in p.opts for p in cmd.params if isinstance(p, click.Option)):
            yield " ".join(path + (name,))


# Everything after the command name (each names a real input, so the date is what is refused).
CASEWORK = {
    "marriage register": ["--input", str(EXAMPLES / "marriage-case.json"), "--user", "clerk"],
    "marriage reissue": ["1", "--input", str(EXAMPLES / "reissue-request.json"), "--user", "clerk"],
    "marriage annotate": ["1", "--input", str(EXAMPLES / "annotation.json"), "--user", "supervisor"],
    "marriage void": ["J320102-2026-000001", "--reason", "打印错误", "--user", "supervisor"],
    "marriage proof": ["320102199503080019", "--out", "{tmp}/proof.pdf", "--user", "clerk"],
    "divorce apply": ["--input", str(EXAMPLES / "divorce-case.json"), "--user", "clerk"],
    "divorce withdraw": ["1", "--party", "1", "--user", "clerk"],
    "divorce issue": ["1", "--user", "clerk"],
    "divorce pending": ["--user", "clerk"],
    "adoption register": ["--input", str(EXAMPLES / "adoption-case.json"), "--user", "clerk"],
    "adoption dissolve": ["1", "--input", str(EXAMPLES / "annotation.json"), "--user", "clerk"],
    "adoption revoke": ["1", "--reason", "弄虚作假", "--user", "supervisor"],
    "import archive": [str(EXAMPLES / "archive-sample.csv"), "--user", "clerk"],
    "demo-data": ["--records", "3"],
    "joint request": ["1", "hukou_marital", "--consent", "1", "--consent", "2", "--user", "clerk"],
    "joint withdraw": ["1", "--party", "1", "--reason", "不再需要", "--user", "clerk"],
    "joint receipt": ["1", "--out", "{tmp}/proof.pdf", "--user", "clerk"],
}
# `sync check/export --date` name the business day to close (never a future one), not the clock;
# `adoption check --date` opens no database and stores nothing: it asks "would this case pass on that day".
NOT_A_CLOCK = {"sync check", "sync export", "adoption check"}


def test_every_date_option_is_either_casework_or_named_here():
    assert set(_commands_with_a_date_option(main)) == set(CASEWORK) | NOT_A_CLOCK


@pytest.mark.parametrize("command", sorted(CASEWORK))
def test_a_production_database_refuses_date_and_writes_nothing(db, db_path, tmp_path, command):
    before = counts(db)
    args = [a.replace("{tmp}", str(tmp_path)) for a in CASEWORK[command]]
    result = registry(db_path, *command.split(), *args, "--date", "2026-06-01")
    assert result.exit_code == 2, result.output
    assert '"CLOCK_OVERRIDE_REFUSED"' in result.output
    assert counts(db) == before  # not even a login entry
    assert not (tmp_path / "proof.pdf").exists()


def test_init_training_makes_a_database_that_accepts_a_date(tmp_path):
    path = tmp_path / "training.db"
    made = registry(path, "init", "--office-code", "320102", "--office-name", "培训登记处", "--admin", "admin",
                    "--training")
    assert made.exit_code == 0, made.output
    assert '"training": true' in made.output
    first = "Initial-pass-2026"
    for args, password, new in ((["users", "add", "clerk", "--name", "李登记", "--role", "clerk", "--as", "admin"],
                                 PASSWORDS["admin"], first),
                                (["users", "passwd", "clerk"], first, PASSWORDS["clerk"])):
        done = CliRunner().invoke(main, ["--db", str(path), *args],
                                  env={"REGISTRY_PASSPHRASE": PASSPHRASE, "REGISTRY_USER_PASSWORD": password,
                                       "REGISTRY_NEW_PASSWORD": new})
        assert done.exit_code == 0, done.output
    # the registration takes the day given
    result = registry(path, "marriage", "register", "--input", str(EXAMPLES / "marriage-case.json"),
                      "--user", "clerk", "--date", "2025-05-20")
    assert result.exit_code == 0, result.output
    assert "J320102-2025-000001" in result.output


def test_the_lockout_never_reads_a_training_override(db, clock):
    """Locked by wrong passwords on one `--date`; a later `--date` does not unlock the account."""
    locking = AppContext(db=db, clock=TrainingClock(D(2026, 6, 15)))
    for _ in range(5):
        with pytest.raises(AuthenticationFailed):
            Accounts(locking).login("clerk", "wrong password 1")
    next_year = AppContext(db=db, clock=TrainingClock(D(2027, 6, 15)))
    with pytest.raises(AuthenticationFailed) as err:
        Accounts(next_year).login("clerk", PASSWORDS["clerk"])
    assert err.value.code == "ACCOUNT_LOCKED"


# --- the clock guard ----------------------------------------------------------------------------

def newest_ts(db) -> dt.datetime:
    with db.read() as s:
        return dt.datetime.fromisoformat(s.execute(select(AuditEntry.ts).order_by(AuditEntry.id.desc())).scalar())


@pytest.mark.parametrize("behind, refused", [
    (dt.timedelta(hours=1), True),
    (dt.timedelta(days=400), True),
    (BEHIND_TOLERANCE + dt.timedelta(seconds=1), True),
    (BEHIND_TOLERANCE - dt.timedelta(seconds=1), False),  # an NTP step
    (dt.timedelta(0), False),
])
def test_a_clock_set_back_writes_nothing_on_a_production_database(db, clock, clerk_ctx, behind, refused):
    MarriageService(clerk_ctx).register_case(MarriageCase.from_dict(marriage_case()))
    t = newest_ts(db)
    clock.set(t - behind)
    before = counts(db)
    case = MarriageCase.from_dict(marriage_case(person("周明", "M", D(1990, 1, 1)), person("吴丽", "F", D(1992, 2, 2))))
    if refused:
        with pytest.raises(RegistryError) as err:
            MarriageService(clerk_ctx).register_case(case)
        assert err.value.code == "CLOCK_BEHIND"
        assert t.strftime("%Y-%m-%d %H:%M:%S") in err.value.message  # names the newest entry's time
        assert counts(db) == before
    else:
        MarriageService(clerk_ctx).register_case(case)
        assert counts(db)[1] == before[1] + 1


def test_the_system_clock_behind_the_newest_entry_is_refused(db, clock, clerk_ctx):
    """An entry stamped an hour after the real time (as if the clock had then been set back by one hour):
    the system clock is behind it."""
    clock.set(dt.datetime.now(CHINA_TZ) + dt.timedelta(hours=1))
    MarriageService(clerk_ctx).register_case(MarriageCase.from_dict(marriage_case()))
    before = counts(db)
    real = AppContext(db=db, clock=Clock(), user=clerk_ctx.user)
    with pytest.raises(RegistryError) as err:
        Accounts(real).login("clerk", PASSWORDS["clerk"])
    assert err.value.code == "CLOCK_BEHIND"
    assert counts(db) == before


@pytest.mark.training
def test_a_training_database_may_go_back_in_time(db, clock, clerk_ctx):
    MarriageService(clerk_ctx).register_case(MarriageCase.from_dict(marriage_case()))
    clock.set(D(2025, 1, 6))
    result = MarriageService(clerk_ctx).register_case(
        MarriageCase.from_dict(marriage_case(person("周明", "M", D(1990, 1, 1)), person("吴丽", "F", D(1992, 2, 2)))))
    assert result.certificate_no == "J320102-2025-000001"


def test_clock_warnings_behind_and_far_ahead(db, clock, admin_ctx):
    t = newest_ts(db)
    assert clock_warning(admin_ctx) is None
    clock.set(t + dt.timedelta(days=12))  # a holiday closure
    assert clock_warning(admin_ctx) is None
    clock.set(t + dt.timedelta(days=41))
    assert "41天" in clock_warning(admin_ctx)
    clock.set(t - dt.timedelta(hours=2))
    assert "不能保存" in clock_warning(admin_ctx)
    clock.set(t)
    OfficeAdmin(admin_ctx).update({"clock_ahead_warning_days": 7})
    clock.set(newest_ts(db) + dt.timedelta(days=12))
    assert "12天" in clock_warning(admin_ctx)


@pytest.mark.training
def test_no_clock_warning_on_a_training_database(db, clock, admin_ctx):
    clock.set(newest_ts(db) - dt.timedelta(days=300))
    assert clock_warning(admin_ctx) is None


def test_demo_data_goes_only_into_a_training_database(db):
    before = counts(db)
    with pytest.raises(RegistryError) as err:
        generate(db, 5, seed=1, until=D(2026, 6, 15))
    assert err.value.code == "DEMO_NEEDS_TRAINING"
    assert counts(db) == before


def test_a_training_database_is_marked_in_the_main_window(qtbot, tmp_path):
    from ui.main_window import AppState, MainWindow
    from ui.prompts import RecordingPrompter

    windows = {}
    for training in (False, True):
        ctx = _office(tmp_path / f"{training}.db", training)
        window = MainWindow(AppState(ctx=ctx, prompter=RecordingPrompter()))
        qtbot.addWidget(window)
        windows[training] = (window, ctx)
    assert windows[False][0].training_banner.isHidden()
    banner = windows[True][0].training_banner
    assert not banner.isHidden() and banner.text() == "培训环境 — 数据不具法律效力"
    for window, ctx in windows.values():
        window.close()
        ctx.db.close()


# --- training output is stamped -----------------------------------------------------------------

def _office(path: Path, training: bool) -> AppContext:
    from registry_app.domain.roles import Role
    from registry_app.services.office_setup import OfficeSetup, initialise

    clock = FixedClock(D(2026, 6, 15))
    db = initialise(OfficeSetup("320102", "南京市玄武区民政局婚姻登记处", PASSPHRASE, "admin", "王管理",
                                PASSWORDS["admin"], training=training), path, clock)
    ctx = AppContext(db=db, clock=clock)
    with db.write() as s:
        Accounts(ctx).create_user(s, "clerk", "李登记", Role.CLERK, PASSWORDS["clerk"], must_change=False)
    ctx.user = Accounts(ctx).login("clerk", PASSWORDS["clerk"])
    return ctx


def _red_share(pdf: bytes) -> float:
    """Share of clearly red pixels on the first page (the stamp is red; nothing else printed is)."""
    import pypdfium2 as pdfium

    page = pdfium.PdfDocument(pdf)[0]
    raw = page.render(scale=40 / 72).to_pil().convert("RGB").tobytes()
    pixels = [raw[i:i + 3] for i in range(0, len(raw), 3)]
    return sum(1 for r, g, b in pixels if r - g > 25 and r - b > 25) / len(pixels)


@pytest.mark.parametrize("kind", ["certificate", "declarations"])
def test_training_certificates_and_forms_carry_the_stamp(tmp_path, kind):
    for training in (False, True):
        ctx = _office(tmp_path / f"{training}.db", training)
        try:
            rec = MarriageService(ctx).register_case(MarriageCase.from_dict(marriage_case()))
            printing = CertificatePrinting(ctx)
            pdf = printing.render(rec.record_id, kind)
            text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
            assert (TRAINING_MARK in text) is training
            assert (_red_share(pdf) > 0.01) is training
            if kind == "certificate":  # the stamp leaves the QR readable
                assert printing.verify(pdf=pdf)["valid"]
        finally:
            ctx.db.close()


# --- a print is logged only once its PDF exists ---------------------------------------------------

class _FullDisk:
    """The `os` module as fsutil sees it, on a disk with no space left."""

    def __getattr__(self, name):
        return getattr(os, name)

    @staticmethod
    def write(fd, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_a_full_disk_uses_up_no_copy(db, clerk_ctx, tmp_path, monkeypatch):
    from registry_app import fsutil

    rec = MarriageService(clerk_ctx).register_case(MarriageCase.from_dict(marriage_case()))
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / "cert.pdf"
    before = counts(db)
    with monkeypatch.context() as m:
        m.setattr(fsutil, "os", _FullDisk())
        with pytest.raises(StorageError) as err:
            CertificatePrinting(clerk_ctx).render(rec.record_id, out=out)
    assert err.value.code == "FILE_WRITE_FAILED"
    assert counts(db) == before and list(out.parent.iterdir()) == []  # no PDF, no temp file
    # the disk has room again: this is still copy 1, and needs no supervisor
    pdf = CertificatePrinting(clerk_ctx).render(rec.record_id, out=out)
    assert out.read_bytes() == pdf
    with db.read() as s:
        assert s.execute(select(PrintJob.copy_no)).scalars().all() == [1]


def test_a_failed_commit_removes_the_pdf(db, clerk_ctx, tmp_path):
    rec = MarriageService(clerk_ctx).register_case(MarriageCase.from_dict(marriage_case()))
    out = tmp_path / "cert.pdf"
    before = counts(db)

    def power_cut(session):
        raise OSError(errno.EIO, "disk I/O error")

    event.listen(Session, "before_commit", power_cut)
    try:
        with pytest.raises(OSError):
            CertificatePrinting(clerk_ctx).render(rec.record_id, out=out)
    finally:
        event.remove(Session, "before_commit", power_cut)
    assert counts(db) == before and not out.exists()


def test_the_command_line_writes_the_pdf_inside_the_print(db, db_path, clerk_ctx, tmp_path):
    rec = MarriageService(clerk_ctx).register_case(MarriageCase.from_dict(marriage_case()))
    missing = tmp_path / "no-such-dir" / "cert.pdf"
    result = registry(db_path, "certificate", "render", str(rec.record_id), "--out", str(missing), "--user", "clerk")
    assert result.exit_code == 3 and "FILE_WRITE_FAILED" in result.output
    with db.read() as s:
        assert s.execute(select(func.count()).select_from(PrintJob)).scalar() == 0
    out = tmp_path / "cert.pdf"
    result = registry(db_path, "certificate", "render", str(rec.record_id), "--out", str(out), "--user", "clerk")
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF")
