"""Record search for the counter's search box.

One box, several kinds of query, each answered through an index:

    18-character resident ID   -> parties.id_number equality           (ix_parties_id_number)
    15-digit first-generation  -> converted to 18 characters, then as above
    4-6 characters of a tail   -> parties.id_tail (last 6 characters): equality for 6, suffix otherwise
                                  (a scan of the narrow covering index, never of the table)
    certificate number         -> records.certificate_no, and certificates.number for reissued ones
                                  (also an old free-text number of a back-entered record: 玄婚字第0123号)
    Chinese characters         -> name prefix                           (ix_parties_name_date)
    ASCII letters              -> pinyin initials prefix                (ix_parties_initials_date)

A name (or initials) query lists hits by name, then newest registration first: the exact name before
the longer names it begins (王伟 before 王伟民), which is what the clerk typing a full name wants. That
is also the order of the (name, registration date, record id) index, so a page is read from the index
alone, however common the name: the party row keeps a copy of its record's registration date for this
(revision 0004). Other queries find a handful of records and list them newest first.

Hits are plain dataclasses with masked ID numbers; opening a record (audited separately) shows the full
data. Every search is audited once, without the ID number in clear.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass, field

from sqlalchemy import Select, and_, func, select, union
from sqlalchemy.orm import Session

from registry_app.domain.ids import check_character, mask_id
from registry_app.domain.roles import Permission
from registry_app.errors import Issue, Refused
from registry_app.services import audit
from registry_app.services.context import AppContext
from registry_app.storage.models import Certificate, Party, Record

MAX_LIMIT = 200
# Counting stops here: the box shows "1000+" rather than counting a whole common surname.
COUNT_CAP = 1000

_ID18 = re.compile(r"^\d{17}[\dX]$")
_ID15 = re.compile(r"^\d{15}$")
_TAIL = re.compile(r"^(\d{4,6}|\d{5}X)$")
_CERT = re.compile(r"^(BJ|BL|SY|JC|J|L)\d{6}(-\d{4}(-\d{1,6})?)?$")
_INITIALS = re.compile(r"^[a-z]{1,16}$")
_HAN = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f·•]{1,40}$")

_OLD_NUMBER = re.compile(r"^(?=.*[\u4e00-\u9fff])(?=.*\d)[\u4e00-\u9fff\w()（）〔〕\[\]-]+$")

QUERY_KINDS = ("id_number", "id_tail", "certificate_no", "name", "initials")


@dataclass(frozen=True)
class ParsedQuery:
    kind: str
    value: str

    @property
    def audit_text(self) -> str:
        """What the audit trail keeps: a full ID number only in masked form."""
        return mask_id(self.value) if self.kind == "id_number" else self.value


def upgrade_15(number: str) -> str:
    """A first-generation 15-digit number as its 18-character form (century 19, GB 11643 check)."""
    first17 = number[:6] + "19" + number[6:]
    return first17 + check_character(first17)


def parse_query(raw: str) -> ParsedQuery:
    """Say what the clerk typed. Raises Refused (QUERY_EMPTY / QUERY_UNRECOGNISED)."""
    q = re.sub(r"\s+", "", raw or "")
    if not q:
        raise Refused([Issue("QUERY_EMPTY", "请输入姓名、拼音首字母、证件号码（或后4至6位）或证书字号", "query")])
    upper = q.upper()
    if _ID18.match(upper):
        return ParsedQuery("id_number", upper)
    if _ID15.match(upper):
        return ParsedQuery("id_number", upgrade_15(upper))
    if _TAIL.match(upper):
        return ParsedQuery("id_tail", upper)
    if _CERT.match(upper):
        return ParsedQuery("certificate_no", upper)
    if _INITIALS.match(q.lower()) and q.isascii():
        return ParsedQuery("initials", q.lower())
    if _HAN.match(q):
        return ParsedQuery("name", q)
    if len(q) <= 32 and _OLD_NUMBER.match(q):
        return ParsedQuery("certificate_no", q)  # an old free-text number such as 玄婚字第0123号
    raise Refused([Issue("QUERY_UNRECOGNISED",
                         "无法识别查询内容：可输入中文姓名（前几个字）、拼音首字母、18位身份证号码、"
                         "证件号码后4至6位或证书字号", "query")])


@dataclass
class Hit:
    record_id: int
    kind: str
    status: str
    certificate_no: str | None
    registration_date: str | None
    parties: list[dict] = field(default_factory=list)
    back_entered: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class SearchPage:
    hits: list[Hit]
    total_estimate: int
    has_more: bool
    query_kind: str = ""

    def to_dict(self) -> dict:
        return {"hits": [h.to_dict() for h in self.hits], "total_estimate": self.total_estimate,
                "has_more": self.has_more, "query_kind": self.query_kind}


def _prefix_upper_bound(prefix: str) -> str:
    """The smallest string greater than every string starting with `prefix` (code-point order)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


