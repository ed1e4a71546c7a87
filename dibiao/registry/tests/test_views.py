from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from dibiao.accounts.choices import Role
from dibiao.core.choices import AuditAction
from dibiao.core.models import AuditLog
from dibiao.registry.choices import DocumentKind, ProductCategory, ProductStatus
from dibiao.registry.models import GIProduct, ProductDocument, ProductImage
from dibiao.registry.services import product_document_add, product_image_add
from dibiao.registry.views import EXPORT_HEADERS
from dibiao.testing.factories import OrganizationFactory, ProductFactory, user_with_role
from dibiao.testing.files import image_bytes, pdf_upload, png_upload
from dibiao.testing.responses import streamed, xlsx_rows

pytestmark = pytest.mark.django_db


def client_as(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _html(response) -> str:
    return response.content.decode()


@pytest.fixture
def own(tree):
    return ProductFactory.create(
        name="清徐葡萄",
        notes="内部核实：证书持有人未查到",
        story="清徐葡萄栽培历史悠久。",
        divisions=[tree["c1a"]],
    )


@pytest.fixture
def foreign(tree):
    return ProductFactory.create(name="沁水刺槐蜂蜜", divisions=[tree["c2a"]])


# --- staff list and detail --------------------------------------------------------------------


def test_anonymous_staff_list_redirects_to_login(own):
    response = client_as(None).get(reverse("registry:product-list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_county_admin_list_shows_only_its_county(county_admin, own, foreign):
    response = client_as(county_admin).get(reverse("registry:product-list"))

    assert response.status_code == 200
    assert [p.name for p in response.context["object_list"]] == ["清徐葡萄"]
    assert "沁水刺槐蜂蜜" not in _html(response)


def test_province_admin_list_filters_by_text_and_division(tree, province_admin, own, foreign):
    client = client_as(province_admin)

    by_text = client.get(reverse("registry:product-list"), {"q": "蜂蜜"})
    by_division = client.get(reverse("registry:product-list"), {"division": tree["c1"].code})

    assert [p.name for p in by_text.context["object_list"]] == ["沁水刺槐蜂蜜"]
    assert [p.name for p in by_division.context["object_list"]] == ["清徐葡萄"]


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.SYSADMIN, Role.SECADMIN])
def test_administrators_without_business_role_get_403_on_staff_pages(tree, own, role):
    user = user_with_role(role, tree["p"])
    client = client_as(user)

    assert client.get(reverse("registry:product-list")).status_code == 403
    assert client.get(reverse("registry:product-detail", args=[own.pk])).status_code == 403
    assert client.get(reverse("registry:product-export")).status_code == 403


def test_staff_detail_shows_internal_notes_and_edit_link(county_admin, own):
    response = client_as(county_admin).get(reverse("registry:product-detail", args=[own.pk]))

    assert response.status_code == 200
    assert "内部核实：证书持有人未查到" in _html(response)
    assert reverse("registry:product-edit", args=[own.pk]) in _html(response)


def test_city_admin_sees_detail_without_edit_controls(city_admin, own):
    response = client_as(city_admin).get(reverse("registry:product-detail", args=[own.pk]))

    assert response.status_code == 200
    assert reverse("registry:product-edit", args=[own.pk]) not in _html(response)
    assert reverse("registry:product-status", args=[own.pk]) not in _html(response)


def test_county_admin_gets_404_for_another_countys_product_detail(county_admin, foreign):
    response = client_as(county_admin).get(reverse("registry:product-detail", args=[foreign.pk]))
    assert response.status_code == 404


def test_county_admin_gets_404_for_another_countys_product_edit(county_admin, foreign):
    client = client_as(county_admin)

    get = client.get(reverse("registry:product-edit", args=[foreign.pk]))
    post = client.post(
        reverse("registry:product-edit", args=[foreign.pk]),
        {"name": "改名", "category": ProductCategory.FRUIT_TEA},
    )

    assert get.status_code == post.status_code == 404
    foreign.refresh_from_db()
    assert foreign.name == "沁水刺槐蜂蜜"


# --- create and edit through the form ---------------------------------------------------------


def test_county_admin_creates_a_product_through_the_form(tree, county_admin):
    holder = OrganizationFactory.create(name="清徐县葡萄协会", division=tree["c1a"])

    response = client_as(county_admin).post(
        reverse("registry:product-create"),
        {
            "name": "清徐葡萄",
            "category": ProductCategory.FRUIT_TEA,
            "certificate_number": "AGI01055",
            "certificate_holder": holder.pk,
            "divisions": [tree["c1a"].pk],
            "min_longitude": "112.1",
            "max_longitude": "112.6",
            "min_latitude": "37.3",
            "max_latitude": "37.6",
        },
    )

    product = GIProduct.objects.get(name="清徐葡萄")
    assert response.status_code == 302
    assert response["Location"] == reverse("registry:product-detail", args=[product.pk])
    assert product.certificate_holder == holder
    assert list(product.divisions.all()) == [tree["c1a"]]
    assert (
        AuditLog.objects.filter(
            action=AuditAction.CREATE, object_id=str(product.pk), user=county_admin
        ).count()
        == 1
    )


def test_create_form_offers_only_divisions_and_holders_in_scope(tree, county_admin):
    OrganizationFactory.create(name="本县协会", division=tree["c1a"])
    OrganizationFactory.create(name="外县协会", division=tree["c2a"])

    form = client_as(county_admin).get(reverse("registry:product-create")).context["form"]

    holders = {o.name for o in form.fields["certificate_holder"].queryset}
    assert list(form.fields["divisions"].queryset) == [tree["c1a"]]
    assert "本县协会" in holders
    assert "外县协会" not in holders


def test_form_post_with_another_countys_division_creates_nothing(tree, county_admin):
    response = client_as(county_admin).post(
        reverse("registry:product-create"),
        {"name": "越界产品", "category": ProductCategory.FRUIT_TEA, "divisions": [tree["c2a"].pk]},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["divisions"]
    assert not GIProduct.objects.exists()


def test_form_post_with_half_filled_box_shows_the_error_and_creates_nothing(tree, county_admin):
    response = client_as(county_admin).post(
        reverse("registry:product-create"),
        {
            "name": "清徐葡萄",
            "category": ProductCategory.FRUIT_TEA,
            "divisions": [tree["c1a"].pk],
            "min_longitude": "112.1",
        },
    )

    assert response.status_code == 200
    assert "坐标范围需同时填写东经起止和北纬起止，或全部留空。" in _html(response)
    assert not GIProduct.objects.exists()


def test_service_refusal_is_shown_on_the_form(tree, county_admin):
    ProductFactory.create(name="已有产品", certificate_number="AGI01055", divisions=[tree["c2a"]])

    response = client_as(county_admin).post(
        reverse("registry:product-create"),
        {
            "name": "清徐葡萄",
            "category": ProductCategory.FRUIT_TEA,
            "certificate_number": "AGI01055",
            "divisions": [tree["c1a"].pk],
        },
    )

    assert response.status_code == 200
    assert "该登记证书编号已登记在另一个产品名下。" in _html(response)
    assert not GIProduct.objects.filter(name="清徐葡萄").exists()


def test_county_admin_edits_its_product_and_one_update_row_is_written(tree, county_admin, own):
    response = client_as(county_admin).post(
        reverse("registry:product-edit", args=[own.pk]),
        {
            "name": "清徐葡萄",
            "category": ProductCategory.FRUIT_TEA,
            "subcategory": "鲜食葡萄",
            "divisions": [tree["c1a"].pk],
            "notes": own.notes,
            "story": own.story,
        },
    )

    assert response.status_code == 302
    own.refresh_from_db()
    assert own.subcategory == "鲜食葡萄"
    (row,) = AuditLog.objects.filter(action=AuditAction.UPDATE)
    assert row.changes == {"before": {"subcategory": ""}, "after": {"subcategory": "鲜食葡萄"}}


@pytest.mark.parametrize(
    ("role", "division_key"), [(Role.CITY_ADMIN, "c1"), (Role.PRODUCER, "c1a")]
)
def test_users_who_cannot_edit_get_403_on_the_form(tree, own, role, division_key):
    client = client_as(user_with_role(role, tree[division_key]))

    assert client.get(reverse("registry:product-create")).status_code == 403
    assert client.get(reverse("registry:product-edit", args=[own.pk])).status_code == 403
    status = client.post(
        reverse("registry:product-status", args=[own.pk]),
        {"status": ProductStatus.CANCELLED, "reason": "越权"},
    )
    upload = client.post(
        reverse("registry:product-upload", args=[own.pk, "document"]),
        {"title": "越权", "kind": DocumentKind.OTHER, "file": pdf_upload()},
    )
    assert status.status_code == upload.status_code == 403
    own.refresh_from_db()
    assert own.status == ProductStatus.REGISTERED
    assert not ProductDocument.objects.exists()


# --- status and uploads through the pages -------------------------------------------------------


def test_status_change_through_the_page(county_admin, own):
    response = client_as(county_admin).post(
        reverse("registry:product-status", args=[own.pk]),
        {"status": ProductStatus.CANCELLED, "reason": "证书已注销"},
        follow=True,
    )

    assert response.status_code == 200
    assert "状态已更新。" in _html(response)
    own.refresh_from_db()
    assert own.status == ProductStatus.CANCELLED
    assert AuditLog.objects.get(action=AuditAction.TRANSITION).detail == "证书已注销"


def test_refused_transition_is_shown_as_a_message(county_admin, own):
    response = client_as(county_admin).post(
        reverse("registry:product-status", args=[own.pk]),
        {"status": ProductStatus.REGISTERED, "reason": "重复"},
        follow=True,
    )

    assert "不能改为" in _html(response)
    assert not AuditLog.objects.filter(action=AuditAction.TRANSITION).exists()


def test_status_change_without_reason_is_refused_on_the_page(county_admin, own):
    response = client_as(county_admin).post(
        reverse("registry:product-status", args=[own.pk]),
        {"status": ProductStatus.CANCELLED, "reason": ""},
        follow=True,
    )
    assert "请选择新状态并填写原因。" in _html(response)
    own.refresh_from_db()
    assert own.status == ProductStatus.REGISTERED


def test_status_change_of_another_countys_product_is_404(county_admin, foreign):
    response = client_as(county_admin).post(
        reverse("registry:product-status", args=[foreign.pk]),
        {"status": ProductStatus.CANCELLED, "reason": "越权"},
    )
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == ProductStatus.REGISTERED


def test_status_page_accepts_only_post(county_admin, own):
    response = client_as(county_admin).get(reverse("registry:product-status", args=[own.pk]))
    assert response.status_code == 405


def test_document_upload_and_download_through_the_pages(county_admin, own):
    client = client_as(county_admin)

    response = client.post(
        reverse("registry:product-upload", args=[own.pk, "document"]),
        {"title": "生产技术规程", "kind": DocumentKind.TECHNICAL_STANDARD, "file": pdf_upload()},
        follow=True,
    )

    assert "文件已上传。" in _html(response)
    document = ProductDocument.objects.get(product=own)
    download = client.get(reverse("registry:product-document", args=[own.pk, document.pk]))
    assert download.status_code == 200
    assert streamed(download).startswith(b"%PDF")
    assert "attachment" in download["Content-Disposition"]


def test_bad_document_upload_is_reported_and_not_stored(county_admin, own):
    response = client_as(county_admin).post(
        reverse("registry:product-upload", args=[own.pk, "document"]),
        {
            "title": "脚本",
            "kind": DocumentKind.OTHER,
            "file": pdf_upload(name="run.pdf", content=b"#!/bin/sh\nrm -rf /\n"),
        },
        follow=True,
    )
    assert "不支持的文件类型：“run.pdf”检测到的实际内容为：脚本文件" in _html(response)
    assert not ProductDocument.objects.exists()


def test_upload_form_errors_are_reported(county_admin, own):
    response = client_as(county_admin).post(
        reverse("registry:product-upload", args=[own.pk, "document"]),
        {"title": "", "kind": DocumentKind.OTHER},
        follow=True,
    )
    assert "标题：该字段是必填项。；文件：该字段是必填项。" in _html(response)
    assert not ProductDocument.objects.exists()


def test_image_upload_through_the_page_is_served_publicly(county_admin, own):
    client_as(county_admin).post(
        reverse("registry:product-upload", args=[own.pk, "image"]),
        {"caption": "果穗", "image": png_upload()},
    )

    image = ProductImage.objects.get(product=own)
    response = client_as(None).get(
        reverse("registry:public-product-image", args=[own.pk, image.pk])
    )
    assert response.status_code == 200
    assert streamed(response) == image_bytes()


def test_fake_image_upload_through_the_page_is_refused(county_admin, own):
    response = client_as(county_admin).post(
        reverse("registry:product-upload", args=[own.pk, "image"]),
        {"caption": "", "image": png_upload(name="photo.png", content=b"not an image")},
        follow=True,
    )
    assert "不支持的文件类型：“photo.png”检测到的实际内容为：纯文本" in _html(response)
    assert not ProductImage.objects.exists()


def test_unknown_upload_kind_is_404(county_admin, own):
    response = client_as(county_admin).post(
        reverse("registry:product-upload", args=[own.pk, "video"]), {}
    )
    assert response.status_code == 404


def test_upload_to_another_countys_product_is_404(county_admin, foreign):
    response = client_as(county_admin).post(
        reverse("registry:product-upload", args=[foreign.pk, "document"]),
        {"title": "越权", "kind": DocumentKind.OTHER, "file": pdf_upload()},
    )
    assert response.status_code == 404
    assert not ProductDocument.objects.exists()


def test_document_of_another_countys_product_is_404(county_admin, other_county_admin, foreign):
    document = product_document_add(
        actor=other_county_admin,
        product=foreign,
        title="规程",
        kind=DocumentKind.OTHER,
        upload=pdf_upload(),
    )

    response = client_as(county_admin).get(
        reverse("registry:product-document", args=[foreign.pk, document.pk])
    )
    assert response.status_code == 404


def test_document_id_of_another_product_is_404(county_admin, other_county_admin, own, foreign):
    document = product_document_add(
        actor=other_county_admin,
        product=foreign,
        title="规程",
        kind=DocumentKind.OTHER,
        upload=pdf_upload(),
    )
    response = client_as(county_admin).get(
        reverse("registry:product-document", args=[own.pk, document.pk])
    )
    assert response.status_code == 404


# --- export ------------------------------------------------------------------------------------


def test_export_is_an_xlsx_of_the_scoped_list_and_writes_one_audit_row(
    tree, county_admin, own, foreign
):
    response = client_as(county_admin).get(reverse("registry:product-export"))

    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert ".xlsx" in response["Content-Disposition"]
    header, *rows = xlsx_rows(response)
    assert list(header) == EXPORT_HEADERS
    assert len(rows) == 1
    row = dict(zip(EXPORT_HEADERS, rows[0], strict=True))
    assert row["产品名称"] == "清徐葡萄"
    assert row["品类"] == "果茶"
    assert row["所在区划"] == tree["c1a"].name
    assert row["状态"] == "已登记"
    (audit,) = AuditLog.objects.filter(action=AuditAction.EXPORT)
    assert audit.user == county_admin
    assert audit.object_type == "registry.giproduct"
    assert "1 条" in audit.detail


def test_export_applies_the_list_filters(province_admin, own, foreign):
    response = client_as(province_admin).get(reverse("registry:product-export"), {"q": "蜂蜜"})

    _, *rows = xlsx_rows(response)
    assert [r[0] for r in rows] == ["沁水刺槐蜂蜜"]
    assert "q=" in AuditLog.objects.get(action=AuditAction.EXPORT).detail


def test_export_neutralises_formula_injection(tree, province_admin):
    ProductFactory.create(
        name='=HYPERLINK("http://evil.example","点我")',
        subcategory="+1+1",
        protected_area="@SUM(A1)",
        divisions=[tree["c1a"]],
    )

    _, row = xlsx_rows(client_as(province_admin).get(reverse("registry:product-export")))

    assert row[0] == '\'=HYPERLINK("http://evil.example","点我")'
    assert row[2] == "'+1+1"
    assert row[EXPORT_HEADERS.index("地域保护范围")] == "'@SUM(A1)"


def test_anonymous_export_redirects_to_login_and_is_not_audited(own):
    response = client_as(None).get(reverse("registry:product-export"))
    assert response.status_code == 302
    assert not AuditLog.objects.exists()


# --- public pages ------------------------------------------------------------------------------


def test_public_list_needs_no_login_and_shows_only_registered_products(tree, own):
    ProductFactory.create(
        name="已注销产品", status=ProductStatus.CANCELLED, divisions=[tree["c1a"]]
    )
    ProductFactory.create(name="外县产品", divisions=[tree["c2a"]])

    response = client_as(None).get(reverse("registry:public-product-list"))

    assert response.status_code == 200
    names = {p.name for p in response.context["object_list"]}
    assert names == {"外县产品", "清徐葡萄"}
    assert "已注销产品" not in _html(response)


def test_public_list_filters_by_name_and_category(tree, own):
    ProductFactory.create(
        name="沁水刺槐蜂蜜", category=ProductCategory.LIVESTOCK, divisions=[tree["c2a"]]
    )
    client = client_as(None)

    by_name = client.get(reverse("registry:public-product-list"), {"q": "葡萄"})
    by_category = client.get(
        reverse("registry:public-product-list"), {"category": ProductCategory.LIVESTOCK}
    )

    assert [p.name for p in by_name.context["object_list"]] == ["清徐葡萄"]
    assert [p.name for p in by_category.context["object_list"]] == ["沁水刺槐蜂蜜"]


def test_public_detail_needs_no_login_and_hides_staff_only_fields(own):
    response = client_as(None).get(reverse("registry:public-product-detail", args=[own.pk]))

    html = _html(response)
    assert response.status_code == 200
    assert "清徐葡萄" in html
    assert "清徐葡萄栽培历史悠久。" in html
    assert own.notes not in html
    assert "资料核实说明" not in html
    assert reverse("registry:product-edit", args=[own.pk]) not in html


def test_public_detail_of_a_cancelled_product_is_404(tree):
    cancelled = ProductFactory.create(status=ProductStatus.CANCELLED, divisions=[tree["c1a"]])
    response = client_as(None).get(reverse("registry:public-product-detail", args=[cancelled.pk]))
    assert response.status_code == 404


def test_public_image_of_a_cancelled_product_is_404(tree, county_admin, own):
    image = product_image_add(actor=county_admin, product=own, caption="", upload=png_upload())
    GIProduct.objects.filter(pk=own.pk).update(status=ProductStatus.CANCELLED)

    response = client_as(None).get(
        reverse("registry:public-product-image", args=[own.pk, image.pk])
    )
    assert response.status_code == 404


def test_public_image_id_of_another_product_is_404(tree, county_admin, own):
    other = ProductFactory.create(divisions=[tree["c1a"]])
    image = product_image_add(actor=county_admin, product=other, caption="", upload=png_upload())

    response = client_as(None).get(
        reverse("registry:public-product-image", args=[own.pk, image.pk])
    )
    assert response.status_code == 404


def test_editing_a_shared_product_on_the_page_keeps_the_other_countys_division_and_holder(
    tree, county_admin
):
    holder = OrganizationFactory.create(name="跨县协会", division=tree["c2a"])
    shared = ProductFactory.create(
        name="跨县产品", certificate_holder=holder, divisions=[tree["c1a"], tree["c2a"]]
    )
    client = client_as(county_admin)
    form = client.get(reverse("registry:product-edit", args=[shared.pk])).context["form"]
    assert holder in form.fields["certificate_holder"].queryset

    response = client.post(
        reverse("registry:product-edit", args=[shared.pk]),
        {
            "name": "跨县产品",
            "category": shared.category,
            "story": "两县共有",
            "certificate_holder": holder.pk,
            "divisions": [tree["c1a"].pk],
        },
    )

    assert response.status_code == 302
    shared.refresh_from_db()
    assert shared.story == "两县共有"
    assert shared.certificate_holder == holder
    assert set(shared.divisions.all()) == {tree["c1a"], tree["c2a"]}


def test_staff_see_images_of_a_cancelled_product(tree, county_admin):
    from dibiao.testing.files import png_upload

    product = ProductFactory.create(divisions=[tree["c1a"]], status="cancelled")
    image = ProductImage.objects.create(product=product, image=png_upload("a.png"))
    client = Client()
    client.force_login(county_admin)
    assert client.get(f"/registry/products/{product.pk}/images/{image.pk}/").status_code == 200
    assert Client().get(f"/products/{product.pk}/images/{image.pk}/").status_code == 404
    other = ProductFactory.create(divisions=[tree["c1b"]])
    other_image = ProductImage.objects.create(product=other, image=png_upload("b.png"))
    assert client.get(f"/registry/products/{other.pk}/images/{other_image.pk}/").status_code == 404
