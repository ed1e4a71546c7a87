"""Label output: the CSV for industrial printers and the PDF sheets (A4, roll) with a QR code a
reader decodes to the scan URL of each code."""

from __future__ import annotations

import dataclasses
import io
import zipfile

import pytest

from dibiao.registry.models import GIProduct
from dibiao.trace import codes, labels
from dibiao.trace.choices import LabelFormat
from dibiao.trace.models import CodeIssuance
from dibiao.trace.tests.codes_fixtures import (  # noqa: F401 (fixtures)
    KEY_ID,
    ORIGIN,
    clock,
    decode_pdf_page,
    label_settings,
    pdf_page_count,
    pdf_text,
)


def _issuance(name: str = "清徐葡萄", certificate: str = "AGI00001") -> CodeIssuance:
    """An unsaved issuance: the label writers read only its fields."""
    product = GIProduct(name=name, certificate_number=certificate)
    return CodeIssuance(
        number="LC-2026-000001",
        product=product,
        key_id=KEY_ID,
        first_serial=1,
        last_serial=1_000_000,
        count=1_000_000,
    )


# --- CSV ---------------------------------------------------------------------------------------


def test_csv_lines_are_the_codes_grouped_codes_and_scan_urls_of_the_range():
    lines = list(labels.csv_lines(key_id=KEY_ID, first=1000, last=1099, origin=ORIGIN))
    assert lines[0] == "code,grouped,url\n"
    assert len(lines) == 101
    for line, (serial, code) in zip(
        lines[1:], codes.codes_for_range(KEY_ID, 1000, 1099), strict=True
    ):
        assert line == f"{code},{codes.group(code)},{ORIGIN}/t/{code}\n"
        assert codes.parse(code).serial == serial


def test_csv_urls_use_the_configured_public_url_by_default():
    line = list(labels.csv_lines(key_id=KEY_ID, first=7, last=7))[1]
    assert line.endswith(f",{ORIGIN}/t/{codes.encode(KEY_ID, 7)}\n")


def test_write_csv_writes_every_code_and_reports_progress():
    target = io.BytesIO()
    seen: list[int] = []
    written = labels.write_csv(
        target, key_id=KEY_ID, first=1, last=12_345, origin=ORIGIN, progress=seen.append
    )
    rows = target.getvalue().decode().splitlines()
    assert written == 12_345
    assert len(rows) == 12_346
    assert rows[1].split(",")[0] == codes.encode(KEY_ID, 1)
    assert rows[-1].split(",")[0] == codes.encode(KEY_ID, 12_345)
    assert seen == [5000, 10_000, 12_345]


# --- PDF ---------------------------------------------------------------------------------------


def test_an_a4_sheet_holds_40_labels_whose_qr_codes_open_the_scan_page():
    target = io.BytesIO()
    labels.write_pdf(
        target, issuance=_issuance(), first=101, last=140, layout=LabelFormat.PDF_A4, origin=ORIGIN
    )
    content = target.getvalue()
    assert content.startswith(b"%PDF")
    assert pdf_page_count(content) == 1
    urls = decode_pdf_page(content)
    expected = {f"{ORIGIN}/t/{code}" for _, code in codes.codes_for_range(KEY_ID, 101, 140)}
    assert len(urls) == 40
    assert set(urls) == expected
    text = pdf_text(content)
    assert "清徐葡萄" in text
    assert "农产品地理标志" in text
    assert "AGI00001" in text
    assert codes.group(codes.encode(KEY_ID, 101)) in text
    # The font is embedded (a subset of Noto Sans SC), so the labels print the same anywhere.
    assert b"/FontFile" in content


def test_a_partial_last_sheet_and_a_second_page():
    target = io.BytesIO()
    labels.write_pdf(
        target, issuance=_issuance(), first=1, last=45, layout=LabelFormat.PDF_A4, origin=ORIGIN
    )
    content = target.getvalue()
    assert pdf_page_count(content) == 2
    assert len(decode_pdf_page(content, page=1)) == 5


