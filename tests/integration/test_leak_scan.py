"""Nothing personal on disk in clear: a day at the counter is played in a process of its own — setup,
registration with a photo and a blank, the certificate rendered (to memory, as the client prints), a search,
a divorce application, an archive import, the end-of-day export, the backup, the health check — with its
data directory, outbox, backup folder and temporary directory all inside one folder. Then every file in that
folder is searched for each person's name (UTF-8, UTF-16, GB18030), ID number and phone number.

The clerk's own input file (the archive CSV) is kept outside the scanned folder: it is theirs, not ours.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

from tests.factories import person

ROOT = Path(__file__).resolve().parents[2]

DAY_SCRIPT = r"""
import datetime as dt, json, sys
from pathlib import Path
from registry_app.clock import FixedClock
from registry_app.domain.roles import Role
from registry_app.services.accounts import Accounts
from registry_app.services.archive_import import ArchiveImport
from registry_app.services.backup import Backups
from registry_app.services.certificate_print import CertificatePrinting
from registry_app.services.context import AppContext
from registry_app.services.divorce import DivorceService
from registry_app.services.health import DatabaseHealth
from registry_app.services.marriage import MarriageCase, MarriageService
from registry_app.services.office_setup import OfficeSetup, initialise
from registry_app.services.search import RecordSearch
from registry_app.services.stock import BlankStock
from registry_app.sync.keys import province_keygen
from registry_app.sync.service import SyncService
from tests.factories import jpeg_photo

scan, outside, people = Path(sys.argv[1]), Path(sys.argv[2]), json.loads(sys.argv[3])
data = scan / "data"
# A training database on a fixed day: the scenario's deadlines must not depend on the day the test runs.
clock = FixedClock(dt.date(2026, 6, 15))
db = initialise(OfficeSetup("320102", "南京市玄武区民政局婚姻登记处", "day passphrase 0123", "admin", "王管理",
                            "Root-pass-2026", training=True), data / "registry.db", clock)
base = AppContext(db=db, clock=clock)
with db.write() as s:
    for user, role in (("clerk", Role.CLERK), ("head", Role.SUPERVISOR)):
        Accounts(base).create_user(s, user, user, role, "Desk-pass-2026", must_change=False)
login = lambda name, pw="Desk-pass-2026": base.as_user(Accounts(base).login(name, pw))
clerk, head, admin = login("clerk"), login("head"), login("admin", "Root-pass-2026")

BlankStock(head).receive("marriage", "Z0000001", "Z0000010")
man, woman = people["man"], people["woman"]
case = MarriageCase.from_dict({"party1": man, "party2": woman, "blank_serial": "Z0000001",
                               "declarations": {"free_will": True, "no_prohibited_kinship": True,
                                                "no_spouse": True, "signed": True}})
case.photo = jpeg_photo()
rec = MarriageService(clerk).register_case(case)
pdf = CertificatePrinting(clerk).render(rec.record_id)           # to memory, as the client prints
assert pdf.startswith(b"%PDF")
RecordSearch(clerk).search(man["name"])
RecordSearch(clerk).search(man["id_number"])
DivorceService(clerk).apply({
    "party1": {k: man[k] for k in ("name", "sex", "birth_date", "id_type", "id_number", "nationality", "ethnicity")},
    "party2": {k: woman[k] for k in ("name", "sex", "birth_date", "id_type", "id_number", "nationality", "ethnicity")},
    "marriage": {"record_id": rec.record_id}, "certificates": {"party1": "present", "party2": "present"},
    "capacity": {"party1": True, "party2": True},
    "agreement": {"will_to_divorce": True, "has_children": False, "children": [],
                  "property": [{"item": "存款", "to": "party1"}], "debts": [],
                  "signed_text": "双方自愿离婚，财产已分割。"}})
csv = outside / "archive.csv"
csv.write_text("record_type,registration_date,certificate_no,party1_name,party1_sex,party1_birth_date,"
               "party1_id_number,party2_name,party2_sex,party2_birth_date,party2_id_number,archive_no,office_name,remarks\n"
               f"marriage,1988-05-20,,{people['archived1']},M,1960-01-01,,{people['archived2']},F,1962-02-02,,1988-J-0099,,\n",
               encoding="utf-8")
report = ArchiveImport(clerk).run(csv)
assert report.imported == 1 and report.report_path is None, report
keys = province_keygen(outside / "province")
SyncService(admin).set_province_key(keys.public)
SyncService(clerk).export(clerk.clock.today(), scan / "outbox")
(scan / "backups").mkdir()
Backups(admin).configure(str(scan / "backups"), 7)
Backups(admin).backup_now()
assert DatabaseHealth(head).run(outbox=scan / "outbox").ok
db.close()
print("day done")
"""


def needles(people: dict) -> dict[str, list[bytes]]:
    out = {}
    for key in ("man", "woman"):
        p = people[key]
        out[p["name"]] = [p["name"].encode(enc) for enc in ("utf-8", "utf-16-le", "gb18030")]
        out[p["id_number"]] = [p["id_number"].encode("ascii"), p["id_number"].encode("utf-16-le")]
        out[p["phone"]] = [p["phone"].encode("ascii"), p["phone"].encode("utf-16-le")]
    for key in ("archived1", "archived2"):
        out[people[key]] = [people[key].encode(enc) for enc in ("utf-8", "utf-16-le", "gb18030")]
    return out


def test_no_file_written_in_a_day_holds_personal_data_in_clear(tmp_path):
    people = {"man": person("欧阳泄漏", "M", dt.date(1991, 4, 5), phone="13912345678"),
              "woman": person("司马明文", "F", dt.date(1993, 8, 9), phone="13787654321"),
              "archived1": "诸葛旧档", "archived2": "上官纸本"}
    scan, outside = tmp_path / "scan", tmp_path / "outside"
    (scan / "tmp").mkdir(parents=True)
    outside.mkdir()
    env = {**os.environ, "TMPDIR": str(scan / "tmp"), "HOME": str(scan / "home"),
           "REGISTRY_DATA_DIR": str(scan / "data")}
    proc = subprocess.run([sys.executable, "-c", DAY_SCRIPT, str(scan), str(outside), json.dumps(people)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0 and "day done" in proc.stdout, proc.stderr[-3000:]

    files = [p for p in scan.rglob("*") if p.is_file()]
    kinds = {p.relative_to(scan).parts[0] for p in files}
    assert {"data", "outbox", "backups"} <= kinds, kinds  # the scan saw the day's files
    leaks = []
    for path in files:
        content = path.read_bytes()
        for what, forms in needles(people).items():
            if any(form in content for form in forms):
                leaks.append((str(path.relative_to(scan)), what))
    assert not leaks, leaks
    # the same search does find names where they are in clear: the clerk's own input file
    archive = (outside / "archive.csv").read_bytes()
    assert any(form in archive for form in needles(people)[people["archived1"]])
