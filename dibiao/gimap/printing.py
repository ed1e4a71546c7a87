"""The printable county map (打印版一张图): an A4 landscape page with the county's boundary, its
products' protected areas, the production bases and the producers, a title, a legend, a scale
bar, a north arrow and the data date, as a PNG (150 dpi) or a vector PDF for reports. Drawn on
the server from the same layers as the map pages (`layers.layer_collection`, so in the same
scope); no browser, no tile server.

`_draw` lays the page out in millimetres on either canvas of canvases.py. The map is a
transverse Mercator projection centred on the county, so the scale bar is true across it (the
scale error is under 0.01 % within 100 km of the centre).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import MultiPolygon, Point, Polygon, shape
from shapely.geometry.base import BaseGeometry

from dibiao.core.choices import BoundarySource
from dibiao.core.models import Division, DivisionBoundary
from dibiao.gimap.canvases import INK, WHITE, Canvas, Color, PdfCanvas, PngCanvas, Ring
from dibiao.gimap.layers import layer_collection
from dibiao.gimap.selectors import products_for_map
from dibiao.registry.models import GIProduct

PAGE_WIDTH, PAGE_HEIGHT = 297.0, 210.0  # mm, A4 landscape
DPI = 150  # the PNG: 1754 × 1240 pixels
MARGIN = 10.0
FRAME = (MARGIN, 27.0, 205.0, 167.0)  # the map's frame: x, y, width, height (mm)
LEGEND_X = 222.0
LEGEND_WIDTH = PAGE_WIDTH - MARGIN - LEGEND_X
FIT_PADDING = 0.06  # of the county's extent, on each side

# The web map's colours (static/gimap/map.js), so the printed and the screen map read alike.
MUTED: Color = (91, 100, 112)
COUNTY_FILL: Color = (250, 248, 240)
COUNTY_EDGE: Color = (55, 55, 55)
AREA: Color = (46, 125, 50)
AREA_OPACITY = 0.22
BASE: Color = (230, 126, 34)
BASE_OUTSIDE: Color = (207, 34, 46)
PRODUCER: Color = (11, 92, 173)

PRINT_LAYERS = ("protected_areas", "bases", "producers")


@dataclass(frozen=True)
class Feature:
    name: str
    shape: BaseGeometry
    properties: dict[str, Any]


@dataclass(frozen=True)
class CountyPrint:
    """What goes on the page, in WGS-84."""

    county: Division
    outline: BaseGeometry | None
    boundary_source: str
    products: list[str]
    areas: list[Feature] = field(default_factory=list)
    bases: list[Feature] = field(default_factory=list)
    producers: list[Feature] = field(default_factory=list)
    printed_at: datetime | None = None

    @property
    def title(self) -> str:
        return f"{self.county.name}地理标志一张图"

    @property
    def place(self) -> str:
        names = []
        city = self.county.parent
        if city is not None:
            if city.parent is not None:
                names.append(city.parent.name)
            names.append(city.name)
        names.append(self.county.name)
        return " ".join(names)


def _features(collection: dict[str, Any]) -> list[Feature]:
    features = []
    for item in collection.get("features", []):
        if not item.get("geometry"):
            continue
        properties = item.get("properties") or {}
        features.append(
            Feature(str(properties.get("name", "")), shape(item["geometry"]), properties)
        )
    return features


def county_print(
    *,
    user: Any,
    county: Division,
    product: GIProduct | None = None,
    public: bool = False,
    printed_at: datetime,
) -> CountyPrint:
    """The county's layers as the user may see them (`public`: as anyone may)."""
    boundary = DivisionBoundary.objects.filter(division=county).first()
    layers = {
        layer: _features(
            layer_collection(user, layer, division=county, product=product, public=public)
        )
        for layer in PRINT_LAYERS
    }
    if product is not None:
        products = [product.name]
    else:
        viewer = None if public else user
        listed = products_for_map(user=viewer, public=public).filter(divisions=county)
        products = list(listed.order_by("name").values_list("name", flat=True).distinct())
    source = ""
    if boundary is not None:
        source = BoundarySource(boundary.source).label
        if boundary.source_note:
            source += f"，{boundary.source_note}"
    return CountyPrint(
        county=county,
        outline=shape(json.loads(boundary.geojson)) if boundary is not None else None,
        boundary_source=source,
        products=products,
        areas=layers["protected_areas"],
        bases=layers["bases"],
        producers=layers["producers"],
        printed_at=printed_at,
    )


