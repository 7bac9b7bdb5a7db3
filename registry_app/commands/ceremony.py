"""`registry ceremony add|add-couple|list|print`: certificate ceremonies and group weddings from scripts."""
from __future__ import annotations

from pathlib import Path

import click

from registry_app.cli import Env, emit, handled, parse_date_option, pass_env
from registry_app.services.ceremonies import KINDS


@click.group()
def ceremony() -> None:
    """颁证仪式与集体婚礼."""


@ceremony.command("add")
@click.option("--kind", type=click.Choice(sorted(KINDS)), default="ceremony", show_default=True)
@click.option("--day", required=True, help="YYYY-MM-DD")
@click.option("--place", required=True)
@click.option("--officiant", required=True, help="主持人")
@click.option("--record", "record_ids", type=int, multiple=True, help="已登记的结婚登记记录号（可多次）")
@click.option("--user", required=True)
@pass_env
def ceremony_add(env: Env, kind: str, day: str, place: str, officiant: str, record_ids: tuple[int, ...],
                 user: str) -> None:
    """Record a ceremony (and the couples already known)."""
    from registry_app.services.ceremonies import Ceremonies

    with handled():
        when = parse_date_option(day, "--day")
        emit(Ceremonies(env.context(user=user)).add(kind, when, place, officiant, record_ids).to_dict())


@ceremony.command("add-couple")
@click.argument("ceremony_id", type=int)
@click.argument("record_id", type=int)
@click.option("--user", required=True)
@pass_env
def ceremony_add_couple(env: Env, ceremony_id: int, record_id: int, user: str) -> None:
    """Add a registered marriage (by record id) to a ceremony."""
    from registry_app.services.ceremonies import Ceremonies

    with handled():
        emit(Ceremonies(env.context(user=user)).add_couple(ceremony_id, record_id).to_dict())


@ceremony.command("list")
@click.option("--since", default=None, help="YYYY-MM-DD（默认全部）")
@click.option("--user", required=True)
@pass_env
def ceremony_list(env: Env, since: str | None, user: str) -> None:
    from registry_app.services.ceremonies import Ceremonies

    with handled():
        emit([c.to_dict() for c in Ceremonies(env.context(user=user)).list(parse_date_option(since, "--since"))])


@ceremony.command("print")
@click.argument("ceremony_id", type=int)
@click.option("--out", "out", type=click.Path(path_type=Path, dir_okay=False), required=True)
@click.option("--no-keepsakes", is_flag=True, help="只打印仪式名单")
@click.option("--user", required=True)
@pass_env
def ceremony_print(env: Env, ceremony_id: int, out: Path, no_keepsakes: bool, user: str) -> None:
    """Write the ceremony list and a keepsake page per couple (A4 PDF)."""
    from registry_app.fsutil import write_atomic
    from registry_app.services.ceremonies import Ceremonies

    with handled():
        pdf = Ceremonies(env.context(user=user)).print(ceremony_id, keepsakes=not no_keepsakes)
        write_atomic(out, pdf)
        emit({"ceremony_id": ceremony_id, "out": str(out), "bytes": len(pdf)})


COMMANDS = [ceremony]
