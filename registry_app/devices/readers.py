"""The reader interface and its implementations: the vendors' `sdtapi` and `termb` libraries (ctypes,
loaded only where installed), the serial-line protocol (pyserial) and a simulated reader (a folder of
card files, for training and tests).

`read_card()` blocks until a card is read or the timeout passes; the UI calls it off the GUI thread.
Nothing here logs or keeps a card's contents."""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
import time
from pathlib import Path
from typing import Protocol

from registry_app.devices import frames
from registry_app.devices.card import (
    PHOTO_BYTES,
    TEXT_BYTES,
    CardData,
    parse_text_block,
)
from registry_app.devices.errors import CardError

DEFAULT_TIMEOUT = 8.0   # seconds a clerk waits with the card on the reader
POLL = 0.25


class CardReader(Protocol):
    kind: str

    def read_card(self, timeout: float = DEFAULT_TIMEOUT) -> CardData: ...

    def close(self) -> None: ...


def _not_found() -> CardError:
    return CardError("CARD_NOT_FOUND", "读卡器上没有身份证：请把证件平放在读卡器上再读")


class SerialReader:
    """The SAM module's own protocol on a serial line (or a USB-serial adapter): find 20 01, select
    20 02, read 30 01. 115200 baud is the modules' default; some are set to 9600."""

    kind = "serial"

    def __init__(self, port: str, baudrate: int = 115200):
        self.port_name = port
        self.baudrate = baudrate
        self._port = None

    def _open(self):
        if self._port is None:
            import serial  # pyserial: imported here so the core loads without it

            try:
                self._port = serial.Serial(self.port_name, self.baudrate, timeout=0.5, write_timeout=2)
            except (serial.SerialException, OSError, ValueError) as exc:
                raise CardError("CARD_NO_READER", f"无法打开读卡器端口{self.port_name}：{exc}") from None
        return self._port

    def _ask(self, cmd: tuple[int, int]) -> frames.Answer:
        import serial

        port = self._open()
        try:
            port.reset_input_buffer()
            port.write(frames.command(cmd))
            return frames.parse_answer(frames.read_frame(port.read))
        except serial.SerialException as exc:
            self.close()
            raise CardError("CARD_NO_READER", f"读卡器连接中断：{exc}") from None

    def read_card(self, timeout: float = DEFAULT_TIMEOUT) -> CardData:
        deadline = time.monotonic() + timeout
        while True:
            found = self._ask(frames.FIND)
            if found.status in (frames.FOUND, frames.SUCCESS):
                break
            if time.monotonic() >= deadline:
                raise _not_found()
            time.sleep(POLL)
        selected = self._ask(frames.SELECT)
        if selected.status != frames.SUCCESS:
            raise CardError("CARD_SELECT_FAILED", f"选卡失败（状态{selected.status:02X}），请重新放卡")
        got = self._ask(frames.READ)
        if got.status != frames.SUCCESS:
            raise CardError("CARD_READ_FAILED", f"读卡失败（状态{got.status:02X}），请重新放卡")
        text, photo = frames.split_read_data(got.data)
        return parse_text_block(text, photo)

    def close(self) -> None:
        if self._port is not None:
            try:
                self._port.close()
            finally:
                self._port = None


def _load(names: tuple[str, ...]):
    """The first vendor library found, or None. Windows DLLs use stdcall."""
    loader = ctypes.WinDLL if sys.platform == "win32" else ctypes.CDLL   # type: ignore[attr-defined]
    for name in names:
        path = ctypes.util.find_library(name) or (name if os.path.exists(name) else None)
        for candidate in filter(None, (path, f"lib{name}.so", f"{name}.dll")):
            try:
                return loader(candidate)
            except OSError:
                continue
    return None


class SdtapiReader:
    """The vendors' common SDK: SDT_OpenPort → SDT_StartFindIDCard → SDT_SelectIDCard → SDT_ReadBaseMsg.
    Ports: 1001–1016 USB, 1–16 serial. Success codes: 0x90, 0x9F for finding the card."""

    kind = "sdtapi"

    def __init__(self, port: int = 1001, library=None):
        self.port = port
        self.lib = library or _load(("sdtapi", "Sdtapi"))
        if self.lib is None:
            raise CardError("CARD_SDK_MISSING", "未安装读卡器厂商的sdtapi驱动库，请按说明安装或改用串口方式")
        self._open = False

    def read_card(self, timeout: float = DEFAULT_TIMEOUT) -> CardData:
        lib, port = self.lib, ctypes.c_int(self.port)
        if not self._open:
            if lib.SDT_OpenPort(port) != frames.SUCCESS:
                raise CardError("CARD_NO_READER", f"无法打开读卡器端口{self.port}，请检查连接")
            self._open = True
        manage = ctypes.create_string_buffer(8)
        deadline = time.monotonic() + timeout
        while lib.SDT_StartFindIDCard(port, manage, ctypes.c_int(0)) != frames.FOUND:
            if time.monotonic() >= deadline:
                raise _not_found()
            time.sleep(POLL)
        if lib.SDT_SelectIDCard(port, manage, ctypes.c_int(0)) != frames.SUCCESS:
            raise CardError("CARD_SELECT_FAILED", "选卡失败，请重新放卡")
        text = ctypes.create_string_buffer(TEXT_BYTES + 16)
        photo = ctypes.create_string_buffer(PHOTO_BYTES + 16)
        text_len, photo_len = ctypes.c_uint(0), ctypes.c_uint(0)
        status = lib.SDT_ReadBaseMsg(port, text, ctypes.byref(text_len), photo, ctypes.byref(photo_len),
                                     ctypes.c_int(0))
        if status != frames.SUCCESS:
            raise CardError("CARD_READ_FAILED", f"读卡失败（状态{status:02X}），请重新放卡")
        return parse_text_block(text.raw[:min(text_len.value, TEXT_BYTES)],
                                photo.raw[:min(photo_len.value, PHOTO_BYTES)])

    def close(self) -> None:
        if self._open:
            self.lib.SDT_ClosePort(ctypes.c_int(self.port))
            self._open = False


