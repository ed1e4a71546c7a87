from __future__ import annotations

from decimal import Decimal

import pytest

from dibiao.accounts.choices import Role
from dibiao.core.choices import AuditAction
from dibiao.core.errors import ForbiddenError, NotFoundError
from dibiao.core.models import AuditLog
from dibiao.core.uploads import UploadError
from dibiao.registry.choices import DocumentKind, ProductCategory, ProductStatus
from dibiao.registry.errors import RegistryError
from dibiao.registry.models import GIProduct, ProductDocument, ProductImage
from dibiao.registry.services import (
    product_document_add,
    product_image_add,
    product_save,
    product_set_status,
)
from dibiao.testing.factories import OrganizationFactory, ProductFactory, user_with_role
from dibiao.testing.files import image_bytes, pdf_upload, png_upload

pytestmark = pytest.mark.django_db

BOX = {
    "min_longitude": Decimal("112.5"),
    "max_longitude": Decimal("113"),
    "min_latitude": Decimal("37.25"),
    "max_latitude": Decimal("38"),
}


def _create(actor, division, **data):
    values = {"name": "清徐葡萄", "category": ProductCategory.FRUIT_TEA, **data}
    return product_save(actor=actor, data=values, divisions=[division])


def _product_audit_rows(product=None):
    rows = AuditLog.objects.filter(object_type="registry.giproduct")
    if product is not None:
        rows = rows.filter(object_id=str(product.pk))
    return list(rows.order_by("id"))


# --- product_save: create and update ---------------------------------------------------------


def test_county_admin_creates_product_in_own_county_with_one_create_audit_row(tree, county_admin):
    product = _create(county_admin, tree["c1a"], certificate_number=" AGI01055 ", **BOX)

    assert product.certificate_number == "AGI01055"
    assert list(product.divisions.all()) == [tree["c1a"]]
    (row,) = _product_audit_rows(product)
    assert row.action == AuditAction.CREATE
    assert row.user == county_admin
    assert row.username == county_admin.username
    assert row.role == Role.COUNTY_ADMIN
    assert row.changes["after"]["name"] == "清徐葡萄"
    assert row.changes["after"]["divisions"] == [tree["c1a"].pk]
    assert row.changes["after"]["min_longitude"] == "112.500000"


def test_province_admin_may_place_product_in_any_county(tree, province_admin):
    product = product_save(
        actor=province_admin,
        data={"name": "跨县产品", "category": ProductCategory.GRAIN_OIL},
        divisions=[tree["c1a"], tree["c2b"]],
    )
    assert set(product.divisions.all()) == {tree["c1a"], tree["c2b"]}


def test_update_writes_exactly_one_audit_row_with_only_the_changed_fields(tree, county_admin):
    product = _create(county_admin, tree["c1a"], **BOX)

    product_save(
        actor=county_admin,
        product=product,
        data={"name": "清徐葡萄", "story": "清徐葡萄栽培始于汉代。", **BOX},
        divisions=[tree["c1a"]],
    )

    _, update_row = _product_audit_rows(product)
    assert update_row.action == AuditAction.UPDATE
    assert update_row.changes == {
        "before": {"story": ""},
        "after": {"story": "清徐葡萄栽培始于汉代。"},
    }
    product.refresh_from_db()
    assert product.story == "清徐葡萄栽培始于汉代。"


def test_update_that_changes_nothing_writes_no_audit_row_and_keeps_updated_at(tree, county_admin):
    product = _create(county_admin, tree["c1a"], **BOX)
    stamp = GIProduct.objects.get(pk=product.pk).updated_at

    product_save(
        actor=county_admin,
        product=product,
        data={"name": " 清徐葡萄 ", "min_longitude": Decimal("112.500"), **BOX},
        divisions=[tree["c1a"]],
    )

    assert len(_product_audit_rows(product)) == 1
    assert GIProduct.objects.get(pk=product.pk).updated_at == stamp


def test_changing_divisions_is_audited_as_a_diff_of_division_ids(tree, province_admin):
    product = _create(province_admin, tree["c1a"])

    product_save(actor=province_admin, product=product, data={}, divisions=[tree["c2a"]])

    update_row = _product_audit_rows(product)[-1]
    assert update_row.changes == {
        "before": {"divisions": [tree["c1a"].pk]},
        "after": {"divisions": [tree["c2a"].pk]},
    }


