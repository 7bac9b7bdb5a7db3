"""The `registry` command: administration, scripting, end of day, benchmarks.

JSON goes to stdout where a script reads it. Exit codes: 0 success, 1 a check said no
(invalid ID, broken chain), 2 the request was refused (coded errors in JSON), 3 could not open.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import sys
from contextlib import contextmanager
from pathlib import Path

import click

from registry_app.clock import Clock, TrainingClock
from registry_app.commands.failures import GuardedGroup
from registry_app.errors import RegistryError
from registry_app.paths import default_db_path


def parse_date_option(value: str | None, field: str = "date") -> dt.date | None:
    """A `--date`-style option: YYYY-MM-DD, or a coded refusal naming the option."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise RegistryError(f"日期格式应为YYYY-MM-DD：{value}", code="DATE_INVALID", field=field) from None


def emit(obj) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False, indent=2, default=str))


def fail(exc: RegistryError, exit_code: int = 2) -> None:
    emit({"errors": [i.to_dict() for i in exc.issues]})
    sys.exit(exit_code)


class Env:
    def __init__(self, db_path: Path, url: str | None):
        self.db_path = db_path
        self.url = url
        self._db = None

    def passphrase(self) -> str:
        value = os.environ.get("REGISTRY_PASSPHRASE")
        if value is None:
            value = click.prompt("数据库口令 (passphrase)", hide_input=True, err=True)
        return value

    def open(self):
        """Open with the client's exclusive lock: while a client (or another command) has the file open,
        a command gets DatabaseLocked (exit 3) instead of writing under it. Closed when the command ends."""
        from registry_app.fsutil import sweep_temp_files
        from registry_app.storage.engine import open_database, sqlcipher_url
        from registry_app.services.workspace import upgrade_schema

        if self._db is None:
            url = self.url or sqlcipher_url(self.db_path, self.passphrase())
            db = open_database(url, exclusive=True)
            click_ctx = click.get_current_context(silent=True)
            if click_ctx is not None:
                click_ctx.find_root().call_on_close(self.close)
            try:
                upgrade_schema(db)  # backed up first, and audited
            except BaseException:
                db.close()
                raise
            self._db = db
            # Temp files a killed writer left next to the database and where this command writes
            # (its --out: the outbox of `sync export`, a PDF's folder); we hold the lock now.
            out = click_ctx.params if click_ctx is not None else {}
            sweep_temp_files(db.path.parent if db.path is not None else None,
                             *(v if k == "out_dir" else v.parent for k, v in out.items()
                               if k in ("out", "out_dir", "out_file") and isinstance(v, Path)))
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def context(self, date: str | None = None, user: str | None = None):
        """The service context; a `--date` is refused (CLOCK_OVERRIDE_REFUSED) unless the database is a
        training one, and is checked before anything (even a login) is written."""
        from registry_app.services.accounts import Accounts
        from registry_app.services.clock_guard import check_override
        from registry_app.services.context import AppContext

        day = parse_date_option(date)
        clock = TrainingClock(day) if day else Clock()
        ctx = AppContext(db=self.open(), clock=clock)
        check_override(ctx)
        if user:
            password = os.environ.get("REGISTRY_USER_PASSWORD")
            if password is None:
                password = click.prompt(f"{user} 的密码", hide_input=True, err=True)
            ctx.user = Accounts(ctx).login(user, password)
        return ctx


@contextmanager
def handled(exit_code: int = 2):
    """Coded errors end the command with `exit_code` (3 for storage); a full disk, a damaged database or
    anything unexpected becomes DISK_FULL / DB_DAMAGED / INTERNAL_ERROR (exit 3): commands.failures."""
    from registry_app.commands.failures import PASSTHROUGH, fail_with

    try:
        yield
    except PASSTHROUGH:
        raise
    except Exception as exc:  # noqa: BLE001 — translated, never a traceback
        fail_with(exc, exit_code)


pass_env = click.make_pass_decorator(Env)
# scheme://… (postgresql+psycopg://, sqlite://, file://): never a file name an office means.
URL_LIKE = re.compile(r"^\s*[A-Za-z][A-Za-z0-9+.\-]+://")


