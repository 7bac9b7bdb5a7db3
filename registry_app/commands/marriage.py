"""`registry marriage ...`: the same services the client uses."""
from __future__ import annotations

from pathlib import Path

import click

from registry_app.cli import Env, emit, handled, pass_env
from registry_app.commands.common import read_case, read_photo


@click.group()
def marriage() -> None:
    """结婚登记 (marriage registration)."""


@marriage.command("register")
@click.option("--input", "input_path", type=click.Path(path_type=Path), required=True)
@click.option("--user", required=True)
@click.option("--date", default=None, help="登记日期 YYYY-MM-DD（默认今天）")
@pass_env
def register(env: Env, input_path: Path, user: str, date: str | None) -> None:
    """Register one marriage from a case JSON file: all steps in one transaction."""
    from registry_app.services.marriage import MarriageCase, MarriageService

    with handled():
        raw = read_case(input_path)
        case = MarriageCase.from_dict(raw)
        case.photo, name = read_photo(raw, input_path.parent)
        case.photo_name = name or case.photo_name
        ctx = env.context(date=date, user=user)
        emit(MarriageService(ctx).register_case(case).to_dict())


COMMANDS = [marriage]
