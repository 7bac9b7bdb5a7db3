"""The ID card reader: the 256-byte text block (built here field by field, as the SDK returns it), the
serial protocol against a simulated device on a pty speaking real frames, garbage never a traceback."""
from __future__ import annotations

import datetime as dt
import os
import select
import threading
import tty

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry_app.devices import frames
from registry_app.devices.card import parse_text_block
from registry_app.devices.errors import CardError
from registry_app.devices.readers import SerialReader, SimulatedReader
from registry_app.domain.id_types import IdType, Sex

WIDTHS = (30, 2, 4, 16, 70, 36, 30, 16, 16, 36)   # bytes: name … valid to, reserved


def block(*texts: str, kind: str = "", widths=WIDTHS) -> bytes:
    out = b""
    for text, width in zip(texts, widths, strict=False):
        raw = text.encode("utf-16-le")
        assert len(raw) <= width
        out += raw + b" \x00" * ((width - len(raw)) // 2)
    out += b" \x00" * ((256 - len(out)) // 2)
    if kind:
        out = out[:248] + kind.encode("utf-16-le") + out[250:]
    return out


ZHANG = ("张三", "1", "01", "19900307", "江苏省南京市玄武区北京东路41号", "32010219900307001X", "南京市公安局玄武分局",
         "20150601", "20350601")


def test_resident_card_fields():
    card = parse_text_block(block(*ZHANG), b"\x01" * 1024)
    assert card.to_dict() == {
        "name": "张三", "sex": "M", "ethnicity": "汉族", "birth_date": "1990-03-07",
        "address": "江苏省南京市玄武区北京东路41号", "id_number": "32010219900307001X", "document": "resident_id",
        "authority": "南京市公安局玄武分局", "valid_from": "2015-06-01", "valid_to": "2035-06-01",
        "english_name": "", "nationality": "", "photo_bytes": 1024}
    assert card.photo_wlt == b"\x01" * 1024
    assert not card.expired(dt.date(2035, 6, 1)) and card.expired(dt.date(2035, 6, 2))


@pytest.mark.parametrize("code, name", [("02", "蒙古族"), ("10", "朝鲜族"), ("56", "基诺族"), ("97", "其他"),
                                        ("98", "外国血统中国籍人士")])
def test_ethnicity_codes_gb3304(code, name):
    assert parse_text_block(block(*ZHANG[:2], code, *ZHANG[3:])).ethnicity == name


def test_long_term_validity_and_female():
    card = parse_text_block(block("李四", "2", "03", *ZHANG[3:8], "长期"))
    assert card.sex is Sex.FEMALE and card.ethnicity == "回族" and card.valid_to is None
    assert card.to_dict()["valid_to"] == "长期" and not card.expired(dt.date(2099, 1, 1))


def test_full_width_address_is_not_cut():
    address = "新疆维吾尔自治区伊犁哈萨克自治州霍城县清水河镇江阴路一巷二十号二单元室"   # 35 characters = 70 bytes
    assert len(address) == 35
    assert parse_text_block(block(*ZHANG[:4], address, *ZHANG[5:])).address == address


def test_hmt_residence_permit():
    card = parse_text_block(block("陈大文", "1", "", "19850101", "广东省深圳市福田区", "81000019850101001X", "深圳市公安局",
                                  "20200101", "20250101", kind="J"))
    assert card.document is IdType.HMT_RESIDENCE_PERMIT and card.ethnicity == ""


def test_foreign_permanent_residence_card():
    foreign = block("SMITH JOHN", "1", "USA110085010101", "USA", "约翰", "20170101", "20270101", "19850101",
                    "02", "1500", kind="I", widths=(120, 2, 30, 6, 30, 16, 16, 16, 4, 8))
    card = parse_text_block(foreign)
    assert (card.document, card.name, card.english_name, card.nationality, card.birth_date) == (
        IdType.FOREIGN_PR, "约翰", "SMITH JOHN", "USA", dt.date(1985, 1, 1))


@pytest.mark.parametrize("texts, field", [
    (("张三", "3", *ZHANG[2:]), "sex"),
    (("张三", "1", "57", *ZHANG[3:]), "ethnicity"),
    (("张三", "1", "汉", *ZHANG[3:]), "ethnicity"),
    ((*ZHANG[:3], "19900230", *ZHANG[4:]), "birth"),
    ((*ZHANG[:8], "2035"), "valid_to"),
    ((*ZHANG[:5], "", *ZHANG[6:]), "id_number"),
    (("", *ZHANG[1:]), "name"),
])
def test_bad_fields_are_refused_by_name(texts, field):
    with pytest.raises(CardError) as info:
        parse_text_block(block(*texts))
    assert info.value.code == "CARD_FIELD_INVALID" and info.value.field == field


def test_wrong_length_and_broken_text():
    with pytest.raises(CardError, match="256") as info:
        parse_text_block(block(*ZHANG)[:255])
    assert info.value.code == "CARD_BLOCK_LENGTH"
    broken = b"\x00\xd8" + block(*ZHANG)[2:]    # a lone surrogate in the name
    with pytest.raises(CardError) as info:
        parse_text_block(broken)
    assert (info.value.code, info.value.field) == ("CARD_TEXT_INVALID", "name")


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=0, max_size=300))
def test_any_bytes_are_a_card_or_a_coded_error(data):
    try:
        parse_text_block(data)
    except CardError as exc:
        assert exc.code.startswith("CARD_")


