"""Pages of label codes: list, issuance form (authorized / issued / remaining), issuance page
with bind, void and label-file forms, job page with progress and download. Another county's
user gets 404 on every page of an issuance or job."""

# ruff: noqa: F811

from __future__ import annotations

import pytest
from django.urls import reverse

from dibiao.core.choices import JobStatus
from dibiao.testing.responses import streamed
from dibiao.trace import lookup
from dibiao.trace.choices import CodeStatus
from dibiao.trace.models import CodeIssuance, LabelJob
from dibiao.trace.services import jobs
from dibiao.trace.tests.codes_fixtures import (  # noqa: F401 (fixtures)
    client_as,
    clock,
    code_of,
    county_c1a,
    label_settings,
    other_world,
    product,
    world,
)

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    return response.content.decode()


def test_the_list_shows_the_issuances_in_scope(world, other_world, county_c1a, city_admin):
    mine = world.issue(100)
    theirs = other_world.issue(50)
    for user in (world.user, county_c1a, city_admin):
        page = _text(client_as(user).get(reverse("trace:issuance-list")))
        assert mine.number in page
        assert theirs.number not in page
    searched = client_as(county_c1a).get(reverse("trace:issuance-list"), {"q": "没有这个"})
    assert "没有符合条件的发放记录" in _text(searched)


def test_the_list_is_empty_for_another_county_and_refused_to_administrators(
    world, other_county_admin, sysadmin
):
    world.issue(100)
    page = client_as(other_county_admin).get(reverse("trace:issuance-list"))
    assert page.status_code == 200
    assert "还没有发放标签码" in _text(page)
    assert client_as(sysadmin).get(reverse("trace:issuance-list")).status_code == 403


def test_the_form_shows_authorized_issued_and_remaining_and_issues(world):
    world.issue(12_000)
    client = client_as(world.user)
    page = _text(client.get(reverse("trace:issuance-create")))
    assert '<td style="text-align:right">50000</td>' in page
    assert '<td style="text-align:right">12000</td>' in page
    assert "<strong>38000</strong>" in page

    response = client.post(
        reverse("trace:issuance-create"),
        {"authorization": world.authorization.pk, "count": 10_000},
    )
    issuance = CodeIssuance.objects.latest("id")
    assert response.status_code == 302
    assert response["Location"] == reverse("trace:issuance-detail", args=[issuance.pk])
    assert issuance.count == 10_000


def test_the_form_shows_the_refusal_over_the_quantity(world):
    response = client_as(world.user).post(
        reverse("trace:issuance-create"),
        {"authorization": world.authorization.pk, "count": 60_000},
    )
    assert response.status_code == 200
    assert "超出授权数量" in _text(response)
    assert not CodeIssuance.objects.exists()


def test_the_form_offers_no_authorization_of_another_county(world, other_world):
    response = client_as(other_world.user).post(
        reverse("trace:issuance-create"),
        {"authorization": world.authorization.pk, "count": 10},
    )
    assert response.status_code == 200
    assert "errorlist" in _text(response)
    assert not CodeIssuance.objects.exists()


def test_the_form_is_refused_to_reading_roles(city_admin):
    assert client_as(city_admin).get(reverse("trace:issuance-create")).status_code == 403


def test_the_issuance_page_shows_segments_and_the_forms_its_viewer_may_use(world, county_c1a):
    issuance = world.issue(1000)
    page = _text(client_as(world.user).get(reverse("trace:issuance-detail", args=[issuance.pk])))
    assert "1–1000" in page
    assert "绑定到批次（激活）" in page
    assert world.batch.number in page
    assert "生成标签文件" in page
    assert "作废" in page

    county_page = _text(
        client_as(county_c1a).get(reverse("trace:issuance-detail", args=[issuance.pk]))
    )
    assert "绑定到批次（激活）" not in county_page
    assert f'action="/trace/issuances/{issuance.pk}/void/"' in county_page


def test_binding_and_voiding_through_the_page(world):
    issuance = world.issue(1000)
    client = client_as(world.user)
    url = reverse("trace:issuance-bind", args=[issuance.pk])
    response = client.post(url, {"first_serial": 1, "last_serial": 100, "batch": world.batch.pk})
    assert response.status_code == 302
    assert lookup.check_code(code_of(issuance, 50)).status == CodeStatus.GENUINE

    refused = client.post(
        url, {"first_serial": 50, "last_serial": 150, "batch": world.batch.pk}, follow=True
    )
    assert "序号 50–100 已激活" in _text(refused)

    client.post(
        reverse("trace:issuance-void", args=[issuance.pk]),
        {"first_serial": 90, "last_serial": 110, "reason": "标签破损"},
    )
    assert lookup.check_code(code_of(issuance, 95)).status == CodeStatus.VOIDED
    missing_reason = client.post(
        reverse("trace:issuance-void", args=[issuance.pk]),
        {"first_serial": 200, "last_serial": 210, "reason": ""},
        follow=True,
    )
    assert "作废原因" in _text(missing_reason) or "这个字段是必填项" in _text(missing_reason)
    assert lookup.check_code(code_of(issuance, 205)).status == CodeStatus.NOT_ACTIVATED


