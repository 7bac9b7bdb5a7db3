"""One record's page (档案详情): its current state and everything that happened to it.

Read in one transaction that also writes the `record.view` audit entry (opening a record is a view of
personal data): current state and parties, every audit entry that concerns the record in order (the
record itself, its corrections, its certificates, the import that back-entered it), certificates with
their status, blank serials and print log, attached documents (names and kinds only, never content),
corrections with old and new values, and the provincial sync status of each outbound event.

Everything handed out is a plain dataclass: the UI never holds an ORM object. The page carries the
record's `version`: an action taken from the page (a correction proposed) names it, and is refused with
RECORD_CHANGED when another counter changed the record since (services/versions.py).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

from sqlalchemy import and_, or_, select

from registry_app.domain.annulment import EFFECTS
from registry_app.domain.field_rules import valid_record_id
from registry_app.domain.ids import IdType
from registry_app.domain.roles import Permission, Role
from registry_app.domain.states import (
    RECORD_STATES,
    BlankState,
    CertificateState,
    CertificateType,
    CorrectionState,
    RecordKind,
    SyncState,
    record_status_zh,
)
from registry_app.errors import NotFound
from registry_app.services import audit
from registry_app.services.context import AppContext
from registry_app.services.corrections import (
    BACK_ENTERED_FIELDS,
    DATA_FIELDS,
    PARTY_FIELDS,
    CorrectionView,
)
from registry_app.services.events import EVENT_TYPE_ZH
from registry_app.storage.models import (
    AuditEntry,
    BlankCertificate,
    Certificate,
    Correction,
    Document,
    PrintJob,
    Record,
    RecordEvent,
)

# the record page's labels, from domain/states.py (pages import these names)
KIND_ZH = RecordKind.labels()
STATUS_ZH = {kind.value: states.labels() for kind, states in RECORD_STATES.items()}

ACTION_ZH = {
    "marriage.accepted": "受理结婚登记申请",
    "marriage.reviewed": "审查（声明书签署、监誓）",
    "marriage.registered": "结婚登记、发证",
    "marriage.cancelled": "取消结婚登记申请",
    "marriage.annotated": "登记法院判决备注",
    "marriage.corrected": "更正结婚登记申请（重新审查）",
    "divorce.applied": "受理离婚登记申请",
    "divorce.withdrawn": "撤回离婚登记申请",
    "divorce.expired": "期满未领证，视为撤回",
    "divorce.issued": "离婚登记、发证",
    "adoption.registered": "收养登记、发证",
    "adoption.dissolved": "解除收养关系登记",
    "adoption.revoked": "撤销收养登记",
    "certificate.reissued": "补发证书",
    "certificate.voided": "作废证书",
    "certificate.rendered": "打印证书",
    "certificate.reprint_approved": "负责人批准补打证书",
    "certificate.electronic_issued": "签发电子证照",
    "certificates.day_listed": "查看当日证书清单",
    "certificate.previewed": "预览证书",
    "form.rendered": "打印表格文书",
    "correction.proposed": "提出更正",
    "correction.approved": "批准更正",
    "correction.rejected": "驳回更正",
    "archive.import": "历史档案补录",
    "record.view": "查阅档案",
    "record.search": "查询",
}

ROLE_ZH = {r.value: r.zh for r in Role} | {"system": "系统"}

PARTY_ROLE_ZH = {"party1": "男方/当事人一", "party2": "女方/当事人二", "adopter1": "收养人", "adopter2": "收养人（配偶）",
                 "adoptee": "被收养人", "placing_parent": "送养人（生父母）", "guardian": "送养人（监护人）"}
SEX_ZH = {"M": "男", "F": "女"}
PRIOR_ZH = {"unmarried": "未婚", "divorced": "离婚", "widowed": "丧偶"}
DOCUMENT_KIND_ZH = {"joint_photo": "结婚登记合影", "adoption_photo": "收养登记照片", "photo": "照片",
                    "declaration": "声明书", "agreement": "离婚协议书", "judgment": "法院文书"}

FIELD_ZH = {"name": "姓名", "sex": "性别", "birth_date": "出生日期", "id_type": "证件类型", "id_number": "证件号码",
            "nationality": "国籍", "ethnicity": "民族", "occupation": "职业", "education": "文化程度",
            "residence": "常住户口所在地", "phone": "联系电话", "prior_status": "婚姻状况"}
# "data.archive_no" names corrections made before the archive number became a column (revision 0004)
DATA_FIELD_ZH = {"remarks": "备注", "archive_no": "档案号", "office_name": "登记机关"}
RECORD_FIELD_ZH = {"registration_date": "登记日期", "certificate_no": "证书字号", "archive_no": "档案号"}

# audit detail keys worth a line on the timeline, in Chinese
_DETAIL_ZH = {"certificate_no": "证书字号", "blank_serial": "空白证书印制号", "blank_serials": "空白证书印制号",
              "witness": "监誓人", "variant": "登记类别", "replacement": "换发证书", "case_number": "案号",
              "court": "法院", "effect": "判决结果", "archive_number": "档案号", "form": "表格",
              "on_blank": "套打", "file": "文件", "imported": "导入条数", "by_party": "撤回方", "reason": "原因"}


_VALUE_ZH = {"variant": {"ordinary": "结婚登记", "remarriage": "复婚登记", "supplementary": "补办结婚登记"},
             "effect": {key: effect.zh for key, effect in EFFECTS.items()}}  # the judgment's effect


def path_label(path: str, parties: list["PartyEntry"] | None = None) -> str:
    """'parties.2.name' -> '女方/当事人二·姓名'; 'data.remarks' -> '备注'."""
    bits = path.split(".")
    if len(bits) == 3 and bits[0] == "parties":
        who = f"第{bits[1]}位当事人"
        for p in parties or []:
            if str(p.position) == bits[1]:
                who = p.role_zh
        return f"{who}·{FIELD_ZH.get(bits[2], bits[2])}"
    if len(bits) == 2 and bits[0] == "data":
        return DATA_FIELD_ZH.get(bits[1], bits[1])
    return RECORD_FIELD_ZH.get(path, path)


@dataclass
class PartyEntry:
    position: int
    role: str
    role_zh: str
    name: str
    sex: str
    birth_date: str | None
    id_type: str
    id_type_zh: str
    id_number: str
    nationality: str
    details: dict = field(default_factory=dict)   # ethnicity, occupation, prior_status... as stored


@dataclass
class HistoryEvent:
    at: str            # ISO timestamp (Beijing time)
    username: str
    role: str
    role_zh: str
    action: str
    action_zh: str
    what: str          # a short Chinese line: numbers, paths, serials
    reason: str = ""


@dataclass
class PrintEntry:
    copy_no: int
    blank_serial: str | None
    printed_by: str
    approved_by: str | None
    printed_at: str


@dataclass
class CertificateEntry:
    number: str
    cert_type: str
    cert_type_zh: str
    status: str
    status_zh: str
    issued_on: str
    blank_serial: str | None
    holder_position: int | None
    void_reason: str = ""
    voided_by: str | None = None
    prints: list[PrintEntry] = field(default_factory=list)
    blank_status_zh: str = ""     # the blank booklet's state in stock (已使用 / 已作废)


@dataclass
class DocumentEntry:
    id: int
    kind: str
    kind_zh: str
    filename: str
    media_type: str
    added_by: str
    added_at: str


@dataclass
class SyncEntry:
    seq: int
    event_type: str
    event_type_zh: str
    business_date: str
    batch_seq: int | None
    sync_status: str
    sync_status_zh: str
    sync_code: str | None


@dataclass
class CorrectableField:
    path: str
    label: str
    current: str


@dataclass
class RecordPage:
    record_id: int
    uid: str
    kind: str
    kind_zh: str
    status: str
    status_zh: str
    back_entered: bool
    office_code: str
    application_date: str | None
    registration_date: str | None
    certificate_no: str | None
    archive_no: str | None
    linked_record_id: int | None
    data: dict
    parties: list[PartyEntry]
    events: list[HistoryEvent]
    certificates: list[CertificateEntry]
    documents: list[DocumentEntry]
    sync: list[SyncEntry]
    corrections: list[CorrectionView]
    correctable: list[CorrectableField]
    version: int = 1          # the record's version as read: an edit from this page names it

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def pending_corrections(self) -> list[CorrectionView]:
        return [c for c in self.corrections if c.status == CorrectionState.PROPOSED]


def _iso(value) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else str(value)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (list, tuple)):
        return "、".join(_text(v) for v in value)
    if isinstance(value, dict):
        return "，".join(f"{k}：{_text(v)}" for k, v in value.items())
    return str(value)


_FORM_FIELD_ZH = {"variant": "登记类别", "union_began": "共同生活起始日期", "previous_record_id": "原婚姻记录",
                  "remarks": "备注", "declarations.free_will": "声明·双方自愿",
                  "declarations.no_prohibited_kinship": "声明·无禁止结婚的亲属关系", "declarations.no_spouse": "声明·无配偶"}


def _form_field(path: str) -> str:
    """A field of an accepted marriage's form as MarriageService.correct names it: 'party1.name' -> '男方·姓名'."""
    who, _dot, field = path.partition(".")
    if who in ("party1", "party2"):
        return f"{'男方' if who == 'party1' else '女方'}·{FIELD_ZH.get(field, '其他' if field == 'extra' else field)}"
    return _FORM_FIELD_ZH.get(path, path)


