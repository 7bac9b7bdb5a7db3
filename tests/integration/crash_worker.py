"""A counter that keeps working until it is killed: the other half of test_crash_suite.py.

    python -m tests.integration.crash_worker DB PASSPHRASE PASSWORD MODE SEED WORKDIR

MODE is `register` (marriages, one after another), `export` (a marriage, then the end-of-day export, again and
again) or `import` (archive files of 40 rows). It prints "ready" once logged in, so the parent's kill falls
inside the work, not in Python's start-up, then loops until SIGKILL.
"""
from __future__ import annotations

import datetime as dt
import random
import sys
import uuid
from pathlib import Path

from registry_app.errors import RegistryError
from registry_app.services.accounts import Accounts
from registry_app.services.archive_import import ArchiveImport
from registry_app.services.context import AppContext
from registry_app.services.marriage import MarriageCase, MarriageService
from registry_app.storage.engine import open_database, sqlcipher_url
from registry_app.sync.service import SyncService
from tests.factories import marriage_case

CSV_HEADER = ("record_type,registration_date,certificate_no,party1_name,party1_sex,party1_birth_date,"
              "party1_id_number,party2_name,party2_sex,party2_birth_date,party2_id_number,archive_no,"
              "office_name,remarks\n")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英"


def resident_id(rng: random.Random, birth: dt.date, sex: str) -> str:
    from registry_app.domain.ids import check_character

    seq = rng.randrange(0, 500) * 2 + (1 if sex == "M" else 0)
    first17 = f"320102{birth:%Y%m%d}{seq:03d}"
    return first17 + check_character(first17)


def person(rng: random.Random, sex: str) -> dict:
    birth = dt.date(rng.randint(1960, 1999), rng.randint(1, 12), rng.randint(1, 28))
    return {"name": rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN), "sex": sex,
            "birth_date": birth.isoformat(), "id_type": "resident_id", "id_number": resident_id(rng, birth, sex),
            "nationality": "中国", "ethnicity": "汉族", "prior_status": "unmarried"}


def register(ctx: AppContext, rng: random.Random) -> None:
    case = marriage_case(person(rng, "M"), person(rng, "F"))
    try:
        MarriageService(ctx).register_case(MarriageCase.from_dict(case))
    except RegistryError:
        pass  # a drawn person already married: the law's answer, not a crash


def archive_file(rng: random.Random, workdir: Path) -> Path:
    lines = [CSV_HEADER]
    tag = uuid.UUID(int=rng.getrandbits(128)).hex[:10]
    for i in range(40):
        year = rng.randint(1960, 1999)
        lines.append(f"marriage,{year}-05-20,,{rng.choice(SURNAMES)}某{i},M,,,{rng.choice(SURNAMES)}某{i},F,,,"
                     f"A-{tag}-{i},,\n")
    path = workdir / f"archive-{tag}.csv"
    path.write_text("".join(lines), encoding="utf-8")
    return path


def main() -> None:
    db_path, passphrase, password, mode, seed, workdir = sys.argv[1:7]
    rng = random.Random(int(seed))
    workdir_path = Path(workdir)
    db = open_database(sqlcipher_url(db_path, passphrase))
    ctx = AppContext(db=db)
    ctx.user = Accounts(ctx).login("clerk", password)
    print("ready", flush=True)
    while True:
        if mode == "register":
            register(ctx, rng)
        elif mode == "export":
            register(ctx, rng)
            SyncService(ctx).export(ctx.clock.today(), workdir_path / "outbox")
        elif mode == "import":
            ArchiveImport(ctx).run(archive_file(rng, workdir_path), report_path=workdir_path / "refused.csv")
        else:
            raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
