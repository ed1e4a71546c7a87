"""Pages of batches and trace events: list, export, create, detail with lineage, release,
recall, reports, edit, the event form; scope (another county 404, the buyer sees what it got)."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from dibiao.core.choices import AuditAction
from dibiao.core.models import AuditLog
from dibiao.testing.responses import streamed
from dibiao.trace.choices import BatchStatus
from dibiao.trace.models import Batch, TraceEvent
from dibiao.trace.services import batches
from dibiao.trace.tests.batches_fixtures import (
    client_as,
    event,
    farm,
    fresh,
    harvest,
    input_log,
    make_batch,
    report,
)

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999999"


def _rows(response: Any) -> list[tuple[Any, ...]]:
    sheet = load_workbook(io.BytesIO(streamed(response)), read_only=True).worksheets[0]
    return list(sheet.iter_rows(values_only=True))


@pytest.fixture
def f(tree):
    return farm(tree["c1a"], name="红枣合作社")


@pytest.fixture
def sold(tree, f):
    """A released batch of f, half sold to a directory buyer in c2b, a part to a supermarket."""
    buyer = farm(tree["c2b"], f.product, name="太原果品公司")
    input_log(f, "2026-08-01", "吡虫啉")
    batch = batches.batch_release(actor=None, batch=make_batch(f, harvest(f, "2026-09-01")))
    sale = event(f, "sale", "2026-09-02", [(batch, "250")], ["250"], destination=buyer.producer)
    event(f, "sale", "2026-09-03", [(batch, "50")], destination_name="城区超市")
    return batch, sale.outputs.get().batch, buyer


# --- List and export -----------------------------------------------------------------------------


def test_the_list_filters_and_searches_in_scope(f, county_admin):
    open_batch = make_batch(f)
    released = batches.batch_release(actor=None, batch=make_batch(f))
    client = client_as(county_admin)
    page = client.get(reverse("trace:batch-list"))
    assert page.status_code == 200
    assert open_batch.number in page.text
    assert released.number in page.text
    only_released = client.get(reverse("trace:batch-list"), {"status": "released"})
    assert released.number in only_released.text
    assert open_batch.number not in only_released.text
    searched = client.get(reverse("trace:batch-list"), {"q": open_batch.number})
    assert released.number not in searched.text


def test_the_list_ignores_impossible_filters(f, county_admin):
    params = {"product": HUGE, "producer": HUGE, "date_from": "0001-01-01", "status": "x"}
    assert client_as(county_admin).get(reverse("trace:batch-list"), params).status_code == 200


def test_another_county_sees_an_empty_list(f, other_county_admin):
    batch = make_batch(f)
    page = client_as(other_county_admin).get(reverse("trace:batch-list"))
    assert batch.number not in page.text
    assert "还没有批次" in page.text


def test_the_export_is_scoped_and_audited(f, county_admin, other_county_admin):
    batch = make_batch(f)
    response = client_as(county_admin).get(reverse("trace:batch-export"))
    assert response.status_code == 200
    rows = _rows(response)
    assert rows[1][0] == batch.number
    assert rows[1][5] == 500
    row = AuditLog.objects.get(action=AuditAction.EXPORT, object_type="trace.batch")
    assert "1 个" in row.detail
    other = client_as(other_county_admin).get(reverse("trace:batch-export"))
    assert len(_rows(other)) == 1


def test_an_admin_without_a_business_role_cannot_open_the_pages(f, auditor):
    assert client_as(auditor).get(reverse("trace:batch-list")).status_code == 403
    assert client_as(auditor).get(reverse("trace:event-list")).status_code == 403


# --- Create --------------------------------------------------------------------------------------


def test_the_producer_creates_a_batch_from_its_harvest_logs(f):
    first = harvest(f, "2026-09-01", quantity="300")
    second = harvest(f, "2026-09-02", quantity="200")
    client = client_as(f.user)
    form = client.get(reverse("trace:batch-create"))
    assert form.status_code == 200
    assert "2026-09-01" in form.text
    response = client.post(
        reverse("trace:batch-create"),
        {"harvest_logs": [first.pk, second.pk], "quantity": "480", "gtin": "", "notes": ""},
    )
    batch = Batch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("trace:batch-detail", args=[batch.pk])
    assert batch.quantity == Decimal("480")


def test_a_refused_batch_shows_the_message_and_writes_nothing(f):
    log = harvest(f, quantity="300")
    response = client_as(f.user).post(
        reverse("trace:batch-create"), {"harvest_logs": [log.pk], "quantity": "301"}
    )
    assert response.status_code == 200
    assert "批次数量不能超过所选采收记录的合计 300 千克" in response.text
    assert not Batch.objects.exists()


def test_the_create_page_says_when_there_is_nothing_to_batch(f, county_admin):
    page = client_as(county_admin).get(reverse("trace:batch-create"))
    assert "没有可组批的采收记录" in page.text


def test_province_and_city_cannot_create(province_admin, city_admin):
    for user in (province_admin, city_admin):
        assert client_as(user).get(reverse("trace:batch-create")).status_code == 403


# --- Detail --------------------------------------------------------------------------------------


def test_the_detail_shows_origins_lineage_timeline_and_recipients(sold, f):
    batch, received, _ = sold
    page = client_as(f.user).get(reverse("trace:batch-detail", args=[batch.pk]))
    assert page.status_code == 200
    text = page.text
    assert "吡虫啉" in text  # the season's input log
    assert received.number in text  # downstream
    assert "太原果品公司" in text
    assert "城区超市" in text
    assert "追溯时间线" in text
    assert "王师傅" not in text


def test_the_buyer_sees_what_it_received_and_its_trace(sold):
    batch, received, buyer = sold
    client = client_as(buyer.user)
    own = client.get(reverse("trace:batch-detail", args=[received.pk]))
    assert own.status_code == 200
    assert batch.number in own.text  # upstream
    assert client.get(reverse("trace:batch-detail", args=[batch.pk])).status_code == 200
    listing = client.get(reverse("trace:batch-list"))
    assert received.number in listing.text


def test_another_county_or_producer_gets_404_everywhere(sold, tree, other_county_admin):
    batch = sold[0]
    stranger = farm(tree["c1a"])
    for user in (other_county_admin, stranger.user):
        client = client_as(user)
        for name in ("trace:batch-detail", "trace:batch-edit"):
            assert client.get(reverse(name, args=[batch.pk])).status_code == 404
        for name in ("trace:batch-release", "trace:batch-recall", "trace:batch-reports"):
            assert client.post(reverse(name, args=[batch.pk]), {"reason": "x"}).status_code == 404
    assert client_as(other_county_admin).get(f"/trace/batches/{HUGE}/").status_code == 404


def test_the_county_of_the_buyer_sees_the_received_batch(sold, tree):
    from dibiao.accounts.choices import Role
    from dibiao.testing.factories import user_with_role

    _, received, _ = sold
    c2b_admin = user_with_role(Role.COUNTY_ADMIN, tree["c2b"])
    page = client_as(c2b_admin).get(reverse("trace:batch-detail", args=[received.pk]))
    assert page.status_code == 200


# --- Actions -------------------------------------------------------------------------------------


def test_release_from_the_page_and_its_refusal_after_a_failed_test(f):
    good = make_batch(f)
    bad = make_batch(f, reports=[report(f, passed=False)])
    client = client_as(f.user)
    client.post(reverse("trace:batch-release", args=[good.pk]))
    assert fresh(good).status == BatchStatus.RELEASED
    response = client.post(reverse("trace:batch-release", args=[bad.pk]), follow=True)
    assert "检测不合格的批次不能放行" in response.text
    assert fresh(bad).status == BatchStatus.OPEN
    page = client.get(reverse("trace:batch-detail", args=[bad.pk]))
    assert "本批次不能放行" in page.text


def test_the_province_reads_but_cannot_release(f, province_admin):
    batch = make_batch(f)
    client = client_as(province_admin)
    assert client.get(reverse("trace:batch-detail", args=[batch.pk])).status_code == 200
    assert client.post(reverse("trace:batch-release", args=[batch.pk])).status_code == 403


def test_recall_from_the_page_cascades_and_says_so(sold, f):
    batch, received, _ = sold
    client = client_as(f.user)
    refused = client.post(
        reverse("trace:batch-recall", args=[batch.pk]), {"reason": ""}, follow=True
    )
    assert "召回须填写原因" in refused.text
    response = client.post(
        reverse("trace:batch-recall", args=[batch.pk]), {"reason": "农残超标"}, follow=True
    )
    assert received.number in response.text
    assert "需通知的收货方 2 个" in response.text
    assert fresh(received).status == BatchStatus.RECALLED


def test_linking_reports_from_the_page(f):
    batch = make_batch(f)
    chosen = report(f, sample_code="YP-1")
    by_code = report(f, sample_code="YP-2")
    client = client_as(f.user)
    page = client.get(reverse("trace:batch-detail", args=[batch.pk]))
    assert chosen.report_number in page.text
    client.post(
        reverse("trace:batch-reports", args=[batch.pk]), {"reports": [chosen.pk], "codes": "YP-2"}
    )
    assert set(batch.test_reports.all()) == {chosen, by_code}
    response = client.post(
        reverse("trace:batch-reports", args=[batch.pk]), {"codes": "NOPE"}, follow=True
    )
    assert "没有样品编号或批次号为“NOPE”的检测报告" in response.text


def test_editing_gtin_and_notes(f):
    batch = make_batch(f)
    client = client_as(f.user)
    assert client.get(reverse("trace:batch-edit", args=[batch.pk])).status_code == 200
    bad = client.post(reverse("trace:batch-edit", args=[batch.pk]), {"gtin": "123", "notes": ""})
    assert "GTIN" in bad.text
    client.post(
        reverse("trace:batch-edit", args=[batch.pk]), {"gtin": "06901234567892", "notes": "冷库"}
    )
    assert fresh(batch).gtin == "06901234567892"


# --- Events --------------------------------------------------------------------------------------


def test_recording_a_split_from_the_page(f):
    batch = make_batch(f, harvest(f, quantity="500"))
    client = client_as(f.user)
    form = client.get(reverse("trace:event-create"), {"batch": batch.pk})
    assert form.status_code == 200
    assert 'value="500' in form.text  # the batch's remainder is prefilled
    data = {
        "producer": f.producer.pk,
        "stage": "processing",
        "occurred_at": "2026-09-05T10:00",
        "destination": "",
        "destination_name": "",
        "source_name": "",
        "place": "加工车间",
        "notes": "",
        "inputs-TOTAL_FORMS": "3",
        "inputs-INITIAL_FORMS": "0",
        "inputs-0-batch": batch.pk,
        "inputs-0-quantity": "400",
        "outputs-TOTAL_FORMS": "3",
        "outputs-INITIAL_FORMS": "0",
        "outputs-0-quantity": "150",
        "outputs-1-quantity": "250",
    }
    response = client.post(reverse("trace:event-create"), data)
    event_row = TraceEvent.objects.get()
    assert response.status_code == 302
    assert event_row.outputs.count() == 2
    detail = client.get(reverse("trace:event-detail", args=[event_row.pk]))
    assert batch.number in detail.text
    data["inputs-0-quantity"] = "100.5"
    over = client.post(reverse("trace:event-create"), data)
    assert "剩余 100 千克，不能投入 100.5 千克" in over.text
    assert TraceEvent.objects.count() == 1


def test_the_event_list_and_detail_are_scoped(sold, f, other_county_admin):
    batch, _, buyer = sold
    sale = TraceEvent.objects.filter(destination__isnull=False).get()
    assert sale.destination_name in client_as(f.user).get(reverse("trace:event-list")).text
    filtered = client_as(f.user).get(
        reverse("trace:event-list"), {"batch": batch.pk, "stage": "sale"}
    )
    assert filtered.status_code == 200
    assert (
        client_as(buyer.user).get(reverse("trace:event-detail", args=[sale.pk])).status_code == 200
    )
    other = client_as(other_county_admin)
    assert other.get(reverse("trace:event-detail", args=[sale.pk])).status_code == 404
    assert "还没有追溯事件" in other.get(reverse("trace:event-list")).text


def test_the_destination_search(f, tree):
    farm(tree["c2b"], name="晋中果业公司")
    page = client_as(f.user).get(reverse("trace:event-destinations"), {"q": "晋中"})
    assert "晋中果业公司" in page.text
    assert client_as(f.user).get(reverse("trace:event-create")).status_code == 200
