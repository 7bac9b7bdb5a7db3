"""Parties as stored, and a person's marital standing from every record that names them
(this office's registrations, back-entered history, and the provincial reference extract)."""
from __future__ import annotations

import hashlib
import hmac

from pypinyin import Style, lazy_pinyin
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry_app.domain.marriage_rules import PartyStanding
from registry_app.domain.parties import PersonInput
from registry_app.domain.states import MarriageState
from registry_app.storage.models import Party, Record, ReferenceEntry, Setting

# record statuses of a marriage that mean "these two are married to each other now"
LIVE_MARRIAGE = (MarriageState.REGISTERED.value, MarriageState.DIVORCE_PENDING.value)


def initials(name: str) -> str:
    """Pinyin initials for the search box (张三丰 -> zsf)."""
    try:
        return "".join(p[0] for p in lazy_pinyin(name, style=Style.FIRST_LETTER) if p)[:16].lower()
    except Exception:  # noqa: BLE001 — a name pypinyin cannot read still gets stored
        return ""


def party_row(p: PersonInput, position: int, role: str) -> Party:
    number = p.id_number or None
    return Party(
        position=position, role=role, name=p.name, name_initials=initials(p.name), sex=p.sex or None,
        birth_date=p.birth_date, id_type=p.id_type, id_number=number,
        id_tail=number[-6:] if number else None, nationality=p.nationality,
        data={k: v for k, v in p.to_dict().items()
              if k in ("ethnicity", "occupation", "education", "residence", "phone", "prior_status") and v}
        | ({"extra": p.extra} if p.extra else {}),
    )


def party_to_input(row: Party) -> PersonInput:
    d = row.data or {}
    return PersonInput(name=row.name, sex=row.sex or "", birth_date=row.birth_date, id_type=row.id_type,
                       id_number=row.id_number or "", nationality=row.nationality, ethnicity=d.get("ethnicity", ""),
                       occupation=d.get("occupation", ""), education=d.get("education", ""),
                       residence=d.get("residence", ""), phone=d.get("phone", ""),
                       prior_status=d.get("prior_status", ""), extra=d.get("extra", {}))


def reference_hash(session: Session, id_number: str) -> str | None:
    key = session.get(Setting, "reference_hmac_key")
    if key is None or not key.value:
        return None
    return hmac.new(bytes.fromhex(key.value), id_number.encode(), hashlib.sha256).hexdigest()


def standing(session: Session, id_number: str | None, exclude_record: int | None = None) -> PartyStanding:
    if not id_number:
        return PartyStanding()
    rows = session.execute(
        select(Record.id, Record.kind, Record.status, Record.registration_date, Record.created_at)
        .join(Party, Party.record_id == Record.id)
        .where(Party.id_number == id_number, Record.kind == "marriage",
               Record.status.in_(LIVE_MARRIAGE + (MarriageState.DISSOLVED.value,)))
    ).all()
    recorded = None
    spouse_record = None
    for r in rows:
        if r.id == exclude_record:
            continue
        if r.status in LIVE_MARRIAGE:
            recorded, spouse_record = "married", r.id
            break
        recorded = "divorced"
    province = None
    h = reference_hash(session, id_number)
    if h:
        entry = session.get(ReferenceEntry, h)
        province = entry.status if entry else None
    return PartyStanding(recorded_status=recorded, province_status=province, spouse_record_id=spouse_record)
