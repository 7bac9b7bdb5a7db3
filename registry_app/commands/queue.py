"""`registry queue issue|call|start|finish|no-show|list|report`: today's queue from scripts."""
from __future__ import annotations

import click

from registry_app.cli import Env, emit, handled, parse_date_option, pass_env
from registry_app.services.queue import SERVICES


@click.group()
def queue() -> None:
    """叫号 (today's queue)."""


@queue.command("issue")
@click.argument("service", type=click.Choice(sorted(SERVICES)))
@click.option("--appointment", "appointment_id", type=int, default=None, help="预约号（已预约的到场取号）")
@click.option("--user", required=True)
@pass_env
def queue_issue(env: Env, service: str, appointment_id: int | None, user: str) -> None:
    """Take the next number of today (取号)."""
    from registry_app.services.queue import Queue

    with handled():
        emit(Queue(env.context(user=user)).issue(service, appointment_id).to_dict())


@queue.command("call")
@click.argument("counter")
@click.option("--service", type=click.Choice(sorted(SERVICES)), default=None, help="只叫这项业务的号")
@click.option("--user", required=True)
@pass_env
def queue_call(env: Env, counter: str, service: str | None, user: str) -> None:
    """Call the longest-waiting ticket to COUNTER (叫号). Exit 2 with QUEUE_EMPTY when none waits."""
    from registry_app.services.queue import Queue

    with handled():
        emit(Queue(env.context(user=user)).call_next(counter, service).to_dict())


def _step(name: str, method, doc: str):
    @queue.command(name, help=doc)
    @click.argument("ticket_id", type=int)
    @click.option("--user", required=True)
    @pass_env
    def command(env: Env, ticket_id: int, user: str) -> None:
        from registry_app.services.queue import Queue

        with handled():
            emit(method(Queue(env.context(user=user)), ticket_id).to_dict())
    return command


_step("start", lambda q, t: q.start(t), "The called party is at the counter (办理中).")
_step("finish", lambda q, t: q.finish(t), "Served (已办结).")
_step("no-show", lambda q, t: q.no_show(t), "Called and not come (过号未到).")


@queue.command("list")
@click.option("--day", default=None, help="YYYY-MM-DD（默认今天）")
@click.option("--user", required=True)
@pass_env
def queue_list(env: Env, day: str | None, user: str) -> None:
    from registry_app.services.queue import Queue

    with handled():
        emit([t.to_dict() for t in Queue(env.context(user=user)).tickets(parse_date_option(day, "--day"))])


@queue.command("report")
@click.option("--day", default=None, help="YYYY-MM-DD（默认今天）")
@click.option("--user", required=True)
@pass_env
def queue_report(env: Env, day: str | None, user: str) -> None:
    """The day: tickets issued, served, no-shows, still waiting, average and longest wait (minutes)."""
    from registry_app.services.queue import Queue

    with handled():
        emit(Queue(env.context(user=user)).report(parse_date_option(day, "--day")).to_dict())


COMMANDS = [queue]