def test_update_without_divisions_argument_keeps_the_divisions(tree, county_admin):
    product = _create(county_admin, tree["c1a"])

    product_save(actor=county_admin, product=product, data={"subcategory": "鲜食葡萄"})

    assert list(GIProduct.objects.get(pk=product.pk).divisions.all()) == [tree["c1a"]]


def test_system_actor_is_audited_as_system_and_still_needs_a_division(tree):
    product = product_save(
        actor=None,
        data={"name": "灵石酸枣仁", "category": ProductCategory.MEDICINAL},
        divisions=[tree["p"]],
    )
    (row,) = _product_audit_rows(product)
    assert row.user is None
    assert row.username == ""
    with pytest.raises(RegistryError) as caught:
        product_save(actor=None, data={"name": "无处安放", "category": ProductCategory.MEDICINAL})
    assert caught.value.code == "division_required"
    assert not GIProduct.objects.filter(name="无处安放").exists()


# --- product_save: refusals --------------------------------------------------------------------


def test_county_admin_cannot_put_product_in_another_countys_division(tree, county_admin):
    with pytest.raises(RegistryError) as caught:
        _create(county_admin, tree["c1b"])

    assert caught.value.code == "division_out_of_scope"
    assert tree["c1b"].name in caught.value.message
    assert not GIProduct.objects.exists()
    assert not AuditLog.objects.exists()


def test_county_admin_cannot_move_own_product_out_of_its_county(tree, county_admin):
    product = _create(county_admin, tree["c1a"])

    with pytest.raises(RegistryError) as caught:
        product_save(actor=county_admin, product=product, data={}, divisions=[tree["c2a"]])

    assert caught.value.code == "division_out_of_scope"
    assert list(GIProduct.objects.get(pk=product.pk).divisions.all()) == [tree["c1a"]]
    assert len(_product_audit_rows(product)) == 1


def test_product_needs_at_least_one_division(tree, county_admin):
    with pytest.raises(RegistryError) as caught:
        product_save(
            actor=county_admin,
            data={"name": "无区划产品", "category": ProductCategory.VEGETABLE},
            divisions=[],
        )
    assert caught.value.code == "division_required"
    assert not GIProduct.objects.exists()


def test_certificate_holder_outside_the_county_is_refused(tree, county_admin):
    elsewhere = OrganizationFactory.create(division=tree["c2a"])

    with pytest.raises(RegistryError) as caught:
        _create(county_admin, tree["c1a"], certificate_holder=elsewhere)

    assert caught.value.code == "holder_out_of_scope"
    assert not GIProduct.objects.exists()


def test_certificate_holder_in_the_county_is_accepted(tree, county_admin):
    holder = OrganizationFactory.create(division=tree["c1a"], name="清徐县葡萄协会")
    product = _create(county_admin, tree["c1a"], certificate_holder=holder)
    assert product.certificate_holder == holder
    assert _product_audit_rows(product)[0].changes["after"]["certificate_holder"] == holder.pk


@pytest.mark.parametrize("number", ["AGI1055", "AGI010555", "agi01055", "ABC01055", "AGI0105X"])
def test_invalid_certificate_number_is_a_coded_error_and_nothing_is_written(
    tree, county_admin, number
):
    with pytest.raises(RegistryError) as caught:
        _create(county_admin, tree["c1a"], certificate_number=number)

    assert caught.value.code == "invalid_product"
    assert "登记证书编号" in caught.value.message
    assert not GIProduct.objects.exists()
    assert not AuditLog.objects.exists()


def test_duplicate_certificate_number_is_refused(tree, county_admin):
    _create(county_admin, tree["c1a"], certificate_number="AGI01055")

    with pytest.raises(RegistryError) as caught:
        _create(county_admin, tree["c1a"], name="另一产品", certificate_number="AGI01055")

    assert caught.value.code == "invalid_product"
    assert caught.value.message == "该登记证书编号已登记在另一个产品名下。"
    assert GIProduct.objects.count() == 1


