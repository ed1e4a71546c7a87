from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from dibiao.accounts.choices import OrganizationKind, Role
from dibiao.archive import services
from dibiao.archive.choices import ArchiveCategory
from dibiao.archive.errors import ArchiveError
from dibiao.archive.models import ArchiveDocument
from dibiao.archive.selectors import archive_get_for_user, archive_list_for_user
from dibiao.archive.services import archive_attach, archive_withdraw
from dibiao.archive.targets import filing_for, register_target, target_type_for
from dibiao.archive.tests.support import attach
from dibiao.core.choices import AuditAction
from dibiao.core.errors import ForbiddenError, NotFoundError
from dibiao.core.models import AuditLog, Division
from dibiao.core.uploads import UploadError
from dibiao.testing.factories import OrganizationFactory, ProductFactory, user_with_role
from dibiao.testing.files import HTML, PDF, image_bytes, pdf_upload, png_upload, upload

pytestmark = pytest.mark.django_db


def _stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# --- attaching ----------------------------------------------------------------------------------


def test_county_admin_files_a_pdf_under_a_random_name_and_it_is_audited(tree, county_admin, own):
    document = attach(county_admin, own, upload=pdf_upload("县级验收报告.pdf"))

    assert document.target == own
    assert document.division == tree["c1a"]
    assert document.organization is None
    assert document.original_name == "县级验收报告.pdf"
    assert document.kind == "pdf"
    assert document.size == len(PDF)
    assert document.sha256 == hashlib.sha256(PDF).hexdigest()
    assert document.uploaded_by == county_admin
    stored = str(document.file.name)
    assert re.fullmatch(r"archive/\d{4}/\d{2}/\d{2}/[0-9a-f]{32}\.pdf", stored)
    assert "验收" not in stored
    with document.file.open("rb") as handle:
        assert handle.read() == PDF
    (row,) = AuditLog.objects.filter(object_type="archive.archivedocument")
    assert row.action == AuditAction.CREATE
    assert row.object_id == str(document.pk)
    assert row.changes["after"]["original_name"] == "县级验收报告.pdf"
    assert row.changes["after"]["sha256"] == document.sha256


def test_two_uploads_of_the_same_name_get_different_stored_names(county_admin, own):
    first = attach(county_admin, own)
    second = attach(county_admin, own)
    assert first.file.name != second.file.name


@pytest.mark.parametrize(
    ("role", "division"),
    [
        (Role.PROVINCE_ADMIN, "p"),
        (Role.CITY_ADMIN, "c1"),
        (Role.COUNTY_ADMIN, "c1a"),
        (Role.COUNTY_GOV, "c1a"),
    ],
)
def test_government_roles_in_scope_may_attach(tree, own, role, division):
    actor = user_with_role(role, tree[division])

    document = attach(actor, own)

    # Filed under the product's county, the most precise division the actor can see.
    assert document.division == tree["c1a"]
    assert document.organization is None


def test_producer_attaches_to_its_own_product_under_its_organization(tree, own, producer, holder):
    document = attach(producer, own, upload=png_upload(), category=ArchiveCategory.PHOTO)

    assert document.organization == holder
    assert document.division == tree["c1a"]
    assert document.kind == "png"


def test_producer_cannot_attach_to_a_product_it_does_not_hold(tree, foreign, producer):
    with pytest.raises(NotFoundError):
        attach(producer, foreign)
    assert not ArchiveDocument.objects.exists()


def test_role_that_sees_the_product_but_may_not_attach_is_forbidden(tree):
    lab = OrganizationFactory.create(kind=OrganizationKind.LAB, division=tree["c1a"])
    product = ProductFactory.create(divisions=[tree["c1a"]], certificate_holder=lab)
    lab_user = user_with_role(Role.LAB, tree["c1a"], organization=lab)

    with pytest.raises(ForbiddenError):
        attach(lab_user, product)
    assert not ArchiveDocument.objects.exists()


def test_county_user_cannot_attach_to_another_countys_product(county_admin, foreign, settings):
    with pytest.raises(NotFoundError):
        archive_attach(
            actor=county_admin,
            target=foreign,
            division=foreign.divisions.get(),
            category=ArchiveCategory.DOCUMENT,
            document_date=dt.date(2026, 1, 5),
            description="",
            upload=pdf_upload(),
        )
    assert not ArchiveDocument.objects.exists()
    assert not AuditLog.objects.exists()
    assert _stored_files(settings) == []


