"""Frames of the ID card reader's serial-line protocol (the SAM module's, GA 467):

  preamble AA AA AA 96 69 | length (2 bytes, big-endian: the bytes after it) | body | XOR checksum
  command body:  command, parameter, data          (find 20 01, select 20 02, read 30 01)
  answer body:   SW1 SW2 SW3, data                 (SW3 90 success; 9F "card found" for 20 01)

The checksum is the XOR of the length bytes and the body. The read answer's data is: text length (2),
photo length (2), the 256-byte text block, the 1024-byte WLT photo.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from registry_app.devices.errors import CardError

PREAMBLE = bytes.fromhex("AAAAAA9669")
FIND = (0x20, 0x01)
SELECT = (0x20, 0x02)
READ = (0x30, 0x01)
SUCCESS = 0x90
FOUND = 0x9F
MAX_LENGTH = 4096   # the longest answer (text, photo and fingerprint) is under 3 KB


def checksum(data: bytes) -> int:
    x = 0
    for b in data:
        x ^= b
    return x


def encode(body: bytes) -> bytes:
    length = (len(body) + 1).to_bytes(2, "big")
    return PREAMBLE + length + body + bytes([checksum(length + body)])


def command(cmd: tuple[int, int], data: bytes = b"") -> bytes:
    return encode(bytes(cmd) + data)


def answer(status: int, data: bytes = b"") -> bytes:
    return encode(bytes([0, 0, status]) + data)


@dataclass(frozen=True)
class Answer:
    status: int
    data: bytes


def _bad(message: str) -> CardError:
    return CardError("CARD_FRAME_INVALID", f"读卡器应答无法识读：{message}，请重新放卡再读")


def read_frame(read: Callable[[int], bytes], max_skip: int = 64) -> bytes:
    """The body of the next frame from `read(n)` (which returns at most n bytes, b"" on timeout).
    Skips at most `max_skip` stray bytes before the preamble; every problem is CARD_FRAME_INVALID or
    CARD_TIMEOUT, never an exception of another kind."""
    window = b""
    skipped = 0
    while window != PREAMBLE:
        b = read(1)
        if not b:
            raise CardError("CARD_TIMEOUT", "读卡器无应答，请检查连接后重试")
        window = (window + b)[-len(PREAMBLE):]
        if len(window) == len(PREAMBLE) and window != PREAMBLE:
            skipped += 1
            if skipped > max_skip:
                raise _bad("找不到帧头")
    head = _exact(read, 2)
    length = int.from_bytes(head, "big")
    if not 2 <= length <= MAX_LENGTH:
        raise _bad(f"长度{length}不合理")
    rest = _exact(read, length)
    body, chk = rest[:-1], rest[-1]
    if checksum(head + body) != chk:
        raise _bad("校验和不符")
    return body


def _exact(read: Callable[[int], bytes], n: int) -> bytes:
    out = b""
    while len(out) < n:
        chunk = read(n - len(out))
        if not chunk:
            raise CardError("CARD_TIMEOUT", "读卡器应答不完整，请检查连接后重试")
        out += chunk
    return out


def parse_answer(body: bytes) -> Answer:
    if len(body) < 3:
        raise _bad("应答过短")
    return Answer(body[2], body[3:])


def parse_command(body: bytes) -> tuple[tuple[int, int], bytes]:
    """For the simulated device: (command, parameter), data."""
    if len(body) < 2:
        raise _bad("命令过短")
    return (body[0], body[1]), body[2:]


def split_read_data(data: bytes) -> tuple[bytes, bytes]:
    """The read answer's data → (256-byte text, WLT photo)."""
    if len(data) < 4:
        raise _bad("读卡应答缺少长度")
    text_len = int.from_bytes(data[0:2], "big")
    photo_len = int.from_bytes(data[2:4], "big")
    if len(data) < 4 + text_len + photo_len:
        raise _bad("读卡应答长度不符")
    return data[4:4 + text_len], data[4 + text_len:4 + text_len + photo_len]
