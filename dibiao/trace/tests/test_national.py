"""The NY/T 4712-2025 national-platform document (stage, subject, source, destination,
inbound and outbound batches) and its submission through the configurable client."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import pytest
from django.urls import reverse

from dibiao.accounts.models import User
from dibiao.core.models import AuditLog, Division
from dibiao.testing.factories import ProductFactory, producer_user, production_base
from dibiao.trace import national
from dibiao.trace.services.exports import batch_national_submit
from dibiao.trace.tests.batches_fixtures import Farm, api_as, client_as, harvest, make_batch
from dibiao.trace.tests.certificates_fixtures import Story, story

pytestmark = pytest.mark.django_db

CLIENT_SETTING = "DIBIAO_NATIONAL_PLATFORM_CLIENT"


class RecordingClient:
    """A stand-in for a real platform client: keeps what it was sent."""

    sent: ClassVar[list[Mapping[str, Any]]] = []

    def submit(self, document: Mapping[str, Any]) -> national.SubmissionResult:
        self.sent.append(document)
        return national.SubmissionResult(accepted=False, reference="R-42", message="字段缺失")


class BrokenClient:
    def submit(self, document: Mapping[str, Any]) -> national.SubmissionResult:
        raise ConnectionError("platform down")


class NotAClient:
    pass


@pytest.fixture
def demo(tree: dict[str, Division]) -> Story:
    return story(tree["c1a"], tree["c2a"])


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


# --- The document ---------------------------------------------------------------------------------


def test_document_follows_the_stage_structure(demo: Story) -> None:
    document = national.batch_national_document(demo.received)
    assert document["standard"] == "NY/T 4712-2025"
    assert document["trace_code"] == demo.received.number
    stages = [s["stage"] for s in document["stages"]]
    assert stages == ["production", "storage", "processing", "sale", "transport"]
    production, storage, processing, sale, transport = document["stages"]
    farm_subject = {
        "name": demo.farm.producer.name,
        "credit_code": demo.farm.producer.credit_code,
        "division_code": demo.farm.producer.division.code,
    }
    assert production["subject"] == farm_subject
    assert production["inbound_batches"] == []
    assert production["outbound_batches"] == [
        {"trace_code": demo.batch.number, "quantity": "800", "unit": "千克"}
    ]
    assert production["time"] == "2026-09-01T10:00:00+08:00"
    # Stored goods go on under their own trace code.
    assert storage["outbound_batches"] == storage["inbound_batches"]
    assert processing["inbound_batches"][0]["trace_code"] == demo.batch.number
    assert processing["outbound_batches"][0]["trace_code"] == demo.processed.number
    assert sale["destination"]["name"] == "晋中果品批发公司"
    assert sale["destination"]["credit_code"] == demo.wholesaler.credit_code
    assert sale["outbound_batches"][0]["trace_code"] == demo.received.number
    assert transport["subject"]["name"] == "晋中果品批发公司"
    assert set(production) == {
        "stage",
        "stage_name",
        "subject",
        "source",
        "destination",
        "inbound_batches",
        "outbound_batches",
        "time",
        "place",
    }
    assert all(f"{key}" in national.FIELD_TERMS for key in production if key != "stage_name")


def test_individual_farmers_are_exported_without_their_id_number(
    tree: dict[str, Division],
) -> None:
    login, farmer = producer_user(tree["c1a"], kind="large_household", name="李大户")
    product = ProductFactory.create(divisions=[tree["c1a"]])
    f = Farm(login, farmer, production_base(farmer, product), product)
    batch = make_batch(f, harvest(f))
    text = json.dumps(national.batch_national_document(batch), ensure_ascii=False)
    assert "李大户" in text
    assert farmer.id_number_masked[-4:] not in text
    assert json.loads(text)["stages"][0]["subject"]["credit_code"] is None


# --- The client -----------------------------------------------------------------------------------


def test_default_client_writes_the_document_under_media(demo: Story, media: Path) -> None:
    result = batch_national_submit(actor=demo.farm.user, batch=demo.batch)
    assert result.accepted
    assert result.reference.startswith("trace/national/")
    written = json.loads((media / result.reference).read_text(encoding="utf-8"))
    assert written["trace_code"] == demo.batch.number
    audit = AuditLog.objects.get(action="export", object_type="trace.batch")
    assert "报送国家追溯平台：已接收" in audit.detail
    assert result.reference in audit.detail


def test_configured_client_is_used(demo: Story, settings: Any) -> None:
    settings.DIBIAO_NATIONAL_PLATFORM_CLIENT = f"{__name__}.RecordingClient"
    RecordingClient.sent.clear()
    result = batch_national_submit(actor=None, batch=demo.batch)
    assert (result.accepted, result.reference) == (False, "R-42")
    assert [d["trace_code"] for d in RecordingClient.sent] == [demo.batch.number]
    assert "未接收；R-42；字段缺失" in AuditLog.objects.get(action="export").detail


def test_failing_client_is_a_coded_error_and_audited(demo: Story, settings: Any) -> None:
    settings.DIBIAO_NATIONAL_PLATFORM_CLIENT = f"{__name__}.BrokenClient"
    response = api_as(demo.farm.user).post(f"/api/v1/batches/{demo.batch.pk}/national/submit/")
    assert response.status_code == 502
    assert response.json()["code"] == "national_submit_failed"
    assert "ConnectionError" in AuditLog.objects.get(action="export").detail


def test_a_class_without_submit_is_refused(settings: Any) -> None:
    settings.DIBIAO_NATIONAL_PLATFORM_CLIENT = f"{__name__}.NotAClient"
    with pytest.raises(TypeError):
        national.national_client()


# --- API and page ---------------------------------------------------------------------------------


def test_api_document_and_submission(demo: Story, media: Path) -> None:
    client = api_as(demo.farm.user)
    document = client.get(f"/api/v1/batches/{demo.batch.pk}/national/")
    assert document.status_code == 200
    assert document.json()["trace_code"] == demo.batch.number
    submitted = client.post(
        f"/api/v1/batches/{demo.batch.pk}/national/submit/", HTTP_IDEMPOTENCY_KEY="n-1"
    )
    again = client.post(
        f"/api/v1/batches/{demo.batch.pk}/national/submit/", HTTP_IDEMPOTENCY_KEY="n-1"
    )
    assert submitted.status_code == 200
    assert submitted.json()["accepted"] is True
    assert again["Idempotent-Replayed"] == "true"
    assert len(list((media / "trace" / "national").iterdir())) == 1
    assert AuditLog.objects.filter(action="export").count() == 2  # the download and one submission


def test_api_scope_and_rights(
    demo: Story, other_county_admin: User, city_admin: User, province_admin: User, media: Path
) -> None:
    url = f"/api/v1/batches/{demo.batch.pk}/national/"
    assert api_as(other_county_admin).get(url).status_code == 404
    assert api_as(other_county_admin).post(f"{url}submit/").status_code == 404
    assert api_as(city_admin).get(url).status_code == 200
    refused = api_as(city_admin).post(f"{url}submit/")
    assert (refused.status_code, refused.json()["code"]) == (403, "permission_denied")
    assert api_as(province_admin).post(f"{url}submit/").status_code == 200


def test_page_download_and_submit(demo: Story, media: Path, other_county_admin: User) -> None:
    client = client_as(demo.farm.user)
    download = client.get(reverse("trace:export-national", args=[demo.batch.pk]))
    assert download.status_code == 200
    assert json.loads(download.content)["trace_code"] == demo.batch.number
    done = client.post(reverse("trace:export-national-submit", args=[demo.batch.pk]), follow=True)
    assert "已写入导出文件" in done.content.decode()
    other = client_as(other_county_admin)
    assert other.get(reverse("trace:export-national", args=[demo.batch.pk])).status_code == 404
    assert (
        other.post(reverse("trace:export-national-submit", args=[demo.batch.pk])).status_code == 404
    )
