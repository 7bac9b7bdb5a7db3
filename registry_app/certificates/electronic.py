"""The electronic certificate (婚姻登记/收养登记电子证照): one PDF page with the booklet's fields, the RGC2
credential as QR, the GB/T 36903 licence data in the XMP metadata, signed by the office (pades.py).

PDF/A-2b, as far as this module can make it: fonts embedded (TrueType subsets), an sRGB output intent, XMP
with pdfaid part 2 / conformance B and an extension schema describing our properties, Info and XMP kept in
agreement by pyHanko, no encryption, no JavaScript, the signature added as an incremental update.
docs/credential-format.md says what has not been checked with a PDF/A validator."""
from __future__ import annotations

import datetime as dt
import io
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from reportlab.lib.colors import Color, HexColor, black
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from registry_app.certificates import render
from registry_app.certificates.calibration import NO_CALIBRATION
from registry_app.certificates.fonts import draw_string, register_fonts
from registry_app.certificates.form_pdf import draw_training_mark
from registry_app.certificates.formatting import display
from registry_app.certificates.layout import load_layout
from registry_app.certificates.views import CertificateView

NS_ECERT = "urn:registry-app:ns:ecert:1"    # our names for GB/T 36903's data items (the standard fixes no XMP schema)
NS_PDFAID = "http://www.aiim.org/pdfa/ns/id/"
_PREFIXES = {"ecert": NS_ECERT, "pdfaExtension": "http://www.aiim.org/pdfa/ns/extension/",
             "pdfaSchema": "http://www.aiim.org/pdfa/ns/schema#", "pdfaProperty": "http://www.aiim.org/pdfa/ns/property#"}
MARGIN_MM = 10.0
FOOTER_MM = 30.0
GREY = Color(0.45, 0.45, 0.45)
CREATOR = "registry-app e-certificate"      # marks the page as an e-certificate from its first revision

# XMP property -> (value type, description), in the order GB/T 36903 lists the items
_PROPERTIES = {
    "LicenceName": ("Text", "证照名称"), "LicenceTypeCode": ("Text", "证照类型代码"),
    "LicenceNumber": ("Text", "证照编号"), "LicenceIdentifier": ("Text", "证照标识"),
    "IssuingAuthority": ("Text", "颁证单位"), "IssuingAuthorityCode": ("Text", "颁证单位代码"),
    "IssueDate": ("Date", "颁证日期"), "HolderName": ("Seq Text", "持证主体"),
    "HolderIdType": ("Seq Text", "持证主体代码类型"), "HolderIdNumber": ("Seq Text", "持证主体代码"),
    "Credential": ("Text", "RGC2签名凭证（docs/credential-format.md）"),
}


@dataclass(frozen=True)
class LicenceData:
    """What GB/T 36903 asks the file's metadata to carry."""
    licence_name: str
    type_code: str
    licence_number: str
    identifier: str
    authority: str
    authority_code: str
    issue_date: dt.date
    holders: tuple[tuple[str, str, str], ...]    # (name, ID type label, ID number)
    credential: str


def render_page(view: CertificateView, licence: LicenceData) -> bytes:
    """The unsigned page: the booklet spread in colour with its printed labels, and a footer with the licence data."""
    layout = load_layout(view.kind)
    width_mm = layout.width_mm + 2 * MARGIN_MM
    height_mm = layout.height_mm + MARGIN_MM + FOOTER_MM
    buf = io.BytesIO()
    c = Canvas(buf, invariant=True, initialFontName=register_fonts(), pagesize=(width_mm * mm, height_mm * mm))
    c.setTitle(licence.licence_name)
    c.setAuthor(licence.authority)
    c.setSubject(f"电子证照 {licence.identifier}")
    c.setCreator(CREATOR)
    c.setKeywords("")
    c.saveState()
    c.translate(MARGIN_MM * mm, FOOTER_MM * mm)
    _draw_booklet(c, view, layout)
    c.restoreState()
    _draw_footer(c, licence, width_mm)
    if view.training:
        draw_training_mark(c, width_mm * mm, height_mm * mm)
    c.showPage()
    c.save()
    return buf.getvalue()


