"""Electronic certificates: the GB/T 36903 identifier, issuing (audited), the PAdES signature checked by
pyHanko's own validator, the XMP metadata, and verification against the database (voided -> invalid)."""
from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from sqlalchemy import select
from stdnum.iso7064 import mod_37_36

from registry_app.certificates.electronic import read_licence_metadata
from registry_app.certificates.licence import (
    LicenceId,
    check_character,
    parse_licence_id,
    serial_of,
)
from registry_app.cli import main
from registry_app.errors import Refused, RegistryError
from registry_app.services.adoption import AdoptionService
from registry_app.services.certificate_voiding import CertificateVoiding
from registry_app.services.electronic_certificates import ElectronicCertificates
from registry_app.services.marriage import MarriageCase, MarriageService
from registry_app.storage.models import AuditEntry
from tests.conftest import PASSPHRASE, PASSWORDS
from tests.factories import marriage_case

PUBLISHED = "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U"
ISSUER = "11430000006122244L"          # the issuer code of the published identifier (a valid credit code)
TYPE_J = "11100000000013338W011"
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def mod_37_36_by_the_text(data: str) -> str:
    """ISO/IEC 7064 hybrid system MOD 37,36 as the standard states it, written independently of stdnum:
    P starts at 36; for each character S = (P + value) mod 36, with 0 read as 36; P = 2S mod 37;
    the check character makes (P + check) mod 36 = 1."""
    p = 36
    for ch in data:
        s = (p + ALPHABET.index(ch)) % 36 or 36
        p = (2 * s) % 37
    return ALPHABET[(37 - p) % 36]


def test_published_identifier_has_a_correct_check_character():
    licence = parse_licence_id(PUBLISHED)
    assert (licence.type_code, licence.issuer_code, licence.serial, licence.version) == \
        (TYPE_J, ISSUER, "20230000403", 1)
    assert str(licence) == PUBLISHED
    body = "11100000000013338W011" "11430000006122244L" "20230000403" "001"
    assert check_character(TYPE_J, ISSUER, "20230000403", "001") == mod_37_36_by_the_text(body) == "U"


def test_worked_example_by_hand():
    # "A1": P=36; 'A'=10: S=(36+10) mod 36=10, P=20 mod 37=20; '1': S=(20+1) mod 36=21, P=42 mod 37=5;
    # check = (37-5) mod 36 = 32 -> 'W'.
    assert mod_37_36.calc_check_digit("A1") == mod_37_36_by_the_text("A1") == "W"
    # our own identifier shape: type code J-slot + issuer + the certificate number's serial + version 001
    serial = serial_of("J320102-2026-000123")
    assert serial == "J3201022026000123"
    ident = LicenceId(TYPE_J, ISSUER, serial, 1)
    assert str(ident).startswith(f"1.2.156.3005.2.{TYPE_J}.{ISSUER}.{serial}.001.")
    assert mod_37_36.is_valid(TYPE_J + ISSUER + serial + "001" + ident.check)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=ALPHABET, min_size=1, max_size=80))
def test_stdnum_agrees_with_the_standards_text(data):
    assert mod_37_36.calc_check_digit(data) == mod_37_36_by_the_text(data)


@pytest.mark.parametrize("text", [
    PUBLISHED[:-1] + "V", PUBLISHED.replace(".001.", ".1."), PUBLISHED.replace("1.2.156.3005.2", "1.2.156.3005.1"),
    PUBLISHED + ".X", "", "1.2.156.3005.2.a.b.c.001.U",
])
def test_a_wrong_identifier_is_refused(text):
    with pytest.raises(RegistryError) as err:
        parse_licence_id(text)
    assert err.value.code == "LICENCE_ID_INVALID"


# --- issuing and verifying -----------------------------------------------------------------------------


@pytest.fixture
def configured(admin_ctx):
    return ElectronicCertificates(admin_ctx).configure(ISSUER, {"J": TYPE_J, "L": "11100000000013338W012"})


