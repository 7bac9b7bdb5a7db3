"""`registry backup` and `registry restore`: an encrypted copy of the office database, and a new
database made from one after its pages, schema and audit chain are checked."""
from __future__ import annotations

from pathlib import Path

import click

from registry_app.cli import Env, emit, handled, pass_env


@click.command("backup")
@click.option("--out", "out", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="备份文件（不存在的新文件；建议放在U盘或另一块硬盘上）")
@click.option("--user", required=True, help="系统管理员用户名（密码：REGISTRY_USER_PASSWORD）")
@pass_env
def backup(env: Env, out: Path, user: str) -> None:
    """在线备份：数据库使用中也可进行，备份文件用同一口令加密 (online encrypted backup)."""
    from registry_app.services.backup import Backups, postgres_refusal

    with handled():
        if env.url:
            raise postgres_refusal()
        emit(Backups(env.context(user=user)).backup_to(out).to_dict())


@click.command("restore")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--to", "to", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="新数据库文件（不会覆盖已有文件）")
@pass_env
def restore(env: Env, file: Path, to: Path) -> None:
    """从备份恢复为一个新数据库：先核验每一页、数据库完整性和审计链，损坏或被改动的备份拒绝恢复。
    口令与备份时的数据库口令相同（REGISTRY_PASSPHRASE 或提示输入）。"""
    from registry_app.services.backup import restore_backup

    with handled():
        emit(restore_backup(file, to, env.passphrase()).to_dict())


COMMANDS = [backup, restore]
