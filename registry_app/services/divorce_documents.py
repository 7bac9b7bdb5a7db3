"""The A4 documents of divorce by agreement, rendered to memory (never a temporary file):

    离婚登记申请受理回执单   acknowledgement_slip(app_id)       handed out on 受理
    撤回离婚登记申请确认单   withdrawal_confirmation(app_id)    after a withdrawal in the cooling-off
    不予受理告知书           refusal_notice(issues, parties, date)  when an application is refused and
                                                                  the parties ask for it in writing

The facts (deadlines, who withdrew, the coded reasons) come from DivorceService's records and
refusals; the wording from certificates.forms. Every print needs PRINT and is audited in the same
transaction as the read."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from registry_app.certificates import PartyView, forms, render_form
from registry_app.domain.deadlines import DivorceDeadlines
from registry_app.domain.divorce_rules import is_refusal
from registry_app.domain.field_rules import valid_record_id
from registry_app.domain.roles import Permission
from registry_app.domain.states import DivorceState
from registry_app.errors import InvalidState, Issue, NotFound, Refused
from registry_app.services import audit
from registry_app.services.context import AppContext
from registry_app.services.settings import load_settings
from registry_app.storage.models import Record

MATTER = "协议离婚登记"


def application_number(app_id: int) -> str:
    """The number printed on the slip; the clerk finds the application by it (撤回, 发证)."""
    return str(app_id)


def _party_view(p) -> PartyView:
    return PartyView(p.name, p.sex or "", p.nationality, p.birth_date, p.id_type, p.id_number or "",
                     (p.data or {}).get("ethnicity", ""))


def _name_of(party) -> str:
    if isinstance(party, str):
        return party.strip()
    return str(getattr(party, "name", "") or "").strip()


class DivorceDocuments:
    def __init__(self, ctx: AppContext):
        self.ctx = ctx

    def _application(self, s, app_id: int) -> Record:
        rec = s.get(Record, app_id) if valid_record_id(app_id) else None
        if rec is None or rec.kind != "divorce":
            raise NotFound(f"离婚申请不存在：{app_id}", code="APPLICATION_NOT_FOUND")
        return rec

    def acknowledgement_slip(self, app_id: int) -> bytes:
        """离婚登记申请受理回执单 with both names, the receipt date and both deadlines. May be printed
        again (a lost slip is replaced by a written note, not by a second slip, but a misprint happens)."""
        self.ctx.require(Permission.PRINT)
        with self.ctx.db.write() as s:
            rec = self._application(s, app_id)
            d = DivorceDeadlines.from_dict(rec.data["deadlines"])
            settings = load_settings(s)
            view = forms.divorce_acknowledgement(
                [_party_view(p) for p in rec.parties[:2]], office_name=settings.office_name,
                received_date=d.received, cooling_off_end=d.cooling_off_ends, collection_deadline=d.collect_by,
                application_number=application_number(rec.id))
            view.training = settings.training
            pdf = render_form(view)
            audit.record(self.ctx, s, "form.rendered", "record", rec.id, {"form": "divorce_acknowledgement"})
            return pdf

    def withdrawal_confirmation(self, app_id: int) -> bytes:
        """撤回离婚登记申请确认单 for the party who withdrew."""
        self.ctx.require(Permission.PRINT)
        with self.ctx.db.write() as s:
            rec = self._application(s, app_id)
            withdrawn = (rec.data or {}).get("withdrawn")
            if rec.status != DivorceState.WITHDRAWN or not withdrawn:
                raise InvalidState("该离婚申请未撤回，不能出具撤回确认单", code="NOT_WITHDRAWN")
            parties = list(rec.parties[:2])
            by = int(withdrawn["by_party"])
            withdrawing = parties[by - 1]
            other = parties[2 - by]
            d = DivorceDeadlines.from_dict(rec.data["deadlines"])
            settings = load_settings(s)
            view = forms.withdrawal_confirmation(
                office_name=settings.office_name, withdrawing=_party_view(withdrawing), other_name=other.name,
                application_number=application_number(rec.id), received_date=d.received,
                withdrawal_date=dt.date.fromisoformat(withdrawn["on"]))
            view.training = settings.training
            pdf = render_form(view)
            audit.record(self.ctx, s, "form.rendered", "record", rec.id,
                         {"form": "divorce_withdrawal", "by_party": by})
            return pdf

    def refusal_notice(self, issues: Sequence[Issue], parties: Sequence, date: dt.date | None = None) -> bytes:
        """不予受理告知书 listing every legal ground of a refusal (domain/divorce_rules.REFUSAL_CODES):
        input still missing is no ground, so it is left out, and a notice without a ground is refused.
        `parties` are names or anything with a `.name` (PersonInput); `date` is the application date
        (today if not given). Nothing was stored for the refused application, so the audit entry keeps
        the codes only."""
        self.ctx.require(Permission.PRINT)
        reasons = [i for i in issues or [] if isinstance(i, Issue) and is_refusal(i)]
        if not reasons:
            raise Refused([Issue("REFUSAL_REASONS_MISSING", "不予受理告知书须写明不予受理的理由", "issues")])
        names = [n for n in (_name_of(p) for p in parties or []) if n]
        if not names:
            raise Refused([Issue("ADDRESSEE_MISSING", "不予受理告知书须写明当事人姓名", "parties")])
        today = self.ctx.clock.today()
        with self.ctx.db.write() as s:
            settings = load_settings(s)
            view = forms.refusal_notice(office_name=settings.office_name, addressees=names, matter=MATTER,
                                        application_date=date or today, reasons=reasons, issue_date=today,
                                        stage="acceptance")
            view.training = settings.training
            pdf = render_form(view)
            audit.record(self.ctx, s, "form.rendered", "form", "divorce_refusal",
                         {"form": "refusal_acceptance", "codes": [i.code for i in reasons]})
            return pdf


__all__ = ["DivorceDocuments", "application_number"]
