"""The 承诺达标合格证 as a PDF label: 100 × 70 mm, one certificate per page, with the
commitment, the basis as drawn check boxes (the Noto fonts have no ☑), the mandatory content
and a QR code to the certificate's public page.

The Chinese font (Noto Sans SC, OFL, from the `pylopdf-fonts-zh-cn` package) is embedded as a
subset, so the label prints the same on any printer and in any viewer. The QR code is drawn
as vector squares: it stays sharp on a thermal label printer at any resolution.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import IO

import pylopdf_fonts_zh_cn
import segno
from django.utils import timezone
from fpdf import FPDF

from dibiao.trace.choices import CertificateBasis, CertificateStatus
from dibiao.trace.models import ComplianceCertificate
from dibiao.trace.services.certificates import (
    CERTIFICATE_TITLE,
    COMMITMENT_HEADING,
    COMMITMENT_ITEMS,
    certificate_public_url,
)

FONT_PATH = os.path.join(os.path.dirname(pylopdf_fonts_zh_cn.__file__), "NotoSansSC-Regular.otf")
FONT = "noto-sans-sc"
PAGE_WIDTH, PAGE_HEIGHT = 100.0, 70.0  # mm, landscape label
MARGIN = 4.0
QR_SIZE = 23.0
BOX = 2.4  # a check box's side, mm
BOX_GAP = 1.0  # mm between a box and its text
TEXT_PT = 7.0
LINE = 3.9  # mm between the commitment lines
FIELD_LINE = 4.3  # mm between the content lines
INK = (0, 0, 0)
VOID_RED = (200, 30, 30)


def quantity_text(certificate: ComplianceCertificate) -> str:
    value = certificate.quantity.normalize()
    return f"{value:f} {certificate.unit}"


def _new_document() -> FPDF:
    pdf = FPDF(orientation="L", unit="mm", format=(PAGE_HEIGHT, PAGE_WIDTH))
    pdf.set_auto_page_break(False)
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.c_margin = 0  # cells place text where we say: labels and values line up by hand
    pdf.add_font(FONT, "", FONT_PATH)  # fpdf2 embeds only the glyphs used (a subset)
    pdf.set_title(CERTIFICATE_TITLE)
    pdf.set_creator("地标 · 地理标志农产品保护平台")
    return pdf


def _check_box(pdf: FPDF, x: float, y: float, *, checked: bool) -> None:
    pdf.set_line_width(0.2)
    pdf.rect(x, y, BOX, BOX)
    if checked:
        pdf.set_line_width(0.35)
        pdf.polyline(
            [
                (x + BOX * 0.18, y + BOX * 0.52),
                (x + BOX * 0.42, y + BOX * 0.78),
                (x + BOX * 0.84, y + BOX * 0.2),
            ]
        )
        pdf.set_line_width(0.2)


def _boxed_text(pdf: FPDF, x: float, y: float, text: str, *, checked: bool) -> float:
    """A check box and its text on the line at `y`; returns the x after the text."""
    _check_box(pdf, x, y + (LINE - BOX) / 2 - 0.2, checked=checked)
    pdf.set_xy(x + BOX + BOX_GAP, y)
    pdf.cell(h=LINE, text=text)
    return x + BOX + BOX_GAP + pdf.get_string_width(text)


def _fit(pdf: FPDF, text: str, width: float) -> str:
    """The text shortened with an ellipsis to fit `width` on one line."""
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "…") > width:
        text = text[:-1]
    return text + "…"


def _lines(pdf: FPDF, text: str, width: float, count: int) -> list[str]:
    """At most `count` lines of `text` wrapped at `width` (CJK text breaks anywhere)."""
    lines: list[str] = []
    rest = text
    while rest and len(lines) < count:
        cut = len(rest)
        while cut > 1 and pdf.get_string_width(rest[:cut]) > width:
            cut -= 1
        lines.append(rest[:cut])
        rest = rest[cut:]
    if rest:
        lines[-1] = _fit(pdf, lines[-1] + rest, width)
    return lines


def _qr(pdf: FPDF, url: str, x: float, y: float, size: float) -> None:
    qr = segno.make(url, error="m", micro=False)
    matrix = [list(row) for row in qr.matrix]
    border = 1  # the label's white margin completes the quiet zone
    module = size / (len(matrix) + 2 * border)
    pdf.set_fill_color(*INK)
    for r, row in enumerate(matrix):
        c = 0
        while c < len(row):
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1
            # One rectangle per run of dark modules, slightly overlapping so that no hairline
            # gap shows between rows in a rasterised print.
            pdf.rect(
                x + (start + border) * module,
                y + (r + border) * module,
                (c - start) * module + 0.01,
                module + 0.01,
                style="F",
            )


def _field(pdf: FPDF, y: float, label: str, value: str, width: float) -> None:
    pdf.set_xy(MARGIN + 1, y)
    pdf.cell(h=FIELD_LINE, text=label)
    pdf.cell(h=FIELD_LINE, text=_fit(pdf, value, width - pdf.get_string_width(label)))


def _void_stamp(pdf: FPDF) -> None:
    pdf.set_text_color(*VOID_RED)
    pdf.set_draw_color(*VOID_RED)
    pdf.set_font(FONT, size=26)
    with pdf.rotation(18, x=PAGE_WIDTH / 2, y=PAGE_HEIGHT / 2):
        text = "已作废"
        w = pdf.get_string_width(text)
        pdf.set_line_width(0.8)
        pdf.rect(PAGE_WIDTH / 2 - w / 2 - 3, PAGE_HEIGHT / 2 - 7, w + 6, 14)
        pdf.set_xy(PAGE_WIDTH / 2 - w / 2, PAGE_HEIGHT / 2 - 6)
        pdf.cell(h=12, text=text)
    pdf.set_text_color(*INK)
    pdf.set_draw_color(*INK)
    pdf.set_line_width(0.2)


def _page(pdf: FPDF, certificate: ComplianceCertificate, *, origin: str) -> None:
    pdf.add_page()
    pdf.set_draw_color(*INK)
    pdf.set_text_color(*INK)
    pdf.set_line_width(0.5)
    pdf.rect(1.5, 1.5, PAGE_WIDTH - 3, PAGE_HEIGHT - 3)
    pdf.set_line_width(0.2)

    pdf.set_font(FONT, size=15)
    pdf.set_xy(MARGIN, 3.2)
    pdf.cell(w=PAGE_WIDTH - 2 * MARGIN, h=7, text=CERTIFICATE_TITLE, align="C")
    pdf.set_font(FONT, size=5.5)
    pdf.set_xy(MARGIN, 10.2)
    pdf.cell(w=PAGE_WIDTH - 2 * MARGIN, h=3, text=f"编号：{certificate.number}", align="C")
    pdf.line(MARGIN, 13.8, PAGE_WIDTH - MARGIN, 13.8)

    pdf.set_font(FONT, size=TEXT_PT)
    y = 14.5
    pdf.set_xy(MARGIN + 1, y)
    pdf.cell(h=LINE, text=COMMITMENT_HEADING)
    for item in COMMITMENT_ITEMS:
        y += LINE
        _boxed_text(pdf, MARGIN + 3, y, item, checked=True)
    y += LINE + 0.6
    pdf.set_xy(MARGIN + 1, y)
    pdf.cell(h=LINE, text="承诺依据：")
    x = MARGIN + 1 + pdf.get_string_width("承诺依据：") + 0.6
    for value, label in CertificateBasis.choices:
        x = _boxed_text(pdf, x, y, str(label), checked=certificate.basis == value) + 2.2
    y += LINE + 0.4
    pdf.line(MARGIN, y + 0.3, PAGE_WIDTH - MARGIN, y + 0.3)

    text_width = PAGE_WIDTH - 2 * MARGIN - QR_SIZE - 3
    y += 1.0
    _field(pdf, y, "产品名称：", certificate.product_name, text_width)
    y += FIELD_LINE
    _field(pdf, y, "产品数量：", quantity_text(certificate), text_width)
    y += FIELD_LINE
    label = "产　　地："
    origin_lines = _lines(pdf, certificate.origin, text_width - pdf.get_string_width(label), 2)
    for n, line in enumerate(origin_lines):
        _field(pdf, y, label if n == 0 else "　" * 5, line, text_width)
        y += FIELD_LINE
    _field(pdf, y, "承诺主体：", certificate.producer.name, text_width)
    y += FIELD_LINE
    _field(pdf, y, "联系方式：", certificate.contact, text_width)
    y += FIELD_LINE
    issued = timezone.localtime(certificate.issued_at)
    _field(pdf, y, "开具时间：", f"{issued:%Y-%m-%d %H:%M}", text_width)

    qr_x = PAGE_WIDTH - MARGIN - QR_SIZE
    qr_y = PAGE_HEIGHT - MARGIN - QR_SIZE - 3.2
    _qr(pdf, certificate_public_url(certificate.number, origin=origin), qr_x, qr_y, QR_SIZE)
    pdf.set_font(FONT, size=5.5)
    pdf.set_xy(qr_x, qr_y + QR_SIZE)
    pdf.cell(w=QR_SIZE, h=3, text="扫码查验合格证", align="C")
    if certificate.status == CertificateStatus.VOIDED:
        _void_stamp(pdf)


def write_certificate_pdf(
    target: IO[bytes], certificates: Iterable[ComplianceCertificate], *, origin: str = ""
) -> int:
    """Write the certificates, one per page, to `target`; returns the page count. `origin`:
    the public origin of the QR URLs (empty: DIBIAO_PUBLIC_URL)."""
    pdf = _new_document()
    for certificate in certificates:
        _page(pdf, certificate, origin=origin)
    if pdf.page == 0:
        raise ValueError("no certificate to print")
    target.write(bytes(pdf.output()))
    return pdf.page


def certificate_pdf_filename(certificate: ComplianceCertificate) -> str:
    return f"承诺达标合格证-{certificate.number}.pdf"
