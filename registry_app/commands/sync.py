"""`registry sync ...` (the office's end of day) and `registry province ...` (the receiving side,
for testing an exchange without the provincial system; needs no office database).

Province key directory (`--keys DIR`): the province private key files (`province-*.key`, mode 0600),
the office public keys it trusts (`office-*.pub`, as written beside each batch) and the state file
`province-state.json` (what was accepted from each office). `validate` never changes the state;
`validate --accept` records an acceptable batch as received; `ack` accepts the batch first when that
has not been done, and answers only for the office's last accepted batch."""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from registry_app.cli import Env, emit, handled, pass_env
from registry_app.errors import Issue, Refused, RegistryError

STATE_FILE = "province-state.json"


# --- office side -------------------------------------------------------------------------------


@click.group()
def sync() -> None:
    """日终上报 (end-of-day batch, acknowledgements, reference extract)."""


def _service(env: Env, user: str):
    from registry_app.sync.service import SyncService

    return SyncService(env.context(user=user))


@sync.command("check")
@click.option("--date", "day", required=True, help="营业日 YYYY-MM-DD")
@click.option("--user", required=True)
@pass_env
def sync_check(env: Env, day: str, user: str) -> None:
    """Close-day check: open work, quality rate (登记合格率) and defects, events by type, and the audit
    chain head (`paper_anchor`) to copy onto the close-of-day sheet."""
    with handled():
        report = _service(env, user).close_day_check(day)
        emit(report.to_dict())
        click.echo(f"审计链锚点（请抄录在日终报表上）：{report.anchor_text} (audit head: seq {report.audit_head['seq']}, "
                   f"hash {report.audit_head['hash'][:16]})", err=True)


@sync.command("export")
@click.option("--date", "day", required=True, help="营业日 YYYY-MM-DD")
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), required=True)
@click.option("--again", is_flag=True, help="重写该日已导出的批次（同一清单，不产生新批次）")
@click.option("--user", required=True)
@pass_env
def sync_export(env: Env, day: str, out_dir: Path, again: bool, user: str) -> None:
    """Write the day's batch (and the office .pub beside it). Without --again: a new batch with every
    event not yet sent up to the end of the day, even none. With --again: the day's batches again."""
    with handled():
        svc = _service(env, user)
        if again:
            emit([r.to_dict() for r in svc.reexport(day, out_dir)])
        else:
            emit(svc.export(day, out_dir).to_dict())


@sync.command("reconcile")
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="另需核对的发件文件夹（默认：未完成批次记录的文件夹和最近一次导出的文件夹）")
@click.option("--user", required=True)
@pass_env
def sync_reconcile(env: Env, out_dir: Path | None, user: str) -> None:
    """Settle what an interrupted export left: adopt a pending batch whose file is there, drop one whose
    file never appeared, move unknown batch files to quarantine/. The client does this at every start."""
    with handled():
        emit(_service(env, user).reconcile(out_dir).to_dict())


@sync.command("release-orphan")
@click.argument("file_name")
@click.option("--note", required=True, help="与省级核实的情况（如：省级确认未收到该批次）")
@click.option("--user", required=True)
@pass_env
def sync_release_orphan(env: Env, file_name: str, note: str, user: str) -> None:
    """Supervisor: a quarantined batch file was never received by the province; the next export may
    make that batch number."""
    with handled():
        emit(_service(env, user).release_orphan(file_name, note))


@sync.command("set-province-key")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--user", required=True)
@pass_env
def sync_set_province_key(env: Env, file: Path, user: str) -> None:
    """Trust a province public key and encrypt batches to it (older keys stay trusted)."""
    with handled():
        emit(_service(env, user).set_province_key(file).to_dict())


@sync.command("export-office-key")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--user", required=True)
@pass_env
def sync_export_office_key(env: Env, path: Path, user: str) -> None:
    """Write the office's public key file (PATH may be a directory)."""
    with handled():
        emit(_service(env, user).export_office_public_key(path).to_dict())


@sync.command("rotate-office-key")
@click.option("--user", required=True)
@pass_env
def sync_rotate_office_key(env: Env, user: str) -> None:
    """A new office signing key; give its .pub to the province before the next batch."""
    with handled():
        emit(_service(env, user).rotate_office_key().to_dict())


@sync.command("import-ack")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--user", required=True)
@pass_env
def sync_import_ack(env: Env, file: Path, user: str) -> None:
    """Apply the province's acknowledgement (the same file twice changes nothing)."""
    with handled():
        emit(_service(env, user).import_ack(file).to_dict())


@sync.command("import-reference")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--user", required=True)
@pass_env
def sync_import_reference(env: Env, file: Path, user: str) -> None:
    """Replace the province's marital-status reference extract."""
    with handled():
        svc = _service(env, user)
        result = svc.import_reference(file).to_dict()
        emit({**result, "age_days": svc.reference_status().age_days})


