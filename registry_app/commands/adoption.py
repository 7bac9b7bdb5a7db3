"""`registry adoption ...`: the same services the client uses.

    registry adoption check    --input CASE.json [--date YYYY-MM-DD]
    registry adoption register --input CASE.json --user USER [--date YYYY-MM-DD] [--blank-serial S]
    registry adoption dissolve RECORD_ID --input D.json --user USER [--date YYYY-MM-DD] [--blank-serial S]
                               [--expect-version N]
    registry adoption revoke   RECORD_ID --reason TEXT --user USER [--date YYYY-MM-DD] [--expect-version N]

The case file is described in resources/examples/ADOPTION_CASE.md. `--date` on register, dissolve and
revoke is accepted on a training database only; `check` opens no database and stores nothing.
`--expect-version` is the record's version as `registry record show` printed it: refused with
RECORD_CHANGED when the record has changed since.
"""
from __future__ import annotations

from pathlib import Path

import click

from registry_app.cli import Env, emit, handled, parse_date_option, pass_env
from registry_app.commands.common import read_case, read_photo

#: --expect-version: the record's version as `registry record show` printed it (None: not read first)
EXPECT_VERSION_HELP = "按 registry record show 显示的版本号办理；记录此后已被他人修改则不办理（RECORD_CHANGED）"


@click.group()
def adoption() -> None:
    """收养登记 (adoption registration, dissolution, revocation)."""


@adoption.command("check")
@click.option("--input", "input_path", type=click.Path(path_type=Path), required=True)
@click.option("--date", default=None, help="按此日期检查 YYYY-MM-DD（默认今天）")
def check(input_path: Path, date: str | None) -> None:
    """Print the checklist of CC 1093–1105 for a case file (no database, nothing stored).
    Exit 0 when nothing fails, 1 when a condition fails, 2 when the file itself is refused."""
    from registry_app.clock import Clock
    from registry_app.services.adoption import checklist, status_label

    failing = False
    with handled():
        today = parse_date_option(date) or Clock().today()
        results = checklist(read_case(input_path), today)
        failing = any(r.status.value == "failing" for r in results)
        emit({"date": today.isoformat(), "can_register": not failing,
              "conditions": [{**r.to_dict(), "label": status_label(r)} for r in results]})
    if failing:
        raise SystemExit(1)


@adoption.command("register")
@click.option("--input", "input_path", type=click.Path(path_type=Path), required=True)
@click.option("--user", required=True)
@click.option("--date", default=None, help="登记日期 YYYY-MM-DD（仅培训数据库；默认今天）")
@click.option("--blank-serial", default=None, help="空白收养登记证印制号")
@pass_env
def register(env: Env, input_path: Path, user: str, date: str | None, blank_serial: str | None) -> None:
    """Register one adoption from a case JSON file, in one transaction."""
    from registry_app.services.adoption import AdoptionService

    with handled():
        raw = read_case(input_path)
        photo, name = read_photo(raw, input_path.parent)
        ctx = env.context(date=date, user=user)
        emit(AdoptionService(ctx).register(raw, blank_serial=blank_serial, photo=photo,
                                           photo_name=name or "adoption-photo.jpg"))


@adoption.command("dissolve")
@click.argument("record_id", type=int)
@click.option("--input", "input_path", type=click.Path(path_type=Path), required=True)
@click.option("--user", required=True)
@click.option("--date", default=None, help="登记日期 YYYY-MM-DD（仅培训数据库；默认今天）")
@click.option("--blank-serial", default=None, help="空白解除收养关系证明印制号")
@click.option("--expect-version", "expect_version", type=int, default=None, help=EXPECT_VERSION_HELP)
@pass_env
def dissolve(env: Env, record_id: int, input_path: Path, user: str, date: str | None,
             blank_serial: str | None, expect_version: int | None) -> None:
    """Register the dissolution of an adoption by agreement (CC 1114, 1115)."""
    from registry_app.services.adoption import AdoptionService

    with handled():
        raw = read_case(input_path)
        ctx = env.context(date=date, user=user)
        emit(AdoptionService(ctx).dissolve(record_id, raw, blank_serial=blank_serial, version=expect_version))


@adoption.command("revoke")
@click.argument("record_id", type=int)
@click.option("--reason", required=True, help="撤销理由")
@click.option("--user", required=True)
@click.option("--date", default=None, help="撤销日期 YYYY-MM-DD（仅培训数据库；默认今天）")
@click.option("--expect-version", "expect_version", type=int, default=None, help=EXPECT_VERSION_HELP)
@pass_env
def revoke(env: Env, record_id: int, reason: str, user: str, date: str | None, expect_version: int | None) -> None:
    """Revoke a fraudulently obtained adoption registration (AR 13; supervisor)."""
    from registry_app.services.adoption import AdoptionService

    with handled():
        ctx = env.context(date=date, user=user)
        emit(AdoptionService(ctx).revoke(record_id, reason, version=expect_version))


COMMANDS = [adoption]