class RecordSearch:
    def __init__(self, ctx: AppContext):
        self.ctx = ctx

    # --- candidate record ids, each through an index ------------------------------------------------
    def _prefix(self, session: Session, column, prefix: str):
        if session.get_bind().dialect.name == "sqlite":
            # SQLite's LIKE is case-insensitive and cannot use a BINARY index; a range can.
            return and_(column >= prefix, column < _prefix_upper_bound(prefix))
        return column.like(prefix + "%")

    def _candidates(self, q: ParsedQuery) -> Select:
        if q.kind == "id_number":
            return select(Party.record_id).where(Party.id_number == q.value)
        if q.kind == "id_tail":
            if len(q.value) == 6:
                return select(Party.record_id).where(Party.id_tail == q.value)
            # A suffix of the tail: only the narrow index (id_tail, rowid) is scanned, then rows by rowid.
            ids = select(Party.id).where(Party.id_tail.like("%" + q.value))
            return select(Party.record_id).where(Party.id.in_(ids))
        return union(
            select(Record.id.label("record_id")).where(Record.certificate_no == q.value),
            select(Certificate.record_id).where(Certificate.number == q.value),
        )

    def _statement(self, q: ParsedQuery, kind, status, date_from, date_to) -> Select:
        cand = self._candidates(q).subquery()
        stmt = select(Record).where(Record.id.in_(select(cand.c.record_id)))
        # The filters are written so that no index can serve them: the planner then starts from the
        # few candidate ids instead of walking, say, every marriage through ix_records_kind_status.
        if kind:
            stmt = stmt.where(Record.kind.concat("") == kind)
        if status:
            stmt = stmt.where(Record.status.concat("") == status)
        reg = func.coalesce(Record.registration_date, Record.registration_date)
        if date_from:
            stmt = stmt.where(reg >= date_from)
        if date_to:
            stmt = stmt.where(reg <= date_to)
        return stmt

    def _name_statement(self, session: Session, q: ParsedQuery, kind, status, date_from, date_to) -> Select:
        """Parties whose name (or initials) begins with the query, in index order: name, then newest."""
        column = Party.name if q.kind == "name" else Party.name_initials
        stmt = select(Party.record_id).where(self._prefix(session, column, q.value))
        if date_from:
            stmt = stmt.where(Party.registration_date >= date_from)
        if date_to:
            stmt = stmt.where(Party.registration_date <= date_to)
        if kind or status:  # checked on each party's record as the walk goes (no index on records may lead)
            stmt = stmt.join(Record, Record.id == Party.record_id)
            if kind:
                stmt = stmt.where(Record.kind.concat("") == kind)
            if status:
                stmt = stmt.where(Record.status.concat("") == status)
        return stmt.order_by(column, Party.registration_date.desc().nulls_last(), Party.record_id.desc())

    def _name_page(self, session: Session, stmt: Select, limit: int, offset: int) -> tuple[list[int], bool]:
        """Distinct record ids for one page, walking the index in order (a record two of whose parties
        match, such as a couple with the same initials, is listed once)."""
        want = offset + limit + 1
        seen: dict[int, None] = {}
        fetched, chunk = 0, want * 2
        while len(seen) < want:
            rows = session.execute(stmt.limit(chunk).offset(fetched)).scalars().all()
            for rid in rows:
                seen.setdefault(rid, None)
            fetched += len(rows)
            if len(rows) < chunk:
                break
            chunk *= 2
        ids = list(seen)
        return ids[offset:offset + limit], len(ids) > offset + limit

    def _name_total(self, session: Session, stmt: Select) -> int:
        capped = stmt.order_by(None).limit(COUNT_CAP * 2).subquery()
        counted = session.execute(select(func.count(func.distinct(capped.c.record_id)))).scalar() or 0
        return min(counted, COUNT_CAP)

    @staticmethod
    def _ordered(stmt: Select) -> Select:
        """Newest registration first; open applications (no date yet) last."""
        return stmt.order_by(Record.registration_date.desc().nulls_last(), Record.id.desc())

    def explain(self, query: str, **filters) -> list[str]:
        """SQLite's query plan for a search (for tests and the benchmark): one line per step."""
        q = parse_query(query)
        with self.ctx.db.read() as s:
            args = (filters.get("kind"), filters.get("status"), filters.get("date_from"), filters.get("date_to"))
            if q.kind in ("name", "initials"):
                stmt = self._name_statement(s, q, *args).limit(42)
            else:
                stmt = self._ordered(self._statement(q, *args)).limit(21)
            compiled = stmt.compile(s.get_bind(), compile_kwargs={"literal_binds": True})
            return [row[-1] for row in s.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}")]

    # --- the search ---------------------------------------------------------------------------------
    def search(self, query: str, *, kind: str | None = None, status: str | None = None,
               date_from: dt.date | None = None, date_to: dt.date | None = None, limit: int = 20,
               offset: int = 0) -> SearchPage:
        self.ctx.require(Permission.SEARCH)
        q = parse_query(query)
        if not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
            raise Refused([Issue("LIMIT_INVALID", f"每页条数应为1至{MAX_LIMIT}", "limit")])
        if not isinstance(offset, int) or offset < 0:
            raise Refused([Issue("OFFSET_INVALID", "起始位置不能为负数", "offset")])
        if date_from and date_to and date_from > date_to:
            raise Refused([Issue("DATE_RANGE_INVALID", "起始日期晚于截止日期", "date_from")])
        with self.ctx.db.read() as s:
            if q.kind in ("name", "initials"):
                walk = self._name_statement(s, q, kind, status, date_from, date_to)
                ids, has_more = self._name_page(s, walk, limit, offset)
                by_id = {r.id: r for r in s.execute(select(Record).where(Record.id.in_(ids))).scalars()} if ids else {}
                rows = [by_id[i] for i in ids]
                total = len(rows) if offset == 0 and not has_more else max(self._name_total(s, walk),
                                                                            offset + len(rows))
            else:
                base = self._statement(q, kind, status, date_from, date_to)
                rows = s.execute(self._ordered(base).limit(limit + 1).offset(offset)).scalars().all()
                has_more = len(rows) > limit
                rows = rows[:limit]
                if offset == 0 and not has_more:
                    total = len(rows)
                else:
                    capped = base.with_only_columns(Record.id).limit(COUNT_CAP).subquery()
                    total = s.execute(select(func.count()).select_from(capped)).scalar() or 0
                    total = max(total, offset + len(rows))
            parties: dict[int, list[Party]] = {}
            if rows:
                for p in s.execute(
                    select(Party).where(Party.record_id.in_([r.id for r in rows]))
                    .order_by(Party.record_id, Party.position)
                ).scalars():
                    parties.setdefault(p.record_id, []).append(p)
            hits = [
                Hit(record_id=r.id, kind=r.kind, status=r.status, certificate_no=r.certificate_no,
                    registration_date=r.registration_date.isoformat() if r.registration_date else None,
                    parties=[{"name": p.name, "role": p.role, "id_number_masked": mask_id(p.id_number)}
                             for p in parties.get(r.id, [])],
                    back_entered=bool(r.back_entered))
                for r in rows
            ]
        with self.ctx.db.write() as s:
            detail = {"query_kind": q.kind, "query": q.audit_text, "hits": len(hits), "offset": offset}
            for key, value in (("kind", kind), ("status", status), ("date_from", date_from), ("date_to", date_to)):
                if value:
                    detail[key] = value.isoformat() if isinstance(value, dt.date) else value
            audit.record(self.ctx, s, "record.search", "search", q.kind, detail)
        return SearchPage(hits=hits, total_estimate=total, has_more=has_more, query_kind=q.kind)


__all__ = ["Hit", "RecordSearch", "SearchPage", "QUERY_KINDS", "mask_id", "parse_query", "upgrade_15"]
