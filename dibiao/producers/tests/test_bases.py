"""Production bases: geometry validation, computed area and box, the protected-area flag and its
recheck, status transitions, who may write, pages and API with their scope 404s."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from dibiao.archive.permissions import can_attach_to
from dibiao.archive.targets import target_find_for_user
from dibiao.core.choices import AuditAction
from dibiao.core.errors import ForbiddenError, NotFoundError
from dibiao.core.models import AuditLog
from dibiao.producers.choices import BaseKind, BaseStatus, ProducerStatus
from dibiao.producers.errors import ProducersError
from dibiao.producers.models import ProductionBase
from dibiao.producers.rules import FieldError, area_warning
from dibiao.producers.services import bases as services
from dibiao.producers.services.bases import BaseInput
from dibiao.producers.tests.directory_fixtures import BOWTIE, api_as, client_as, square
from dibiao.testing.factories import ProductFactory, producer, producer_user, production_base

pytestmark = pytest.mark.django_db
INSIDE = square(112.02, 37.02, 0.01)  # about 1,480 亩
OUTSIDE = square(112.5, 37.5, 0.01)
ACROSS = square(112.095, 37.02, 0.01)  # crosses the protected area's eastern edge


@pytest.fixture
def product(tree):
    return ProductFactory.create(
        name="清徐葡萄", divisions=[tree["c1a"]], protected_area_boundary=square(112.0, 37.0, 0.1)
    )


@pytest.fixture
def entry(tree, product):
    return producer(tree["c1a"], name="葡萄合作社", products=[product])


def _data(product, **values) -> BaseInput:
    fields = {
        "product": product,
        "kind": BaseKind.CORE,
        "name": "东于核心基地",
        "area_mu": Decimal("1500.00"),
        "boundary": INSIDE,
    }
    fields.update(values)
    return BaseInput(**fields)


def _field_error(call) -> FieldError:
    with pytest.raises(FieldError) as info:
        call()
    return info.value


# --- Services --------------------------------------------------------------------------------


def test_a_base_inside_the_protected_area_is_not_flagged(tree, county_admin, entry, product):
    base = services.base_create(actor=county_admin, producer=entry, data=_data(product))
    base.refresh_from_db()
    assert base.outside_protected_area is False
    assert base.boundary_area_mu is not None
    assert Decimal(1400) < base.boundary_area_mu < Decimal(1560)
    assert (base.min_longitude, base.max_latitude) == (Decimal("112.020000"), Decimal("37.030000"))
    assert base.division == tree["c1a"]
    assert json.loads(base.boundary)["type"] == "Polygon"
    assert AuditLog.objects.filter(action=AuditAction.CREATE, object_id=str(base.pk)).exists()


@pytest.mark.parametrize("boundary", [OUTSIDE, ACROSS])
def test_a_base_outside_or_across_the_protected_area_is_flagged(
    county_admin, entry, product, boundary
):
    base = services.base_create(
        actor=county_admin, producer=entry, data=_data(product, boundary=boundary)
    )
    assert base.outside_protected_area is True


def test_without_a_boundary_the_point_is_checked(county_admin, entry, product):
    inside = services.base_create(
        actor=county_admin,
        producer=entry,
        data=_data(product, boundary="", longitude=Decimal("112.05"), latitude=Decimal("37.05")),
    )
    outside = services.base_create(
        actor=county_admin,
        producer=entry,
        data=_data(
            product, name="远处", boundary="", longitude=Decimal("113"), latitude=Decimal("38")
        ),
    )
    assert (inside.outside_protected_area, outside.outside_protected_area) == (False, True)
    assert inside.boundary_area_mu is None


def test_a_product_without_a_boundary_flags_nothing(tree, county_admin):
    product = ProductFactory.create(divisions=[tree["c1a"]])
    entry = producer(tree["c1a"], products=[product])
    base = services.base_create(
        actor=county_admin, producer=entry, data=_data(product, boundary=OUTSIDE)
    )
    assert base.outside_protected_area is False


@pytest.mark.parametrize(
    ("boundary", "code"),
    [
        ("{not json", "geojson_syntax"),
        (json.dumps({"type": "Point", "coordinates": [112, 37]}), "geojson_not_polygon"),
        (BOWTIE, "geojson_invalid"),
        (square(37.02, 112.02), "geojson_out_of_range"),  # latitude and longitude swapped
    ],
)
def test_a_bad_boundary_is_a_field_error(county_admin, entry, product, boundary, code):
    error = _field_error(
        lambda: services.base_create(
            actor=county_admin, producer=entry, data=_data(product, boundary=boundary)
        )
    )
    assert (error.field, error.code) == ("boundary", code)
    assert not ProductionBase.objects.exists()


def test_point_must_be_complete_and_in_china(county_admin, entry, product):
    half = _field_error(
        lambda: services.base_create(
            actor=county_admin, producer=entry, data=_data(product, longitude=Decimal("112"))
        )
    )
    assert half.code == "point_incomplete"
    far = _field_error(
        lambda: services.base_create(
            actor=county_admin,
            producer=entry,
            data=_data(product, longitude=Decimal("2.35"), latitude=Decimal("48.85")),
        )
    )
    assert (far.field, far.code) == ("longitude", "geojson_out_of_range")


def test_the_product_must_be_one_of_the_producers(tree, county_admin, entry):
    other = ProductFactory.create(divisions=[tree["c1a"]], name="别的产品")
    error = _field_error(
        lambda: services.base_create(actor=county_admin, producer=entry, data=_data(other))
    )
    assert (error.field, error.code) == ("product", "product_not_of_producer")


@pytest.mark.parametrize("area", [Decimal(0), Decimal("-1"), "abc", Decimal("1.234")])
def test_area_must_be_positive_with_two_decimals(county_admin, entry, product, area):
    error = _field_error(
        lambda: services.base_create(
            actor=county_admin, producer=entry, data=_data(product, area_mu=area)
        )
    )
    assert error.field == "area_mu"


def test_duplicate_name_per_producer(county_admin, entry, product):
    services.base_create(actor=county_admin, producer=entry, data=_data(product))
    error = _field_error(
        lambda: services.base_create(actor=county_admin, producer=entry, data=_data(product))
    )
    assert (error.field, error.code, error.status) == ("name", "duplicate_name", 409)


def test_area_warning_when_declared_area_differs_by_more_than_a_fifth():
    assert area_warning(Decimal("1500"), Decimal("1480")) == ""
    assert area_warning(Decimal("1776"), Decimal("1480")) == ""  # exactly 20 %
    assert "相差超过 20%" in area_warning(Decimal("100"), Decimal("1480"))
    assert area_warning(Decimal("100"), None) == ""


def test_producer_manages_its_own_bases_only(tree, product):
    user, own = producer_user(tree["c1a"], products=[product])
    other = producer(tree["c1a"], products=[product])
    services.base_create(actor=user, producer=own, data=_data(product))
    with pytest.raises(NotFoundError):
        services.base_create(actor=user, producer=other, data=_data(product))


def test_other_county_and_city_cannot_create(tree, other_county_admin, city_admin, entry, product):
    with pytest.raises(NotFoundError):
        services.base_create(actor=other_county_admin, producer=entry, data=_data(product))
    with pytest.raises(ForbiddenError):
        services.base_create(actor=city_admin, producer=entry, data=_data(product))


def test_a_suspended_producer_gets_no_new_base(tree, county_admin, product):
    entry = producer(tree["c1a"], products=[product], status=ProducerStatus.SUSPENDED)
    with pytest.raises(ProducersError) as info:
        services.base_create(actor=county_admin, producer=entry, data=_data(product))
    assert info.value.code == "producer_not_active"


def test_a_new_base_cannot_start_inactive(county_admin, entry, product):
    error = _field_error(
        lambda: services.base_create(
            actor=county_admin, producer=entry, data=_data(product), status=BaseStatus.INACTIVE
        )
    )
    assert error.code == "invalid_status"


def test_update_recomputes_the_flag_and_audits(county_admin, entry, product):
    base = services.base_create(actor=county_admin, producer=entry, data=_data(product))
    base = services.base_update(
        actor=county_admin, base=base, data=_data(product, boundary=OUTSIDE)
    )
    assert base.outside_protected_area is True
    log = AuditLog.objects.get(action=AuditAction.UPDATE, object_id=str(base.pk))
    assert log.changes["after"]["outside_protected_area"] is True


def test_clearing_the_boundary_clears_its_area_and_box(county_admin, entry, product):
    base = services.base_create(actor=county_admin, producer=entry, data=_data(product))
    base = services.base_update(actor=county_admin, base=base, data=_data(product, boundary=""))
    assert (base.boundary, base.boundary_area_mu, base.min_longitude) == ("", None, None)


def test_status_transitions_and_rejections(county_admin, entry, product):
    base = services.base_create(
        actor=county_admin, producer=entry, data=_data(product), status=BaseStatus.BUILDING
    )
    base = services.base_set_status(actor=county_admin, base=base, status=BaseStatus.ACTIVE)
    for target in (BaseStatus.ACTIVE, BaseStatus.BUILDING):
        with pytest.raises(ProducersError) as info:
            services.base_set_status(actor=county_admin, base=base, status=target)
        assert (info.value.code, info.value.status) == ("invalid_transition", 409)
    base = services.base_set_status(actor=county_admin, base=base, status=BaseStatus.INACTIVE)
    assert base.status == BaseStatus.INACTIVE


def test_recheck_after_the_product_boundary_changes(tree, county_admin, entry, product):
    inside = services.base_create(actor=county_admin, producer=entry, data=_data(product))
    outside = services.base_create(
        actor=county_admin, producer=entry, data=_data(product, name="远处", boundary=OUTSIDE)
    )
    product.protected_area_boundary = square(112.4, 37.4, 0.2)
    product.save()
    assert services.base_recheck_protected_area(product=product) == 2
    inside.refresh_from_db()
    outside.refresh_from_db()
    assert (inside.outside_protected_area, outside.outside_protected_area) == (True, False)
    assert services.base_recheck_protected_area(product=product) == 0
    product.protected_area_boundary = ""
    product.save()
    assert services.base_recheck_protected_area(product=product) == 1
    inside.refresh_from_db()
    assert inside.outside_protected_area is False


# --- Pages -----------------------------------------------------------------------------------


def _form(entry, product, **values):
    data = {
        "producer": entry.pk,
        "product": product.pk,
        "kind": "core",
        "name": "东于核心基地",
        "status": "active",
        "area_mu": "1500",
        "boundary": INSIDE,
    }
    data.update(values)
    return data


def test_create_page_saves_and_warns_about_the_area(county_admin, entry, product):
    response = client_as(county_admin).post(
        reverse("producers:base-create"), _form(entry, product, area_mu="100"), follow=True
    )
    html = response.content.decode()
    base = ProductionBase.objects.get()
    assert response.redirect_chain[-1][0] == reverse("producers:base-detail", args=[base.pk])
    assert "相差超过 20%" in html
    assert "公顷" in html
    assert "<svg" in html


def test_create_page_bad_polygon_is_a_field_error(county_admin, entry, product):
    response = client_as(county_admin).post(
        reverse("producers:base-create"), _form(entry, product, boundary=BOWTIE)
    )
    assert "自相交" in response.context["form"].errors["boundary"][0]
    assert not ProductionBase.objects.exists()


def test_create_page_reads_a_geojson_file(county_admin, entry, product):
    upload = SimpleUploadedFile(
        "base.geojson", OUTSIDE.encode(), content_type="application/geo+json"
    )
    response = client_as(county_admin).post(
        reverse("producers:base-create"), _form(entry, product, boundary="", boundary_file=upload)
    )
    assert response.status_code == 302
    assert ProductionBase.objects.get().outside_protected_area is True


def test_create_page_refuses_a_binary_boundary_file(county_admin, entry, product):
    upload = SimpleUploadedFile("base.geojson", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    response = client_as(county_admin).post(
        reverse("producers:base-create"), _form(entry, product, boundary="", boundary_file=upload)
    )
    assert "GeoJSON" in response.context["form"].errors["boundary_file"][0]


def test_create_page_product_not_of_the_producer_shows_at_the_field(tree, county_admin, entry):
    other = ProductFactory.create(divisions=[tree["c1a"]])
    other_entry = producer(tree["c1a"], products=[other])
    response = client_as(county_admin).post(
        reverse("producers:base-create"), _form(entry, other, producer=entry.pk)
    )
    assert "未登记生产" in response.context["form"].errors["product"][0]
    assert other_entry.bases.count() == 0


def test_list_shows_the_red_badge_and_filters_flagged(county_admin, entry, product):
    services.base_create(actor=county_admin, producer=entry, data=_data(product))
    services.base_create(
        actor=county_admin, producer=entry, data=_data(product, name="远处", boundary=OUTSIDE)
    )
    client = client_as(county_admin)
    html = client.get(reverse("producers:base-list")).content.decode()
    assert html.count("超出地域保护范围</span>") == 1
    flagged = client.get(reverse("producers:base-list"), {"flagged": "1"})
    assert [b.name for b in flagged.context["object_list"]] == ["远处"]


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("producers:base-detail", "get"),
        ("producers:base-edit", "get"),
        ("producers:base-edit", "post"),
        ("producers:base-status", "post"),
    ],
)
def test_another_countys_user_gets_404_on_base_pages(
    other_county_admin, entry, product, name, method
):
    base = production_base(entry, product)
    client = client_as(other_county_admin)
    url = reverse(name, args=[base.pk])
    response = client.get(url) if method == "get" else client.post(url, {"status": "inactive"})
    assert response.status_code == 404


def test_status_page_changes_the_status(county_admin, entry, product):
    base = production_base(entry, product)
    client_as(county_admin).post(
        reverse("producers:base-status", args=[base.pk]), {"status": "inactive"}
    )
    base.refresh_from_db()
    assert base.status == BaseStatus.INACTIVE


def test_create_page_offers_a_producer_only_its_own_entry(tree, product):
    user, own = producer_user(tree["c1a"], products=[product])
    producer(tree["c1a"], products=[product])
    form = client_as(user).get(reverse("producers:base-create")).context["form"]
    assert list(form.fields["producer"].queryset) == [own]


# --- API -------------------------------------------------------------------------------------


def test_api_create_and_read(county_admin, entry, product):
    body = {
        "producer": entry.pk,
        "product": product.pk,
        "kind": "core",
        "name": "基地A",
        "area_mu": "100",
        "boundary": INSIDE,
    }
    response = api_as(county_admin).post("/api/v1/bases/", body, format="json")
    assert response.status_code == 201
    data = response.json()
    assert data["outside_protected_area"] is False
    assert "相差超过 20%" in data["area_warning"]
    assert data["area_hectares"] == "6.67"
    assert data["producer"] == {"id": entry.pk, "name": "葡萄合作社"}


def test_api_producer_registers_a_base_for_a_product_it_does_not_hold(tree, product):
    # The product's certificate holder is someone else, so the product is outside the
    # producer's scope; the producer still keeps bases for what it produces.
    user, own = producer_user(tree["c1a"], products=[product])
    unrelated = ProductFactory.create(divisions=[tree["c1a"]])
    client = api_as(user)
    body = {"producer": own.pk, "product": product.pk, "kind": "core", "name": "自家基地"}
    created = client.post("/api/v1/bases/", {**body, "area_mu": "10"}, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["product"] == {"id": product.pk, "name": "清徐葡萄"}
    other = client.post(
        "/api/v1/bases/", {**body, "product": unrelated.pk, "area_mu": "10"}, format="json"
    )
    assert other.status_code == 400
    assert "product" in other.json()["errors"]
    listed = client_as(user).get(reverse("producers:base-list"))
    assert list(listed.context["products"]) == [product]


def test_a_producer_sees_only_its_own_bases_and_gets_404_on_anothers(tree, product):
    user, own = producer_user(tree["c1a"], products=[product])
    neighbour = producer(tree["c1a"], products=[product])
    mine = production_base(own, product, name="自家基地")
    theirs = production_base(neighbour, product, name="邻家基地")
    api, pages = api_as(user), client_as(user)
    assert [b["id"] for b in api.get("/api/v1/bases/").json()["results"]] == [mine.pk]
    assert list(pages.get(reverse("producers:base-list")).context["object_list"]) == [mine]
    assert api.get(f"/api/v1/bases/{theirs.pk}/").status_code == 404
    assert api.patch(f"/api/v1/bases/{theirs.pk}/", {"name": "x"}, format="json").status_code == (
        404
    )
    assert pages.get(reverse("producers:base-detail", args=[theirs.pk])).status_code == 404
    assert pages.get(reverse("producers:base-edit", args=[theirs.pk])).status_code == 404
    assert api.get(f"/api/v1/bases/?producer={neighbour.pk}").json()["count"] == 0


def test_api_bad_polygon_is_a_field_error(county_admin, entry, product):
    body = {
        "producer": entry.pk,
        "product": product.pk,
        "kind": "core",
        "name": "基地A",
        "area_mu": "100",
        "boundary": BOWTIE,
    }
    response = api_as(county_admin).post("/api/v1/bases/", body, format="json")
    assert response.status_code == 400
    assert "boundary" in response.json()["errors"]


def test_api_patch_recomputes_the_flag(county_admin, entry, product):
    base = services.base_create(actor=county_admin, producer=entry, data=_data(product))
    response = api_as(county_admin).patch(
        f"/api/v1/bases/{base.pk}/", {"boundary": OUTSIDE}, format="json"
    )
    assert response.json()["outside_protected_area"] is True
    assert response.json()["name"] == "东于核心基地"


def test_api_list_filters_flagged(county_admin, entry, product):
    services.base_create(actor=county_admin, producer=entry, data=_data(product))
    services.base_create(
        actor=county_admin, producer=entry, data=_data(product, name="远处", boundary=OUTSIDE)
    )
    rows = api_as(county_admin).get("/api/v1/bases/", {"flagged": "true"}).json()["results"]
    assert [r["name"] for r in rows] == ["远处"]


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [("get", "", None), ("patch", "", {"name": "x"}), ("post", "status/", {"status": "inactive"})],
)
def test_api_another_countys_user_gets_404(
    other_county_admin, entry, product, method, suffix, body
):
    base = production_base(entry, product)
    response = getattr(api_as(other_county_admin), method)(
        f"/api/v1/bases/{base.pk}/{suffix}", body, format="json"
    )
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_api_create_for_another_countys_producer_reads_as_missing(
    other_county_admin, entry, product
):
    body = {
        "producer": entry.pk,
        "product": product.pk,
        "kind": "core",
        "name": "x",
        "area_mu": "1",
    }
    response = api_as(other_county_admin).post("/api/v1/bases/", body, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"producer", "product"}


# --- Work archive ----------------------------------------------------------------------------


def test_entries_and_bases_take_attachments(tree, county_admin, other_county_admin, product):
    user, own = producer_user(tree["c1a"], products=[product])
    base = production_base(own, product)
    assert can_attach_to(user, base)
    assert can_attach_to(user, own)
    assert can_attach_to(county_admin, base)
    assert (
        target_find_for_user(
            user=other_county_admin, target_type="producers.productionbase", target_id=base.pk
        )
        is None
    )
    html = client_as(user).get(reverse("producers:base-detail", args=[base.pk])).content.decode()
    assert reverse("archive:target-attach", args=["producers.productionbase", base.pk]) in html


def test_saving_a_product_boundary_rechecks_its_bases(tree, county_admin):
    """The registry tells the producers app: a base goes out of the area without being saved."""
    import json

    from dibiao.registry.services import product_save
    from dibiao.testing.factories import ProductFactory, producer, production_base

    product = ProductFactory.create(divisions=[tree["c1a"]])
    entry = producer(tree["c1a"], products=[product])
    base = production_base(entry, product, longitude="112.500000", latitude="37.500000")
    assert base.outside_protected_area is False
    far_away = {
        "type": "Polygon",
        "coordinates": [
            [[110.0, 35.0], [110.5, 35.0], [110.5, 35.5], [110.0, 35.5], [110.0, 35.0]]
        ],
    }
    product_save(
        actor=county_admin,
        product=product,
        data={"protected_area_boundary": json.dumps(far_away)},
    )
    base.refresh_from_db()
    assert base.outside_protected_area is True
    product_save(actor=county_admin, product=product, data={"protected_area_boundary": ""})
    base.refresh_from_db()
    assert base.outside_protected_area is False


def test_the_audit_row_keeps_a_digest_of_the_boundary_not_the_polygon(tree, county_admin):
    import hashlib
    import json

    from dibiao.core.models import AuditLog
    from dibiao.producers.services.bases import BaseInput, base_create
    from dibiao.testing.factories import ProductFactory, producer

    product = ProductFactory.create(divisions=[tree["c1a"]])
    entry = producer(tree["c1a"], products=[product])
    ring = [[112.1, 37.1], [112.2, 37.1], [112.2, 37.2], [112.1, 37.2], [112.1, 37.1]]
    boundary = json.dumps({"type": "Polygon", "coordinates": [ring]})
    base = base_create(
        actor=county_admin,
        producer=entry,
        data=BaseInput(
            product=product, kind="core", name="审计基地", area_mu="100", boundary=boundary
        ),
    )
    row = AuditLog.objects.filter(
        object_type="producers.productionbase", object_id=str(base.pk)
    ).get()
    after = row.changes["after"]
    assert "boundary" not in after
    assert after["boundary_sha256"] == hashlib.sha256(base.boundary.encode()).hexdigest()
