"""Test data: valid resident ID numbers for a chosen birth date and sex, and marriage cases."""
from __future__ import annotations

import datetime as dt
import itertools

from registry_app.domain.ids import check_character

_seq = itertools.count(11)


def id_number(birth: dt.date, sex: str, region: str = "320102") -> str:
    """A valid number whose check character is a digit, so that any 4-digit tail is searchable
    (numbers ending in X are covered by the ID tests themselves)."""
    while True:
        n = next(_seq) % 500
        seq = (n * 2 + (1 if sex == "M" else 0)) % 1000
        first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
        check = check_character(first17)
        if check != "X":
            return first17 + check


def person(name: str, sex: str, birth: dt.date, **extra) -> dict:
    return {"name": name, "sex": sex, "birth_date": birth.isoformat(), "id_type": "resident_id",
            "id_number": id_number(birth, sex), "nationality": "中国", "ethnicity": "汉族",
            "prior_status": "unmarried", **extra}


def marriage_case(man: dict | None = None, woman: dict | None = None, **extra) -> dict:
    return {
        "party1": man or person("张伟", "M", dt.date(1995, 3, 8)),
        "party2": woman or person("李娜", "F", dt.date(1997, 11, 20)),
        "declarations": {"free_will": True, "no_prohibited_kinship": True, "no_spouse": True, "signed": True},
        **extra,
    }


def jpeg_photo(width: int = 40, height: int = 30) -> bytes:
    """A small real JPEG: the services store only photos that decode (services.documents.check_photo)."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (width, height), (200, 180, 160)).save(buf, "JPEG")
    return buf.getvalue()
