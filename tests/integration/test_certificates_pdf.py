"""Certificates and forms as PDFs, read back with pypdf, pypdfium2 and zxing-cpp."""
from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import io
import json
import re
import sys

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image
from pypdf import PdfReader
from reportlab.lib.units import mm

from registry_app.certificates import forms
from registry_app.certificates.calibration import Calibration, calibration_sheet_pdf
from registry_app.certificates.fonts import font_path, text_width
from registry_app.certificates.layout import load_layout, parse_layout
from registry_app.certificates.qr import (
    KIND_CODES,
    OK,
    extract_payload_from_pdf,
    fields_for_certificate,
    key_id_of,
    make_payload,
    verify_payload,
)
from registry_app.certificates.render import render_certificate, render_form, render_many
from registry_app.certificates.views import CERTIFICATE_KINDS, CertificateView, PartyView
from registry_app.domain.ids import IdType, Sex
from registry_app.errors import Issue, RegistryError

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
KEYS = {key_id_of(KEY.public_key()): KEY.public_key()}
OFFICE = "南京市玄武区民政局婚姻登记处"
HUSBAND = PartyView("张伟", Sex.MALE, "中国", dt.date(1995, 3, 8), IdType.RESIDENT, "32010219950308123X", "汉族")
WIFE = PartyView("欧阳晓雯", Sex.FEMALE, "中国", dt.date(1997, 11, 21), IdType.RESIDENT, "320102199711211248")
CHILD = PartyView("张小宝", "M", "中国", dt.date(2021, 5, 1), "resident_id", "320102202105010011")
NUMBERS = {
    "marriage": "J320102-2026-000123", "divorce": "L320102-2026-000045",
    "reissue_marriage": "BJ320102-2026-000007", "reissue_divorce": "BL320102-2026-000003",
    "adoption": "SY320102-2026-000012", "adoption_dissolution": "JC320102-2026-000002",
}


def photo_bytes(width: int = 400, height: int = 280) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (60, 120, 200)).save(buf, "JPEG")
    return buf.getvalue()


def make_view(kind: str, *, qr: bool = True, **changes) -> CertificateView:
    adoption = kind.startswith("adoption")
    view = CertificateView(
        kind=kind, number=NUMBERS[kind], registration_date=dt.date(2026, 6, 15), office_name=OFFICE,
        office_code="320102", holders=[HUSBAND, WIFE], remarks="", blank_serial="A320000123456",
        photo=photo_bytes(), extra={"adoptee": CHILD} if adoption else {},
    )
    for name, value in changes.items():
        setattr(view, name, value)
    if qr:
        view.qr_payload = make_payload(fields_for_certificate(view), KEY)
    return view


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def text_positions(pdf: bytes, page: int = 0) -> list[tuple[str, float, float]]:
    found: list[tuple[str, float, float]] = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            found.append((text, tm[4] * cm[0] + cm[4], tm[5] * cm[3] + cm[5]))

    PdfReader(io.BytesIO(pdf)).pages[page].extract_text(visitor_text=visit)
    return found


def position_of(pdf: bytes, needle: str) -> tuple[float, float]:
    hits = [(x, y) for text, x, y in text_positions(pdf) if needle in text]
    assert hits, needle
    return hits[0]


def embedded_fonts(pdf: bytes) -> list[dict]:
    fonts = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            descriptor = font.get("/FontDescriptor")
            fonts.append({
                "base": str(font["/BaseFont"]),
                "file2": descriptor.get_object().get("/FontFile2") if descriptor else None,
            })
    return fonts


def assert_fonts_embedded_as_subsets(pdf: bytes) -> None:
    fonts = embedded_fonts(pdf)
    assert any("DroidSansFallback" in f["base"] for f in fonts)
    whole_font = font_path().stat().st_size
    for font in fonts:
        assert font["file2"] is not None, f"{font['base']} is not embedded as TrueType"
        assert re.match(r"^/?[A-Z]{6}\+", font["base"]), font["base"]   # the subset tag
        assert len(font["file2"].get_object().get_data()) < whole_font / 20


# --- certificates ---------------------------------------------------------------------------

@pytest.mark.parametrize("kind", sorted(CERTIFICATE_KINDS))
def test_every_kind_prints_names_number_and_office_in_the_text_layer(kind):
    view = make_view(kind)
    pdf = render_certificate(view)
    text = text_of(pdf)
    for expected in (HUSBAND.name, WIFE.name, view.number, OFFICE, "2026年06月15日", HUSBAND.id_number):
        assert expected in text
    if kind.startswith("adoption"):
        assert CHILD.name in text and CHILD.id_number in text
    assert_fonts_embedded_as_subsets(pdf)


