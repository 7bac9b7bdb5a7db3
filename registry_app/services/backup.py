"""Backups that restore: an online, consistent, encrypted copy of the SQLCipher database, and its
restore into a new database after checking every page, the schema and the audit chain.

The copy is SQLCipher's own export (ATTACH ... KEY, then sqlcipher_export) inside one read transaction,
so it is one moment of the database even while counters keep writing (the write-ahead log gives the
reader its snapshot); a plain copy of a live file and its -wal could be torn. The backup is keyed with
the database's passphrase and holds no personal data in clear. It is written under a temporary name in
the target folder (owner-only from creation), fsynced, then renamed: a backup under its final name is
always whole. PostgreSQL is backed up with pg_dump instead (README, "Backups and restore")."""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from registry_app.clock import Clock
from registry_app.demo.guard import is_demo_sandbox, refuse_in_demo
from registry_app.domain.roles import Permission, can
from registry_app.errors import Issue, Refused, RegistryError, StorageError, WrongPassphrase
from registry_app.fsutil import fsync_dir, sweep_temp_files, temp_name
from registry_app.paths import default_backup_dir
from registry_app.services import audit
from registry_app.services.context import AppContext
from registry_app.services.settings import OfficeSettings, load_settings, save_settings
from registry_app.storage.engine import Database, open_database, sqlcipher_url
from registry_app.storage.models import AuditEntry

# The audit entries of backups are filed under this entity type, with the file name as the entity id
# (the (entity_type, entity_id) index finds a file's entry without reading the trail).
AUDIT_ENTITY = "backup"
KEEP_RANGE = (1, 365)
STALE_AFTER = dt.timedelta(days=1)
_CHUNK = 1 << 20


def backup_file_name(office_code: str, when: dt.datetime) -> str:
    """The client's own naming: the office code and the moment, so several offices may share a drive
    and the newest sorts last."""
    return f"registry-backup-{office_code}-{when:%Y%m%d-%H%M%S}.db"


def backup_name_pattern(office_code: str) -> re.Pattern:
    return re.compile(rf"^registry-backup-{re.escape(office_code)}-(\d{{8}}-\d{{6}})\.db$")


@dataclass
class BackupResult:
    path: str
    file: str
    bytes: int
    sha256: str
    chain_head: dict
    made_at: str
    trigger: str
    pruned: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class BackupStatus:
    folder: str
    configured: bool          # False: the default folder next to the database (same disk)
    reachable: bool
    keep: int
    last_file: str | None
    last_made_at: str | None
    warning: str              # empty when all is well; otherwise what the status bar says

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class RestoreResult:
    path: str
    source: str
    sha256: str
    records: int
    audit_entries: int
    chain_head: dict          # the backup's head (before the restore's own entry)

    def to_dict(self) -> dict:
        return asdict(self)


def _refuse(code: str, message: str, field_name: str | None = None) -> Refused:
    return Refused([Issue(code, message, field_name)])


