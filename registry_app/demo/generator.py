"""Realistic synthetic registry data, deterministic for a seed: for demonstrations, tests and benchmarks.

What a county office's database looks like after two decades:

* marriages of couples with valid resident ID numbers (GB 11643 check characters, birth date and sex as the
  number says, address codes from a list of real county codes, ages at or above the legal minimum);
* divorces by agreement: a `divorce` record with status `issued`, linked to its marriage, which is then
  `dissolved` and whose marriage certificates are `ended_by_divorce`;
* remarriages: a divorced couple marrying again (复婚, variant `remarriage`, linked to the old marriage) and
  divorced people marrying someone new (prior status `divorced`);
* reissued certificates (补领: a `BJ`/`BL` number; the old certificate `replaced`);
* adoptions with their `SY` certificates;
* back-entered paper archives (历史数据补录): `back_entered` records from 1953 on, without ID numbers
  (`id_type` "none"), often without birth dates, some with an old free-text number.

The registrations come out in date order along one timeline (more on 5·20, Qixi and before Spring
Festival, none on non-working days), so record ids grow with time and certificate numbers run gap-free per
type and year in date order; the counters in `certificate_sequences` are set to the last number given,
so the next registration at the counter continues the numbering. Rows go straight into the tables in
chunks of multi-row INSERTs inside one transaction; the whole run is audited as one entry.
"""
from __future__ import annotations

import bisect
import datetime as dt
import heapq
import random
import time
from functools import lru_cache

from sqlalchemy import func, select, update

from registry_app.clock import CHINA_TZ
from registry_app.demo import names
from registry_app.demo.timeline import registration_days
from registry_app.demo.digest import DEMO_SETTING, content_digest, is_demo_database  # noqa: F401 (public API)
from registry_app.demo.model import DemoSummary, _Marriage, _Person
from registry_app.demo.writer import BulkWriter
from registry_app.domain.adoption_rules import ADOPTER_MIN_AGE
from registry_app.domain.marriage_rules import MIN_AGE
from registry_app.domain.states import AdoptionState, CertificateState, DivorceState, MarriageState, SyncState
from registry_app.errors import RegistryError
from registry_app.operations import NO_PROGRESS, Progress
from registry_app.storage.bulk import SharedData
from registry_app.services import audit, record_seals
from registry_app.services.audit import lock_chain
from registry_app.services.context import AppContext
from registry_app.services.people import initials
from registry_app.services.settings import load_settings
from registry_app.storage.engine import Database
from registry_app.storage.pg_sequences import catch_up_sequences
from registry_app.storage.models import (
    Certificate,
    CertificateSequence,
    Party,
    Record,
    RecordEvent,
    Setting,
)

CHUNK = 5000
MODERN_START = dt.date(2004, 1, 1)   # first year of the built-in State Council schedules
ARCHIVE_START = dt.date(1953, 1, 1)
BACK_ENTERED_SHARE = 0.10           # of all records, at least
ADOPTION_SHARE = 0.012              # of new cases
DIVORCE_CHANCE = 0.33               # a first marriage later ends in divorce at this office
DIVORCE_CHANCE_REMARRIAGE = 0.22
RECOUPLE_CHANCE = 0.07              # a divorced couple remarries each other (复婚)
REMARRY_CHANCE = 0.35               # each divorced person later marries someone new
REISSUE_CHANCE = 0.03               # a marriage certificate is lost and reissued
REISSUE_DIVORCE_CHANCE = 0.01
COOLING_OFF_SINCE = dt.date(2021, 1, 1)
DIVORCE_VOID_REMARK = "双方离婚，证件失效"
REISSUE_VOID_REMARK = "已补领，原证作废"
MARKER_SOURCE = "demo"

ProgressFn = Progress  # the one protocol: progress(done, total, label)


_UUID_CLEAR = ~((0xF000 << 64) | (0xC000 << 48)) & ((1 << 128) - 1)
_UUID_SET = (0x4000 << 64) | (0x8000 << 48)
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"


@lru_cache(maxsize=1 << 16)
def _weighted(digits: str, offset: int) -> int:
    return sum(int(c) * w for c, w in zip(digits, _WEIGHTS[offset:]))