@sync.command("cases")
@click.option("--all", "show_all", is_flag=True, help="含已处理的事项")
@click.option("--user", required=True)
@pass_env
def sync_cases(env: Env, show_all: bool, user: str) -> None:
    """The supervisor's work list: rejected events and conflicts from acknowledgements."""
    with handled():
        emit([c.to_dict() for c in _service(env, user).work_cases(open_only=not show_all)])


@sync.command("resolve")
@click.argument("case_id", type=int)
@click.option("--note", required=True, help="处理情况")
@click.option("--expect-version", "expect_version", type=int, default=None,
              help="事项的版本号（cases 所示）：其间已被他人处理则拒绝（RECORD_CHANGED）")
@click.option("--user", required=True)
@pass_env
def sync_resolve(env: Env, case_id: int, note: str, expect_version: int | None, user: str) -> None:
    with handled():
        emit(_service(env, user).resolve_case(case_id, note, version=expect_version).to_dict())


# --- receiving side ----------------------------------------------------------------------------


@click.group()
def province() -> None:
    """省级接收端（测试用）：密钥、批次校验、回执、比对数据 (receiving side, no office database)."""


def _receiver(keys_dir: Path):
    from registry_app.sync.keys import KeyRing, load_province_private_key
    from registry_app.sync.province import ReceiverKeys

    if not keys_dir.is_dir():
        raise RegistryError(f"密钥目录不存在：{keys_dir}", code="KEY_DIR_MISSING", field="keys")
    pairs = [load_province_private_key(p) for p in sorted(keys_dir.glob("*.key"))]
    if not pairs:
        raise RegistryError("密钥目录中没有省级私钥文件（*.key）", code="PROVINCE_KEY_MISSING", field="keys")
    pairs.sort(key=lambda k: k.created)
    return ReceiverKeys(pairs, KeyRing.from_dir(keys_dir))


def _read_batch(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise RegistryError(f"无法读取批次文件{path.name}（{exc.strerror}）", code="BATCH_UNREADABLE") from None


def _summary(report, data: bytes) -> dict:
    from registry_app.sync.batch import batch_file_hash

    m = report.manifest or {}
    return {
        "acceptable": report.acceptable, "accepted": False, "problems": report.problem_dicts(),
        "office_code": m.get("office_code"), "business_date": m.get("business_date"),
        "batch_seq": m.get("batch_seq"), "event_count": m.get("event_count"), "counts": m.get("counts"),
        "first_event_seq": m.get("first_event_seq"), "last_event_seq": m.get("last_event_seq"),
        "file_sha256": batch_file_hash(data), "chain_hash": report.opened.chain_hash if report.opened else None,
        "format_version": m.get("format_version"), "audit_head": m.get("audit_head"), "training": m.get("training"),
        # no personal data on the terminal: ids and types only
        "events": [{"event_id": e.get("event_id"), "seq": e.get("seq"), "event_type": e.get("event_type"),
                    "record_id": e.get("record_id")} for e in report.events if isinstance(e, dict)],
    }


@province.command("keygen")
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), required=True)
@click.option("--province", "province_code", default="32", show_default=True)
def province_keygen_cmd(out_dir: Path, province_code: str) -> None:
    """A new province key pair: province-NN-<key_id>.key (0600) and .pub."""
    from registry_app.sync.keys import province_keygen

    with handled():
        paths = province_keygen(out_dir, province_code)
        emit({"key_id": paths.key_id, "public": str(paths.public), "private": str(paths.private)})


