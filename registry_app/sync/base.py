"""What every part of the office's sync service shares: the context, permission checks, the keys
kept in the database, the batch chain, and small argument helpers."""
from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry_app.domain.roles import Permission
from registry_app.errors import PermissionDenied, RegistryError
from registry_app.operations import NEVER_CANCELLED, NO_PROGRESS, IsCancelled, Progress  # noqa: F401 — re-used
from registry_app.services.context import AppContext, CurrentUser
from registry_app.services.settings import load_settings
from registry_app.storage.models import Batch, KeyMaterial, RecordEvent, Setting
from registry_app.sync.canonical import canonical_json
from registry_app.sync.keys import KeyRing, OfficeKeyPair, PublicKey, parse_public_key

PROVINCE_KEY = "province_public"
OFFICE_KEY = "office_signing"
_CHUNK = 5000


# the protocol's defaults, under the names the sync modules use
noop_progress = NO_PROGRESS
never = NEVER_CANCELLED


def as_date(value: dt.date | str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise RegistryError(f"日期格式应为YYYY-MM-DD：{value}", code="DATE_INVALID", field="date") from None


def read_file(path: str | Path, code: str, what: str) -> bytes:
    p = Path(path)
    try:
        return p.read_bytes()
    except OSError as exc:
        raise RegistryError(f"无法读取{what}{p.name}（{exc.strerror}）", code=code, field="path") from None


def event_payload(ev: RecordEvent) -> dict:
    """One event as the batch carries it (event-v1)."""
    return {"event_id": ev.event_id, "seq": ev.seq, "event_type": ev.event_type, "occurred_at": ev.occurred_at,
            "record_id": ev.record_id, "data": dict(ev.data or {})}


def get_setting(s: Session, key: str, default=None):
    """A copy: a JSON value changed in place would compare equal to itself and never be written."""
    row = s.get(Setting, key)
    return default if row is None else copy.deepcopy(row.value)


def put_setting(s: Session, key: str, value) -> None:
    row = s.get(Setting, key)
    if row is None:
        s.add(Setting(key=key, value=value))
    else:
        row.value = value


class SyncBase:
    def __init__(self, ctx: AppContext):
        self.ctx = ctx

    # --- permissions ----------------------------------------------------------------------------
    def _require_any(self, *permissions: Permission) -> CurrentUser:
        require_any = getattr(self.ctx, "require_any", None)
        if require_any is not None:  # one check, one audited refusal at most
            return require_any(*permissions)
        last: PermissionDenied | None = None
        for p in permissions:
            try:
                return self.ctx.require(p)
            except PermissionDenied as exc:
                if exc.code != "PERMISSION_DENIED":
                    raise
                last = exc
        assert last is not None
        raise last

    def _logged_in(self) -> CurrentUser:
        """Anyone logged in: finishing or undoing what the system itself left half-done is not a
        permission of one role (it runs at every client start)."""
        if self.ctx.user is None:
            raise PermissionDenied("请先登录", code="NOT_LOGGED_IN")
        return self.ctx.user

    # --- keys -----------------------------------------------------------------------------------
    @staticmethod
    def _office_code(s: Session) -> str:
        code = load_settings(s).office_code
        if not code:
            raise RegistryError("尚未设置登记机关代码", code="OFFICE_NOT_CONFIGURED")
        return code

    @staticmethod
    def _office_key(s: Session, office_code: str, key_id: str | None = None) -> OfficeKeyPair:
        q = select(KeyMaterial).where(KeyMaterial.purpose == OFFICE_KEY)
        q = q.where(KeyMaterial.key_id == key_id) if key_id else q.where(KeyMaterial.active.is_(True))
        row = s.execute(q).scalar_one_or_none()
        if row is None or row.private_key is None:
            raise RegistryError("本处尚无签名密钥，请管理员生成", code="OFFICE_KEY_MISSING")
        return OfficeKeyPair.from_private_bytes(office_code, row.private_key, str(row.public_data.get("created", "")))

    @staticmethod
    def _office_keys(s: Session, office_code: str) -> list[OfficeKeyPair]:
        rows = s.execute(select(KeyMaterial).where(KeyMaterial.purpose == OFFICE_KEY)
                         .order_by(KeyMaterial.active.desc(), KeyMaterial.created_at.desc())).scalars()
        return [OfficeKeyPair.from_private_bytes(office_code, r.private_key, str(r.public_data.get("created", "")))
                for r in rows if r.private_key]

    @staticmethod
    def _province_ring(s: Session) -> KeyRing:
        return province_ring(s)

    @staticmethod
    def _province_public(s: Session) -> PublicKey:
        row = s.execute(select(KeyMaterial).where(KeyMaterial.purpose == PROVINCE_KEY,
                                                  KeyMaterial.active.is_(True))).scalar_one_or_none()
        if row is None:
            raise RegistryError("尚未导入省级公钥，请系统管理员在“系统管理 → 密钥”中导入（命令行：registry sync set-province-key）",
                                code="PROVINCE_KEY_MISSING")
        return parse_public_key(canonical_json(row.public_data))

    # --- chain ----------------------------------------------------------------------------------
    @staticmethod
    def _chain_hash(s: Session, batch_seq: int) -> str | None:
        row = s.get(Batch, batch_seq)
        if row is not None and row.chain_hash:
            return row.chain_hash
        nxt = s.get(Batch, batch_seq + 1)
        return nxt.prev_hash if nxt is not None else None


def province_ring(s: Session) -> KeyRing:
    """Every province public key the office trusts (old ones too: what they signed still verifies)."""
    rows = s.execute(select(KeyMaterial).where(KeyMaterial.purpose == PROVINCE_KEY)).scalars().all()
    if not rows:
        raise RegistryError("尚未导入省级公钥，请系统管理员在“系统管理 → 密钥”中导入（命令行：registry sync set-province-key）",
                            code="PROVINCE_KEY_MISSING")
    return KeyRing.of(parse_public_key(canonical_json(r.public_data)) for r in rows)
