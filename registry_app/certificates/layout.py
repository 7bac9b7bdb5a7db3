"""Certificate layouts as data: where each field goes on the pre-printed booklet.

One JSON file per certificate kind in resources/layouts/. Positions are millimetres from the
top-left corner of the booklet spread as it goes through the printer; a field's y is its text
baseline. The outline (frames, rules, printed labels) is what the blank already carries: it is
drawn only in "preview on blank" mode. Blank places (the registrar's signature, the seal) must
stay empty, so a layout that prints anything on them is rejected.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, fields as dc_fields
from pathlib import Path
from typing import Any

from registry_app.certificates.views import CERTIFICATE_KINDS, PartyView
from registry_app.errors import RegistryError
from registry_app.resources import resources_dir

ALIGNMENTS = ("left", "center", "right")
PARTY_ATTRIBUTES = tuple(f.name for f in dc_fields(PartyView))
_VIEW_ATTRIBUTES = ("number", "registration_date", "office_name", "office_code", "remarks", "blank_serial", "title")
_PARTY = "(" + "|".join(PARTY_ATTRIBUTES) + ")"
_SOURCE = re.compile(
    r"^(?:" + "|".join(_VIEW_ATTRIBUTES)
    + rf"|bearer\.{_PARTY}|holders\.\d\.{_PARTY}|extra\.[a-z_]+(?:\.{_PARTY})?)$"
)
_PT_TO_MM = 25.4 / 72


@dataclass(frozen=True)
class Box:
    x_mm: float
    y_mm: float
    w_mm: float
    h_mm: float

    def overlaps(self, other: "Box") -> bool:
        return (self.x_mm < other.x_mm + other.w_mm and other.x_mm < self.x_mm + self.w_mm
                and self.y_mm < other.y_mm + other.h_mm and other.y_mm < self.y_mm + self.h_mm)


@dataclass(frozen=True)
class FieldSpec:
    name: str
    source: str               # which view attribute it shows, e.g. "holders.0.name"
    x_mm: float               # left edge, centre or right edge, by `align`
    y_mm: float               # baseline of the first line
    size: float               # font size in points
    max_width_mm: float
    align: str = "left"
    lines: int = 1            # >1 wraps (remarks)
    line_height_mm: float = 0.0
    min_size: float = 0.0     # the text shrinks down to this before it counts as too long
    preprinted: bool = False  # already on the blank (its serial): drawn only in preview

    @property
    def leading_mm(self) -> float:
        return self.line_height_mm or self.size * 1.35 * _PT_TO_MM

    def box(self) -> Box:
        """The area the text may cover, for overlap checks."""
        left = {"left": self.x_mm, "center": self.x_mm - self.max_width_mm / 2,
                "right": self.x_mm - self.max_width_mm}[self.align]
        ascent = self.size * 0.9 * _PT_TO_MM
        descent = self.size * 0.15 * _PT_TO_MM
        top = self.y_mm - ascent
        return Box(left, top, self.max_width_mm, ascent + descent + (self.lines - 1) * self.leading_mm)


@dataclass(frozen=True)
class Label:
    text: str
    x_mm: float
    y_mm: float
    size: float
    align: str = "left"


@dataclass(frozen=True)
class Rule:
    x1_mm: float
    y1_mm: float
    x2_mm: float
    y2_mm: float
    dashed: bool = False


@dataclass(frozen=True)
class Outline:
    frames: tuple[Box, ...] = ()
    rules: tuple[Rule, ...] = ()
    labels: tuple[Label, ...] = ()
    tint: str = ""   # background colour of the blank's pages, "#rrggbb", preview only


@dataclass(frozen=True)
class BlankPlace:
    name: str
    box: Box
    label: str = ""


@dataclass(frozen=True)
class QrSpec:
    x_mm: float
    y_mm: float
    size_mm: float   # including the quiet zone


@dataclass(frozen=True)
class Layout:
    kind: str
    width_mm: float
    height_mm: float
    fields: tuple[FieldSpec, ...]
    outline: Outline = Outline()
    photo: Box | None = None
    qr: QrSpec | None = None
    blank_places: tuple[BlankPlace, ...] = ()

    def field(self, name: str) -> FieldSpec:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


def layouts_dir() -> Path:
    return resources_dir() / "layouts"


def load_layout(kind: str, directory: Path | None = None) -> Layout:
    """Read and check resources/layouts/<kind>.json."""
    if kind not in CERTIFICATE_KINDS:
        raise RegistryError(f"未知的证书种类：{kind}", code="LAYOUT_INVALID", field="kind")
    path = (directory or layouts_dir()) / f"{kind}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RegistryError(f"缺少证书版式文件 {path.name}", code="LAYOUT_INVALID") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RegistryError(f"证书版式文件 {path.name} 无法读取：{exc}", code="LAYOUT_INVALID") from None
    layout = parse_layout(data, source=path.name)
    if layout.kind != kind:
        raise RegistryError(f"证书版式文件 {path.name} 的种类为 {layout.kind}，应为 {kind}",
                            code="LAYOUT_INVALID", field="kind")
    return layout


class _Reader:
    """Pulls typed values out of the JSON, naming the exact place of any error."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, where: str, what: str) -> RegistryError:
        prefix = f"证书版式 {self.source} " if self.source else "证书版式"
        return RegistryError(f"{prefix}{where}：{what}", code="LAYOUT_INVALID", field=where)

    def obj(self, value: Any, where: str) -> dict:
        if not isinstance(value, dict):
            raise self.fail(where, "应为对象")
        return value

    def items(self, value: Any, where: str) -> list:
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(where, "应为列表")
        return value

    def num(self, d: dict, key: str, where: str, *, default: float | None = None,
            low: float = 0.0, high: float = 1000.0) -> float:
        value = d.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise self.fail(f"{where}.{key}", "应为数字")
        if not low <= value <= high:
            raise self.fail(f"{where}.{key}", f"应在 {low} 与 {high} 之间")
        return float(value)

    def text(self, d: dict, key: str, where: str, default: str | None = None) -> str:
        value = d.get(key, default)
        if not isinstance(value, str) or not value:
            raise self.fail(f"{where}.{key}", "应为非空文字")
        return value

    def align(self, d: dict, where: str) -> str:
        value = d.get("align", "left")
        if value not in ALIGNMENTS:
            raise self.fail(f"{where}.align", "应为 left、center 或 right")
        return value

    def box(self, d: Any, where: str) -> Box:
        d = self.obj(d, where)
        return Box(self.num(d, "x_mm", where), self.num(d, "y_mm", where),
                   self.num(d, "w_mm", where, low=0.1), self.num(d, "h_mm", where, low=0.1))


