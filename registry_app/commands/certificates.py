"""`registry certificate render|verify`."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from registry_app.cli import Env, emit, handled, pass_env


@click.group()
def certificate() -> None:
    """证书打印与核验 (certificates)."""


@certificate.command("render")
@click.argument("record_id", type=int)
@click.option("--out", "out", type=click.Path(path_type=Path), required=True)
@click.option("--kind", type=click.Choice(["certificate", "form", "declarations"]), default="certificate",
              help="certificate 证书；form 审查处理表；declarations 双方声明书和审查处理表（签字用）")
@click.option("--calibration", default=None)
@click.option("--on-blank", is_flag=True, help="在空白纸上预览证书外框")
@click.option("--approved-by", default=None,
              help="补打时批准的负责人（其密码取自 REGISTRY_APPROVER_PASSWORD 或提示输入）")
@click.option("--user", required=True)
@pass_env
def render(env: Env, record_id, out: Path, kind, calibration, on_blank, approved_by, user) -> None:
    from registry_app.services.certificate_print import CertificatePrinting

    with handled():
        ctx = env.context(user=user)
        approver_password = None
        if approved_by and approved_by != user:
            approver_password = os.environ.get("REGISTRY_APPROVER_PASSWORD") or click.prompt(
                f"{approved_by} 的密码（批准补打）", hide_input=True, err=True)
        # written inside the print transaction: no PDF on disk, no copy used up
        pdf = CertificatePrinting(ctx).render(record_id, kind, calibration=calibration, on_blank=on_blank,
                                              approved_by=approved_by, approver_password=approver_password,
                                              out=out)
        emit({"record_id": record_id, "out": str(out), "bytes": len(pdf)})


@certificate.command("verify")
@click.option("--payload", default=None)
@click.option("--pdf", type=click.Path(path_type=Path, exists=True), default=None)
@pass_env
def verify(env: Env, payload, pdf) -> None:
    from registry_app.services.certificate_print import CertificatePrinting

    with handled():
        result = CertificatePrinting(env.context()).verify(payload=payload, pdf=pdf.read_bytes() if pdf else None)
    emit(result)
    sys.exit(0 if result["valid"] else 1)


COMMANDS = [certificate]
