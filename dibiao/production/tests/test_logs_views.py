"""Production-log pages: list with filters and export, detail with photos, desktop form,
completion, and the phone-first quick page. Time is frozen at 2026-06-15."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from dibiao.archive.permissions import can_attach_to
from dibiao.core.choices import AuditAction
from dibiao.core.models import AuditLog
from dibiao.production.choices import LogStatus
from dibiao.production.models import ProductionLog
from dibiao.production.services.logs import log_create
from dibiao.production.tests.logs_fixtures import (
    at,
    client_as,
    grower,
    harvest,
    load_lists,
    pesticide,
)
from dibiao.testing.responses import xlsx_rows

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def farm(tree):
    return grower(tree)


@pytest.fixture
def logs(farm):
    user, _, base, _ = farm
    sprayed = log_create(actor=user, base=base, data=pesticide(occurred_at=at("2026-05-01")))
    picked = log_create(actor=user, base=base, data=harvest("2026-05-10"))
    return sprayed, picked


def _html(response) -> str:
    return response.content.decode()


def _form(**values) -> dict:
    data = {
        "base": "",
        "kind": "",
        "occurred_at": "2026-06-14T08:30",
        "status": "done",
        "operator": "王师傅",
    }
    data.update(values)
    return data


# --- List, filters, export ------------------------------------------------------------------------


def test_the_list_shows_the_users_logs_and_filters_them(farm, logs):
    user, _, base, _ = farm
    client = client_as(user)
    html = _html(client.get(reverse("production:log-list")))
    assert "吡虫啉" in html
    assert "采收" in html
    only_harvest = _html(client.get(reverse("production:log-list"), {"kind": "harvest"}))
    assert "吡虫啉" not in only_harvest.split('id="results"')[1]
    may_first = _html(
        client.get(
            reverse("production:log-list"), {"date_from": "2026-05-01", "date_to": "2026-05-01"}
        )
    )
    assert "2026-05-10" not in may_first.split('id="results"')[1]
    search = _html(client.get(reverse("production:log-list"), {"q": "吡虫", "base": base.pk}))
    assert "2026-05-01" in search


def test_a_bad_filter_is_ignored_not_an_error(farm, logs):
    user, *_ = farm
    response = client_as(user).get(
        reverse("production:log-list"), {"date_from": "5月1日", "base": "x"}
    )
    assert response.status_code == 200
    assert "已忽略该条件" in _html(response)


def test_the_list_is_empty_for_another_county(logs, other_county_admin):
    html = _html(client_as(other_county_admin).get(reverse("production:log-list")))
    assert "吡虫啉" not in html
    assert "还没有生产日志" in html


def test_the_list_is_for_government_and_producers(lab_user, auditor):
    for user in (lab_user, auditor):
        assert client_as(user).get(reverse("production:log-list")).status_code == 403
    assert client_as().get(reverse("production:log-list")).status_code == 302


def test_export_is_scoped_filtered_and_audited(farm, logs, county_admin, other_county_admin):
    response = client_as(county_admin).get(reverse("production:log-export"), {"kind": "input"})
    assert response.status_code == 200
    rows = xlsx_rows(response)
    assert rows[0][0] == "时间"
    assert len(rows) == 2
    assert rows[1][11] == "吡虫啉"
    assert str(rows[1][17]).startswith("2026-05-08")
    assert AuditLog.objects.filter(
        action=AuditAction.EXPORT, object_type="production.productionlog"
    ).exists()
    other = client_as(other_county_admin).get(reverse("production:log-export"))
    assert len(xlsx_rows(other)) == 1


# --- Detail, edit, complete -----------------------------------------------------------------------


def test_detail_shows_the_log_and_lets_the_producer_attach_photos(farm, logs):
    user, *_ = farm
    sprayed, _ = logs
    response = client_as(user).get(reverse("production:log-detail", args=[sprayed.pk]))
    html = _html(response)
    assert response.status_code == 200
    assert "PD20080001" in html
    assert "2026-05-08" in html
    assert "照片与附件" in html
    assert can_attach_to(user, sprayed)
    assert 'enctype="multipart/form-data"' in html


def test_another_county_gets_404_on_every_log_page(logs, other_county_admin, tree):
    sprayed, _ = logs
    neighbour, *_ = grower(tree, "c1b")
    for user in (other_county_admin, neighbour):
        client = client_as(user)
        for name in ("production:log-detail", "production:log-edit"):
            assert client.get(reverse(name, args=[sprayed.pk])).status_code == 404, (user, name)
        response = client.post(reverse("production:log-complete", args=[sprayed.pk]))
        assert response.status_code == 404


def test_the_desktop_form_records_a_log(farm):
    user, _, base, _ = farm
    response = client_as(user).post(
        reverse("production:log-create"),
        _form(base=base.pk, kind="observation", title="查看虫情", notes="蚜虫少量"),
    )
    log = ProductionLog.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("production:log-detail", args=[log.pk])
    assert (log.title, log.product, log.recorded_by) == ("查看虫情", base.product, user)


def test_the_desktop_form_shows_the_interval_refusal_next_to_the_time(farm, logs):
    user, _, base, _ = farm
    response = client_as(user).post(
        reverse("production:log-create"),
        _form(base=base.pk, kind="harvest", occurred_at="2026-05-03T09:00"),
    )
    html = _html(response)
    assert response.status_code == 200
    assert "最早可于 2026-05-08 采收" in html
    row = html.split('id="row-occurred_at"')[1].split("</div>")[0]
    assert "errorlist" in row
    assert ProductionLog.objects.count() == 2


def test_editing_a_log_through_the_page(farm, logs):
    user, *_ = farm
    _, picked = logs
    data = _form(
        base=picked.base_id,
        kind="harvest",
        occurred_at="2026-05-12T07:00",
        quantity="480",
        unit="千克",
    )
    response = client_as(user).post(reverse("production:log-edit", args=[picked.pk]), data)
    assert response.status_code == 302
    picked.refresh_from_db()
    assert (picked.day, str(picked.quantity)) == (dt.date(2026, 5, 12), "480.000")


def test_completing_a_planned_log_through_the_page(farm):
    user, _, base, _ = farm
    planned = log_create(
        actor=user, base=base, data=harvest("2026-06-20", status=LogStatus.PENDING)
    )
    client = client_as(user)
    assert "标记为已完成" in _html(client.get(reverse("production:log-detail", args=[planned.pk])))
    response = client.post(
        reverse("production:log-complete", args=[planned.pk]), {"occurred_at": "2026-06-15T08:00"}
    )
    assert response.status_code == 302
    planned.refresh_from_db()
    assert planned.status == LogStatus.DONE


def test_completing_twice_shows_a_message(farm, logs):
    user, *_ = farm
    _, picked = logs
    response = client_as(user).post(
        reverse("production:log-complete", args=[picked.pk]), follow=True
    )
    assert "该日志已经是“已完成”" in _html(response)


def test_a_city_admin_cannot_open_the_forms(city_admin, logs):
    sprayed, _ = logs
    client = client_as(city_admin)
    assert client.get(reverse("production:log-detail", args=[sprayed.pk])).status_code == 200
    for url in (
        reverse("production:log-create"),
        reverse("production:log-quick"),
        reverse("production:log-edit", args=[sprayed.pk]),
    ):
        assert client.get(url).status_code == 403, url


# --- The quick page (phone) -------------------------------------------------------------------------


def test_the_quick_page_offers_only_the_producers_bases(farm, tree):
    user, _, base, _ = farm
    _, _, other_base, _ = grower(tree)
    html = _html(client_as(user).get(reverse("production:log-quick")))
    assert 'name="viewport"' in html
    assert f'value="{base.pk}"' in html
    assert base.name in html
    assert other_base.name not in html
    assert 'data-kind-section="input"' in html


def test_the_quick_page_records_a_harvest_and_lists_it(farm):
    user, _, base, _ = farm
    client = client_as(user)
    response = client.post(
        reverse("production:log-quick"),
        _form(base=base.pk, kind="harvest", quantity="320", unit="千克", title=""),
    )
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('production:log-quick')}?base={base.pk}"
    log = ProductionLog.objects.get()
    assert (log.title, log.unit) == ("采收", "千克")
    page = _html(client.get(response["Location"]))
    assert f'<option value="{base.pk}" selected>' in page.replace(' selected=""', " selected")
    recent = page.split("最近 1 条日志")[1]
    assert "<strong>采收</strong>" in recent
    assert "采收 ·" not in recent  # the kind is not repeated when it is the title
    assert "320 千克" in recent


def test_the_quick_page_shows_missing_input_fields_next_to_them(farm):
    user, _, base, _ = farm
    response = client_as(user).post(
        reverse("production:log-quick"),
        _form(base=base.pk, kind="input", input_category="pesticide", input_name="吡虫啉"),
    )
    html = _html(response)
    assert response.status_code == 200
    assert "农药、兽药须填写登记证号" in html
    assert "农药须填写施用面积" in html
    assert not ProductionLog.objects.exists()


def test_the_quick_page_refuses_a_banned_input_next_to_its_name(farm):
    load_lists()
    user, _, base, _ = farm
    data = _form(
        base=base.pk,
        kind="input",
        **{k: v for k, v in pesticide().items() if k not in ("kind", "occurred_at", "operator")},
    )
    data["input_name"] = "甲胺磷乳油"
    html = _html(client_as(user).post(reverse("production:log-quick"), data))
    assert "禁用物质「甲胺磷」" in html
    # Said at the top as well, where a phone user sees it after the page reloads.
    assert html.index("禁用物质「甲胺磷」") < html.index('name="base"')
    assert not ProductionLog.objects.exists()


def test_the_quick_page_refuses_another_producers_base(farm, tree):
    user, *_ = farm
    _, _, other_base, _ = grower(tree)
    html = _html(
        client_as(user).post(
            reverse("production:log-quick"), _form(base=other_base.pk, kind="harvest")
        )
    )
    assert "请选择您的基地" in html
    assert not ProductionLog.objects.exists()


def test_the_quick_page_without_bases_says_what_to_do(tree):
    from dibiao.testing.factories import producer_user

    user, _ = producer_user(tree["c1a"])
    html = _html(client_as(user).get(reverse("production:log-quick")))
    assert "还没有可以记录日志的基地" in html


# --- Photos through the work archive ----------------------------------------------------------------


def _attach(client, log):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from dibiao.testing.files import image_bytes

    url = reverse("archive:target-attach", args=["production.productionlog", log.pk])
    return client.post(
        url,
        {
            "archive-category": "photo",
            "archive-document_date": "2026-05-01",
            "archive-description": "喷药现场",
            "archive-file": SimpleUploadedFile("现场.jpg", image_bytes("JPEG")),
            "next": reverse("production:log-detail", args=[log.pk]),
        },
    )


def test_the_producer_attaches_a_photo_to_its_own_log(farm, logs):
    from dibiao.archive.models import ArchiveDocument

    user, entry, _, _ = farm
    sprayed, _ = logs
    response = _attach(client_as(user), sprayed)
    assert response.status_code == 302
    document = ArchiveDocument.objects.get()
    assert document.organization == entry.organization
    html = _html(client_as(user).get(reverse("production:log-detail", args=[sprayed.pk])))
    assert "喷药现场" in html


def test_another_producer_cannot_attach_to_the_log(farm, logs, tree):
    from dibiao.archive.models import ArchiveDocument

    sprayed, _ = logs
    neighbour, *_ = grower(tree)
    assert not can_attach_to(neighbour, sprayed)
    assert _attach(client_as(neighbour), sprayed).status_code == 404
    assert not ArchiveDocument.objects.exists()
