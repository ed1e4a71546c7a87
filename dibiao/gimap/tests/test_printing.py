"""The printable county map: a real PNG and a real one-page A4 landscape PDF, in the user's
scope, with what the page must carry."""

from __future__ import annotations

import io
import json

import numpy as np
import pypdfium2 as pdfium  # type: ignore[import-untyped]
import pytest
from django.utils import timezone
from PIL import Image

from dibiao.accounts.choices import Role
from dibiao.gimap import printing
from dibiao.gimap.canvases import _dashes
from dibiao.gimap.tests.conftest import PINGYAO, QINGXU, QINGXU_SEAT, place_base, square
from dibiao.testing.factories import ProductFactory, division_tree, producer, user_with_role

pytestmark = pytest.mark.django_db

A4_LANDSCAPE_POINTS = (841.89, 595.28)


@pytest.fixture
def fenced_grape(shanxi):
    """A product with an uploaded protected area: a 0.04° square around 清徐's seat."""
    x, y = QINGXU_SEAT
    return ProductFactory.create(
        name="围栏葡萄",
        protected_area_boundary=square(x - 0.02, y - 0.02, 0.04),
        divisions=[shanxi[QINGXU]],
    )


@pytest.fixture
def qingxu_bases(shanxi, fenced_grape):
    entry = producer(shanxi[QINGXU], name="清徐葡萄合作社", products=[fenced_grape])
    x, y = QINGXU_SEAT
    inside = place_base(
        entry,
        fenced_grape,
        x,
        y,
        name="城边基地",
        area_mu="300",
        boundary=square(x - 0.004, y - 0.004, 0.008),
    )
    outside = place_base(entry, fenced_grape, 112.312, 37.503, name="南边基地", area_mu="80")
    return inside, outside


@pytest.fixture
def qingxu_user(shanxi):
    return user_with_role(Role.COUNTY_ADMIN, shanxi[QINGXU])


def _pixels_near(image: Image.Image, color: tuple[int, int, int], tolerance: int = 30) -> int:
    pixels = np.asarray(image.convert("RGB"), dtype=np.int16)
    return int((np.abs(pixels - np.array(color)) <= tolerance).all(axis=2).sum())


def test_the_png_is_an_a4_landscape_image_with_the_bases_drawn(client, qingxu_user, qingxu_bases):
    client.force_login(qingxu_user)
    response = client.get(f"/map/county/{QINGXU}/print.png")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert "inline" in response["Content-Disposition"]
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "PNG"
    assert image.size == (1754, 1240)  # A4 at 150 dpi
    # The base outside the protected area is red, the one inside orange, the area green.
    assert _pixels_near(image, printing.BASE_OUTSIDE) > 20
    assert _pixels_near(image, printing.BASE) > 20
    assert _pixels_near(image, (199, 221, 200), tolerance=8) > 1000  # the area's light fill


def test_the_pdf_is_one_a4_landscape_page_with_title_legend_and_date(
    client, qingxu_user, qingxu_bases
):
    client.force_login(qingxu_user)
    response = client.get(f"/map/county/{QINGXU}/print.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    document = pdfium.PdfDocument(response.content)
    assert len(document) == 1
    width, height = document[0].get_size()
    assert (round(width, 1), round(height, 1)) == (
        round(A4_LANDSCAPE_POINTS[0], 1),
        round(A4_LANDSCAPE_POINTS[1], 1),
    )
    text = document[0].get_textpage().get_text_range()
    for expected in (
        "清徐县地理标志一张图",
        "山西省 太原市 清徐县",
        "图例",
        "基地在保护范围外",
        "围栏葡萄",
        "生产基地 2 个，合计",
        "其中在保护范围外 1 个",
        "公里",
        "N",
        f"数据日期：{timezone.localdate():%Y-%m-%d}",
        "县界来源：随系统提供",
    ):
        assert expected in text, expected
    document.close()


def test_the_printed_map_holds_only_what_the_user_may_see(
    client, shanxi, fenced_grape, qingxu_bases
):
    # A producer sees its own bases: another producer's are not printed.
    other_user = user_with_role(Role.PRODUCER, shanxi[QINGXU])
    data = printing.county_print(
        user=other_user, county=shanxi[QINGXU], printed_at=timezone.localtime()
    )
    assert data.bases == []
    province = user_with_role(Role.PROVINCE_ADMIN, shanxi["140000"])
    data = printing.county_print(
        user=province, county=shanxi[QINGXU], printed_at=timezone.localtime()
    )
    assert {base.name for base in data.bases} == {"城边基地", "南边基地"}
    assert [area.name for area in data.areas] == ["围栏葡萄"]
    assert data.areas[0].properties["approximate"] is False


def test_the_product_filter_prints_that_products_layers_only(
    client, shanxi, qingxu_user, fenced_grape, qingxu_bases
):
    other = ProductFactory.create(name="清徐老陈醋", divisions=[shanxi[QINGXU]])
    client.force_login(qingxu_user)
    response = client.get(f"/map/county/{QINGXU}/print.pdf?product={other.pk}")
    document = pdfium.PdfDocument(response.content)
    text = document[0].get_textpage().get_text_range()
    assert "清徐老陈醋" in text
    assert "围栏葡萄" not in text
    assert "生产基地 0 个" in text
    document.close()


def test_another_countys_user_cannot_print_this_county(client, shanxi, qingxu_bases):
    client.force_login(user_with_role(Role.COUNTY_ADMIN, shanxi[PINGYAO]))
    assert client.get(f"/map/county/{QINGXU}/print.png").status_code == 404
    assert client.get(f"/map/county/{QINGXU}/print.pdf").status_code == 404


def test_a_county_without_boundary_or_data_still_prints_a_page():
    tree = division_tree("990000")  # Shanxi (140000) may be loaded by this module
    county = tree["c1a"]
    user = user_with_role(Role.COUNTY_ADMIN, county)
    data = printing.county_print(user=user, county=county, printed_at=timezone.localtime())
    assert data.outline is None
    image = Image.open(io.BytesIO(printing.render_png(data)))
    assert image.size == (1754, 1240)
    document = pdfium.PdfDocument(printing.render_pdf(data))
    assert "该县暂无边界和图层数据" in document[0].get_textpage().get_text_range()
    document.close()


def test_the_scale_bar_takes_a_round_length():
    assert printing._nice_length(7300) == 5000
    assert printing._nice_length(2100) == 2000
    assert printing._nice_length(999) == 500
    assert printing._nice_length(10) == 10


def test_a_dashed_edge_is_cut_into_dashes_of_the_pattern():
    # 10 mm at 1 px/mm with 1.6 on, 1.0 off: dashes start at 0, 2.6, 5.2, 7.8.
    parts = _dashes([(0.0, 0.0), (10.0, 0.0)], 1.0)
    assert [round(part[0][0], 1) for part in parts] == [0.0, 2.6, 5.2, 7.8]
    assert all(len(part) >= 2 for part in parts)
    assert round(parts[0][-1][0], 1) == 1.6


def test_the_boundary_source_note_is_printed(shanxi):
    boundary = shanxi[QINGXU].boundary
    data = printing.county_print(
        user=user_with_role(Role.PROVINCE_ADMIN, shanxi["140000"]),
        county=shanxi[QINGXU],
        printed_at=timezone.localtime(),
    )
    assert data.boundary_source.startswith("随系统提供")
    assert boundary.source_note in data.boundary_source
    assert json.loads(boundary.geojson)["type"] in {"Polygon", "MultiPolygon"}