def test_fields_only_leaves_out_the_preprinted_blank_which_preview_shows():
    view = make_view("marriage")
    fields_only = text_of(render_certificate(view))
    preview = text_of(render_certificate(view, on_blank=True))
    for label in ("持证人", "结婚证字号", "婚姻登记员", "身份证件号"):
        assert label not in fields_only
        assert label in preview
    assert view.blank_serial not in fields_only     # the serial is printed on the blank already
    assert view.blank_serial in preview


@pytest.mark.parametrize("on_blank", [False, True])
def test_nothing_is_printed_on_the_registrars_signature_place(on_blank):
    view = make_view("marriage")
    layout = load_layout("marriage")
    place = next(p for p in layout.blank_places if p.name == "registrar_signature").box
    height = layout.height_mm
    for text, x, y in text_positions(render_certificate(view, on_blank=on_blank)):
        x_mm, y_mm = x / mm, height - y / mm
        inside = place.x_mm <= x_mm <= place.x_mm + place.w_mm and place.y_mm <= y_mm <= place.y_mm + place.h_mm
        assert not inside, text


@pytest.mark.parametrize("kind,on_blank", [("marriage", False), ("divorce", True), ("adoption", False)])
def test_qr_read_back_from_the_page_equals_the_payload_and_verifies(kind, on_blank):
    view = make_view(kind)
    text = extract_payload_from_pdf(render_certificate(view, on_blank=on_blank))
    assert text == view.qr_payload
    result = verify_payload(text, KEYS)
    assert result.reason_code == OK
    assert result.fields.kind_code == KIND_CODES[kind]
    assert result.fields.number == view.number
    people = [(HUSBAND.name, HUSBAND.id_number), (WIFE.name, WIFE.id_number)]
    if kind == "adoption":
        people.append((CHILD.name, CHILD.id_number))
    assert result.holders_match(people)
    assert not result.holders_match(people[:1])


def test_no_qr_payload_no_qr_on_the_page():
    assert extract_payload_from_pdf(render_certificate(make_view("marriage", qr=False))) is None


def test_missing_qr_reader_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "zxingcpp", None)   # makes `import zxingcpp` fail
    with pytest.raises(RegistryError) as err:
        extract_payload_from_pdf(render_certificate(make_view("marriage")))
    assert err.value.code == "QR_READER_MISSING"


def test_calibration_moves_fields_by_the_given_millimetres():
    view = make_view("marriage")
    plain = render_certificate(view)
    shifted = render_certificate(view, calibration=Calibration("柜台1", dx_mm=3.5, dy_mm=-2.0))
    (x0, y0), (x1, y1) = position_of(plain, view.number), position_of(shifted, view.number)
    assert x1 - x0 == pytest.approx(3.5 * mm, abs=0.01)
    assert y1 - y0 == pytest.approx(2.0 * mm, abs=0.01)      # dy < 0 moves up the page


def test_calibration_scale_stretches_from_the_top_left_corner():
    view = make_view("marriage")
    layout = load_layout("marriage")
    spec = layout.field("number")
    pdf = render_certificate(view, calibration=Calibration("缩放", scale=1.02))
    x, y = position_of(pdf, view.number)
    assert x == pytest.approx(spec.x_mm * 1.02 * mm, abs=0.01)
    assert y == pytest.approx((layout.height_mm - spec.y_mm * 1.02) * mm, abs=0.01)


def test_calibration_outline_moves_with_the_fields_in_preview():
    view = make_view("marriage")
    plain = render_certificate(view, on_blank=True)
    shifted = render_certificate(view, on_blank=True, calibration=Calibration("柜台1", dx_mm=-4.0, dy_mm=1.0))
    (x0, y0), (x1, y1) = position_of(plain, "持证人"), position_of(shifted, "持证人")
    assert (x1 - x0, y1 - y0) == (pytest.approx(-4.0 * mm, abs=0.01), pytest.approx(-1.0 * mm, abs=0.01))


def test_calibration_limits_and_measurement():
    with pytest.raises(RegistryError) as err:
        Calibration("x", dx_mm=25)
    assert err.value.code == "CALIBRATION_INVALID"
    with pytest.raises(RegistryError):
        Calibration("x", scale=1.5)
    # The printer put the (20, 20) crosshair at (21.5, 19.0) and stretched 170 mm to 170.85 mm.
    cal = Calibration.from_measurement("柜台2", (20, 20), (21.5, 19.0), 170, 170.85)
    printer_scale = 170.85 / 170
    printed_x = printer_scale * (20 * cal.scale + cal.dx_mm) + (21.5 - printer_scale * 20)
    printed_y = printer_scale * (20 * cal.scale + cal.dy_mm) + (19.0 - printer_scale * 20)
    assert (printed_x, printed_y) == (pytest.approx(20, abs=0.02), pytest.approx(20, abs=0.02))


