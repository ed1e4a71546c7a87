"""EPCIS 2.0 export: the validator (GS1's schema with format checking) accepts GS1's examples
and our documents, refuses an event without eventTime; the mapping of harvest, processing and
shipments; identifiers; the API (scoped, application/ld+json, audited) and the page download."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse

from dibiao.accounts.models import User
from dibiao.core.models import AuditLog, Division
from dibiao.trace import epcis
from dibiao.trace.tests.batches_fixtures import api_as, client_as, event, farm, make_batch
from dibiao.trace.tests.certificates_fixtures import Story, recall, story

pytestmark = pytest.mark.django_db

ORIGIN = "https://dibiao.example.cn"
EXAMPLES = Path(settings.BASE_DIR).parent / "shared" / "standards" / "epcis"
EXAMPLE_FILES = [
    "Example_9.6.1-ObjectEvent.jsonld",
    "Example_9.6.1-ObjectEventWithDigitalLink.jsonld",
    "Example_9.6.4-TransformationEvent.jsonld",
]


def _events(document: dict[str, Any]) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = document["epcisBody"]["eventList"]
    return events


def _stage(document: dict[str, Any], stage: str) -> list[dict[str, Any]]:
    return [e for e in _events(document) if e.get("dibiao:stage") == stage]


# --- The validator -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", EXAMPLE_FILES)
def test_gs1_examples_validate(name: str) -> None:
    if not EXAMPLES.is_dir():
        pytest.skip("shared/standards is not beside the repository")
    document = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    assert epcis.epcis_errors(document) == []


def test_the_copied_schema_is_gs1s() -> None:
    if not EXAMPLES.is_dir():
        pytest.skip("shared/standards is not beside the repository")
    shared = json.loads((EXAMPLES / "EPCIS-JSON-Schema.json").read_text(encoding="utf-8"))
    assert epcis.epcis_schema() == shared


def test_format_checking_is_on() -> None:
    """Without a FormatChecker (and rfc3986-validator) `format: uri` is ignored and a made-up
    bizStep such as "harvesting" would pass."""
    document = json.loads((EXAMPLES / EXAMPLE_FILES[0]).read_text(encoding="utf-8"))
    _events(document)[0]["bizStep"] = "harvesting"
    assert any("bizStep" in error for error in epcis.epcis_errors(document))


# --- Our documents ---------------------------------------------------------------------------------


@pytest.fixture
def demo(tree: dict[str, Division]) -> Story:
    return story(tree["c1a"], tree["c2a"])


def test_demo_like_batch_validates(demo: Story) -> None:
    for batch in (demo.batch, demo.processed, demo.received):
        document = epcis.batch_epcis_document(batch, origin=ORIGIN)
        assert epcis.epcis_errors(document) == [], batch.number
        assert document["type"] == "EPCISDocument"
        assert document["schemaVersion"] == "2.0"
        assert document["@context"][0] == epcis.EPCIS_CONTEXT
        assert document["@context"][1] == {"dibiao": f"{ORIGIN}/ns/epcis/"}


def test_an_event_without_event_time_fails(demo: Story) -> None:
    document = epcis.batch_epcis_document(demo.received, origin=ORIGIN)
    broken = copy.deepcopy(document)
    del _events(broken)[0]["eventTime"]
    errors = epcis.epcis_errors(broken)
    assert any("'eventTime' is a required property" in error for error in errors)


def test_a_non_uri_class_identifier_fails(demo: Story) -> None:
    document = epcis.batch_epcis_document(demo.batch, origin=ORIGIN)
    _events(document)[0]["quantityList"][0]["epcClass"] = "批次 001"
    assert epcis.epcis_errors(document) != []


def test_harvest_is_commissioning_with_ilmd_and_agricultural_detail(demo: Story) -> None:
    document = epcis.batch_epcis_document(demo.batch, origin=ORIGIN)
    harvest = _events(document)[0]
    assert harvest["type"] == "ObjectEvent"
    assert harvest["action"] == "ADD"
    assert harvest["bizStep"] == "commissioning"
    assert harvest["eventTime"] == "2026-09-01T10:00:00.000+08:00"
    assert harvest["eventTimeZoneOffset"] == "+08:00"
    ilmd = harvest["ilmd"]
    assert ilmd["cbvmda:lotNumber"] == demo.batch.number
    assert ilmd["dibiao:harvestDate"] == "2026-09-01"
    assert ilmd["dibiao:product"] == demo.farm.product.name
    assert ilmd["dibiao:base"] == demo.farm.base.name
    agriculture = harvest["dibiao:agriculture"]
    assert [i["name"] for i in agriculture["inputs"]] == ["吡虫啉"]
    assert agriculture["bases"][0]["name"] == demo.farm.base.name
    assert harvest["bizLocation"] == {"id": f"{ORIGIN}/id/base/{demo.farm.base.pk}"}
    # No person: the logs' operator never leaves the platform.
    assert "王师傅" not in json.dumps(document, ensure_ascii=False)


def test_gtin_batches_use_digital_link_class_identifiers(demo: Story) -> None:
    document = epcis.batch_epcis_document(demo.batch, origin=ORIGIN)
    epc_class = _events(document)[0]["quantityList"][0]
    assert epc_class == {
        "epcClass": f"https://id.gs1.org/01/01234567890128/10/{demo.batch.number}",
        "quantity": 800.0,
        "uom": "KGM",
    }


def test_batches_without_gtin_use_a_platform_uri(tree: dict[str, Division]) -> None:
    f = farm(tree["c1a"])
    batch = make_batch(f)
    document = epcis.batch_epcis_document(batch, origin=ORIGIN)
    assert _events(document)[0]["quantityList"][0]["epcClass"] == (
        f"{ORIGIN}/id/batch/{batch.number}"
    )
    assert epcis.epcis_errors(document) == []


def test_processing_is_a_transformation(demo: Story) -> None:
    document = epcis.batch_epcis_document(demo.processed, origin=ORIGIN)
    (processing,) = _stage(document, "processing")
    assert processing["type"] == "TransformationEvent"
    assert [q["quantity"] for q in processing["inputQuantityList"]] == [600.0]
    assert processing["outputQuantityList"][0]["epcClass"].endswith(demo.processed.number)


def test_shipping_and_storage_are_observations_with_parties(demo: Story) -> None:
    document = epcis.batch_epcis_document(demo.received, origin=ORIGIN)
    (storage,) = _stage(document, "storage")
    assert (storage["action"], storage["bizStep"]) == ("OBSERVE", "storing")
    sale_events = _stage(document, "sale")
    observation = next(e for e in sale_events if e["type"] == "ObjectEvent")
    assert (observation["action"], observation["bizStep"]) == ("OBSERVE", "shipping")
    assert observation["sourceList"] == [
        {"type": "owning_party", "source": f"{ORIGIN}/id/party/{demo.farm.producer.credit_code}"}
    ]
    assert observation["destinationList"] == [
        {
            "type": "owning_party",
            "destination": f"{ORIGIN}/id/party/{demo.wholesaler.credit_code}",
        }
    ]
    # The goods go on under the wholesaler's batch number: a transformation as well.
    relabel = next(e for e in sale_events if e["type"] == "TransformationEvent")
    assert relabel["bizStep"] == "repackaging"
    assert relabel["outputQuantityList"][0]["epcClass"].endswith(demo.received.number)
    (transport,) = _stage(document, "transport")
    assert transport["bizStep"] == "shipping"
    assert transport["dibiao:recordedBy"] == "晋中果品批发公司"


def test_purchase_by_a_named_buyer_is_receiving(tree: dict[str, Division]) -> None:
    f = farm(tree["c1a"])
    batch = make_batch(f)
    event(f, "purchase", "2026-09-03", [(batch, "100")], destination_name="太原果品收购站")
    document = epcis.batch_epcis_document(batch, origin=ORIGIN)
    (purchase,) = _stage(document, "purchase")
    assert (purchase["bizStep"], purchase["quantityList"][0]["quantity"]) == ("receiving", 100.0)
    assert purchase["sourceList"][0]["source"].endswith(f.producer.credit_code)
    destination = purchase["destinationList"][0]["destination"]
    assert (
        destination
        == f"{ORIGIN}/id/party/name/%E5%A4%AA%E5%8E%9F%E6%9E%9C%E5%93%81%E6%94%B6%E8%B4%AD%E7%AB%99"
    )
    assert purchase["dibiao:destinationName"] == "太原果品收购站"
    assert epcis.epcis_errors(document) == []


def test_recall_is_an_observation_with_disposition_recalled(demo: Story) -> None:
    recall(demo.batch)
    document = epcis.batch_epcis_document(demo.processed, origin=ORIGIN)
    recalled = [e for e in _events(document) if e.get("disposition") == "recalled"]
    assert {e["quantityList"][0]["epcClass"].rsplit("/", 1)[1] for e in recalled} >= {
        demo.batch.number,
        demo.processed.number,
    }
    assert epcis.epcis_errors(document) == []


@pytest.mark.parametrize(
    ("lot", "expected"),
    [
        ("A-1/2", "https://id.gs1.org/01/01234567890128/10/A-1%2F2"),
        ("批次一", None),
        ("x" * 21, None),
    ],
)
def test_digital_link_uri_needs_a_gs1_lot(lot: str, expected: str | None) -> None:
    assert epcis.digital_link_uri("1234567890128", lot) == expected


# --- API and page ---------------------------------------------------------------------------------


def test_api_returns_json_ld_and_audits(demo: Story) -> None:
    response = api_as(demo.farm.user).get(f"/api/v1/batches/{demo.batch.pk}/epcis/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/ld+json")
    document = json.loads(response.content)
    assert epcis.epcis_errors(document) == []
    assert _events(document)[0]["eventID"].startswith("http://testserver/id/batch/")
    audit = AuditLog.objects.get(action="export", object_type="trace.batch")
    assert audit.object_id == str(demo.batch.pk)
    assert "EPCIS" in audit.detail


def test_an_invalid_document_never_leaves(demo: Story, monkeypatch: pytest.MonkeyPatch) -> None:
    """Should our mapping ever produce an invalid document, the export refuses it (coded 500)
    rather than handing it out, and nothing is recorded as exported."""
    from dibiao.trace.services import exports

    def broken(batch: Any, *, origin: str) -> dict[str, Any]:
        document = epcis.batch_epcis_document(batch, origin=origin)
        del _events(document)[0]["eventTime"]
        return document

    monkeypatch.setattr(exports, "batch_epcis_document", broken)
    response = api_as(demo.farm.user).get(f"/api/v1/batches/{demo.batch.pk}/epcis/")
    assert response.status_code == 500
    assert response.json()["code"] == "epcis_invalid"
    assert not AuditLog.objects.filter(action="export").exists()


def test_api_other_county_gets_404(demo: Story, other_county_admin: User) -> None:
    # c2a holds the wholesaler, not the farm's batch.
    response = api_as(other_county_admin).get(f"/api/v1/batches/{demo.batch.pk}/epcis/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert not AuditLog.objects.filter(action="export").exists()


def test_api_refuses_roles_without_trace_data(demo: Story, lab_user: User) -> None:
    assert api_as(lab_user).get(f"/api/v1/batches/{demo.batch.pk}/epcis/").status_code == 404
    assert api_as().get(f"/api/v1/batches/{demo.batch.pk}/epcis/").status_code == 401


def test_export_page_lists_batches_and_downloads(demo: Story, other_county_admin: User) -> None:
    client = client_as(demo.farm.user)
    page = client.get(reverse("trace:export-list"))
    text = page.content.decode()
    assert demo.batch.number in text
    assert reverse("trace:export-epcis", args=[demo.batch.pk]) in text
    download = client.get(reverse("trace:export-epcis", args=[demo.batch.pk]))
    assert download.status_code == 200
    assert download["Content-Type"].startswith("application/ld+json")
    assert "attachment" in download["Content-Disposition"]
    assert epcis.epcis_errors(json.loads(download.content)) == []
    other = client_as(other_county_admin)
    assert other.get(reverse("trace:export-epcis", args=[demo.batch.pk])).status_code == 404
    assert demo.batch.number not in other.get(reverse("trace:export-list")).content.decode()