@click.group(cls=GuardedGroup)
@click.option("--db", "db_path", type=click.Path(), default=None,
              help="数据库文件（默认：用户数据目录中的 registry.db）")
@click.option("--url", default=None, envvar="REGISTRY_DB_URL",
              help="数据库 URL（多窗口办公室的 PostgreSQL），优先于 --db")
@click.pass_context
def main(ctx: click.Context, db_path: str | None, url: str | None) -> None:
    """婚姻收养登记系统命令行 (registry office command line)."""
    # Checked on the raw text: a Path would fold "://" to ":/" and a URL would become a local file
    # in a folder named after the scheme, which nobody backs up.
    if db_path is not None and URL_LIKE.match(db_path):
        fail(RegistryError("--db 只接受数据库文件路径；连接 PostgreSQL 等数据库服务器请用 --url（或环境变量 "
                           "REGISTRY_DB_URL）", code="DB_PATH_IS_URL", field="--db"))
    ctx.obj = Env(Path(db_path) if db_path else default_db_path(), url)


@main.command()
@click.option("--office-code", required=True)
@click.option("--office-name", required=True)
@click.option("--admin", "admin_user", required=True)
@click.option("--admin-name", default=None, help="管理员姓名")
@click.option("--foreign-cases/--no-foreign-cases", default=False, help="是否办理涉外、涉港澳台婚姻登记")
@click.option("--training", is_flag=True, help="培训数据库：可用 --date 指定日期，证书和批次均标明“培训”")
@pass_env
def init(env: Env, office_code, office_name, admin_user, admin_name, foreign_cases, training) -> None:
    """Create a new encrypted database for an office. Never overwrites."""
    from registry_app.services.office_setup import OfficeSetup, initialise

    password = os.environ.get("REGISTRY_ADMIN_PASSWORD")
    if password is None:
        password = click.prompt("管理员密码", hide_input=True, confirmation_prompt=True, err=True)
    with handled():
        passphrase = "" if env.url else env.passphrase()
        db = initialise(OfficeSetup(office_code, office_name, passphrase, admin_user,
                                    admin_name or admin_user, password, handles_foreign_cases=foreign_cases,
                                    training=training),
                        None if env.url else env.db_path, url=env.url)
        db.close()
        emit({"created": "database URL" if env.url else str(env.db_path), "office_code": office_code,
              "admin": admin_user, "training": training})


@main.group("id")
def id_group() -> None:
    """Identity documents."""


@id_group.command("check")
@click.argument("id_number")
@click.option("--type", "id_type", default=None,
              type=click.Choice(["resident_id", "hmt_residence_permit", "foreign_pr_card", "passport",
                                 "hk_macao_permit", "taiwan_permit"]),
              help="按所选证件类型核对（默认由号码识别证件种类）")
def id_check(id_number: str, id_type: str | None) -> None:
    """Which identity document a number is (resident ID, HK/Macao/Taiwan residence permit, foreign
    permanent-residence card 2023 or 2017, travel permits, passport) and what it says. Exit 0 when valid,
    1 when not; warnings (an address code withdrawn before the holder's birth) do not change the exit code."""
    from registry_app.domain.documents import normalise, read_document, recognise
    from registry_app.domain.ids import InvalidIdNumber

    try:
        reading = read_document(id_number, Clock().today(), id_type)
    except InvalidIdNumber as exc:
        number = normalise(id_number)
        found = recognise(number)
        emit({"valid": False, "document": found.value if found else None, "id_number": number,
              "birth_date": None, "sex": None, "region_code": None, "warnings": [],
              "error": exc.message, "code": exc.code})
        sys.exit(1)
    emit({"valid": True, **reading.to_dict(), "error": None, "code": None})


@main.group()
def audit() -> None:
    """The audit trail."""


