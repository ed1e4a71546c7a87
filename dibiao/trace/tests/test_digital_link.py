"""GS1 Digital Link /01/{gtin}/10/{lot}: the GTIN check digit is validated, the batch with that
GTIN and number is shown on the scan page with its public facts only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from dibiao.core.models import Division
from dibiao.trace.tests.batches_fixtures import client_as, farm, harvest, make_batch
from dibiao.trace.tests.certificates_fixtures import (
    VALID_GTIN13,
    batch_with_report,
    issue,
    recall,
)
from dibiao.trace.views.digital_link import HEADLINE

pytestmark = pytest.mark.django_db


def _get(gtin: str, lot: str) -> object:
    return client_as().get(f"/01/{gtin}/10/{lot}")


def test_resolves_to_the_batch_page(tree: dict[str, Division]) -> None:
    f = farm(tree["c1a"], name="清徐葡萄合作社")
    batch, passing = batch_with_report(f, gtin=VALID_GTIN13)
    certificate = issue(batch)
    # The link carries the 14-digit form; the batch stores the GTIN-13.
    response = client_as().get(f"/01/0{VALID_GTIN13}/10/{batch.number}")
    assert response.status_code == 200
    text = response.content.decode()
    for expected in (
        HEADLINE,
        f.product.name,
        "清徐葡萄合作社",
        f.base.name,
        batch.number,
        "2026-09-01",
        passing.report_number,
        "合格",
        certificate.number,
        f"/c/{certificate.number}/",
    ):
        assert expected in text, expected
    # The same route, reversed, and the short form of the GTIN work too.
    assert reverse("trace-public:digital-link", args=[VALID_GTIN13, batch.number]) == (
        f"/01/{VALID_GTIN13}/10/{batch.number}"
    )
    assert client_as().get(f"/01/{VALID_GTIN13}/10/{batch.number}").status_code == 200


def test_page_shows_nothing_private(tree: dict[str, Division]) -> None:
    f = farm(tree["c1a"])
    batch = make_batch(f, harvest(f), gtin=VALID_GTIN13)
    text = client_as().get(f"/01/{VALID_GTIN13}/10/{batch.number}").content.decode()
    # The harvest log's operator, the producer's (sealed) phone, and the issuing login.
    for private in ("王师傅", "13812345678", "138****5678", f.user.username):
        assert private not in text, private
    assert "正品" not in text  # a GTIN and lot can be copied: never "genuine"


@pytest.mark.parametrize("gtin", ["1234567890129", "12345678901232", "12345", "abcdefghijklm"])
def test_wrong_check_digit_or_form_is_404(tree: dict[str, Division], gtin: str) -> None:
    f = farm(tree["c1a"])
    batch = make_batch(f, harvest(f), gtin=VALID_GTIN13)
    assert _get(gtin, batch.number).status_code == 404  # type: ignore[attr-defined]


def test_unknown_lot_or_other_gtin_is_404(tree: dict[str, Division]) -> None:
    f = farm(tree["c1a"])
    batch = make_batch(f, harvest(f), gtin=VALID_GTIN13)
    without = make_batch(f, harvest(f, "2026-09-02"))
    assert _get(VALID_GTIN13, "NO-SUCH-LOT").status_code == 404  # type: ignore[attr-defined]
    assert _get("12345678901231", batch.number).status_code == 404  # type: ignore[attr-defined]
    assert _get(VALID_GTIN13, without.number).status_code == 404  # type: ignore[attr-defined]


def test_recalled_batch_shows_the_recall(tree: dict[str, Division]) -> None:
    f = farm(tree["c1a"])
    batch = make_batch(f, harvest(f), gtin=VALID_GTIN13)
    recall(batch, reason="农残超标")
    text = client_as().get(f"/01/{VALID_GTIN13}/10/{batch.number}").content.decode()
    assert "召回通知" in text
    assert "农残超标" in text