def test_auditor_sees_no_product_and_cannot_attach(auditor, own):
    with pytest.raises(NotFoundError):
        archive_attach(
            actor=auditor,
            target=own,
            division=own.divisions.get(),
            category=ArchiveCategory.DOCUMENT,
            document_date=dt.date(2026, 1, 5),
            description="",
            upload=pdf_upload(),
        )


def test_division_must_be_one_of_the_targets(tree, province_admin, own):
    with pytest.raises(ArchiveError) as caught:
        archive_attach(
            actor=province_admin,
            target=own,
            division=tree["c2a"],
            category=ArchiveCategory.DOCUMENT,
            document_date=dt.date(2026, 1, 5),
            description="",
            upload=pdf_upload(),
        )
    assert caught.value.code == "division_mismatch"


def test_division_of_a_shared_product_outside_the_actors_scope_is_refused(tree, county_admin):
    shared = ProductFactory.create(divisions=[tree["c1a"], tree["c2a"]])
    with pytest.raises(ArchiveError) as caught:
        archive_attach(
            actor=county_admin,
            target=shared,
            division=tree["c2a"],
            category=ArchiveCategory.DOCUMENT,
            document_date=dt.date(2026, 1, 5),
            description="",
            upload=pdf_upload(),
        )
    assert caught.value.code == "division_out_of_scope"


def test_organization_must_be_the_targets_owner(tree, producer, own):
    stranger = OrganizationFactory.create(kind=OrganizationKind.PRODUCER, division=tree["c1a"])
    with pytest.raises(ArchiveError) as caught:
        archive_attach(
            actor=producer,
            target=own,
            division=tree["c1a"],
            organization=stranger,
            category=ArchiveCategory.DOCUMENT,
            document_date=dt.date(2026, 1, 5),
            description="",
            upload=pdf_upload(),
        )
    assert caught.value.code == "organization_mismatch"


def test_producer_cannot_file_without_its_organization(tree, producer, own):
    # Filed under the division alone, the document would be the county's, not the producer's.
    with pytest.raises(ArchiveError) as caught:
        archive_attach(
            actor=producer,
            target=own,
            division=tree["c1a"],
            category=ArchiveCategory.DOCUMENT,
            document_date=dt.date(2026, 1, 5),
            description="",
            upload=pdf_upload(),
        )
    assert caught.value.code == "division_out_of_scope"


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"category": "poster"}, "invalid_category"),
        ({"document_date": dt.date(2999, 1, 1)}, "invalid_date"),
        ({"description": "长" * 501}, "description_too_long"),
    ],
)
def test_invalid_fields_are_refused(county_admin, own, kwargs, code, settings):
    with pytest.raises(ArchiveError) as caught:
        attach(county_admin, own, **kwargs)
    assert caught.value.code == code
    assert not ArchiveDocument.objects.exists()
    assert _stored_files(settings) == []


def test_todays_date_is_accepted(county_admin, own):
    document = attach(county_admin, own, document_date=timezone.localdate())
    assert document.document_date == timezone.localdate()


@pytest.mark.parametrize(
    ("file", "code"),
    [
        (upload("现场照片.png", HTML, "image/png"), "file_type_not_allowed"),
        (upload("空白.pdf", b"", "application/pdf"), "empty_file"),
    ],
)
def test_refused_uploads_leave_nothing_behind(county_admin, own, file, code, settings):
    with pytest.raises(UploadError) as caught:
        attach(county_admin, own, upload=file)
    assert caught.value.code == code
    assert not ArchiveDocument.objects.exists()
    assert not AuditLog.objects.exists()
    assert _stored_files(settings) == []


def test_oversized_upload_is_refused(county_admin, own, settings):
    settings.DIBIAO_UPLOAD_MAX_BYTES = 64
    with pytest.raises(UploadError) as caught:
        attach(county_admin, own, upload=upload("扫描件.pdf", PDF + b"x" * 100))
    assert caught.value.code == "file_too_large"


def test_photo_category_takes_images_only(county_admin, own):
    with pytest.raises(UploadError) as caught:
        attach(county_admin, own, category=ArchiveCategory.PHOTO)
    assert caught.value.code == "file_type_not_allowed"

    photo = attach(
        county_admin,
        own,
        category=ArchiveCategory.PHOTO,
        upload=upload("基地.jpeg", image_bytes("JPEG")),
    )
    assert photo.kind == "jpeg"
    assert str(photo.file.name).endswith(".jpg")


