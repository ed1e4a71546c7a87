"""Services and selectors of the directory: validation, scope, duplicates, status transitions,
sealed personal data and its audited full view, search by digest, the label-user flag."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError
from django.utils import timezone

from dibiao.accounts.choices import Role
from dibiao.core import pii
from dibiao.core.choices import AuditAction
from dibiao.core.errors import ForbiddenError, NotFoundError
from dibiao.core.models import AuditLog
from dibiao.producers import selectors
from dibiao.producers.choices import AuthorizationStatus, ProducerKind, ProducerStatus
from dibiao.producers.errors import ProducersError
from dibiao.producers.models import LabelAuthorization, Producer
from dibiao.producers.rules import FieldError, clean_phone
from dibiao.producers.services import directory as services
from dibiao.producers.services.directory import ProducerInput
from dibiao.producers.tests.directory_fixtures import PLAIN_PHONE
from dibiao.testing.factories import (
    VALID_CREDIT_CODE,
    VALID_ID_NUMBER,
    ProductFactory,
    producer,
    producer_user,
    user_with_role,
)

pytestmark = pytest.mark.django_db


def _input(division, **values) -> ProducerInput:
    fields = {
        "name": "清徐县葡萄专业合作社",
        "kind": ProducerKind.COOPERATIVE,
        "division": division,
        "credit_code": VALID_CREDIT_CODE,
        "phone": PLAIN_PHONE,
        "contact_name": "李四",
    }
    fields.update(values)
    return ProducerInput(**fields)


def _field_error(call) -> FieldError:
    with pytest.raises(FieldError) as info:
        call()
    return info.value


# --- Create ----------------------------------------------------------------------------------


def test_county_admin_registers_a_cooperative_with_sealed_phone(tree, county_admin):
    product = ProductFactory.create(divisions=[tree["c1a"]])
    entry = services.producer_create(
        actor=county_admin,
        data=_input(tree["c1a"], credit_code=VALID_CREDIT_CODE.lower(), products=[product]),
    )
    entry.refresh_from_db()
    assert entry.credit_code == VALID_CREDIT_CODE  # normalised to upper case
    assert entry.phone_masked == "139****5678"
    assert PLAIN_PHONE not in entry.phone_sealed
    assert pii.unseal(entry.phone_sealed) == PLAIN_PHONE
    assert entry.phone_digest == pii.digest(PLAIN_PHONE)
    assert list(entry.products.all()) == [product]
    assert entry.id_number_sealed == ""


def test_large_household_is_identified_by_id_number(tree, county_admin):
    entry = services.producer_create(
        actor=county_admin,
        data=_input(
            tree["c1a"],
            kind=ProducerKind.LARGE_HOUSEHOLD,
            credit_code="",
            id_number=VALID_ID_NUMBER.lower(),
        ),
    )
    assert entry.id_number_masked == "110105********002X"
    assert pii.unseal(entry.id_number_sealed) == VALID_ID_NUMBER
    assert entry.credit_code == ""


def test_bad_credit_code_check_character_is_a_field_error(tree, county_admin):
    bad = VALID_CREDIT_CODE[:-1] + ("0" if VALID_CREDIT_CODE[-1] != "0" else "1")
    error = _field_error(
        lambda: services.producer_create(
            actor=county_admin, data=_input(tree["c1a"], credit_code=bad)
        )
    )
    assert (error.field, error.code) == ("credit_code", "credit_code_check")
    assert "校验位" in error.message
    assert not Producer.objects.exists()


def test_bad_id_number_is_a_field_error(tree, county_admin):
    bad = VALID_ID_NUMBER[:-1] + "1"
    error = _field_error(
        lambda: services.producer_create(
            actor=county_admin,
            data=_input(tree["c1a"], kind=ProducerKind.INDIVIDUAL, credit_code="", id_number=bad),
        )
    )
    assert (error.field, error.code) == ("id_number", "id_number_check")


@pytest.mark.parametrize(
    ("kind", "field", "code"),
    [
        (ProducerKind.ENTERPRISE, "credit_code", "credit_code_required"),
        (ProducerKind.INDIVIDUAL, "id_number", "id_number_required"),
    ],
)
def test_the_identifier_of_the_kind_is_required(tree, county_admin, kind, field, code):
    error = _field_error(
        lambda: services.producer_create(
            actor=county_admin, data=_input(tree["c1a"], kind=kind, credit_code="", id_number="")
        )
    )
    assert (error.field, error.code) == (field, code)


@pytest.mark.parametrize("phone", ["0351-1234567", "(0351) 12345678", "+86 139 1234 5678"])
def test_phone_accepts_mobiles_and_landlines_with_area_code(phone):
    assert clean_phone(phone).isdigit()


@pytest.mark.parametrize("phone", ["1234567", "12912345678", "139-1234-567", "电话13912345678"])
def test_bad_phone_is_a_field_error(tree, county_admin, phone):
    error = _field_error(
        lambda: services.producer_create(actor=county_admin, data=_input(tree["c1a"], phone=phone))
    )
    assert (error.field, error.code) == ("phone", "invalid_phone")


def test_duplicate_credit_code_is_refused_with_a_clear_field_error(tree, county_admin):
    services.producer_create(actor=county_admin, data=_input(tree["c1a"]))
    error = _field_error(
        lambda: services.producer_create(
            actor=county_admin, data=_input(tree["c1a"], name="另一家")
        )
    )
    assert (error.field, error.code, error.status) == ("credit_code", "duplicate_credit_code", 409)
    assert Producer.objects.count() == 1


def test_duplicate_id_number_is_refused(tree, county_admin, province_admin):
    data = _input(
        tree["c1a"], kind=ProducerKind.INDIVIDUAL, credit_code="", id_number=VALID_ID_NUMBER
    )
    services.producer_create(actor=county_admin, data=data)
    error = _field_error(
        lambda: services.producer_create(
            actor=province_admin,
            data=_input(
                tree["c2a"], kind=ProducerKind.INDIVIDUAL, credit_code="", id_number=VALID_ID_NUMBER
            ),
        )
    )
    assert (error.field, error.code) == ("id_number", "duplicate_id_number")


def test_a_lost_race_on_the_unique_constraint_is_the_same_field_error(
    tree, county_admin, monkeypatch
):
    # Another request inserts the same code between the check and the insert.
    monkeypatch.setattr(services, "check_unique", lambda producer: None)
    services.producer_create(actor=county_admin, data=_input(tree["c1a"]))
    error = _field_error(
        lambda: services.producer_create(
            actor=county_admin, data=_input(tree["c1a"], name="另一家")
        )
    )
    assert error.code == "duplicate_credit_code"


def test_duplicate_error_names_the_constraint():
    assert services.duplicate_error(IntegrityError("producer_unique_id_number")).code == (
        "duplicate_id_number"
    )


def test_county_admin_cannot_register_in_another_county(tree, county_admin):
    error = _field_error(
        lambda: services.producer_create(actor=county_admin, data=_input(tree["c1b"]))
    )
    assert error.code == "division_out_of_scope"


def test_province_admin_registers_in_any_county_but_not_at_a_city(tree, province_admin):
    services.producer_create(actor=province_admin, data=_input(tree["c2b"]))
    error = _field_error(
        lambda: services.producer_create(
            actor=province_admin,
            data=_input(
                tree["c1"], credit_code="", kind=ProducerKind.INDIVIDUAL, id_number=VALID_ID_NUMBER
            ),
        )
    )
    assert error.code == "division_not_county"


@pytest.mark.parametrize("role", [Role.CITY_ADMIN, Role.COUNTY_GOV])
def test_other_government_roles_cannot_register(tree, role):
    actor = user_with_role(role, tree["c1"] if role == Role.CITY_ADMIN else tree["c1a"])
    with pytest.raises(ForbiddenError):
        services.producer_create(actor=actor, data=_input(tree["c1a"]))


def test_a_product_outside_the_scope_is_refused(tree, county_admin):
    elsewhere = ProductFactory.create(divisions=[tree["c2a"]], name="别县产品")
    error = _field_error(
        lambda: services.producer_create(
            actor=county_admin, data=_input(tree["c1a"], products=[elsewhere])
        )
    )
    assert error.code == "product_out_of_scope"
    assert "别县产品" in error.message


def test_another_countys_product_on_a_shared_entry_is_kept(tree, county_admin):
    mine = ProductFactory.create(divisions=[tree["c1a"]])
    theirs = ProductFactory.create(divisions=[tree["c2a"]])
    entry = producer(tree["c1a"], products=[theirs])
    services.producer_update(
        actor=county_admin, producer=entry, data=_input(tree["c1a"], products=[mine])
    )
    assert set(entry.products.all()) == {mine, theirs}


# --- Update, contact, status -----------------------------------------------------------------


def test_update_keeps_the_phone_when_none_and_audits_a_masked_diff(tree, county_admin):
    entry = services.producer_create(actor=county_admin, data=_input(tree["c1a"]))
    services.producer_update(
        actor=county_admin, producer=entry, data=_input(tree["c1a"], name="新名称", phone=None)
    )
    entry.refresh_from_db()
    assert entry.name == "新名称"
    assert pii.unseal(entry.phone_sealed) == PLAIN_PHONE
    log = AuditLog.objects.filter(action=AuditAction.UPDATE).get()
    assert log.changes["after"] == {"name": "新名称"}


def test_audit_rows_never_hold_sealed_or_plain_values(tree, county_admin):
    entry = services.producer_create(actor=county_admin, data=_input(tree["c1a"]))
    services.producer_update(
        actor=county_admin, producer=entry, data=_input(tree["c1a"], phone="13800001111")
    )
    for log in AuditLog.objects.all():
        text = str(log.changes)
        for secret in ("sealed", "digest", PLAIN_PHONE, "13800001111"):
            assert secret not in text
    diff = AuditLog.objects.get(action=AuditAction.UPDATE).changes
    assert diff["before"]["phone_masked"] == "139****5678"
    assert diff["after"]["phone_masked"] == "138****1111"


def test_other_county_admin_cannot_update(tree, other_county_admin):
    entry = producer(tree["c1a"])
    with pytest.raises(NotFoundError):
        services.producer_update(actor=other_county_admin, producer=entry, data=_input(tree["c1a"]))


def test_city_admin_sees_but_cannot_update(tree, city_admin):
    entry = producer(tree["c1a"])
    with pytest.raises(ForbiddenError):
        services.producer_update(actor=city_admin, producer=entry, data=_input(tree["c1a"]))


def test_producer_updates_its_own_contact_details_only(tree):
    user, entry = producer_user(tree["c1a"])
    services.producer_update_contact(
        actor=user, producer=entry, contact_name="王五", phone="0351-7654321", address="新地址"
    )
    entry.refresh_from_db()
    assert (entry.contact_name, entry.address) == ("王五", "新地址")
    assert pii.unseal(entry.phone_sealed) == "03517654321"
    with pytest.raises(ForbiddenError):
        services.producer_update(actor=user, producer=entry, data=_input(tree["c1a"]))


def test_a_producer_cannot_touch_another_producers_contact(tree):
    user, _ = producer_user(tree["c1a"])
    other = producer(tree["c1a"])
    with pytest.raises(NotFoundError):
        services.producer_update_contact(
            actor=user, producer=other, contact_name="x", phone=None, address=""
        )


def test_suspend_reactivate_close(tree, county_admin):
    entry = producer(tree["c1a"])
    services.producer_set_status(
        actor=county_admin, producer=entry, status=ProducerStatus.SUSPENDED, reason="整改"
    )
    services.producer_set_status(actor=county_admin, producer=entry, status=ProducerStatus.ACTIVE)
    services.producer_set_status(
        actor=county_admin, producer=entry, status=ProducerStatus.CLOSED, reason="注销登记"
    )
    entry.refresh_from_db()
    assert entry.status == ProducerStatus.CLOSED
    logs = AuditLog.objects.filter(action=AuditAction.TRANSITION).order_by("pk")
    assert [log.detail for log in logs] == ["整改", "", "注销登记"]


@pytest.mark.parametrize(
    ("start", "target"),
    [
        (ProducerStatus.ACTIVE, ProducerStatus.ACTIVE),
        (ProducerStatus.CLOSED, ProducerStatus.ACTIVE),
        (ProducerStatus.CLOSED, ProducerStatus.SUSPENDED),
        (ProducerStatus.SUSPENDED, ProducerStatus.SUSPENDED),
    ],
)
def test_rejected_status_transitions(tree, county_admin, start, target):
    entry = producer(tree["c1a"], status=start)
    with pytest.raises(ProducersError) as info:
        services.producer_set_status(actor=county_admin, producer=entry, status=target, reason="x")
    assert (info.value.code, info.value.status) == ("invalid_transition", 409)


def test_suspending_needs_a_reason(tree, county_admin):
    entry = producer(tree["c1a"])
    error = _field_error(
        lambda: services.producer_set_status(
            actor=county_admin, producer=entry, status=ProducerStatus.SUSPENDED, reason=" "
        )
    )
    assert (error.field, error.code) == ("reason", "reason_required")


def test_a_closed_entry_cannot_be_edited(tree, county_admin):
    entry = producer(tree["c1a"], status=ProducerStatus.CLOSED)
    with pytest.raises(ProducersError) as info:
        services.producer_update(actor=county_admin, producer=entry, data=_input(tree["c1a"]))
    assert info.value.code == "producer_closed"


def test_producer_cannot_change_its_status(tree):
    user, entry = producer_user(tree["c1a"])
    with pytest.raises(ForbiddenError):
        services.producer_set_status(
            actor=user, producer=entry, status=ProducerStatus.CLOSED, reason="x"
        )


# --- Full view of personal data --------------------------------------------------------------


@pytest.mark.parametrize("who", ["county_admin", "province_admin", "own"])
def test_allowed_users_reveal_and_each_view_is_audited(tree, county_admin, province_admin, who):
    user, entry = producer_user(tree["c1a"], kind="individual", id_number_value=VALID_ID_NUMBER)
    actor = {"county_admin": county_admin, "province_admin": province_admin, "own": user}[who]
    data = services.producer_reveal_personal_data(actor=actor, producer=entry)
    assert data.id_number == VALID_ID_NUMBER
    assert data.phone == "13812345678"
    log = AuditLog.objects.get(action=AuditAction.VIEW_SENSITIVE)
    assert (log.user_id, log.object_id) == (actor.pk, str(entry.pk))


@pytest.mark.parametrize("role", [Role.CITY_ADMIN, Role.COUNTY_GOV])
def test_others_in_scope_may_not_reveal(tree, role):
    actor = user_with_role(role, tree["c1"] if role == Role.CITY_ADMIN else tree["c1a"])
    entry = producer(tree["c1a"])
    with pytest.raises(ForbiddenError):
        services.producer_reveal_personal_data(actor=actor, producer=entry)
    assert not AuditLog.objects.filter(action=AuditAction.VIEW_SENSITIVE).exists()


def test_another_county_cannot_reveal(tree, other_county_admin):
    entry = producer(tree["c1a"])
    with pytest.raises(NotFoundError):
        services.producer_reveal_personal_data(actor=other_county_admin, producer=entry)


# --- Selectors -------------------------------------------------------------------------------


def test_search_finds_a_full_phone_or_id_number_by_digest(tree, county_admin):
    by_phone = producer(tree["c1a"], phone="13900001234", name="甲")
    by_id = producer(tree["c1a"], kind="individual", id_number_value=VALID_ID_NUMBER, name="乙")
    producer(tree["c1a"], name="丙")

    def found(q: str) -> set[str]:
        return {p.name for p in selectors.producer_list_for_user(user=county_admin, q=q)}

    assert found("139-0000-1234") == {by_phone.name}
    assert found(VALID_ID_NUMBER.lower()) == {by_id.name}
    assert found("0000123") == set()  # part of a phone number finds nothing: no plain copy
    assert found("丙") == {"丙"}


def test_search_by_credit_code_substring(tree, county_admin):
    entry = producer(tree["c1a"], credit_code_value=VALID_CREDIT_CODE)
    found = selectors.producer_list_for_user(user=county_admin, q=VALID_CREDIT_CODE[4:12].lower())
    assert list(found) == [entry]


def _authorization(entry, product, **fields):
    values = {
        "year": 2025,
        "qualifications": "q",
        "production_plan": "p",
        "quality_measures": "m",
        "requested_quantity": 100,
        "scope": "s",
    }
    values.update(fields)
    return LabelAuthorization.objects.create(producer=entry, product=product, **values)


def test_label_user_is_computed_from_an_authorization_valid_today(tree, county_admin):
    today = timezone.localdate()
    product = ProductFactory.create(divisions=[tree["c1a"]])
    valid = producer(tree["c1a"], name="有效")
    expired = producer(tree["c1a"], name="过期")
    pending = producer(tree["c1a"], name="在审")
    _authorization(
        valid, product, status=AuthorizationStatus.APPROVED, valid_from=today, valid_until=today
    )
    _authorization(
        expired,
        product,
        status=AuthorizationStatus.APPROVED,
        valid_from=today - dt.timedelta(days=30),
        valid_until=today - dt.timedelta(days=1),
    )
    _authorization(pending, product)
    listed = selectors.producer_list_for_user(user=county_admin)
    rows = {p.name: getattr(p, "is_label_user") for p in listed}  # noqa: B009 (annotated)
    assert rows == {"有效": True, "过期": False, "在审": False}
    only = selectors.producer_list_for_user(user=county_admin, label_user=True)
    assert [p.name for p in only] == ["有效"]
    others = selectors.producer_list_for_user(user=county_admin, label_user=False)
    assert {p.name for p in others} == {"过期", "在审"}


def test_a_producer_sees_only_its_own_entry(tree):
    user, own = producer_user(tree["c1a"])
    producer(tree["c1a"])
    assert list(selectors.producer_list_for_user(user=user)) == [own]


def test_a_county_sees_only_its_county(tree, county_admin):
    mine = producer(tree["c1a"])
    producer(tree["c1b"])
    producer(tree["c2a"])
    assert list(selectors.producer_list_for_user(user=county_admin)) == [mine]