class TermbReader:
    """The termb library (InitComm → Authenticate → Read_Content; CVR_-prefixed in some builds): it
    writes the same 256-byte block to wz.txt and the photo to xp.wlt in its working folder."""

    kind = "termb"

    def __init__(self, port: int = 1001, workdir: Path | None = None, library=None):
        self.port = port
        self.workdir = Path(workdir or os.getcwd())
        self.lib = library or _load(("termb", "Termb"))
        if self.lib is None:
            raise CardError("CARD_SDK_MISSING", "未安装读卡器厂商的termb驱动库，请按说明安装或改用串口方式")
        self._open = False

    def _fn(self, name: str):
        fn = getattr(self.lib, name, None) or getattr(self.lib, f"CVR_{name}", None)
        if fn is None:
            raise CardError("CARD_SDK_MISSING", f"termb驱动库缺少{name}函数，版本不符")
        return fn

    def read_card(self, timeout: float = DEFAULT_TIMEOUT) -> CardData:
        if not self._open:
            if self._fn("InitComm")(ctypes.c_int(self.port)) != 1:
                raise CardError("CARD_NO_READER", f"无法打开读卡器端口{self.port}，请检查连接")
            self._open = True
        deadline = time.monotonic() + timeout
        while self._fn("Authenticate")() != 1:
            if time.monotonic() >= deadline:
                raise _not_found()
            time.sleep(POLL)
        if self._fn("Read_Content")(ctypes.c_int(1)) != 1:
            raise CardError("CARD_READ_FAILED", "读卡失败，请重新放卡")
        try:
            text = (self.workdir / "wz.txt").read_bytes()
            photo_path = self.workdir / "xp.wlt"
            photo = photo_path.read_bytes() if photo_path.exists() else b""
        except OSError as exc:
            raise CardError("CARD_READ_FAILED", f"读不到驱动写出的证件信息：{exc.strerror or exc}") from None
        finally:
            for leftover in ("wz.txt", "xp.wlt", "zp.bmp"):   # the card's data is not left on disk
                try:
                    (self.workdir / leftover).unlink()
                except OSError:
                    pass
        return parse_text_block(text[:TEXT_BYTES], photo[:PHOTO_BYTES])

    def close(self) -> None:
        if self._open:
            self._fn("CloseComm")()
            self._open = False


class SimulatedReader:
    """A folder of card files (*.card: the 256-byte block, optionally followed by the 1024-byte photo),
    read in name order, one per read, starting again after the last: training and tests."""

    kind = "simulated"

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self._next = 0

    def cards(self) -> list[Path]:
        try:
            return sorted(p for p in self.folder.iterdir() if p.suffix == ".card" and p.is_file())
        except OSError:
            return []

    def read_card(self, timeout: float = DEFAULT_TIMEOUT, name: str | None = None) -> CardData:
        cards = self.cards()
        if name is not None:
            cards = [p for p in cards if p.stem == name or p.name == name]
        if not cards:
            raise CardError("CARD_SIMULATED_EMPTY", f"模拟读卡文件夹中没有证件文件（*.card）：{self.folder.name}")
        path = cards[self._next % len(cards)]
        self._next += 1
        data = path.read_bytes()[:TEXT_BYTES + PHOTO_BYTES]
        return parse_text_block(data[:TEXT_BYTES], data[TEXT_BYTES:])

    def close(self) -> None:
        pass


def open_reader(kind: str, port: str = "", folder: Path | None = None) -> CardReader:
    """The configured reader: kind sdtapi|termb (port number, default 1001), serial (a port name such as
    COM3 or /dev/ttyUSB0) or simulated (a folder)."""
    if kind == "simulated":
        if folder is None:
            raise CardError("CARD_NO_READER", "模拟读卡需要指定证件文件夹")
        return SimulatedReader(folder)
    if kind == "serial":
        if not port:
            raise CardError("CARD_NO_READER", "串口读卡器需要指定端口（如COM3）")
        return SerialReader(port)
    if kind in ("sdtapi", "termb"):
        try:
            number = int(port or 1001)
        except ValueError:
            raise CardError("CARD_NO_READER", f"端口应为数字（USB从1001起）：{port}") from None
        return SdtapiReader(number) if kind == "sdtapi" else TermbReader(number)
    raise CardError("CARD_NO_READER", f"未知的读卡器类型：{kind}")
