"""A QR the client prints, scanned back from the rasterised page and checked with pycose and the office key."""
from __future__ import annotations

import shutil
import subprocess

import pytest
from PIL import Image

from registry_app.certificates.render import render_certificate
from tests.integration.test_certificates_pdf import KEY, make_view
from tests.unit.test_credential import pycose_message, pycose_verifies

zxingcpp = pytest.importorskip("zxingcpp")
pytestmark = pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) missing")


@pytest.mark.parametrize("kind", ["marriage", "divorce", "adoption"])
def test_printed_qr_verifies_with_pycose(kind, tmp_path):
    view = make_view(kind)
    pdf = tmp_path / "certificate.pdf"
    pdf.write_bytes(render_certificate(view))
    # poppler, not pdfium: the page is rasterised by a renderer the client itself does not use
    subprocess.run(["pdftoppm", "-r", "200", "-gray", "-f", "1", "-l", "1", "-png", str(pdf), str(tmp_path / "page")],
                   check=True)
    page = next(tmp_path.glob("page*.png"))
    texts = [r.text for r in zxingcpp.read_barcodes(Image.open(page), formats=zxingcpp.BarcodeFormat.QRCode)]
    assert texts == [view.qr_payload]
    assert texts[0].startswith("RGC2:")
    assert pycose_verifies(texts[0], KEY)
    assert pycose_message(texts[0]).payload   # the claims travel attached, not detached
