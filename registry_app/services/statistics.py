"""The civil-affairs statistics the office reports (quarterly; a month or a year on request).

Counting rules (each indicator says what it counts):
- marriage registrations: couples, marriage records registered in the period (whatever happened to the
  marriage since); mainland-resident marriages: both parties hold a resident ID;
- first marriages / remarriages: persons in those marriages, from their declared prior status
  (unmarried -> first; divorced or widowed -> remarriage);
- foreign, Hong Kong, Macao, Taiwan marriages: couples with at least one party holding a passport or
  foreign permanent-residence card / an HK permit (H...) or residence permit (81...) / a Macao permit (M...)
  or residence permit (82...) / a Taiwan permit or residence permit (83...);
- divorce registrations: couples, divorce records issued with a registration date in the period;
  divorce applications withdrawn / expired: by the date the record reached that state (updated_at);
- reissued certificates: BJ / BL numbers issued in the period, not counting voided (spoiled) ones;
- adoptions: adoption records registered in the period; dissolutions: adoption records dissolved in the
  period (data.dissolution_date when the record holds one, else the date of the change);
- age bands: persons marrying in the period, age on the registration date.
Back-entered (历史补录) records are never period counts: they were registered long ago.
Rates per thousand are computed upstream from population figures.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry_app.clock import CHINA_TZ
from registry_app.domain.ids import age_on
from registry_app.domain.roles import Permission
from registry_app.domain.states import AdoptionState, CertificateState, DivorceState, MarriageState
from registry_app.errors import Issue, Refused
from registry_app.services import audit
from registry_app.services.context import AppContext
from registry_app.services.csv_out import csv_text
from registry_app.storage.models import Certificate, Party, Record

AGE_BANDS = (("under_25", "25岁以下", 0, 25), ("25_29", "25-29岁", 25, 30), ("30_34", "30-34岁", 30, 35),
             ("35_39", "35-39岁", 35, 40), ("40_49", "40-49岁", 40, 50), ("50_plus", "50岁及以上", 50, 1000))

INDICATORS = (
    ("marriages", "结婚登记（对）"),
    ("marriages_mainland", "内地居民结婚登记（对）"),
    ("first_marriages", "初婚（人）"),
    ("remarriages", "再婚（人）"),
    ("marriages_foreign_hmt", "涉外及涉港澳台结婚登记（对）"),
    ("marriages_foreign", "其中：涉外（对）"),
    ("marriages_hk", "其中：涉港（对）"),
    ("marriages_macao", "其中：涉澳（对）"),
    ("marriages_taiwan", "其中：涉台（对）"),
    ("divorces", "离婚登记（对）"),
    ("divorce_withdrawn", "离婚申请撤回（件）"),
    ("divorce_expired", "离婚申请期满未领证视为撤回（件）"),
    ("reissues", "补发婚姻登记证（件）"),
    ("reissues_marriage", "其中：补发结婚证（件）"),
    ("reissues_divorce", "其中：补发离婚证（件）"),
    ("adoptions", "收养登记（件）"),
    ("adoption_dissolutions", "解除收养登记（件）"),
)

MARRIED_STATES = tuple(s.value for s in (MarriageState.REGISTERED, MarriageState.DIVORCE_PENDING, MarriageState.DISSOLVED,
                                         MarriageState.INVALIDATED, MarriageState.REVOKED))
_FOREIGN = ("passport", "foreign_pr_card")


def _held(id_type: str, number: str, permit_prefix: str, residence_prefix: str) -> bool:
    """A party holding that region's travel permit (H.../M...) or residence permit (810000/820000/830000)."""
    if id_type == "hk_macao_permit":
        return bool(permit_prefix) and number.startswith(permit_prefix)
    return id_type == "hmt_residence_permit" and number.startswith(residence_prefix)


