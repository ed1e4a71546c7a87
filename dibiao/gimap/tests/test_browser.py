"""The map in a real browser (headless Chromium through Playwright): the province map draws the
117 counties, and clicking 清徐县 opens its map with 清徐葡萄's protected area and its bases.
Skipped without Playwright or Chromium, a failure in CI (`dibiao.testing.browser`).
"""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from dibiao.accounts.choices import Role
from dibiao.core.models import Division
from dibiao.gimap.tests.conftest import QINGXU, QINGXU_SEAT, QINGXU_TEXT, place_base, square
from dibiao.testing.browser import (
    TIMEOUT_MS,
    audit_rows_cleared_before_flush,  # noqa: F401 (a fixture)
    browser_page,
    require_browser,
)
from dibiao.testing.factories import ProductFactory, producer, user_with_role

require_browser("leaflet/leaflet.js")

from playwright.sync_api import Page  # noqa: E402

# The live server answers the page from another thread: the data must be committed.
pytestmark = pytest.mark.django_db(transaction=True)


def _point_inside(page: Page, selector: str) -> tuple[float, float]:
    """A point of the screen where the element is the topmost thing (a county's box centre may
    well lie in its neighbour)."""
    point = page.eval_on_selector(
        selector,
        """(element) => {
            const box = element.getBoundingClientRect();
            for (let i = 1; i < 24; i++) {
                for (let j = 1; j < 24; j++) {
                    const x = box.left + (box.width * i) / 24, y = box.top + (box.height * j) / 24;
                    if (document.elementFromPoint(x, y) === element) return [x, y];
                }
            }
            return null;
        }""",
    )
    assert point is not None, f"{selector} is nowhere on top"
    return point[0], point[1]


@pytest.mark.usefixtures("audit_rows_cleared_before_flush")
def test_the_province_map_draws_the_counties_and_opens_qingxus_map(live_server):
    # Everything the server will show is committed before the browser starts.
    call_command("load_divisions", stdout=io.StringIO())
    qingxu = Division.objects.get(code=QINGXU)
    grape = ProductFactory.create(name="清徐葡萄", protected_area=QINGXU_TEXT, divisions=[qingxu])
    cooperative = producer(qingxu, name="清徐县马峪葡萄专业合作社", products=[grape])
    x, y = QINGXU_SEAT
    place_base(cooperative, grape, x, y, name="马峪基地", boundary=square(x - 0.01, y - 0.01, 0.02))
    place_base(cooperative, grape, x + 0.03, y - 0.04, name="东于基地")
    user = user_with_role(Role.PROVINCE_ADMIN, Division.objects.get(code="140000"))

    with browser_page(live_server, user) as (page, errors):
        page.goto(f"{live_server.url}/map/")
        page.wait_for_selector("#map[data-ready=true]", timeout=TIMEOUT_MS)
        assert page.locator("svg path.county").count() == 117
        assert page.locator("svg path.city").count() == 11
        product_counties = page.locator("svg path.product-county")
        assert product_counties.count() == 1
        assert product_counties.first.get_attribute("data-code") == QINGXU
        assert "地理标志产品数" in page.locator("#legend").inner_text()

        page.mouse.click(*_point_inside(page, f'path.county[data-code="{QINGXU}"]'))
        page.wait_for_url(f"**/map/county/{QINGXU}/", timeout=TIMEOUT_MS)
        page.wait_for_selector("#map[data-ready=true]", timeout=TIMEOUT_MS)
        assert page.locator("h1").inner_text() == "清徐县地理标志一张图"

        # 清徐葡萄's area (approximate: dashed) and its two bases: the polygon with its dot,
        # and the point.
        areas = page.locator("svg path.gi-area")
        assert areas.count() == 1
        assert areas.first.get_attribute("stroke-dasharray")
        assert page.locator("svg path.gi-base").count() == 3
        assert page.locator("[data-count='protected_areas']").inner_text() == "1"
        assert page.locator("[data-count='bases']").inner_text() == "2"

        page.locator("svg path.gi-area").dispatch_event("click")
        popup = page.locator(".leaflet-popup-content")
        popup.wait_for(timeout=TIMEOUT_MS)
        assert "清徐葡萄" in popup.inner_text()
        assert "按所列乡镇近似" in popup.inner_text()

        # A layer's box hides it.
        page.locator("input[data-layer='bases']").uncheck()
        assert page.locator("svg path.gi-base").count() == 0
        assert errors == []