class DemoGenerator:
    """One run: `run()` writes `records` records into an initialised database in one transaction."""

    def __init__(self, db: Database, records: int, seed: int = 1, *, until: dt.date | None = None,
                 actor: str = "demo", event_days: int = 0, progress: ProgressFn | None = None):
        if records < 0:
            raise ValueError("records must be >= 0")
        self.db = db
        self.target = records
        self.seed = seed
        self.until = until or dt.datetime.now(CHINA_TZ).date()
        self.actor = actor
        # Outbound sync events only for the last `event_days` days, left pending (registered, not yet in
        # an end-of-day batch); by default none, so a demo database does not flood the first real export.
        self.event_from = (self.until - dt.timedelta(days=event_days)).toordinal() + 1 if event_days > 0 \
            else self.until.toordinal() + 1
        self.progress = progress or NO_PROGRESS
        self.rng = random.Random(seed)
        self.summary = DemoSummary(seed=seed, until=self.until.isoformat())
        self._surnames = names.cumulative(names.SURNAMES)
        self._regions = names.cumulative(names.REGION_CODES)
        self._ethnicities = names.cumulative(names.ETHNICITIES)
        self._educations = names.cumulative(names.EDUCATIONS)
        self._initials: dict[str, str] = {}
        self._party_data: dict[tuple, SharedData] = {}
        self._marriage_data = SharedData(
            variant="ordinary", declarations={"free_will": True, "no_prohibited_kinship": True, "no_spouse": True},
            union_began=None, remarks="", declarations_signed=True, witness=actor, source=MARKER_SOURCE)
        self._divorce_data = SharedData(
            agreement={"will_to_divorce": True, "children": "已约定", "property": "已约定", "debts": "已约定"},
            signed=True, void_remark=DIVORCE_VOID_REMARK, source=MARKER_SOURCE)
        self._used_ids: set[int] = set()
        self._dates: dict[int, dt.date] = {}
        self._stamps: dict[int, dt.datetime] = {}

    # --- small helpers ---------------------------------------------------------------------------
    def _pick(self, table) -> str:
        items, cum, total = table
        return items[bisect.bisect(cum, self.rng.random() * total)] if len(items) > 1 else items[0]

    def _date(self, ordinal: int) -> dt.date:
        d = self._dates.get(ordinal)
        if d is None:
            d = self._dates[ordinal] = dt.date.fromordinal(ordinal)
        return d

    def _stamp(self, ordinal: int) -> dt.datetime:
        t = self._stamps.get(ordinal)
        if t is None:
            d = self._date(ordinal)
            t = self._stamps[ordinal] = dt.datetime(d.year, d.month, d.day, 10, 0, tzinfo=CHINA_TZ)
        return t

    def _uid(self) -> str:
        """A version-4 UUID drawn from the seeded generator (what uuid.UUID(int=..., version=4) gives)."""
        n = (self.rng.getrandbits(128) & _UUID_CLEAR) | _UUID_SET
        h = f"{n:032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def _initials_of(self, name: str) -> str:
        v = self._initials.get(name)
        if v is None:
            v = self._initials[name] = initials(name)
        return v

    def _name(self, sex: str, surname: str | None = None) -> str:
        surname = surname or self._pick(self._surnames)
        pool = names.MALE_GIVEN if sex == "M" else names.FEMALE_GIVEN
        return surname + pool[self.rng.randrange(len(pool))]

    def _id_number(self, region: str, birth: dt.date, sex: str) -> str:
        """A resident ID number not given before: the GB 11643 check character of domain.ids.check_character,
        summed in parts (region, birth date, sequence) that repeat across people; tests hold them equal."""
        odd = 1 if sex == "M" else 0
        date_part = f"{birth.year:04d}{birth.month:02d}{birth.day:02d}"
        prefix = region + date_part
        partial = _weighted(region, 0) + _weighted(date_part, 6)
        while True:
            seq = f"{self.rng.randrange(500) * 2 + odd:03d}"
            first17 = prefix + seq
            key = int(first17)
            if key not in self._used_ids:
                self._used_ids.add(key)
                return first17 + _CHECK_CHARS[(partial + _weighted(seq, 14)) % 11]

    def _birth_for_age(self, on: int, min_age: int, age: float) -> dt.date:
        """A birth date making the person `age` (fractional years) on day `on`, and at least min_age."""
        birth = self._date(on - int(age * 365.25))
        reg = self._date(on)
        years = reg.year - birth.year - ((reg.month, reg.day) < (birth.month, birth.day))
        while years < min_age:
            birth = self._date(birth.toordinal() - 183)
            years = reg.year - birth.year - ((reg.month, reg.day) < (birth.month, birth.day))
        return birth

    def _person(self, sex: str, birth: dt.date | None, *, with_id: bool = True, surname: str | None = None
                ) -> _Person:
        region = self._pick(self._regions)
        number = self._id_number(region, birth, sex) if with_id and birth else None
        r = self.rng.random
        return _Person(self._name(sex, surname), sex, birth, number, region,
                       self._pick(self._ethnicities) if r() < 0.98 else "",
                       self._pick(self._educations), names.OCCUPATIONS[self.rng.randrange(len(names.OCCUPATIONS))])

    def _adult(self, sex: str, on: int, *, older: float = 0.0) -> _Person:
        """A person marrying on `on` for the first time: men from 22, women from 20 (CC 1047)."""
        r = self.rng
        if sex == "M":
            age = 22.3 + r.gammavariate(2.2, 2.6) + older
            birth = self._birth_for_age(on, MIN_AGE["M"], age)
        else:
            age = 20.3 + r.gammavariate(2.4, 2.3) + older
            birth = self._birth_for_age(on, MIN_AGE["F"], age)
        return self._person(sex, birth)

    def _partner_for(self, p: _Person, on: int) -> _Person:
        """Someone of the other sex and a similar age for a person's next marriage."""
        other = "F" if p.sex == "M" else "M"
        age = (on - p.birth.toordinal()) / 365.25 + self.rng.gauss(-2.0 if p.sex == "M" else 2.0, 3.0)
        return self._person(other, self._birth_for_age(on, MIN_AGE[other], max(age, 20.5)))

    def _party(self, record_id: int, position: int, role: str, p: _Person, prior: str | None = None,
               extra: dict | None = None) -> dict:
        key = (p.ethnicity, p.education if p.id_number else None, p.occupation if p.id_number else None, prior)
        data = self._party_data.get(key) if extra is None else None
        if data is None:
            data = SharedData()
            if p.ethnicity:
                data["ethnicity"] = p.ethnicity
            if p.id_number:
                data["education"] = p.education
                data["occupation"] = p.occupation
            if prior:
                data["prior_status"] = prior
            if extra:
                data["extra"] = extra
            else:
                self._party_data[key] = data
        number = p.id_number
        return {
            "record_id": record_id, "position": position, "role": role, "name": p.name,
            "name_initials": self._initials_of(p.name), "sex": p.sex or None, "birth_date": p.birth,
            "id_type": "resident_id" if number else "none", "id_number": number,
            "id_tail": number[-6:] if number else None, "nationality": "中国", "data": data,
            "registration_date": self._day_of(record_id),
        }

    @staticmethod
    def _party_payload(p: _Person, role: str, prior: str | None = None) -> dict:
        return {"role": role, "name": p.name, "sex": p.sex or None,
                "birth_date": p.birth.isoformat() if p.birth else None,
                "id_type": "resident_id" if p.id_number else "none", "id_number": p.id_number,
                "nationality": "中国", "prior_status": prior}

    # --- numbering ---------------------------------------------------------------------------------
    def _number(self, cert_type: str, day: dt.date) -> str:
        key = (cert_type, day.year)
        value = self.seq.get(key, 0) + 1
        self.seq[key] = value
        if cert_type in self.formats:
            return self.formats[cert_type].format(office=self.scope, year=day.year, seq=value)
        return f"{cert_type}{self.scope}-{day.year}-{value:06d}"

    def _certificate(self, cert_type: str, record_id: int, day: dt.date) -> tuple[int, str]:
        number = self._number(cert_type, day)
        cid = self.next_cert
        self.next_cert += 1
        self.w.add("certificates", {
            "id": cid, "number": number, "cert_type": cert_type, "record_id": record_id, "holder_position": None,
            "issued_on": day, "blank_serial": None, "status": CertificateState.ISSUED.value, "void_reason": "", "voided_by": None,
            "data": {},
        })
        return cid, number

    def _event(self, event_type: str, record_id: int, on: int, data: dict) -> None:
        if on < self.event_from:
            return
        stamp = self._stamp(on) + dt.timedelta(minutes=self.rng.randrange(420))
        self.w.add("events", {
            "seq": self.next_seq, "event_id": self._uid(), "event_type": event_type, "record_id": record_id,
            "business_date": self._date(on), "occurred_at": stamp.isoformat(timespec="seconds"),
            "actor": self.actor, "data": data, "batch_seq": None, "sync_status": SyncState.PENDING.value, "sync_code": None,
        })
        self.next_seq += 1
        self.summary.events += 1

    # --- records -----------------------------------------------------------------------------------
    def _record(self, kind: str, status: str, on: int, *, certificate_no: str | None = None,
                back_entered: bool = False, linked: int | None = None, application: int | None = None,
                data: dict | None = None, archive_no: str | None = None) -> tuple[int, str]:
        rid = self.next_id
        self.next_id += 1
        uid = self._uid()
        day = self._date(on)
        stamp = self._stamp(on)
        self.w.add("records", {
            "id": rid, "uid": uid, "kind": kind, "status": status, "office_code": self.office_code,
            "application_date": None if back_entered else self._date(application or on),
            "registration_date": day, "certificate_no": certificate_no, "back_entered": back_entered,
            "archive_no": archive_no, "linked_record_id": linked, "data": data or {}, "created_by": self.actor,
            "created_at": stamp, "updated_at": stamp,
        })
        self.summary.records += 1
        self._last_record = (rid, day)
        return rid, uid

    def _day_of(self, record_id: int) -> dt.date:
        """The registration date parties copy from their record (always the record just written)."""
        rid, day = self._last_record
        assert rid == record_id, "parties are written right after their record"
        return day

    def _marry(self, on: int, p1: _Person, p2: _Person, prior1: str, prior2: str,
               previous: _Marriage | None = None) -> _Marriage:
        day = self._date(on)
        variant = "remarriage" if previous is not None else "ordinary"
        rid = self.next_id
        cid, number = self._certificate("J", rid, day)
        data = self._marriage_data
        if previous is not None:
            data = {**data, "variant": variant, "remarriage_of": previous.record_id}
        _, uid = self._record("marriage", MarriageState.REGISTERED.value, on, certificate_no=number,
                              linked=previous.record_id if previous else None, data=data)
        self.w.add("parties", self._party(rid, 1, "party1", p1, prior1))
        self.w.add("parties", self._party(rid, 2, "party2", p2, prior2))
        self._event("marriage.registered", rid, on, {
            "kind": "marriage", "record_uid": uid, "certificate_no": number, "blank_serial": None,
            "registration_date": day.isoformat(), "variant": variant, "back_entered": False,
            "parties": [self._party_payload(p1, "party1", prior1), self._party_payload(p2, "party2", prior2)]})
        s = self.summary
        s.marriages += 1
        if "divorced" in (prior1, prior2):
            s.remarriages += 1
        if previous is not None:
            s.recouplings += 1
        m = _Marriage(rid, uid, p1, p2, (cid, number), on)
        r = self.rng
        chance = DIVORCE_CHANCE if prior1 == prior2 == "unmarried" else DIVORCE_CHANCE_REMARRIAGE
        divorce_on = None
        if r.random() < chance:
            divorce_on = on + max(200, int(r.lognormvariate(7.75, 0.65)))  # median about 6 years
            self._schedule(divorce_on, "divorce", m)
        if r.random() < REISSUE_CHANCE:
            last = (divorce_on or on + 15 * 365) - 1
            if last > on + 30:
                self._schedule(r.randrange(on + 30, last), "reissue", m, produces_record=False)
        return m

    def _divorce(self, on: int, m: _Marriage) -> None:
        if not m.alive:
            return
        day = self._date(on)
        application = on - (self.rng.randrange(31, 58) if day >= COOLING_OFF_SINCE else 0)
        rid = self.next_id
        cid, number = self._certificate("L", rid, day)
        voided = list(m.cert_ids)
        _, uid = self._record("divorce", DivorceState.ISSUED.value, on, certificate_no=number, linked=m.record_id,
                              application=application,
                              data=self._divorce_data)
        self.w.add("parties", self._party(rid, 1, "party1", m.p1))
        self.w.add("parties", self._party(rid, 2, "party2", m.p2))
        self._event("divorce.issued", rid, on, {
            "kind": "divorce", "record_uid": uid, "certificate_no": number, "registration_date": day.isoformat(),
            "marriage_uid": m.uid, "voided_marriage_certificates": [n for _, n in voided], "blank_serials": [],
            "parties": [self._party_payload(m.p1, "party1"), self._party_payload(m.p2, "party2")]})
        m.alive = False
        self.dissolved.append((m.record_id, on))
        self.voids.extend((c, CertificateState.ENDED_BY_DIVORCE.value, DIVORCE_VOID_REMARK) for c, _ in voided)
        self.summary.divorces += 1
        self.summary.dissolved += 1
        r = self.rng
        if r.random() < REISSUE_DIVORCE_CHANCE:
            self._schedule(on + r.randrange(60, 3000), "reissue_divorce", (rid, cid), produces_record=False)
        if r.random() < RECOUPLE_CHANCE:
            self._schedule(on + r.randrange(120, 1800), "recouple", m)
        else:
            for p in (m.p1, m.p2):
                if r.random() < REMARRY_CHANCE:
                    self._schedule(on + r.randrange(300, 3600), "remarry", p)

    def _reissue(self, on: int, m: _Marriage) -> None:
        if not m.alive:
            return
        cid, number = self._certificate("BJ", m.record_id, self._date(on))
        self.voids.extend((c, CertificateState.REPLACED.value, REISSUE_VOID_REMARK) for c, _ in m.cert_ids)
        m.cert_ids = [(cid, number)]
        self.summary.reissues += 1
        self._event("certificate.reissued", m.record_id, on, {"certificate_no": number, "kind": "reissue_marriage",
                                                            "record_uid": m.uid})

    def _reissue_divorce(self, on: int, ref: tuple[int, int]) -> None:
        rid, old = ref
        cid, number = self._certificate("BL", rid, self._date(on))
        self.voids.append((old, CertificateState.REPLACED.value, REISSUE_VOID_REMARK))
        self.summary.reissues += 1
        self._event("certificate.reissued", rid, on, {"certificate_no": number, "kind": "reissue_divorce"})

    def _adoption(self, on: int) -> None:
        r = self.rng
        day = self._date(on)
        father = self._person("M", self._birth_for_age(on, ADOPTER_MIN_AGE, 31 + r.random() * 16))
        mother = self._person("F", self._birth_for_age(on, ADOPTER_MIN_AGE, 30 + r.random() * 14))
        adopters = [father, mother] if r.random() < 0.88 else [father if r.random() < 0.3 else mother]
        child_sex = "F" if r.random() < 0.6 else "M"
        if len(adopters) == 1 and adopters[0].sex != child_sex:
            child_sex = adopters[0].sex  # CC 1102: keeps single adopters clear of the 40-year rule
        child_birth = self._date(on - r.randrange(90, 10 * 365))
        surname = adopters[0].name[:2] if adopters[0].name[:2] in ("欧阳", "司马", "诸葛") else adopters[0].name[0]
        child = self._person(child_sex, child_birth, with_id=r.random() < 0.75, surname=surname)
        welfare = r.random() < 0.6
        placing = ({"kind": "welfare_institution",
                    "names": [names.WELFARE_INSTITUTIONS[r.randrange(len(names.WELFARE_INSTITUTIONS))]]}
                   if welfare else {"kind": "birth_parents", "names": [self._name("M"), self._name("F")]})
        rid = self.next_id
        _, number = self._certificate("SY", rid, day)
        data = {
            "adopters": [{"name": a.name, "sex": a.sex, "birth_date": a.birth.isoformat(), "id_type": "resident_id",
                          "id_number": a.id_number, "marital_status": "married" if len(adopters) == 2 else "unmarried",
                          "children_count": 0, "adopted_children_count": 0, "spouse_joins": len(adopters) == 2,
                          "overseas_chinese": False, "able_to_raise": True, "no_unfit_disease": True,
                          "no_harmful_criminal_record": True} for a in adopters],
            "adoptee": {"name": child.name, "sex": child.sex, "birth_date": child.birth.isoformat(),
                        "situation": "parents_unknown" if welfare else "parents_special_difficulty",
                        "id_number": child.id_number, "disabled": False, "in_welfare_institution": welfare},
            "placing": {**placing, "both_place": not welfare, "other_parent_unknown_or_missing": False,
                        "special_difficulty": not welfare},
            "registration_date": day.isoformat(), "relationship": "none", "remarks": "", "source": MARKER_SOURCE,
        }
        application = on - r.randrange(5, 30)
        _, uid = self._record("adoption", AdoptionState.REGISTERED.value, on, certificate_no=number, application=application, data=data)
        position = 1
        payload_parties = []
        for i, a in enumerate(adopters, start=1):
            extra = {"marital_status": "married" if len(adopters) == 2 else "unmarried", "overseas_chinese": False}
            self.w.add("parties", self._party(rid, position, f"adopter{i}", a, extra=extra))
            payload_parties.append(self._party_payload(a, f"adopter{i}"))
            position += 1
        self.w.add("parties", self._party(rid, position, "adoptee", child))
        payload_parties.append(self._party_payload(child, "adoptee"))
        position += 1
        if not welfare:
            for pname in placing["names"]:
                self.w.add("parties", {
                    "record_id": rid, "position": position, "role": "placing_parent", "name": pname,
                    "name_initials": self._initials_of(pname), "sex": None, "birth_date": None, "id_type": "none",
                    "id_number": None, "id_tail": None, "nationality": "中国", "data": {},
                    "registration_date": self._day_of(rid)})
                position += 1
        self._event("adoption.registered", rid, on, {
            "kind": "adoption", "record_uid": uid, "certificate_no": number, "blank_serial": None,
            "registration_date": day.isoformat(), "parties": payload_parties})
        self.summary.adoptions += 1

    # --- people for cases typed at the counter (tests, benchmark, a demo mode) ----------------------
    def person_dict(self, p: _Person, prior: str = "unmarried") -> dict:
        """A party as the marriage case file has it (see resources/examples/marriage-case.json)."""
        return {"name": p.name, "sex": p.sex, "birth_date": p.birth.isoformat(), "id_type": "resident_id",
                "id_number": p.id_number, "nationality": "中国", "ethnicity": p.ethnicity or "汉族",
                "occupation": p.occupation, "education": p.education, "prior_status": prior}

    def marriage_case(self, on: dt.date, regions: tuple[str, ...] | None = None) -> dict:
        """A marriage case that registers on `on`: two adults of legal age with unused ID numbers."""
        saved = self._regions
        if regions:
            self._regions = names.cumulative([(r, 1.0) for r in regions])
        try:
            man = self._adult("M", on.toordinal())
            woman = self._adult("F", on.toordinal())
        finally:
            self._regions = saved
        return {"party1": self.person_dict(man), "party2": self.person_dict(woman),
                "declarations": {"free_will": True, "no_prohibited_kinship": True, "no_spouse": True,
                                 "signed": True}}

    def reserve_ids(self, numbers) -> None:
        """ID numbers already on record: never given to a new person."""
        for number in numbers:
            if number and len(number) == 18 and number[:17].isdigit():
                self._used_ids.add(int(number[:17]))

    def archive_rows(self, count: int, prefix: str) -> list[dict]:
        """Rows of an archive back-entry CSV (resources/examples/ARCHIVE_CSV.md): old marriages, no IDs."""
        r = self.rng
        start, end = ARCHIVE_START.toordinal(), MODERN_START.toordinal() - 1
        rows = []
        for i in range(count):
            on = end - int((end - start) * (r.random() ** 1.6))
            known = r.random() < 0.6
            p1 = self._person("M", self._birth_for_age(on, MIN_AGE["M"], 23 + r.random() * 8) if known else None,
                              with_id=False)
            p2 = self._person("F", self._birth_for_age(on, MIN_AGE["F"], 21 + r.random() * 8) if known else None,
                              with_id=False)
            rows.append({
                "record_type": "marriage", "registration_date": self._date(on).isoformat(), "certificate_no": "",
                "party1_name": p1.name, "party1_sex": "M", "party1_birth_date": p1.birth.isoformat() if p1.birth else "",
                "party1_id_number": "", "party2_name": p2.name, "party2_sex": "F",
                "party2_birth_date": p2.birth.isoformat() if p2.birth else "", "party2_id_number": "",
                "archive_no": f"{prefix}-{i + 1:06d}", "office_name": "", "remarks": "",
            })
        return rows

    # --- the timeline ------------------------------------------------------------------------------
    def _schedule(self, on: int, what: str, payload, produces_record: bool = True) -> None:
        if on > self.until_ord:
            return
        self._tie += 1
        heapq.heappush(self.heap, (on, self._tie, what, payload, produces_record))
        if produces_record:
            self.pending_records += 1

    def _due(self, on: int) -> None:
        while self.heap and self.heap[0][0] <= on and self.summary.records < self.modern_target:
            when, _, what, payload, produces = heapq.heappop(self.heap)
            if produces:
                self.pending_records -= 1
            if what == "divorce":
                self._divorce(when, payload)
            elif what == "reissue":
                self._reissue(when, payload)
            elif what == "reissue_divorce":
                self._reissue_divorce(when, payload)
            elif what == "recouple":
                m = payload
                self._marry(when, m.p1, m.p2, "divorced", "divorced", previous=m)
            elif what == "remarry":
                p = payload
                partner = self._partner_for(p, when)
                r = self.rng.random()
                prior = "unmarried" if r < 0.62 else "divorced" if r < 0.95 else "widowed"
                if p.sex == "M":
                    self._marry(when, p, partner, "divorced", prior)
                else:
                    self._marry(when, partner, p, prior, "divorced")
            self._maybe_flush()

    def _new_case(self, on: int) -> None:
        r = self.rng
        if r.random() < ADOPTION_SHARE:
            self._adoption(on)
            return
        x = r.random()
        prior1 = "unmarried" if x < 0.91 else "divorced" if x < 0.985 else "widowed"
        y = r.random()
        prior2 = "unmarried" if y < 0.92 else "divorced" if y < 0.99 else "widowed"
        older = 0.0 if prior1 == prior2 == "unmarried" else 8.0 + r.random() * 10
        man = self._adult("M", on, older=older)
        woman = self._partner_for(man, on) if older else self._adult("F", on)
        self._marry(on, man, woman, prior1, prior2)

    def _timeline(self) -> None:
        days = registration_days(MODERN_START, self.until) if self.until >= MODERN_START else []
        remaining_weight = sum(w for _, w in days)
        total_weight = remaining_weight or 1.0
        for ordinal, weight in days:
            if self.summary.records >= self.modern_target:
                break
            self._due(ordinal - 1)
            # Cases still to start, spread over the remaining days in proportion to their weight; each
            # new case brings later divorces and remarriages, fewer as the end of the timeline nears.
            follow = 0.45 * (remaining_weight / total_weight)
            left = self.modern_target - self.summary.records - self.pending_records
            expected = max(0.0, left / (1.0 + follow)) * weight / remaining_weight
            remaining_weight -= weight
            n = int(expected) + (self.rng.random() < expected - int(expected))
            for _ in range(n):
                if self.summary.records >= self.modern_target:
                    break
                self._new_case(ordinal)
                self._maybe_flush()
            self._due(ordinal)
        self._due(self.until_ord)

    def _back_entered(self, count: int) -> None:
        """Paper archives keyed in: no ID numbers, often no birth dates; some divorces among them."""
        r = self.rng
        start, end = ARCHIVE_START.toordinal(), MODERN_START.toordinal() - 1
        serial: dict[int, int] = {}
        done = 0
        while done < count:
            # later years are better kept: the dates lean towards the end
            on = end - int((end - start) * (r.random() ** 1.6))
            day = self._date(on)
            known_birth = r.random() < 0.6
            b1 = self._birth_for_age(on, MIN_AGE["M"], 22.5 + r.gammavariate(2.0, 2.5)) if known_birth else None
            b2 = self._birth_for_age(on, MIN_AGE["F"], 20.5 + r.gammavariate(2.0, 2.2)) if known_birth else None
            p1 = self._person("M", b1, with_id=False)
            p2 = self._person("F", b2, with_id=False)
            n = serial[day.year] = serial.get(day.year, 0) + 1
            number = f"{names.OLD_NUMBER_PREFIX}〔{day.year}〕第{n:05d}号" if r.random() < 0.5 else None
            divorced = count - done >= 2 and r.random() < 0.12
            rid, _ = self._record("marriage", (MarriageState.DISSOLVED if divorced else MarriageState.REGISTERED).value, on, certificate_no=number,
                                  back_entered=True, archive_no=f"HY-{day.year}-{n:05d}",
                                  data={"source": MARKER_SOURCE})
            self.w.add("parties", self._party(rid, 1, "party1", p1))
            self.w.add("parties", self._party(rid, 2, "party2", p2))
            done += 1
            self.summary.back_entered += 1
            self.summary.marriages += 1
            if divorced:
                d_on = min(end, on + max(200, int(r.lognormvariate(7.9, 0.6))))
                dday = self._date(d_on)
                k = serial[dday.year] = serial.get(dday.year, 0) + 1
                did, _ = self._record("divorce", DivorceState.ISSUED.value, d_on, back_entered=True, linked=rid,
                                      archive_no=f"LH-{dday.year}-{k:05d}", data={"source": MARKER_SOURCE})
                self.w.add("parties", self._party(did, 1, "party1", p1))
                self.w.add("parties", self._party(did, 2, "party2", p2))
                done += 1
                self.summary.back_entered += 1
                self.summary.divorces += 1
                self.summary.dissolved += 1
            self._maybe_flush()

    def _maybe_flush(self) -> None:
        if self.w.pending() >= CHUNK:
            self.w.flush()
            self.progress(self.summary.records, self.target, "写入记录")

    # --- the run -----------------------------------------------------------------------------------
    def run(self) -> DemoSummary:
        started = time.perf_counter()
        ctx = AppContext(db=self.db)
        with self.db.write() as s:
            self.s = s
            self.w = BulkWriter(s)
            settings = load_settings(s)
            if not settings.training:  # synthetic people never enter a production register
                raise RegistryError("演示数据只能写入培训数据库（registry init --training）", code="DEMO_NEEDS_TRAINING")
            self.office_code = settings.office_code
            self.scope = settings.number_scope
            self.formats = {"SY": settings.adoption_number_format, "JC": settings.adoption_dissolution_number_format}
            conn = s.connection()
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("PRAGMA cache_size = -262144")  # 256 MB while the indexes grow
            lock_chain(s, "events", "0")
            self.next_id = (s.execute(select(func.max(Record.id))).scalar() or 0) + 1
            self.next_cert = (s.execute(select(func.max(Certificate.id))).scalar() or 0) + 1
            self.next_seq = (s.execute(select(func.max(RecordEvent.seq))).scalar() or 0) + 1
            self.seq = {(row.cert_type, row.year): row.last_value for row in s.execute(
                select(CertificateSequence).where(CertificateSequence.scope == self.scope)).scalars()}
            first_numbers = dict(self.seq)
            for (number,) in s.execute(select(Party.id_number).where(Party.id_number.is_not(None))):
                if len(number) == 18 and number[:17].isdigit():
                    self._used_ids.add(int(number[:17]))
            self.heap: list = []
            self._tie = 0
            self.pending_records = 0
            self.dissolved: list[tuple[int, int]] = []
            self.voids: list[tuple[int, str, str]] = []
            self.until_ord = self.until.toordinal()
            back = int(round(self.target * BACK_ENTERED_SHARE))
            self.modern_target = self.target - back
            self._timeline()
            self.modern_target = self.target
            self._back_entered(self.target - self.summary.records)
            self.w.flush()
            self.progress(self.summary.records, self.target, "建立关联")
            for i in range(0, len(self.dissolved), CHUNK):
                part = self.dissolved[i:i + CHUNK]
                s.execute(update(Record.__table__).where(Record.__table__.c.id == _bind("rid"))
                          .values(status=MarriageState.DISSOLVED.value, updated_at=_bind("ts")),
                          [{"rid": rid, "ts": self._stamp(on)} for rid, on in part])
                record_seals.touch(s, [rid for rid, _ in part])  # UPDATEs the ORM does not see
            for i in range(0, len(self.voids), CHUNK):
                part = self.voids[i:i + CHUNK]
                s.execute(update(Certificate.__table__).where(Certificate.__table__.c.id == _bind("cid"))
                          .values(status=_bind("state"), void_reason=_bind("why")),
                          [{"cid": cid, "state": state, "why": why} for cid, state, why in part])
            for (cert_type, year), value in sorted(self.seq.items()):
                if first_numbers.get((cert_type, year)) == value:
                    continue
                row = s.get(CertificateSequence, (self.scope, cert_type, year))
                if row is None:
                    s.add(CertificateSequence(scope=self.scope, cert_type=cert_type, year=year, last_value=value))
                else:
                    row.last_value = value
            self.summary.last_numbers = {f"{t}-{y}": v for (t, y), v in sorted(self.seq.items())
                                         if first_numbers.get((t, y)) != v}
            marker = s.get(Setting, DEMO_SETTING)
            previous = (marker.value or {}).get("records", 0) if marker is not None else 0
            value = {"seed": self.seed, "records": previous + self.summary.records, "until": self.summary.until}
            if marker is None:
                s.add(Setting(key=DEMO_SETTING, value=value))
            else:
                marker.value = value
            s.flush()
            catch_up_sequences(s)  # PostgreSQL: the generated ids were explicit
            audit.record(ctx, s, "demo.generated", "database", "demo",
                         {k: v for k, v in self.summary.to_dict().items() if k not in ("seconds", "last_numbers")},
                         reason="演示/测试用合成数据", username=self.actor, role="system")
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("PRAGMA cache_size = -2000")
        self.summary.seconds = round(time.perf_counter() - started, 2)
        self.progress(self.summary.records, self.target, "完成")
        return self.summary


def _bind(name: str):
    from sqlalchemy import bindparam

    return bindparam(name)


def generate(db: Database, records: int, seed: int = 1, *, until: dt.date | None = None, actor: str = "demo",
             event_days: int = 0, progress: ProgressFn | None = None) -> DemoSummary:
    """Add `records` synthetic records to an initialised database (see the module docstring)."""
    return DemoGenerator(db, records, seed, until=until, actor=actor, event_days=event_days,
                         progress=progress).run()
