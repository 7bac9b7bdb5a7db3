"""The province's reference extract as the office keeps it: imported in one transaction, its date
checked on the way in and again whenever it is read back, so a bad stored value shows as a warning
instead of stopping the close-day check or the next import."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import delete, func, insert, select

from registry_app.clock import CHINA_TZ
from registry_app.domain.roles import Permission
from registry_app.errors import Cancelled, Issue, Refused
from registry_app.services import audit
from registry_app.services.settings import load_settings
from registry_app.storage.models import ReferenceEntry, Setting
from registry_app.sync.base import (_CHUNK, IsCancelled, Progress, SyncBase, get_setting, never,
                                    noop_progress, put_setting, read_file)
from registry_app.sync.reference import parse_as_of, parse_reference
from registry_app.sync.results import ReferenceImportResult, ReferenceStatus

REF_KEY, REF_AS_OF, REF_PROVINCE, REF_IMPORTED = ("reference_hmac_key", "reference_as_of", "reference_province",
                                                  "reference_imported_at")
# An extract dated later than this after the office's own clock is refused: it would make every
# genuine later extract look older (REFERENCE_OLDER) until that date.
FUTURE_SLACK = dt.timedelta(days=1)


class ReferenceMixin(SyncBase):
    def import_reference(self, path: str | Path, progress: Progress | None = None,
                         cancelled: IsCancelled | None = None) -> ReferenceImportResult:
        """Replace the province's marital-status extract and its hash key, in one transaction. Refused,
        with nothing stored: a bad signature or format (REFERENCE_*), an as_of that is not a date
        (REFERENCE_MALFORMED), in the future (REFERENCE_AS_OF_FUTURE) or older than the one held."""
        user = self.ctx.require(Permission.SYNC_IMPORT)
        progress, cancelled = progress or noop_progress, cancelled or never
        raw = read_file(path, "SYNC_FILE_UNREADABLE", "比对数据文件")
        with self.ctx.db.write() as s:
            extract = parse_reference(raw, self._province_ring(s))
            when = parse_as_of(extract.as_of)
            assert when is not None  # parse_reference refuses an as_of that does not parse
            if when > self.ctx.clock.now() + FUTURE_SLACK:
                raise Refused([Issue("REFERENCE_AS_OF_FUTURE", f"该比对数据的截止时间{extract.as_of}晚于今天，"
                                                               "请核对文件或本机时钟", "path")])
            held_text = get_setting(s, REF_AS_OF)
            held = parse_as_of(held_text)
            if held is not None and when < held:
                raise Refused([Issue("REFERENCE_OLDER", f"该比对数据（截至{extract.as_of}）比已导入的"
                                                        f"（截至{held_text}）更旧", "path")])
            s.execute(delete(ReferenceEntry))
            rows = [{"id_hash": h, "status": st} for h, st in extract.entries.items()]
            for start in range(0, len(rows), _CHUNK):
                if cancelled():
                    raise Cancelled("已取消导入，比对数据未改变")
                s.execute(insert(ReferenceEntry), rows[start:start + _CHUNK])
                progress(min(start + _CHUNK, len(rows)), len(rows), "写入比对数据")
            # people.reference_hash reads the key as hex: keep that contract
            for key, value in ((REF_KEY, extract.key.hex()), (REF_AS_OF, extract.as_of),
                               (REF_PROVINCE, extract.province),
                               (REF_IMPORTED, self.ctx.clock.now().isoformat(timespec="seconds"))):
                put_setting(s, key, value)
            s.flush()
            detail = {"entries": len(rows), "province": extract.province, "by": user.username}
            if held_text is not None and held is None:
                detail["replaced_unreadable_as_of"] = True  # the value held was not a date: noted, not trusted
            audit.record(self.ctx, s, "sync.reference_imported", "reference", extract.as_of, detail)
            return ReferenceImportResult(extract.as_of, extract.province, len(rows))

    def _reference_status(self, s) -> ReferenceStatus:
        max_age = load_settings(s).reference_max_age_days
        row = s.get(Setting, REF_AS_OF)
        entries = s.execute(select(func.count()).select_from(ReferenceEntry)).scalar() or 0
        if row is None or not row.value:
            return ReferenceStatus(None, None, max_age, True, entries,
                                   "尚未导入省级比对数据：婚姻状况只能按本处记录核对")
        when = parse_as_of(row.value)
        if when is None:
            return ReferenceStatus(str(row.value)[:40], None, max_age, True, entries,
                                   "已存的省级比对数据截止时间无效，请重新导入最新的比对数据")
        age = (self.ctx.clock.today() - when.astimezone(CHINA_TZ).date()).days
        stale = age > max_age
        warning = (f"省级比对数据已{age}天未更新（超过{max_age}天），请尽快导入最新数据" if stale else None)
        return ReferenceStatus(row.value, age, max_age, stale, entries, warning)

    def reference_status(self) -> ReferenceStatus:
        self._require_any(Permission.REGISTER, Permission.SYNC_EXPORT, Permission.SYNC_IMPORT)
        with self.ctx.db.read() as s:
            return self._reference_status(s)

    def reference_age_days(self) -> int | None:
        """Days since the extract's as_of date; None when none was ever imported (or it is unreadable)."""
        return self.reference_status().age_days
