"""`registry marriage ...`: the same services the client uses."""
from __future__ import annotations

from pathlib import Path

import click

from registry_app.cli import Env, emit, handled, pass_env
from registry_app.commands.common import read_case, read_photo

#: --expect-version: the record's version as `registry record show` printed it (None: not read first)
EXPECT_VERSION_HELP = "按 registry record show 显示的版本号办理；记录此后已被他人修改则不办理（RECORD_CHANGED）"


@click.group()
def marriage() -> None:
    """结婚登记 (marriage registration)."""


@marriage.command("register")
@click.option("--input", "input_path", type=click.Path(path_type=Path), required=True)
@click.option("--user", required=True)
@click.option("--date", default=None, help="登记日期 YYYY-MM-DD（仅培训数据库；默认今天）")
@pass_env
def register(env: Env, input_path: Path, user: str, date: str | None) -> None:
    """Register one marriage from a case JSON file: all steps in one transaction."""
    from registry_app.services.marriage import MarriageCase, MarriageService

    with handled():
        raw = read_case(input_path)
        case = MarriageCase.from_dict(raw)
        case.photo, name = read_photo(raw, input_path.parent)
        case.photo_name = name or case.photo_name
        ctx = env.context(date=date, user=user)
        emit(MarriageService(ctx).register_case(case).to_dict())


@marriage.command("reissue")
@click.argument("record_id", type=int, required=False)
@click.option("--certificate-no", default=None, help="原证书字号（代替记录号）")
@click.option("--input", "input_path", type=click.Path(path_type=Path), required=True)
@click.option("--user", required=True)
@click.option("--date", default=None, help="补发日期 YYYY-MM-DD（仅培训数据库；默认今天）")
@click.option("--expect-version", "expect_version", type=int, default=None, help=EXPECT_VERSION_HELP)
@pass_env
def reissue(env: Env, record_id: int | None, certificate_no: str | None, input_path: Path, user: str,
            date: str | None, expect_version: int | None) -> None:
    """Reissue (补领) a marriage or divorce certificate: a BJ or BL number, the old certificate replaced."""
    from registry_app.errors import Issue, Refused
    from registry_app.services.reissue import CertificateReissue

    with handled():
        if (record_id is None) == (certificate_no is None):
            raise Refused([Issue("RECORD_OR_CERTIFICATE_REQUIRED", "须给出记录号或原证书字号（二者取一）", "record_id")])
        request = read_case(input_path)
        ctx = env.context(date=date, user=user)
        ref = record_id if record_id is not None else certificate_no
        emit(CertificateReissue(ctx).reissue(ref, request, version=expect_version).to_dict())


@marriage.command("annotate")
@click.argument("record_id", type=int)
@click.option("--input", "input_path", type=click.Path(path_type=Path), required=True)
@click.option("--user", required=True)
@click.option("--date", default=None, help="备注日期 YYYY-MM-DD（仅培训数据库；默认今天）")
@click.option("--expect-version", "expect_version", type=int, default=None, help=EXPECT_VERSION_HELP)
@pass_env
def annotate(env: Env, record_id: int, input_path: Path, user: str, date: str | None,
             expect_version: int | None) -> None:
    """Annotate a court judgment (marriage invalid or revoked) on a record. Supervisor only."""
    from registry_app.services.court_annotation import CourtAnnotation

    with handled():
        judgment = read_case(input_path)
        emit(CourtAnnotation(env.context(date=date, user=user)).annotate_judgment(record_id, judgment,
                                                                                     version=expect_version))


@marriage.command("void")
@click.argument("certificate_no")
@click.option("--reason", required=True)
@click.option("--no-reissue-number", is_flag=True, help="只作废，不补发新字号")
@click.option("--blank-serial", default=None, help="补发新字号所用空白证书印制号")
@click.option("--user", required=True)
@click.option("--date", default=None, help="YYYY-MM-DD（仅培训数据库；默认今天）")
@click.option("--expect-version", "expect_version", type=int, default=None,
              help="持有该证书的记录的版本号；" + EXPECT_VERSION_HELP)
@pass_env
def void(env: Env, certificate_no: str, reason: str, no_reissue_number: bool, blank_serial: str | None, user: str,
         date: str | None, expect_version: int | None) -> None:
    """Void an issued certificate; while the record is in force the next number replaces it. Supervisor only."""
    from registry_app.services.certificate_voiding import CertificateVoiding

    with handled():
        emit(CertificateVoiding(env.context(date=date, user=user)).void_certificate(
            certificate_no, reason, reissue_number=not no_reissue_number, blank_serial=blank_serial,
            version=expect_version))


@marriage.command("proof")
@click.argument("id_number")
@click.option("--out", "out", type=click.Path(path_type=Path), required=True)
@click.option("--name", default=None, help="姓名（档案中无记录时用于无记录证明）")
@click.option("--purpose", default="", help="证明用途")
@click.option("--user", required=True)
@click.option("--date", default=None, help="YYYY-MM-DD（仅培训数据库；默认今天）")
@pass_env
def proof(env: Env, id_number: str, out: Path, name: str | None, purpose: str, user: str, date: str | None) -> None:
    """Write the marriage registration record proof (婚姻登记记录证明) PDF for a person."""
    from registry_app.fsutil import write_atomic
    from registry_app.services.record_proof import RecordProof

    with handled():
        person = {"id_number": id_number, "name": name} if name else id_number
        pdf = RecordProof(env.context(date=date, user=user)).record_proof(person, purpose=purpose)
        write_atomic(out, pdf)
        emit({"id_number": id_number, "out": str(out), "bytes": len(pdf)})


COMMANDS = [marriage]