# --- The page ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class View:
    """Projected metres to page millimetres."""

    transformer: Transformer
    center: tuple[float, float]
    scale: float  # mm per metre

    def project(self, geometry: BaseGeometry) -> BaseGeometry:
        def forward(coords: np.ndarray) -> np.ndarray:
            x, y = self.transformer.transform(coords[:, 0], coords[:, 1])
            return np.column_stack([x, y])

        return shapely.transform(geometry, forward)

    def page(self, x: float, y: float) -> tuple[float, float]:
        fx, fy, fw, fh = FRAME
        return (
            fx + fw / 2 + (x - self.center[0]) * self.scale,
            fy + fh / 2 - (y - self.center[1]) * self.scale,
        )

    def rings(self, geometry: BaseGeometry) -> list[list[Ring]]:
        """Each polygon of `geometry` as its rings on the page (exterior first)."""
        projected = self.project(geometry)
        polygons: list[Polygon]
        if isinstance(projected, Polygon):
            polygons = [projected]
        elif isinstance(projected, MultiPolygon):
            polygons = list(projected.geoms)
        else:
            polygons = [p for p in getattr(projected, "geoms", []) if isinstance(p, Polygon)]
        return [
            [
                [self.page(x, y) for x, y in ring.coords]
                for ring in (polygon.exterior, *polygon.interiors)
            ]
            for polygon in polygons
        ]

    def point(self, geometry: BaseGeometry) -> tuple[float, float]:
        spot = geometry if isinstance(geometry, Point) else geometry.representative_point()
        x, y = shapely.get_coordinates(self.project(spot))[0]
        return self.page(float(x), float(y))


def _view(extent: BaseGeometry) -> View:
    center = extent.centroid
    transformer = Transformer.from_proj(
        "EPSG:4326",
        f"+proj=tmerc +lat_0={center.y:.5f} +lon_0={center.x:.5f} +k=1 +x_0=0 +y_0=0 "
        "+ellps=WGS84 +units=m +no_defs",
        always_xy=True,
    )
    x, y = transformer.transform(*shapely.get_coordinates(extent).T)
    min_x, max_x, min_y, max_y = float(x.min()), float(x.max()), float(y.min()), float(y.max())
    width = max(max_x - min_x, 1000.0) * (1 + 2 * FIT_PADDING)
    height = max(max_y - min_y, 1000.0) * (1 + 2 * FIT_PADDING)
    scale = min(FRAME[2] / width, FRAME[3] / height)
    return View(transformer, ((min_x + max_x) / 2, (min_y + max_y) / 2), scale)


def _nice_length(metres: float) -> float:
    """The largest 1, 2 or 5 × 10ⁿ metres not above `metres`."""
    power = 10 ** math.floor(math.log10(metres))
    return max(step * power for step in (1, 2, 5) if step * power <= metres)


def _scale_bar(canvas: Canvas, view: View) -> None:
    fx, fy, _, fh = FRAME
    length = _nice_length(FRAME[2] * 0.22 / view.scale)
    bar = length * view.scale
    x, y = fx + 6, fy + fh - 7
    canvas.shape(
        [[(x - 2, y - 6.5), (x + bar + 14, y - 6.5), (x + bar + 14, y + 3.5), (x - 2, y + 3.5)]],
        fill=WHITE,
        opacity=0.85,
    )
    for i in range(4):
        left = x + bar * i / 4
        box = [(left, y), (left + bar / 4, y), (left + bar / 4, y + 1.6), (left, y + 1.6)]
        canvas.shape([box], fill=INK if i % 2 == 0 else WHITE, stroke=INK, width=0.2)
    kilometres = length >= 1000
    unit = "公里" if kilometres else "米"
    for fraction in (0, 0.5, 1):
        value = length * fraction / (1000 if kilometres else 1)
        label = f"{value:g}" + (f" {unit}" if fraction == 1 else "")
        canvas.text(
            x + bar * fraction, y - 1.2, label, size=7, align="center" if fraction < 1 else "left"
        )


