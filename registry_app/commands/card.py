"""`registry card read|parse`: the ID card reader from scripts (set-up checks, training)."""
from __future__ import annotations

from pathlib import Path

import click

from registry_app.cli import Env, emit, handled, pass_env


@click.group()
def card() -> None:
    """二代身份证阅读器 (ID card reader)."""


@card.command("parse")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
def card_parse(file: Path) -> None:
    """FILE: the 256-byte text block exactly as SDT_ReadBaseMsg returns it (a 1024-byte photo may follow)
    → JSON of the fields: dates YYYY-MM-DD, sex M/F, ethnicity by its Chinese name."""
    from registry_app.commands.common import _read_regular_file
    from registry_app.devices.card import PHOTO_BYTES, TEXT_BYTES, parse_text_block

    with handled():
        data = _read_regular_file(file, 64 * 1024 * 1024, "证件信息文件", "CARD_FILE", "file")
        if len(data) not in (TEXT_BYTES, TEXT_BYTES + PHOTO_BYTES):
            from registry_app.devices.errors import CardError

            raise CardError("CARD_BLOCK_LENGTH", f"证件信息文件应为{TEXT_BYTES}字节（或再加{PHOTO_BYTES}字节照片），"
                                                 f"实为{len(data)}字节")
        emit(parse_text_block(data[:TEXT_BYTES], data[TEXT_BYTES:]).to_dict())


@card.command("read")
@click.option("--simulated", "folder", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="模拟读卡：证件文件（*.card）所在文件夹")
@click.option("--kind", type=click.Choice(["sdtapi", "termb", "serial"]), default=None,
              help="真实读卡器：厂商sdtapi库、termb库或串口协议")
@click.option("--port", default="", help="sdtapi/termb：端口号（USB从1001起）；serial：COM3、/dev/ttyUSB0等")
@click.option("--timeout", type=float, default=8.0, help="等待放卡的秒数")
@click.option("--user", default=None, help="登录用户：读卡记入审计（访问个人信息）")
@pass_env
def card_read(env: Env, folder: Path | None, kind: str | None, port: str, timeout: float, user: str | None) -> None:
    """Read one card → the same JSON as `card parse`. With --user the read is audited as an access."""
    from registry_app.devices.errors import CardError
    from registry_app.devices.readers import open_reader

    with handled():
        if folder is not None and kind is not None:
            raise CardError("CARD_NO_READER", "--simulated 与 --kind 只能选一个")
        if folder is None and kind is None:
            from registry_app.devices.config import load_setting

            reader = load_setting().open()    # this PC's reader (registry card setup)
        else:
            reader = open_reader("simulated" if folder is not None else kind, port, folder)
        try:
            got = reader.read_card(timeout=timeout)
        finally:
            reader.close()
        if user:
            from registry_app.services.card_access import record_card_read

            record_card_read(env.context(user=user), got, reader.kind, "command line")
        emit(got.to_dict())


@card.command("setup")
@click.option("--kind", type=click.Choice(["sdtapi", "termb", "serial", "simulated"]), required=True)
@click.option("--port", default="", help="sdtapi/termb：端口号（USB从1001起）；serial：COM3、/dev/ttyUSB0等")
@click.option("--folder", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="simulated：证件文件（*.card）所在文件夹")
def card_setup(kind: str, port: str, folder: Path | None) -> None:
    """Set this PC's reader (a machine setting in the client's data folder; the 读卡 button uses it)."""
    from registry_app.devices.config import ReaderSetting, save_setting
    from registry_app.devices.errors import CardError

    with handled():
        if kind == "simulated" and folder is None:
            raise CardError("CARD_NO_READER", "模拟读卡需要 --folder 证件文件夹")
        setting = ReaderSetting(kind, port, str(folder.resolve()) if folder else "")
        emit({"saved": str(save_setting(setting)), "kind": kind, "port": port, "folder": setting.folder})


@card.command("samples")
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
@click.option("--count", type=int, default=4, help="张数（男女交替，至多100）")
def card_samples(folder: Path, count: int) -> None:
    """Write made-up training cards for the simulated reader into FOLDER (01.card, 02.card, …)."""
    from registry_app.devices.samples import write_samples

    with handled():
        emit({"folder": str(folder), "cards": [p.name for p in write_samples(folder, count)]})


COMMANDS = [card]
