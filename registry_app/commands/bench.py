"""`registry demo-data` (synthetic records) and `registry bench` (speed figures)."""
from __future__ import annotations

import os

import click

from registry_app.cli import Env, emit, handled, pass_env

DEFAULT_OFFICE_NAME = "南京市玄武区民政局婚姻登记处"


def _progress(done: int, total: int, label: str) -> None:
    click.echo(f"demo-data {label} {done}/{total}", err=True)


@click.command("demo-data")
@click.option("--records", type=click.IntRange(min=0), required=True, help="要生成的记录数")
@click.option("--seed", type=int, default=1, show_default=True, help="随机种子（同一种子、同一日期生成相同数据）")
@click.option("--date", default=None, help="时间线的最后一天 YYYY-MM-DD（默认今天）")
@click.option("--event-days", type=click.IntRange(min=0), default=0, show_default=True,
              help="为最近N天的登记写入待上报的同步事件（默认不写）")
@click.option("--office-code", default="320102", show_default=True, help="新建数据库时的登记机关代码")
@click.option("--office-name", default=DEFAULT_OFFICE_NAME, show_default=True, help="新建数据库时的登记机关名称")
@click.option("--admin", "admin_user", default="admin", show_default=True,
              help="新建数据库时的管理员用户名（密码：REGISTRY_ADMIN_PASSWORD）")
@pass_env
def demo_data(env: Env, records: int, seed: int, date: str | None, event_days: int, office_code: str, office_name: str,
              admin_user: str) -> None:
    """生成演示/测试用的合成登记数据（写入培训数据库；不存在时先按默认值创建培训数据库）。"""
    from registry_app.demo.generator import generate
    from registry_app.services.office_setup import OfficeSetup, initialise

    with handled():
        if not env.url and (not env.db_path.exists() or env.db_path.stat().st_size == 0):
            password = os.environ.get("REGISTRY_ADMIN_PASSWORD")
            if password is None:
                password = click.prompt("管理员密码", hide_input=True, confirmation_prompt=True, err=True)
            # A demo database is a training one: synthetic people, dates chosen by --date.
            initialise(OfficeSetup(office_code, office_name, env.passphrase(), admin_user, admin_user, password,
                                   training=True), env.db_path).close()
        ctx = env.context(date=date)
        summary = generate(ctx.db, records, seed, until=ctx.clock.today(), event_days=event_days,
                           progress=_progress)
        emit(summary.to_dict())



@click.command("bench")
@click.option("--records", type=click.IntRange(min=1), default=100_000, show_default=True,
              help="数据库中的记录数（不足时先生成演示数据）")
@click.option("--json", "as_json", is_flag=True, help="以JSON输出")
@click.option("--counters", "counter_levels", default=None, metavar="1,4,8",
              help="并发窗口测试：分别让1、4、8个窗口（各自独立进程）同时登记，测每秒登记数和p95")
@click.option("--counters-only", is_flag=True, help="只做并发窗口测试（须与 --counters 同用）")
@pass_env
def bench(env: Env, records: int, as_json: bool, counter_levels: str | None, counters_only: bool) -> None:
    """性能基准：在N条合成记录上测量查询、登记、打印、日终导出、档案导入、加密开销、启动时间和内存。

    不指定 --db 时使用临时数据库（结束后删除）；指定的数据库会被写入（登记测试当事人、打印、导入），请用副本。
    --url 时测量该 PostgreSQL 数据库（同样会被写入：请用专门的基准测试数据库；为空时建为培训数据库）。"""
    from registry_app.bench.counters import parse_levels
    from registry_app.bench.runner import run_bench, summary_lines

    root = click.get_current_context().find_root()
    db_path = env.db_path if root.params.get("db_path") is not None and not env.url else None
    with handled():
        levels = parse_levels(counter_levels) if counter_levels is not None else None
        if counters_only and levels is None:
            from registry_app.errors import RegistryError

            raise RegistryError("--counters-only 须与 --counters 同用", code="BENCH_COUNTERS_INVALID",
                                field="counters")
        if env.url:
            passphrase = None
        else:
            passphrase = env.passphrase() if db_path is not None else os.environ.get("REGISTRY_PASSPHRASE")
        report = run_bench(records, db_path, passphrase=passphrase, url=env.url, counters=levels,
                           operations=not counters_only)
    if as_json:
        emit(report)
    else:
        click.echo("\n".join(summary_lines(report)))


COMMANDS = [demo_data, bench]