def parse_layout(data: Any, source: str = "") -> Layout:
    """Build a Layout from decoded JSON, or raise RegistryError(code="LAYOUT_INVALID")."""
    r = _Reader(source)
    data = r.obj(data, "根")
    kind = r.text(data, "kind", "kind")
    if kind not in CERTIFICATE_KINDS:
        raise r.fail("kind", f"未知的证书种类 {kind}")
    page = r.obj(data.get("page"), "page")
    width = r.num(page, "width_mm", "page", low=50, high=500)
    height = r.num(page, "height_mm", "page", low=50, high=500)

    fields: list[FieldSpec] = []
    for i, raw in enumerate(r.items(data.get("fields"), "fields")):
        where = f"fields[{i}]"
        raw = r.obj(raw, where)
        source_attr = r.text(raw, "source", where)
        if not _SOURCE.match(source_attr):
            raise r.fail(f"{where}.source", f"无法识别的数据项 {source_attr}")
        lines = r.num(raw, "lines", where, default=1, low=1, high=20)
        if lines != int(lines):
            raise r.fail(f"{where}.lines", "应为整数")
        size = r.num(raw, "size", where, low=4, high=48)
        preprinted = raw.get("preprinted", False)
        if not isinstance(preprinted, bool):
            raise r.fail(f"{where}.preprinted", "应为 true 或 false")
        fields.append(FieldSpec(
            name=r.text(raw, "name", where), source=source_attr,
            x_mm=r.num(raw, "x_mm", where), y_mm=r.num(raw, "y_mm", where), size=size,
            max_width_mm=r.num(raw, "max_width_mm", where, low=1),
            align=r.align(raw, where), lines=int(lines),
            line_height_mm=r.num(raw, "line_height_mm", where, default=0, high=50),
            min_size=r.num(raw, "min_size", where, default=0, high=size),
            preprinted=preprinted,
        ))
    if not fields:
        raise r.fail("fields", "至少需要一个字段")
    names = [f.name for f in fields]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise r.fail("fields", f"字段名重复：{'、'.join(duplicates)}")

    outline_raw = r.obj(data.get("outline", {}), "outline")
    frames = tuple(r.box(b, f"outline.frames[{i}]") for i, b in enumerate(r.items(outline_raw.get("frames"), "outline.frames")))
    rules = []
    for i, raw in enumerate(r.items(outline_raw.get("rules"), "outline.rules")):
        where = f"outline.rules[{i}]"
        raw = r.obj(raw, where)
        rules.append(Rule(r.num(raw, "x1_mm", where), r.num(raw, "y1_mm", where),
                          r.num(raw, "x2_mm", where), r.num(raw, "y2_mm", where), bool(raw.get("dashed", False))))
    labels = []
    for i, raw in enumerate(r.items(outline_raw.get("labels"), "outline.labels")):
        where = f"outline.labels[{i}]"
        raw = r.obj(raw, where)
        labels.append(Label(r.text(raw, "text", where), r.num(raw, "x_mm", where), r.num(raw, "y_mm", where),
                            r.num(raw, "size", where, low=4, high=72), r.align(raw, where)))
    tint = outline_raw.get("tint", "")
    if not isinstance(tint, str) or (tint and not re.fullmatch(r"#[0-9a-fA-F]{6}", tint)):
        raise r.fail("outline.tint", "应为 #rrggbb 形式的颜色")
    outline = Outline(frames, tuple(rules), tuple(labels), tint)

    photo = r.box(data["photo"], "photo") if data.get("photo") is not None else None
    qr = None
    if data.get("qr") is not None:
        q = r.obj(data["qr"], "qr")
        qr = QrSpec(r.num(q, "x_mm", "qr"), r.num(q, "y_mm", "qr"), r.num(q, "size_mm", "qr", low=12, high=80))
    blank_places = []
    for i, raw in enumerate(r.items(data.get("blank_places"), "blank_places")):
        where = f"blank_places[{i}]"
        raw = r.obj(raw, where)
        blank_places.append(BlankPlace(r.text(raw, "name", where), r.box(raw, where), str(raw.get("label", ""))))

    layout = Layout(kind, width, height, tuple(fields), outline, photo, qr, tuple(blank_places))
    _check_geometry(layout, r)
    return layout