def _draw_booklet(c: Canvas, view: CertificateView, layout) -> None:
    cal, h = NO_CALIBRATION, layout.height_mm
    outline = layout.outline
    for frame in outline.frames:
        x, y = cal.point(frame.x_mm, frame.y_mm + frame.h_mm, h)
        if outline.tint:
            c.setFillColor(HexColor(outline.tint))
            c.rect(x, y, frame.w_mm * mm, frame.h_mm * mm, stroke=0, fill=1)
        c.setStrokeColor(GREY)
        c.setLineWidth(0.8)
        c.rect(x, y, frame.w_mm * mm, frame.h_mm * mm, stroke=1, fill=0)
    c.setLineWidth(0.4)
    for rule in outline.rules:
        if not rule.dashed:     # the dashed rule is the booklet's fold
            c.line(*cal.point(rule.x1_mm, rule.y1_mm, h), *cal.point(rule.x2_mm, rule.y2_mm, h))
    c.setFillColor(GREY)
    for label in outline.labels:
        draw_string(c, *cal.point(label.x_mm, label.y_mm, h), label.text, label.size, label.align)
    for spec in layout.fields:
        text = render.field_text(view, spec.source)
        if text:
            c.setFillColor(GREY if spec.preprinted else black)
            render._draw_field(c, spec, text, layout, cal)
    c.setFillColor(black)
    if view.photo and layout.photo:
        render._draw_photo(c, view.photo, layout, cal)
    elif layout.photo:        # no photo on the record: say so rather than leave a hole
        box = layout.photo
        render._dashed_box(c, box.x_mm, box.y_mm, box.w_mm, box.h_mm, "无照片", layout, cal)
    if view.qr_payload and layout.qr:
        render.draw_qr(c, view.qr_payload, layout.qr.x_mm, layout.qr.y_mm, layout.qr.size_mm, h, cal)


def _draw_footer(c: Canvas, licence: LicenceData, width_mm: float) -> None:
    c.setStrokeColor(GREY)
    c.setLineWidth(0.4)
    c.line(MARGIN_MM * mm, (FOOTER_MM - 4) * mm, (width_mm - MARGIN_MM) * mm, (FOOTER_MM - 4) * mm)
    c.setFillColor(black)
    lines = [
        (f"电子证照　{licence.licence_name}　证照编号 {licence.licence_number}", 9),
        (f"证照标识 {licence.identifier}", 8),
        (f"颁证单位 {licence.authority}（{licence.authority_code}）　颁证日期 {display(licence.issue_date)}", 8),
        ("本文件经颁证单位电子签名（PAdES）；可扫描二维码或以登记机关公布的公钥核验。证书是否仍然有效以登记机关记录为准。", 7),
    ]
    y = FOOTER_MM - 9
    for text, size in lines:
        draw_string(c, MARGIN_MM * mm, y * mm, text, size)
        y -= 5.5


# --- metadata and output intent (written in the signing revision, so pyHanko keeps Info and XMP equal) ----