def test_roll_labels_are_one_50_by_30_mm_label_a_page():
    import pypdfium2  # type: ignore[import-untyped]

    target = io.BytesIO()
    labels.write_pdf(
        target,
        issuance=_issuance(),
        first=5,
        last=7,
        layout=LabelFormat.PDF_ROLL_50X30,
        origin=ORIGIN,
    )
    content = target.getvalue()
    document = pypdfium2.PdfDocument(io.BytesIO(content))
    try:
        width, height = document[0].get_size()
        assert len(document) == 3
    finally:
        document.close()
    assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (50, 30)
    assert decode_pdf_page(content, page=2, dpi=300) == [f"{ORIGIN}/t/{codes.encode(KEY_ID, 7)}"]


def test_a_long_range_is_a_zip_of_pdf_parts_in_serial_order(monkeypatch):
    small = dataclasses.replace(labels.LAYOUTS[LabelFormat.PDF_A4], part_labels=40)
    monkeypatch.setitem(labels.LAYOUTS, LabelFormat.PDF_A4, small)
    assert labels.pdf_is_zip(LabelFormat.PDF_A4, 100)
    assert not labels.pdf_is_zip(LabelFormat.PDF_A4, 40)
    target = io.BytesIO()
    seen: list[int] = []
    labels.write_pdf(
        target,
        issuance=_issuance(),
        first=1,
        last=100,
        layout=LabelFormat.PDF_A4,
        origin=ORIGIN,
        progress=seen.append,
    )
    with zipfile.ZipFile(target) as archive:
        names = archive.namelist()
        assert names == [
            "LC-2026-000001-1-40.pdf",
            "LC-2026-000001-41-80.pdf",
            "LC-2026-000001-81-100.pdf",
        ]
        last_part = archive.read(names[2])
    assert len(decode_pdf_page(last_part)) == 20
    assert seen[-1] == 100
    assert seen == sorted(seen)


def test_a_long_product_name_is_shrunk_or_cut_to_fit_and_no_certificate_is_left_out():
    target = io.BytesIO()
    long_name = "山西省长治市上党区特产优质地理标志高粱米"
    labels.write_pdf(
        target,
        issuance=_issuance(name=long_name, certificate=""),
        first=1,
        last=4,
        layout=LabelFormat.PDF_A4,
        origin=ORIGIN,
    )
    text = pdf_text(target.getvalue())
    assert "证书编号" not in text
    assert "农产品地理标志" in text
    assert "…" in text
    assert len(decode_pdf_page(target.getvalue())) == 4


def test_the_qr_image_is_one_pixel_per_module_without_quiet_zone():
    image = labels.qr_image(f"{ORIGIN}/t/{codes.encode(KEY_ID, 1)}")
    assert image.mode == "1"
    assert image.size[0] == image.size[1]
    assert (image.size[0] - 17) % 4 == 0  # a QR symbol is 17 + 4 × version modules wide


@pytest.mark.parametrize("layout", list(labels.LAYOUTS))
def test_labels_fit_their_page(layout):
    page = labels.LAYOUTS[layout]
    assert page.margin_x >= 0
    assert page.margin_y >= 0
    # The QR code, its quiet zone and the code line fit the label.
    assert 2 * page.quiet + page.qr_size <= page.label_w
    assert page.quiet + page.qr_size + page.quiet + 3 <= page.label_h


def test_each_pdf_part_is_dropped_before_the_next_is_drawn(monkeypatch):
    """fpdf2 holds a document's pages until it writes them; bounded memory means no two parts'
    documents are ever alive together, however long the range."""
    import gc
    import weakref

    small = dataclasses.replace(labels.LAYOUTS[LabelFormat.PDF_A4], part_labels=40)
    monkeypatch.setitem(labels.LAYOUTS, LabelFormat.PDF_A4, small)
    documents: list[weakref.ref] = []
    alive_at_start: list[int] = []
    init = labels._Sheet.__init__

    def tracked(self, *args, **kwargs) -> None:
        gc.collect()
        alive_at_start.append(sum(ref() is not None for ref in documents))
        init(self, *args, **kwargs)
        documents.append(weakref.ref(self.pdf))

    monkeypatch.setattr(labels._Sheet, "__init__", tracked)
    target = io.BytesIO()
    labels.write_pdf(
        target,
        issuance=_issuance(),
        first=1,
        last=40 * 6,
        layout=LabelFormat.PDF_A4,
        origin=ORIGIN,
    )
    assert alive_at_start == [0] * 6
    with zipfile.ZipFile(target) as archive:
        assert len(archive.namelist()) == 6