def _north_arrow(canvas: Canvas) -> None:
    fx, fy, fw, _ = FRAME
    cx, top = fx + fw - 10, fy + 9
    canvas.shape(
        [[(cx, top), (cx - 3, top + 10), (cx, top + 7.8)]], fill=INK, stroke=INK, width=0.2
    )
    canvas.shape(
        [[(cx, top), (cx + 3, top + 10), (cx, top + 7.8)]], fill=WHITE, stroke=INK, width=0.2
    )
    canvas.text(cx, top - 1.2, "N", size=10, align="center")


def _fit(canvas: Canvas, text: str, size: float, width: float) -> str:
    if canvas.text_width(text, size) <= width:
        return text
    while text and canvas.text_width(text + "…", size) > width:
        text = text[:-1]
    return text + "…"


def _legend(canvas: Canvas, data: CountyPrint) -> None:
    x, y = LEGEND_X, FRAME[1] + 4
    canvas.text(x, y, "图例", size=11)
    y += 4
    rows: list[tuple[str, Any]] = [
        (
            "县界",
            lambda top: canvas.line(
                [(x, top + 2), (x + 9, top + 2)], stroke=COUNTY_EDGE, width=0.6
            ),
        ),
        ("地理标志产品保护范围", lambda top: _swatch(canvas, x, top, dashed=False)),
        ("保护范围（近似）", lambda top: _swatch(canvas, x, top, dashed=True)),
        ("生产基地", lambda top: canvas.circle(x + 4.5, top + 2, 1.3, fill=BASE)),
        ("基地在保护范围外", lambda top: canvas.circle(x + 4.5, top + 2, 1.3, fill=BASE_OUTSIDE)),
        ("生产经营主体", lambda top: _producer(canvas, x + 4.5, top + 2)),
    ]
    for label, symbol in rows:
        symbol(y)
        canvas.text(x + 12, y + 3.3, label, size=8.5)
        y += 6
    y += 4
    canvas.text(x, y, "地理标志产品", size=11)
    y += 5.5
    areas = {feature.name: feature for feature in data.areas}
    shown = data.products[:8]
    for name in shown:
        area = areas.get(name)
        basis = area.properties.get("basis", "") if area is not None else "无保护范围数据"
        canvas.text(x, y, _fit(canvas, name, 8.5, LEGEND_WIDTH), size=8.5)
        y += 4
        if basis:
            canvas.text(x + 2, y, _fit(canvas, basis, 7, LEGEND_WIDTH - 2), size=7, color=MUTED)
            y += 4.2
    if len(data.products) > len(shown):
        canvas.text(x, y, f"另有 {len(data.products) - len(shown)} 个产品", size=7, color=MUTED)
        y += 4.2
    if not data.products:
        canvas.text(x, y, "本县暂无地理标志产品", size=8.5, color=MUTED)
        y += 4.2
    y += 4
    canvas.text(x, y, "统计", size=11)
    y += 5.5
    outside = sum(1 for base in data.bases if base.properties.get("inside_protected_area") is False)
    area_mu = sum(float(base.properties.get("area_mu") or 0) for base in data.bases)
    facts = [
        f"生产基地 {len(data.bases)} 个，合计 {area_mu:,.0f} 亩",
        f"其中在保护范围外 {outside} 个",
        f"生产经营主体 {len(data.producers)} 个",
    ]
    for fact in facts:
        canvas.text(x, y, _fit(canvas, fact, 8.5, LEGEND_WIDTH), size=8.5)
        y += 4.6


def _producer(canvas: Canvas, x: float, y: float) -> None:
    # A ring: a producer is often placed at its base's point, whose dot shows inside it.
    canvas.circle(x, y, 2.0, fill=None, stroke=PRODUCER, width=0.45)