def test_calibration_sheet_is_one_a4_page_with_rulers():
    pdf = calibration_sheet_pdf()
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (float(box.width), float(box.height)) == (pytest.approx(210 * mm), pytest.approx(297 * mm))
    text = text_of(pdf)
    assert "打印校准页" in text and "170" in text and "(20, 20)" in text
    assert_fonts_embedded_as_subsets(pdf)


def test_render_many_one_page_per_certificate_with_progress():
    views = [make_view("marriage"), make_view("divorce"), make_view("adoption")]
    seen = []
    pdf = render_many(views, progress=lambda done, total, label: seen.append((done, total)))
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 3
    assert seen == [(1, 3), (2, 3), (3, 3)]
    assert NUMBERS["divorce"] in reader.pages[1].extract_text()
    assert NUMBERS["adoption"] in reader.pages[2].extract_text()


def test_render_many_stops_when_cancelled():
    views = [make_view("marriage") for _ in range(5)]
    seen = []
    with pytest.raises(RegistryError) as err:
        render_many(views, progress=lambda d, t, label: seen.append(d), cancelled=lambda: len(seen) >= 2)
    assert err.value.code == "CANCELLED"
    assert seen == [1, 2]


def test_render_many_refuses_an_empty_batch():
    with pytest.raises(RegistryError) as err:
        render_many([])
    assert err.value.code == "NOTHING_TO_PRINT"


def test_long_remarks_wrap_and_too_long_names_are_refused():
    long_remark = "原结婚证字号J320102-2019-000456，因遗失补发。" * 2
    view = make_view("reissue_marriage", remarks=long_remark)
    text = text_of(render_certificate(view)).replace("\n", "")
    assert "因遗失补发" in text
    with pytest.raises(RegistryError) as err:
        render_certificate(make_view("marriage", holders=[dataclasses.replace(HUSBAND, name="长" * 40), WIFE]))
    assert err.value.code == "FIELD_TOO_LONG"


def test_a_bad_photo_is_a_clear_error():
    with pytest.raises(RegistryError) as err:
        render_certificate(make_view("marriage", photo=b"not an image"))
    assert err.value.code == "PHOTO_INVALID"


def test_same_view_gives_the_same_bytes():
    view = make_view("marriage")
    assert render_certificate(view) == render_certificate(view)


# --- layouts --------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", sorted(CERTIFICATE_KINDS))
def test_shipped_layouts_load(kind):
    layout = load_layout(kind)
    assert layout.kind == kind and layout.qr is not None and layout.blank_places


def _marriage_data() -> dict:
    return json.loads((load_layout.__globals__["layouts_dir"]() / "marriage.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("break_it,where", [
    (lambda d: d.update(kind="birth"), "kind"),
    (lambda d: d["page"].update(width_mm="wide"), "page.width_mm"),
    (lambda d: d["fields"][0].update(source="holders.0.password"), "fields[0].source"),
    (lambda d: d["fields"][0].update(align="justify"), "fields[0].align"),
    (lambda d: d["fields"][0].update(x_mm=-5), "fields[0].x_mm"),
    (lambda d: d["fields"][0].update(x_mm=180), "fields[bearer_name]"),          # runs off the page
    (lambda d: d["fields"][1].update(name="bearer_name"), "fields"),              # duplicate name
    (lambda d: d["fields"][1].update(y_mm=d["fields"][0]["y_mm"]), "fields[bearer_name]"),  # overlap
    (lambda d: d.update(fields=[]), "fields"),
    (lambda d: d["qr"].update(size_mm=5), "qr.size_mm"),
    (lambda d: d["outline"].update(tint="pink"), "outline.tint"),
    (lambda d: d["fields"].append({"name": "x", "source": "number", "x_mm": 60, "y_mm": 110, "size": 10,
                                   "max_width_mm": 20}), "fields[x]"),            # on the signature place
])
def test_bad_layouts_are_rejected_with_layout_invalid(break_it, where):
    data = copy.deepcopy(_marriage_data())
    break_it(data)
    with pytest.raises(RegistryError) as err:
        parse_layout(data, source="marriage.json")
    assert err.value.code == "LAYOUT_INVALID"
    assert err.value.field == where


