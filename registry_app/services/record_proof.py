"""The marriage registration record proof (婚姻登记记录证明): a PDF listing every marriage and divorce
registration (and reissued certificate) in this office's archive naming a person, or stating that there is
none. Issued where a certificate cannot be reissued because the marital status has changed since. A view,
not a change: audited (the proof's number is its audit entry's), no sync event."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, select

from registry_app.certificates.forms import MarriageRecordEntry, marriage_record_proof
from registry_app.certificates.render import render_form
from registry_app.certificates.views import PartyView
from registry_app.domain.field_rules import normalise_id, text_issues, type_issue
from registry_app.domain.ids import IdType, InvalidIdNumber, mask_id, parse_resident_id
from registry_app.domain.roles import Permission
from registry_app.domain.states import (
    CertificateState,
    CertificateType,
    MarriageState,
    RecordKind,
)
from registry_app.errors import Issue, Refused
from registry_app.services import audit
from registry_app.services.context import AppContext
from registry_app.services.registered_records import REISSUE_TYPES, registered_fact
from registry_app.services.settings import load_settings
from registry_app.storage.models import Certificate, Party, Record

_REISSUED_ZH = {CertificateType.BJ: "补发结婚证", CertificateType.BL: "补发离婚证"}
_JUDGED_ZH = {MarriageState.INVALIDATED: "（经法院判决无效）", MarriageState.REVOKED: "（经法院判决撤销）"}
_VARIANT_ZH = {"ordinary": "结婚登记", "remarriage": "复婚登记", "supplementary": "补办结婚登记"}


def _issue(code: str, message: str, field_name: str | None = None) -> Issue:
    return Issue(code, message, field_name)


def _text(d: dict, key: str) -> str:
    value = d.get(key)
    return value.strip() if isinstance(value, str) else ""


class RecordProof:
    def __init__(self, ctx: AppContext):
        self.ctx = ctx

    def record_proof(self, person: str | dict, purpose: str = "") -> bytes:
        """婚姻登记记录证明 for a person: every marriage and divorce registration (and reissued certificate)
        in this office's archive naming them. Pass an ID number, or a dict with `id_number`, or, for
        historical records without one, `name` and `birth_date`."""
        self.ctx.require(Permission.VIEW_RECORD)
        query = self._person_query(person)
        if bad := text_issues(purpose, "purpose") if isinstance(purpose, str) else [type_issue("purpose", "文字")]:
            raise Refused(bad)
        today = self.ctx.clock.today()
        with self.ctx.db.write() as s:
            settings = load_settings(s)
            cond = Party.id_number == query["id_number"] if query["id_number"] else \
                and_(Party.name == query["name"], Party.birth_date == query["birth_date"])
            matches = list(s.execute(
                select(Party, Record).join(Record, Party.record_id == Record.id)
                .where(cond, registered_fact())
            ).all())
            entries: list[tuple[dt.date | None, int, MarriageRecordEntry]] = []
            record_ids: list[int] = []
            for party, rec in matches:
                if rec.id in record_ids:
                    continue
                record_ids.append(rec.id)
                other = next((p for p in rec.parties[:2] if p.id != party.id), None)
                office = (rec.data or {}).get("office_name") or settings.office_name
                kind_zh = self._proof_kind(rec)
                entries.append((rec.registration_date, 0, MarriageRecordEntry(
                    kind_zh, rec.registration_date, other.name if other else "", (other.id_number or "") if other else "",
                    rec.certificate_no or "", office)))
                for cert in s.execute(select(Certificate).where(
                        Certificate.record_id == rec.id, Certificate.cert_type.in_(REISSUE_TYPES),
                        Certificate.status != CertificateState.VOIDED).order_by(Certificate.id)).scalars():
                    entries.append((cert.issued_on, 1, MarriageRecordEntry(
                        _REISSUED_ZH[cert.cert_type], cert.issued_on,
                        other.name if other else "", (other.id_number or "") if other else "", cert.number, office)))
            if matches:
                first = matches[0][0]
                view = PartyView(query["name"] or first.name, first.sex or "", first.nationality, first.birth_date,
                                 first.id_type, first.id_number or "", (first.data or {}).get("ethnicity", ""))
            elif query["name"]:
                view = PartyView(query["name"], query["sex"], query["nationality"], query["birth_date"],
                                 query["id_type"], query["id_number"] or "")
            else:
                raise Refused([_issue("PROOF_NAME_REQUIRED", "本机关档案中没有此人的婚姻登记记录；出具无记录证明须填写姓名",
                                      "name")])
            entries.sort(key=lambda e: (e[0] or dt.date.min, e[1]))
            entry = audit.record(self.ctx, s, "record.proof", "person",
                                 mask_id(query["id_number"]) or query["name"],
                                 {"record_ids": record_ids, "entries": len(entries), "purpose": purpose})
            proof_number = f"{settings.office_code}-{today.year}-{entry.id:06d}"
            form = marriage_record_proof(office_name=settings.office_name, person=view,
                                         records=[e[2] for e in entries], issue_date=today,
                                         proof_number=proof_number, purpose=purpose)
            form.training = settings.training
            return render_form(form)

    def _person_query(self, person: str | dict) -> dict:
        today = self.ctx.clock.today()
        q = {"id_number": "", "name": "", "birth_date": None, "sex": "", "nationality": "中国",
             "id_type": IdType.RESIDENT.value}
        if isinstance(person, str):
            q["id_number"] = normalise_id(person)
        elif isinstance(person, dict):
            q["id_number"] = normalise_id(_text(person, "id_number"))
            q["name"] = _text(person, "name")
            q["sex"] = _text(person, "sex").upper()
            q["nationality"] = _text(person, "nationality") or "中国"
            q["id_type"] = _text(person, "id_type") or IdType.RESIDENT.value
            raw = person.get("birth_date")
            if raw not in (None, ""):
                try:
                    q["birth_date"] = dt.date.fromisoformat(str(raw))
                except ValueError:
                    raise Refused([_issue("BIRTH_DATE_INVALID", "出生日期格式应为YYYY-MM-DD", "birth_date")]) from None
        else:
            raise Refused([_issue("PROOF_PERSON_REQUIRED", "须提供身份证件号码，或姓名和出生日期", "id_number")])
        if bad := [i for k in ("id_number", "name", "sex", "nationality", "id_type") for i in text_issues(q[k], k)]:
            raise Refused(bad)
        if q["id_number"] and q["id_type"] == IdType.RESIDENT.value:
            try:
                rid = parse_resident_id(q["id_number"], today)
            except InvalidIdNumber as exc:
                raise Refused([exc.issue("id_number")]) from None
            q["birth_date"] = q["birth_date"] or rid.birth_date
            q["sex"] = q["sex"] or rid.sex.value
        if not q["id_number"] and not (q["name"] and q["birth_date"]):
            raise Refused([_issue("PROOF_PERSON_REQUIRED", "须提供身份证件号码，或姓名和出生日期", "id_number")])
        return q

    @staticmethod
    def _proof_kind(rec: Record) -> str:
        if rec.kind == RecordKind.DIVORCE:
            return RecordKind.DIVORCE.zh
        text = _VARIANT_ZH.get((rec.data or {}).get("variant") or "ordinary", "结婚登记")
        if rec.back_entered:
            text += "（历史档案）"
        return text + _JUDGED_ZH.get(rec.status, "")