def _check_geometry(layout: Layout, r: _Reader) -> None:
    page = Box(0, 0, layout.width_mm, layout.height_mm)

    def inside(box: Box) -> bool:
        return (box.x_mm >= page.x_mm - 0.01 and box.y_mm >= page.y_mm - 0.01
                and box.x_mm + box.w_mm <= page.w_mm + 0.01 and box.y_mm + box.h_mm <= page.h_mm + 0.01)

    printed: list[tuple[str, Box]] = [(f"fields[{f.name}]", f.box()) for f in layout.fields if not f.preprinted]
    if layout.photo:
        printed.append(("photo", layout.photo))
    if layout.qr:
        printed.append(("qr", Box(layout.qr.x_mm, layout.qr.y_mm, layout.qr.size_mm, layout.qr.size_mm)))
    for where, box in printed + [(f"fields[{f.name}]", f.box()) for f in layout.fields if f.preprinted]:
        if not inside(box):
            raise r.fail(where, "超出页面范围")
    for place in layout.blank_places:
        if not inside(place.box):
            raise r.fail(f"blank_places[{place.name}]", "超出页面范围")
        for where, box in printed:
            if box.overlaps(place.box):
                raise r.fail(where, f"与应留空的“{place.label or place.name}”位置重叠")
    for i, (where_a, a) in enumerate(printed):
        for where_b, b in printed[i + 1:]:
            if a.overlaps(b):
                raise r.fail(where_a, f"与 {where_b} 重叠")