def test_blank_certificate_number_is_allowed_for_several_products(tree, county_admin):
    for name in ("冠山连翘茶", "斗山杏仁", "偏关羊肉"):
        _create(county_admin, tree["c1a"], name=name, certificate_number="")

    assert GIProduct.objects.filter(certificate_number="").count() == 3


def test_duplicate_product_name_is_refused(tree, county_admin):
    _create(county_admin, tree["c1a"])

    with pytest.raises(RegistryError) as caught:
        _create(county_admin, tree["c1a"])

    assert caught.value.code == "invalid_product"
    assert GIProduct.objects.count() == 1


def test_half_filled_coordinate_box_is_refused_by_the_service(tree, county_admin):
    with pytest.raises(RegistryError) as caught:
        _create(county_admin, tree["c1a"], min_longitude=Decimal("112.5"))

    assert caught.value.code == "invalid_product"
    assert "坐标范围" in caught.value.message
    assert not GIProduct.objects.exists()


def test_coordinate_box_with_min_above_max_is_refused(tree, county_admin):
    with pytest.raises(RegistryError) as caught:
        _create(county_admin, tree["c1a"], **{**BOX, "min_longitude": Decimal("114")})
    assert caught.value.code == "invalid_product"
    assert caught.value.message == "东经起应不大于东经止。"
    assert not GIProduct.objects.exists()


@pytest.mark.parametrize(
    ("role", "division_key"),
    [
        (Role.CITY_ADMIN, "c1"),
        (Role.COUNTY_GOV, "c1a"),
        (Role.PRODUCER, "c1a"),
        (Role.LAB, "p"),
        (Role.EXPERT, "p"),
        (Role.AUDITOR, "p"),
        (Role.SYSADMIN, "p"),
    ],
)
def test_user_without_edit_permission_cannot_create_or_update(tree, role, division_key):
    product = ProductFactory.create(divisions=[tree["c1a"]])
    user = user_with_role(role, tree[division_key])

    with pytest.raises(ForbiddenError):
        _create(user, tree["c1a"], name="新产品")
    with pytest.raises(ForbiddenError):
        product_save(actor=user, product=product, data={"story": "x"})

    assert GIProduct.objects.count() == 1
    assert not AuditLog.objects.exists()


def test_county_admin_updating_another_countys_product_gets_not_found(tree, county_admin):
    product = ProductFactory.create(name="原名", divisions=[tree["c2a"]])

    with pytest.raises(NotFoundError) as caught:
        product_save(actor=county_admin, product=product, data={"name": "改名"})

    assert caught.value.status == 404
    assert GIProduct.objects.get(pk=product.pk).name == "原名"


# --- product_set_status ------------------------------------------------------------------------


def test_product_can_be_cancelled_and_registered_again_with_audited_reasons(tree, county_admin):
    product = ProductFactory.create(divisions=[tree["c1a"]])

    product_set_status(
        actor=county_admin, product=product, status=ProductStatus.CANCELLED, reason=" 证书注销 "
    )
    assert GIProduct.objects.get(pk=product.pk).status == ProductStatus.CANCELLED
    product_set_status(
        actor=county_admin, product=product, status=ProductStatus.REGISTERED, reason="重新登记"
    )
    assert GIProduct.objects.get(pk=product.pk).status == ProductStatus.REGISTERED

    cancel, register = _product_audit_rows(product)
    assert cancel.action == register.action == AuditAction.TRANSITION
    assert cancel.detail == "证书注销"
    assert cancel.changes == {"before": {"status": "registered"}, "after": {"status": "cancelled"}}
    assert register.changes["after"] == {"status": "registered"}


@pytest.mark.parametrize("status", [ProductStatus.REGISTERED, "archived"])
def test_status_change_to_same_or_unknown_state_is_an_invalid_transition(
    tree, county_admin, status
):
    product = ProductFactory.create(divisions=[tree["c1a"]])

    with pytest.raises(RegistryError) as caught:
        product_set_status(actor=county_admin, product=product, status=status, reason="原因")

    assert caught.value.code == "invalid_transition"
    assert caught.value.status == 409
    assert GIProduct.objects.get(pk=product.pk).status == ProductStatus.REGISTERED
    assert not AuditLog.objects.exists()