class Backups:
    """Backups of the office database: made by an administrator (command line, 立即备份) or by the
    client once a day, kept N deep in the configured folder, and their state for the status bar."""

    def __init__(self, ctx: AppContext):
        self.ctx = ctx

    # --- settings -------------------------------------------------------------------------------
    def settings(self) -> OfficeSettings:
        with self.ctx.db.read() as s:
            return load_settings(s)

    def folder(self, settings: OfficeSettings | None = None) -> Path | None:
        """The configured folder, or the default next to the database (None on PostgreSQL)."""
        settings = settings or self.settings()
        if settings.backup_dir:
            return Path(settings.backup_dir)
        return default_backup_dir(self.ctx.db.path) if self.ctx.db.path is not None else None

    def configure(self, backup_dir: str, keep: int) -> OfficeSettings:
        """Set the folder (empty: the default) and how many backups to keep. The folder must exist and
        be writable now: it is chosen while the drive is plugged in."""
        self.ctx.require(Permission.MANAGE_SETTINGS)
        issues = []
        backup_dir = (backup_dir or "").strip()
        if backup_dir and not Path(backup_dir).is_absolute():
            issues.append(Issue("BACKUP_DIR_INVALID", "备份文件夹须为完整路径", "backup_dir"))
        elif backup_dir and not _writable_dir(Path(backup_dir)):
            issues.append(Issue("BACKUP_DIR_NOT_FOUND", f"备份文件夹不存在或不可写：{backup_dir}", "backup_dir"))
        if isinstance(keep, bool) or not isinstance(keep, int) or not KEEP_RANGE[0] <= keep <= KEEP_RANGE[1]:
            issues.append(Issue("SETTING_OUT_OF_RANGE", f"保留份数应在{KEEP_RANGE[0]}至{KEEP_RANGE[1]}之间",
                                "backup_keep"))
        if issues:
            raise Refused(issues)
        with self.ctx.db.write() as s:
            current = load_settings(s)
            before = {"backup_dir": current.backup_dir, "backup_keep": current.backup_keep}
            current.backup_dir, current.backup_keep = backup_dir, keep
            save_settings(s, current)
            audit.record(self.ctx, s, "settings.changed", "office", current.office_code,
                         {"before": before, "after": {"backup_dir": backup_dir, "backup_keep": keep}})
            return current

    # --- making backups -------------------------------------------------------------------------
    def backup_to(self, out: Path) -> BackupResult:
        """`registry backup --out FILE`: an administrator's backup to a named file (never overwritten)."""
        self.ctx.require(Permission.BACKUP)
        return self._make(Path(out), "manual")

    def backup_now(self) -> BackupResult:
        """立即备份: an administrator's backup into the configured folder, then the old ones pruned."""
        self.ctx.require(Permission.BACKUP)
        return self._into_folder("manual")

    def run_daily(self) -> BackupResult | None:
        """The client's own daily backup (at start and from a timer): made when the folder holds no good
        backup from today. Runs for whoever is signed in (it reads nothing to them); audited as system."""
        if self.ctx.db.dialect != "sqlite" or not self.ctx.db.encrypted:
            return None  # PostgreSQL is the server's to back up (pg_dump); nothing to do at the counter
        if is_demo_sandbox(self.ctx.db):
            return None  # a demo keeps nothing: it is deleted when it closes
        status = self.status()
        if status.reachable and status.last_made_at and \
                dt.datetime.fromisoformat(status.last_made_at).date() == self.ctx.clock.now().date():
            return None
        return self._into_folder("daily")

    def _into_folder(self, trigger: str) -> BackupResult:
        settings = self.settings()
        folder = self.folder(settings)
        if folder is None:
            raise postgres_refusal()
        if not settings.backup_dir:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _writable_dir(folder):
            raise _refuse("BACKUP_DIR_UNREACHABLE", f"备份文件夹无法访问（U盘是否已拔出？）：{folder}", "backup_dir")
        name = backup_file_name(settings.office_code, self.ctx.clock.now())
        result = self._make(folder / name, trigger)
        result.pruned = [p.name for p in self.prune(folder, settings)]
        return result

    def _make(self, out: Path, trigger: str) -> BackupResult:
        db = self.ctx.db
        refuse_in_demo(db, "数据库备份")
        if db.dialect != "sqlite":
            raise postgres_refusal()
        if not db.encrypted:
            raise _refuse("BACKUP_NOT_ENCRYPTED", "只备份加密的数据库")
        if out.exists():
            raise _refuse("BACKUP_EXISTS", f"文件已存在，不会覆盖：{out.name}", "out")
        if not out.parent.is_dir():
            raise _refuse("BACKUP_DIR_NOT_FOUND", f"文件夹不存在：{out.parent}", "out")
        sweep_temp_files(out.parent)
        made_at = self.ctx.clock.now()
        tmp = temp_name(out)
        try:
            head = _export(db, tmp)
            size, digest = _fsync_and_hash(tmp)
            if out.exists():
                raise _refuse("BACKUP_EXISTS", f"文件已存在，不会覆盖：{out.name}", "out")
            os.replace(tmp, out)
        except OSError as exc:
            raise StorageError(f"备份写入失败（{exc.strerror or exc}）：{out.parent}", code="BACKUP_WRITE_FAILED") from exc
        finally:
            tmp.unlink(missing_ok=True)
        _try_fsync_dir(out.parent)
        detail = {"file": out.name, "bytes": size, "sha256": digest, "chain_head": head, "trigger": trigger}
        try:
            with db.write() as s:
                if trigger == "daily":
                    audit.record(self.ctx, s, "backup.made", AUDIT_ENTITY, out.name[:64], detail,
                                 username="system", role="system")
                else:
                    audit.record(self.ctx, s, "backup.made", AUDIT_ENTITY, out.name[:64], detail)
        except BaseException:
            out.unlink(missing_ok=True)  # an unrecorded backup would not count as one: no file either
            raise
        return BackupResult(str(out), out.name, size, digest, head, made_at.isoformat(timespec="seconds"), trigger)

    def prune(self, folder: Path, settings: OfficeSettings | None = None) -> list[Path]:
        """Delete the client's own backups beyond the newest `backup_keep` (only files named by its pattern)."""
        settings = settings or self.settings()
        mine = sorted(self._own_backups(folder, settings.office_code), reverse=True)
        removed = []
        for _stamp, path in mine[max(1, settings.backup_keep):]:
            try:
                path.unlink()
            except OSError:
                continue
            removed.append(path)
        return removed

    @staticmethod
    def _own_backups(folder: Path, office_code: str) -> list[tuple[str, Path]]:
        pattern = backup_name_pattern(office_code)
        found = []
        try:
            entries = list(os.scandir(folder))
        except OSError:
            return []
        for entry in entries:
            m = pattern.match(entry.name)
            if m and entry.is_file(follow_symlinks=False):
                found.append((m.group(1), Path(entry.path)))
        return found

    # --- state ----------------------------------------------------------------------------------
    def last_backup(self) -> dict | None:
        """The newest backup the audit trail records (any folder, any trigger): its entry's time,
        file, size, SHA-256 and the chain head it holds; None when none was ever made."""
        with self.ctx.db.read() as s:
            entry = s.execute(select(AuditEntry).where(AuditEntry.entity_type == AUDIT_ENTITY,
                                                       AuditEntry.action == "backup.made")
                              .order_by(AuditEntry.id.desc()).limit(1)).scalar_one_or_none()
            return {"at": entry.ts, "by": entry.username, **entry.detail} if entry else None

    def status(self) -> BackupStatus:
        """When the last good backup in the folder was made, and the warning the status bar shows when it
        is older than a day or the folder cannot be reached. A good backup is a file of the client's
        naming whose name, size and SHA-256 the audit trail recorded when it was made (size checked here;
        the hash when it is restored)."""
        settings = self.settings()
        folder = self.folder(settings)
        # PostgreSQL: backed up on the server with pg_dump, not by the client; a demo keeps nothing
        if folder is None or is_demo_sandbox(self.ctx.db):
            return BackupStatus("", False, False, settings.backup_keep, None, None, "")
        configured = bool(settings.backup_dir)
        reachable = _writable_dir(folder) if configured else (not folder.exists() or _writable_dir(folder))
        last_file = last_at = None
        if reachable:
            for stamp, path in sorted(self._own_backups(folder, settings.office_code), reverse=True):
                if self._recorded(path):
                    last_file = path.name
                    last_at = dt.datetime.strptime(stamp, "%Y%m%d-%H%M%S").replace(
                        tzinfo=self.ctx.clock.now().tzinfo).isoformat(timespec="seconds")
                    break
        if not reachable:
            warning = f"备份文件夹无法访问（U盘是否已拔出？）：{folder}"
        elif last_at is None:
            warning = "尚无数据库备份"
        elif self.ctx.clock.now() - dt.datetime.fromisoformat(last_at) > STALE_AFTER:
            warning = f"最近一次数据库备份已超过一天（{last_at[:16].replace('T', ' ')}）"
        else:
            warning = ""
        if warning and not configured:
            # only an administrator can set it: anyone else is told whom to ask
            admin = self.ctx.user is not None and can(self.ctx.user.role, Permission.MANAGE_SETTINGS)
            warning += ("；请在系统管理中设置备份文件夹（U盘或另一块硬盘）" if admin
                        else "；请系统管理员设置备份文件夹（U盘或另一块硬盘）")
        return BackupStatus(str(folder), configured, reachable, settings.backup_keep, last_file, last_at, warning)

    def _recorded(self, path: Path) -> bool:
        try:
            size = path.stat().st_size
        except OSError:
            return False
        with self.ctx.db.read() as s:
            details = s.execute(select(AuditEntry.detail).where(
                AuditEntry.entity_type == AUDIT_ENTITY, AuditEntry.entity_id == path.name[:64],
                AuditEntry.action == "backup.made")).scalars().all()
        return any(d.get("file") == path.name and d.get("bytes") == size for d in details)