@dataclass(frozen=True)
class Period:
    label: str
    start: dt.date
    end: dt.date  # inclusive

    @classmethod
    def parse(cls, text: str) -> "Period":
        t = (text or "").strip().upper()
        m = re.fullmatch(r"(\d{4})-Q([1-4])", t)
        if m:
            y, q = int(m[1]), int(m[2])
            start = dt.date(y, 3 * q - 2, 1)
            end = dt.date(y + 1, 1, 1) if q == 4 else dt.date(y, 3 * q + 1, 1)
            return cls(t, start, end - dt.timedelta(days=1))
        m = re.fullmatch(r"(\d{4})-(\d{2})", t)
        if m and 1 <= int(m[2]) <= 12:
            y, mo = int(m[1]), int(m[2])
            end = dt.date(y + 1, 1, 1) if mo == 12 else dt.date(y, mo + 1, 1)
            return cls(t, dt.date(y, mo, 1), end - dt.timedelta(days=1))
        m = re.fullmatch(r"(\d{4})", t)
        if m:
            y = int(m[1])
            return cls(t, dt.date(y, 1, 1), dt.date(y, 12, 31))
        raise Refused([Issue("PERIOD_INVALID", "统计期应为年度（2026）、季度（2026-Q2）或月份（2026-06）", "period")])

    def contains(self, d: dt.date | None) -> bool:
        return d is not None and self.start <= d <= self.end


@dataclass
class Report:
    period: str
    start: str
    end: str
    indicators: dict[str, int]
    age_bands: dict[str, dict[str, int]] = field(default_factory=dict)
    generated_at: str = ""

    def to_dict(self) -> dict:
        return {"period": self.period, "start": self.start, "end": self.end, "indicators": dict(self.indicators),
                "age_bands": {k: dict(v) for k, v in self.age_bands.items()}, "generated_at": self.generated_at}

    def to_rows(self) -> list[tuple[str, str, int]]:
        """(key, Chinese label, value) in the order of the report form; age bands as persons."""
        rows = [(key, label, self.indicators[key]) for key, label in INDICATORS]
        for key, label, _, _ in AGE_BANDS:
            band = self.age_bands[key]
            rows.append((f"age_{key}", f"结婚登记当事人年龄 {label}（人）", band["total"]))
            rows.append((f"age_{key}_male", "  其中男（人）", band["male"]))
            rows.append((f"age_{key}_female", "  其中女（人）", band["female"]))
        unknown = self.age_bands.get("unknown", {"total": 0})
        rows.append(("age_unknown", "结婚登记当事人年龄不详（人）", unknown["total"]))
        return rows

    def to_csv(self) -> str:
        """The report as CSV text (cells neutralised against formulas: services.csv_out)."""
        return csv_text([["统计期 period", self.period, f"{self.start} 至 {self.end}"],
                         ["指标代码 key", "指标 indicator", "数值 value"], *self.to_rows()])


