"""Office settings with defaults. Everything the rules leave open (registry_app/domain/RULES.md: **setting**) lives here."""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry_app.storage.models import Setting


@dataclass
class OfficeSettings:
    office_code: str = ""
    office_name: str = ""
    # Whether this office is province-designated for cases with a foreign, HK/Macao/TW or
    # overseas-Chinese party.
    handles_foreign_cases: bool = False
    handles_adoption: bool = True
    # Who owns the certificate number sequence: this office's code or a county code (unverified).
    numbering_scope: str = ""
    # Adoption certificate number format (the official format is unverified).
    adoption_number_format: str = "SY{office}-{year}-{seq:06d}"
    adoption_dissolution_number_format: str = "JC{office}-{year}-{seq:06d}"
    idle_lock_minutes: int = 10
    max_failed_logins: int = 5
    lockout_minutes: int = 15
    reference_max_age_days: int = 7
    # The passphrase typed at a counter is kept in that machine's keyring until it restarts
    # (services/unlock_memory.py); off, nothing is kept.
    keyring_unlock: bool = False
    # A training database (`registry init --training`): the only kind on which a clock override
    # (`--date`) is accepted; every screen, certificate and batch made from it says so.
    training: bool = False
    # Daily backups (services.backup): the folder (empty: next to the database; better a USB drive or
    # another disk) and how many of the client's own backups to keep there.
    backup_dir: str = ""
    backup_keep: int = 14
    # The client warns when the clock is this many days ahead of the newest audit entry (a clock set
    # far forward, or a database restored from long ago); a holiday closure is shorter.
    clock_ahead_warning_days: int = 40

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def number_scope(self) -> str:
        return self.numbering_scope or self.office_code


def load_settings(session: Session) -> OfficeSettings:
    values = {row.key: row.value for row in session.execute(select(Setting)).scalars()}
    known = {f.name for f in fields(OfficeSettings)}
    return OfficeSettings(**{k: v for k, v in values.items() if k in known})


def save_settings(session: Session, settings: OfficeSettings) -> None:
    for key, value in settings.to_dict().items():
        row = session.get(Setting, key)
        if row is None:
            session.add(Setting(key=key, value=value))
        elif row.value != value:
            row.value = value