@province.command("validate")
@click.argument("batch", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--keys", "keys_dir", type=click.Path(path_type=Path, file_okay=False), required=True)
@click.option("--accept", is_flag=True, help="校验通过时记为已接收（推进接收状态）")
@click.option("--accept-training", is_flag=True, help="接收培训数据库生成的批次（默认拒收：BATCH_TRAINING）")
def province_validate(batch: Path, keys_dir: Path, accept: bool, accept_training: bool) -> None:
    """Check a batch as the province would. Exit 0 only when it is acceptable (with --accept: and
    was recorded as received); 1 when not, with every problem found. A batch from a training
    database is refused (BATCH_TRAINING) unless --accept-training."""
    from registry_app.sync.province import accept_batch, validate_batch
    from registry_app.sync.province_state import load_state, save_state

    with handled():
        keys = _receiver(keys_dir)
        data = _read_batch(batch)
        state = load_state(keys_dir / STATE_FILE)
        report = validate_batch(data, keys, state, accept_training)
        out = _summary(report, data)
        if accept and report.acceptable:
            accept_batch(report, state)
            save_state(keys_dir / STATE_FILE, state)
            out["accepted"] = True
    emit(out)
    if not report.acceptable:
        sys.exit(1)


def _pairs(values: tuple[str, ...], letter: str) -> dict[str, str]:
    option = "reject" if letter == "R" else "conflict"
    out: dict[str, str] = {}
    for v in values:
        eid, sep, code = v.rpartition(":")
        if not sep or not eid or not code.startswith(letter):
            raise Refused([Issue("ARGUMENT_INVALID", f"--{option} 应为 EVENT_ID:{letter}NNN，收到“{v}”", option)])
        out[eid] = code
    return out


@province.command("ack")
@click.argument("batch", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--keys", "keys_dir", type=click.Path(path_type=Path, file_okay=False), required=True)
@click.option("--out", "out_file", type=click.Path(path_type=Path, dir_okay=False), required=True)
@click.option("--reject", "rejects", multiple=True, help="EVENT_ID:R002（可多次）")
@click.option("--conflict", "conflicts", multiple=True, help="EVENT_ID:C001（可多次）")
@click.option("--created-at", default=None, help="回执时间（默认现在）")
@click.option("--accept-training", is_flag=True, help="接收并答复培训数据库生成的批次（默认拒收：BATCH_TRAINING）")
def province_ack(batch: Path, keys_dir: Path, out_file: Path, rejects, conflicts, created_at,
                 accept_training: bool) -> None:
    """Signed acknowledgement of a batch: accepts it first if that was not done; refuses (exit 1) a
    batch that is neither acceptable nor the office's last accepted one, and a training batch unless
    --accept-training. A v2 batch is answered with a v2 acknowledgement repeating its audit head."""
    from registry_app.clock import Clock
    from registry_app.fsutil import write_atomic
    from registry_app.sync.province import accept_batch, build_ack, validate_batch
    from registry_app.sync.province_state import load_state, save_state

    with handled():
        reject_codes, conflict_codes = _pairs(rejects, "R"), _pairs(conflicts, "C")
        keys = _receiver(keys_dir)
        data = _read_batch(batch)
        state = load_state(keys_dir / STATE_FILE)
        report = validate_batch(data, keys, state, accept_training)
        accepted_now = False
        if report.acceptable:
            accept_batch(report, state)
            accepted_now = True
        elif report.opened is None or state.office(report.opened.office_code).last_chain_hash != report.opened.chain_hash:
            emit(_summary(report, data))
            sys.exit(1)
        if report.problems and report.codes() == ["BATCH_TRAINING"]:
            emit(_summary(report, data))
            sys.exit(1)
        ack = build_ack(report.opened, province_key=keys.province[-1], rejects=reject_codes,
                        conflicts=conflict_codes, accept_training=accept_training,
                        created_at=created_at or Clock().now().isoformat(timespec="seconds"))
        write_atomic(out_file, ack, mode=0o644)
        if accepted_now:
            save_state(keys_dir / STATE_FILE, state)
        emit({"ack": str(out_file), "batch_seq": report.opened.batch_seq, "accepted_now": accepted_now,
              "rejected": len(rejects), "conflict": len(conflicts)})


@province.command("reference")
@click.argument("batches", nargs=-1, type=click.Path(path_type=Path, dir_okay=False), required=True)
@click.option("--keys", "keys_dir", type=click.Path(path_type=Path, file_okay=False), required=True)
@click.option("--out", "out_file", type=click.Path(path_type=Path, dir_okay=False), required=True)
@click.option("--as-of", default=None, help="数据截止时间（默认现在）")
def province_reference(batches, keys_dir: Path, out_file: Path, as_of: str | None) -> None:
    """A signed reference extract of marital statuses from the events of the given batches, taken
    in office and batch order."""
    from registry_app.clock import Clock
    from registry_app.fsutil import write_atomic
    from registry_app.sync.province import open_batch
    from registry_app.sync.reference import build_reference, parse_reference

    with handled():
        keys = _receiver(keys_dir)
        opened = [open_batch(_read_batch(p), keys.province, keys.offices) for p in batches]
        opened.sort(key=lambda o: (o.office_code, o.batch_seq))
        events = [ev for o in opened for ev in sorted(o.events, key=lambda e: e["seq"])]
        when = as_of or Clock().now().isoformat(timespec="seconds")
        try:
            dt.datetime.fromisoformat(when)
        except ValueError:
            raise RegistryError(f"时间格式不正确：{when}", code="DATE_INVALID", field="as_of") from None
        data = build_reference(events, keys.province[-1], when)
        write_atomic(out_file, data, mode=0o644)
        entries = len(parse_reference(data, keys.province[-1].public).entries)
        emit({"reference": str(out_file), "as_of": when, "batches": len(opened), "entries": entries})


COMMANDS = [sync, province]
