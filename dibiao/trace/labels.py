"""Label output: code lists (CSV) for industrial label printers and PDF label sheets, made from
a serial range on the fly (codes are never stored).

Both stream in bounded memory, whatever the number of codes:

- CSV is written in blocks of a few thousand lines.
- PDF: fpdf2 keeps every page of a document in memory until it writes the file, so a range is
  cut into parts (`Layout.part_labels`: 250 A4 pages, or 5,000 roll labels); each part is
  one complete PDF, made, written and dropped before the next. A range that fits in one part is
  written as that PDF; a longer one as a ZIP of its parts (`pdf_is_zip`), in serial order. The
  font is cut down once per range to the few glyphs a label uses (fontTools subsetting), so each
  part embeds a small font and loads it fast.

Each label carries the QR code of its scan URL (segno, error level M, fixed mask 4 so no mask
search runs per code; drawn as a 1-bit image, one module per pixel, without interpolation), the
GI product's name, the wording 农产品地理标志 with the product's certificate number, and the
code in groups of four.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO

import pylopdf_fonts_zh_cn
import segno
from django.conf import settings
from fontTools import subset  # type: ignore[import-untyped]
from fpdf import FPDF
from PIL import Image

from dibiao.trace import codes
from dibiao.trace.choices import LabelFormat
from dibiao.trace.models import CodeIssuance

CSV_HEADER = "code,grouped,url\n"
CSV_BLOCK = 5000  # lines per write
PROGRESS_EVERY = 1000  # labels between progress calls while drawing a PDF
GI_WORDING = "农产品地理标志"
FONT_FAMILY = "noto"
FONT_PATH = os.path.join(os.path.dirname(pylopdf_fonts_zh_cn.__file__), "NotoSansSC-Regular.otf")

Progress = Callable[[int], None]


def _grouped(code: str) -> str:
    # codes.group, unrolled: the CSV of a million codes calls it a million times.
    return f"{code[:4]}-{code[4:8]}-{code[8:12]}-{code[12:16]}-{code[16:]}"


def _origin(origin: str) -> str:
    return (origin or settings.DIBIAO_PUBLIC_URL).rstrip("/")


# --- CSV ---------------------------------------------------------------------------------------


def csv_lines(*, key_id: int, first: int, last: int, origin: str = "") -> Iterator[str]:
    """The header, then "code,grouped code,url" for each serial of the range."""
    base = _origin(origin)
    yield CSV_HEADER
    scan_url = codes.scan_url
    for _, code in codes.codes_for_range(key_id, first, last):
        yield f"{code},{_grouped(code)},{scan_url(code, origin=base)}\n"


def write_csv(
    target: IO[bytes],
    *,
    key_id: int,
    first: int,
    last: int,
    origin: str = "",
    progress: Progress | None = None,
) -> int:
    """Write the CSV of the range to `target` (UTF-8, LF line ends); returns the codes
    written. `progress(done)` is called after each block."""
    lines = csv_lines(key_id=key_id, first=first, last=last, origin=origin)
    target.write(next(lines).encode())
    done = 0
    block: list[str] = []
    for line in lines:
        block.append(line)
        if len(block) == CSV_BLOCK:
            target.write("".join(block).encode())
            done += len(block)
            block.clear()
            if progress is not None:
                progress(done)
    if block:
        target.write("".join(block).encode())
        done += len(block)
        if progress is not None:
            progress(done)
    return done


# --- PDF layouts -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """A page of `columns` × `rows` labels of `label_w` × `label_h` mm. On each label the QR
    code sits top left with a quiet zone of `quiet` mm (4 modules or more), the texts to its
    right, the grouped code along the bottom."""

    page_w: float
    page_h: float
    columns: int
    rows: int
    label_w: float
    label_h: float
    quiet: float
    qr_size: float
    name_pt: float
    text_pt: float
    code_pt: float
    part_labels: int  # labels per PDF part (see the module docstring)

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    @property
    def margin_x(self) -> float:
        return (self.page_w - self.columns * self.label_w) / 2

    @property
    def margin_y(self) -> float:
        return (self.page_h - self.rows * self.label_h) / 2


LAYOUTS: dict[str, Layout] = {
    # A4 sheets of 4 × 10 labels of 48 × 26 mm (common pre-cut label stock), centred.
    LabelFormat.PDF_A4: Layout(
        page_w=210,
        page_h=297,
        columns=4,
        rows=10,
        label_w=48,
        label_h=26,
        quiet=2.0,
        qr_size=18.0,
        name_pt=9,
        text_pt=6.5,
        code_pt=7.5,
        part_labels=10_000,  # 250 pages
    ),
    # Roll labels of 50 × 30 mm, one label a page (thermal label printers).
    LabelFormat.PDF_ROLL_50X30: Layout(
        page_w=50,
        page_h=30,
        columns=1,
        rows=1,
        label_w=50,
        label_h=30,
        quiet=2.5,
        qr_size=20.5,
        name_pt=10,
        text_pt=7,
        code_pt=8,
        part_labels=5_000,  # a page object per label weighs more than a label on a sheet
    ),
}


def pdf_is_zip(layout: str, count: int) -> bool:
    """A range longer than one part of the layout is written as a ZIP of PDFs."""
    return count > LAYOUTS[layout].part_labels


def qr_image(url: str) -> Image.Image:
    """The QR code of `url` as a 1-bit image, one pixel a module, without quiet zone."""
    qr = segno.make(url, error="m", micro=False, mask=4)
    matrix = qr.matrix
    size = len(matrix)
    # Dark modules are 1 in the matrix; in an "L" image dark is 0.
    data = b"".join(bytes(row) for row in matrix).translate(_DARK_TO_BLACK)
    return Image.frombytes("L", (size, size), data).convert("1")


_DARK_TO_BLACK = bytes([255, 0]) + bytes(254)


@dataclass(frozen=True)
class _Texts:
    name: str
    name_pt: float
    wording_pt: float
    certificate: str
    certificate_pt: float
    code_pt: float


def _fitted(pdf: FPDF, text: str, width: float, size: float, smallest: float) -> float:
    """The largest size from `size` down to `smallest` at which `text` fits `width` mm."""
    while size > smallest:
        pdf.set_font_size(size)
        if pdf.get_string_width(text) <= width:
            return size
        size -= 0.5
    return smallest


def _clipped(pdf: FPDF, text: str, width: float) -> str:
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "…") > width:
        text = text[:-1]
    return text + "…"


def _font_subset(characters: str, directory: str) -> str:
    """A copy of the Noto Sans SC font holding only `characters`, in `directory`: a few
    kilobytes to load and embed per part instead of eight megabytes."""
    options = subset.Options()
    options.name_IDs = ["*"]
    options.notdef_outline = True
    font = subset.load_font(FONT_PATH, options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=characters)
    subsetter.subset(font)
    path = os.path.join(directory, "labels.otf")
    font.save(path)
    font.close()
    return path


class _Sheet:
    """One PDF part: pages of labels, drawn one label at a time."""

    def __init__(self, layout: Layout, font_path: str, title: str) -> None:
        self.layout = layout
        pdf = FPDF(unit="mm", format=(layout.page_w, layout.page_h))
        pdf.set_auto_page_break(False)
        pdf.set_margin(0)
        pdf.add_font(FONT_FAMILY, fname=font_path)
        pdf.set_font(FONT_FAMILY, size=layout.text_pt)
        pdf.set_title(title)
        pdf.set_creator("地标 Dibiao")
        self.pdf = pdf
        self.slot = 0

    def texts(self, product_name: str, certificate_number: str) -> _Texts:
        pdf, layout = self.pdf, self.layout
        width = layout.label_w - 2 * layout.quiet - layout.qr_size - 1.0
        name_pt = _fitted(pdf, product_name, width, layout.name_pt, 6)
        pdf.set_font_size(name_pt)
        name = _clipped(pdf, product_name, width)
        wording_pt = _fitted(pdf, GI_WORDING, width, layout.text_pt, 5)
        certificate = f"证书编号 {certificate_number}" if certificate_number else ""
        certificate_pt = _fitted(pdf, certificate, width, layout.text_pt, 4.5)
        widest = max(codes.CHECK_SYMBOLS, key=lambda ch: pdf.get_string_width(ch))
        sample = _grouped(widest * codes.CODE_CHARS)
        code_pt = _fitted(pdf, sample, layout.label_w - 2 * layout.quiet, layout.code_pt, 5)
        return _Texts(name, name_pt, wording_pt, certificate, certificate_pt, code_pt)

    def label(self, texts: _Texts, code: str, url: str) -> None:
        pdf, layout = self.pdf, self.layout
        if self.slot % layout.per_page == 0:
            pdf.add_page()
        index = self.slot % layout.per_page
        self.slot += 1
        column, row = index % layout.columns, index // layout.columns
        x = layout.margin_x + column * layout.label_w
        y = layout.margin_y + row * layout.label_h
        q = layout.quiet
        pdf.image(qr_image(url), x=x + q, y=y + q, w=layout.qr_size, h=layout.qr_size)
        tx = x + q + layout.qr_size + q
        pdf.set_font_size(texts.name_pt)
        pdf.text(tx, y + q + 3.2, texts.name)
        pdf.set_font_size(texts.wording_pt)
        pdf.text(tx, y + q + 8.5, GI_WORDING)
        if texts.certificate:
            pdf.set_font_size(texts.certificate_pt)
            pdf.text(tx, y + q + 12.5, texts.certificate)
        pdf.set_font_size(texts.code_pt)
        pdf.text(x + q, y + layout.label_h - 1.2, _grouped(code))

    def output(self) -> bytes:
        return bytes(self.pdf.output())


def _characters(issuance: CodeIssuance) -> str:
    product = issuance.product
    fixed = GI_WORDING + "证书编号 …-" + codes.CHECK_SYMBOLS
    return "".join(sorted(set(fixed + product.name + product.certificate_number)))


def _part(
    issuance: CodeIssuance,
    first: int,
    last: int,
    layout: Layout,
    font_path: str,
    origin: str,
    progress: Progress | None,
    done_before: int,
) -> bytes:
    sheet = _Sheet(layout, font_path, f"标签 {issuance.number} {first}–{last}")
    texts = sheet.texts(issuance.product.name, issuance.product.certificate_number)
    scan_url = codes.scan_url
    for i, (_, code) in enumerate(codes.codes_for_range(issuance.key_id, first, last), 1):
        sheet.label(texts, code, scan_url(code, origin=origin))
        if progress is not None and i % PROGRESS_EVERY == 0:
            progress(done_before + i)
    return sheet.output()


def write_pdf(
    target: IO[bytes],
    *,
    issuance: CodeIssuance,
    first: int,
    last: int,
    layout: str,
    progress: Progress | None = None,
    origin: str = "",
) -> int:
    """Write the labels of [first, last] of the issuance in `layout` (a LabelFormat of a PDF):
    one PDF, or a ZIP of PDFs of `Layout.part_labels` labels each (`pdf_is_zip`). Returns the
    labels written; `progress(done)` is called every `PROGRESS_EVERY` labels."""
    page = LAYOUTS[layout]
    base = _origin(origin)
    count = last - first + 1
    with tempfile.TemporaryDirectory(prefix="dibiao-labels-") as directory:
        font_path = _font_subset(_characters(issuance), directory)
        if pdf_is_zip(layout, count):
            _write_zip(target, issuance, first, last, page, font_path, base, progress)
        else:
            target.write(_part(issuance, first, last, page, font_path, base, progress, 0))
    if progress is not None:
        progress(count)
    return count


def _write_zip(
    target: IO[bytes],
    issuance: CodeIssuance,
    first: int,
    last: int,
    page: Layout,
    font_path: str,
    base: str,
    progress: Progress | None,
) -> None:
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as archive:
        for part_first in range(first, last + 1, page.part_labels):
            part_last = min(part_first + page.part_labels - 1, last)
            done = part_first - first
            content = _part(issuance, part_first, part_last, page, font_path, base, progress, done)
            archive.writestr(f"{issuance.number}-{part_first}-{part_last}.pdf", content)
            del content
            if progress is not None:
                progress(part_last - first + 1)