def _srgb_profile() -> bytes:
    from PIL import ImageCms
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def prepare_writer(pdf: bytes, licence: LicenceData, issued_at: dt.datetime):
    """An incremental writer over the page with the PDF/A output intent and the XMP metadata set."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.metadata import model, xmp_xml

    for prefix, uri in _PREFIXES.items():
        model.NS.setdefault(prefix, uri)
    xmp_xml.register_namespaces()    # PDF/A wants the prefixes the extension schema names
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    icc = generic.StreamObject({generic.NameObject("/N"): generic.NumberObject(3)}, stream_data=_srgb_profile())
    intent = generic.DictionaryObject({
        generic.NameObject("/Type"): generic.NameObject("/OutputIntent"),
        generic.NameObject("/S"): generic.NameObject("/GTS_PDFA1"),
        generic.NameObject("/OutputConditionIdentifier"): generic.TextStringObject("sRGB IEC61966-2.1"),
        generic.NameObject("/Info"): generic.TextStringObject("sRGB IEC61966-2.1"),
        generic.NameObject("/DestOutputProfile"): writer.add_object(icc),
    })
    writer.root[generic.NameObject("/OutputIntents")] = generic.ArrayObject([writer.add_object(intent)])
    writer.update_root()
    meta = writer.document_meta
    meta.title = licence.licence_name
    meta.author = licence.authority
    meta.subject = f"电子证照 {licence.identifier}"
    meta.creator = CREATOR
    meta.created = issued_at
    meta.xmp_extra = [_pdfa_id(model), _extension_schema(model), _licence_xmp(model, licence)]
    return writer


def _name(model, ns: str, local: str):
    return model.ExpandedName(ns=ns, local_name=local)


def _text(model, value: str):
    return model.XmpValue(str(value))


def _pdfa_id(model):
    return model.XmpStructure.of((_name(model, NS_PDFAID, "part"), _text(model, "2")),
                                 (_name(model, NS_PDFAID, "conformance"), _text(model, "B")))


def _extension_schema(model):
    """PDF/A requires properties outside the predefined schemas to be described in the file itself."""
    ext, schema, prop = _PREFIXES["pdfaExtension"], _PREFIXES["pdfaSchema"], _PREFIXES["pdfaProperty"]
    properties = [model.XmpValue(model.XmpStructure.of(
        (_name(model, prop, "name"), _text(model, name)), (_name(model, prop, "valueType"), _text(model, kind)),
        (_name(model, prop, "category"), _text(model, "external")),
        (_name(model, prop, "description"), _text(model, what)))) for name, (kind, what) in _PROPERTIES.items()]
    described = model.XmpStructure.of(
        (_name(model, schema, "schema"), _text(model, "GB/T 36903 电子证照元数据")),
        (_name(model, schema, "namespaceURI"), _text(model, NS_ECERT)),
        (_name(model, schema, "prefix"), _text(model, "ecert")),
        (_name(model, schema, "property"), model.XmpValue(model.XmpArray.ordered(properties))))
    return model.XmpStructure.of((_name(model, ext, "schemas"),
                                  model.XmpValue(model.XmpArray.unordered([model.XmpValue(described)]))))


def _licence_xmp(model, licence: LicenceData):
    def seq(values):
        return model.XmpValue(model.XmpArray.ordered([_text(model, v) for v in values]))

    n = _name
    return model.XmpStructure.of(
        (n(model, NS_ECERT, "LicenceName"), _text(model, licence.licence_name)),
        (n(model, NS_ECERT, "LicenceTypeCode"), _text(model, licence.type_code)),
        (n(model, NS_ECERT, "LicenceNumber"), _text(model, licence.licence_number)),
        (n(model, NS_ECERT, "LicenceIdentifier"), _text(model, licence.identifier)),
        (n(model, NS_ECERT, "IssuingAuthority"), _text(model, licence.authority)),
        (n(model, NS_ECERT, "IssuingAuthorityCode"), _text(model, licence.authority_code)),
        (n(model, NS_ECERT, "IssueDate"), _text(model, licence.issue_date.isoformat())),
        (n(model, NS_ECERT, "HolderName"), seq(h[0] for h in licence.holders)),
        (n(model, NS_ECERT, "HolderIdType"), seq(h[1] for h in licence.holders)),
        (n(model, NS_ECERT, "HolderIdNumber"), seq(h[2] for h in licence.holders)),
        (n(model, NS_ECERT, "Credential"), _text(model, licence.credential)),
    )


def claims_to_be_electronic(pdf: bytes) -> bool:
    """The document says it is an e-certificate (Info /Creator), signed or not."""
    from pyhanko.pdf_utils.misc import PdfReadError
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        info = PdfFileReader(io.BytesIO(pdf), strict=False).trailer_view.get("/Info")
        return info is not None and str(info.get_object().get("/Creator", "")) == CREATOR
    except (PdfReadError, ValueError, KeyError, TypeError, IndexError, AttributeError):
        # a cut or damaged file no reader opens: its bytes may still say what it was, and a damaged
        # e-certificate must be refused as one, not read for its QR as a printed page
        return any(marker in pdf for marker in _CREATOR_BYTES)


# /Creator as the first revision writes it, and as a signing update re-writes it (hyphens escaped)
_CREATOR_BYTES = (f"/Creator ({CREATOR})".encode(), f"/Creator ({CREATOR.replace('-', chr(92) + '055')})".encode())


def read_licence_metadata(pdf: bytes) -> dict:
    """The ecert:* properties and pdfaid part/conformance from the document's XMP ({} when there is none)."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    if "/Metadata" not in reader.root:
        return {}
    xml = reader.root["/Metadata"].get_object().data
    root = ET.fromstring(xml)
    rdf = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
    out: dict = {}
    for desc in root.iter(f"{rdf}Description"):
        for child in desc:
            ns, _, local = child.tag[1:].partition("}")
            if ns == NS_ECERT:
                items = [li.text or "" for li in child.iter(f"{rdf}li")]
                out[local] = items if items else (child.text or "")
            elif ns == NS_PDFAID:
                out[f"pdfaid:{local}"] = child.text or ""
        for key, value in desc.attrib.items():   # properties written as attributes
            ns, _, local = key[1:].partition("}")
            if ns == NS_ECERT:
                out[local] = value
            elif ns == NS_PDFAID:
                out[f"pdfaid:{local}"] = value
    return out
