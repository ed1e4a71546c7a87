"""Pages of label-use authorization: list with filters and export, the application form, the
detail page and its actions, the public list; another county's user gets 404 everywhere."""

# The fixtures are imported from authorization_fixtures (pytest loads only conftest.py
# by itself), so every test parameter naming one "redefines" the import.
# ruff: noqa: F811

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from dibiao.core.models import AuditLog
from dibiao.producers.models import LabelAuthorization
from dibiao.producers.selectors import producer_list_for_user
from dibiao.producers.services import authorizations as services
from dibiao.producers.services import directory as services_directory
from dibiao.producers.tests.authorization_fixtures import (  # noqa: F401 (fixtures)
    YEAR,
    applicant,
    applicant_pair,
    applicant_user,
    application_data,
    apply,
    approved,
    approved_for,
    clock,
    holder_org,
    holder_user,
    pending_county,
    pending_holder,
    product,
)
from dibiao.registry.choices import ProductStatus
from dibiao.testing.factories import ProductFactory, producer
from dibiao.testing.responses import xlsx_rows

pytestmark = pytest.mark.django_db


def client_as(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def detail_url(a) -> str:
    return reverse("producers:authorization-detail", args=[a.pk])


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- List and export -------------------------------------------------------------------------


def test_county_admin_lists_its_countys_authorizations(county_admin, approved, pending_holder):
    response = client_as(county_admin).get(reverse("producers:authorization-list"))
    assert response.status_code == 200
    rows = list(response.context["object_list"])
    assert rows == [approved]
    assert approved.number in response.content.decode()


def test_other_county_sees_an_empty_list(other_county_admin, approved):
    response = client_as(other_county_admin).get(reverse("producers:authorization-list"))
    assert response.status_code == 200
    assert list(response.context["object_list"]) == []
    assert "还没有标志使用授权" in response.content.decode()


def test_producer_sees_its_own_and_the_holder_sees_its_products(
    tree, approved, applicant_user, holder_user, product, county_admin
):
    stranger_user_entry = producer(tree["c1a"], products=[product])
    other = approved_for(stranger_user_entry, product, county_admin)
    own = client_as(applicant_user).get(reverse("producers:authorization-list"))
    assert list(own.context["object_list"]) == [approved]
    holder = client_as(holder_user).get(reverse("producers:authorization-list"))
    assert {a.pk for a in holder.context["object_list"]} == {approved.pk, other.pk}


def test_list_filters(tree, county_admin, approved, product, clock):
    pending = apply(None, producer(tree["c1a"], name="太原果业公司", products=[product]), product)
    client = client_as(county_admin)
    url = reverse("producers:authorization-list")

    def rows(**params):
        return list(client.get(url, params).context["object_list"])

    assert rows(status="approved") == [approved]
    assert rows(status="pending_holder") == [pending]
    assert rows(valid="1") == [approved]
    assert rows(q="太原果业") == [pending]
    assert rows(q="AGI00001-2024") == [approved]
    assert rows(year=str(YEAR + 1)) == []
    assert set(rows(product=str(product.pk))) == {approved, pending}
    # Nonsense parameters are ignored, never a 500.
    assert set(rows(product="x", year="99999999999", status="bogus")) == {approved, pending}


def test_list_paginates(tree, county_admin, product):
    for _ in range(23):
        apply(None, producer(tree["c1a"], products=[product]), product)
    client = client_as(county_admin)
    first = client.get(reverse("producers:authorization-list"))
    assert len(first.context["object_list"]) == 20
    second = client.get(reverse("producers:authorization-list"), {"page": 2})
    assert len(second.context["object_list"]) == 3


def test_export_writes_the_filtered_rows_and_is_audited(county_admin, approved, pending_holder):
    response = client_as(county_admin).get(
        reverse("producers:authorization-export"), {"status": "approved"}
    )
    assert response.status_code == 200
    values = xlsx_rows(response)
    assert values[0][0] == "协议编号"
    assert len(values) == 2
    assert values[1][0] == approved.number
    assert values[1][11] == "是"
    audit = AuditLog.objects.get(action="export", object_type="producers.labelauthorization")
    assert "1 条" in audit.detail


def test_export_of_another_county_is_empty(other_county_admin, approved):
    response = client_as(other_county_admin).get(reverse("producers:authorization-export"))
    assert len(xlsx_rows(response)) == 1  # the header only


def test_administrators_are_refused_the_pages(sysadmin, approved):
    client = client_as(sysadmin)
    assert client.get(reverse("producers:authorization-list")).status_code == 403
    assert client.get(detail_url(approved)).status_code == 403


def test_anonymous_is_sent_to_login():
    response = Client().get(reverse("producers:authorization-list"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


# --- Apply -----------------------------------------------------------------------------------


def _form(producer_entry, product, **overrides):
    data = {**application_data(), "producer": producer_entry.pk, "product": product.pk}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None and v is not False}


def test_producer_applies_through_the_form(applicant_user, applicant, product):
    client = client_as(applicant_user)
    page = client.get(reverse("producers:authorization-apply"))
    assert page.status_code == 200
    assert list(page.context["form"].fields["producer"].queryset) == [applicant]
    assert list(page.context["form"].fields["product"].queryset) == [product]
    response = client.post(reverse("producers:authorization-apply"), _form(applicant, product))
    authorization = LabelAuthorization.objects.get()
    assert response.status_code == 302
    assert response["Location"] == detail_url(authorization)
    assert authorization.applied_by == applicant_user


def test_the_form_requires_the_commitment(applicant_user, applicant, product):
    response = client_as(applicant_user).post(
        reverse("producers:authorization-apply"), _form(applicant, product, commitment=False)
    )
    assert response.status_code == 200
    assert "请阅读并勾选书面承诺" in response.content.decode()
    assert not LabelAuthorization.objects.exists()


def test_the_form_shows_the_services_refusal(pending_holder, applicant_user, applicant, product):
    response = client_as(applicant_user).post(
        reverse("producers:authorization-apply"), _form(applicant, product)
    )
    assert response.status_code == 200
    assert "已有" in response.content.decode()
    assert LabelAuthorization.objects.count() == 1


def test_the_form_refuses_a_bad_quantity(applicant_user, applicant, product):
    response = client_as(applicant_user).post(
        reverse("producers:authorization-apply"),
        _form(applicant, product, requested_quantity="abc"),
    )
    assert response.status_code == 200
    assert response.context["form"].errors["requested_quantity"]


def test_county_admin_applies_for_producers_of_its_county_only(
    tree, county_admin, other_county_admin, applicant, product
):
    page = client_as(county_admin).get(reverse("producers:authorization-apply"))
    assert list(page.context["form"].fields["producer"].queryset) == [applicant]
    other = client_as(other_county_admin)
    assert (
        list(
            other.get(reverse("producers:authorization-apply"))
            .context["form"]
            .fields["producer"]
            .queryset
        )
        == []
    )
    response = other.post(reverse("producers:authorization-apply"), _form(applicant, product))
    assert response.status_code == 200
    assert response.context["form"].errors["producer"]
    assert not LabelAuthorization.objects.exists()


def test_producer_without_a_directory_entry_sees_why(tree):
    from dibiao.accounts.choices import Role
    from dibiao.testing.factories import user_with_role

    lonely = user_with_role(Role.PRODUCER, tree["c1a"])
    response = client_as(lonely).get(reverse("producers:authorization-apply"))
    assert response.status_code == 200
    assert "没有可以申请的生产经营主体" in response.content.decode()


def test_city_admin_cannot_open_the_form(city_admin):
    assert client_as(city_admin).get(reverse("producers:authorization-apply")).status_code == 403


# --- Detail and actions ----------------------------------------------------------------------


def test_detail_offers_the_holder_its_review(holder_user, pending_holder):
    response = client_as(holder_user).get(detail_url(pending_holder))
    assert response.status_code == 200
    assert response.context["actions"] == {"holder_review"}
    body = response.content.decode()
    assert reverse("producers:authorization-holder-review", args=[pending_holder.pk]) in body
    assert 'id="attachments"' in body


def test_applicant_files_documents_on_its_application(
    applicant_user, county_admin, other_county_admin, pending_holder
):
    from dibiao.archive.choices import ArchiveCategory
    from dibiao.archive.services import archive_attach
    from dibiao.archive.targets import filing_for
    from dibiao.testing.files import pdf_upload

    page = client_as(applicant_user).get(detail_url(pending_holder)).content.decode()
    attach_url = reverse(
        "archive:target-attach", args=["producers.labelauthorization", pending_holder.pk]
    )
    assert attach_url in page  # the applicant may upload on its own application
    division, organization = filing_for(actor=applicant_user, target=pending_holder)
    assert (division, organization) == (
        pending_holder.producer.division,
        pending_holder.producer.organization,
    )
    archive_attach(
        actor=applicant_user,
        target=pending_holder,
        division=division,
        organization=organization,
        category=ArchiveCategory.DOCUMENT,
        document_date=pending_holder.applied_at.date(),
        description="书面承诺书",
        upload=pdf_upload("承诺书.pdf"),
    )
    assert "书面承诺书" in client_as(county_admin).get(detail_url(pending_holder)).content.decode()
    assert client_as(other_county_admin).get(detail_url(pending_holder)).status_code == 404


def test_detail_offers_the_applicant_only_the_withdrawal(applicant_user, pending_holder):
    response = client_as(applicant_user).get(detail_url(pending_holder))
    assert response.context["actions"] == {"withdraw"}


def test_detail_offers_the_county_its_supervision(county_admin, approved):
    response = client_as(county_admin).get(detail_url(approved))
    assert response.context["actions"] == {"suspend", "revoke"}
    assert approved.number in response.content.decode()


@pytest.mark.parametrize("fixture", ["pending_holder", "approved"])
def test_other_county_gets_404_on_the_detail(other_county_admin, fixture, request):
    authorization = request.getfixturevalue(fixture)
    assert client_as(other_county_admin).get(detail_url(authorization)).status_code == 404


def test_another_producer_gets_404_on_the_detail(tree, pending_holder, product):
    from dibiao.testing.factories import producer_user

    stranger, _ = producer_user(tree["c1a"], products=[product])
    assert client_as(stranger).get(detail_url(pending_holder)).status_code == 404


def test_the_whole_workflow_through_the_pages(
    pending_holder, holder_user, county_admin, applicant_user
):
    pk = pending_holder.pk
    holder = client_as(holder_user).post(
        reverse("producers:authorization-holder-review", args=[pk]), {"approve": "1"}
    )
    assert holder.status_code == 302
    county = client_as(county_admin)
    county.post(
        reverse("producers:authorization-county-review", args=[pk]),
        {"approve": "1", "authorized_quantity": "40000", "scope": ""},
    )
    authorization = LabelAuthorization.objects.get(pk=pk)
    assert (authorization.status, authorization.authorized_quantity) == ("approved", 40000)
    assert authorization.scope == "5 kg 礼盒装"
    county.post(reverse("producers:authorization-suspend", args=[pk]), {"reason": "抽检不合格"})
    assert LabelAuthorization.objects.get(pk=pk).status == "suspended"
    county.post(reverse("producers:authorization-resume", args=[pk]), {"reason": ""})
    assert LabelAuthorization.objects.get(pk=pk).status == "approved"
    response = county.post(
        reverse("producers:authorization-revoke", args=[pk]), {"reason": "冒用"}, follow=True
    )
    assert LabelAuthorization.objects.get(pk=pk).status == "revoked"
    assert any("已撤销" in m for m in _messages(response))


def test_a_refused_action_is_a_flash_message(pending_holder, county_admin):
    response = client_as(county_admin).post(
        reverse("producers:authorization-county-review", args=[pending_holder.pk]),
        {"approve": "1"},
        follow=True,
    )
    assert any("不能" in m for m in _messages(response))
    pending_holder.refresh_from_db()
    assert pending_holder.status == "pending_holder"


def test_missing_reason_is_a_flash_message(approved, county_admin):
    response = client_as(county_admin).post(
        reverse("producers:authorization-suspend", args=[approved.pk]), {"reason": ""}, follow=True
    )
    assert _messages(response)
    approved.refresh_from_db()
    assert approved.status == "approved"


def test_withdraw_through_the_page(pending_holder, applicant_user):
    client_as(applicant_user).post(
        reverse("producers:authorization-withdraw", args=[pending_holder.pk]), {"reason": ""}
    )
    pending_holder.refresh_from_db()
    assert pending_holder.status == "withdrawn"


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("authorization-holder-review", {"approve": "1"}),
        ("authorization-county-review", {"approve": "1"}),
        ("authorization-suspend", {"reason": "x"}),
        ("authorization-resume", {"reason": ""}),
        ("authorization-revoke", {"reason": "x"}),
        ("authorization-withdraw", {"reason": ""}),
    ],
)
def test_other_county_gets_404_on_every_action(other_county_admin, approved, name, data):
    response = client_as(other_county_admin).post(
        reverse(f"producers:{name}", args=[approved.pk]), data
    )
    assert response.status_code == 404
    approved.refresh_from_db()
    assert approved.status == "approved"


