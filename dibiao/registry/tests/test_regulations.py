"""Production regulations (生产技术规程): versions per product, one current, PDF only, who may
publish, the staff and public pages and the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from dibiao.accounts.choices import OrganizationKind, Role
from dibiao.core.choices import AuditAction
from dibiao.core.errors import ForbiddenError, NotFoundError
from dibiao.core.models import AuditLog
from dibiao.core.uploads import UploadError
from dibiao.registry.choices import ProductStatus, RegulationStatus
from dibiao.registry.errors import RegistryError
from dibiao.registry.models import TechnicalRegulation
from dibiao.registry.permissions import can_publish_regulation
from dibiao.registry.services import regulation_publish
from dibiao.testing.factories import OrganizationFactory, ProductFactory, user_with_role
from dibiao.testing.files import HTML, PDF, pdf_upload
from dibiao.testing.responses import streamed

pytestmark = pytest.mark.django_db


@pytest.fixture
def holder(tree):
    return OrganizationFactory.create(
        name="清徐县葡萄协会", kind=OrganizationKind.PRODUCER, division=tree["c1a"]
    )


@pytest.fixture
def product(tree, holder):
    item = ProductFactory.create(name="清徐葡萄", divisions=[tree["c1a"]])
    item.certificate_holder = holder
    item.save()
    return item


@pytest.fixture
def holder_user(tree, holder):
    return user_with_role(Role.PRODUCER, tree["c1a"], organization=holder)


def _publish(actor, product, version="2020 版", **values):
    data = {
        "title": "清徐葡萄生产技术规程",
        "code": "DB14/T 1234-2020",
        "version": version,
        "effective_on": dt.date(2020, 6, 1),
        "summary": "建园、整形修剪、肥水管理、病虫害防治。",
        "upload": pdf_upload("规程.pdf"),
    }
    data.update(values)
    return regulation_publish(actor=actor, product=product, **data)


def client_as(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def api_as(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


# --- Services ------------------------------------------------------------------------------------


def test_a_new_version_becomes_current_and_supersedes_the_old(product, county_admin):
    first = _publish(county_admin, product)
    second = _publish(county_admin, product, version="2024 版", effective_on=dt.date(2024, 3, 1))
    first.refresh_from_db()
    assert (first.status, second.status) == (RegulationStatus.SUPERSEDED, RegulationStatus.CURRENT)
    assert second.supersedes == first
    assert TechnicalRegulation.objects.filter(status=RegulationStatus.CURRENT).count() == 1
    assert second.file.name.endswith(".pdf")
    assert AuditLog.objects.filter(action=AuditAction.TRANSITION, object_id=str(first.pk)).exists()
    assert AuditLog.objects.filter(action=AuditAction.CREATE, object_id=str(second.pk)).exists()


def test_only_one_current_version_after_many(product, province_admin):
    for year in range(2018, 2025):
        _publish(province_admin, product, version=f"{year} 版")
    current = TechnicalRegulation.objects.filter(product=product, status=RegulationStatus.CURRENT)
    assert list(current.values_list("version", flat=True)) == ["2024 版"]
    assert TechnicalRegulation.objects.filter(product=product).count() == 7


def test_other_products_keep_their_current_version(product, county_admin, tree):
    other = ProductFactory.create(divisions=[tree["c1a"]])
    mine = _publish(county_admin, other)
    _publish(county_admin, product)
    mine.refresh_from_db()
    assert mine.status == RegulationStatus.CURRENT


def test_a_non_pdf_is_refused_and_nothing_changes(product, county_admin):
    first = _publish(county_admin, product)
    for upload in (
        SimpleUploadedFile("规程.pdf", HTML),
        SimpleUploadedFile("规程.docx", b"PK\x03\x04 not really"),
    ):
        with pytest.raises(UploadError) as excinfo:
            _publish(county_admin, product, version="2024 版", upload=upload)
        assert excinfo.value.code == "file_type_not_allowed"
    first.refresh_from_db()
    assert first.status == RegulationStatus.CURRENT
    assert TechnicalRegulation.objects.count() == 1


@pytest.mark.parametrize(
    ("values", "code"),
    [
        ({"version": ""}, "version_required"),
        ({"title": "  "}, "title_required"),
        ({"version": "2020 版"}, "duplicate_version"),
    ],
)
def test_bad_versions_are_refused(product, county_admin, values, code):
    _publish(county_admin, product)
    with pytest.raises(RegistryError) as excinfo:
        _publish(county_admin, product, **values)
    assert excinfo.value.code == code
    assert TechnicalRegulation.objects.count() == 1


def test_a_cancelled_product_takes_no_new_version(product, county_admin):
    product.status = ProductStatus.CANCELLED
    product.save()
    with pytest.raises(RegistryError) as excinfo:
        _publish(county_admin, product)
    assert excinfo.value.code == "product_cancelled"


def test_who_may_publish(product, county_admin, province_admin, holder_user, city_admin, tree):
    assert can_publish_regulation(province_admin, product)
    assert can_publish_regulation(county_admin, product)
    assert can_publish_regulation(holder_user, product)
    assert not can_publish_regulation(city_admin, product)
    neighbour_bureau = user_with_role(Role.COUNTY_ADMIN, tree["c1b"])
    assert not can_publish_regulation(neighbour_bureau, product)
    assert _publish(holder_user, product).uploaded_by == holder_user


def test_scope_and_role_are_enforced(product, other_county_admin, city_admin, tree):
    with pytest.raises(NotFoundError):
        _publish(other_county_admin, product)
    with pytest.raises(ForbiddenError):
        _publish(city_admin, product)
    stranger, _ = _producer(tree)
    with pytest.raises(NotFoundError):
        _publish(stranger, product)
    assert not TechnicalRegulation.objects.exists()


def _producer(tree):
    from dibiao.testing.factories import producer_user

    return producer_user(tree["c1a"])


# --- Pages ---------------------------------------------------------------------------------------


def test_the_staff_page_lists_versions_and_uploads_a_new_one(product, county_admin):
    _publish(county_admin, product)
    client = client_as(county_admin)
    html = client.get(reverse("registry:product-detail", args=[product.pk])).content.decode()
    assert "生产技术规程" in html
    assert "DB14/T 1234-2020" in html
    assert "上传新版本" in html
    response = client.post(
        reverse("registry:regulation-upload", args=[product.pk]),
        {
            "title": "清徐葡萄生产技术规程",
            "code": "DB14/T 1234-2024",
            "version": "2024 版",
            "effective_on": "2024-03-01",
            "file": SimpleUploadedFile("新规程.pdf", PDF),
        },
        follow=True,
    )
    html = response.content.decode()
    assert "已发布为现行版本" in html
    assert "已替代" in html
    assert TechnicalRegulation.objects.get(status=RegulationStatus.CURRENT).version == "2024 版"


def test_the_staff_page_refuses_a_non_pdf_with_a_message(product, county_admin):
    response = client_as(county_admin).post(
        reverse("registry:regulation-upload", args=[product.pk]),
        {
            "title": "规程",
            "version": "1",
            "effective_on": "2024-03-01",
            "file": SimpleUploadedFile("规程.pdf", HTML),
        },
        follow=True,
    )
    assert "HTML 网页" in response.content.decode()
    assert not TechnicalRegulation.objects.exists()


def test_the_upload_form_is_only_for_publishers(product, city_admin):
    html = client_as(city_admin).get(reverse("registry:product-detail", args=[product.pk]))
    assert "上传新版本" not in html.content.decode()
    response = client_as(city_admin).post(reverse("registry:regulation-upload", args=[product.pk]))
    assert response.status_code == 403


def test_another_county_gets_404(product, county_admin, other_county_admin):
    regulation = _publish(county_admin, product)
    client = client_as(other_county_admin)
    download = reverse("registry:regulation-download", args=[product.pk, regulation.pk])
    assert client.get(download).status_code == 404
    response = client.post(reverse("registry:regulation-upload", args=[product.pk]))
    assert response.status_code == 404
    api_response = api_as(other_county_admin).get(f"/api/v1/products/{product.pk}/regulations/")
    assert api_response.status_code == 404


def test_staff_download_of_any_version(product, county_admin):
    first = _publish(county_admin, product)
    _publish(county_admin, product, version="2024 版")
    response = client_as(county_admin).get(
        reverse("registry:regulation-download", args=[product.pk, first.pk])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert streamed(response).startswith(b"%PDF")


def test_the_public_page_shows_the_current_version_and_its_download(product, county_admin):
    _publish(county_admin, product)
    _publish(county_admin, product, version="2024 版", code="DB14/T 1234-2024")
    html = client_as().get(reverse("registry:public-product-detail", args=[product.pk])).content
    text = html.decode()
    assert "2024 版" in text
    assert "DB14/T 1234-2024" in text
    assert "2020 版" not in text
    response = client_as().get(reverse("registry:public-regulation-download", args=[product.pk]))
    assert response.status_code == 200
    assert streamed(response).startswith(b"%PDF")


def test_the_public_page_without_a_regulation(product):
    html = client_as().get(reverse("registry:public-product-detail", args=[product.pk])).content
    assert "生产技术规程" not in html.decode()
    response = client_as().get(reverse("registry:public-regulation-download", args=[product.pk]))
    assert response.status_code == 404


# --- API -----------------------------------------------------------------------------------------


def test_api_lists_and_creates_versions(product, county_admin):
    _publish(county_admin, product)
    client = api_as(county_admin)
    response = client.post(
        f"/api/v1/products/{product.pk}/regulations/",
        {
            "title": "清徐葡萄生产技术规程",
            "version": "2024 版",
            "effective_on": "2024-03-01",
            "file": SimpleUploadedFile("规程.pdf", PDF),
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    created = response.json()
    assert (created["status"], created["version"]) == ("current", "2024 版")
    assert created["download_url"].startswith(f"/registry/products/{product.pk}/regulations/")
    rows = client.get(f"/api/v1/products/{product.pk}/regulations/").json()
    assert [(r["version"], r["status"]) for r in rows] == [
        ("2024 版", "current"),
        ("2020 版", "superseded"),
    ]
    assert rows[0]["supersedes"] == rows[1]["id"]


def test_api_refuses_a_non_pdf_and_non_publishers(product, county_admin, city_admin):
    body = {
        "title": "规程",
        "version": "1",
        "effective_on": "2024-03-01",
        "file": SimpleUploadedFile("规程.pdf", HTML),
    }
    response = api_as(county_admin).post(
        f"/api/v1/products/{product.pk}/regulations/", body, format="multipart"
    )
    assert (response.status_code, response.json()["code"]) == (400, "file_type_not_allowed")
    body["file"] = SimpleUploadedFile("规程.pdf", PDF)
    response = api_as(city_admin).post(
        f"/api/v1/products/{product.pk}/regulations/", body, format="multipart"
    )
    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
    response = api_as(county_admin).post(
        f"/api/v1/products/{product.pk}/regulations/", {"title": "x"}, format="multipart"
    )
    assert (response.status_code, response.json()["code"]) == (400, "invalid")
    assert not TechnicalRegulation.objects.exists()


def test_api_upload_from_another_scope_is_a_404_and_writes_nothing(
    product, county_admin, other_county_admin, tree
):
    _publish(county_admin, product)
    stranger, _ = _producer(tree)
    for user in (other_county_admin, stranger):
        response = api_as(user).post(
            f"/api/v1/products/{product.pk}/regulations/",
            {
                "title": "规程",
                "version": "2024 版",
                "effective_on": "2024-03-01",
                "file": SimpleUploadedFile("规程.pdf", PDF),
            },
            format="multipart",
        )
        assert (response.status_code, response.json()["code"]) == (404, "not_found"), user
    assert list(TechnicalRegulation.objects.values_list("version", flat=True)) == ["2020 版"]


def test_a_version_of_another_product_is_not_reached_through_this_one(
    product, county_admin, other_county_admin, tree
):
    """The download address pairs the product and the version: an in-scope product with the
    id of a version of a product out of scope is a 404, not that version's file."""
    theirs = ProductFactory.create(divisions=[tree["c2a"]])
    hidden = _publish(other_county_admin, theirs)
    mine = _publish(county_admin, product)
    client = client_as(county_admin)
    crossed = reverse("registry:regulation-download", args=[product.pk, hidden.pk])
    assert client.get(crossed).status_code == 404
    own = reverse("registry:regulation-download", args=[product.pk, mine.pk])
    assert client.get(own).status_code == 200
