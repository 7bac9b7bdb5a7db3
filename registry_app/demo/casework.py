"""Divorce applications still in progress for the demo office, so that 我的离婚申请 has work in it: couples
of the demo's registered marriages apply through DivorceService, as the demo clerk, each on its own
earlier day (a training clock, as `--date` gives), and on the demo's day some are in the cooling-off,
some in the collection window and one or two have a window closing within a week.

An application whose deadlines fall in a year without a holiday schedule is refused by the service
(CALENDAR_YEAR_MISSING) and is simply left out: the demo never invents a schedule."""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from sqlalchemy import select

from registry_app.clock import TrainingClock
from registry_app.demo import names
from registry_app.domain.deadlines import (
    PHASE_COOLING_OFF,
    PHASE_WINDOW_OPEN,
    divorce_deadlines,
)
from registry_app.domain.states import MarriageState
from registry_app.domain.workdays import MissingSchedule, WorkdayCalendar
from registry_app.errors import RegistryError
from registry_app.services.calendar import calendar_in_force
from registry_app.services.context import AppContext, CurrentUser
from registry_app.services.divorce import DivorceService
from registry_app.services.people import party_to_input
from registry_app.storage.engine import Database
from registry_app.storage.models import Party, Record

# Days before the demo's day on which the couples applied.
COOLING_OFF_AGES = (2, 9, 16, 23)   # still in the 30-day cooling-off
WINDOW_AGES = (33, 40, 47)          # window open, weeks left to collect
CLOSING_AGES = range(50, 66)        # the window closes within CLOSING_WITHIN days: tried in order
CLOSING_COUNT = 2
CLOSING_WITHIN = 7                  # the 预约 page's 离婚领证期限 list
MARRIED_AT_LEAST = 400              # days married before applying: not a couple married last month
CALENDAR_YEAR_MISSING = MissingSchedule.code

PROPERTY = (("住房一套", "party2"), ("小型汽车一辆", "party1"), ("银行存款", "party1"), ("家用电器及家具", "party2"))
DEBTS = (("住房贷款余额", "party2"), ("信用卡欠款", "party1"))
CHILD_GIVEN = ("子涵", "浩宇", "欣怡", "梓轩", "雨桐", "一诺", "思远", "可馨")


@dataclass(frozen=True)
class _Couple:
    marriage_id: int
    registered: dt.date
    party1: dict
    party2: dict


def open_divorces(db: Database, day: dt.date, clerk: CurrentUser, seed: int) -> list[dict]:
    """Make the applications (each one transaction of DivorceService.apply, audited as `clerk`); what
    `apply` returned for each one made."""
    rng = random.Random(seed)
    with db.read() as s:
        calendar = calendar_in_force(s)
    plan = [(age, PHASE_COOLING_OFF) for age in COOLING_OFF_AGES] + [(age, PHASE_WINDOW_OPEN) for age in WINDOW_AGES]
    plan += _closing_ages(calendar, day)
    couples = _couples(db, day - dt.timedelta(days=max(a for a, _ in plan) + MARRIED_AT_LEAST), len(plan), rng)
    made = []
    for (age, phase), couple in zip(plan, couples):
        applied_on = day - dt.timedelta(days=age)
        if _phase(calendar, applied_on, day) not in (phase, None):
            continue  # a holiday moved this one's deadlines into another phase: the demo wants the one asked
        ctx = AppContext(db=db, clock=TrainingClock(applied_on), user=clerk)
        service = DivorceService(ctx)
        match = service.find_marriage(couple.party1["id_number"], couple.party2["id_number"])  # as at the counter
        if match is None or match.status != MarriageState.REGISTERED:
            continue
        try:
            made.append(service.apply(_case(couple, match.record_id, applied_on, rng)))
        except RegistryError as exc:
            if exc.code != CALENDAR_YEAR_MISSING:
                raise
    return made


def _phase(calendar: WorkdayCalendar, applied_on: dt.date, day: dt.date) -> str | None:
    """The application's phase on `day`; None when its deadlines need a schedule not loaded."""
    try:
        return divorce_deadlines(applied_on, calendar).phase_on(day)
    except MissingSchedule:
        return None


