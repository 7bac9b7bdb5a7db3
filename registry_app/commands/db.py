"""`registry db check`: the health check of an office database (JSON; exit 0 only when every check holds)."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from registry_app.cli import Env, emit, handled, pass_env


@click.group("db")
def db_group() -> None:
    """数据库维护 (database maintenance)."""


@db_group.command("check")
@click.option("--outbox", type=click.Path(path_type=Path), default=None, help="上报目录：检查其中的临时文件和未知批次")
@click.option("--acks", type=click.Path(path_type=Path), default=None, help="省级回执目录：审计链须与其中的锚点一致")
@pass_env
def db_check(env: Env, outbox: Path | None, acks: Path | None) -> None:
    """Integrity, audit chain, record digests, numbering, half-finished work, blank serials, outbox."""
    from registry_app.services.health import DatabaseHealth

    with handled():
        report = DatabaseHealth(env.context()).run(outbox=outbox, anchors_dir=acks)
    emit(report.to_dict())
    bad = [c.name for c in report.checks if not c.ok]
    click.echo("数据库检查通过 (all checks hold)" if not bad else f"数据库检查未通过：{'、'.join(bad)}", err=True)
    if bad:
        sys.exit(1)


COMMANDS = [db_group]