def _what(entry: AuditEntry, parties: list[PartyEntry]) -> str:
    d = entry.detail or {}
    if entry.action == "marriage.corrected":  # the fields, never their values
        return "更正项目：" + "、".join(_form_field(f) for f in d.get("fields") or [])
    if entry.action.startswith("correction."):
        paths = d.get("paths") or []
        head = f"更正申请第{entry.entity_id}号"
        return head + ("：" + "、".join(path_label(p, parties) for p in paths) if paths else "")
    if entry.action == "certificate.voided":
        extra = f"，换发 {d['replacement']}" if d.get("replacement") else ""
        return f"证书 {entry.entity_id}{extra}"
    if entry.action in ("certificate.rendered", "certificate.previewed"):
        return f"证书 {entry.entity_id}" + ("（在空白证书上套打）" if d.get("on_blank") is False else "")
    if entry.action == "archive.import":
        return f"文件 {d.get('file', '')}，共导入 {d.get('imported', 0)} 条"
    parts = []
    for key, label in _DETAIL_ZH.items():
        if key in d and d[key] not in (None, "", [], {}):
            value = _VALUE_ZH.get(key, {}).get(d[key], d[key]) if isinstance(d[key], str) else d[key]
            parts.append(f"{label}：{_text(value)}")
    return "；".join(parts)


