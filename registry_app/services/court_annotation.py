"""Court annotation: a judgment declaring a marriage invalid (CC 1051) or revoking it (CC 1052, 1053) is
annotated on the record (status "invalidated"/"revoked"), with the court, case number and archive number;
its valid certificates are invalidated; earlier annotations and the archive remark are kept. Supervisor
only. What a judgment may say is domain/annulment.py. One transaction, audited, with its sync event; the
record is claimed at the version the page read (services/versions.py: RECORD_CHANGED otherwise)."""
from __future__ import annotations

from registry_app.domain.annulment import EFFECTS, Judgment
from registry_app.domain.roles import Permission
from registry_app.domain.states import (
    CertificateState,
    MarriageState,
    RecordKind,
    record_status_zh,
)
from registry_app.errors import InvalidState, Issue, Refused
from registry_app.services import audit, versions
from registry_app.services.context import AppContext
from registry_app.services.events import append_event
from registry_app.services.registered_records import (
    marital_record,
    parties_payload,
    valid_certificates,
)
from registry_app.services.transitions import move

M = MarriageState
#: A judgment may be annotated on a registered marriage, also one since dissolved or already judged.
ANNOTATABLE = (M.REGISTERED, M.DISSOLVED, M.INVALIDATED, M.REVOKED)


class CourtAnnotation:
    def __init__(self, ctx: AppContext):
        self.ctx = ctx

    def annotate_judgment(self, record_id: int, judgment: dict | Judgment, *, version: int | None = None) -> dict:
        """Annotate a court judgment (invalid or revoked marriage) on the record and its archive;
        `version` is the record's as the page showed it (None: not read first)."""
        user = self.ctx.require(Permission.ANNOTATE_JUDGMENT)
        today = self.ctx.clock.today()
        versions.checked_version(version)
        j = judgment if isinstance(judgment, Judgment) else Judgment.from_dict(judgment, today)
        with self.ctx.db.write() as s:
            rec = marital_record(s, record_id)
            versions.claim(self.ctx, s, rec, version)
            if rec.kind != RecordKind.MARRIAGE:
                raise Refused([Issue("ANNOTATION_KIND_UNSUPPORTED", "法院宣告婚姻无效或撤销婚姻的判决只能备注在结婚登记记录上",
                                      "record")])
            if rec.status == M.DIVORCE_PENDING:
                raise InvalidState("该婚姻有离婚申请正在办理中，须先终止离婚申请再备注法院判决",
                                   code="ANNOTATION_DIVORCE_PENDING")
            if rec.status not in ANNOTATABLE:
                raise InvalidState(f"该结婚申请尚未登记（{record_status_zh(rec.kind, rec.status)}），不能备注法院判决",
                                   code="RECORD_NOT_REGISTERED")
            annotations = list((rec.data or {}).get("annotations", []))
            issues = []
            if any(a.get("case_number") == j.case_number for a in annotations):
                issues.append(Issue("JUDGMENT_ALREADY_ANNOTATED", f"判决（{j.case_number}）已备注在该记录上", "case_number"))
            if rec.registration_date and j.judgment_date < rec.registration_date:
                issues.append(Issue("JUDGMENT_BEFORE_REGISTRATION", "判决日期早于结婚登记日期，请核对", "judgment_date"))
            if issues:
                raise Refused(issues)
            new_status = EFFECTS[j.effect].status
            invalidated = []
            reason = f"{j.court}（{j.case_number}）判决{EFFECTS[j.effect].zh}"
            for cert in valid_certificates(s, rec):
                move(self.ctx, s, cert, CertificateState.INVALIDATED)
                cert.void_reason = reason
                cert.voided_by = user.username
                invalidated.append(cert.number)
            note = {"court": j.court, "case_number": j.case_number, "judgment_date": j.judgment_date.isoformat(),
                    "effective_date": j.effective_date.isoformat() if j.effective_date else None,
                    "effect": j.effect, "ground": j.ground, "archive_number": j.archive_number,
                    "remark": j.remark or j.default_remark(), "previous_status": rec.status,
                    "certificates_invalidated": invalidated, "annotated_by": user.username,
                    "annotated_on": today.isoformat()}
            rec.data = {**(rec.data or {}), "annotations": [*annotations, note]}
            previous = rec.status
            move(self.ctx, s, rec, new_status)  # audited below with the judgment
            audit.record(self.ctx, s, "marriage.annotated", "record", rec.id,
                         {"case_number": j.case_number, "court": j.court, "effect": j.effect,
                          "archive_number": j.archive_number, "previous_status": previous,
                          "certificates_invalidated": invalidated}, reason=note["remark"])
            append_event(self.ctx, s, "marriage.annotated", rec.id, {
                "kind": RecordKind.MARRIAGE.value, "record_uid": rec.uid, "certificate_no": rec.certificate_no,
                "status": new_status, "previous_status": previous, **{k: note[k] for k in (
                    "court", "case_number", "judgment_date", "effective_date", "effect", "ground", "archive_number",
                    "remark")},
                "certificates_invalidated": invalidated, "parties": parties_payload(rec)})
            return {"record_id": rec.id, "status": new_status, "previous_status": previous,
                    "certificates_invalidated": invalidated, "annotations": len(annotations) + 1,
                    "remark": note["remark"]}
