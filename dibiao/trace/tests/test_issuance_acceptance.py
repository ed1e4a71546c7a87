"""Issue 5 acceptance, the label-code path: harvest → batch → issuance of 10,000 codes within an
authorization → binding to the batch → a label-sheet PDF whose QR code, decoded by a QR reader,
opens /t/<code> showing genuine and the batch's test result. Beside it: issuance beyond the
authorized quantity is refused, a voided range shows voided, a code with one character changed
is unknown."""

# ruff: noqa: F811

from __future__ import annotations

import datetime as dt
import io
from urllib.parse import urlsplit

import pypdfium2  # type: ignore[import-untyped]
import pytest
import zxingcpp

from dibiao.core.choices import JobStatus
from dibiao.core.errors import DomainError
from dibiao.production.tests import report_fixtures
from dibiao.testing.responses import streamed
from dibiao.trace import codes, lookup
from dibiao.trace.choices import CodeStatus, LabelFormat
from dibiao.trace.models import LabelJob
from dibiao.trace.services import batches
from dibiao.trace.tests.batches_fixtures import lab
from dibiao.trace.tests.codes_fixtures import (  # noqa: F401 (fixtures)
    ORIGIN,
    api_as,
    client_as,
    clock,
    code_of,
    label_settings,
    product,
    world,
)

pytestmark = pytest.mark.django_db


def _decoded_urls(pdf: bytes) -> list[str]:
    document = pypdfium2.PdfDocument(io.BytesIO(pdf))
    try:
        image = document[0].render(scale=200 / 72).to_pil()
    finally:
        document.close()
    return [result.text for result in zxingcpp.read_barcodes(image)]


def test_harvest_to_batch_to_codes_to_label_sheet_to_genuine_scan(world):
    # The batch (made from a harvest log by the fixture) with a passing test report.
    f = world.farm
    tested = report_fixtures.record(
        None,
        report_fixtures.Sample(f.product, f.producer, f.user, f.base),
        lab=lab(f.producer.division),
        number="JC-2026-0901",
        items=[report_fixtures.item("毒死蜱", "0.01", limit_max="0.5")],
        sampled_on=dt.date(2026, 9, 2),
        tested_on=dt.date(2026, 9, 5),
    )
    batches.batch_reports_link(actor=world.user, batch=world.batch, reports=[tested])

    api = api_as(world.user)
    issued = api.post(
        "/api/v1/code-issuances/",
        {"authorization": world.authorization.pk, "count": 10_000},
        format="json",
    ).json()
    assert issued["count"] == 10_000
    first, last = issued["first_serial"], issued["last_serial"]
    bound = api.post(
        f"/api/v1/code-issuances/{issued['id']}/bind/",
        {"first_serial": first, "last_serial": last, "batch": world.batch.pk},
        format="json",
    ).json()
    assert bound["state_totals"]["active"] == 10_000

    # A label sheet of the first 40 codes, made by the background job.
    job = api.post(
        f"/api/v1/code-issuances/{issued['id']}/label-jobs/",
        {"first_serial": first, "last_serial": first + 39, "format": LabelFormat.PDF_A4},
        format="json",
    ).json()
    assert LabelJob.objects.get(pk=job["id"]).status == JobStatus.DONE
    download = api.get(job["download_url"])
    pdf = streamed(download)

    urls = _decoded_urls(pdf)
    assert len(urls) == 40
    for url in urls:
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}" == ORIGIN
        assert parts.path.startswith("/t/")
        code = parts.path.removeprefix("/t/")
        assert first <= codes.parse(code).serial <= first + 39
        assert lookup.check_code(code).status == CodeStatus.GENUINE

    # The consumer opens the URL of one label: genuine, with the batch's test result.
    page = client_as().get(urlsplit(urls[0]).path)
    assert page.status_code == 200
    html = page.content.decode()
    assert "正品" in html
    assert world.batch.number in html
    assert "检测结果" in html
    assert tested.report_number in html
    assert "合格" in html


def test_beyond_the_authorized_quantity_voided_and_changed_codes(world):
    issuance = world.issue(10_000)
    with pytest.raises(DomainError) as caught:
        world.issue(40_001)
    assert caught.value.code == "over_authorized_quantity"

    client = client_as()
    api = api_as(world.user)
    api.post(
        f"/api/v1/code-issuances/{issuance.pk}/void/",
        {"first_serial": 9_001, "last_serial": 10_000, "reason": "整卷标签受潮"},
        format="json",
    )
    voided = code_of(issuance, 9_500)
    assert lookup.check_code(voided).status == CodeStatus.VOIDED
    assert "已作废" in client.get(f"/t/{voided}").content.decode()

    genuine = code_of(issuance, 1)
    changed = genuine[:7] + ("Z" if genuine[7] != "Z" else "Y") + genuine[8:]
    assert lookup.check_code(changed).status == CodeStatus.UNKNOWN
    assert client.get(f"/t/{changed}").status_code == 200