def _party_entry(p) -> PartyEntry:
    try:
        id_type_zh = IdType(p.id_type).zh
    except ValueError:
        id_type_zh = p.id_type
    details = {k: v for k, v in (p.data or {}).items() if k != "extra" and v not in (None, "")}
    if "prior_status" in details:
        details["prior_status"] = PRIOR_ZH.get(details["prior_status"], details["prior_status"])
    return PartyEntry(p.position, p.role, PARTY_ROLE_ZH.get(p.role, p.role), p.name, SEX_ZH.get(p.sex or "", ""),
                      _iso(p.birth_date), p.id_type, id_type_zh, p.id_number or "", p.nationality or "", details)


def _correctable(rec: Record, parties: list[PartyEntry]) -> list[CorrectableField]:
    out: list[CorrectableField] = []
    for p in rec.parties:
        for f in PARTY_FIELDS:
            path = f"parties.{p.position}.{f}"
            if f in ("ethnicity", "occupation", "education", "residence", "phone", "prior_status"):
                current = (p.data or {}).get(f, "")
            else:
                current = getattr(p, f)
            out.append(CorrectableField(path, path_label(path, parties), _text(_iso(current) if current else "")))
    for key in DATA_FIELDS:
        out.append(CorrectableField(f"data.{key}", path_label(f"data.{key}"), _text((rec.data or {}).get(key, ""))))
    if rec.back_entered:
        for key in BACK_ENTERED_FIELDS:
            out.append(CorrectableField(key, path_label(key), _text(_iso(getattr(rec, key)))))
    return out


