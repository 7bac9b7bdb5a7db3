"""Training cards for the simulated reader: a folder of *.card files (the 256-byte block as a reader
returns it, and a WLT-sized photo of zeros), made-up people with valid check characters, one man and
one woman in turn so two reads fill a marriage form. Nothing here is a real person."""
from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from registry_app.demo.names import FEMALE_GIVEN, MALE_GIVEN, SURNAMES
from registry_app.devices.card import PHOTO_BYTES, build_text_block
from registry_app.domain.gb11643 import check_character
from registry_app.fsutil import write_atomic

REGION = "320102"   # 南京市玄武区
ADDRESSES = ("江苏省南京市玄武区中山路100号", "江苏省南京市玄武区北京东路41号", "江苏省南京市鼓楼区北京西路8号",
             "江苏省南京市秦淮区太平南路22号")


def write_samples(folder: Path, count: int = 4, today: dt.date | None = None, seed: int = 520) -> list[Path]:
    """Write `count` cards (at most 100) into `folder`; returns their paths in reading order."""
    today = today or dt.date.today()
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(max(1, min(count, 100))):
        male = i % 2 == 0
        birth = dt.date(today.year - rng.randint(23, 40), rng.randint(1, 12), rng.randint(1, 28))
        sex_digit = rng.randrange(0, 5) * 2 + (1 if male else 0)   # the 17th digit: odd for a man
        first17 = f"{REGION}{birth:%Y%m%d}{rng.randint(0, 99):02d}{sex_digit}"
        issued = dt.date(today.year - rng.randint(1, 9), birth.month, birth.day)
        surname = SURNAMES[rng.randrange(len(SURNAMES))][0]
        given = rng.choice(MALE_GIVEN if male else FEMALE_GIVEN)
        block = build_text_block({
            "name": surname + given, "sex": "1" if male else "2", "ethnicity": "01", "birth": f"{birth:%Y%m%d}",
            "address": rng.choice(ADDRESSES), "id_number": first17 + check_character(first17),
            "authority": "南京市公安局玄武分局", "valid_from": f"{issued:%Y%m%d}",
            "valid_to": f"{issued.replace(year=issued.year + 20):%Y%m%d}"})
        path = folder / f"{i + 1:02d}.card"
        write_atomic(path, block + bytes(PHOTO_BYTES))
        paths.append(path)
    return paths