def test_unreadable_layout_file_is_layout_invalid(tmp_path):
    (tmp_path / "marriage.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(RegistryError) as err:
        load_layout("marriage", tmp_path)
    assert err.value.code == "LAYOUT_INVALID"
    with pytest.raises(RegistryError) as err:
        load_layout("divorce", tmp_path)
    assert err.value.code == "LAYOUT_INVALID"


def test_a_layout_file_for_another_kind_is_rejected(tmp_path):
    data = _marriage_data()
    (tmp_path / "divorce.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(RegistryError) as err:
        load_layout("divorce", tmp_path)
    assert err.value.code == "LAYOUT_INVALID"


# --- forms ----------------------------------------------------------------------------------

def _all_forms():
    day = dt.date(2026, 6, 15)
    return {
        "declaration": (forms.marriage_declaration(HUSBAND, WIFE.name, office_name=OFFICE, marital_status="未婚"),
                        ["申请结婚登记声明书", HUSBAND.name, HUSBAND.id_number, "自愿结婚", "声明人", "监誓人"]),
        "review": (forms.marriage_review_form([WIFE, HUSBAND], office_name=OFFICE, marital_statuses=["未婚", "离婚"],
                                              application_date=day, registration_date=day,
                                              number=NUMBERS["marriage"], blank_serial="A320000123456",
                                              documents="双方居民身份证"),
                   ["结婚登记审查处理表", "男方", "女方", NUMBERS["marriage"], "A320000123456", WIFE.id_number]),
        "refusal": (forms.refusal_notice(office_name=OFFICE, addressees=[HUSBAND.name, WIFE.name], matter="结婚登记",
                                         application_date=day, issue_date=day,
                                         reasons=[Issue("AGE_UNDER", "女方未达法定结婚年龄"), ("HAS_SPOUSE", "男方现有配偶")]),
                    ["不予登记告知书", "AGE_UNDER", "女方未达法定结婚年龄", "HAS_SPOUSE", "行政复议", OFFICE]),
        "refusal_acceptance": (forms.refusal_notice(office_name=OFFICE, addressees=[HUSBAND.name], matter="离婚登记",
                                                    application_date=day, issue_date=day, stage="acceptance",
                                                    reasons=[("NO_AGREEMENT", "未达成离婚协议")]),
                               ["不予受理告知书", "NO_AGREEMENT"]),
        "ack": (forms.divorce_acknowledgement([HUSBAND, WIFE], office_name=OFFICE, received_date=day,
                                              cooling_off_end=dt.date(2026, 7, 15),
                                              collection_deadline=dt.date(2026, 8, 14),
                                              application_number="LS320102-2026-000031"),
                ["离婚登记申请受理回执单", "2026年07月15日", "2026年08月14日", "LS320102-2026-000031"]),
        "withdrawal": (forms.withdrawal_confirmation(office_name=OFFICE, withdrawing=WIFE, other_name=HUSBAND.name,
                                                     application_number="LS320102-2026-000031", received_date=day,
                                                     withdrawal_date=dt.date(2026, 6, 30)),
                       ["撤回离婚登记申请确认单", WIFE.name, "2026年06月30日", "程序终止"]),
        "proof": (forms.marriage_record_proof(office_name=OFFICE, person=HUSBAND, issue_date=day, records=[
                      forms.MarriageRecordEntry("结婚登记", dt.date(2019, 5, 20), "李娜", "320102199602021229",
                                                "J320102-2019-000456")]),
                  ["婚姻登记记录证明", "J320102-2019-000456", "李娜", "特此证明"]),
    }


@pytest.mark.parametrize("name", sorted(_all_forms()))
def test_forms_render_with_their_content_and_embedded_font(name):
    view, expected = _all_forms()[name]
    pdf = render_form(view)
    reader = PdfReader(io.BytesIO(pdf))
    box = reader.pages[0].mediabox
    assert (float(box.width), float(box.height)) == (pytest.approx(210 * mm), pytest.approx(297 * mm))
    text = text_of(pdf).replace("\n", "")
    for piece in expected:
        assert piece in text, piece
    assert_fonts_embedded_as_subsets(pdf)


def test_title_is_centred_on_the_page():
    view, _ = _all_forms()["ack"]
    pdf = render_form(view)
    hits = [(t, x) for t, x, _ in text_positions(pdf) if t == view.title]
    assert hits
    width = text_width(view.title, 20)
    assert hits[0][1] + width / 2 == pytest.approx(105 * mm, abs=1.0)


def test_signature_lines_are_left_blank():
    view, _ = _all_forms()["declaration"]
    lines = text_of(render_form(view)).splitlines()
    signer = [line for line in lines if line.startswith("声明人")]
    assert signer and HUSBAND.name not in signer[0]


def test_a_line_never_starts_with_a_closing_mark():
    long = forms.refusal_notice(office_name=OFFICE, addressees=["张伟", "欧阳晓雯"], matter="结婚登记",
                                application_date=dt.date(2026, 6, 15), issue_date=dt.date(2026, 6, 15),
                                reasons=[("X", "理由")])
    for line in text_of(render_form(long)).splitlines():
        assert line[:1] not in set("，。、；：）"), line
