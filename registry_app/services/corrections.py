"""Corrections to a record (更正): a clerk proposes, a supervisor (not the proposer) decides.

A change names a path from an allow-list and the new value; the proposal stores the old value next to
it, so the `corrections` table is the record's history of changes. New values pass the same field rules
as the counter (person_issues for party fields): a correction may not introduce a problem the record
did not have. Approval applies every change in one transaction, after checking that the record still
holds the old values (two proposals on the same field cannot silently overwrite each other), and, when
the record has ever produced a sync event, appends a "record.corrected" event for the province.

Versioned (services/versions.py): a proposal is made against the record as the clerk saw it (`version`)
and keeps that version; approving claims the record at it, so a proposal the record has moved past since
(another correction approved, a judgment annotated) is refused with RECORD_CHANGED and stays proposed —
the supervisor rejects it and the clerk proposes again against what the record now says.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry_app.domain.field_rules import normalise_id, structure_issues, text_issues, valid_record_id
from registry_app.domain.parties import person_issues
from registry_app.domain.roles import Permission
from registry_app.domain.states import CorrectionState
from registry_app.errors import InvalidState, Issue, NotFound, RecordChanged, Refused
from registry_app.services import audit, versions
from registry_app.services.context import AppContext
from registry_app.services.events import append_event
from registry_app.services.people import initials, party_to_input
from registry_app.services.transitions import move
from registry_app.storage.models import Certificate, Correction, Party, Record, RecordEvent, User

PARTY_FIELDS = ("name", "sex", "birth_date", "id_type", "id_number", "nationality", "ethnicity", "occupation",
                "education", "residence", "phone", "prior_status")
DATA_FIELDS = {"remarks": 500, "office_name": 64}
# Only a back-entered record's own registration facts may be corrected here; a number this office
# issued is changed by voiding and reissuing, never by editing.
BACK_ENTERED_FIELDS = ("registration_date", "certificate_no", "archive_no")
ARCHIVE_NO_LIMIT = 64
EARLIEST_DATE = dt.date(1949, 10, 1)

_PARTY_PATH = re.compile(r"^parties\.(\d{1,2})\.([a-z_]+)$")
_DATA_PATH = re.compile(r"^data\.([a-z_]+)$")


@dataclass
class CorrectionView:
    id: int
    record_id: int
    status: str
    status_zh: str
    changes: list[dict]
    reason: str
    evidence: str
    proposed_by: str
    proposed_at: str
    decided_by: str | None
    decided_at: str | None
    decision_note: str
    record_version: int | None = None   # the record's version the proposal was made against

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def of(cls, c: Correction) -> "CorrectionView":
        return cls(c.id, c.record_id, c.status, CorrectionState.label(c.status), list(c.changes), c.reason,
                   c.evidence or "", c.proposed_by, c.proposed_at.isoformat(), c.decided_by,
                   c.decided_at.isoformat() if c.decided_at else None, c.decision_note or "", c.record_version)


def _jsonable(value):
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value


class Corrections:
    def __init__(self, ctx: AppContext):
        self.ctx = ctx

    # --- reading and writing a path ----------------------------------------------------------------
    @staticmethod
    def _party(rec: Record, position: int) -> Party | None:
        return next((p for p in rec.parties if p.position == position), None)

    def _current(self, rec: Record, path: str):
        m = _PARTY_PATH.match(path)
        if m:
            party = self._party(rec, int(m[1]))
            field = m[2]
            if field in ("ethnicity", "occupation", "education", "residence", "phone", "prior_status"):
                return (party.data or {}).get(field, "")
            return _jsonable(getattr(party, field))
        m = _DATA_PATH.match(path)
        if m:
            return (rec.data or {}).get(m[1], "")
        return _jsonable(getattr(rec, path))

    def _path_issue(self, rec: Record, path) -> Issue | None:
        if not isinstance(path, str):
            return Issue("CORRECTION_PATH_INVALID", "更正项目应为字符串", "changes")
        m = _PARTY_PATH.match(path)
        if m:
            if m[2] not in PARTY_FIELDS:
                return Issue("CORRECTION_PATH_NOT_ALLOWED", f"不允许更正的项目：{path}", path)
            if self._party(rec, int(m[1])) is None:
                return Issue("CORRECTION_PARTY_NOT_FOUND", f"该记录没有第{m[1]}位当事人", path)
            return None
        m = _DATA_PATH.match(path)
        if m:
            return None if m[1] in DATA_FIELDS else Issue("CORRECTION_PATH_NOT_ALLOWED", f"不允许更正的项目：{path}", path)
        if path in BACK_ENTERED_FIELDS:
            if not rec.back_entered:
                return Issue("CORRECTION_PATH_NOT_ALLOWED",
                             "本机关发放的证书字号和登记日期不能直接更正（须作废后补发）", path)
            return None
        return Issue("CORRECTION_PATH_NOT_ALLOWED", f"不允许更正的项目：{path}", path)

    # --- validation ----------------------------------------------------------------------------------
    def _validate(self, s: Session, rec: Record, changes: list[dict]) -> list[Issue]:
        """Issues the changes would introduce (new values checked with the counter's field rules)."""
        today = self.ctx.clock.today()
        issues: list[Issue] = []
        by_party: dict[int, dict[str, object]] = {}
        for ch in changes:
            path, new = ch["path"], ch["new"]
            m = _PARTY_PATH.match(path)
            if m:
                by_party.setdefault(int(m[1]), {})[m[2]] = new
                continue
            m = _DATA_PATH.match(path)
            if m:
                limit = DATA_FIELDS[m[1]]
                if not isinstance(new, str) or len(new) > limit:
                    issues.append(Issue("CORRECTION_VALUE_INVALID", f"应为不超过{limit}个字符的文字", path))
            elif path == "archive_no":
                if not isinstance(new, str) or len(new) > ARCHIVE_NO_LIMIT:
                    issues.append(Issue("CORRECTION_VALUE_INVALID", f"应为不超过{ARCHIVE_NO_LIMIT}个字符的文字", path))
                elif not new.strip():
                    issues.append(Issue("ARCHIVE_NO_REQUIRED", "档案号不能为空", path))
            elif path == "registration_date":
                try:
                    date = dt.date.fromisoformat(str(new))
                except ValueError:
                    issues.append(Issue("DATE_INVALID", "登记日期格式应为YYYY-MM-DD", path))
                    continue
                if date > today:
                    issues.append(Issue("REGISTRATION_DATE_FUTURE", "登记日期晚于今天", path))
                elif date < EARLIEST_DATE:
                    issues.append(Issue("REGISTRATION_DATE_TOO_EARLY", "登记日期早于1949年10月1日", path))
            elif path == "certificate_no":
                if new is not None and (not isinstance(new, str) or len(new) > 32):
                    issues.append(Issue("CORRECTION_VALUE_INVALID", "证书字号不超过32个字符", path))
                elif new and (
                    s.execute(select(Record.id).where(Record.certificate_no == new, Record.id != rec.id)).first()
                    or s.execute(select(Certificate.id).where(Certificate.number == new)).first()
                ):
                    issues.append(Issue("CERTIFICATE_NO_EXISTS", "该证书字号已被其他记录使用", path))
        for position, fields in by_party.items():
            party = self._party(rec, position)
            before = party_to_input(party)
            after = party_to_input(party)
            prefix = f"parties.{position}"
            for field, new in fields.items():
                if field == "birth_date":
                    if new in (None, ""):
                        after.birth_date = None
                        continue
                    try:
                        after.birth_date = dt.date.fromisoformat(str(new))
                    except ValueError:
                        issues.append(Issue("BIRTH_DATE_INVALID", "出生日期格式应为YYYY-MM-DD", f"{prefix}.birth_date"))
                        after.birth_date = before.birth_date
                    continue
                if not isinstance(new, str):
                    issues.append(Issue("CORRECTION_VALUE_INVALID", "应为文字", f"{prefix}.{field}"))
                    continue
                value = new.strip()
                if field in ("sex", "id_number"):
                    value = value.upper()
                setattr(after, field, value)
            require_id = not rec.back_entered
            # A record may hold old gaps (an archive without a birth date); refuse only what is new.
            old = {(i.code, i.field) for i in person_issues(before, prefix, today, require_id)}
            for issue in person_issues(after, prefix, today, require_id):
                if (issue.code, issue.field) not in old:
                    issues.append(issue)
            if "id_number" in fields and after.id_number:
                other = s.execute(select(Party.id).where(Party.record_id == rec.id, Party.position != position,
                                                         Party.id_number == after.id_number)).first()
                if other:
                    issues.append(Issue("SAME_PERSON", "与本记录另一当事人的证件号码相同", f"{prefix}.id_number"))
        return issues

    def _normalised(self, rec: Record, changes) -> list[dict]:
        if not isinstance(changes, list) or not changes:
            raise Refused([Issue("CORRECTION_EMPTY", "请至少填写一项更正", "changes")])
        issues: list[Issue] = []
        out: list[dict] = []
        seen: set[str] = set()
        for ch in changes:
            if not isinstance(ch, dict) or "path" not in ch or "new" not in ch:
                issues.append(Issue("CORRECTION_MALFORMED", "每项更正须含 path 和 new", "changes"))
                continue
            path = ch["path"]
            bad = self._path_issue(rec, path)
            if bad:
                issues.append(bad)
                continue
            if path in seen:
                issues.append(Issue("CORRECTION_PATH_DUPLICATE", f"同一项目重复：{path}", path))
                continue
            seen.add(path)
            new = ch["new"]
            if isinstance(new, str):
                new = normalise_id(new) if path.endswith(".id_number") else new.strip()
                if path.endswith(".sex"):
                    new = new.upper()
            bad = structure_issues(new, path)  # lengths and characters by the field's rule
            if bad:
                issues += bad
                continue
            new = _jsonable(new)
            old = self._current(rec, path)
            if old == new or (old in (None, "") and new in (None, "")):
                issues.append(Issue("CORRECTION_NO_CHANGE", f"新值与原值相同：{path}", path))
                continue
            out.append({"path": path, "old": old, "new": new})
        if issues:
            raise Refused(issues)
        return out

    # --- applying ------------------------------------------------------------------------------------
    def _apply(self, rec: Record, changes: list[dict]) -> None:
        data = dict(rec.data or {})
        party_data: dict[int, dict] = {}
        for ch in changes:
            path, new = ch["path"], ch["new"]
            m = _PARTY_PATH.match(path)
            if m:
                party = self._party(rec, int(m[1]))
                field = m[2]
                if field in ("ethnicity", "occupation", "education", "residence", "phone", "prior_status"):
                    pd = party_data.setdefault(party.position, dict(party.data or {}))
                    if new:
                        pd[field] = new
                    else:
                        pd.pop(field, None)
                elif field == "birth_date":
                    party.birth_date = dt.date.fromisoformat(new) if new else None
                elif field == "name":
                    party.name = new
                    party.name_initials = initials(new)
                elif field == "id_number":
                    party.id_number = new or None
                    party.id_tail = new[-6:] if new else None
                elif field == "sex":
                    party.sex = new or None
                else:
                    setattr(party, field, new)
                continue
            m = _DATA_PATH.match(path)
            if m:
                if new:
                    data[m[1]] = new
                else:
                    data.pop(m[1], None)
            elif path == "registration_date":
                rec.registration_date = dt.date.fromisoformat(new)
            elif path == "certificate_no":
                rec.certificate_no = new or None
            elif path == "archive_no":
                rec.archive_no = new.strip()
        for position, pd in party_data.items():
            self._party(rec, position).data = pd
        rec.data = data
        rec.updated_at = self.ctx.clock.now()

    # --- the workflow --------------------------------------------------------------------------------
    def propose(self, record_id: int, changes: list[dict], reason: str, evidence: str = "", *,
                version: int | None = None) -> int:
        """Propose `changes` to the record as the clerk saw it at `version` (None: as it is now); refused
        with RECORD_CHANGED when the record has changed since. The record itself is not changed."""
        user = self.ctx.require(Permission.PROPOSE_CORRECTION)
        versions.checked_version(version)
        if not isinstance(reason, str) or not reason.strip():
            raise Refused([Issue("REASON_REQUIRED", "请填写更正原因", "reason")])
        if not isinstance(evidence, str):
            evidence = ""
        if bad := text_issues(reason, "reason") + text_issues(evidence, "evidence"):
            raise Refused(bad)
        with self.ctx.db.write() as s:
            rec = self._record(s, record_id)
            versions.expect(s, rec, version)
            normalised = self._normalised(rec, changes)
            issues = self._validate(s, rec, normalised)
            if issues:
                raise Refused(issues)
            c = Correction(record_id=rec.id, changes=normalised, reason=reason.strip(), evidence=(evidence or "").strip(),
                           status=CorrectionState.PROPOSED, proposed_by=user.username, proposed_at=self.ctx.clock.now(),
                           record_version=rec.version)
            s.add(c)
            s.flush()
            audit.record(self.ctx, s, "correction.proposed", "correction", c.id,
                         {"record_id": rec.id, "paths": [ch["path"] for ch in normalised]}, reason=reason.strip())
            return c.id

    def approve(self, correction_id: int, note: str = "") -> CorrectionView:
        user = self.ctx.require(Permission.APPROVE_CORRECTION)
        with self.ctx.db.write() as s:
            c = self._open(s, correction_id, user.username)
            rec = self._record(s, c.record_id)
            try:  # the record as the proposal saw it (None: proposed before versions, the old values decide)
                versions.claim(self.ctx, s, rec, c.record_version)
            except RecordChanged:
                s.refresh(c)
                self._undecided(s, c)      # another supervisor decided it meanwhile: say who
                raise self._moved_on(s, rec) from None
            stale = [ch["path"] for ch in c.changes if self._current(rec, ch["path"]) != ch["old"]]
            if stale:
                raise InvalidState(f"记录在提出更正后已被改动（{'、'.join(stale)}），请重新提出更正",
                                   code="CORRECTION_STALE")
            issues = self._validate(s, rec, c.changes)
            if issues:
                raise Refused(issues)
            self._apply(rec, c.changes)
            move(self.ctx, s, c, CorrectionState.APPROVED)  # stamps decided_at; audited below
            c.decided_by = user.username
            c.decision_note = (note or "").strip()
            s.flush()
            audit.record(self.ctx, s, "correction.approved", "correction", c.id,
                         {"record_id": rec.id, "paths": [ch["path"] for ch in c.changes]}, reason=c.decision_note)
            has_events = s.execute(select(RecordEvent.seq).where(RecordEvent.record_id == rec.id).limit(1)).first()
            if has_events:
                append_event(self.ctx, s, "record.corrected", rec.id, {
                    "record_uid": rec.uid, "kind": rec.kind, "certificate_no": rec.certificate_no,
                    "correction_id": c.id, "changes": list(c.changes), "approved_by": user.username,
                })
            return CorrectionView.of(c)

    def reject(self, correction_id: int, note: str) -> CorrectionView:
        user = self.ctx.require(Permission.APPROVE_CORRECTION)
        if not (note or "").strip():
            raise Refused([Issue("NOTE_REQUIRED", "驳回须说明理由", "note")])
        with self.ctx.db.write() as s:
            c = self._open(s, correction_id, user.username)
            move(self.ctx, s, c, CorrectionState.REJECTED)  # stamps decided_at; audited below
            c.decided_by = user.username
            c.decision_note = note.strip()
            s.flush()
            audit.record(self.ctx, s, "correction.rejected", "correction", c.id, {"record_id": c.record_id},
                         reason=c.decision_note)
            return CorrectionView.of(c)

    def history(self, record_id: int) -> list[CorrectionView]:
        """Every correction of a record, oldest first: old and new values, who proposed and who decided."""
        self.ctx.require(Permission.VIEW_RECORD)
        with self.ctx.db.read() as s:
            self._record(s, record_id)
            rows = s.execute(select(Correction).where(Correction.record_id == record_id)
                             .order_by(Correction.id)).scalars().all()
            return [CorrectionView.of(c) for c in rows]

    def pending(self) -> list[CorrectionView]:
        """The supervisor's list of proposals waiting for a decision."""
        self.ctx.require(Permission.APPROVE_CORRECTION)
        with self.ctx.db.read() as s:
            rows = s.execute(select(Correction).where(Correction.status == CorrectionState.PROPOSED)
                             .order_by(Correction.id)).scalars().all()
            return [CorrectionView.of(c) for c in rows]

    # --- helpers -------------------------------------------------------------------------------------
    @staticmethod
    def _record(s: Session, record_id: int) -> Record:
        rec = s.get(Record, record_id) if valid_record_id(record_id) else None
        if rec is None:
            raise NotFound(f"登记记录不存在：{record_id}", code="RECORD_NOT_FOUND")
        return rec

    @classmethod
    def _open(cls, s: Session, correction_id: int, username: str) -> Correction:
        # locked (PostgreSQL) so two supervisors deciding at once are taken one after the other
        c = s.get(Correction, correction_id, with_for_update=True) if valid_record_id(correction_id) else None
        if c is None:
            raise NotFound(f"更正申请不存在：{correction_id}", code="CORRECTION_NOT_FOUND")
        cls._undecided(s, c)
        if c.proposed_by == username:
            raise Refused([Issue("SELF_APPROVAL", "不能审批本人提出的更正", "decided_by")])
        return c

    @staticmethod
    def _undecided(s: Session, c: Correction) -> None:
        """CORRECTION_DECIDED, naming who decided it and when, unless `c` is still proposed."""
        if c.status == CorrectionState.PROPOSED:
            return
        who = _staff_name(s, c.decided_by)
        when = f" 于 {versions.local_time(c.decided_at):%Y-%m-%d %H:%M}" if c.decided_at else ""
        raise InvalidState(f"该更正申请已由 {who}{when}{CorrectionState.label(c.status).removeprefix('已')}，"
                           "不能再审批", code="CORRECTION_DECIDED")

    @staticmethod
    def _moved_on(s: Session, rec: Record) -> RecordChanged:
        """RECORD_CHANGED for a proposal the record has moved past: who changed the record and when."""
        who, when = versions.last_change(s, rec)
        at = f" 于 {versions.local_time(when):%Y-%m-%d %H:%M}" if when else ""
        return RecordChanged(f"该更正申请提出后，记录已由 {_staff_name(s, who)}{at}修改，不能按提出时的内容批准，"
                             "未作任何改动；请驳回后重新提出", code=versions.CODE)


def _staff_name(s: Session, username: str | None) -> str:
    """A member of staff as the office knows them (张主任), not by login name."""
    if not username:
        return "其他工作人员"
    return s.execute(select(User.display_name).where(User.username == username)).scalar() or username