@pytest.fixture
def issued(configured, clerk_ctx, tmp_path):
    case = marriage_case()
    reg = MarriageService(clerk_ctx).register_case(MarriageCase.from_dict(case))
    out = tmp_path / "ecert.pdf"
    result = ElectronicCertificates(clerk_ctx).issue(reg.record_id, out)
    return case, reg, out, result


def pyhanko_status(pdf: bytes):
    """pyHanko's validator on its own: the embedded certificate is the trust root we hand it."""
    sig = PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures[0]
    return validate_pdf_signature(sig, ValidationContext(trust_roots=[sig.signer_cert]))


def test_pyhanko_accepts_the_signed_pdf_and_refuses_one_changed_byte(issued):
    _case, _reg, out, _result = issued
    pdf = out.read_bytes()
    status = pyhanko_status(pdf)
    assert status.intact and status.valid and status.bottom_line
    assert status.coverage.name == "ENTIRE_FILE"
    # one byte of the page's content stream, inside the signed range
    sig = PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures[0]
    start, length = sig.byte_range[0], sig.byte_range[1]
    pos = pdf.index(b"stream", start + 200, start + length) + 20
    changed = pdf[:pos] + bytes([pdf[pos] ^ 0x01]) + pdf[pos + 1:]
    assert not pyhanko_status(changed).intact


def test_xmp_carries_every_gbt_36903_item_with_a_correct_check_character(issued):
    case, reg, out, result = issued
    meta = read_licence_metadata(out.read_bytes())
    assert meta["pdfaid:part"] == "2" and meta["pdfaid:conformance"] == "B"
    assert meta["LicenceName"] == "结婚证" and meta["LicenceTypeCode"] == TYPE_J
    assert meta["LicenceNumber"] == reg.certificate_no
    assert meta["IssuingAuthority"] == "南京市玄武区民政局婚姻登记处" and meta["IssuingAuthorityCode"] == ISSUER
    assert meta["IssueDate"] == "2026-06-15"
    assert meta["HolderName"] == [case["party1"]["name"], case["party2"]["name"]]
    assert meta["HolderIdNumber"] == [case["party1"]["id_number"], case["party2"]["id_number"]]
    assert meta["HolderIdType"] == ["居民身份证", "居民身份证"]
    ident = meta["LicenceIdentifier"]
    assert ident == result["identifier"]
    parts = ident.split(".")
    assert parts[:5] == ["1", "2", "156", "3005", "2"] and parts[5:9] == [TYPE_J, ISSUER, serial_of(reg.certificate_no), "001"]
    assert mod_37_36.is_valid("".join(parts[5:]))
    assert meta["Credential"].startswith("RGC2:")


def test_issued_is_valid_then_voided_reports_invalid(issued, clerk_ctx, supervisor_ctx):
    _case, reg, out, _result = issued
    verdict = ElectronicCertificates(clerk_ctx).verify(pdf=out.read_bytes())
    assert verdict["valid"] and verdict["reason_code"] == "OK" and verdict["certificate_no"] == reg.certificate_no
    CertificateVoiding(supervisor_ctx).void_certificate(reg.certificate_no, "打印错位")
    verdict = ElectronicCertificates(clerk_ctx).verify(pdf=out.read_bytes())
    assert (verdict["valid"], verdict["reason_code"]) == (False, "VOIDED")
    assert verdict["signature_intact"]     # the file is untouched: the database says no


def test_a_changed_file_is_not_valid(issued, clerk_ctx):
    _case, _reg, out, _result = issued
    pdf = out.read_bytes()
    pos = 300     # in the page's first objects, inside the signed range
    changed = pdf[:pos] + bytes([pdf[pos] ^ 0x20]) + pdf[pos + 1:]
    verdict = ElectronicCertificates(clerk_ctx).verify(pdf=changed)
    assert not verdict["valid"]
    appended = pdf + b"\n% appended\n"
    assert ElectronicCertificates(clerk_ctx).verify(pdf=appended)["valid"] is False