def test_cancelling_a_cancelled_product_is_an_invalid_transition(tree, county_admin):
    product = ProductFactory.create(divisions=[tree["c1a"]], status=ProductStatus.CANCELLED)

    with pytest.raises(RegistryError) as caught:
        product_set_status(
            actor=county_admin, product=product, status=ProductStatus.CANCELLED, reason="再注销"
        )
    assert caught.value.code == "invalid_transition"
    assert caught.value.status == 409


@pytest.mark.parametrize("reason", ["", "   "])
def test_status_change_needs_a_reason(tree, county_admin, reason):
    product = ProductFactory.create(divisions=[tree["c1a"]])

    with pytest.raises(RegistryError) as caught:
        product_set_status(
            actor=county_admin, product=product, status=ProductStatus.CANCELLED, reason=reason
        )

    assert caught.value.code == "reason_required"
    assert GIProduct.objects.get(pk=product.pk).status == ProductStatus.REGISTERED
    assert not AuditLog.objects.exists()


def test_city_admin_cannot_change_status(tree, city_admin):
    product = ProductFactory.create(divisions=[tree["c1a"]])
    with pytest.raises(ForbiddenError):
        product_set_status(
            actor=city_admin, product=product, status=ProductStatus.CANCELLED, reason="注销"
        )
    assert GIProduct.objects.get(pk=product.pk).status == ProductStatus.REGISTERED


def test_status_change_of_another_countys_product_is_not_found(tree, county_admin):
    product = ProductFactory.create(divisions=[tree["c2a"]])
    with pytest.raises(NotFoundError):
        product_set_status(
            actor=county_admin, product=product, status=ProductStatus.CANCELLED, reason="注销"
        )
    assert GIProduct.objects.get(pk=product.pk).status == ProductStatus.REGISTERED


# --- documents and images -----------------------------------------------------------------------


def test_document_upload_is_stored_and_audited(tree, county_admin):
    product = ProductFactory.create(divisions=[tree["c1a"]])

    document = product_document_add(
        actor=county_admin,
        product=product,
        title=" 生产技术规程 ",
        kind=DocumentKind.TECHNICAL_STANDARD,
        upload=pdf_upload(),
    )

    assert document.title == "生产技术规程"
    assert document.uploaded_by == county_admin
    assert str(document.file.name).startswith(f"registry/{product.pk}/")
    with document.file.open("rb") as handle:
        assert handle.read().startswith(b"%PDF")
    (row,) = AuditLog.objects.filter(object_type="registry.productdocument")
    assert row.action == AuditAction.CREATE
    assert row.changes["after"]["product"] == product.pk


# Uploads are judged by their content (core/uploads.py), not by their name: a real PDF under
# any name is a PDF and is stored with the .pdf extension; anything else is refused.
@pytest.mark.parametrize(
    ("name", "stored"),
    [
        ("setup.exe", "setup.pdf"),
        ("规程.pdf.sh", "规程.pdf"),
        ("notes.txt", "notes.pdf"),
        ("noextension", "noextension.pdf"),
    ],
)
def test_document_is_judged_by_content_and_stored_with_the_detected_extension(
    tree, county_admin, name, stored
):
    product = ProductFactory.create(divisions=[tree["c1a"]])

    document = product_document_add(
        actor=county_admin,
        product=product,
        title="文件",
        kind=DocumentKind.OTHER,
        upload=pdf_upload(name=name),
    )

    assert str(document.file.name).endswith(f"_{stored}")


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("规程.pdf", b"<!DOCTYPE html><html><script>alert(1)</script></html>"),
        ("run.pdf", b"#!/bin/sh\nrm -rf /\n"),
        ("setup.docx", b"MZ\x90\x00" + bytes(200)),
        ("动图.png", image_bytes("GIF")),
    ],
)
def test_document_whose_content_is_not_allowed_is_refused(tree, county_admin, name, content):
    product = ProductFactory.create(divisions=[tree["c1a"]])

    with pytest.raises(UploadError) as caught:
        product_document_add(
            actor=county_admin,
            product=product,
            title="文件",
            kind=DocumentKind.OTHER,
            upload=pdf_upload(name=name, content=content),
        )

    assert caught.value.code == "file_type_not_allowed"
    assert not ProductDocument.objects.exists()
    assert not AuditLog.objects.exists()