def _closing_ages(calendar: WorkdayCalendar, day: dt.date) -> list[tuple[int, str]]:
    """Up to CLOSING_COUNT application days whose collection window ends within CLOSING_WITHIN days of
    `day`, on different last days."""
    out, seen = [], set()
    for age in CLOSING_AGES:
        try:
            d = divorce_deadlines(day - dt.timedelta(days=age), calendar)
        except MissingSchedule:
            continue
        left = (d.collect_by - day).days
        if d.phase_on(day) == PHASE_WINDOW_OPEN and 0 < left <= CLOSING_WITHIN and d.collect_by not in seen:
            seen.add(d.collect_by)
            out.append((age, PHASE_WINDOW_OPEN))
            if len(out) == CLOSING_COUNT:
                break
    return out


def _couples(db: Database, married_by: dt.date, count: int, rng: random.Random) -> list[_Couple]:
    """`count` couples (fewer if the office has fewer) of registered marriages of this office made by
    `married_by`, both with resident ID numbers."""
    with db.read() as s:
        ids = s.execute(select(Record.id).where(
            Record.kind == "marriage", Record.status == MarriageState.REGISTERED.value,
            Record.back_entered.is_(False), Record.registration_date <= married_by).order_by(Record.id)).scalars().all()
        out = []
        for rid in rng.sample(ids, len(ids)):
            rec = s.get(Record, rid)
            parties = sorted(s.execute(select(Party).where(Party.record_id == rid)).scalars(), key=lambda p: p.position)
            if len(parties) != 2 or not all(p.id_type == "resident_id" and p.id_number for p in parties):
                continue
            p1, p2 = (party_to_input(p).to_dict() for p in parties)
            out.append(_Couple(rid, rec.registration_date, p1, p2))
            if len(out) == count:
                break
        return out


def _surname(name: str) -> str:
    return max((s for s, _ in names.SURNAMES if name.startswith(s)), key=len, default=name[:1])


def _case(couple: _Couple, marriage_id: int, applied_on: dt.date, rng: random.Random) -> dict:
    """A divorce case as the counter's form gives it (resources/examples/divorce-case.json)."""
    n1, n2 = couple.party1["name"], couple.party2["name"]
    father = n1 if couple.party1["sex"] == "M" else n2
    children, said = [], ""
    if rng.random() < 0.6:
        born = min(couple.registered + dt.timedelta(days=rng.randrange(300, 1500)), applied_on - dt.timedelta(days=60))
        custody = rng.choice(("party1", "party2"))
        payer = n2 if custody == "party1" else n1
        amount = rng.choice((1000, 1500, 2000, 3000))
        child = _surname(father) + rng.choice(CHILD_GIVEN)
        children.append({"name": child, "birth_date": born.isoformat(), "custody": custody, "support_amount": amount,
                         "support_schedule": f"{payer}每月10日前支付抚养费{amount}元，至子女年满18周岁"})
        said = f"子女{child}由{n1 if custody == 'party1' else n2}抚养，{payer}每月支付抚养费{amount}元。"
    prop = [{"item": item, "to": to} for item, to in rng.sample(PROPERTY, rng.randrange(1, 3))]
    debts = [{"item": item, "borne_by": by} for item, by in rng.sample(DEBTS, rng.randrange(0, 2))]
    shares = "；".join(f"{p['item']}归{n1 if p['to'] == 'party1' else n2}" for p in prop)
    owes = "".join(f"{d['item']}由{n1 if d['borne_by'] == 'party1' else n2}偿还。" for d in debts)
    return {
        "party1": couple.party1, "party2": couple.party2,
        "marriage": {"record_id": marriage_id},
        "certificates": {"party1": "present", "party2": "present"},
        "capacity": {"party1": True, "party2": True},
        "agreement": {"will_to_divorce": True, "has_children": bool(children), "children": children,
                      "property": prop, "debts": debts,
                      "signed_text": f"{n1}与{n2}因感情不和，双方自愿离婚。{said}{shares}。{owes}"},
    }
