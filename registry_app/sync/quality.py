"""The close-day check: what is left half-done, and the registration quality check (登记合格率) the
offices are measured on. Read-only over the day's records; the sync service reports and audits it."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry_app.domain.deadlines import DivorceDeadlines
from registry_app.domain.ids import InvalidIdNumber, parse_resident_id
from registry_app.domain.states import DivorcePhase, DivorceState, MarriageState, WorkCaseState
from registry_app.storage.models import Certificate, Document, Record, WorkCase
from registry_app.sync.results import CASE_KIND_ZH, Defect, OpenItem


# Listed as reminders, never counted against 登记合格率: no rule makes a registration defective without
# them. The photo is kept when the parties bring one; the blank's serial is recorded when the certificate
# is printed, which may be another day.
REMINDERS = {"QC_PHOTO_MISSING", "QC_BLANK_SERIAL_MISSING"}
REMINDER_NOTE = "（提示，不计入合格率）"


def registration_quality(s: Session, day: dt.date) -> tuple[list[Defect], int, int]:
    """登记合格率: each registration of the day checked for what the rules require (REMINDERS aside)."""
    records = s.execute(select(Record).where(Record.registration_date == day, Record.back_entered.is_(False),
                                             Record.kind.in_(("marriage", "divorce", "adoption")))
                        .order_by(Record.id)).scalars().all()
    defects: list[Defect] = []
    passed = 0
    for rec in records:
        found = record_defects(s, rec)
        defects += found
        passed += all(d.code in REMINDERS for d in found)
    return defects, len(records), passed

def record_defects(s: Session, rec: Record) -> list[Defect]:
    out: list[Defect] = []
    data = rec.data or {}

    def add(code: str, message: str) -> None:
        out.append(Defect(rec.id, rec.kind, rec.certificate_no, code,
                          message + REMINDER_NOTE if code in REMINDERS else message))

    cert_type = {"marriage": "J", "divorce": "L"}.get(rec.kind)
    q = select(Certificate).where(Certificate.record_id == rec.id)
    certs = [c for c in s.execute(q.order_by(Certificate.id)).scalars()
             if cert_type is None or c.cert_type == cert_type]
    cert = next((c for c in certs if c.number == rec.certificate_no), None)
    if not rec.certificate_no or cert is None:
        add("QC_CERTIFICATE_MISMATCH", "登记记录的证书字号与证书存根不一致")
    elif cert.issued_on != rec.registration_date:
        add("QC_CERTIFICATE_MISMATCH", "证书发证日期与登记日期不一致")
    if rec.kind == "marriage":
        decl = data.get("declarations") or {}
        if data.get("declarations_signed") is not True or not all(decl.get(k) is True for k in (
                "free_will", "no_prohibited_kinship", "no_spouse")):
            add("QC_DECLARATIONS_UNSIGNED", "《申请结婚登记声明书》未全部签署")
        if not str(data.get("witness") or "").strip():
            add("QC_WITNESS_MISSING", "未记录监誓登记员")
    if rec.kind == "divorce":
        if data.get("signed") is not True:
            add("QC_DECLARATIONS_UNSIGNED", "离婚登记声明书和协议书未在监誓人面前签署")
        questioning = data.get("questioning") or {}
        if not all(str(questioning.get(k) or "").strip() for k in ("party1", "party2")):
            add("QC_QUESTIONING_MISSING", "未记录对双方的分别询问")
    if rec.kind in ("marriage", "adoption"):
        doc_id = data.get("photo_document_id")
        if not doc_id or s.get(Document, doc_id) is None:
            add("QC_PHOTO_MISSING", "未留存照片")
    if cert is not None:
        serials = (cert.data or {}).get("blank_serials") if rec.kind == "divorce" else None
        if rec.kind == "divorce":
            if len([x for x in serials or [] if x]) < 2:
                add("QC_BLANK_SERIAL_MISSING", "离婚证应为双方各一本，空白证书印制号未全部登记")
        elif not cert.blank_serial:
            add("QC_BLANK_SERIAL_MISSING", "未登记所用空白证书的印制号")
    for p in rec.parties:
        if p.id_type != "resident_id" or not p.id_number:
            continue
        try:
            rid = parse_resident_id(p.id_number)
        except InvalidIdNumber as exc:
            add("QC_PARTY_ID_INVALID", f"第{p.position}位当事人的身份证号码无效：{exc.message}")
            continue
        if (p.birth_date and p.birth_date != rid.birth_date) or (p.sex and p.sex != rid.sex.value):
            add("QC_PARTY_ID_MISMATCH", f"第{p.position}位当事人的出生日期或性别与身份证号码不符")
    return out

def open_work_on(s: Session, day: dt.date) -> list[OpenItem]:
    """What is left half-done at the end of `day`: marriages in progress, divorces, sync cases."""
    items: list[OpenItem] = []
    for rec in s.execute(select(Record).where(Record.kind == "marriage",
                                              Record.status.in_((MarriageState.ACCEPTED, MarriageState.REVIEWED)),
                                              Record.application_date <= day).order_by(Record.id)).scalars():
        items.append(OpenItem("marriage_open", "结婚登记未办结", rec.id, rec.status,
                              MarriageState.label(rec.status),
                              f"{rec.application_date}受理，须当日登记发证或取消"))
    for rec in s.execute(select(Record).where(Record.kind == "divorce", Record.status == DivorceState.COOLING_OFF,
                                              Record.application_date <= day).order_by(Record.id)).scalars():
        d = DivorceDeadlines.from_dict(rec.data["deadlines"])
        phase = d.phase_on(day)
        note = f"冷静期至{d.cooling_off_ends}，领证期限至{d.collect_by}"
        if d.collect_by == day:
            note += "（今日为领证最后一日）"
        elif phase == DivorcePhase.EXPIRED:
            note += "（已逾期，将视为撤回）"
        items.append(OpenItem("divorce_pending", "离婚申请办理中", rec.id, phase, DivorcePhase.label(phase), note))
    for case in s.execute(select(WorkCase).where(WorkCase.status == WorkCaseState.OPEN).order_by(WorkCase.id)).scalars():
        items.append(OpenItem("sync_case", CASE_KIND_ZH.get(case.kind, case.kind), case.record_id, case.status,
                              WorkCaseState.OPEN.zh, f"{case.code} {case.message}"))
    return items
