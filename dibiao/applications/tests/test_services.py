"""The county-to-city steps: create, edit, submit, withdraw, confirm, return, recommend, and
every way each of them is refused."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dibiao.accounts.choices import Role
from dibiao.applications import services
from dibiao.applications.choices import ApplicationStatus
from dibiao.applications.errors import ApplicationsError
from dibiao.applications.models import Application, ApplicationEvent
from dibiao.applications.services import BudgetLineInput
from dibiao.applications.tests.builders import REQUEST, draft
from dibiao.core.choices import AuditAction
from dibiao.core.errors import ForbiddenError, NotFoundError
from dibiao.core.models import AuditLog
from dibiao.projects.choices import ProgramStatus
from dibiao.projects.services import program_create, program_transition
from dibiao.registry.choices import ProductStatus
from dibiao.testing.factories import ProductFactory, user_with_role

pytestmark = pytest.mark.django_db


def _submitted(county_admin, program, product):
    application = draft(county_admin, program, product)
    return services.application_submit(actor=county_admin, application=application)


def _confirmed(county_admin, county_gov, program, product):
    application = _submitted(county_admin, program, product)
    return services.application_confirm(actor=county_gov, application=application)


def _rows(application) -> int:
    return AuditLog.objects.filter(
        object_type="applications.application", object_id=str(application.pk)
    ).count()


# --- create ---------------------------------------------------------------------------------


def test_create_copies_program_targets_and_keeps_raised_values(program, product, county_admin):
    application = draft(county_admin, program, product, targets={"farmers_driven": "800"})

    targets = {t.code: t for t in application.targets.all()}
    assert set(targets) == set(program.targets.values_list("code", flat=True))
    assert targets["farmers_driven"].value == Decimal("800.00")
    assert targets["farmers_driven"].minimum == Decimal("500.00")
    assert targets["training"].value == targets["training"].minimum == Decimal("500.00")
    assert sum(line.amount for line in application.budget_lines.all()) == REQUEST
    (row,) = AuditLog.objects.filter(object_type="applications.application")
    assert row.action == AuditAction.CREATE
    assert row.changes["after"]["targets"]["farmers_driven"] == "800.00"


def test_target_below_the_program_minimum_is_refused(program, product, county_admin):
    with pytest.raises(ApplicationsError) as exc:
        draft(county_admin, program, product, targets={"farmers_driven": "499"})
    assert exc.value.code == "target_below_minimum"
    assert not Application.objects.exists()


def test_unknown_target_code_is_refused(program, product, county_admin):
    with pytest.raises(ApplicationsError) as exc:
        draft(county_admin, program, product, targets={"made_up": "1"})
    assert exc.value.code == "unknown_target"


@pytest.mark.parametrize(
    ("line", "code"),
    [
        (BudgetLineInput("nowhere", "x", "1"), "invalid_budget_line"),
        (BudgetLineInput("brand", "  ", "1"), "invalid_budget_line"),
        (BudgetLineInput("brand", "宣传", "0"), "invalid_amount"),
        (BudgetLineInput("brand", "宣传", "-5"), "invalid_amount"),
        (BudgetLineInput("brand", "宣传", "1.005"), "invalid_amount"),
        (BudgetLineInput("brand", "宣传", "abc"), "invalid_amount"),
    ],
)
def test_bad_budget_line_is_refused(program, product, county_admin, line, code):
    with pytest.raises(ApplicationsError) as exc:
        draft(county_admin, program, product, budget_lines=[line])
    assert exc.value.code == code


@pytest.mark.parametrize("role", [Role.CITY_ADMIN, Role.COUNTY_GOV, Role.EXPERT])
def test_only_a_county_bureau_may_apply(tree, program, product, role):
    user = user_with_role(role, tree["c1a"] if role != Role.CITY_ADMIN else tree["c1"])
    with pytest.raises(ForbiddenError):
        draft(user, program, product)


def test_county_cannot_apply_for_another_countys_product(program, other_product, county_admin):
    with pytest.raises(ApplicationsError) as exc:
        draft(county_admin, program, other_product)
    assert exc.value.code == "product_out_of_scope"


def test_county_cannot_apply_for_a_product_placed_only_at_its_city(tree, program, county_admin):
    city_product = ProductFactory.create(name="上党高粱", divisions=[tree["c1"]])
    city_user = user_with_role(Role.COUNTY_ADMIN, tree["c1b"])
    for user in (county_admin, city_user):
        with pytest.raises(ApplicationsError) as exc:
            draft(user, program, city_product)
        assert exc.value.code == "product_out_of_scope"


def test_cancelled_product_cannot_apply(program, product, county_admin):
    product.status = ProductStatus.CANCELLED
    product.save()
    with pytest.raises(ApplicationsError) as exc:
        draft(county_admin, program, product)
    assert exc.value.code == "product_cancelled"


def test_program_in_draft_is_not_open_for_applications(tree, province_admin, product, county_admin):
    program = program_create(
        actor=province_admin,
        province=tree["p"],
        year=2023,
        name="2023年地理标志农产品保护工程",
        total_budget="1000000",
        annual_summary_deadline=dt.date(2023, 11, 30),
    )
    with pytest.raises(ApplicationsError) as exc:
        draft(county_admin, program, product)
    assert exc.value.code == "program_not_open"
    assert exc.value.status == 409


def test_another_provinces_program_is_not_found(county_admin, product):
    from dibiao.testing.factories import division_tree

    other = division_tree("150000")
    other_province = user_with_role(Role.PROVINCE_ADMIN, other["p"])
    program = program_create(
        actor=other_province,
        province=other["p"],
        year=2022,
        name="外省工程",
        total_budget="1000000",
        annual_summary_deadline=dt.date(2022, 11, 30),
    )
    with pytest.raises(NotFoundError):
        draft(county_admin, program, product)


def test_second_application_for_the_same_product_is_refused(program, product, county_admin):
    draft(county_admin, program, product)
    with pytest.raises(ApplicationsError) as exc:
        draft(county_admin, program, product)
    assert exc.value.code == "application_exists"
    assert exc.value.status == 409
    assert Application.objects.count() == 1


def test_withdrawn_application_frees_the_product_for_a_new_one(program, product, county_admin):
    first = draft(county_admin, program, product)
    with pytest.raises(ApplicationsError) as exc:
        services.application_withdraw(actor=county_admin, application=first, comment="  ")
    assert exc.value.code == "comment_required"
    services.application_withdraw(actor=county_admin, application=first, comment="重新编制")

    second = draft(county_admin, program, product)

    first.refresh_from_db()
    assert first.status == ApplicationStatus.WITHDRAWN
    assert second.status == ApplicationStatus.DRAFT


# --- update ---------------------------------------------------------------------------------


def test_update_replaces_lines_and_writes_one_audit_row_with_the_diff(
    program, product, county_admin
):
    application = draft(county_admin, program, product)

    services.application_update(
        actor=county_admin,
        application=application,
        requested_amount="2000000",
        budget_lines=[BudgetLineInput("production", "基地", "2000000")],
        targets={"training": "600"},
    )

    application.refresh_from_db()
    assert application.requested_amount == Decimal("2000000.00")
    assert application.budget_lines.count() == 1
    row = AuditLog.objects.get(object_type="applications.application", action=AuditAction.UPDATE)
    assert row.changes["after"]["requested_amount"] == "2000000.00"
    assert row.changes["after"]["targets"]["training"] == "600.00"
    assert set(row.changes["after"]) == {"requested_amount", "budget_lines", "targets"}


def test_update_that_changes_nothing_writes_nothing(program, product, county_admin):
    application = draft(county_admin, program, product)
    services.application_update(actor=county_admin, application=application, plan=application.plan)
    assert not AuditLog.objects.filter(action=AuditAction.UPDATE).exists()


def test_submitted_application_cannot_be_edited(program, product, county_admin):
    application = _submitted(county_admin, program, product)
    with pytest.raises(ApplicationsError) as exc:
        services.application_update(actor=county_admin, application=application, plan="新方案")
    assert exc.value.code == "not_editable"
    assert exc.value.status == 409


def test_county_government_cannot_edit_the_bureaus_application(
    program, product, county_admin, county_gov
):
    application = draft(county_admin, program, product)
    with pytest.raises(ForbiddenError):
        services.application_update(actor=county_gov, application=application, plan="改")


def test_other_county_cannot_edit_or_act_on_the_application(
    program, product, county_admin, other_county_admin, other_county_gov, other_city_admin
):
    application = draft(county_admin, program, product)
    with pytest.raises(NotFoundError):
        services.application_update(actor=other_county_admin, application=application, plan="改")
    with pytest.raises(NotFoundError):
        services.application_submit(actor=other_county_admin, application=application)
    with pytest.raises(NotFoundError):
        services.application_withdraw(
            actor=other_county_admin, application=application, comment="x"
        )
    services.application_submit(actor=county_admin, application=application)
    with pytest.raises(NotFoundError):
        services.application_confirm(actor=other_county_gov, application=application)
    with pytest.raises(NotFoundError):
        services.application_return(actor=other_county_gov, application=application, comment="x")
    with pytest.raises(NotFoundError):
        services.application_recommend(actor=other_city_admin, application=application)


# --- submit ---------------------------------------------------------------------------------


def test_submit_refuses_budget_lines_that_do_not_add_up(program, product, county_admin):
    application = draft(county_admin, program, product, requested_amount="3000000.01")
    with pytest.raises(ApplicationsError) as exc:
        services.application_submit(actor=county_admin, application=application)
    assert exc.value.code == "budget_mismatch"
    application.refresh_from_db()
    assert application.status == ApplicationStatus.DRAFT
    assert application.events.count() == 1


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"budget_lines": []}, "budget_required"),
        ({"plan": "   "}, "plan_required"),
        ({"requested_amount": "0", "budget_lines": []}, "invalid_amount"),
    ],
)
def test_submit_refuses_an_incomplete_application(program, product, county_admin, overrides, code):
    application = draft(county_admin, program, product, **overrides)
    with pytest.raises(ApplicationsError) as exc:
        services.application_submit(actor=county_admin, application=application)
    assert exc.value.code == code


def test_submit_refuses_when_the_program_has_left_the_application_period(
    program, product, county_admin, province_admin
):
    application = draft(county_admin, program, product)
    program_transition(actor=province_admin, program=program, status=ProgramStatus.REVIEWING)
    with pytest.raises(ApplicationsError) as exc:
        services.application_submit(actor=county_admin, application=application)
    assert exc.value.code == "program_not_open"


def test_submit_twice_is_a_conflict(program, product, county_admin):
    application = _submitted(county_admin, program, product)
    with pytest.raises(ApplicationsError) as exc:
        services.application_submit(actor=county_admin, application=application)
    assert exc.value.code == "invalid_transition"
    assert exc.value.status == 409


@pytest.mark.parametrize("who", ["county_gov", "city_admin", "province_admin"])
def test_only_the_county_bureau_submits(program, product, county_admin, request, who):
    application = draft(county_admin, program, product)
    with pytest.raises(ForbiddenError):
        services.application_submit(actor=request.getfixturevalue(who), application=application)


def test_a_second_county_admin_of_another_county_in_scope_cannot_submit(
    tree, program, product, county_admin, city_admin
):
    """A city user who also holds county_admin elsewhere sees the application through the city
    but is not the county bureau of *this* county."""
    from dibiao.accounts.models import Membership
    from dibiao.testing.factories import OrganizationFactory

    bureau = OrganizationFactory.create(kind="county_bureau", division=tree["c1b"])
    Membership.objects.create(user=city_admin, organization=bureau, role=Role.COUNTY_ADMIN)
    application = draft(county_admin, program, product)
    with pytest.raises(ForbiddenError):
        services.application_submit(actor=city_admin, application=application)


# --- confirm, return, recommend --------------------------------------------------------------


def test_county_government_confirms(program, product, county_admin, county_gov):
    application = _confirmed(county_admin, county_gov, program, product)
    assert application.status == ApplicationStatus.CONFIRMED
    event = application.events.last()
    assert (event.actor, event.role) == (county_gov, Role.COUNTY_GOV)


def test_confirm_refuses_a_draft(program, product, county_admin, county_gov):
    application = draft(county_admin, program, product)
    with pytest.raises(ApplicationsError) as exc:
        services.application_confirm(actor=county_gov, application=application)
    assert exc.value.code == "invalid_transition"


@pytest.mark.parametrize("who", ["county_admin", "city_admin", "province_admin"])
def test_only_the_county_government_confirms(program, product, county_admin, request, who):
    application = _submitted(county_admin, program, product)
    with pytest.raises(ForbiddenError):
        services.application_confirm(actor=request.getfixturevalue(who), application=application)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED


def test_return_needs_a_comment(program, product, county_admin, county_gov):
    application = _submitted(county_admin, program, product)
    before = _rows(application)
    with pytest.raises(ApplicationsError) as exc:
        services.application_return(actor=county_gov, application=application, comment=" ")
    assert exc.value.code == "comment_required"
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED
    assert _rows(application) == before


def test_county_government_return_remembers_the_step(program, product, county_admin, county_gov):
    application = _submitted(county_admin, program, product)
    services.application_return(actor=county_gov, application=application, comment="预算偏高")
    application.refresh_from_db()
    assert application.status == ApplicationStatus.RETURNED
    assert application.returned_from == ApplicationStatus.SUBMITTED
    assert application.returned_by == "县人民政府"


def test_city_return_remembers_the_step_and_resubmission_goes_through_the_county_again(
    program, product, county_admin, county_gov, city_admin
):
    application = _confirmed(county_admin, county_gov, program, product)
    services.application_return(actor=city_admin, application=application, comment="补充材料")
    application.refresh_from_db()
    assert application.returned_from == ApplicationStatus.CONFIRMED
    assert application.returned_by == "市农业农村局"

    services.application_update(actor=county_admin, application=application, plan="补充后的方案")
    services.application_submit(actor=county_admin, application=application)
    with pytest.raises(ApplicationsError):
        services.application_recommend(actor=city_admin, application=application)
    services.application_confirm(actor=county_gov, application=application)
    services.application_recommend(actor=city_admin, application=application)

    statuses = list(application.events.values_list("to_status", "comment"))
    assert statuses == [
        ("draft", "创建申报"),
        ("submitted", ""),
        ("confirmed", ""),
        ("returned", "补充材料"),
        ("submitted", ""),
        ("confirmed", ""),
        ("recommended", ""),
    ]


def test_city_cannot_return_what_the_county_government_has_not_confirmed(
    program, product, county_admin, city_admin
):
    application = _submitted(county_admin, program, product)
    with pytest.raises(ForbiddenError):
        services.application_return(actor=city_admin, application=application, comment="x")


def test_county_government_cannot_return_after_confirming(
    program, product, county_admin, county_gov
):
    application = _confirmed(county_admin, county_gov, program, product)
    with pytest.raises(ForbiddenError):
        services.application_return(actor=county_gov, application=application, comment="x")


def test_return_of_a_draft_is_a_conflict(program, product, county_admin, county_gov):
    application = draft(county_admin, program, product)
    with pytest.raises(ApplicationsError) as exc:
        services.application_return(actor=county_gov, application=application, comment="x")
    assert exc.value.code == "invalid_transition"


@pytest.mark.parametrize("who", ["county_admin", "county_gov", "province_admin"])
def test_only_the_city_recommends(program, product, county_admin, county_gov, request, who):
    application = _confirmed(county_admin, county_gov, program, product)
    with pytest.raises(ForbiddenError):
        services.application_recommend(actor=request.getfixturevalue(who), application=application)


def test_recommend_before_confirmation_is_a_conflict(program, product, county_admin, city_admin):
    application = _submitted(county_admin, program, product)
    with pytest.raises(ApplicationsError) as exc:
        services.application_recommend(actor=city_admin, application=application)
    assert exc.value.code == "invalid_transition"


def test_confirm_refused_once_the_program_is_implementing(
    program, product, county_admin, county_gov, province_admin
):
    application = _submitted(county_admin, program, product)
    program_transition(actor=province_admin, program=program, status=ProgramStatus.REVIEWING)
    program_transition(actor=province_admin, program=program, status=ProgramStatus.IMPLEMENTING)
    with pytest.raises(ApplicationsError) as exc:
        services.application_confirm(actor=county_gov, application=application)
    assert exc.value.code == "program_not_open"


def test_withdraw_refused_after_submission(program, product, county_admin):
    application = _submitted(county_admin, program, product)
    with pytest.raises(ApplicationsError) as exc:
        services.application_withdraw(actor=county_admin, application=application, comment="x")
    assert exc.value.code == "invalid_transition"


def test_every_step_writes_one_event_and_one_audit_row(program, product, county_admin, county_gov):
    application = _confirmed(county_admin, county_gov, program, product)
    assert ApplicationEvent.objects.filter(application=application).count() == 3
    assert _rows(application) == 3  # create, submit, confirm