def sweep_stale_temp_files(ctx: AppContext, *extra: Path | None) -> list[Path]:
    """At start: remove the temporary files a killed writer left next to the database, in the backup
    folder and in `extra` folders (the outbox). Never fails the start."""
    folders: list[Path | None] = [ctx.db.path.parent if ctx.db.path is not None else None, *extra]
    try:
        folders.append(Backups(ctx).folder())
    except RegistryError:
        pass
    return sweep_temp_files(*folders)


def postgres_refusal() -> Refused:
    return _refuse("BACKUP_USE_PG_DUMP",
                   "PostgreSQL 数据库不由本程序备份：请按说明书“备份与恢复”一节用 pg_dump 备份并加密保存")


def _writable_dir(path: Path) -> bool:
    try:
        return path.is_dir() and os.access(path, os.W_OK | os.X_OK)
    except OSError:
        return False


def _try_fsync_dir(folder: Path) -> None:
    try:
        fsync_dir(folder)
    except OSError:
        pass  # some network and removable file systems refuse it; the file itself is synced


def _export(db: Database, tmp: Path) -> dict:
    """Write an encrypted copy of `db` into the new file `tmp`; return the audit chain head it holds."""
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o600)  # the umask may have taken bits away
    finally:
        os.close(fd)
    with db.engine.connect() as conn:
        cur = conn.connection.dbapi_connection.cursor()
        # ATTACH is refused inside a transaction: before SQLAlchemy begins one.
        cur.execute("ATTACH DATABASE ? AS backup KEY ?", (str(tmp), db.url.password or ""))
        try:
            cur.execute("PRAGMA backup.journal_mode = OFF").fetchall()  # a failed copy is deleted, not rolled back
            # One read transaction: the head and every table are read from the same snapshot.
            conn.execution_options(sqlite_begin="DEFERRED")
            with conn.begin():
                with Session(bind=conn) as s:
                    head = audit.chain_head(s)
                conn.exec_driver_sql("SELECT sqlcipher_export('backup')").all()
        except DBAPIError as exc:
            raise StorageError(f"备份失败：{exc.orig}", code="BACKUP_FAILED") from None
        finally:
            try:
                cur.execute("DETACH DATABASE backup")
            except Exception:  # noqa: BLE001 — never give the pool back a connection with the copy attached
                conn.invalidate()
    return head