# --- frames ---------------------------------------------------------------------------------------

def test_command_frames_are_the_documented_bytes():
    assert frames.command(frames.FIND).hex(" ").upper() == "AA AA AA 96 69 00 03 20 01 22"
    assert frames.command(frames.SELECT).hex(" ").upper() == "AA AA AA 96 69 00 03 20 02 21"
    assert frames.command(frames.READ).hex(" ").upper() == "AA AA AA 96 69 00 03 30 01 32"


def test_recorded_answer_frame():
    recorded = bytes.fromhex("AAAAAA9669000800009F0000000097")   # a module's "card found"
    body = frames.read_frame(_reader(recorded))
    assert frames.parse_answer(body).status == frames.FOUND


def _reader(data: bytes):
    pos = [0]

    def read(n: int) -> bytes:
        out = data[pos[0]:pos[0] + n]
        pos[0] += len(out)
        return out
    return read


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=200), st.booleans())
def test_garbage_frames_are_coded(noise, with_preamble):
    data = (frames.PREAMBLE + noise) if with_preamble else noise
    try:
        body = frames.read_frame(_reader(data))
        frames.parse_answer(body)
    except CardError as exc:
        assert exc.code in ("CARD_FRAME_INVALID", "CARD_TIMEOUT")


def test_one_flipped_bit_is_caught():
    frame = bytearray(frames.answer(frames.SUCCESS, b"\x01\x02\x03"))
    frame[9] ^= 0x10
    with pytest.raises(CardError) as info:
        frames.read_frame(_reader(bytes(frame)))
    assert info.value.code == "CARD_FRAME_INVALID"


# --- a simulated device on a pty ------------------------------------------------------------------

class Device(threading.Thread):
    """Answers real frames on the master side of a pty: no card for `empty_finds` finds, then the card;
    `corrupt` sends the read answer with a bad checksum."""

    def __init__(self, fd: int, text: bytes, empty_finds: int = 0, corrupt: bool = False):
        super().__init__(daemon=True)
        self.fd, self.text, self.empty_finds, self.corrupt = fd, text, empty_finds, corrupt
        self.commands: list[tuple[int, int]] = []
        self.stop = threading.Event()

    def read(self, n: int) -> bytes:
        while not self.stop.is_set():
            ready, _, _ = select.select([self.fd], [], [], 0.05)
            if ready:
                try:
                    return os.read(self.fd, n)
                except OSError:
                    return b""
        return b""

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                cmd, _ = frames.parse_command(frames.read_frame(self.read, max_skip=10_000))
            except CardError:
                return
            self.commands.append(cmd)
            if cmd == frames.FIND:
                reply = frames.answer(0x80) if self.empty_finds else frames.answer(frames.FOUND, bytes(4))
                self.empty_finds = max(0, self.empty_finds - 1)
            elif cmd == frames.SELECT:
                reply = frames.answer(frames.SUCCESS, bytes(8))
            elif cmd == frames.READ:
                reply = frames.answer(frames.SUCCESS, (256).to_bytes(2, "big") + (1024).to_bytes(2, "big")
                                      + self.text + bytes(range(256)) * 4)
                if self.corrupt:
                    reply = reply[:-1] + bytes([reply[-1] ^ 0xFF])
            else:
                reply = frames.answer(0x21)
            os.write(self.fd, reply)


@pytest.fixture
def pty_pair():
    master, slave = os.openpty()
    tty.setraw(slave)
    yield master, os.ttyname(slave)
    os.close(master)
    os.close(slave)


def _run(pty_pair, **kw):
    master, name = pty_pair
    device = Device(master, block(*ZHANG), **kw)
    device.start()
    reader = SerialReader(name)
    try:
        return reader.read_card(timeout=5), device
    finally:
        reader.close()
        device.stop.set()
        device.join(2)


def test_serial_reader_reads_a_card_through_real_frames(pty_pair):
    card, device = _run(pty_pair, empty_finds=2)
    assert card.name == "张三" and card.id_number == "32010219900307001X" and card.photo_wlt == bytes(range(256)) * 4
    assert device.commands == [frames.FIND] * 3 + [frames.SELECT, frames.READ]


def test_serial_reader_refuses_a_corrupted_answer(pty_pair):
    with pytest.raises(CardError) as info:
        _run(pty_pair, corrupt=True)
    assert info.value.code == "CARD_FRAME_INVALID"


def test_serial_reader_without_card_times_out_with_a_code(pty_pair):
    with pytest.raises(CardError) as info:
        _run(pty_pair, empty_finds=10_000)
    assert info.value.code == "CARD_NOT_FOUND"


def test_serial_reader_on_a_missing_port():
    with pytest.raises(CardError) as info:
        SerialReader("/nonexistent/ttyX").read_card(timeout=0.1)
    assert info.value.code == "CARD_NO_READER"


def test_simulated_reader_reads_cards_in_turn(tmp_path):
    (tmp_path / "1.card").write_bytes(block(*ZHANG))
    (tmp_path / "2.card").write_bytes(block("李四", "2", *ZHANG[2:]) + b"\x07" * 1024)
    reader = SimulatedReader(tmp_path)
    assert [reader.read_card().name for _ in range(3)] == ["张三", "李四", "张三"]
    with pytest.raises(CardError) as info:
        SimulatedReader(tmp_path / "none").read_card()
    assert info.value.code == "CARD_SIMULATED_EMPTY"
