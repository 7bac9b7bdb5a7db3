"""resources/verifier/verify_certificate.py run as a program, as a bank or hospital would, with the .pub
file that `registry sync export-office-key` writes."""
from __future__ import annotations

import ast
import base64
import datetime as dt
import json
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import base45
import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry_app.certificates.qr import (
    QrFields,
    extract_payload_from_pdf,
    make_rgc1_payload,
)
from registry_app.services.certificate_print import CertificatePrinting
from registry_app.services.marriage import MarriageCase, MarriageService
from registry_app.sync.keys import OfficeKeyPair
from registry_app.sync.service import SyncService
from tests.factories import marriage_case

VERIFIER = Path(__file__).resolve().parents[2] / "resources" / "verifier" / "verify_certificate.py"


def run(*args: str, stdin: str | None = None, cwd: Path) -> tuple[int, dict | str]:
    # -I: no PYTHONPATH, no script directory on the path; cwd outside the repository
    proc = subprocess.run([sys.executable, "-I", str(VERIFIER), *args], input=stdin, capture_output=True,
                          text=True, cwd=cwd, check=False)
    out = proc.stdout.strip()
    return proc.returncode, (json.loads(out) if out.startswith("{") else proc.stderr)


@pytest.fixture
def issued(clerk_ctx, admin_ctx, tmp_path):
    case = marriage_case()
    result = MarriageService(clerk_ctx).register_case(MarriageCase.from_dict(case))
    payload = extract_payload_from_pdf(CertificatePrinting(clerk_ctx).render(result.record_id))
    key_file = Path(SyncService(admin_ctx).export_office_public_key(tmp_path).path)
    return case, result, payload, key_file


def test_verifier_imports_only_the_standard_library_and_its_three_packages():
    tree = ast.parse(VERIFIER.read_text(encoding="utf-8"))
    top = {(a.name if isinstance(n, ast.Import) else n.module).split(".")[0]
           for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names}
    assert top - set(sys.stdlib_module_names) == {"cryptography", "cbor2", "base45"}


def test_a_printed_certificate_verifies_with_the_exported_key(issued, tmp_path):
    case, result, payload, key_file = issued
    assert payload.startswith("RGC2:")
    code, out = run("--key", str(key_file), payload, cwd=tmp_path)
    assert code == 0, out
    assert out["number"] == result.certificate_no and out["type"] == "J" and out["office_code"] == "320102"
    holders = [a for p in ("party2", "party1") for a in ("--holder", case[p]["name"], case[p]["id_number"])]
    code, out = run("--key", str(key_file), *holders, stdin=payload + "\n", cwd=tmp_path)
    assert (code, out["holders_match"]) == (0, True)
    code, out = run("--key", str(key_file), *holders[:3], "--holder", "李四", "110101199001011234", payload,
                    cwd=tmp_path)
    assert (code, out["holders_match"], out["valid"]) == (1, False, False)


def test_a_changed_claim_or_another_key_is_refused(issued, tmp_path):
    _case, _result, payload, key_file = issued
    tagged = cbor2.loads(zlib.decompress(base45.b45decode(payload[5:])))
    protected, _unprotected, claims_bytes, signature = tagged.value
    claims = cbor2.loads(claims_bytes)
    claims["d"] = "2020-01-01"
    forged = "RGC2:" + base45.b45encode(zlib.compress(cbor2.dumps(
        cbor2.CBORTag(18, [protected, {}, cbor2.dumps(claims), signature])))).decode()
    code, out = run("--key", str(key_file), forged, cwd=tmp_path)
    assert code == 1 and "signature" in out["reason"]
    other = tmp_path / "other.pub"
    other.write_bytes(OfficeKeyPair.generate("320103").public.to_file_bytes())
    code, out = run("--key", str(other), payload, cwd=tmp_path)
    assert code == 1 and "not among the keys" in out["reason"]


def test_rgc1_certificates_already_printed_still_verify(tmp_path):
    pair = OfficeKeyPair.generate("320102")
    key_file = tmp_path / "office.pub"
    key_file.write_bytes(pair.public.to_file_bytes())
    old = make_rgc1_payload(QrFields("J320102-2025-000001", "J", dt.date(2025, 5, 20), "320102", bytes(16)),
                            pair.private)
    code, out = run("--key", str(key_file), old, cwd=tmp_path)
    assert (code, out["number"], out["registration_date"]) == (0, "J320102-2025-000001", "2025-05-20")


@pytest.mark.parametrize("text", ["", "RGC2:", "RGC2:%%%%", "HC1:NCFOXN", "RGC1:AAAA", "RGC2:" + "A" * 600])
def test_garbage_is_not_valid_and_exits_1(issued, tmp_path, text):
    code, out = run("--key", str(issued[3]), text, cwd=tmp_path)
    assert code == 1 and out["valid"] is False


def test_a_bad_key_file_exits_2(tmp_path):
    bad = tmp_path / "bad.pub"
    bad.write_text('{"format": "registry-public-key", "version": 1, "key_id": "00", "ed25519": "AAAA"}')
    code, err = run("--key", str(bad), "RGC2:X", cwd=tmp_path)
    assert code == 2 and "bad.pub" in err


def _verifier_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("verify_certificate", VERIFIER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300), st.sampled_from(["RGC2:", "RGC1:"]), st.booleans())
def test_hostile_input_only_ever_raises_what_main_reports(blob, prefix, compress):
    verifier = _verifier_module()
    body = base45.b45encode(zlib.compress(blob) if compress else blob).decode() if prefix == "RGC2:" \
        else base64.b32encode(blob).decode().rstrip("=")
    try:
        verifier.verify(prefix + body, {})
    except (verifier.Invalid, ValueError, TypeError, KeyError, struct.error, OverflowError):
        pass