def _fsync_and_hash(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    fd = os.open(path, os.O_RDWR | getattr(os, "O_BINARY", 0))
    try:
        os.fsync(fd)
        while chunk := os.read(fd, _CHUNK):
            digest.update(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    return size, digest.hexdigest()


# --- restore ----------------------------------------------------------------------------------------
def restore_backup(source: Path, target: Path, passphrase: str, clock: Clock | None = None) -> RestoreResult:
    """Make a new database at `target` from the backup `source`, after checking every page's
    authentication code, SQLite's integrity check and the audit chain; a backup that fails any of them
    is refused and nothing is written. The restore is itself recorded in the new database's trail."""
    source, target = Path(source), Path(target)
    if not source.is_file():
        raise _refuse("BACKUP_NOT_FOUND", f"找不到备份文件：{source}", "file")
    if target.exists():
        raise _refuse("RESTORE_TARGET_EXISTS", f"目标文件已存在，不会覆盖：{target.name}", "to")
    if not target.parent.is_dir():
        raise _refuse("RESTORE_DIR_NOT_FOUND", f"目标文件夹不存在：{target.parent}", "to")
    sweep_temp_files(target.parent)
    tmp = temp_name(target)
    try:
        digest = _copy_new(source, tmp)
        result = _check_and_mark(tmp, passphrase, clock or Clock(), source, digest)
        _fsync_and_hash(tmp)
        if target.exists():
            raise _refuse("RESTORE_TARGET_EXISTS", f"目标文件已存在，不会覆盖：{target.name}", "to")
        os.replace(tmp, target)
    except OSError as exc:
        raise StorageError(f"恢复写入失败（{exc.strerror or exc}）：{target.parent}",
                           code="RESTORE_WRITE_FAILED") from exc
    finally:
        for leftover in (tmp, *(tmp.with_name(tmp.name + s) for s in ("-wal", "-shm", "-journal"))):
            leftover.unlink(missing_ok=True)
    _try_fsync_dir(target.parent)
    result.path = str(target)
    return result


def _copy_new(source: Path, tmp: Path) -> str:
    digest = hashlib.sha256()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o600)
        with open(source, "rb") as src:
            while chunk := src.read(_CHUNK):
                digest.update(chunk)
                view = memoryview(chunk)
                while view:
                    view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)
    return digest.hexdigest()


