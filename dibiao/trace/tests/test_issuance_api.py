"""API of label codes: issuances, segments, bind, void, label jobs and their download, scoped
(another county's ids are 404), coded errors as {"code", "message"}, idempotent writes, and the
endpoints described in the OpenAPI schema."""

# ruff: noqa: F811

from __future__ import annotations

import pytest

from dibiao.testing.responses import streamed
from dibiao.trace import lookup
from dibiao.trace.choices import CodeStatus
from dibiao.trace.models import CodeIssuance, LabelJob
from dibiao.trace.services import jobs
from dibiao.trace.tests.codes_fixtures import (  # noqa: F401 (fixtures)
    api_as,
    clock,
    code_of,
    county_c1a,
    label_settings,
    other_world,
    product,
    world,
)

pytestmark = pytest.mark.django_db
API = "/api/v1"


def test_issue_list_and_detail(world, other_world):
    api = api_as(world.user)
    created = api.post(
        f"{API}/code-issuances/",
        {"authorization": world.authorization.pk, "count": 10_000},
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["count"] == 10_000
    assert body["first_serial"] == 1
    assert body["last_serial"] == 10_000
    assert body["state_totals"] == {"issued": 10_000, "active": 0, "voided": 0}
    assert body["actions"] == ["bind", "labels", "void"]
    assert body["authorization"]["number"] == world.authorization.number
    other_world.issue(10)

    listed = api.get(f"{API}/code-issuances/").json()
    assert listed["count"] == 1
    assert listed["results"][0]["number"] == body["number"]
    detail = api.get(f"{API}/code-issuances/{body['id']}/").json()
    assert detail["producer"]["name"] == world.producer.name


def test_issuing_over_the_quantity_is_a_409_with_its_code(world):
    world.issue(45_000)
    response = api_as(world.user).post(
        f"{API}/code-issuances/",
        {"authorization": world.authorization.pk, "count": 6_000},
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "over_authorized_quantity"
    assert "剩余 5,000 枚" in response.json()["message"]


def test_bad_input_is_a_400_never_a_500(world):
    api = api_as(world.user)
    for payload in (
        {"authorization": world.authorization.pk, "count": 0},
        {"authorization": world.authorization.pk, "count": "many"},
        {"authorization": "x", "count": 10},
        {"count": 10},
        {"authorization": 10**30, "count": 10},
    ):
        response = api.post(f"{API}/code-issuances/", payload, format="json")
        assert response.status_code == 400, payload
        assert response.json()["code"] == "invalid"
    assert not CodeIssuance.objects.exists()


def test_another_countys_authorization_reads_as_missing(world, other_world):
    response = api_as(other_world.user).post(
        f"{API}/code-issuances/",
        {"authorization": world.authorization.pk, "count": 10},
        format="json",
    )
    assert response.status_code == 400
    assert "authorization" in response.json()["errors"]


def test_bind_void_and_segments(world):
    issuance = world.issue(1000)
    api = api_as(world.user)
    bound = api.post(
        f"{API}/code-issuances/{issuance.pk}/bind/",
        {"first_serial": 1, "last_serial": 300, "batch": world.batch.pk},
        format="json",
    )
    assert bound.status_code == 200, bound.json()
    assert bound.json()["state_totals"]["active"] == 300
    voided = api.post(
        f"{API}/code-issuances/{issuance.pk}/void/",
        {"first_serial": 251, "last_serial": 400, "reason": "印刷错误"},
        format="json",
    )
    assert voided.json()["state_totals"] == {"issued": 600, "active": 250, "voided": 150}
    segments = api.get(f"{API}/code-issuances/{issuance.pk}/segments/").json()["results"]
    assert [(s["first_serial"], s["last_serial"], s["state"], s["count"]) for s in segments] == [
        (1, 250, "active", 250),
        (251, 400, "voided", 150),
        (401, 1000, "issued", 600),
    ]
    assert segments[0]["batch"] == {"id": world.batch.pk, "number": world.batch.number}
    only_voided = api.get(f"{API}/code-issuances/{issuance.pk}/segments/?state=voided").json()
    assert only_voided["count"] == 1
    assert api.get(f"{API}/code-issuances/{issuance.pk}/segments/?state=x").status_code == 400

    conflict = api.post(
        f"{API}/code-issuances/{issuance.pk}/bind/",
        {"first_serial": 200, "last_serial": 260, "batch": world.batch.pk},
        format="json",
    )
    assert conflict.status_code == 409
    assert conflict.json()["code"] == "range_conflict"
    assert "200–250" in conflict.json()["message"]


def test_bind_is_idempotent_with_a_key(world):
    issuance = world.issue(100)
    api = api_as(world.user)
    payload = {"first_serial": 1, "last_serial": 10, "batch": world.batch.pk}
    url = f"{API}/code-issuances/{issuance.pk}/bind/"
    first = api.post(url, payload, format="json", HTTP_IDEMPOTENCY_KEY="bind-1")
    again = api.post(url, payload, format="json", HTTP_IDEMPOTENCY_KEY="bind-1")
    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"


def test_the_county_bureau_voids_but_does_not_bind(world, county_c1a):
    issuance = world.issue(100)
    api = api_as(county_c1a)
    refused = api.post(
        f"{API}/code-issuances/{issuance.pk}/bind/",
        {"first_serial": 1, "last_serial": 10, "batch": world.batch.pk},
        format="json",
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "permission_denied"
    voided = api.post(
        f"{API}/code-issuances/{issuance.pk}/void/",
        {"first_serial": 1, "last_serial": 10, "reason": "监督抽查发现重复印刷"},
        format="json",
    )
    assert voided.status_code == 200
    assert lookup.check_code(code_of(issuance, 5)).status == CodeStatus.VOIDED


def test_a_label_job_through_the_api(world):
    issuance = world.issue(100)
    api = api_as(world.user)
    created = api.post(
        f"{API}/code-issuances/{issuance.pk}/label-jobs/",
        {"first_serial": 1, "last_serial": 40, "format": "pdf_a4"},
        format="json",
    )
    assert created.status_code == 202, created.json()
    job = created.json()
    # The test settings run tasks at once; a real worker would answer "queued" here.
    assert job["status"] == "done"
    assert job["download_url"] == f"{API}/label-jobs/{job['id']}/download/"
    assert api.get(f"{API}/label-jobs/{job['id']}/").json()["done"] == 40
    listed = api.get(f"{API}/code-issuances/{issuance.pk}/label-jobs/").json()
    assert [j["id"] for j in listed["results"]] == [job["id"]]

    download = api.get(job["download_url"])
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert streamed(download).startswith(b"%PDF")


def test_a_job_not_done_cannot_be_downloaded(world):
    issuance = world.issue(100)
    job = LabelJob.objects.create(
        issuance=issuance, first_serial=1, last_serial=10, format="csv", total=10
    )
    response = api_as(world.user).get(f"{API}/label-jobs/{job.pk}/download/")
    assert response.status_code == 409
    assert response.json()["code"] == "job_not_done"


def test_another_countys_issuances_and_jobs_are_404(world, other_county_admin, other_world):
    issuance = world.issue(100)
    job = jobs.label_job_create(
        actor=world.user, issuance=issuance, first_serial=1, last_serial=5, format="csv"
    )
    for user in (other_county_admin, other_world.user):
        api = api_as(user)
        assert api.get(f"{API}/code-issuances/").json()["count"] == 0
        for url in (
            f"{API}/code-issuances/{issuance.pk}/",
            f"{API}/code-issuances/{issuance.pk}/segments/",
            f"{API}/code-issuances/{issuance.pk}/label-jobs/",
            f"{API}/label-jobs/{job.pk}/",
            f"{API}/label-jobs/{job.pk}/download/",
        ):
            response = api.get(url)
            assert response.status_code == 404, url
            assert response.json()["code"] == "not_found"
        for url, payload in (
            (
                f"{API}/code-issuances/{issuance.pk}/bind/",
                {"first_serial": 1, "last_serial": 5, "batch": other_world.batch.pk},
            ),
            (
                f"{API}/code-issuances/{issuance.pk}/void/",
                {"first_serial": 1, "last_serial": 5, "reason": "x"},
            ),
            (
                f"{API}/code-issuances/{issuance.pk}/label-jobs/",
                {"first_serial": 1, "last_serial": 5, "format": "csv"},
            ),
        ):
            assert api.post(url, payload, format="json").status_code == 404, url
    assert lookup.check_code(code_of(issuance, 1)).status == CodeStatus.NOT_ACTIVATED


def test_anonymous_callers_are_refused(world):
    issuance = world.issue(10)
    response = api_as().get(f"{API}/code-issuances/{issuance.pk}/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_the_endpoints_are_in_the_openapi_schema(world):
    schema = api_as(world.user).get("/api/schema/?format=json").json()
    for path in (
        "/api/v1/code-issuances/",
        "/api/v1/code-issuances/{id}/",
        "/api/v1/code-issuances/{id}/segments/",
        "/api/v1/code-issuances/{id}/bind/",
        "/api/v1/code-issuances/{id}/void/",
        "/api/v1/code-issuances/{id}/label-jobs/",
        "/api/v1/label-jobs/{id}/",
        "/api/v1/label-jobs/{id}/download/",
    ):
        assert path in schema["paths"], path
    create = schema["paths"]["/api/v1/code-issuances/"]["post"]
    assert "over_authorized_quantity" in create["summary"]
