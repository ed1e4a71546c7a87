"""Production-log services: kinds and their fields, scope, the pre-harvest interval in both
directions, editing, completing, banned and restricted inputs. Time is frozen at 2026-06-15."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from dibiao.core.choices import AuditAction
from dibiao.core.errors import ForbiddenError, NotFoundError
from dibiao.core.models import AuditLog
from dibiao.producers.choices import BaseStatus
from dibiao.production.choices import LogKind, LogStatus
from dibiao.production.models import ProductionLog
from dibiao.production.services.logs import LogError, log_complete, log_create, log_update
from dibiao.production.tests.logs_fixtures import at, grower, harvest, load_lists, pesticide
from dibiao.registry.choices import ProductCategory
from dibiao.testing.factories import ProductFactory, production_base

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def farm(tree):
    return grower(tree)


def _error(excinfo) -> LogError:
    error = excinfo.value
    assert isinstance(error, LogError)
    return error


# --- The pre-harvest interval (安全间隔期) -------------------------------------------------------


def test_harvest_three_days_after_a_seven_day_interval_is_refused(farm):
    user, _, base, _ = farm
    log_create(actor=user, base=base, data=pesticide(occurred_at=at("2026-05-01")))
    with pytest.raises(LogError) as excinfo:
        log_create(actor=user, base=base, data=harvest("2026-05-04"))
    error = _error(excinfo)
    assert error.code == "harvest_within_safety_interval"
    assert error.status == 409
    assert error.field == "occurred_at"
    assert error.message == (
        f"基地「{base.name}」于 2026-05-01 使用「吡虫啉」，安全间隔期 7 天，最早可于 2026-05-08 采收。"
    )
    assert not ProductionLog.objects.filter(kind=LogKind.HARVEST).exists()


def test_harvest_on_the_seventh_day_is_accepted(farm):
    user, _, base, _ = farm
    sprayed = log_create(actor=user, base=base, data=pesticide(occurred_at=at("2026-05-01", 18)))
    assert sprayed.harvest_allowed_from == dt.date(2026, 5, 8)
    picked = log_create(actor=user, base=base, data=harvest("2026-05-08", hour=6))
    assert picked.kind == LogKind.HARVEST
    assert picked.quantity == Decimal("500")


def test_harvest_allowed_from_counts_from_the_local_date(farm):
    user, _, base, _ = farm
    # 23:30 in Shanghai is 15:30 UTC the same day, 00:30 is the previous day in UTC.
    late = log_create(actor=user, base=base, data=pesticide(occurred_at=at("2026-05-01", 23, 30)))
    early = log_create(
        actor=user,
        base=base,
        data=pesticide(occurred_at=at("2026-05-02", 0, 30), safety_interval_days=0),
    )
    assert late.harvest_allowed_from == dt.date(2026, 5, 8)
    assert early.harvest_allowed_from == dt.date(2026, 5, 2)


def test_the_longest_running_interval_is_named(farm):
    user, _, base, _ = farm
    log_create(actor=user, base=base, data=pesticide(occurred_at=at("2026-05-01")))
    log_create(
        actor=user,
        base=base,
        data=pesticide(
            occurred_at=at("2026-05-02"),
            input_name="多菌灵",
            active_ingredient="多菌灵",
            safety_interval_days=14,
        ),
    )
    with pytest.raises(LogError, match="最早可于 2026-05-16 采收") as excinfo:
        log_create(actor=user, base=base, data=harvest("2026-05-10"))
    assert "多菌灵" in excinfo.value.message


def test_a_planned_input_before_the_harvest_counts(farm):
    user, _, base, _ = farm
    log_create(
        actor=user,
        base=base,
        data=pesticide(occurred_at=at("2026-06-20"), status=LogStatus.PENDING),
    )
    with pytest.raises(LogError) as excinfo:
        log_create(actor=user, base=base, data=harvest("2026-06-22", status=LogStatus.PENDING))
    assert _error(excinfo).code == "harvest_within_safety_interval"


def test_an_input_planned_after_the_harvest_does_not_block_it(farm):
    user, _, base, _ = farm
    log_create(
        actor=user,
        base=base,
        data=pesticide(occurred_at=at("2026-06-20"), status=LogStatus.PENDING),
    )
    assert log_create(actor=user, base=base, data=harvest("2026-06-14")).pk


def test_an_input_on_another_base_does_not_block_the_harvest(farm):
    user, entry, base, product = farm
    other = production_base(entry, product, name="南坡基地")
    log_create(actor=user, base=other, data=pesticide(occurred_at=at("2026-05-01")))
    assert log_create(actor=user, base=base, data=harvest("2026-05-02")).pk


def test_a_back_dated_input_covering_a_recorded_harvest_is_refused(farm):
    user, _, base, _ = farm
    log_create(actor=user, base=base, data=harvest("2026-05-04"))
    with pytest.raises(LogError) as excinfo:
        log_create(actor=user, base=base, data=pesticide(occurred_at=at("2026-05-01")))
    error = _error(excinfo)
    assert error.code == "input_covers_harvest"
    assert error.status == 409
    assert "2026-05-04" in error.message
    assert "2026-05-08" in error.message
    assert ProductionLog.objects.filter(kind=LogKind.INPUT).count() == 0


def test_a_back_dated_input_whose_interval_ends_before_the_harvest_is_accepted(farm):
    user, _, base, _ = farm
    log_create(actor=user, base=base, data=harvest("2026-05-10"))
    assert log_create(actor=user, base=base, data=pesticide(occurred_at=at("2026-05-01"))).pk


def test_an_input_after_the_harvest_is_accepted(farm):
    user, _, base, _ = farm
    log_create(actor=user, base=base, data=harvest("2026-05-04"))
    assert log_create(actor=user, base=base, data=pesticide(occurred_at=at("2026-05-05"))).pk


def test_a_fertilizer_without_interval_never_blocks(farm):
    user, _, base, _ = farm
    manure = log_create(
        actor=user,
        base=base,
        data={
            "kind": "input",
            "occurred_at": at("2026-05-01"),
            "operator": "王师傅",
            "input_category": "fertilizer",
            "input_name": "腐熟羊粪",
        },
    )
    assert manure.harvest_allowed_from is None
    assert manure.title == "使用腐熟羊粪"
    assert log_create(actor=user, base=base, data=harvest("2026-05-01")).pk


# --- Editing and completing re-run the checks ----------------------------------------------------


def test_moving_a_harvest_into_the_interval_is_refused(farm):
    user, _, base, _ = farm
    log_create(actor=user, base=base, data=pesticide(occurred_at=at("2026-05-01")))
    picked = log_create(actor=user, base=base, data=harvest("2026-05-09"))
    with pytest.raises(LogError) as excinfo:
        log_update(actor=user, log=picked, data={"occurred_at": at("2026-05-05")})
    assert _error(excinfo).code == "harvest_within_safety_interval"
    picked.refresh_from_db()
    assert picked.day == dt.date(2026, 5, 9)


def test_lengthening_an_interval_over_a_harvest_is_refused(farm):
    user, _, base, _ = farm
    sprayed = log_create(actor=user, base=base, data=pesticide(occurred_at=at("2026-05-01")))
    log_create(actor=user, base=base, data=harvest("2026-05-09"))
    with pytest.raises(LogError) as excinfo:
        log_update(actor=user, log=sprayed, data={"safety_interval_days": 14})
    assert _error(excinfo).code == "input_covers_harvest"
    sprayed.refresh_from_db()
    assert sprayed.harvest_allowed_from == dt.date(2026, 5, 8)


def test_an_edit_recomputes_harvest_allowed_from_and_is_audited(farm):
    user, _, base, _ = farm
    sprayed = log_create(actor=user, base=base, data=pesticide(occurred_at=at("2026-05-01")))
    log_update(actor=user, log=sprayed, data={"safety_interval_days": 21, "dose": "25 克/亩"})
    sprayed.refresh_from_db()
    assert sprayed.harvest_allowed_from == dt.date(2026, 5, 22)
    row = AuditLog.objects.filter(action=AuditAction.UPDATE, object_id=str(sprayed.pk)).get()
    assert row.changes["after"]["safety_interval_days"] == 21
    assert row.changes["before"]["dose"] == "20 克/亩"


def test_an_edit_that_changes_nothing_writes_no_audit_row(farm):
    user, _, base, _ = farm
    sprayed = log_create(actor=user, base=base, data=pesticide())
    log_update(actor=user, log=sprayed, data={"dose": "20 克/亩"})
    assert not AuditLog.objects.filter(action=AuditAction.UPDATE).exists()


def test_moving_a_log_to_another_base_checks_that_base(farm):
    user, entry, base, product = farm
    other = production_base(entry, product, name="南坡基地")
    log_create(actor=user, base=other, data=pesticide(occurred_at=at("2026-05-01")))
    picked = log_create(actor=user, base=base, data=harvest("2026-05-03"))
    with pytest.raises(LogError) as excinfo:
        log_update(actor=user, log=picked, base=other, data={})
    assert _error(excinfo).code == "harvest_within_safety_interval"


def test_changing_kind_to_harvest_drops_the_input_fields(farm):
    user, _, base, _ = farm
    log = log_create(
        actor=user,
        base=base,
        data=pesticide(occurred_at=at("2026-05-01"), safety_interval_days=0),
    )
    log_update(actor=user, log=log, data={"kind": "observation", "title": "查看虫情"})
    log.refresh_from_db()
    assert (log.kind, log.input_name, log.safety_interval_days, log.harvest_allowed_from) == (
        "observation",
        "",
        None,
        None,
    )


def test_completing_a_planned_log(farm):
    user, _, base, _ = farm
    planned = log_create(
        actor=user,
        base=base,
        data=harvest("2026-06-20", status=LogStatus.PENDING),
    )
    done = log_complete(actor=user, log=planned)
    assert done.status == LogStatus.DONE
    # A planned time still in the future becomes now.
    assert done.occurred_at == NOW
    assert AuditLog.objects.filter(
        action=AuditAction.TRANSITION, object_id=str(planned.pk)
    ).exists()


def test_completing_twice_is_refused(farm):
    user, _, base, _ = farm
    log = log_create(actor=user, base=base, data=harvest("2026-06-01"))
    with pytest.raises(LogError) as excinfo:
        log_complete(actor=user, log=log)
    assert (_error(excinfo).code, excinfo.value.status) == ("invalid_transition", 409)


def test_completing_a_harvest_inside_the_interval_is_refused(farm):
    user, _, base, _ = farm
    planned = log_create(
        actor=user, base=base, data=harvest("2026-06-20", status=LogStatus.PENDING)
    )
    log_create(actor=user, base=base, data=pesticide(occurred_at=at("2026-06-12")))
    with pytest.raises(LogError) as excinfo:
        log_complete(actor=user, log=planned, occurred_at=at("2026-06-15", 8))
    assert _error(excinfo).code == "harvest_within_safety_interval"
    planned.refresh_from_db()
    assert planned.status == LogStatus.PENDING


# --- Fields, products and time -------------------------------------------------------------------


def test_product_defaults_to_the_base_product_and_may_be_another_of_the_producer(farm, tree):
    user, entry, base, product = farm
    log = log_create(actor=user, base=base, data=harvest("2026-06-01"))
    assert log.product == product
    second = ProductFactory.create(divisions=[tree["c1a"]])
    entry.products.add(second)
    log = log_create(actor=user, base=base, data=harvest("2026-06-02", product=second))
    assert log.product == second


def test_a_product_the_producer_does_not_grow_is_refused(farm, tree):
    user, _, base, _ = farm
    stranger = ProductFactory.create(divisions=[tree["c1a"]])
    with pytest.raises(LogError) as excinfo:
        log_create(actor=user, base=base, data=harvest("2026-06-02", product=stranger))
    assert (_error(excinfo).code, excinfo.value.field) == ("product_not_of_base", "product")


@pytest.mark.parametrize(
    ("missing", "category"),
    [
        ("input_category", ""),
        ("input_name", "fertilizer"),
        ("registration_number", "pesticide"),
        ("active_ingredient", "pesticide"),
        ("dose", "pesticide"),
        ("applied_area_mu", "pesticide"),
        ("safety_interval_days", "pesticide"),
        ("safety_interval_days", "veterinary_drug"),
        ("registration_number", "veterinary_drug"),
    ],
)
def test_an_input_log_needs_its_fields(farm, missing, category):
    user, _, base, _ = farm
    data = pesticide(input_category=category)
    data[missing] = None if missing in ("applied_area_mu", "safety_interval_days") else ""
    with pytest.raises(LogError) as excinfo:
        log_create(actor=user, base=base, data=data)
    assert (_error(excinfo).code, excinfo.value.field) == ("input_field_required", missing)
    assert not ProductionLog.objects.exists()


def test_a_veterinary_drug_needs_no_area(tree):
    user, _, base, _ = grower(tree, category=ProductCategory.LIVESTOCK)
    log = log_create(
        actor=user,
        base=base,
        data=pesticide(
            input_category="veterinary_drug",
            input_name="阿莫西林可溶性粉",
            active_ingredient="阿莫西林",
            registration_number="兽药字(2020)010012345",
            applied_area_mu=None,
            safety_interval_days=28,
        ),
    )
    assert log.harvest_allowed_from == dt.date(2026, 5, 29)


def test_a_done_log_in_the_future_is_refused_but_a_planned_one_is_not(farm):
    user, _, base, _ = farm
    with pytest.raises(LogError) as excinfo:
        log_create(actor=user, base=base, data=harvest("2026-06-16"))
    assert (_error(excinfo).code, excinfo.value.field) == ("done_in_future", "occurred_at")
    planned = log_create(
        actor=user, base=base, data=harvest("2026-06-16", status=LogStatus.PENDING)
    )
    assert planned.status == LogStatus.PENDING


def test_a_quantity_needs_a_unit(farm):
    user, _, base, _ = farm
    with pytest.raises(LogError) as excinfo:
        log_create(actor=user, base=base, data=harvest("2026-06-01", unit=""))
    assert (_error(excinfo).code, excinfo.value.field) == ("unit_required", "unit")


def test_a_negative_or_unparsable_quantity_is_refused(farm):
    user, _, base, _ = farm
    for value in ("-1", "许多"):
        with pytest.raises(LogError) as excinfo:
            log_create(actor=user, base=base, data=harvest("2026-06-01", quantity=value))
        assert _error(excinfo).code == "invalid_number"


def test_an_area_larger_than_the_base_is_refused(farm):
    user, _, base, _ = farm
    with pytest.raises(LogError) as excinfo:
        log_create(actor=user, base=base, data=pesticide(applied_area_mu="150"))
    assert _error(excinfo).code == "applied_area_exceeds_base"


def test_an_interval_over_a_year_is_refused(farm):
    user, _, base, _ = farm
    with pytest.raises(LogError) as excinfo:
        log_create(actor=user, base=base, data=pesticide(safety_interval_days=400))
    assert _error(excinfo).code == "invalid_log"


def test_a_closed_base_takes_no_logs(farm):
    user, _, base, _ = farm
    base.status = BaseStatus.INACTIVE
    base.save()
    with pytest.raises(LogError) as excinfo:
        log_create(actor=user, base=base, data=harvest("2026-06-01"))
    assert _error(excinfo).code == "base_inactive"


def test_the_operator_defaults_to_the_user_and_creation_is_audited(farm):
    user, _, base, _ = farm
    log = log_create(actor=user, base=base, data=harvest("2026-06-01", operator=""))
    assert log.operator == str(user)
    assert log.recorded_by == user
    row = AuditLog.objects.get(action=AuditAction.CREATE, object_type="production.productionlog")
    assert row.changes["after"]["kind"] == "harvest"


# --- Who -----------------------------------------------------------------------------------------


def test_a_producer_cannot_log_on_another_producers_base(farm, tree):
    _, _, base, _ = farm
    neighbour, _, _, _ = grower(tree)
    with pytest.raises(NotFoundError):
        log_create(actor=neighbour, base=base, data=harvest("2026-06-01"))


def test_a_county_admin_logs_on_its_county_bases_only(farm, county_admin, other_county_admin):
    _, _, base, _ = farm
    assert log_create(actor=county_admin, base=base, data=harvest("2026-06-01")).pk
    with pytest.raises(NotFoundError):
        log_create(actor=other_county_admin, base=base, data=harvest("2026-06-02"))


def test_a_city_admin_sees_but_does_not_record(farm, city_admin):
    user, _, base, _ = farm
    with pytest.raises(ForbiddenError):
        log_create(actor=city_admin, base=base, data=harvest("2026-06-01"))
    log = log_create(actor=user, base=base, data=harvest("2026-06-01"))
    with pytest.raises(ForbiddenError):
        log_update(actor=city_admin, log=log, data={"notes": "改"})
    with pytest.raises(ForbiddenError):
        log_complete(actor=city_admin, log=log)


def test_another_producer_cannot_edit_or_complete_a_log(farm, tree):
    user, _, base, _ = farm
    log = log_create(actor=user, base=base, data=harvest("2026-06-20", status="pending"))
    neighbour, _, _, _ = grower(tree)
    with pytest.raises(NotFoundError):
        log_update(actor=neighbour, log=log, data={"notes": "改"})
    with pytest.raises(NotFoundError):
        log_complete(actor=neighbour, log=log)


def test_a_lab_user_cannot_record(farm, lab_user):
    _, _, base, _ = farm
    with pytest.raises(ForbiddenError):
        log_create(actor=lab_user, base=base, data=harvest("2026-06-01"))


# --- Banned and restricted inputs (the lists are loaded from the data file) -----------------------


@pytest.fixture
def lists():
    load_lists()


def test_a_banned_pesticide_is_refused_whatever_the_product(lists, tree):
    user, _, base, _ = grower(tree, category=ProductCategory.GRAIN_OIL)
    with pytest.raises(LogError) as excinfo:
        log_create(
            actor=user,
            base=base,
            data=pesticide(input_name="20%百草枯水剂", active_ingredient="百草枯"),
        )
    error = _error(excinfo)
    assert (error.code, error.field) == ("input_banned", "input_name")
    assert "「百草枯」" in error.message
    assert "农业农村部农药管理司《禁限用农药名录》，2019年" in error.message
    assert not ProductionLog.objects.exists()


def test_a_banned_active_ingredient_in_a_mixture_is_refused(lists, farm):
    user, _, base, _ = farm
    with pytest.raises(LogError) as excinfo:
        log_create(
            actor=user,
            base=base,
            data=pesticide(input_name="丰收一号", active_ingredient="吡虫啉＋甲拌磷"),
        )
    error = _error(excinfo)
    assert (error.code, error.field) == ("input_banned", "active_ingredient")
    assert "农业农村部公告第536号" in error.message
    assert "2022年3月16日" in error.message


def test_a_restricted_pesticide_is_refused_on_a_forbidden_category(lists, tree):
    user, _, base, _ = grower(tree, category=ProductCategory.VEGETABLE)
    with pytest.raises(LogError) as excinfo:
        log_create(actor=user, base=base, data=pesticide(active_ingredient="毒死蜱"))
    error = _error(excinfo)
    assert error.code == "input_restricted"
    assert "「毒死蜱」" in error.message
    assert "禁止在蔬菜上使用" in error.message
    assert "蔬菜类" in error.message


def test_a_restricted_pesticide_is_accepted_on_another_category(lists, tree):
    user, _, base, _ = grower(tree, category=ProductCategory.GRAIN_OIL)
    log = log_create(actor=user, base=base, data=pesticide(active_ingredient="毒死蜱"))
    assert log.pk


def test_a_name_containing_a_banned_name_is_not_mistaken_for_it(lists, tree):
    # 丁硫克百威 is restricted (not on grain), 克百威 banned: whole names are compared.
    user, _, base, _ = grower(tree, category=ProductCategory.GRAIN_OIL)
    log = log_create(actor=user, base=base, data=pesticide(active_ingredient="丁硫克百威"))
    assert log.pk


def test_a_food_animal_drug_ban_applies_to_livestock_only(lists, tree):
    herder, _, pen, _ = grower(tree, category=ProductCategory.LIVESTOCK)
    with pytest.raises(LogError) as excinfo:
        log_create(
            actor=herder,
            base=pen,
            data=pesticide(
                input_category="veterinary_drug",
                input_name="氯霉素注射液",
                active_ingredient="氯霉素",
                applied_area_mu=None,
            ),
        )
    assert _error(excinfo).code == "input_banned"
    assert "农业农村部公告第250号" in excinfo.value.message
    # The list bans these drugs in food animals; on an orchard it does not apply.
    grower_user, _, orchard, _ = grower(tree)
    assert log_create(actor=grower_user, base=orchard, data=pesticide(input_name="氯霉素")).pk


def test_matching_is_by_alias_and_ignores_width_and_case(lists, farm):
    user, _, base, _ = farm
    for name in ("ＤＤＴ", "Paraquat", "呋喃丹"):
        with pytest.raises(LogError) as excinfo:
            log_create(actor=user, base=base, data=pesticide(input_name=name))
        assert _error(excinfo).code == "input_banned", name


def test_editing_to_a_banned_input_is_refused(lists, farm):
    user, _, base, _ = farm
    log = log_create(actor=user, base=base, data=pesticide())
    with pytest.raises(LogError) as excinfo:
        log_update(actor=user, log=log, data={"active_ingredient": "对硫磷"})
    assert _error(excinfo).code == "input_banned"
    log.refresh_from_db()
    assert log.active_ingredient == "吡虫啉"
