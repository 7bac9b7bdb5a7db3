"""A throwaway demo office for `registry-app --demo`: an encrypted training database in a temporary
folder, filled by the generator, with a demo clerk, supervisor and administrator whose passwords are
shown to the person trying it. The folder is deleted when the demo closes; a folder left by a crash is
found at the next start by its lock file, which no live demo holds any more, and deleted then.

Nothing leaves a demo database (registry_app/demo/guard.py): the export and backups refuse it."""
from __future__ import annotations

import datetime as dt
import os
import secrets
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from registry_app.clock import Clock, TrainingClock
from registry_app.demo.casework import open_divorces
from registry_app.demo.generator import generate
from registry_app.demo.guard import DEMO_SANDBOX_SETTING
from registry_app.domain.roles import Role
from registry_app.fsutil import lock_exclusive
from registry_app.operations import NO_PROGRESS, Progress
from registry_app.services import audit
from registry_app.services.accounts import Accounts
from registry_app.services.context import AppContext, CurrentUser
from registry_app.services.office_setup import OfficeSetup, initialise
from registry_app.services.stock import BlankStock
from registry_app.services.workspace import open_workspace
from registry_app.storage.models import Setting

DEMO_PREFIX = "registry-demo-"
LOCK_NAME = "demo.lock"
OFFICE_CODE = "320102"
OFFICE_NAME = "演示区民政局婚姻登记处"
PASSWORD = "yanshi2026"   # shown on the login window and the banner: the demo has nothing to protect
# Two decades of a small county office (some 30 registrations in the last month, their events not yet sent),
# made in a few seconds.
RECORDS = 8_000
RECENT_DAYS = 30
SEED = 2026
# a folder without a lock file may be one being created right now: only an old one is left over
UNLOCKED_GRACE_SECONDS = 3600


@dataclass(frozen=True)
class DemoAccount:
    username: str
    display_name: str
    role: Role

    @property
    def label(self) -> str:
        return f"{self.role.zh}：{self.username}（{self.display_name}）"


ACCOUNTS = (
    DemoAccount("dengji", "王芳", Role.CLERK),
    DemoAccount("fuze", "张军", Role.SUPERVISOR),
    DemoAccount("guanli", "李明", Role.ADMIN),
)


def credentials_text() -> str:
    """One line naming the demo accounts and their password, for the login window and the banner."""
    return "；".join(a.label for a in ACCOUNTS) + f"；密码均为 {PASSWORD}"


@dataclass
class DemoSandbox:
    folder: Path
    ctx: AppContext
    _lock_fd: int | None = field(default=None, repr=False)

    @property
    def db_path(self) -> Path:
        return self.folder / "registry.db"

    def close(self) -> None:
        """Close the database and delete the whole folder (idempotent)."""
        try:
            self.ctx.db.close()
        finally:
            if self._lock_fd is not None:
                os.close(self._lock_fd)  # released before deleting: Windows cannot delete an open file
                self._lock_fd = None
            shutil.rmtree(self.folder, ignore_errors=True)


def demo_root() -> Path:
    return Path(tempfile.gettempdir())


def _try_lock(path: Path) -> int | None:
    """An exclusive, non-blocking lock on `path` (created if missing): the fd, or None if held elsewhere.
    The system drops the lock when its process dies, so a crashed demo leaves a lock anyone can take."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    if not lock_exclusive(fd):
        os.close(fd)
        return None
    return fd


def sweep_stale_demos(root: Path | None = None) -> list[Path]:
    """Delete demo folders no running demo holds (left by a crash or a kill). Returns what was deleted."""
    removed = []
    for folder in sorted(Path(root or demo_root()).glob(DEMO_PREFIX + "*")):
        if folder.is_symlink() or not folder.is_dir():
            continue
        if hasattr(os, "getuid") and folder.stat().st_uid != os.getuid():
            continue  # another user's demo on a shared machine is theirs to clean
        lock = folder / LOCK_NAME
        if lock.exists():
            fd = _try_lock(lock)
            if fd is None:
                continue  # a demo running now
            os.close(fd)
        elif time.time() - folder.stat().st_mtime < UNLOCKED_GRACE_SECONDS:
            continue
        shutil.rmtree(folder, ignore_errors=True)
        if not folder.exists():
            removed.append(folder)
    return removed


def create_demo(day: dt.date | None = None, *, records: int = RECORDS, root: Path | None = None,
                progress: Progress = NO_PROGRESS) -> DemoSandbox:
    """Make and open a demo office. `day` sets the training clock (the demo is a training database, so a
    date may be chosen as with `--date`); by default today. The caller closes it (DemoSandbox.close)."""
    root = Path(root) if root else demo_root()
    sweep_stale_demos(root)
    folder = Path(tempfile.mkdtemp(prefix=DEMO_PREFIX, dir=root))
    lock_fd = _try_lock(folder / LOCK_NAME)
    try:
        clock = TrainingClock(day) if day else Clock()
        passphrase = secrets.token_urlsafe(24)  # never shown: the demo opens itself and is then deleted
        admin = next(a for a in ACCOUNTS if a.role is Role.ADMIN)
        db = initialise(OfficeSetup(OFFICE_CODE, OFFICE_NAME, passphrase, admin.username, admin.display_name,
                                    PASSWORD, handles_adoption=True, training=True), folder / "registry.db", clock)
        ctx = AppContext(db=db, clock=clock)
        accounts = Accounts(ctx)
        with db.write() as s:
            s.add(Setting(key=DEMO_SANDBOX_SETTING, value={"created": clock.now().isoformat(timespec="seconds")}))
            for account in ACCOUNTS:
                if account is not admin:
                    accounts.create_user(s, account.username, account.display_name, account.role, PASSWORD,
                                         must_change=False)
            audit.record(ctx, s, "demo.sandbox_created", "database", "demo",
                         {"accounts": [a.username for a in ACCOUNTS]}, reason="演示环境",
                         username=admin.username, role=Role.ADMIN.value)
        generate(db, records, SEED, until=clock.today(), event_days=RECENT_DAYS, progress=progress)
        clerk = next(a for a in ACCOUNTS if a.role is Role.CLERK)
        open_divorces(db, clock.today(), _user(ctx, clerk.username), SEED)  # work for 我的离婚申请
        supervisor = _user(ctx, "fuze")
        stock = BlankStock(ctx.as_user(supervisor))
        for booklet, prefix in (("marriage", "J"), ("divorce", "L"), ("adoption", "S"),
                                ("adoption_dissolution", "C")):
            stock.receive(booklet, f"{prefix}9000001", f"{prefix}9000200")
        db.close()
        ctx = open_workspace(folder / "registry.db", passphrase, clock=clock)  # exclusive, as the client holds it
    except BaseException:
        if lock_fd is not None:
            os.close(lock_fd)
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return DemoSandbox(folder, ctx, lock_fd)


def _user(ctx: AppContext, username: str) -> CurrentUser:
    from sqlalchemy import select

    from registry_app.storage.models import User

    with ctx.db.read() as s:
        u = s.execute(select(User).where(User.username == username)).scalar_one()
        return CurrentUser(u.id, u.username, u.display_name, Role(u.role), u.must_change_password)