def test_document_over_the_size_limit_is_refused(tree, county_admin, settings):
    settings.DIBIAO_UPLOAD_MAX_BYTES = 10
    product = ProductFactory.create(divisions=[tree["c1a"]])

    with pytest.raises(UploadError) as caught:
        product_document_add(
            actor=county_admin,
            product=product,
            title="大文件",
            kind=DocumentKind.OTHER,
            upload=pdf_upload(content=b"%PDF" + b"x" * 20),
        )

    assert caught.value.code == "file_too_large"
    assert not ProductDocument.objects.exists()


def test_document_needs_a_known_kind_and_a_title(tree, county_admin):
    product = ProductFactory.create(divisions=[tree["c1a"]])

    with pytest.raises(RegistryError) as bad_kind:
        product_document_add(
            actor=county_admin, product=product, title="文件", kind="poster", upload=pdf_upload()
        )
    with pytest.raises(RegistryError) as no_title:
        product_document_add(
            actor=county_admin,
            product=product,
            title="  ",
            kind=DocumentKind.OTHER,
            upload=pdf_upload(),
        )

    assert bad_kind.value.code == "invalid_kind"
    assert no_title.value.code == "title_required"
    assert not ProductDocument.objects.exists()


def test_document_upload_by_city_admin_is_forbidden(tree, city_admin):
    product = ProductFactory.create(divisions=[tree["c1a"]])
    with pytest.raises(ForbiddenError):
        product_document_add(
            actor=city_admin,
            product=product,
            title="文件",
            kind=DocumentKind.OTHER,
            upload=pdf_upload(),
        )
    assert not ProductDocument.objects.exists()


def test_document_upload_to_another_countys_product_is_not_found(tree, county_admin):
    product = ProductFactory.create(divisions=[tree["c2a"]])
    with pytest.raises(NotFoundError):
        product_document_add(
            actor=county_admin,
            product=product,
            title="文件",
            kind=DocumentKind.OTHER,
            upload=pdf_upload(),
        )
    assert not ProductDocument.objects.exists()


@pytest.mark.parametrize(("fmt", "name"), [("PNG", "a.png"), ("JPEG", "b.jpg"), ("WEBP", "c.webp")])
def test_real_image_is_stored_whole_and_audited(tree, county_admin, fmt, name):
    product = ProductFactory.create(divisions=[tree["c1a"]])
    content = image_bytes(fmt)

    image = product_image_add(
        actor=county_admin,
        product=product,
        caption=" 果穗 ",
        upload=png_upload(name=name, content=content),
    )

    assert image.caption == "果穗"
    with image.image.open("rb") as handle:
        assert handle.read() == content
    assert AuditLog.objects.filter(object_type="registry.productimage").count() == 1


def test_non_image_bytes_named_png_are_refused(tree, county_admin):
    product = ProductFactory.create(divisions=[tree["c1a"]])

    with pytest.raises(UploadError) as caught:
        product_image_add(
            actor=county_admin,
            product=product,
            caption="",
            upload=png_upload(content=b"<script>alert(1)</script>"),
        )

    assert caught.value.code == "file_type_not_allowed"
    assert not ProductImage.objects.exists()
    assert not AuditLog.objects.exists()


def test_image_in_a_format_outside_jpeg_png_webp_is_refused_even_if_named_png(tree, county_admin):
    product = ProductFactory.create(divisions=[tree["c1a"]])

    with pytest.raises(UploadError) as caught:
        product_image_add(
            actor=county_admin,
            product=product,
            caption="",
            upload=png_upload(content=image_bytes("GIF")),
        )

    assert caught.value.code == "file_type_not_allowed"
    assert not ProductImage.objects.exists()


