"""`registry search`, `registry record show`, `registry import archive`, `registry stats`,
`registry correction ...`.

A correction proposed from the shell may name the record's version it was checked against
(`--expect-version N`, as `registry record show` printed it): refused with RECORD_CHANGED when the record
has changed since."""
from __future__ import annotations

from pathlib import Path

import click

from registry_app.cli import Env, emit, handled, parse_date_option, pass_env
from registry_app.commands.common import load_json
from registry_app.errors import Issue, Refused


@click.command("search")
@click.argument("query")
@click.option("--user", required=True)
@click.option("--limit", default=20, show_default=True, type=int)
@click.option("--offset", default=0, type=int)
@click.option("--kind", type=click.Choice(["marriage", "divorce", "adoption"]), default=None)
@click.option("--status", default=None)
@click.option("--from", "date_from", default=None, help="登记日期起 YYYY-MM-DD")
@click.option("--to", "date_to", default=None, help="登记日期止 YYYY-MM-DD")
@pass_env
def search(env: Env, query, user, limit, offset, kind, status, date_from, date_to) -> None:
    """查询登记记录：姓名、拼音首字母、身份证号码（或后4至6位）、证书字号。"""
    from registry_app.services.search import RecordSearch

    with handled():
        ctx = env.context(user=user)
        page = RecordSearch(ctx).search(query, kind=kind, status=status, date_from=parse_date_option(date_from, "from"),
                                        date_to=parse_date_option(date_to, "to"), limit=limit, offset=offset)
        emit(page.to_dict())


EXPECT_VERSION_HELP = "按 registry record show 显示的版本号办理；记录此后已被他人修改则不办理（RECORD_CHANGED）"


@click.group("record")
def record() -> None:
    """登记记录 (a record's page)."""


@record.command("show")
@click.argument("record_id", type=int)
@click.option("--user", required=True)
@pass_env
def record_show(env: Env, record_id, user) -> None:
    """档案详情：状态、当事人、办理经过、证书、更正，及记录的版本号 version（记作查阅）。"""
    from registry_app.services.record_history import RecordHistory

    with handled():
        emit(RecordHistory(env.context(user=user)).record(record_id).to_dict())


@click.group("import")
def import_group() -> None:
    """导入 (imports)."""


@import_group.command("archive")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--user", required=True)
@click.option("--report", "report_path", type=click.Path(path_type=Path), default=None,
              help="未导入行报告（CSV，默认：<文件名>.refused.csv）")
@click.option("--date", default=None, help="今天的日期 YYYY-MM-DD（仅培训数据库；默认今天）")
@pass_env
def import_archive(env: Env, file: Path, user, report_path, date) -> None:
    """历史档案补录：导入CSV文件（格式见 resources/examples/ARCHIVE_CSV.md）。"""
    from registry_app.services.archive_import import ArchiveImport

    def progress(done: int, total: int, label: str) -> None:
        click.echo(f"{label} {done}/{total}", err=True)

    with handled():
        ctx = env.context(user=user, date=date)
        emit(ArchiveImport(ctx).run(file, progress=progress, report_path=report_path).to_dict())


@click.command("stats")
@click.argument("period")
@click.option("--user", required=True)
@click.option("--csv", "csv_path", type=click.Path(path_type=Path), default=None, help="另存为CSV（Excel可打开）")
@pass_env
def stats(env: Env, period, user, csv_path) -> None:
    """统计报表：PERIOD 为 2026、2026-Q2 或 2026-06。"""
    from registry_app.services.archive_import import write_report_atomic
    from registry_app.services.statistics import Statistics

    with handled():
        report = Statistics(env.context(user=user)).report(period)
        if csv_path:
            write_report_atomic(csv_path, report.to_csv().encode("utf-8-sig"))
        emit(report.to_dict())


@click.group("correction")
def correction() -> None:
    """更正 (corrections): 登记员提出，负责人审批。"""


def _changes(pairs: tuple[str, ...], changes_json: str | None) -> list[dict]:
    out = []
    if changes_json:
        # the same reader as a case file: BOM accepted; duplicate keys, deep nesting, size, devices refused
        data = load_json(Path(changes_json))
        out.extend(data if isinstance(data, list) else [data])
    for pair in pairs:
        path, sep, value = pair.partition("=")
        if not sep:
            raise Refused([Issue("CORRECTION_MALFORMED", f"更正项应写作 路径=新值：{pair}", "changes")])
        out.append({"path": path.strip(), "new": value})
    return out


@correction.command("propose")
@click.argument("record_id", type=int)
@click.option("--set", "pairs", multiple=True, help="路径=新值，例如 parties.1.name=张伟（可重复）")
@click.option("--changes", "changes_json", default=None, help="JSON文件：[{\"path\": ..., \"new\": ...}]")
@click.option("--reason", required=True)
@click.option("--evidence", default="")
@click.option("--expect-version", "expect_version", type=int, default=None, help=EXPECT_VERSION_HELP)
@click.option("--user", required=True)
@pass_env
def correction_propose(env: Env, record_id, pairs, changes_json, reason, evidence, expect_version, user) -> None:
    from registry_app.domain.states import CorrectionState
    from registry_app.services.corrections import Corrections

    with handled():
        ctx = env.context(user=user)
        cid = Corrections(ctx).propose(record_id, _changes(pairs, changes_json), reason, evidence,
                                       version=expect_version)
        emit({"correction_id": cid, "status": CorrectionState.PROPOSED.value})


@correction.command("approve")
@click.argument("correction_id", type=int)
@click.option("--note", default="")
@click.option("--user", required=True)
@pass_env
def correction_approve(env: Env, correction_id, note, user) -> None:
    from registry_app.services.corrections import Corrections

    with handled():
        emit(Corrections(env.context(user=user)).approve(correction_id, note).to_dict())


@correction.command("reject")
@click.argument("correction_id", type=int)
@click.option("--note", required=True)
@click.option("--user", required=True)
@pass_env
def correction_reject(env: Env, correction_id, note, user) -> None:
    from registry_app.services.corrections import Corrections

    with handled():
        emit(Corrections(env.context(user=user)).reject(correction_id, note).to_dict())


@correction.command("history")
@click.argument("record_id", type=int)
@click.option("--user", required=True)
@pass_env
def correction_history(env: Env, record_id, user) -> None:
    from registry_app.services.corrections import Corrections

    with handled():
        emit({"corrections": [c.to_dict() for c in Corrections(env.context(user=user)).history(record_id)]})


COMMANDS = [search, record, import_group, stats, correction]