def test_an_inverted_range_is_a_form_error(world):
    issuance = world.issue(100)
    response = client_as(world.user).post(
        reverse("trace:issuance-bind", args=[issuance.pk]),
        {"first_serial": 50, "last_serial": 10, "batch": world.batch.pk},
        follow=True,
    )
    assert "起始序号不能大于结束序号" in _text(response)


def test_a_label_job_from_the_page_and_its_download(world):
    issuance = world.issue(100)
    client = client_as(world.user)
    response = client.post(
        reverse("trace:label-job-create", args=[issuance.pk]),
        {"first_serial": 1, "last_serial": 40, "format": "csv"},
    )
    job = LabelJob.objects.get()
    assert response["Location"] == reverse("trace:label-job-detail", args=[job.pk])
    page = _text(client.get(response["Location"]))
    assert "下载标签文件" in page
    assert "40 / 40" in page

    download = client.get(reverse("trace:label-job-download", args=[job.pk]))
    assert download.status_code == 200
    assert download["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in download["Content-Disposition"]
    assert download["X-Content-Type-Options"] == "nosniff"
    body = streamed(download).decode()
    assert body.splitlines()[0] == "code,grouped,url"
    assert "http://testserver/t/" not in body  # the configured public URL wins


def test_a_running_job_page_polls_its_progress(world):
    issuance = world.issue(100)
    job = LabelJob.objects.create(
        issuance=issuance,
        first_serial=1,
        last_serial=100,
        format="csv",
        total=100,
        done=25,
        status=JobStatus.RUNNING,
    )
    client = client_as(world.user)
    page = _text(client.get(reverse("trace:label-job-detail", args=[job.pk])))
    assert 'hx-trigger="every 2s"' in page
    assert "25 / 100" in page
    partial = _text(client.get(reverse("trace:label-job-progress", args=[job.pk])))
    assert partial.lstrip().startswith("<div") or "job-progress" in partial
    assert "<html" not in partial
    not_done = client.get(reverse("trace:label-job-download", args=[job.pk]), follow=True)
    assert "标签文件尚未生成" in _text(not_done)


def test_every_page_of_an_issuance_or_job_is_404_for_another_county(
    world, other_county_admin, other_world
):
    issuance = world.issue(100)
    job = jobs.label_job_create(
        actor=world.user, issuance=issuance, first_serial=1, last_serial=5, format="csv"
    )
    for user in (other_county_admin, other_world.user):
        client = client_as(user)
        for name in ("issuance-detail",):
            assert client.get(reverse(f"trace:{name}", args=[issuance.pk])).status_code == 404
        for name, data in (
            ("issuance-bind", {"first_serial": 1, "last_serial": 5, "batch": world.batch.pk}),
            ("issuance-void", {"first_serial": 1, "last_serial": 5, "reason": "x"}),
            ("label-job-create", {"first_serial": 1, "last_serial": 5, "format": "csv"}),
        ):
            assert (
                client.post(reverse(f"trace:{name}", args=[issuance.pk]), data).status_code == 404
            )
        for name in ("label-job-detail", "label-job-progress", "label-job-download"):
            assert client.get(reverse(f"trace:{name}", args=[job.pk])).status_code == 404
    assert lookup.check_code(code_of(issuance, 1)).status == CodeStatus.NOT_ACTIVATED


def test_pages_need_a_login(world):
    issuance = world.issue(10)
    response = client_as().get(reverse("trace:issuance-detail", args=[issuance.pk]))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_a_reading_role_sees_the_job_but_gets_no_download(world, city_admin):
    issuance = world.issue(100)
    job = jobs.label_job_create(
        actor=world.user, issuance=issuance, first_serial=1, last_serial=5, format="csv"
    )
    client = client_as(city_admin)
    page = _text(client.get(reverse("trace:label-job-detail", args=[job.pk])))
    assert "下载标签文件" not in page
    assert "只供被授权主体" in page
    refused = client.get(reverse("trace:label-job-download", args=[job.pk]), follow=True)
    assert "只有被授权主体或其所在县的县级管理员可以下载标签文件" in _text(refused)
