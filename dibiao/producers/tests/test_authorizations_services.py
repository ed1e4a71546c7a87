"""Services of label-use authorization: each transition's happy path and each refusal, the
agreement number, and validity over time (frozen clock: 2024-06-01, see the fixtures)."""

# The fixtures are imported from authorization_fixtures (pytest loads only conftest.py
# by itself), so every test parameter naming one "redefines" the import.
# ruff: noqa: F811

from __future__ import annotations

import datetime as dt

import pytest

from dibiao.accounts.choices import Role
from dibiao.core.errors import ForbiddenError
from dibiao.core.models import AuditLog
from dibiao.producers.choices import AuthorizationStatus, ProducerStatus
from dibiao.producers.errors import ProducersError
from dibiao.producers.models import LabelAuthorization
from dibiao.producers.services import authorizations as services
from dibiao.producers.tests.authorization_fixtures import (  # noqa: F401 (fixtures)
    YEAR,
    applicant,
    applicant_pair,
    applicant_user,
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
from dibiao.testing.factories import ProductFactory, producer, producer_user, user_with_role

pytestmark = pytest.mark.django_db
S = AuthorizationStatus


def _code(excinfo: pytest.ExceptionInfo[ProducersError]) -> str:
    return excinfo.value.code


def _audits(authorization: LabelAuthorization) -> list[AuditLog]:
    return list(
        AuditLog.objects.filter(
            object_type="producers.labelauthorization", object_id=str(authorization.pk)
        ).order_by("id")
    )


# --- Apply -----------------------------------------------------------------------------------


def test_producer_applies_and_waits_for_the_certificate_holder(pending_holder, applicant_user):
    assert pending_holder.status == S.PENDING_HOLDER
    assert pending_holder.applied_by == applicant_user
    assert pending_holder.commitment is True
    assert pending_holder.number == ""
    [audit] = _audits(pending_holder)
    assert audit.action == "create"
    assert "待证书持有人审核" in audit.detail
    assert audit.changes["after"]["requested_quantity"] == 50000


def test_county_admin_applies_on_behalf_of_a_producer_of_its_county(
    county_admin, applicant, product
):
    authorization = apply(county_admin, applicant, product)
    assert authorization.applied_by == county_admin
    assert authorization.status == S.PENDING_HOLDER


def test_other_county_admin_cannot_apply_for_the_producer(other_county_admin, applicant, product):
    with pytest.raises(ForbiddenError):
        apply(other_county_admin, applicant, product)
    assert not LabelAuthorization.objects.exists()


def test_another_producer_cannot_apply_for_the_producer(tree, applicant, product):
    stranger, _ = producer_user(tree["c1a"], products=[product])
    with pytest.raises(ForbiddenError):
        apply(stranger, applicant, product)


def test_city_admin_cannot_apply_on_behalf(city_admin, applicant, product):
    with pytest.raises(ForbiddenError):
        apply(city_admin, applicant, product)


def test_product_without_holder_goes_straight_to_the_county(tree, county_admin):
    product = ProductFactory.create(divisions=[tree["c1a"]])
    user, entry = producer_user(tree["c1a"], products=[product])
    authorization = apply(user, entry, product)
    assert authorization.status == S.PENDING_COUNTY
    assert "无证书持有人" in _audits(authorization)[0].detail


def test_holder_applying_for_its_own_product_skips_the_holder_review(
    tree, holder_user, holder_org, product
):
    entry = producer(tree["c1a"], organization=holder_org, products=[product])
    authorization = apply(holder_user, entry, product)
    assert authorization.status == S.PENDING_COUNTY
    assert "跳过证书持有人审核" in _audits(authorization)[0].detail


def test_unticked_commitment_is_refused(applicant_user, applicant, product):
    with pytest.raises(ProducersError) as excinfo:
        apply(applicant_user, applicant, product, commitment=False)
    assert _code(excinfo) == "commitment_required"
    assert not LabelAuthorization.objects.exists()
    assert not AuditLog.objects.filter(object_type="producers.labelauthorization").exists()


@pytest.mark.parametrize("status", [ProducerStatus.SUSPENDED, ProducerStatus.CLOSED])
def test_inactive_producer_cannot_apply(applicant_user, applicant, product, status):
    applicant.status = status
    applicant.save()
    with pytest.raises(ProducersError) as excinfo:
        apply(applicant_user, applicant, product)
    assert (_code(excinfo), excinfo.value.status) == ("producer_inactive", 409)


def test_product_not_produced_by_the_producer_is_refused(tree, applicant_user, applicant):
    other = ProductFactory.create(divisions=[tree["c1a"]])
    with pytest.raises(ProducersError) as excinfo:
        apply(applicant_user, applicant, other)
    assert _code(excinfo) == "product_not_produced"


def test_cancelled_product_is_refused(applicant_user, applicant, product):
    product.status = ProductStatus.CANCELLED
    product.save()
    with pytest.raises(ProducersError) as excinfo:
        apply(applicant_user, applicant, product)
    assert (_code(excinfo), excinfo.value.status) == ("product_not_registered", 409)


@pytest.mark.parametrize("year", [YEAR - 1, YEAR + 2])
def test_year_must_be_the_current_or_the_next(applicant_user, applicant, product, year):
    with pytest.raises(ProducersError) as excinfo:
        apply(applicant_user, applicant, product, year=year)
    assert _code(excinfo) == "invalid_year"


def test_next_year_is_accepted(applicant_user, applicant, product):
    assert apply(applicant_user, applicant, product, year=YEAR + 1).year == YEAR + 1


@pytest.mark.parametrize("quantity", [0, -5, services.MAX_LABELS + 1, "100", True])
def test_requested_quantity_must_be_a_sane_positive_integer(
    applicant_user, applicant, product, quantity
):
    with pytest.raises(ProducersError) as excinfo:
        apply(applicant_user, applicant, product, requested_quantity=quantity)
    assert _code(excinfo) == "invalid_quantity"


@pytest.mark.parametrize(
    "field", ["qualifications", "production_plan", "quality_measures", "scope"]
)
def test_blank_application_text_is_refused(applicant_user, applicant, product, field):
    with pytest.raises(ProducersError) as excinfo:
        apply(applicant_user, applicant, product, **{field: "   "})
    assert _code(excinfo) == "application_incomplete"


def test_overlong_scope_is_refused(applicant_user, applicant, product):
    with pytest.raises(ProducersError) as excinfo:
        apply(applicant_user, applicant, product, scope="箱" * 201)
    assert _code(excinfo) == "application_incomplete"


def test_second_live_application_for_the_same_year_is_refused(
    pending_holder, applicant_user, applicant, product
):
    with pytest.raises(ProducersError) as excinfo:
        apply(applicant_user, applicant, product)
    assert (_code(excinfo), excinfo.value.status) == ("authorization_exists", 409)
    # Another year is another agreement.
    assert apply(applicant_user, applicant, product, year=YEAR + 1).year == YEAR + 1


def test_a_withdrawn_application_may_be_followed_by_a_new_one(
    pending_holder, applicant_user, applicant, product
):
    services.authorization_withdraw(actor=applicant_user, authorization=pending_holder)
    again = apply(applicant_user, applicant, product)
    assert again.pk != pending_holder.pk


def test_a_race_past_the_check_is_refused_by_the_constraint(
    pending_holder, applicant_user, applicant, product, monkeypatch
):
    # As if a concurrent application committed between the check and the insert.
    monkeypatch.setattr(services, "_refuse_if_live", lambda *args: None)
    with pytest.raises(ProducersError) as excinfo:
        apply(applicant_user, applicant, product)
    assert _code(excinfo) == "authorization_exists"
    assert LabelAuthorization.objects.count() == 1


# --- Certificate holder review ---------------------------------------------------------------


def test_holder_approves_and_the_county_reviews_next(pending_county, holder_user):
    assert pending_county.status == S.PENDING_COUNTY
    assert pending_county.holder_reviewed_by == holder_user
    assert pending_county.holder_comment == "同意"
    audit = _audits(pending_county)[-1]
    assert audit.action == "transition"
    assert audit.changes == {
        "before": {"status": "pending_holder"},
        "after": {"status": "pending_county"},
    }


def test_holder_rejects_with_a_reason(pending_holder, holder_user):
    rejected = services.authorization_holder_review(
        actor=holder_user, authorization=pending_holder, approve=False, comment="生产计划不实"
    )
    assert rejected.status == S.REJECTED
    assert rejected.status_reason == "生产计划不实"
    assert "生产计划不实" in _audits(rejected)[-1].detail


def test_holder_rejection_needs_a_reason(pending_holder, holder_user):
    with pytest.raises(ProducersError) as excinfo:
        services.authorization_holder_review(
            actor=holder_user, authorization=pending_holder, approve=False, comment=" "
        )
    assert _code(excinfo) == "reason_required"
    pending_holder.refresh_from_db()
    assert pending_holder.status == S.PENDING_HOLDER


@pytest.mark.parametrize("who", ["county_admin", "applicant_user", "province_admin"])
def test_only_the_holder_reviews_at_the_holder_stage(pending_holder, who, request):
    with pytest.raises(ForbiddenError):
        services.authorization_holder_review(
            actor=request.getfixturevalue(who), authorization=pending_holder, approve=True
        )


def test_holder_staff_who_also_works_for_the_applicant_cannot_review_it(
    tree, pending_holder, applicant, holder_org
):
    both = user_with_role(Role.PRODUCER, tree["c1a"], organization=holder_org)
    both.memberships.create(organization=applicant.organization, role=Role.PRODUCER)
    with pytest.raises(ForbiddenError):
        services.authorization_holder_review(actor=both, authorization=pending_holder, approve=True)


def test_holder_review_at_the_county_stage_is_an_invalid_transition(pending_county, holder_user):
    with pytest.raises(ProducersError) as excinfo:
        services.authorization_holder_review(
            actor=holder_user, authorization=pending_county, approve=False, comment="晚了"
        )
    assert (_code(excinfo), excinfo.value.status) == ("authorization_invalid_transition", 409)


# --- County review and the agreement ---------------------------------------------------------


def test_county_approval_makes_the_agreement(approved, county_admin):
    assert approved.status == S.APPROVED
    assert approved.number == f"AGI00001-{YEAR}-0001"
    assert approved.authorized_quantity == 50000
    assert approved.scope == "5 kg 礼盒装"
    assert approved.valid_from == dt.date(2024, 6, 1)
    assert approved.valid_until == dt.date(2024, 12, 31)
    assert approved.county_reviewed_by == county_admin
    audit = _audits(approved)[-1]
    assert audit.changes["after"]["number"] == approved.number
    assert "协议生效" in audit.detail


def test_county_decides_quantity_and_scope(pending_county, county_admin):
    approved = services.authorization_county_review(
        actor=county_admin,
        authorization=pending_county,
        approve=True,
        authorized_quantity=30000,
        scope="散装箱贴",
        comment="按实际产量核减",
    )
    assert (approved.authorized_quantity, approved.scope) == (30000, "散装箱贴")
    assert approved.county_comment == "按实际产量核减"


def test_approval_before_the_year_starts_is_valid_from_new_year(
    applicant_user, applicant, product, holder_user, county_admin
):
    authorization = apply(applicant_user, applicant, product, year=YEAR + 1)
    services.authorization_holder_review(
        actor=holder_user, authorization=authorization, approve=True
    )
    approved = services.authorization_county_review(
        actor=county_admin, authorization=authorization, approve=True
    )
    assert approved.valid_from == dt.date(YEAR + 1, 1, 1)
    assert approved.valid_until == dt.date(YEAR + 1, 12, 31)
    assert approved.number == f"AGI00001-{YEAR + 1}-0001"
    assert not approved.is_valid_today


def test_county_rejection_needs_a_reason(pending_county, county_admin):
    with pytest.raises(ProducersError) as excinfo:
        services.authorization_county_review(
            actor=county_admin, authorization=pending_county, approve=False
        )
    assert _code(excinfo) == "reason_required"
    rejected = services.authorization_county_review(
        actor=county_admin, authorization=pending_county, approve=False, comment="基地未建成"
    )
    assert (rejected.status, rejected.status_reason, rejected.number) == (
        S.REJECTED,
        "基地未建成",
        "",
    )


@pytest.mark.parametrize(
    "who", ["other_county_admin", "city_admin", "province_admin", "holder_user", "applicant_user"]
)
def test_only_the_applicants_county_bureau_reviews(pending_county, who, request):
    with pytest.raises(ForbiddenError):
        services.authorization_county_review(
            actor=request.getfixturevalue(who), authorization=pending_county, approve=True
        )


def test_county_review_at_the_holder_stage_is_an_invalid_transition(pending_holder, county_admin):
    with pytest.raises(ProducersError) as excinfo:
        services.authorization_county_review(
            actor=county_admin, authorization=pending_holder, approve=True
        )
    assert _code(excinfo) == "authorization_invalid_transition"


def test_county_cannot_approve_twice(approved, county_admin):
    with pytest.raises(ProducersError) as excinfo:
        services.authorization_county_review(
            actor=county_admin, authorization=approved, approve=True
        )
    assert _code(excinfo) == "authorization_invalid_transition"


def test_a_year_that_has_ended_cannot_be_approved(
    clock, applicant_user, applicant, product, holder_user, county_admin
):
    clock.move_to(dt.date(2024, 12, 30))
    authorization = apply(applicant_user, applicant, product)
    services.authorization_holder_review(
        actor=holder_user, authorization=authorization, approve=True
    )
    clock.move_to(dt.date(2025, 1, 2))
    with pytest.raises(ProducersError) as excinfo:
        services.authorization_county_review(
            actor=county_admin, authorization=authorization, approve=True
        )
    assert (_code(excinfo), excinfo.value.status) == ("authorization_year_over", 409)


def test_approval_is_refused_once_the_product_is_cancelled(pending_county, product, county_admin):
    product.status = ProductStatus.CANCELLED
    product.save()
    with pytest.raises(ProducersError) as excinfo:
        services.authorization_county_review(
            actor=county_admin, authorization=pending_county, approve=True
        )
    assert _code(excinfo) == "product_not_registered"
    pending_county.refresh_from_db()
    assert (pending_county.status, pending_county.number) == (S.PENDING_COUNTY, "")


def test_approval_is_refused_once_the_producer_is_suspended(
    pending_county, applicant, county_admin
):
    applicant.status = ProducerStatus.SUSPENDED
    applicant.save()
    with pytest.raises(ProducersError) as excinfo:
        services.authorization_county_review(
            actor=county_admin, authorization=pending_county, approve=True
        )
    assert _code(excinfo) == "producer_inactive"


@pytest.mark.parametrize("quantity", [0, services.MAX_LABELS + 1])
def test_authorized_quantity_must_be_sane(pending_county, county_admin, quantity):
    with pytest.raises(ProducersError) as excinfo:
        services.authorization_county_review(
            actor=county_admin,
            authorization=pending_county,
            approve=True,
            authorized_quantity=quantity,
        )
    assert _code(excinfo) == "invalid_quantity"


# --- Agreement numbers -----------------------------------------------------------------------


def test_numbers_run_in_sequence_per_product_and_year(tree, approved, product, county_admin):
    second = approved_for(producer(tree["c1a"], products=[product]), product, county_admin)
    third = approved_for(producer(tree["c1a"], products=[product]), product, county_admin)
    next_year = approved_for(
        producer(tree["c1a"], products=[product]), product, county_admin, year=YEAR + 1
    )
    assert [approved.number, second.number, third.number] == [
        "AGI00001-2024-0001",
        "AGI00001-2024-0002",
        "AGI00001-2024-0003",
    ]
    assert next_year.number == "AGI00001-2025-0001"


def test_a_revoked_agreement_keeps_its_number_and_it_is_not_reused(
    tree, approved, product, county_admin
):
    services.authorization_revoke(actor=county_admin, authorization=approved, reason="违规转让")
    second = approved_for(producer(tree["c1a"], products=[product]), product, county_admin)
    approved.refresh_from_db()
    assert approved.number == "AGI00001-2024-0001"
    assert second.number == "AGI00001-2024-0002"


def test_product_without_certificate_number_numbers_by_its_id(tree, county_admin):
    product = ProductFactory.create(divisions=[tree["c1a"]])
    entry = producer(tree["c1a"], products=[product])
    assert approved_for(entry, product, county_admin).number == f"GI{product.pk}-2024-0001"


def test_sequences_of_different_products_are_independent(tree, approved, county_admin):
    other = ProductFactory.create(divisions=[tree["c1a"]], certificate_number="AGI00002")
    entry = producer(tree["c1a"], products=[other])
    assert approved_for(entry, other, county_admin).number == "AGI00002-2024-0001"


# --- Suspend, resume, revoke, withdraw -------------------------------------------------------


def test_suspend_and_resume(approved, county_admin):
    suspended = services.authorization_suspend(
        actor=county_admin, authorization=approved, reason="抽检不合格"
    )
    assert (suspended.status, suspended.status_reason) == (S.SUSPENDED, "抽检不合格")
    assert not suspended.is_valid_today
    resumed = services.authorization_resume(
        actor=county_admin, authorization=suspended, reason="整改完成"
    )
    assert (resumed.status, resumed.status_reason) == (S.APPROVED, "")
    assert resumed.is_valid_today
    details = [a.detail for a in _audits(resumed)]
    assert "暂停授权：抽检不合格" in details
    assert "恢复说明：整改完成" in details


def test_suspend_needs_a_reason(approved, county_admin):
    with pytest.raises(ProducersError) as excinfo:
        services.authorization_suspend(actor=county_admin, authorization=approved, reason="")
    assert _code(excinfo) == "reason_required"


def test_revoke_needs_a_reason_and_is_final(approved, county_admin):
    with pytest.raises(ProducersError) as excinfo:
        services.authorization_revoke(actor=county_admin, authorization=approved, reason=" ")
    assert _code(excinfo) == "reason_required"
    revoked = services.authorization_revoke(
        actor=county_admin, authorization=approved, reason="转让标志"
    )
    assert revoked.status == S.REVOKED
    for action in (services.authorization_resume, services.authorization_suspend):
        with pytest.raises(ProducersError) as excinfo:
            action(actor=county_admin, authorization=revoked, reason="再议")
        assert _code(excinfo) == "authorization_invalid_transition"


def test_a_suspended_agreement_can_be_revoked(approved, county_admin):
    services.authorization_suspend(actor=county_admin, authorization=approved, reason="抽检不合格")
    revoked = services.authorization_revoke(
        actor=county_admin, authorization=approved, reason="逾期未整改"
    )
    assert revoked.status == S.REVOKED


def test_province_admin_may_suspend_and_revoke(approved, province_admin):
    services.authorization_suspend(actor=province_admin, authorization=approved, reason="督查")
    revoked = services.authorization_revoke(
        actor=province_admin, authorization=approved, reason="督查发现冒用"
    )
    assert revoked.status == S.REVOKED


@pytest.mark.parametrize(
    "who", ["other_county_admin", "city_admin", "applicant_user", "holder_user"]
)
def test_others_cannot_suspend_or_revoke(approved, who, request):
    actor = request.getfixturevalue(who)
    with pytest.raises(ForbiddenError):
        services.authorization_suspend(actor=actor, authorization=approved, reason="x")
    with pytest.raises(ForbiddenError):
        services.authorization_revoke(actor=actor, authorization=approved, reason="x")


def test_a_pending_application_cannot_be_suspended_resumed_or_revoked(pending_county, county_admin):
    for action in (
        services.authorization_suspend,
        services.authorization_resume,
        services.authorization_revoke,
    ):
        with pytest.raises(ProducersError) as excinfo:
            action(actor=county_admin, authorization=pending_county, reason="x")
        assert _code(excinfo) == "authorization_invalid_transition"


def test_an_approved_agreement_cannot_be_resumed(approved, county_admin):
    with pytest.raises(ProducersError) as excinfo:
        services.authorization_resume(actor=county_admin, authorization=approved)
    assert _code(excinfo) == "authorization_invalid_transition"


@pytest.mark.parametrize("stage", ["pending_holder", "pending_county"])
def test_applicant_withdraws_while_pending(stage, applicant_user, request):
    authorization = request.getfixturevalue(stage)
    withdrawn = services.authorization_withdraw(
        actor=applicant_user, authorization=authorization, reason="计划调整"
    )
    assert (withdrawn.status, withdrawn.status_reason) == (S.WITHDRAWN, "计划调整")


def test_county_admin_who_applied_on_behalf_may_withdraw(county_admin, applicant, product):
    authorization = apply(county_admin, applicant, product)
    assert (
        services.authorization_withdraw(actor=county_admin, authorization=authorization).status
        == S.WITHDRAWN
    )


@pytest.mark.parametrize("who", ["holder_user", "county_admin", "other_county_admin"])
def test_only_the_applicant_withdraws(pending_holder, who, request):
    with pytest.raises(ForbiddenError):
        services.authorization_withdraw(
            actor=request.getfixturevalue(who), authorization=pending_holder
        )


def test_an_approved_agreement_cannot_be_withdrawn(approved, applicant_user):
    with pytest.raises(ProducersError) as excinfo:
        services.authorization_withdraw(actor=applicant_user, authorization=approved)
    assert (_code(excinfo), excinfo.value.status) == ("authorization_invalid_transition", 409)


def test_a_rejected_application_is_final(pending_holder, holder_user, applicant_user):
    services.authorization_holder_review(
        actor=holder_user, authorization=pending_holder, approve=False, comment="不符合"
    )
    with pytest.raises(ProducersError) as excinfo:
        services.authorization_withdraw(actor=applicant_user, authorization=pending_holder)
    assert _code(excinfo) == "authorization_invalid_transition"


def test_every_transition_is_audited(approved, county_admin, applicant_user):
    services.authorization_suspend(actor=county_admin, authorization=approved, reason="抽检")
    services.authorization_resume(actor=county_admin, authorization=approved)
    services.authorization_revoke(actor=county_admin, authorization=approved, reason="冒用")
    statuses = [
        (a.changes.get("before", {}).get("status"), a.changes["after"]["status"])
        for a in _audits(approved)
        if a.action == "transition"
    ]
    assert statuses == [
        ("pending_holder", "pending_county"),
        ("pending_county", "approved"),
        ("approved", "suspended"),
        ("suspended", "approved"),
        ("approved", "revoked"),
    ]
