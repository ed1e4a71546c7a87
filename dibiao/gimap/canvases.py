"""Two canvases with the same few operations, in millimetres from the page's top left corner,
on which the printable map (printing.py) is drawn: `PdfCanvas` (fpdf2, vector, with the Noto
Sans SC font the certificates embed, as a subset) and `PngCanvas` (Pillow, drawn at twice the
size and reduced, which smooths the edges Pillow does not antialias).

Shapes are lists of rings filled by the even-odd rule (a polygon's holes stay empty), with an
opacity for the fill and an optional dashed edge.
"""

from __future__ import annotations

import io
import itertools
import math
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol

from fpdf import FPDF
from fpdf.drawing import PaintedPath
from fpdf.enums import IntersectionRule, PathPaintRule
from PIL import Image, ImageDraw, ImageFont

from dibiao.trace.certificate_pdf import FONT_PATH

Color = tuple[int, int, int]
Ring = list[tuple[float, float]]

INK: Color = (31, 35, 40)
WHITE: Color = (255, 255, 255)
DASH = (1.6, 1.0)  # mm drawn, mm left out
SUPERSAMPLE = 2
MM_PER_INCH = 25.4
POINTS_PER_INCH = 72


class Canvas(Protocol):
    def shape(
        self,
        rings: Sequence[Ring],
        *,
        fill: Color | None,
        opacity: float = 1.0,
        stroke: Color | None = None,
        width: float = 0.3,
        dashed: bool = False,
    ) -> None: ...

    def line(self, points: Ring, *, stroke: Color, width: float) -> None: ...

    def circle(
        self,
        x: float,
        y: float,
        r: float,
        *,
        fill: Color | None,
        stroke: Color = WHITE,
        width: float | None = None,
    ) -> None:
        """A dot (`fill`) with an edge `width` wide, by default a third of the radius; or, with
        no fill, a ring."""

    def text(
        self, x: float, y: float, text: str, *, size: float, color: Color = INK, align: str = "left"
    ) -> None: ...

    def text_width(self, text: str, size: float) -> float: ...

    def clip(self, x: float, y: float, w: float, h: float) -> AbstractContextManager[None]: ...


class PdfCanvas:
    FONT = "noto-sans-sc"

    def __init__(self, *, width: float, height: float, title: str) -> None:
        pdf = FPDF(
            orientation="L" if width > height else "P",
            unit="mm",
            format=(min(width, height), max(width, height)),
        )
        pdf.set_auto_page_break(False)
        pdf.add_font(self.FONT, "", FONT_PATH)  # a subset of the glyphs used is embedded
        pdf.set_title(title)
        pdf.set_creator("地标 · 地理标志农产品保护平台")
        pdf.add_page()
        self.pdf = pdf

    @contextmanager
    def _path(
        self, *, fill: Color | None, stroke: Color | None, width: float
    ) -> Iterator[PaintedPath]:
        with self.pdf.new_path() as path:
            style = path.style
            style.fill_color = _hex(fill) if fill else None
            style.stroke_color = _hex(stroke) if stroke else None
            style.stroke_width = width
            style.intersection_rule = IntersectionRule.EVENODD
            if fill and stroke:
                style.paint_rule = PathPaintRule.STROKE_FILL_EVENODD
            elif fill:
                style.paint_rule = PathPaintRule.FILL_EVENODD
            else:
                style.paint_rule = PathPaintRule.STROKE
            yield path

    def shape(
        self,
        rings: Sequence[Ring],
        *,
        fill: Color | None,
        opacity: float = 1.0,
        stroke: Color | None = None,
        width: float = 0.3,
        dashed: bool = False,
    ) -> None:
        with self._path(fill=fill, stroke=stroke, width=width) as path:
            if fill and opacity < 1:
                path.style.fill_opacity = opacity
            if dashed:
                path.style.stroke_dash_pattern = list(DASH)
            for ring in rings:
                path.move_to(*ring[0])
                for x, y in ring[1:]:
                    path.line_to(x, y)
                path.close()

    def line(self, points: Ring, *, stroke: Color, width: float) -> None:
        with self._path(fill=None, stroke=stroke, width=width) as path:
            path.style.stroke_join_style = "round"
            path.move_to(*points[0])
            for x, y in points[1:]:
                path.line_to(x, y)

    def circle(
        self,
        x: float,
        y: float,
        r: float,
        *,
        fill: Color | None,
        stroke: Color = WHITE,
        width: float | None = None,
    ) -> None:
        with self._path(
            fill=fill, stroke=stroke, width=r * 0.35 if width is None else width
        ) as path:
            path.circle(x, y, r)

    def text(
        self, x: float, y: float, text: str, *, size: float, color: Color = INK, align: str = "left"
    ) -> None:
        self.pdf.set_font(self.FONT, size=size)
        self.pdf.set_text_color(*color)
        width = self.pdf.get_string_width(text)
        offset = {"left": 0.0, "center": width / 2, "right": width}[align]
        self.pdf.text(x - offset, y, text)

    def text_width(self, text: str, size: float) -> float:
        self.pdf.set_font(self.FONT, size=size)
        return float(self.pdf.get_string_width(text))

    def clip(self, x: float, y: float, w: float, h: float) -> AbstractContextManager[None]:
        return self.pdf.rect_clip(x, y, w, h)

    def output(self) -> bytes:
        return bytes(self.pdf.output())


