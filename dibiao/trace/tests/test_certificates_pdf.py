"""The 承诺达标合格证 PDF: label size, embedded Chinese font (subset), real glyphs (not boxes),
drawn check boxes, and a QR code that a reader decodes to the certificate's public page."""

from __future__ import annotations

import io
from itertools import combinations
from typing import Any

import pypdfium2 as pdfium  # type: ignore[import-untyped]
import pytest
import zxingcpp
from PIL import Image, ImageChops

from dibiao.core.models import Division
from dibiao.trace.certificate_pdf import (
    BOX,
    BOX_GAP,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    write_certificate_pdf,
)
from dibiao.trace.models import ComplianceCertificate
from dibiao.trace.services import certificates
from dibiao.trace.tests.batches_fixtures import farm
from dibiao.trace.tests.certificates_fixtures import batch_with_report, issue

pytestmark = pytest.mark.django_db

ORIGIN = "https://dibiao.example.cn"
SCALE = 8  # 72 dpi × 8: about 576 dpi, a label printer's resolution and more
MM = 72 / 25.4


def _certificate(tree: dict[str, Division], **kwargs: Any) -> ComplianceCertificate:
    f = farm(tree["c1a"], name="清徐县东于葡萄专业合作社")
    batch, passing = batch_with_report(f, quantity="800")
    return issue(batch, basis="commissioned_test", test_report=passing, quantity="120", **kwargs)


def _pdf(*rows: ComplianceCertificate) -> bytes:
    buffer = io.BytesIO()
    write_certificate_pdf(buffer, rows, origin=ORIGIN)
    return buffer.getvalue()


def _render(data: bytes, index: int = 0) -> tuple[Any, Image.Image]:
    page = pdfium.PdfDocument(data)[index]
    return page, page.render(scale=SCALE).to_pil().convert("L")


def test_page_is_a_100_by_70_mm_label(tree: dict[str, Division]) -> None:
    page, _ = _render(_pdf(_certificate(tree)))
    width, height = page.get_size()
    assert (round(width / MM), round(height / MM)) == (PAGE_WIDTH, PAGE_HEIGHT)


def test_qr_code_decodes_to_the_certificate_page(tree: dict[str, Division]) -> None:
    certificate = _certificate(tree)
    _, image = _render(_pdf(certificate))
    found = [r.text for r in zxingcpp.read_barcodes(image)]
    assert found == [f"{ORIGIN}/c/{certificate.number}/"]
    assert found[0] == certificates.certificate_public_url(certificate.number, origin=ORIGIN)


def test_mandatory_content_is_there_as_chinese_text(tree: dict[str, Division]) -> None:
    certificate = _certificate(tree)
    page, _ = _render(_pdf(certificate))
    text = page.get_textpage().get_text_range()
    for expected in (
        "承诺达标合格证",
        certificates.COMMITMENT_HEADING,
        *certificates.COMMITMENT_ITEMS,
        "承诺依据",
        "质量安全控制符合要求",
        "自行检测合格",
        "委托检测合格",
        f"产品名称：{certificate.product_name}",
        "产品数量：120 千克",
        "清徐县东于葡萄专业合作社",
        f"联系方式：{certificate.contact}",
        "开具时间：",
        certificate.number,
    ):
        assert expected in text, expected


def test_font_is_embedded_as_a_subset(tree: dict[str, Division]) -> None:
    data = _pdf(_certificate(tree))
    assert b"/FontFile3" in data or b"/FontFile2" in data  # the font program is in the file
    # A subset font is named with a six-letter tag: ABCDEF+NotoSansSC.
    assert b"+NotoSansSC" in data
    assert len(data) < 60_000  # a subset, not the 8 MB font


def test_chinese_glyphs_are_drawn_not_boxes(tree: dict[str, Division]) -> None:
    """Each character of the title is cut out of the rendered page by its own box: all carry
    ink and no two look alike. Missing glyphs (tofu) would all be the same empty rectangle."""
    page, image = _render(_pdf(_certificate(tree)))
    textpage = page.get_textpage()
    text = textpage.get_text_range()
    start = text.index("承诺达标合格证")
    height = page.get_size()[1]
    crops = []
    for i in range(start, start + 7):
        left, bottom, right, top = textpage.get_charbox(i)
        box = (
            int(left * SCALE),
            int((height - top) * SCALE),
            int(right * SCALE) + 1,
            int((height - bottom) * SCALE) + 1,
        )
        crop = image.crop(box).resize((48, 48))
        assert min(crop.tobytes()) < 100, text[i]  # dark strokes
        crops.append(crop)
    for a, b in combinations(crops, 2):
        assert ImageChops.difference(a, b).getbbox() is not None


def test_chosen_basis_box_is_ticked(tree: dict[str, Division]) -> None:
    """The box before 委托检测合格 has a tick drawn in it; the one before 自行检测合格 is empty."""
    page, image = _render(_pdf(_certificate(tree)))
    textpage = page.get_textpage()
    text = textpage.get_text_range()
    height = page.get_size()[1]

    def ink_before(label: str) -> int:
        left, bottom, _, top = textpage.get_charbox(text.index(label))
        middle = (top + bottom) / 2
        # The box ends BOX_GAP left of the label: look inside it, clear of its border.
        box = (
            int((left - (BOX_GAP + BOX - 0.4) * MM) * SCALE),
            int((height - middle - 0.7 * MM) * SCALE),
            int((left - (BOX_GAP + 0.4) * MM) * SCALE),
            int((height - middle + 0.7 * MM) * SCALE),
        )
        crop = image.crop(box)
        return sum(1 for v in crop.tobytes() if v < 128)

    assert ink_before("委托检测合格") > 4 * max(ink_before("自行检测合格"), 1)


def test_one_certificate_per_page_and_voided_ones_are_stamped(tree: dict[str, Division]) -> None:
    first = _certificate(tree)
    second = issue(first.batch, quantity="10")
    certificates.certificate_void(actor=None, certificate=second, reason="开错")
    second.refresh_from_db()
    data = _pdf(first, second)
    document = pdfium.PdfDocument(data)
    assert len(document) == 2
    assert "已作废" not in document[0].get_textpage().get_text_range()
    assert "已作废" in document[1].get_textpage().get_text_range()


def test_nothing_to_print_is_an_error() -> None:
    with pytest.raises(ValueError, match="no certificate"):
        write_certificate_pdf(io.BytesIO(), [])
