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
    """A QR text (RGC2 or RGC1), a printed certificate PDF, or a signed electronic certificate PDF."""
    from registry_app.services.electronic_certificates import ElectronicCertificates

    with handled():
        result = ElectronicCertificates(env.context()).verify(payload=payload, pdf=pdf.read_bytes() if pdf else None)
    emit(result)
    sys.exit(0 if result["valid"] else 1)


@certificate.command("electronic")
@click.argument("record_id", type=int)
@click.option("--out", "out", type=click.Path(path_type=Path, dir_okay=False), required=True)
@click.option("--user", required=True)
@pass_env
def electronic(env: Env, record_id, out: Path, user) -> None:
    """签发电子证照：PDF/A，登记机关电子签名，GB/T 36903 元数据 (electronic certificate)."""
    from registry_app.services.electronic_certificates import ElectronicCertificates

    with handled():
        emit(ElectronicCertificates(env.context(user=user)).issue(record_id, out))


@certificate.command("electronic-settings")
@click.option("--issuer-code", default=None, help="颁证单位统一社会信用代码（18位）")
@click.option("--type-code", "type_codes", multiple=True, metavar="KIND=CODE",
              help="证照类型代码，如 J=...（J L BJ BL SY JC），可重复")
@click.option("--user", required=True)
@pass_env
def electronic_settings(env: Env, issuer_code, type_codes, user) -> None:
    """电子证照的颁证单位代码和证照类型代码（取自全国证照目录）."""
    from registry_app.services.electronic_certificates import ElectronicCertificates

    with handled():
        codes = dict(item.split("=", 1) for item in type_codes if "=" in item)
        if len(codes) != len(type_codes):
            from registry_app.errors import Issue, Refused

            raise Refused([Issue("ECERT_TYPE_CODE_SHAPE", "证照类型代码应写成 种类=代码，如 J=...", "type_codes")])
        emit(ElectronicCertificates(env.context(user=user)).configure(issuer_code, codes))


COMMANDS = [certificate]
