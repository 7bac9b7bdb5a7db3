"""`registry stock receive|spoil|summary` and `registry calibration list|set|sheet`."""
from __future__ import annotations

from pathlib import Path

import click

from registry_app.cli import Env, emit, handled, pass_env
from registry_app.services.stock import BOOKLET_TYPES


@click.group()
def stock() -> None:
    """空白证书管理 (blank certificate stock)."""


@stock.command("receive")
@click.argument("booklet_type", type=click.Choice(sorted(BOOKLET_TYPES)))
@click.argument("first")
@click.argument("last")
@click.option("--user", required=True)
@pass_env
def stock_receive(env: Env, booklet_type, first, last, user) -> None:
    """Receive a range of pre-printed blanks by their printed serials (入库)."""
    from registry_app.services.stock import BlankStock

    with handled():
        count = BlankStock(env.context(user=user)).receive(booklet_type, first.strip().upper(), last.strip().upper())
        emit({"booklet_type": booklet_type, "first": first, "last": last, "received": count})


@stock.command("spoil")
@click.argument("serial")
@click.option("--reason", required=True, help="作废原因（卡纸、打错等）")
@click.option("--user", required=True)
@pass_env
def stock_spoil(env: Env, serial, reason, user) -> None:
    """Mark a blank as spoiled, with the reason (作废)."""
    from registry_app.domain.states import BlankState
    from registry_app.services.stock import BlankStock

    with handled():
        BlankStock(env.context(user=user)).spoil(serial.strip().upper(), reason)
        emit({"serial": serial.strip().upper(), "status": BlankState.SPOILED.value, "reason": reason})


@stock.command("summary")
@click.option("--user", required=True)
@pass_env
def stock_summary(env: Env, user) -> None:
    """Available, used and spoiled blanks per booklet type."""
    from registry_app.services.stock import BlankStock

    with handled():
        emit([{**row.to_dict(), "booklet_zh": BOOKLET_TYPES[row.booklet_type]}
              for row in BlankStock(env.context(user=user)).summary()])


@click.group()
def calibration() -> None:
    """打印机校准 (printer calibration)."""


@calibration.command("list")
@click.option("--user", required=True)
@pass_env
def calibration_list(env: Env, user) -> None:
    from registry_app.services.printing_setup import PrintingSetup

    with handled():
        emit([c.to_dict() for c in PrintingSetup(env.context(user=user)).calibrations()])


@calibration.command("set")
@click.argument("name")
@click.option("--dx", "dx_mm", type=float, required=True, help="右移毫米数（负数左移）")
@click.option("--dy", "dy_mm", type=float, required=True, help="下移毫米数（负数上移）")
@click.option("--scale", type=float, default=1.0, show_default=True)
@click.option("--user", required=True)
@pass_env
def calibration_set(env: Env, name, dx_mm, dy_mm, scale, user) -> None:
    """Save the correction measured on the calibration sheet for a printer."""
    from registry_app.services.printing_setup import PrintingSetup

    with handled():
        emit(PrintingSetup(env.context(user=user)).save_calibration(name, dx_mm, dy_mm, scale).to_dict())


@calibration.command("sheet")
@click.option("--out", "out", type=click.Path(path_type=Path), required=True)
@click.option("--name", default=None, help="用已保存的校准打印，以核对校准是否正确（需 --user）")
@click.option("--user", default=None)
@pass_env
def calibration_sheet(env: Env, out: Path, name, user) -> None:
    """The calibration sheet as a PDF: print it at actual size and measure the crosshairs."""
    from registry_app.certificates import calibration_sheet_pdf
    from registry_app.errors import RegistryError
    from registry_app.fsutil import write_atomic
    from registry_app.services.printing_setup import PrintingSetup

    with handled():
        if name:
            if not user:
                raise RegistryError("按已保存的校准打印时须指定 --user", code="USER_REQUIRED", field="user")
            pdf = PrintingSetup(env.context(user=user)).calibration_sheet(name)
        else:
            pdf = calibration_sheet_pdf()
        write_atomic(out, pdf)
        emit({"out": str(out), "calibration": name, "bytes": len(pdf)})


COMMANDS = [stock, calibration]