class PngCanvas:
    def __init__(self, *, width: float, height: float, dpi: int) -> None:
        self.dpi = dpi
        self.size = (round(width / MM_PER_INCH * dpi), round(height / MM_PER_INCH * dpi))
        self.scale = dpi * SUPERSAMPLE / MM_PER_INCH  # pixels per mm, as drawn
        self.image = Image.new(
            "RGB", (self.size[0] * SUPERSAMPLE, self.size[1] * SUPERSAMPLE), WHITE
        )
        self.draw = ImageDraw.Draw(self.image)
        self.fonts: dict[float, ImageFont.FreeTypeFont] = {}

    def _px(self, ring: Ring) -> list[tuple[float, float]]:
        return [(x * self.scale, y * self.scale) for x, y in ring]

    def _font(self, size: float) -> ImageFont.FreeTypeFont:
        if size not in self.fonts:
            self.fonts[size] = ImageFont.truetype(
                FONT_PATH, round(size / POINTS_PER_INCH * MM_PER_INCH * self.scale)
            )
        return self.fonts[size]

    def shape(
        self,
        rings: Sequence[Ring],
        *,
        fill: Color | None,
        opacity: float = 1.0,
        stroke: Color | None = None,
        width: float = 0.3,
        dashed: bool = False,
    ) -> None:
        pixels = [self._px(ring) for ring in rings]
        if fill and pixels:
            # The fill goes through a mask of the polygon's box: the holes cleared, the opacity
            # its grey level (ImageDraw itself has neither holes nor transparency).
            xs = [x for ring in pixels for x, _ in ring]
            ys = [y for ring in pixels for _, y in ring]
            left, top = max(0, math.floor(min(xs))), max(0, math.floor(min(ys)))
            right = min(self.image.width, math.ceil(max(xs)) + 1)
            bottom = min(self.image.height, math.ceil(max(ys)) + 1)
            if right > left and bottom > top:
                mask = Image.new("L", (right - left, bottom - top), 0)
                mask_draw = ImageDraw.Draw(mask)
                for index, ring in enumerate(pixels):
                    shifted = [(x - left, y - top) for x, y in ring]
                    mask_draw.polygon(shifted, fill=round(255 * opacity) if index == 0 else 0)
                self.image.paste(fill, (left, top, right, bottom), mask)
        if stroke:
            for ring in pixels:
                closed = [*ring, ring[0]]
                for part in _dashes(closed, self.scale) if dashed else [closed]:
                    self.draw.line(part, fill=stroke, width=self._width(width), joint="curve")

    def _width(self, width: float) -> int:
        return max(1, round(width * self.scale))

    def line(self, points: Ring, *, stroke: Color, width: float) -> None:
        self.draw.line(self._px(points), fill=stroke, width=self._width(width), joint="curve")

    def circle(
        self,
        x: float,
        y: float,
        r: float,
        *,
        fill: Color | None,
        stroke: Color = WHITE,
        width: float | None = None,
    ) -> None:
        # Pillow draws the edge inside the box, a PDF on the circle: half of it outside.
        edge = r * 0.35 if width is None else width
        s, outer = self.scale, r + edge / 2
        box = (x * s - outer * s, y * s - outer * s, x * s + outer * s, y * s + outer * s)
        self.draw.ellipse(box, fill=fill, outline=stroke, width=self._width(edge))

    def text(
        self, x: float, y: float, text: str, *, size: float, color: Color = INK, align: str = "left"
    ) -> None:
        anchor = {"left": "ls", "center": "ms", "right": "rs"}[align]
        position = (x * self.scale, y * self.scale)
        self.draw.text(position, text, font=self._font(size), fill=color, anchor=anchor)

    def text_width(self, text: str, size: float) -> float:
        return float(self._font(size).getlength(text)) / self.scale

    @contextmanager
    def clip(self, x: float, y: float, w: float, h: float) -> Iterator[None]:
        # Drawn on a copy, of which only the frame is put back.
        base, self.image = self.image, self.image.copy()
        self.draw = ImageDraw.Draw(self.image)
        try:
            yield
        finally:
            s = self.scale
            box = (round(x * s), round(y * s), round((x + w) * s), round((y + h) * s))
            base.paste(self.image.crop(box), box[:2])
            self.image = base
            self.draw = ImageDraw.Draw(self.image)

    def output(self) -> bytes:
        buffer = io.BytesIO()
        self.image.resize(self.size, Image.Resampling.LANCZOS).save(
            buffer, "PNG", dpi=(self.dpi, self.dpi)
        )
        return buffer.getvalue()


def _hex(color: Color) -> str:
    return "#{:02x}{:02x}{:02x}".format(*color)


def _dashes(points: list[tuple[float, float]], scale: float) -> list[list[tuple[float, float]]]:
    """A polyline cut into the dashes of DASH (Pillow draws solid lines only)."""
    on, off = DASH[0] * scale, DASH[1] * scale
    parts: list[list[tuple[float, float]]] = []
    current: list[tuple[float, float]] = [points[0]]
    drawing, left = True, on
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        length = math.hypot(x1 - x0, y1 - y0)
        done = 0.0
        while length - done > left:
            done += left
            t = done / length
            at = (x0 + (x1 - x0) * t, y0 + (y1 - y0) * t)
            if drawing:
                current.append(at)
                parts.append(current)
            else:
                current = [at]
            drawing = not drawing
            left = off if not drawing else on
        left -= length - done
        if drawing:
            current.append((x1, y1))
    if drawing and len(current) > 1:
        parts.append(current)
    return parts
