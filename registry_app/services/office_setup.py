"""First start: create the encrypted database, the office, its key and the first administrator."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from registry_app.clock import Clock
from registry_app.domain.office import validate_office_code
from registry_app.domain.roles import Role
from registry_app.errors import Issue, Refused, StorageError
from registry_app.services import audit
from registry_app.services.accounts import Accounts, password_issues
from registry_app.services.context import AppContext
from registry_app.services.office_keys import create_office_key
from registry_app.services.settings import OfficeSettings, save_settings
from registry_app.storage.engine import Database, open_database, sqlcipher_url
from registry_app.storage.migrate import upgrade

MIN_PASSPHRASE = 12


@dataclass
class OfficeSetup:
    office_code: str
    office_name: str
    passphrase: str
    admin_username: str
    admin_display_name: str
    admin_password: str
    handles_foreign_cases: bool = False
    handles_adoption: bool = True
    # A training database: accepts `--date`, and every screen, certificate and batch says 培训.
    training: bool = False

    def issues(self) -> list[Issue]:
        out = []
        bad = validate_office_code(self.office_code)
        if bad:
            out.append(bad)
        if not (self.office_name or "").strip():
            out.append(Issue("OFFICE_NAME_REQUIRED", "请输入登记机关名称", "office_name"))
        if len(self.passphrase or "") < MIN_PASSPHRASE:
            out.append(Issue("PASSPHRASE_TOO_SHORT", f"数据库口令至少{MIN_PASSPHRASE}位", "passphrase"))
        out += [Issue(i.code, i.message, "admin_password") for i in password_issues(self.admin_password, self.admin_username)]
        return out


def initialise(setup: OfficeSetup, path: Path | None, clock: Clock | None = None, url: str | None = None) -> Database:
    """Create a new office database: the encrypted file at `path`, or an empty PostgreSQL database
    given by `url` (multi-counter office; the passphrase then protects nothing and is not checked).
    Refuses to overwrite an existing file or an initialised server database."""
    issues = [i for i in setup.issues() if not (url and i.field == "passphrase")]
    if issues:
        raise Refused(issues)
    clock = clock or Clock()
    if url:
        db = open_database(url)
        from registry_app.storage.migrate import current_revision

        if current_revision(db) is not None:
            db.close()
            raise StorageError("该数据库已初始化，不会覆盖", code="DB_EXISTS")
    else:
        db = open_database(sqlcipher_url(path, setup.passphrase), must_exist=False)
    try:
        upgrade(db)
        ctx = AppContext(db=db, clock=clock)
        with db.write() as s:
            save_settings(s, OfficeSettings(
                office_code=setup.office_code.strip(), office_name=setup.office_name.strip(),
                handles_foreign_cases=setup.handles_foreign_cases, handles_adoption=setup.handles_adoption,
                training=setup.training,
            ))
            admin = Accounts(ctx).create_user(s, setup.admin_username, setup.admin_display_name or setup.admin_username,
                                              Role.ADMIN, setup.admin_password, must_change=False)
            key = create_office_key(s, setup.office_code, clock.now())
            audit.record(ctx, s, "office.initialised", "office", setup.office_code,
                         {"office_name": setup.office_name, "admin": admin.username, "key_id": key.key_id,
                          "training": setup.training},
                         username=admin.username, role=Role.ADMIN.value)
    except Exception:
        db.close()
        if path is not None and not url:
            for suffix in ("", "-wal", "-shm", ".lock"):
                Path(str(path) + suffix).unlink(missing_ok=True)
        raise
    return db