def test_a_failure_after_the_file_is_stored_removes_the_file(
    county_admin, own, settings, monkeypatch
):
    def broken_audit(**kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(services, "audit_record", broken_audit)
    with pytest.raises(RuntimeError):
        attach(county_admin, own)
    assert not ArchiveDocument.objects.exists()
    assert _stored_files(settings) == []


# --- filing ------------------------------------------------------------------------------------


def test_a_shared_products_documents_stay_with_the_county_that_filed_them(
    tree, county_admin, other_county_admin, province_admin
):
    shared = ProductFactory.create(divisions=[tree["c2a"], tree["c1a"]])
    city2 = user_with_role(Role.CITY_ADMIN, tree["c2"])

    assert filing_for(actor=county_admin, target=shared) == (tree["c1a"], None)
    assert filing_for(actor=other_county_admin, target=shared) == (tree["c2a"], None)
    assert filing_for(actor=city2, target=shared) == (tree["c2a"], None)
    assert filing_for(actor=province_admin, target=shared) == (tree["c1a"], None)

    mine = attach(county_admin, shared)
    theirs = attach(other_county_admin, shared)
    assert list(archive_list_for_user(user=county_admin, target=shared)) == [mine]
    assert list(archive_list_for_user(user=other_county_admin, target=shared)) == [theirs]
    assert set(archive_list_for_user(user=province_admin, target=shared)) == {mine, theirs}


def test_a_product_placed_at_its_city_is_filed_at_the_city(tree, city_admin):
    product = ProductFactory.create(divisions=[tree["c1"]])
    assert filing_for(actor=city_admin, target=product) == (tree["c1"], None)


def test_a_target_without_a_division_cannot_be_filed(province_admin, tree):
    product = ProductFactory.create(divisions=[tree["c1a"]])
    product.divisions.clear()
    with pytest.raises(ArchiveError) as caught:
        filing_for(actor=province_admin, target=product)
    assert caught.value.code == "target_without_division"


def test_only_scoped_models_can_be_registered_and_unknown_types_are_refused():
    with pytest.raises(TypeError):
        register_target(Division, label="区划", divisions_of=lambda d: [d])
    with pytest.raises(ArchiveError) as caught:
        target_type_for("accounts.user")
    assert caught.value.code == "invalid_target_type"


# --- who sees what ------------------------------------------------------------------------------


def test_scoping_of_the_archive(
    tree, county_admin, other_county_admin, city_admin, province_admin, producer, own, foreign
):
    government = attach(county_admin, own)
    producers = attach(producer, own)
    elsewhere = attach(other_county_admin, foreign)
    city2 = user_with_role(Role.CITY_ADMIN, tree["c2"])

    def seen(user):
        return set(archive_list_for_user(user=user))

    assert seen(county_admin) == {government, producers}
    assert seen(city_admin) == {government, producers}
    assert seen(province_admin) == {government, producers, elsewhere}
    assert seen(other_county_admin) == seen(city2) == {elsewhere}
    # A producer sees what it filed, not the county's own papers on its product.
    assert seen(producer) == {producers}
    with pytest.raises(NotFoundError):
        archive_get_for_user(user=county_admin, pk=elsewhere.pk)
    with pytest.raises(NotFoundError):
        archive_get_for_user(user=producer, pk=government.pk)


def test_list_filters(tree, county_admin, own):
    photo = attach(
        county_admin,
        own,
        upload=png_upload("采摘.png"),
        category=ArchiveCategory.PHOTO,
        document_date=dt.date(2026, 9, 1),
        description="采摘现场",
    )
    minutes = attach(
        county_admin,
        own,
        category=ArchiveCategory.MEETING_MINUTES,
        document_date=dt.date(2026, 2, 1),
        description="推进会",
    )

    def listed(**kwargs):
        return list(archive_list_for_user(user=county_admin, **kwargs))

    assert listed() == [photo, minutes]  # newest document date first
    assert listed(category=ArchiveCategory.PHOTO) == [photo]
    assert listed(date_from=dt.date(2026, 3, 1)) == [photo]
    assert listed(date_to=dt.date(2026, 3, 1)) == [minutes]
    assert listed(q="推进") == [minutes]
    assert listed(q="采摘.png") == [photo]
    assert listed(division="140100") == [photo, minutes]  # the city matches its counties
    assert listed(division="140121") == [photo, minutes]
    assert listed(division="140122") == []
    assert listed(target_type="registry.giproduct", target_id=own.pk) == [photo, minutes]
    assert listed(target_id=own.pk + 1000) == []
    with pytest.raises(ArchiveError):
        listed(target_type="accounts.user")


# --- withdrawing --------------------------------------------------------------------------------


def test_withdrawal_hides_the_document_keeps_it_and_is_audited(county_admin, own):
    document = attach(county_admin, own)

    archive_withdraw(actor=county_admin, document=document, reason=" 传错了文件 ")

    document.refresh_from_db()
    assert document.is_withdrawn
    assert document.withdrawn_by == county_admin
    assert document.withdraw_reason == "传错了文件"
    assert list(archive_list_for_user(user=county_admin)) == []
    assert list(archive_list_for_user(user=county_admin, include_withdrawn=True)) == [document]
    assert archive_get_for_user(user=county_admin, pk=document.pk) == document
    assert document.file.storage.exists(str(document.file.name))
    row = AuditLog.objects.get(action=AuditAction.TRANSITION)
    assert row.object_type == "archive.archivedocument"
    assert row.detail == "传错了文件"
    assert row.changes == {"before": {"withdrawn": False}, "after": {"withdrawn": True}}


def test_withdrawing_twice_is_a_conflict(county_admin, own):
    document = attach(county_admin, own)
    archive_withdraw(actor=county_admin, document=document, reason="重复")
    with pytest.raises(ArchiveError) as caught:
        archive_withdraw(actor=county_admin, document=document, reason="重复")
    assert caught.value.code == "already_withdrawn"
    assert caught.value.status == 409
    assert AuditLog.objects.filter(action=AuditAction.TRANSITION).count() == 1


def test_withdrawal_needs_a_reason(county_admin, own):
    document = attach(county_admin, own)
    with pytest.raises(ArchiveError) as caught:
        archive_withdraw(actor=county_admin, document=document, reason="  ")
    assert caught.value.code == "reason_required"
    document.refresh_from_db()
    assert not document.is_withdrawn


def test_another_county_cannot_withdraw(county_admin, other_county_admin, own):
    document = attach(county_admin, own)
    with pytest.raises(NotFoundError):
        archive_withdraw(actor=other_county_admin, document=document, reason="越权")
    document.refresh_from_db()
    assert not document.is_withdrawn


def test_the_city_may_withdraw_its_countys_document(county_admin, city_admin, own):
    document = attach(county_admin, own)
    archive_withdraw(actor=city_admin, document=document, reason="市级复核：重复上传")
    document.refresh_from_db()
    assert document.withdrawn_by == city_admin


def test_producer_withdraws_its_own_documents_only(tree, county_admin, producer, own):
    theirs = attach(producer, own)
    archive_withdraw(actor=producer, document=theirs, reason="传错")
    government = attach(county_admin, own)
    with pytest.raises(NotFoundError):
        archive_withdraw(actor=producer, document=government, reason="越权")


def test_a_lab_seeing_a_document_may_not_withdraw_it(tree, county_admin):
    lab = OrganizationFactory.create(kind=OrganizationKind.LAB, division=tree["c1a"])
    product = ProductFactory.create(divisions=[tree["c1a"]], certificate_holder=lab)
    lab_user = user_with_role(Role.LAB, tree["c1a"], organization=lab)
    document = attach(county_admin, product)
    # Filed with the lab as owner, as a producer's would be, so that the lab can see it.
    ArchiveDocument.objects.filter(pk=document.pk).update(organization=lab)
    document.refresh_from_db()

    assert archive_get_for_user(user=lab_user, pk=document.pk) == document
    with pytest.raises(ForbiddenError):
        archive_withdraw(actor=lab_user, document=document, reason="无权")


def test_the_generic_target_is_a_content_type_and_id(county_admin, own):
    document = attach(county_admin, own)
    assert document.content_type == ContentType.objects.get_for_model(own)
    assert document.object_id == own.pk
    assert document.target_type == "registry.giproduct"
    assert document.target_archive_url == f"/archive/products/{own.pk}/"