def test_second_issue_is_version_2_and_both_audited(issued, clerk_ctx, db, tmp_path):
    _case, reg, _out, first = issued
    second = ElectronicCertificates(clerk_ctx).issue(reg.record_id, tmp_path / "again.pdf")
    assert (first["version"], second["version"]) == (1, 2)
    assert second["identifier"].split(".")[8] == "002"
    with db.read() as s:
        entries = s.execute(select(AuditEntry).where(AuditEntry.action == "certificate.electronic_issued")).scalars().all()
    assert [e.detail["identifier"] for e in entries] == [first["identifier"], second["identifier"]]
    assert {e.username for e in entries} == {"clerk"}


def test_issuing_needs_the_codes_and_refuses_bad_ones(admin_ctx, clerk_ctx, tmp_path):
    reg = MarriageService(clerk_ctx).register_case(MarriageCase.from_dict(marriage_case()))
    with pytest.raises(RegistryError) as err:
        ElectronicCertificates(clerk_ctx).issue(reg.record_id, tmp_path / "x.pdf")
    assert err.value.code == "ECERT_ISSUER_CODE_MISSING"
    assert not (tmp_path / "x.pdf").exists()
    with pytest.raises(Refused) as refused:
        ElectronicCertificates(admin_ctx).configure("11430000006122244M", {"Q": "1", "J": "abc"})
    assert {i.code for i in refused.value.issues} == {"ECERT_ISSUER_CODE_INVALID", "ECERT_TYPE_UNKNOWN",
                                                       "ECERT_TYPE_CODE_INVALID"}
    ElectronicCertificates(admin_ctx).configure(ISSUER, {"L": "X1"})
    with pytest.raises(RegistryError) as err:
        ElectronicCertificates(clerk_ctx).issue(reg.record_id, tmp_path / "x.pdf")
    assert err.value.code == "ECERT_TYPE_CODE_MISSING"
    with pytest.raises(RegistryError):
        ElectronicCertificates(clerk_ctx).configure(ISSUER, {"J": TYPE_J})   # a clerk does not set codes


def test_printed_qr_still_verifies_through_the_same_command(configured, clerk_ctx):
    from registry_app.services.certificate_print import CertificatePrinting

    reg = MarriageService(clerk_ctx).register_case(MarriageCase.from_dict(marriage_case()))
    printed = CertificatePrinting(clerk_ctx).render(reg.record_id)
    verdict = ElectronicCertificates(clerk_ctx).verify(pdf=printed)
    assert verdict["valid"] and verdict["certificate_no"] == reg.certificate_no


def cli(db_path: Path, user: str, *args: str):
    env = {"REGISTRY_PASSPHRASE": PASSPHRASE, "REGISTRY_USER_PASSWORD": PASSWORDS[user]}
    return CliRunner().invoke(main, ["--db", str(db_path), *args], env=env)


def test_cli_issue_and_verify_both_formats(db, db_path, clerk_ctx, tmp_path):
    # registered first: the commands run on the real clock, later than the fixture's day
    reg = MarriageService(clerk_ctx).register_case(MarriageCase.from_dict(marriage_case()))
    assert cli(db_path, "admin", "certificate", "electronic-settings", "--issuer-code", ISSUER,
               "--type-code", f"J={TYPE_J}", "--user", "admin").exit_code == 0
    out = tmp_path / "e.pdf"
    run = cli(db_path, "clerk", "certificate", "electronic", str(reg.record_id), "--out", str(out), "--user", "clerk")
    assert run.exit_code == 0, run.output
    run = cli(db_path, "clerk", "certificate", "verify", "--pdf", str(out))
    assert run.exit_code == 0 and json.loads(run.output)["electronic"] is True
    payload = read_licence_metadata(out.read_bytes())["Credential"]
    run = cli(db_path, "clerk", "certificate", "verify", "--payload", payload)
    assert run.exit_code == 0 and json.loads(run.output)["certificate_no"] == reg.certificate_no


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) missing")
def test_the_page_renders_and_its_qr_is_the_credential(issued, tmp_path):
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    _case, _reg, out, _result = issued
    subprocess.run(["pdftoppm", "-r", "200", "-png", str(out), str(tmp_path / "page")], check=True)
    texts = [r.text for r in zxingcpp.read_barcodes(Image.open(next(tmp_path.glob("page*.png"))))]
    assert texts == [read_licence_metadata(out.read_bytes())["Credential"]]