def test_actions_are_post_only(county_admin, approved):
    response = client_as(county_admin).get(
        reverse("producers:authorization-suspend", args=[approved.pk])
    )
    assert response.status_code == 405


# --- Public ----------------------------------------------------------------------------------


def test_public_list_shows_only_agreements_valid_today(
    tree, approved, pending_county, product, county_admin
):
    suspended = approved_for(
        producer(tree["c1a"], name="停用果园", products=[product]), product, county_admin
    )
    services.authorization_suspend(actor=county_admin, authorization=suspended, reason="抽检")
    next_year = approved_for(
        producer(tree["c1a"], name="明年果园", products=[product]),
        product,
        county_admin,
        year=YEAR + 1,
    )
    response = Client().get(reverse("producers:public-authorized-list", args=[product.pk]))
    assert response.status_code == 200
    assert list(response.context["object_list"]) == [approved]
    body = response.content.decode()
    assert "清徐县葡萄专业合作社" in body
    assert approved.number in body
    assert "5 kg 礼盒装" in body
    assert "停用果园" not in body
    assert next_year.number not in body


@pytest.mark.parametrize("status", ["suspended", "closed"])
def test_public_list_and_directory_leave_out_a_suspended_or_closed_producer(
    approved, applicant, product, county_admin, status
):
    # The agreement is still in force on paper; the entity may not receive codes, so it is no
    # label user on the public list, in the directory or in the API.
    services_directory.producer_set_status(
        actor=county_admin, producer=applicant, status=status, reason="停业整顿"
    )
    page = Client().get(reverse("producers:public-authorized-list", args=[product.pk]))
    assert list(page.context["object_list"]) == []
    api = APIClient().get(f"/api/v1/public/products/{product.pk}/authorized-users/")
    assert api.json()["count"] == 0
    [row] = producer_list_for_user(user=county_admin)
    assert row.is_label_user is False  # type: ignore[attr-defined]  # annotated
    assert producer_list_for_user(user=county_admin, label_user=True).count() == 0


def test_public_list_shows_no_personal_data(approved, applicant):
    body = (
        Client()
        .get(reverse("producers:public-authorized-list", args=[approved.product_id]))
        .content.decode()
    )
    assert applicant.phone_masked not in body
    assert not re.search(r"1[3-9]\d{9}", body)
    assert approved.qualifications not in body
    assert approved.production_plan not in body


def test_public_list_of_a_cancelled_product_is_404(approved, product):
    product.status = ProductStatus.CANCELLED
    product.save()
    response = Client().get(reverse("producers:public-authorized-list", args=[product.pk]))
    assert response.status_code == 404


def test_public_list_without_agreements_says_so(tree):
    product = ProductFactory.create(divisions=[tree["c1a"]])
    response = Client().get(reverse("producers:public-authorized-list", args=[product.pk]))
    assert "目前没有有效的授权用标主体" in response.content.decode()


def test_public_product_page_links_to_the_list(product):
    response = Client().get(reverse("registry:public-product-detail", args=[product.pk]))
    assert (
        reverse("producers:public-authorized-list", args=[product.pk]) in response.content.decode()
    )