@audit.command("verify")
@click.option("--acks", "acks_dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="省级回执所在文件夹：按回执确认的审计链锚点核验（及数据库中保存的锚点）")
@pass_env
def audit_verify(env: Env, acks_dir: Path | None) -> None:
    """Check the hash chain. Exit 0 when it holds, 1 naming the first broken entry. With --acks: also
    against every audit head the province's acknowledgements confirmed (exit 1 with coded problems)."""
    from registry_app.services.audit import verify_chain

    if acks_dir is not None:
        from registry_app.services.audit_anchors import verify_anchored

        with handled():
            anchored = verify_anchored(env.context(), acks_dir)
        emit(anchored.to_dict())
        if not anchored.ok:
            click.echo("审计记录与省级回执确认的锚点不符：" + "；".join(p.message for p in anchored.problems), err=True)
            sys.exit(1)
        click.echo(f"审计链完整，与{len(anchored.anchors)}个锚点一致 (chain holds against "
                   f"{len(anchored.anchors)} anchors)", err=True)
        return
    with handled():
        report = verify_chain(env.context())
    emit(report.to_dict())
    if report.ok:
        click.echo(f"审计链完整：共核验 {report.checked} 条记录 (chain holds: {report.checked} entries checked)", err=True)
    else:
        click.echo(f"审计链断裂：第 {report.first_broken_id} 条 — {report.problem}", err=True)
        sys.exit(1)


@main.group()
def users() -> None:
    """User accounts (administrator)."""


@users.command("add")
@click.argument("username")
@click.option("--name", "display_name", required=True)
@click.option("--role", type=click.Choice(["clerk", "supervisor", "admin"]), required=True)
@click.option("--as", "actor", required=True, help="执行操作的管理员用户名")
@pass_env
def users_add(env: Env, username, display_name, role, actor) -> None:
    """Add a user; the initial password comes from REGISTRY_NEW_PASSWORD or a prompt."""
    from registry_app.services.accounts import Accounts

    with handled():
        ctx = env.context(user=actor)
        password = os.environ.get("REGISTRY_NEW_PASSWORD") or click.prompt(
            "新用户初始密码", hide_input=True, confirmation_prompt=True, err=True)
        emit(Accounts(ctx).add(username, display_name, role, password).to_dict())


@users.command("list")
@click.option("--as", "actor", required=True)
@pass_env
def users_list(env: Env, actor) -> None:
    from registry_app.services.accounts import Accounts

    with handled():
        emit([u.to_dict() for u in Accounts(env.context(user=actor)).list()])


@users.command("disable")
@click.argument("username")
@click.option("--as", "actor", required=True)
@click.option("--reason", default="")
@pass_env
def users_disable(env: Env, username, actor, reason) -> None:
    from registry_app.services.accounts import Accounts

    with handled():
        emit(Accounts(env.context(user=actor)).set_disabled(username, True, reason).to_dict())


@users.command("passwd")
@click.argument("username")
@pass_env
def users_passwd(env: Env, username) -> None:
    """Change one's own password: old from REGISTRY_USER_PASSWORD, new from REGISTRY_NEW_PASSWORD."""
    from registry_app.services.accounts import Accounts

    with handled():
        ctx = env.context(user=username)
        new = os.environ.get("REGISTRY_NEW_PASSWORD") or click.prompt(
            "新密码", hide_input=True, confirmation_prompt=True, err=True)
        old = os.environ.get("REGISTRY_USER_PASSWORD") or ""
        user = Accounts(ctx).change_password(ctx.user, old, new)
        emit({"username": user.username, "must_change_password": user.must_change_password})


def register_subcommands() -> None:
    """Workflow command groups live in their own modules (registry_app/commands/)."""
    import importlib
    import pkgutil

    import registry_app.commands as pkg

    for info in pkgutil.iter_modules(pkg.__path__):
        module = importlib.import_module(f"{pkg.__name__}.{info.name}")
        for command in getattr(module, "COMMANDS", []):
            main.add_command(command)


if __name__ == "__main__":
    # Run as `python -m registry_app.cli`: hand over to the package module, so the command modules and
    # the entry share one `main` and one `Env` (registering here too would half-load them twice).
    from registry_app.cli import main as package_main

    package_main()
else:
    register_subcommands()