def _swatch(canvas: Canvas, x: float, top: float, *, dashed: bool) -> None:
    box = [(x, top), (x + 9, top), (x + 9, top + 4), (x, top + 4)]
    canvas.shape([box], fill=AREA, opacity=AREA_OPACITY, stroke=AREA, width=0.4, dashed=dashed)


def _map(canvas: Canvas, data: CountyPrint) -> View | None:
    fx, fy, fw, fh = FRAME
    everything = [f.shape for f in (*data.areas, *data.bases, *data.producers)]
    extent = data.outline or (shapely.union_all(everything) if everything else None)
    if extent is None or extent.is_empty:
        canvas.text(
            fx + fw / 2, fy + fh / 2, "该县暂无边界和图层数据", size=12, color=MUTED, align="center"
        )
        return None
    view = _view(extent)
    with canvas.clip(fx, fy, fw, fh):
        if data.outline is not None:
            for rings in view.rings(data.outline):
                canvas.shape(rings, fill=COUNTY_FILL)
        for area in data.areas:
            dashed = bool(area.properties.get("approximate"))
            for rings in view.rings(area.shape):
                canvas.shape(
                    rings, fill=AREA, opacity=AREA_OPACITY, stroke=AREA, width=0.45, dashed=dashed
                )
        if data.outline is not None:
            for rings in view.rings(data.outline):
                canvas.shape(rings, fill=None, stroke=COUNTY_EDGE, width=0.6)
        for base in data.bases:
            color = BASE_OUTSIDE if base.properties.get("inside_protected_area") is False else BASE
            polygons = view.rings(base.shape) if base.shape.geom_type != "Point" else []
            # A base of a few hundred 亩 is a millimetre or two across at county scale: its
            # polygon is drawn, and a dot over it so that it can be seen.
            for rings in polygons:
                canvas.shape(rings, fill=color, opacity=0.5, stroke=color, width=0.25)
            canvas.circle(*view.point(base.shape), 1.3, fill=color)
        for entry in data.producers:
            _producer(canvas, *view.point(entry.shape))
    return view


def _draw(canvas: Canvas, data: CountyPrint) -> None:
    canvas.text(PAGE_WIDTH / 2, 17, data.title, size=20, align="center")
    canvas.text(PAGE_WIDTH / 2, 23.5, data.place, size=9, color=MUTED, align="center")
    view = _map(canvas, data)
    fx, fy, fw, fh = FRAME
    canvas.shape(
        [[(fx, fy), (fx + fw, fy), (fx + fw, fy + fh), (fx, fy + fh)]],
        fill=None,
        stroke=INK,
        width=0.35,
    )
    if view is not None:
        _scale_bar(canvas, view)
        _north_arrow(canvas)
    _legend(canvas, data)
    footer_y = PAGE_HEIGHT - 7
    when = data.printed_at.strftime("%Y-%m-%d %H:%M") if data.printed_at else ""
    left = f"数据日期：{when}　坐标系：WGS-84　投影：横轴墨卡托"
    canvas.text(MARGIN, footer_y, left, size=7.5, color=MUTED)
    canvas.text(
        PAGE_WIDTH - MARGIN,
        footer_y,
        "地标 · 地理标志农产品保护平台",
        size=7.5,
        color=MUTED,
        align="right",
    )
    note = "示意图，不作为权属和界线依据"
    if data.boundary_source:
        note = f"县界来源：{data.boundary_source}；{note}"
    canvas.text(
        MARGIN, footer_y + 4, _fit(canvas, note, 7, PAGE_WIDTH - 2 * MARGIN), size=7, color=MUTED
    )


def render_png(data: CountyPrint) -> bytes:
    canvas = PngCanvas(width=PAGE_WIDTH, height=PAGE_HEIGHT, dpi=DPI)
    _draw(canvas, data)
    return canvas.output()


def render_pdf(data: CountyPrint) -> bytes:
    canvas = PdfCanvas(width=PAGE_WIDTH, height=PAGE_HEIGHT, title=data.title)
    _draw(canvas, data)
    return canvas.output()
