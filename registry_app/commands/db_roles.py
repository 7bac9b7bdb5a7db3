"""`registry db grant-role ROLE`: the GRANTs (and audit-trail policies) for an office's PostgreSQL role.

Added to the `db` group of commands/db.py. It only prints: the database owner runs the script with psql."""
from __future__ import annotations

import click

from registry_app.cli import Env, emit, handled, pass_env
from registry_app.commands.db import db_group


@db_group.command("grant-role")
@click.argument("role")
@click.option("--sql", "as_sql", is_flag=True, help="输出可直接交给 psql 的 SQL 脚本（默认输出JSON）")
@pass_env
def grant_role(env: Env, role: str, as_sql: bool) -> None:
    """打印办公室数据库角色所需的最小权限（GRANT 语句，仅 PostgreSQL；由数据库所有者执行）。"""
    from sqlalchemy.engine import make_url

    from registry_app.errors import RegistryError
    from registry_app.storage.pg_roles import grant_script, grant_statements

    with handled():
        url = make_url(env.url) if env.url else None
        if url is None or url.get_backend_name() != "postgresql" or not url.database:
            raise RegistryError("数据库角色只用于 PostgreSQL：请用 --url 指定办公室的数据库", code="GRANT_ROLE_NEEDS_URL",
                                field="--url")
        statements = grant_statements(role, url.database)
        if as_sql:
            click.echo(grant_script(role, url.database), nl=False)
            return
        emit({"role": role, "database": url.database, "statements": statements})


COMMANDS: list = []
