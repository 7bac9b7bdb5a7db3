"""Certificate ceremonies (颁证仪式) and group weddings (集体婚礼): date, place, officiant and the registered
marriages in each, by record id. Names are never copied here: the list and the keepsake pages read them from
the records when printed. Each step is one transaction with its audit entry (no names in the audit)."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry_app.domain.field_rules import record_id_issue, text_issues, valid_record_id
from registry_app.domain.roles import Permission
from registry_app.domain.states import MarriageState, RecordKind
from registry_app.errors import Issue, NotFound, Refused
from registry_app.services import audit
from registry_app.services.context import AppContext
from registry_app.services.settings import load_settings
from registry_app.storage.models import Ceremony, CeremonyCouple, Record

KINDS = {"ceremony": "颁证仪式", "group_wedding": "集体婚礼"}
MAX_COUPLES = 500   # a group wedding of a city's 5·20 stays well under this; a typo of 10^6 ids does not


@dataclass(frozen=True)
class CeremonyView:
    id: int
    kind: str
    kind_zh: str
    day: dt.date
    place: str
    officiant: str
    record_ids: list[int]

    def to_dict(self) -> dict:
        return {**asdict(self), "day": self.day.isoformat()}


class Ceremonies:
    def __init__(self, ctx: AppContext):
        self.ctx = ctx

    @staticmethod
    def _view(s: Session, c: Ceremony) -> CeremonyView:
        ids = s.execute(select(CeremonyCouple.record_id).where(CeremonyCouple.ceremony_id == c.id)
                        .order_by(CeremonyCouple.id)).scalars().all()
        return CeremonyView(c.id, c.kind, KINDS.get(c.kind, c.kind), c.day, c.place, c.officiant, list(ids))

    @staticmethod
    def _facts(kind: str, day: object, place: str, officiant: str) -> tuple[str, str]:
        issues: list[Issue] = []
        if kind not in KINDS:
            issues.append(Issue("CEREMONY_KIND_UNKNOWN", "请选择颁证仪式或集体婚礼", "kind"))
        if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
            issues.append(Issue("CEREMONY_DATE_REQUIRED", "请填写仪式日期", "day"))
        place, officiant = (place or "").strip(), (officiant or "").strip()
        for value, key, zh in ((place, "place", "地点"), (officiant, "officiant", "主持人")):
            if not value:
                issues.append(Issue("CEREMONY_FIELD_REQUIRED", f"请填写{zh}", key))
            issues += text_issues(value, key)
        if issues:
            raise Refused(issues)
        return place, officiant

    def _check_couples(self, s: Session, record_ids: Iterable[object]) -> list[int]:
        """Registered marriages only, each once; every problem named in one refusal."""
        ids, issues = [], []
        for n, rid in enumerate(record_ids):
            path = f"record_ids[{n}]"
            if (bad := record_id_issue(rid, path)) is not None:
                issues.append(bad)
                continue
            rec = s.get(Record, rid)
            if rec is None:
                issues.append(Issue("RECORD_NOT_FOUND", f"登记记录{rid}不存在", path))
            elif rec.kind != RecordKind.MARRIAGE or rec.status != MarriageState.REGISTERED:
                issues.append(Issue("CEREMONY_NOT_REGISTERED_MARRIAGE",
                                    f"登记记录{rid}不是已登记的结婚登记，不能加入仪式", path))
            elif rid in ids:
                issues.append(Issue("CEREMONY_COUPLE_TWICE", f"登记记录{rid}重复", path))
            else:
                ids.append(rid)
        if len(ids) > MAX_COUPLES:
            issues.append(Issue("CEREMONY_TOO_MANY", f"一次仪式最多{MAX_COUPLES}对新人", "record_ids"))
        if issues:
            raise Refused(issues)
        return ids

    def _add_couples(self, s: Session, c: Ceremony, ids: list[int], username: str) -> None:
        taken = set(s.execute(select(CeremonyCouple.record_id).where(CeremonyCouple.ceremony_id == c.id)).scalars())
        if dup := [i for i in ids if i in taken]:
            raise Refused([Issue("CEREMONY_COUPLE_TWICE", f"登记记录{dup[0]}已在本次仪式中", "record_id")])
        now = self.ctx.clock.now()
        s.add_all(CeremonyCouple(ceremony_id=c.id, record_id=i, added_by=username, added_at=now) for i in ids)
        s.flush()

    def add(self, kind: str, day: dt.date, place: str, officiant: str,
            record_ids: Iterable[object] = ()) -> CeremonyView:
        """Record a ceremony, with the couples already known (more can be added later)."""
        user = self.ctx.require(Permission.REGISTER)
        place, officiant = self._facts(kind, day, place, officiant)
        with self.ctx.db.write() as s:
            ids = self._check_couples(s, list(record_ids))
            c = Ceremony(kind=kind, day=day, place=place, officiant=officiant, created_by=user.username,
                         created_at=self.ctx.clock.now())
            s.add(c)
            s.flush()
            self._add_couples(s, c, ids, user.username)
            audit.record(self.ctx, s, "ceremony.add", "ceremony", c.id,
                         {"kind": kind, "day": day.isoformat(), "record_ids": ids})
            return self._view(s, c)

    def add_couple(self, ceremony_id: int, record_id: object) -> CeremonyView:
        user = self.ctx.require(Permission.REGISTER)
        with self.ctx.db.write() as s:
            c = self._ceremony(s, ceremony_id)
            ids = self._check_couples(s, [record_id])
            self._add_couples(s, c, ids, user.username)
            audit.record(self.ctx, s, "ceremony.add_couple", "ceremony", c.id, {"record_id": ids[0]})
            return self._view(s, c)

    def list(self, since: dt.date | None = None) -> list[CeremonyView]:
        """Ceremonies from `since` (default: all), latest first."""
        self.ctx.require(Permission.REGISTER)
        with self.ctx.db.read() as s:
            q = select(Ceremony)
            if since is not None:
                q = q.where(Ceremony.day >= since)
            return [self._view(s, c) for c in s.execute(q.order_by(Ceremony.day.desc(), Ceremony.id.desc())).scalars()]

    def print(self, ceremony_id: int, keepsakes: bool = True) -> bytes:
        """The ceremony list, then (by default) a keepsake page per couple: one A4 PDF."""
        from registry_app.certificates.ceremony_forms import CoupleLine, ceremony_list, keepsake
        from registry_app.certificates.form_pdf import render_forms

        self.ctx.require(Permission.PRINT)
        with self.ctx.db.write() as s:
            c = self._ceremony(s, ceremony_id)
            view = self._view(s, c)
            couples = []
            for rid in view.record_ids:
                rec = s.get(Record, rid)
                names = [p.name for p in rec.parties[:2]] + ["", ""]
                couples.append(CoupleLine((names[0], names[1]), rec.certificate_no or "", rec.registration_date))
            settings = load_settings(s)
            common = {"kind_zh": view.kind_zh, "day": c.day, "place": c.place, "officiant": c.officiant,
                      "office_name": settings.office_name}
            pages = [ceremony_list(couples, **common)]
            if keepsakes:
                pages += [keepsake(couple, **common) for couple in couples]
            for page in pages:
                page.training = settings.training
            pdf = render_forms(pages)
            audit.record(self.ctx, s, "form.rendered", "ceremony", c.id,
                         {"form": "ceremony_list", "keepsakes": len(pages) - 1})
            return pdf

    @staticmethod
    def _ceremony(s: Session, ceremony_id: object) -> Ceremony:
        c = s.get(Ceremony, ceremony_id) if valid_record_id(ceremony_id) else None
        if c is None:
            raise NotFound(f"没有这个仪式：{ceremony_id}", code="CEREMONY_NOT_FOUND", field="ceremony")
        return c
