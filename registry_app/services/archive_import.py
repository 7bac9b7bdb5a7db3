"""Keying in historical paper archives (历史档案补录) from a CSV file.

The file format is documented in resources/examples/ARCHIVE_CSV.md. Every row is checked; good rows
become back-entered records (Record.back_entered = True) that count in the marital-status check like any
other; refused rows go to a CSV report (UTF-8 with BOM, so Excel opens it) with the row number, the
codes and the reasons in Chinese, followed by the row as the clerk typed it, so the report can be
corrected and imported again as it is (extra columns are ignored).

The whole import is one transaction: a cancelled or failing import leaves nothing behind. Rows are
written in chunks with multi-row INSERTs (not one ORM object at a time) to keep large archives fast.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import unicodedata
import uuid
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterator

from pypinyin.phrases_dict import phrases_dict
from pypinyin.pinyin_dict import pinyin_dict
from sqlalchemy import func, insert, select, text, update
from sqlalchemy.orm import Session

from registry_app.domain.field_rules import normalise_id, text_issues
from registry_app.domain.ids import IdType, InvalidIdNumber, age_on, parse_resident_id
from registry_app.domain.parties import PersonInput, person_issues
from registry_app.domain.roles import Permission
from registry_app.domain.states import DivorceState, MarriageState
from registry_app.fsutil import write_atomic
from registry_app.errors import Issue, Refused, StorageError
from registry_app.operations import NEVER_CANCELLED, NO_PROGRESS, IsCancelled, Progress, stop_if
from registry_app.services import audit, record_seals
from registry_app.services.context import AppContext
from registry_app.services.csv_out import csv_bytes, unquote_cell
from registry_app.services.people import initials
from registry_app.services.search import upgrade_15
from registry_app.services.settings import load_settings
from registry_app.storage.bulk import SharedData, insert_rows
from registry_app.storage.models import Certificate, Party, Record

RECORD_TYPES = {"marriage": "marriage", "divorce": "divorce", "结婚": "marriage", "离婚": "divorce"}
PARTY_FIELDS = ("name", "sex", "birth_date", "id_number")
COLUMNS = (
    "record_type", "registration_date", "certificate_no",
    *(f"party1_{f}" for f in PARTY_FIELDS), *(f"party2_{f}" for f in PARTY_FIELDS),
    "archive_no", "office_name", "remarks",
)
REQUIRED_COLUMNS = ("record_type", "registration_date", "party1_name", "party2_name", "archive_no")
# The People's Republic's registrations: nothing earlier is keyed in through this import.
EARLIEST_DATE = dt.date(1949, 10, 1)
# Younger than this on the registration date can only be a typing error.
MIN_PLAUSIBLE_AGE = 16
# Columns checked by their field rule (domain.field_rules) beyond the party fields person_issues checks.
CHECKED_COLUMNS = ("record_type", "registration_date", "certificate_no", "archive_no", "office_name", "remarks",
                   "party1_sex", "party1_birth_date", "party2_sex", "party2_birth_date")
CHUNK = 2000

REPORT_HEADER = ("行号 row", "错误代码 code", "原因 reason")

_SEX = {"M": "M", "F": "F", "男": "M", "女": "F", "MALE": "M", "FEMALE": "F"}
_DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


# --- the file ---------------------------------------------------------------------------------------

def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM); failing that GB18030, which is what Excel saves on Chinese Windows."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError:
            raise Refused([Issue("FILE_ENCODING", "文件编码无法识别，请另存为UTF-8编码的CSV文件", "file")]) from None


def read_rows(text: str) -> tuple[list[str], Iterator[tuple[int, dict]]]:
    """The header and the data rows as (row number as Excel shows it, {column: value}).
    Unknown columns are ignored; a missing required column refuses the whole file."""
    if text.startswith("\ufeff"):
        text = text[1:]
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise Refused([Issue("HEADER_MISSING", "文件为空，缺少表头行", "file")]) from None
    except csv.Error as exc:
        raise Refused([Issue("FILE_MALFORMED", f"CSV格式错误：{exc}", "file")]) from None
    names = [h.strip().lstrip("\ufeff") for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        raise Refused([Issue("HEADER_MISSING", f"表头缺少必需的列：{'、'.join(missing)}", "file")])
    index = {c: names.index(c) for c in COLUMNS if c in names}

    def rows() -> Iterator[tuple[int, dict]]:
        row_no = 1
        while True:
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise Refused([Issue("FILE_MALFORMED", f"第{row_no + 1}行CSV格式错误：{exc}", "file")]) from None
            row_no += 1
            if not any(v.strip() for v in values):
                continue
            # unquote_cell: a refused-rows report (formula cells quoted) can be corrected and imported again
            yield row_no, {c: (unquote_cell(values[i].strip()) if i < len(values) else "") for c, i in index.items()}

    return header, rows()


def parse_date(raw: str) -> dt.date | None:
    """YYYY-MM-DD, YYYY/M/D, YYYY.M.D, YYYY年M月D日 or YYYYMMDD; None when it is none of them."""
    for pattern in _DATE_PATTERNS:
        m = pattern.match(raw)
        if m:
            try:
                return dt.date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                return None
    return None


@dataclass
class ArchiveRow:
    row_no: int
    record_type: str
    registration_date: dt.date
    certificate_no: str | None
    party1: PersonInput
    party2: PersonInput
    archive_no: str
    office_name: str = ""
    remarks: str = ""

    def pair(self) -> frozenset[str] | None:
        if self.party1.id_number and self.party2.id_number:
            return frozenset((self.party1.id_number, self.party2.id_number))
        return None


def _party(raw: dict, prefix: str, today: dt.date, issues: list[Issue]) -> PersonInput:
    number = normalise_id(raw.get(f"{prefix}_id_number", ""))
    if re.fullmatch(r"[0-9]{15}", number):
        number = upgrade_15(number)  # first-generation card: same person, 18-character form
    sex_raw = raw.get(f"{prefix}_sex", "")
    sex = _SEX.get(sex_raw.upper(), "?" if sex_raw else "")
    birth_raw = raw.get(f"{prefix}_birth_date", "")
    birth = parse_date(birth_raw) if birth_raw else None
    if birth_raw and birth is None:
        issues.append(Issue("BIRTH_DATE_INVALID", "出生日期无效（格式应为YYYY-MM-DD）", f"{prefix}.birth_date"))
    if number and not sex:
        try:
            sex = parse_resident_id(number).sex.value  # the card says it; the row may leave it out
        except InvalidIdNumber:
            pass
    person = PersonInput(name=raw.get(f"{prefix}_name", ""), sex=sex, birth_date=birth,
                         id_type=IdType.RESIDENT.value if number else IdType.NONE.value, id_number=number,
                         prior_status="unmarried")
    found = person_issues(person, prefix, today, require_id=False)
    for issue in found:
        if issue.code == "BIRTH_DATE_REQUIRED":
            continue  # old archives often have no birth date; it is optional here
        issues.append(issue)
    person.prior_status = ""  # not known from the archive: stored as absent, never guessed
    return person


def parse_row(raw: dict, row_no: int, today: dt.date) -> tuple[ArchiveRow | None, list[Issue]]:
    """Check one row with the same field rules as the counter. Never raises on bad data."""
    issues: list[Issue] = [i for key in CHECKED_COLUMNS for i in text_issues(raw.get(key, ""), key)]
    if issues:  # too long or hidden characters: nothing else in the row is worth reading
        return None, issues
    rtype = RECORD_TYPES.get(raw.get("record_type", "").lower())
    if rtype is None:
        issues.append(Issue("RECORD_TYPE_INVALID", "登记类型应为 marriage（结婚）或 divorce（离婚）", "record_type"))
    reg_raw = raw.get("registration_date", "")
    reg = parse_date(reg_raw) if reg_raw else None
    if not reg_raw:
        issues.append(Issue("REGISTRATION_DATE_REQUIRED", "请填写登记日期", "registration_date"))
    elif reg is None:
        issues.append(Issue("REGISTRATION_DATE_INVALID", "登记日期无效（格式应为YYYY-MM-DD）", "registration_date"))
    elif reg > today:
        issues.append(Issue("REGISTRATION_DATE_FUTURE", "登记日期晚于今天", "registration_date"))
    elif reg < EARLIEST_DATE:
        issues.append(Issue("REGISTRATION_DATE_TOO_EARLY", "登记日期早于1949年10月1日", "registration_date"))
    p1 = _party(raw, "party1", today, issues)
    p2 = _party(raw, "party2", today, issues)
    if p1.sex in ("M", "F") and p1.sex == p2.sex:
        issues.append(Issue("PARTY_SEXES_SAME", "双方性别相同，请核对档案", "party2.sex"))
    if p1.id_number and p1.id_number == p2.id_number:
        issues.append(Issue("SAME_PERSON", "双方证件号码相同", "party2.id_number"))
    if reg and EARLIEST_DATE <= reg <= today:
        for key, p in (("party1", p1), ("party2", p2)):
            if p.birth_date and p.birth_date <= today:
                if p.birth_date >= reg:
                    issues.append(Issue("BIRTH_AFTER_REGISTRATION", "出生日期不早于登记日期", f"{key}.birth_date"))
                elif age_on(p.birth_date, reg) < MIN_PLAUSIBLE_AGE:
                    issues.append(Issue("AGE_IMPLAUSIBLE", f"登记时未满{MIN_PLAUSIBLE_AGE}周岁，疑为录入错误",
                                        f"{key}.birth_date"))
    archive_no = raw.get("archive_no", "")
    if not archive_no:
        issues.append(Issue("ARCHIVE_NO_REQUIRED", "请填写档案号", "archive_no"))
    if issues:
        return None, issues
    return ArchiveRow(row_no=row_no, record_type=rtype, registration_date=reg,
                      certificate_no=raw.get("certificate_no") or None, party1=p1, party2=p2,
                      archive_no=archive_no, office_name=raw.get("office_name", ""),
                      remarks=raw.get("remarks", "")), []


# --- the import ---------------------------------------------------------------------------------------

@dataclass
class ImportReport:
    total: int
    imported: int
    refused: int
    report_path: str | None
    marriages: int = 0
    divorces: int = 0
    dissolved: int = 0        # marriages (in the file or already on record) closed by a divorce row
    import_id: str | None = None
    refusals_by_code: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


# The progress label of each phase, as the clerk reads it.
PHASE_ZH = {"check": "逐行检查", "write": "写入档案"}


@dataclass
class _Refusal:
    row_no: int
    issues: list[Issue]


def write_report_atomic(path: Path, data: bytes) -> None:
    """The refusal report, written crash-safe and owner-only (it echoes the clerk's rows)."""
    try:
        write_atomic(path, data)
    except StorageError as exc:
        raise StorageError(f"无法写入导入报告{Path(path).name}：{exc.message}", code="REPORT_WRITE_FAILED") from exc


@contextmanager
def _large_page_cache(s: Session):
    """A bulk import grows five party indexes at random places; with SQLite's default 8 MB page cache
    every insert then reads and writes pages back and forth. Give this one connection room for the
    import, and hand it back to the pool with the default again."""
    sqlite = s.get_bind().dialect.name == "sqlite"
    if sqlite:
        s.execute(text("PRAGMA cache_size = -262144"))  # 256 MiB, in KiB
    try:
        yield
    finally:
        if sqlite:
            try:
                s.execute(text("PRAGMA cache_size = -2000"))
            except Exception:  # noqa: BLE001 — the import is failing; a larger cache left behind is harmless
                pass


class ArchiveImport:
    def __init__(self, ctx: AppContext):
        self.ctx = ctx

    def run(self, path: str | os.PathLike, *, progress: Progress | None = None,
            cancelled: IsCancelled | None = None, report_path: str | os.PathLike | None = None
            ) -> ImportReport:
        """Import the file in one transaction. `progress(done, total, label)` is called per chunk, labelled
        PHASE_ZH["check"] then PHASE_ZH["write"]; `cancelled()` is polled per chunk, and a True answer raises
        Cancelled inside the transaction, which rolls everything back (no report file is written)."""
        user = self.ctx.require(Permission.IMPORT_ARCHIVE)
        src = Path(path)
        if src.exists() and not src.is_file():  # a directory, or a pipe that would never end
            raise Refused([Issue("FILE_UNREADABLE", f"不是普通文件：{src.name}", "file")])
        try:
            data = src.read_bytes()
        except FileNotFoundError:
            raise Refused([Issue("FILE_NOT_FOUND", f"找不到文件：{src.name}", "file")]) from None
        except OSError as exc:
            raise Refused([Issue("FILE_UNREADABLE", f"无法读取文件：{exc.strerror}", "file")]) from None
        header, rows = read_rows(decode(data))
        all_rows = list(rows)
        total = len(all_rows)
        today = self.ctx.clock.today()
        now = self.ctx.clock.now()
        import_id = str(uuid.uuid4())
        target = Path(report_path) if report_path else src.with_name(f"{src.stem}.refused.csv")
        progress = progress or NO_PROGRESS
        cancelled = cancelled or NEVER_CANCELLED

        def tick(phase: str, done: int) -> None:
            stop_if(cancelled, "已取消导入，未保存任何记录")
            progress(done, total, PHASE_ZH[phase])

        with self.ctx.db.write() as s, _large_page_cache(s):
            settings = load_settings(s)
            good: list[ArchiveRow] = []
            refusals: list[_Refusal] = []
            for i, (row_no, raw) in enumerate(all_rows, 1):
                row, issues = parse_row(raw, row_no, today)
                if row is None:
                    refusals.append(_Refusal(row_no, issues))
                else:
                    good.append(row)
                if i % CHUNK == 0:
                    tick("check", i)
            good = self._refuse_duplicates(s, good, refusals)
            tick("check", total)
            counts = self._write(s, good, settings.office_code, user.username, now, import_id, tick)
            refusals.sort(key=lambda r: r.row_no)
            by_code: dict[str, int] = defaultdict(int)
            for r in refusals:
                for issue in r.issues:
                    by_code[issue.code] += 1
            write_report = bool(refusals or report_path)
            report = ImportReport(total=total, imported=len(good), refused=len(refusals),
                                  report_path=str(target) if write_report else None,
                                  import_id=import_id, refusals_by_code=dict(sorted(by_code.items())), **counts)
            audit.record(self.ctx, s, "archive.import", "import", import_id,
                         {"file": src.name, "total": total, "imported": report.imported,
                          "refused": report.refused, "marriages": report.marriages,
                          "divorces": report.divorces, "dissolved": report.dissolved})
            tick("write", total)
        # Only now, with the import committed: a report never describes an import that was rolled back,
        # and write_atomic leaves no temporary copy of the rows behind when it fails.
        if write_report:
            try:
                write_report_atomic(target, self._report_bytes(header, refusals, all_rows))
            except StorageError as exc:
                raise StorageError(
                    f"已导入{report.imported}条（已保存）；未导入的{report.refused}行的报告无法写入：{exc.message}。"
                    "腾出空间后重新导入同一文件即可再次得到报告（已导入的行将标为“已补录过”）",
                    code="REPORT_WRITE_FAILED") from exc
        return report

    # --- checks against each other and against what is on record -----------------------------------
    def _refuse_duplicates(self, s: Session, good: list[ArchiveRow], refusals: list[_Refusal]) -> list[ArchiveRow]:
        # Only the file's own archive numbers are looked up (ix_records_archive_no), never every old record.
        wanted = sorted({r.archive_no for r in good})
        existing_archive: set[tuple[str, str]] = set()
        for i in range(0, len(wanted), 500):
            existing_archive.update((kind, no) for kind, no in s.execute(
                select(Record.kind, Record.archive_no).where(Record.archive_no.in_(wanted[i:i + 500]),
                                                             Record.back_entered.is_(True))))
        numbers = [r.certificate_no for r in good if r.certificate_no]
        taken: set[str] = set()
        for i in range(0, len(numbers), 500):
            part = numbers[i:i + 500]
            taken.update(s.execute(select(Record.certificate_no).where(Record.certificate_no.in_(part))).scalars())
            taken.update(s.execute(select(Certificate.number).where(Certificate.number.in_(part))).scalars())
        seen_archive: set[tuple[str, str]] = set()
        seen_numbers: set[str] = set()
        kept = []
        for row in good:
            issues = []
            key = (row.record_type, row.archive_no)
            if key in existing_archive:
                issues.append(Issue("ARCHIVE_NO_EXISTS", "该档案号已补录过（可能重复导入）", "archive_no"))
            elif key in seen_archive:
                issues.append(Issue("ARCHIVE_NO_DUPLICATE", "档案号与本文件中前面的行重复", "archive_no"))
            if row.certificate_no in taken:
                issues.append(Issue("CERTIFICATE_NO_EXISTS", "证书字号已存在于登记记录中", "certificate_no"))
            elif row.certificate_no and row.certificate_no in seen_numbers:
                issues.append(Issue("CERTIFICATE_NO_DUPLICATE", "证书字号与本文件中前面的行重复", "certificate_no"))
            if issues:
                refusals.append(_Refusal(row.row_no, issues))
                continue
            seen_archive.add(key)
            if row.certificate_no:
                seen_numbers.add(row.certificate_no)
            kept.append(row)
        return kept

    # --- writing -------------------------------------------------------------------------------------
    def _write(self, s: Session, good: list[ArchiveRow], office_code: str, username: str, now: dt.datetime,
               import_id: str, tick: Callable[[str, int], None]) -> dict:
        marriages = sorted((r for r in good if r.record_type == "marriage"),
                           key=lambda r: (r.registration_date, r.row_no))
        divorces = sorted((r for r in good if r.record_type == "divorce"),
                          key=lambda r: (r.registration_date, r.row_no))
        # Which marriage each divorce ends: the latest one of the same two ID numbers registered on or
        # before the divorce and still standing, in this file or on record.
        in_file: dict[frozenset, list[ArchiveRow]] = defaultdict(list)
        for m in marriages:
            if m.pair():
                in_file[m.pair()].append(m)
        on_record = self._marriages_on_record(s, {d.pair() for d in divorces if d.pair()})
        ended_in_file: set[int] = set()          # row numbers of file marriages a divorce closes
        ended_on_record: set[int] = set()        # record ids
        link: dict[int, tuple[str, int]] = {}    # divorce row -> ("file", row_no) | ("db", record_id)
        for d in divorces:
            pair = d.pair()
            if not pair:
                continue
            candidates = [(m.registration_date, "file", m.row_no) for m in in_file.get(pair, [])
                          if m.row_no not in ended_in_file and m.registration_date <= d.registration_date]
            candidates += [(date, "db", rid) for rid, date in on_record.get(pair, [])
                           if rid not in ended_on_record and (date is None or date <= d.registration_date)]
            if not candidates:
                continue
            _, where, ref = max(candidates, key=lambda c: (c[0] or dt.date.min, c[1] == "file"))
            link[d.row_no] = (where, ref)
            (ended_in_file if where == "file" else ended_on_record).add(ref)

        writer = _BulkWriter(s)
        shared_data = SharedData({"import_id": import_id, "source": "archive_import"})  # serialised once
        done = 0
        record_ids: dict[int, int] = {}
        for batch_rows in (marriages, divorces):
            for i in range(0, len(batch_rows), CHUNK):
                chunk = batch_rows[i:i + CHUNK]
                values = []
                for r in chunk:
                    linked = None
                    if r.record_type == "marriage":
                        status = MarriageState.DISSOLVED if r.row_no in ended_in_file else MarriageState.REGISTERED
                    else:
                        status = DivorceState.ISSUED
                        where, ref = link.get(r.row_no, (None, None))
                        linked = record_ids.get(ref) if where == "file" else ref
                    data = shared_data
                    if r.office_name or r.remarks:
                        data = {**shared_data, **({"office_name": r.office_name} if r.office_name else {}),
                                **({"remarks": r.remarks} if r.remarks else {})}
                    values.append({
                        "uid": str(uuid.uuid4()), "kind": r.record_type, "status": status.value, "office_code": office_code,
                        "application_date": None, "registration_date": r.registration_date,
                        "certificate_no": r.certificate_no, "back_entered": True, "archive_no": r.archive_no,
                        "linked_record_id": linked,
                        "data": data, "created_by": username, "created_at": now, "updated_at": now,
                    })
                ids = writer.insert_records(values)
                parties = []
                for r, rid in zip(chunk, ids):
                    record_ids[r.row_no] = rid
                    parties.append(party_values(r.party1, 1, "party1", rid, r.registration_date))
                    parties.append(party_values(r.party2, 2, "party2", rid, r.registration_date))
                writer.insert(Party.__table__, parties)
                done += len(chunk)
                tick("write", done)
        if ended_on_record:
            ids = sorted(ended_on_record)
            for i in range(0, len(ids), 500):
                s.execute(update(Record.__table__).where(Record.__table__.c.id.in_(ids[i:i + 500]))
                          .values(status=MarriageState.DISSOLVED.value, updated_at=now))
            record_seals.touch(s, ids)  # an UPDATE the ORM does not see: seal the new states too
        return {"marriages": len(marriages), "divorces": len(divorces),
                "dissolved": len(ended_in_file) + len(ended_on_record)}

    @staticmethod
    def _marriages_on_record(s: Session, pairs: set[frozenset]) -> dict[frozenset, list[tuple[int, dt.date | None]]]:
        """Standing marriages on record for these couples, found through the ID number index."""
        if not pairs:
            return {}
        numbers = sorted({n for p in pairs for n in p})
        by_record: dict[int, set[str]] = defaultdict(set)
        dates: dict[int, dt.date | None] = {}
        for i in range(0, len(numbers), 500):
            for rid, number, date in s.execute(
                select(Party.record_id, Party.id_number, Record.registration_date)
                .join(Record, Record.id == Party.record_id)
                .where(Party.id_number.in_(numbers[i:i + 500]), Record.kind == "marriage",
                       Record.status == MarriageState.REGISTERED)
            ):
                by_record[rid].add(number)
                dates[rid] = date
        out: dict[frozenset, list] = defaultdict(list)
        for rid, found in by_record.items():
            key = frozenset(found)
            if key in pairs:
                out[key].append((rid, dates[rid]))
        return out

    @staticmethod
    def _report_bytes(header: list[str], refusals: list[_Refusal], all_rows: list[tuple[int, dict]]) -> bytes:
        """UTF-8 with BOM; cells that a spreadsheet would run as a formula are quoted (csv_out)."""
        raw = dict(all_rows)
        columns = [c for c in COLUMNS if c in {h.strip().lstrip("\ufeff") for h in header}]
        rows: list[list] = [[*REPORT_HEADER, *columns]]
        for r in refusals:
            row = raw.get(r.row_no, {})
            rows.append([r.row_no, ";".join(i.code for i in r.issues),
                         "；".join(_reason(i) for i in r.issues), *(row.get(c, "") for c in columns)])
        return csv_bytes(rows)


class _BulkWriter:
    """The import's multi-row INSERTs (storage.bulk.insert_rows). On SQLite record ids are given out from
    max(id): the transaction began with BEGIN IMMEDIATE, so no other writer can take one in between.
    Elsewhere (PostgreSQL) records go in with RETURNING in parameter order."""

    def __init__(self, session: Session):
        self.s = session
        self.sqlite = session.get_bind().dialect.name == "sqlite"
        self.memo: dict[tuple[str, str], dict] = {}
        self.next_id = None
        if self.sqlite:
            self.next_id = (self.s.execute(select(func.max(Record.id))).scalar() or 0) + 1

    def insert_records(self, values: list[dict]) -> list[int]:
        table = Record.__table__
        if not self.sqlite:
            return self.s.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True),
                                  values).scalars().all()
        ids = list(range(self.next_id, self.next_id + len(values)))
        self.next_id += len(values)
        for v, rid in zip(values, ids):
            v["id"] = rid
        self.insert(table, values)
        return ids

    def insert(self, table, values: list[dict]) -> None:
        insert_rows(self.s, table, values, self.memo)