class RecordHistory:
    def __init__(self, ctx: AppContext):
        self.ctx = ctx

    def record(self, record_id: int) -> RecordPage:
        """Open a record (audited as record.view) and return everything its page shows."""
        self.ctx.require(Permission.VIEW_RECORD)
        with self.ctx.db.write() as s:
            rec = s.get(Record, record_id) if valid_record_id(record_id) else None
            if rec is None:
                raise NotFound(f"登记记录不存在：{record_id}", code="RECORD_NOT_FOUND")
            audit.record(self.ctx, s, "record.view", "record", rec.id)

            parties = [_party_entry(p) for p in rec.parties]
            certs = s.execute(select(Certificate).where(Certificate.record_id == rec.id)
                              .order_by(Certificate.id)).scalars().all()
            prints: dict[int, list[PrintEntry]] = {}
            if certs:
                for job in s.execute(select(PrintJob).where(PrintJob.certificate_id.in_([c.id for c in certs]))
                                     .order_by(PrintJob.certificate_id, PrintJob.copy_no)).scalars():
                    prints.setdefault(job.certificate_id, []).append(PrintEntry(
                        job.copy_no, job.blank_serial, job.printed_by, job.approved_by, _iso(job.printed_at)))
            blanks: dict[str, str] = {}
            serials = [c.blank_serial for c in certs if c.blank_serial]
            if serials:
                blanks = {serial: status for serial, status in s.execute(
                    select(BlankCertificate.serial, BlankCertificate.status).where(BlankCertificate.serial.in_(serials)))}
            certificates = [
                CertificateEntry(c.number, c.cert_type, CertificateType.label(c.cert_type), c.status,
                                 CertificateState.label(c.status), _iso(c.issued_on), c.blank_serial,
                                 c.holder_position, c.void_reason or "", c.voided_by, prints.get(c.id, []),
                                 BlankState.label(blanks.get(c.blank_serial or "")))
                for c in certs
            ]
            corrections = s.execute(select(Correction).where(Correction.record_id == rec.id)
                                    .order_by(Correction.id)).scalars().all()

            # every audit entry about this record: the record itself, its corrections, its certificates,
            # and the import that back-entered it
            about = [and_(AuditEntry.entity_type == "record", AuditEntry.entity_id == str(rec.id))]
            if corrections:
                about.append(and_(AuditEntry.entity_type == "correction",
                                  AuditEntry.entity_id.in_([str(c.id) for c in corrections])))
            if certs:
                about.append(and_(AuditEntry.entity_type == "certificate",
                                  AuditEntry.entity_id.in_([c.number for c in certs])))
            import_id = (rec.data or {}).get("import_id")
            if import_id:
                about.append(and_(AuditEntry.entity_type == "import", AuditEntry.entity_id == str(import_id)))
            events = [
                HistoryEvent(e.ts, e.username, e.role, ROLE_ZH.get(e.role, e.role), e.action,
                             ACTION_ZH.get(e.action, e.action), _what(e, parties), e.reason or "")
                for e in s.execute(select(AuditEntry).where(or_(*about)).order_by(AuditEntry.id)).scalars()
            ]

            documents = [
                DocumentEntry(d.id, d.kind, DOCUMENT_KIND_ZH.get(d.kind, d.kind), d.filename, d.media_type,
                              d.added_by, _iso(d.added_at))
                for d in s.execute(select(Document.id, Document.kind, Document.filename, Document.media_type,
                                          Document.added_by, Document.added_at)
                                   .where(Document.record_id == rec.id).order_by(Document.id))
            ]
            sync = [
                SyncEntry(ev.seq, ev.event_type, EVENT_TYPE_ZH.get(ev.event_type, ev.event_type),
                          _iso(ev.business_date), ev.batch_seq, ev.sync_status,
                          SyncState.label(ev.sync_status), ev.sync_code)
                for ev in s.execute(select(RecordEvent).where(RecordEvent.record_id == rec.id)
                                    .order_by(RecordEvent.seq)).scalars()
            ]
            return RecordPage(
                record_id=rec.id, uid=rec.uid, kind=rec.kind, kind_zh=RecordKind.label(rec.kind),
                status=rec.status, status_zh=record_status_zh(rec.kind, rec.status),
                back_entered=bool(rec.back_entered), office_code=rec.office_code,
                application_date=_iso(rec.application_date), registration_date=_iso(rec.registration_date),
                certificate_no=rec.certificate_no, archive_no=rec.archive_no, linked_record_id=rec.linked_record_id,
                data=dict(rec.data or {}),
                parties=parties, events=events, certificates=certificates, documents=documents, sync=sync,
                corrections=[CorrectionView.of(c) for c in corrections], correctable=_correctable(rec, parties),
                version=rec.version,
            )


__all__ = ["RecordHistory", "RecordPage", "HistoryEvent", "CertificateEntry", "PrintEntry", "DocumentEntry",
           "SyncEntry", "PartyEntry", "CorrectableField", "ACTION_ZH", "KIND_ZH", "STATUS_ZH", "path_label"]