def _damaged(detail: str) -> Refused:
    return _refuse("BACKUP_DAMAGED", f"备份文件已损坏或被改动，不能恢复（{detail}）", "file")


def _check_and_mark(path: Path, passphrase: str, clock: Clock, source: Path, digest: str) -> RestoreResult:
    try:
        db = open_database(sqlcipher_url(path, passphrase))
    except WrongPassphrase:
        raise WrongPassphrase("口令不能打开此备份：口令错误，或备份文件开头已损坏") from None
    except StorageError as exc:
        raise _damaged(exc.message) from None
    try:
        try:
            size = path.stat().st_size
            raw = db.engine.raw_connection()
            try:
                cur = raw.cursor()
                bad_pages = cur.execute("PRAGMA cipher_integrity_check").fetchall()
                if bad_pages:
                    raise _damaged(f"{len(bad_pages)}页校验失败")
                page_size = cur.execute("PRAGMA page_size").fetchone()[0]
                page_count = cur.execute("PRAGMA page_count").fetchone()[0]
                if int(page_size) * int(page_count) != size:
                    raise _damaged("文件长度与页数不符，可能被截断")
                problems = [row[0] for row in cur.execute("PRAGMA integrity_check").fetchall()]
                if problems != ["ok"]:
                    raise _damaged(problems[0])
            finally:
                raw.close()
            ctx = AppContext(db=db, clock=clock)
            report = audit.verify_chain(ctx)
            if not report.ok:
                raise _refuse("BACKUP_AUDIT_BROKEN", f"备份中的审计链不完整，不能恢复：{report.problem}", "file")
            with db.write() as s:
                head = audit.chain_head(s)
                records = s.execute(text("SELECT count(*) FROM records")).scalar_one()
                audit.record(ctx, s, "backup.restored", AUDIT_ENTITY, source.name[:64],
                             {"file": source.name, "sha256": digest, "chain_head": head},
                             username="system", role="system")
        except DBAPIError as exc:
            raise _damaged(str(exc.orig)) from None
    finally:
        db.close()
    return RestoreResult("", str(source), digest, records, report.checked, head)