_FIELD_ZH = {"party1": "男方/当事人1", "party2": "女方/当事人2"}


def _reason(issue: Issue) -> str:
    if issue.field and "." in issue.field:
        who = _FIELD_ZH.get(issue.field.split(".", 1)[0])
        if who:
            return f"{who}：{issue.message}"
    return issue.message


_DATA_KEYS = ("ethnicity", "occupation", "education", "residence", "phone", "prior_status")


@lru_cache(maxsize=None)
def _char_initial(ch: str) -> str | None:
    readings = pinyin_dict.get(ord(ch))
    if readings is None:
        return None
    return unicodedata.normalize("NFD", readings.split(",", 1)[0])[0].lower()


@lru_cache(maxsize=65536)
def fast_initials(name: str) -> str:
    """people.initials, without pypinyin's per-call overhead where the answer is certain: every character
    known and no part of the name a dictionary phrase (pypinyin then takes each character's first
    reading). Anything else goes to people.initials itself. Tests compare the two."""
    letters = []
    for ch in name:
        c = _char_initial(ch)
        if c is None:
            return initials(name)
        letters.append(c)
    n = len(name)
    for i in range(n - 1):
        for j in range(i + 2, n + 1):
            if name[i:j] in phrases_dict:
                return initials(name)
    return "".join(letters)[:16].lower()


def party_values(p: PersonInput, position: int, role: str, record_id: int,
                 registration_date: dt.date | None) -> dict:
    """The column values people.party_row gives, as a plain dict for a multi-row INSERT (building an ORM
    object per party costs more than the whole row's insert). Tests hold the two equal."""
    number = p.id_number or None
    data = {k: v for k in _DATA_KEYS if (v := getattr(p, k))}
    if p.extra:
        data["extra"] = p.extra
    return {
        "record_id": record_id, "position": position, "role": role, "name": p.name,
        "name_initials": fast_initials(p.name), "sex": p.sex or None, "birth_date": p.birth_date,
        "id_type": p.id_type, "id_number": number, "id_tail": number[-6:] if number else None,
        "nationality": p.nationality, "data": data, "registration_date": registration_date,
    }