def test_svg_named_png_is_refused(tree, county_admin):
    product = ProductFactory.create(divisions=[tree["c1a"]])
    with pytest.raises(UploadError) as caught:
        product_image_add(
            actor=county_admin,
            product=product,
            caption="",
            upload=png_upload(content=b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>'),
        )
    assert caught.value.code == "file_type_not_allowed"
    assert not ProductImage.objects.exists()


def test_real_png_named_svg_is_stored_as_png(tree, county_admin):
    product = ProductFactory.create(divisions=[tree["c1a"]])
    image = product_image_add(
        actor=county_admin, product=product, caption="", upload=png_upload(name="photo.svg")
    )
    assert str(image.image.name).endswith("_photo.png")


def test_truncated_png_is_refused(tree, county_admin):
    product = ProductFactory.create(divisions=[tree["c1a"]])
    with pytest.raises(UploadError) as caught:
        product_image_add(
            actor=county_admin,
            product=product,
            caption="",
            upload=png_upload(content=image_bytes()[:20]),
        )
    assert caught.value.code == "invalid_image"
    assert not ProductImage.objects.exists()


def test_image_over_the_size_limit_is_refused(tree, county_admin, settings):
    settings.DIBIAO_UPLOAD_MAX_BYTES = 16
    product = ProductFactory.create(divisions=[tree["c1a"]])
    with pytest.raises(UploadError) as caught:
        product_image_add(actor=county_admin, product=product, caption="", upload=png_upload())
    assert caught.value.code == "file_too_large"
    assert not ProductImage.objects.exists()


def test_image_upload_rights_and_scope(tree, county_admin, city_admin):
    own = ProductFactory.create(divisions=[tree["c1a"]])
    other = ProductFactory.create(divisions=[tree["c2a"]])

    with pytest.raises(ForbiddenError):
        product_image_add(actor=city_admin, product=own, caption="", upload=png_upload())
    with pytest.raises(NotFoundError):
        product_image_add(actor=county_admin, product=other, caption="", upload=png_upload())
    assert not ProductImage.objects.exists()


# --- products shared by several counties ---------------------------------------------------------


@pytest.fixture
def shared(tree):
    """A product spanning c1a and c2a whose certificate holder sits in c2a."""
    holder = OrganizationFactory.create(name="跨县协会", division=tree["c2a"])
    return ProductFactory.create(
        name="跨县产品", certificate_holder=holder, divisions=[tree["c1a"], tree["c2a"]]
    )


def test_county_admin_edits_a_shared_product_without_naming_divisions(tree, county_admin, shared):
    product_save(actor=county_admin, product=shared, data={"story": "两县共有"})

    shared.refresh_from_db()
    assert shared.story == "两县共有"
    assert set(shared.divisions.all()) == {tree["c1a"], tree["c2a"]}
    assert shared.certificate_holder is not None
    assert shared.certificate_holder.name == "跨县协会"


def test_county_admin_editing_a_shared_product_keeps_the_other_countys_division(
    tree, county_admin, shared
):
    product_save(
        actor=county_admin, product=shared, data={"story": "两县共有"}, divisions=[tree["c1a"]]
    )

    assert set(GIProduct.objects.get(pk=shared.pk).divisions.all()) == {tree["c1a"], tree["c2a"]}
    update_row = _product_audit_rows(shared)[-1]
    assert "divisions" not in update_row.changes["after"]


def test_county_admin_may_withdraw_its_county_from_a_shared_product(tree, county_admin, shared):
    product_save(actor=county_admin, product=shared, data={}, divisions=[])

    assert list(GIProduct.objects.get(pk=shared.pk).divisions.all()) == [tree["c2a"]]


def test_county_admin_cannot_change_the_holder_to_one_outside_its_scope(tree, county_admin, shared):
    other = OrganizationFactory.create(division=tree["c2b"])

    with pytest.raises(RegistryError) as caught:
        product_save(actor=county_admin, product=shared, data={"certificate_holder": other})

    assert caught.value.code == "holder_out_of_scope"
    assert GIProduct.objects.get(pk=shared.pk).certificate_holder_id != other.pk


def test_county_cannot_change_status_of_a_product_shared_with_another_county(
    tree, county_admin, province_admin
):
    from dibiao.core.errors import ForbiddenError

    shared = ProductFactory.create(divisions=[tree["c1a"], tree["c1b"]])
    with pytest.raises(ForbiddenError):
        product_set_status(actor=county_admin, product=shared, status="cancelled", reason="注销")
    product_set_status(actor=province_admin, product=shared, status="cancelled", reason="注销")
    assert GIProduct.objects.get(pk=shared.pk).status == "cancelled"