def test_a_correction_after_issue_makes_the_e_certificate_invalid(issued, clerk_ctx, supervisor_ctx):
    from registry_app.services.corrections import Corrections

    _case, reg, out, _result = issued
    cid = Corrections(clerk_ctx).propose(reg.record_id, [{"path": "parties.2.name", "new": "李那"}], "笔误")
    Corrections(supervisor_ctx).approve(cid)
    verdict = ElectronicCertificates(clerk_ctx).verify(pdf=out.read_bytes())
    assert (verdict["valid"], verdict["reason_code"]) == (False, "ECERT_STALE")
    assert verdict["signature_intact"]


def test_adoption_certificate_lists_adopters_and_adoptee(admin_ctx, clerk_ctx, tmp_path):
    from tests.integration.test_adoption_service import example

    ElectronicCertificates(admin_ctx).configure(ISSUER, {"SY": "11100000000013338W013"})
    case = example()
    registered = AdoptionService(clerk_ctx).register(case)
    out = tmp_path / "adoption.pdf"
    result = ElectronicCertificates(clerk_ctx).issue(registered["record_id"], out)
    meta = read_licence_metadata(out.read_bytes())
    assert meta["LicenceName"] == "收养登记证" and result["identifier"].split(".")[5] == "11100000000013338W013"
    assert len(meta["HolderName"]) == len(meta["HolderIdNumber"]) >= 2    # adopter(s) and the adoptee
    assert ElectronicCertificates(clerk_ctx).verify(pdf=out.read_bytes())["valid"]


def test_an_e_certificate_with_its_signature_stripped_is_refused_not_read_as_paper(issued, clerk_ctx):
    _case, _reg, out, _result = issued
    pdf = out.read_bytes()
    first_revision = pdf[:PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures[0].byte_range[1]]
    unsigned = first_revision[:first_revision.rindex(b"%%EOF") + 5]   # the page before the signing update
    verdict = ElectronicCertificates(clerk_ctx).verify(pdf=unsigned)
    assert (verdict["valid"], verdict.get("electronic")) == (False, True)


# verifying reads only: the issued file and database are the same for every example
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.floats(min_value=0.0, max_value=0.999), flips=st.lists(st.tuples(st.floats(0, 0.999), st.integers(0, 255)),
                                                                      max_size=12))
def test_a_damaged_file_is_never_valid_and_fails_only_with_a_code(issued, clerk_ctx, cut, flips):
    pdf, svc = issued[2].read_bytes(), ElectronicCertificates(clerk_ctx)
    data = bytearray(pdf[: max(1, int(len(pdf) * cut))] if not flips else pdf)
    for where, value in flips:
        data[int(len(data) * where)] = value
    if bytes(data) == pdf:
        return
    try:
        assert not svc.verify(pdf=bytes(data))["valid"]
    except RegistryError as err:
        assert err.code



@pytest.mark.parametrize("cut", [0.70, 0.75, 0.80])
def test_an_e_certificate_cut_inside_its_signature_is_refused_as_one_not_read_for_its_qr(issued, clerk_ctx, cut):
    """A file cut short inside the signing update opens in no PDF reader, but its first revision still
    shows the page and its QR: it is refused as a damaged e-certificate, never reported valid."""
    pdf = issued[2].read_bytes()
    data = pdf[: int(len(pdf) * cut)]
    try:
        verdict = ElectronicCertificates(clerk_ctx).verify(pdf=data)
    except RegistryError as err:
        assert err.code == "PDF_UNREADABLE"
    else:
        assert verdict["valid"] is False and verdict.get("electronic") is True
