"""The background helper: a failure nobody handles is presented (as Anki's QueryOp does), a handled one
is not presented twice, and a cancelled import, export or health check ends in the one Cancelled with
nothing left behind."""
from __future__ import annotations

import shutil

import pytest
from sqlalchemy import func, select

from registry_app.errors import Cancelled, Issue, Refused, RegistryError
from registry_app.resources import resources_dir
from registry_app.services.archive_import import ArchiveImport
from registry_app.services.health import DatabaseHealth
from registry_app.services.marriage import MarriageCase, MarriageService
from registry_app.storage.models import AuditEntry, Batch, Record
from registry_app.sync.keys import province_keygen
from registry_app.sync.service import SyncService
from tests.factories import marriage_case
from ui.background import BackgroundOperation, start
from ui.prompts import RecordingPrompter


def run(qtbot, op: BackgroundOperation) -> list:
    """Start `op` and wait until it finished; returns what `failed` carried (connected or not)."""
    done: list = []
    op.signals.finished.connect(lambda: done.append(True))
    start(op)
    qtbot.waitUntil(lambda: bool(done), timeout=30_000)
    return done


def fail_with(exc: BaseException):
    def work(_report, _cancelled):
        raise exc
    return work


@pytest.mark.parametrize("exc, shown", [
    (Refused([Issue("AGE_UNDER_LIMIT", "男方未满二十二周岁", "party1")]), "AGE_UNDER_LIMIT"),
    (RegistryError("数据库正被另一台电脑使用", code="DATABASE_LOCKED"), "DATABASE_LOCKED"),
    (RuntimeError("张三 110101199003071234"), "内部错误"),  # a defect's text may hold a name: never shown
])
def test_an_unhandled_failure_is_presented(qtbot, exc, shown):
    prompter = RecordingPrompter()
    run(qtbot, BackgroundOperation(fail_with(exc), prompter=prompter, title="测试"))
    qtbot.waitUntil(lambda: bool(prompter.shown), timeout=5_000)
    kind, title, text = prompter.shown[0]
    assert (kind, title) == ("warn", "测试") and shown in text
    assert "张三" not in text and "110101199003071234" not in text


def test_a_handled_failure_is_not_presented_again(qtbot):
    prompter, seen = RecordingPrompter(), []
    op = BackgroundOperation(fail_with(RuntimeError("boom")), prompter=prompter)
    op.signals.failed.connect(seen.append)
    run(qtbot, op)
    qtbot.waitUntil(lambda: bool(seen), timeout=5_000)
    assert isinstance(seen[0], RuntimeError) and prompter.shown == []


def test_a_cancel_the_clerk_asked_for_is_not_an_error(qtbot):
    prompter = RecordingPrompter()
    run(qtbot, BackgroundOperation(fail_with(Cancelled()), prompter=prompter))
    qtbot.wait(50)
    assert prompter.shown == []


def _count(db, model) -> int:
    with db.read() as s:
        return s.execute(select(func.count()).select_from(model)).scalar()


def _archive_import(ctx, tmp_path):
    sample = tmp_path / "archive-sample.csv"
    shutil.copy(resources_dir() / "examples" / "archive-sample.csv", sample)
    return lambda report, cancelled: ArchiveImport(ctx).run(sample, progress=report, cancelled=cancelled)


def _export(ctx, tmp_path, admin_ctx):
    SyncService(admin_ctx).set_province_key(province_keygen(tmp_path / "province").public)
    case = MarriageCase.from_dict(marriage_case())
    case.photo = None
    MarriageService(ctx).register_case(case)
    day = ctx.clock.today()
    return lambda report, cancelled: SyncService(ctx).export(day, tmp_path / "out", report, cancelled)


def _health(ctx, _tmp_path):
    return lambda report, cancelled: DatabaseHealth(ctx).run(progress=report, cancelled=cancelled)


@pytest.mark.parametrize("name", ["archive import", "export", "health check"])
def test_cancelling_raises_the_one_cancelled_and_leaves_nothing(qtbot, db, clerk_ctx, admin_ctx, tmp_path, name):
    work = {"archive import": lambda: _archive_import(clerk_ctx, tmp_path),
            "export": lambda: _export(clerk_ctx, tmp_path, admin_ctx),
            "health check": lambda: _health(clerk_ctx, tmp_path)}[name]()
    before = {m: _count(db, m) for m in (Record, Batch, AuditEntry)}
    prompter, failures = RecordingPrompter(), []
    op = BackgroundOperation(work, prompter=prompter)
    op.signals.failed.connect(failures.append)
    op.cancel()  # the clerk pressed 取消 before the first chunk
    run(qtbot, op)
    qtbot.waitUntil(lambda: bool(failures), timeout=5_000)
    assert type(failures[0]) is Cancelled and failures[0].code == "CANCELLED"
    assert {m: _count(db, m) for m in (Record, Batch, AuditEntry)} == before
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []
    assert not list(tmp_path.glob("*.refused.csv")) and prompter.shown == []
