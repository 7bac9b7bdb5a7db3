"""`registry joint ...`: the joint service (婚育户一件事) at the counter."""
from __future__ import annotations

import json
from pathlib import Path

import click

from registry_app.cli import Env, emit, handled, pass_env
from registry_app.errors import Issue, Refused


@click.group()
def joint() -> None:
    """婚育户一件事：户籍婚姻状况变更、夫妻投靠落户、生育登记 (joint service requests)."""


@joint.command("types")
def joint_types() -> None:
    """The request types, their departments and what each is sent."""
    from registry_app.domain.joint_service import request_types

    emit([{"request_type": t.key, "zh": t.zh, "department": t.department, "department_zh": t.department_zh,
           "record_kinds": list(t.record_kinds), "passed_on": t.fields_zh(),
           "details": {k: v["zh"] for k, v in t.details.items()}} for t in request_types().values()])


@joint.command("request")
@click.argument("record_id", type=int)
@click.argument("request_type")
@click.option("--consent", "consents", type=int, multiple=True, help="签字同意的当事人（1、2），每方一次")
@click.option("--details", default=None, help='补充信息（JSON），如 {"mover": 2, "destination": "…", "phone": "…"}')
@click.option("--user", required=True)
@click.option("--date", default=None, help="YYYY-MM-DD（仅培训数据库；默认今天）")
@pass_env
def joint_request(env: Env, record_id: int, request_type: str, consents: tuple[int, ...], details: str | None,
                  user: str, date: str | None) -> None:
    """Record what the couple asks to be passed on, with each party's consent."""
    from registry_app.services.joint_service import JointService

    with handled():
        try:
            parsed = json.loads(details) if details else None
        except ValueError:
            raise Refused([Issue("JOINT_DETAILS_INVALID", "补充信息应为JSON对象", "details")]) from None
        emit(JointService(env.context(date=date, user=user)).request(record_id, request_type, list(consents),
                                                                     parsed).to_dict())


@joint.command("withdraw")
@click.argument("request_id", type=int)
@click.option("--party", type=int, required=True, help="撤回同意的当事人（1或2）")
@click.option("--reason", default="")
@click.option("--user", required=True)
@click.option("--date", default=None, help="YYYY-MM-DD（仅培训数据库；默认今天）")
@pass_env
def joint_withdraw(env: Env, request_id: int, party: int, reason: str, user: str, date: str | None) -> None:
    """A party withdraws consent before the end-of-day batch leaves (refused after: JOINT_ALREADY_SENT)."""
    from registry_app.services.joint_service import JointService

    with handled():
        emit(JointService(env.context(date=date, user=user)).withdraw(request_id, party, reason).to_dict())


@joint.command("list")
@click.argument("record_id", type=int)
@click.option("--user", required=True)
@pass_env
def joint_list(env: Env, record_id: int, user: str) -> None:
    """A record's requests and their states."""
    from registry_app.services.joint_service import JointService

    with handled():
        emit([v.to_dict() for v in JointService(env.context(user=user)).list(record_id)])


@joint.command("receipt")
@click.argument("record_id", type=int)
@click.option("--out", "out", type=click.Path(path_type=Path, dir_okay=False), required=True)
@click.option("--user", required=True)
@click.option("--date", default=None, help="YYYY-MM-DD（仅培训数据库；默认今天）")
@pass_env
def joint_receipt(env: Env, record_id: int, out: Path, user: str, date: str | None) -> None:
    """Write the couple's receipt (婚育户一件事联办告知单) PDF."""
    from registry_app.fsutil import write_atomic
    from registry_app.services.joint_service import JointService

    with handled():
        pdf = JointService(env.context(date=date, user=user)).receipt(record_id)
        write_atomic(out, pdf)
        emit({"record_id": record_id, "out": str(out), "bytes": len(pdf)})


COMMANDS = [joint]