class Statistics:
    def __init__(self, ctx: AppContext):
        self.ctx = ctx

    def report(self, period: str) -> Report:
        self.ctx.require(Permission.STATISTICS)
        p = Period.parse(period)
        with self.ctx.db.read() as s:
            indicators, bands = self._count(s, p)
        report = Report(p.label, p.start.isoformat(), p.end.isoformat(), indicators, bands,
                        self.ctx.clock.now().isoformat(timespec="seconds"))
        with self.ctx.db.write() as s:
            audit.record(self.ctx, s, "statistics.report", "statistics", p.label,
                         {"marriages": indicators["marriages"], "divorces": indicators["divorces"]})
        return report

    def _count(self, s: Session, p: Period) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
        out = {key: 0 for key, _ in INDICATORS}
        bands = {key: {"male": 0, "female": 0, "total": 0} for key, *_ in AGE_BANDS}
        bands["unknown"] = {"male": 0, "female": 0, "total": 0}
        current = Record.back_entered.is_(False)
        in_period = Record.registration_date.between(p.start, p.end)

        # marriages registered in the period, with their parties
        marriages: dict[int, list] = {}
        for rid, reg_date, sex, birth, id_type, id_number, pdata in s.execute(
            select(Record.id, Record.registration_date, Party.sex, Party.birth_date, Party.id_type,
                   Party.id_number, Party.data)
            .join(Party, Party.record_id == Record.id)
            .where(Record.kind == "marriage", Record.status.in_(MARRIED_STATES), in_period, current)
            .order_by(Record.id, Party.position)
        ):
            marriages.setdefault(rid, []).append((reg_date, sex, birth, id_type, id_number or "", pdata or {}))
        for parties in marriages.values():
            out["marriages"] += 1
            types = {t for _, _, _, t, _, _ in parties}
            if types == {"resident_id"}:
                out["marriages_mainland"] += 1
            foreign = bool(types & set(_FOREIGN))
            hk = any(_held(t, n, "H", "81") for _, _, _, t, n, _ in parties)
            macao = any(_held(t, n, "M", "82") for _, _, _, t, n, _ in parties)
            taiwan = any(t == "taiwan_permit" or _held(t, n, "", "83") for _, _, _, t, n, _ in parties)
            out["marriages_foreign"] += foreign
            out["marriages_hk"] += hk
            out["marriages_macao"] += macao
            out["marriages_taiwan"] += taiwan
            out["marriages_foreign_hmt"] += bool(foreign or hk or macao or taiwan)
            for reg_date, sex, birth, _, _, data in parties:
                prior = data.get("prior_status")
                if prior == "unmarried":
                    out["first_marriages"] += 1
                elif prior in ("divorced", "widowed"):
                    out["remarriages"] += 1
                sex_key = "male" if sex == "M" else "female" if sex == "F" else None
                band = "unknown"
                if birth and reg_date:
                    age = age_on(birth, reg_date)
                    band = next(key for key, _, lo, hi in AGE_BANDS if lo <= age < hi)
                bands[band]["total"] += 1
                if sex_key:
                    bands[band][sex_key] += 1

        out["divorces"] = self._n(s, select(Record.id).where(
            Record.kind == "divorce", Record.status == DivorceState.ISSUED, in_period, current))
        start_dt = dt.datetime.combine(p.start, dt.time(0), CHINA_TZ)
        end_dt = dt.datetime.combine(p.end + dt.timedelta(days=1), dt.time(0), CHINA_TZ)
        for status, key in ((DivorceState.WITHDRAWN, "divorce_withdrawn"), (DivorceState.EXPIRED, "divorce_expired")):
            # a handful of rows: compare Beijing dates in Python, whatever the database does with zones
            out[key] = sum(
                1 for (ts,) in s.execute(select(Record.updated_at).where(
                    Record.kind == "divorce", Record.status == status, current,
                    Record.updated_at >= start_dt - dt.timedelta(days=1),
                    Record.updated_at < end_dt + dt.timedelta(days=1)))
                if p.contains(_beijing_date(ts))
            )
        for cert_type, key in (("BJ", "reissues_marriage"), ("BL", "reissues_divorce")):
            out[key] = self._n(s, select(Certificate.id).where(
                Certificate.cert_type == cert_type, Certificate.issued_on.between(p.start, p.end),
                Certificate.status != CertificateState.VOIDED))
        out["reissues"] = out["reissues_marriage"] + out["reissues_divorce"]
        out["adoptions"] = self._n(s, select(Record.id).where(
            Record.kind == "adoption", Record.status.in_(tuple(AdoptionState)), in_period, current))
        for data, ts in s.execute(select(Record.data, Record.updated_at).where(
                Record.kind == "adoption", Record.status == AdoptionState.DISSOLVED, current)):
            when = None
            raw = (data or {}).get("dissolution_date")
            if raw:
                try:
                    when = dt.date.fromisoformat(str(raw))
                except ValueError:
                    when = None
            out["adoption_dissolutions"] += p.contains(when or _beijing_date(ts))
        return out, bands

    @staticmethod
    def _n(s: Session, stmt) -> int:
        return s.execute(select(func.count()).select_from(stmt.subquery())).scalar() or 0


def _beijing_date(ts: dt.datetime | None) -> dt.date | None:
    if ts is None:
        return None
    if ts.tzinfo is None:  # SQLite keeps the wall time the clock gave, which is Beijing time
        return ts.date()
    return ts.astimezone(CHINA_TZ).date()
