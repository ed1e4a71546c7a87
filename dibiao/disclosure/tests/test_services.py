from __future__ import annotations

import datetime as dt

import pytest

from dibiao.accounts.choices import Role
from dibiao.core.choices import AuditAction
from dibiao.core.errors import ForbiddenError, NotFoundError
from dibiao.core.models import AuditLog
from dibiao.disclosure import services
from dibiao.disclosure.choices import NoticeKind, NoticeStatus, ObjectionStatus
from dibiao.disclosure.errors import DisclosureError
from dibiao.disclosure.models import Notice, Objection
from dibiao.disclosure.tests.conftest import END, START, notice_data, submit
from dibiao.testing.factories import ProductFactory, user_with_role

pytestmark = pytest.mark.django_db


def _audit(obj, action=None):
    rows = AuditLog.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
    if action is not None:
        rows = rows.filter(action=action)
    return list(rows.order_by("id"))


def _error(excinfo) -> tuple[str, int]:
    return excinfo.value.code, excinfo.value.status


# --- notice_save -------------------------------------------------------------------------------


def test_province_admin_creates_province_draft_audited(province_draft, province_admin, tree):
    assert province_draft.status == NoticeStatus.DRAFT
    assert province_draft.division == tree["p"]
    assert province_draft.publisher.division == tree["p"]
    assert province_draft.created_by == province_admin
    (row,) = _audit(province_draft)
    assert row.action == AuditAction.CREATE
    assert row.role == Role.PROVINCE_ADMIN
    assert row.changes["after"]["title"] == province_draft.title


def test_county_admin_creates_draft_in_own_county(county_draft, tree, county_admin):
    assert county_draft.division == tree["c1a"]
    assert county_draft.kind == NoticeKind.FUND_ARRANGEMENT
    assert _audit(county_draft)[0].user == county_admin


def test_city_admin_cannot_create_notice(clock, tree, city_admin):
    with pytest.raises(ForbiddenError):
        services.notice_save(actor=city_admin, data=notice_data(), division=tree["c1a"])
    assert not Notice.objects.exists()


def test_province_admin_cannot_publish_in_a_countys_name(clock, tree, province_admin):
    with pytest.raises(ForbiddenError):
        services.notice_save(actor=province_admin, data=notice_data(), division=tree["c1a"])


def test_county_admin_cannot_create_province_notice(clock, tree, county_admin):
    with pytest.raises(DisclosureError) as excinfo:
        services.notice_save(actor=county_admin, data=notice_data(), division=tree["p"])
    assert _error(excinfo) == ("division_out_of_scope", 400)


def test_county_admin_cannot_create_in_another_county(clock, tree, county_admin):
    with pytest.raises(DisclosureError) as excinfo:
        services.notice_save(actor=county_admin, data=notice_data(), division=tree["c2a"])
    assert _error(excinfo) == ("division_out_of_scope", 400)


def test_create_without_division_is_refused(clock, county_admin):
    with pytest.raises(DisclosureError) as excinfo:
        services.notice_save(actor=county_admin, data=notice_data())
    assert _error(excinfo) == ("division_required", 400)


def test_system_action_cannot_publish_at_a_city(clock, tree):
    from dibiao.testing.factories import OrganizationFactory

    bureau = OrganizationFactory.create(division=tree["c1"], kind="city_bureau")
    with pytest.raises(DisclosureError) as excinfo:
        services.notice_save(actor=None, data=notice_data(), division=tree["c1"], publisher=bureau)
    assert _error(excinfo) == ("division_level", 400)


def test_end_before_start_is_refused(clock, tree, county_admin):
    with pytest.raises(DisclosureError) as excinfo:
        services.notice_save(
            actor=county_admin,
            data=notice_data(start_date=END, end_date=START),
            division=tree["c1a"],
        )
    assert excinfo.value.code == "invalid_notice"
    assert "结束日期不能早于开始日期" in excinfo.value.message


def test_missing_title_is_refused_with_field_label(clock, tree, county_admin):
    with pytest.raises(DisclosureError) as excinfo:
        services.notice_save(actor=county_admin, data=notice_data(title=" "), division=tree["c1a"])
    assert excinfo.value.code == "invalid_notice"
    assert "标题" in excinfo.value.message


def test_product_outside_scope_is_refused(clock, tree, county_admin):
    foreign = ProductFactory.create(divisions=[tree["c2a"]])
    with pytest.raises(DisclosureError) as excinfo:
        services.notice_save(
            actor=county_admin, data=notice_data(product=foreign), division=tree["c1a"]
        )
    assert _error(excinfo) == ("product_out_of_scope", 400)


def test_own_product_can_be_linked(clock, tree, county_admin):
    own = ProductFactory.create(divisions=[tree["c1a"]])
    notice = services.notice_save(
        actor=county_admin, data=notice_data(product=own), division=tree["c1a"]
    )
    assert notice.product == own


def test_edit_draft_audits_the_diff(county_draft, county_admin):
    services.notice_save(actor=county_admin, notice=county_draft, data={"title": "新标题"})

    update = _audit(county_draft, AuditAction.UPDATE)
    assert len(update) == 1
    assert update[0].changes == {
        "before": {"title": "县资金安排公示"},
        "after": {"title": "新标题"},
    }


def test_unchanged_edit_writes_nothing(county_draft, county_admin):
    services.notice_save(actor=county_admin, notice=county_draft, data={"title": "县资金安排公示"})
    assert _audit(county_draft, AuditAction.UPDATE) == []


def test_published_notice_cannot_be_edited(open_notice, county_admin):
    with pytest.raises(DisclosureError) as excinfo:
        services.notice_save(actor=county_admin, notice=open_notice, data={"title": "改"})
    assert _error(excinfo) == ("not_draft", 409)


def test_other_county_edit_is_not_found(county_draft, other_county_admin):
    with pytest.raises(NotFoundError):
        services.notice_save(actor=other_county_admin, notice=county_draft, data={"title": "改"})


def test_province_admin_sees_but_cannot_edit_county_draft(county_draft, province_admin):
    with pytest.raises(ForbiddenError):
        services.notice_save(actor=province_admin, notice=county_draft, data={"title": "改"})


def test_second_county_admin_of_same_county_can_edit(county_draft, tree):
    colleague = user_with_role(Role.COUNTY_ADMIN, tree["c1a"])
    saved = services.notice_save(actor=colleague, notice=county_draft, data={"title": "同县修改"})
    assert saved.title == "同县修改"


# --- notice_publish ----------------------------------------------------------------------------


def test_publish_sets_status_and_audits(open_notice, county_admin):
    assert open_notice.status == NoticeStatus.PUBLISHED
    assert open_notice.published_by == county_admin
    assert open_notice.published_at is not None
    (row,) = _audit(open_notice, AuditAction.TRANSITION)
    assert row.changes == {"before": {"status": "draft"}, "after": {"status": "published"}}
    assert "2021-06-01 至 2021-06-07" in row.detail


def test_publish_twice_is_a_conflict(open_notice, county_admin):
    with pytest.raises(DisclosureError) as excinfo:
        services.notice_publish(actor=county_admin, notice=open_notice)
    assert _error(excinfo) == ("invalid_transition", 409)


def test_publish_without_dates_is_refused(clock, tree, county_admin):
    draft = services.notice_save(
        actor=county_admin,
        data=notice_data(start_date=None, end_date=None),
        division=tree["c1a"],
    )
    with pytest.raises(DisclosureError) as excinfo:
        services.notice_publish(actor=county_admin, notice=draft)
    assert _error(excinfo) == ("dates_required", 400)
    draft.refresh_from_db()
    assert draft.status == NoticeStatus.DRAFT


def test_publish_with_start_in_the_past_is_refused(county_draft, county_admin, clock):
    clock.move_to(START + dt.timedelta(days=1))
    with pytest.raises(DisclosureError) as excinfo:
        services.notice_publish(actor=county_admin, notice=county_draft)
    assert _error(excinfo) == ("start_in_past", 400)
    assert "2021-06-01" in excinfo.value.message


def test_publish_with_future_start_is_upcoming(county_draft, county_admin, clock):
    clock.move_to(START - dt.timedelta(days=3))
    notice = services.notice_publish(actor=county_admin, notice=county_draft)
    assert notice.phase().value == "upcoming"


def test_publish_by_city_admin_is_forbidden(county_draft, city_admin):
    with pytest.raises(ForbiddenError):
        services.notice_publish(actor=city_admin, notice=county_draft)


def test_publish_by_other_county_is_not_found(county_draft, other_county_admin):
    with pytest.raises(NotFoundError):
        services.notice_publish(actor=other_county_admin, notice=county_draft)


def test_withdrawn_notice_cannot_be_published(open_notice, county_admin):
    services.notice_withdraw(actor=county_admin, notice=open_notice, reason="数据有误")
    with pytest.raises(DisclosureError) as excinfo:
        services.notice_publish(actor=county_admin, notice=open_notice)
    assert _error(excinfo) == ("invalid_transition", 409)


# --- notice_withdraw ---------------------------------------------------------------------------


def test_withdraw_records_reason_and_audits(open_notice, county_admin):
    notice = services.notice_withdraw(actor=county_admin, notice=open_notice, reason=" 数据有误 ")

    assert notice.status == NoticeStatus.WITHDRAWN
    assert notice.withdraw_reason == "数据有误"
    assert notice.withdrawn_by == county_admin
    row = _audit(notice, AuditAction.TRANSITION)[-1]
    assert row.changes["after"] == {"status": "withdrawn"}
    assert row.detail == "数据有误"


def test_withdraw_without_reason_is_refused(open_notice, county_admin):
    with pytest.raises(DisclosureError) as excinfo:
        services.notice_withdraw(actor=county_admin, notice=open_notice, reason="  ")
    assert _error(excinfo) == ("reason_required", 400)


def test_draft_cannot_be_withdrawn(county_draft, county_admin):
    with pytest.raises(DisclosureError) as excinfo:
        services.notice_withdraw(actor=county_admin, notice=county_draft, reason="不要了")
    assert _error(excinfo) == ("invalid_transition", 409)


def test_withdraw_twice_is_a_conflict(open_notice, county_admin):
    services.notice_withdraw(actor=county_admin, notice=open_notice, reason="数据有误")
    with pytest.raises(DisclosureError) as excinfo:
        services.notice_withdraw(actor=county_admin, notice=open_notice, reason="再撤")
    assert _error(excinfo) == ("invalid_transition", 409)


def test_withdraw_by_other_county_is_not_found(open_notice, other_county_admin):
    with pytest.raises(NotFoundError):
        services.notice_withdraw(actor=other_county_admin, notice=open_notice, reason="x")


def test_withdraw_by_province_of_county_notice_is_forbidden(open_notice, province_admin):
    with pytest.raises(ForbiddenError):
        services.notice_withdraw(actor=province_admin, notice=open_notice, reason="x")


# --- objection_submit --------------------------------------------------------------------------


def test_objection_on_open_notice_is_saved_and_audited_masked(open_notice):
    objection = submit(open_notice, contact="138 1234 5678")

    assert objection.status == ObjectionStatus.PENDING
    assert objection.contact == "13812345678"
    assert objection.client_ip == "203.0.113.5"
    assert len(objection.receipt) >= 20
    (row,) = _audit(objection)
    assert row.action == AuditAction.CREATE
    assert row.user is None
    assert row.username == "公众"
    assert row.changes["after"]["contact"] == "138****5678"
    assert row.changes["after"]["name"] == "张*"
    assert "13812345678" not in str(row.changes)


def test_objection_on_last_day_late_evening_beijing_is_accepted(open_notice, clock):
    clock.move_to(END, hour=23, minute=59)
    assert submit(open_notice).pk


def test_objection_after_end_is_not_open(open_notice, clock):
    clock.move_to(END + dt.timedelta(days=1), hour=0, minute=1)
    with pytest.raises(DisclosureError) as excinfo:
        submit(open_notice)
    assert _error(excinfo) == ("notice_not_open", 409)
    assert "已结束" in excinfo.value.message
    assert not Objection.objects.exists()


def test_objection_before_start_is_not_open(county_draft, county_admin, clock):
    clock.move_to(START - dt.timedelta(days=2))
    services.notice_publish(actor=county_admin, notice=county_draft)
    with pytest.raises(DisclosureError) as excinfo:
        submit(county_draft)
    assert _error(excinfo) == ("notice_not_open", 409)
    assert "尚未开始" in excinfo.value.message


def test_objection_on_draft_is_not_found(county_draft):
    with pytest.raises(NotFoundError):
        submit(county_draft)


def test_objection_on_withdrawn_notice_is_not_found(open_notice, county_admin):
    services.notice_withdraw(actor=county_admin, notice=open_notice, reason="数据有误")
    with pytest.raises(NotFoundError):
        submit(open_notice)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("contact", "12345", "联系方式"),
        ("contact", "abc@", "联系方式"),
        ("text", "太短了", "至少 10 个字"),
        ("text", "长" * 2001, "不能超过 2000 个字"),
        ("name", "  ", "姓名或单位"),
    ],
)
def test_invalid_objection_is_refused_with_message(open_notice, field, value, message):
    with pytest.raises(DisclosureError) as excinfo:
        submit(open_notice, **{field: value})
    assert _error(excinfo) == ("invalid_objection", 400)
    assert message in excinfo.value.message
    assert not Objection.objects.exists()


@pytest.mark.parametrize(
    "contact", ["13812345678", "0351-1234567", "03511234567", "010-12345678-801", "a.b@example.cn"]
)
def test_contact_forms_accepted(open_notice, contact):
    assert submit(open_notice, contact=contact).pk


def test_fourth_objection_per_notice_per_day_is_rate_limited(open_notice, clock):
    for _ in range(3):
        submit(open_notice)
        clock.shift(dt.timedelta(minutes=1))
    with pytest.raises(DisclosureError) as excinfo:
        submit(open_notice)
    assert _error(excinfo) == ("rate_limited", 429)
    assert "24 小时" in excinfo.value.message
    assert Objection.objects.count() == 3
    assert AuditLog.objects.filter(object_type="disclosure.objection").count() == 3


def test_per_notice_limit_is_per_address(open_notice):
    for _ in range(3):
        submit(open_notice)
    assert submit(open_notice, ip="198.51.100.7").pk


def test_per_notice_limit_frees_up_after_24_hours(open_notice, clock):
    for _ in range(3):
        submit(open_notice)
    clock.shift(dt.timedelta(hours=24, seconds=1))
    assert submit(open_notice).pk


def test_eleventh_objection_per_hour_across_notices_is_rate_limited(
    clock, tree, county_admin, open_notice
):
    others = [
        services.notice_publish(
            actor=county_admin,
            notice=services.notice_save(
                actor=county_admin, data=notice_data(title=f"公示{i}"), division=tree["c1a"]
            ),
        )
        for i in range(3)
    ]
    for notice in [open_notice, *others]:
        for _ in range(3 if notice is not others[-1] else 1):
            submit(notice)
    assert Objection.objects.count() == 10
    fifth = services.notice_publish(
        actor=county_admin,
        notice=services.notice_save(
            actor=county_admin, data=notice_data(title="公示5"), division=tree["c1a"]
        ),
    )
    with pytest.raises(DisclosureError) as excinfo:
        submit(fifth)
    assert _error(excinfo) == ("rate_limited", 429)
    assert "每小时" in excinfo.value.message
    clock.shift(dt.timedelta(hours=1, seconds=1))
    assert submit(fifth).pk


# --- objection_answer --------------------------------------------------------------------------


def test_answer_sets_status_and_audits(open_notice, county_admin):
    objection = services.objection_answer(
        actor=county_admin, objection=submit(open_notice), answer=" 经核实，面积无误。 "
    )

    assert objection.status == ObjectionStatus.ANSWERED
    assert objection.answer == "经核实，面积无误。"
    assert objection.answered_by == county_admin
    row = _audit(objection, AuditAction.TRANSITION)[0]
    assert row.changes["after"] == {"status": "answered", "answer": "经核实，面积无误。"}


def test_answering_twice_is_a_conflict(open_notice, county_admin):
    objection = submit(open_notice)
    services.objection_answer(actor=county_admin, objection=objection, answer="已核实。")
    with pytest.raises(DisclosureError) as excinfo:
        services.objection_answer(actor=county_admin, objection=objection, answer="再答。")
    assert _error(excinfo) == ("already_answered", 409)


def test_empty_answer_is_refused(open_notice, county_admin):
    with pytest.raises(DisclosureError) as excinfo:
        services.objection_answer(actor=county_admin, objection=submit(open_notice), answer=" ")
    assert _error(excinfo) == ("answer_required", 400)


def test_answer_by_other_county_is_not_found(open_notice, other_county_admin):
    with pytest.raises(NotFoundError):
        services.objection_answer(
            actor=other_county_admin, objection=submit(open_notice), answer="答复"
        )


def test_answer_by_city_admin_is_forbidden(open_notice, city_admin):
    with pytest.raises(ForbiddenError):
        services.objection_answer(actor=city_admin, objection=submit(open_notice), answer="答复")


def test_objection_of_withdrawn_notice_can_still_be_answered(open_notice, county_admin):
    objection = submit(open_notice)
    services.notice_withdraw(actor=county_admin, notice=open_notice, reason="数据有误")
    answered = services.objection_answer(actor=county_admin, objection=objection, answer="已撤回。")
    assert answered.status == ObjectionStatus.ANSWERED


# --- notice_settle -----------------------------------------------------------------------------


def test_settle_after_end_with_all_answered(open_notice, county_admin, clock):
    objection = submit(open_notice)
    services.objection_answer(actor=county_admin, objection=objection, answer="经核实不成立。")
    clock.move_to(END + dt.timedelta(days=1))

    notice = services.notice_settle(
        actor=county_admin, notice=open_notice, settlement="收到异议 1 条，经核实不成立。"
    )

    assert notice.settlement == "收到异议 1 条，经核实不成立。"
    assert notice.settled_by == county_admin
    assert notice.is_settled
    row = _audit(notice, AuditAction.UPDATE)[-1]
    assert row.changes["after"] == {"settlement": "收到异议 1 条，经核实不成立。"}


def test_settle_with_no_objections_is_allowed(open_notice, county_admin, clock):
    clock.move_to(END + dt.timedelta(days=1))
    assert services.notice_settle(actor=county_admin, notice=open_notice, settlement="无异议。")


def test_settle_on_last_day_is_refused(open_notice, county_admin, clock):
    clock.move_to(END, hour=23, minute=59)
    with pytest.raises(DisclosureError) as excinfo:
        services.notice_settle(actor=county_admin, notice=open_notice, settlement="无异议。")
    assert _error(excinfo) == ("notice_not_ended", 409)


def test_settle_with_pending_objections_is_refused(open_notice, county_admin, clock):
    submit(open_notice)
    submit(open_notice)
    clock.move_to(END + dt.timedelta(days=1))
    with pytest.raises(DisclosureError) as excinfo:
        services.notice_settle(actor=county_admin, notice=open_notice, settlement="处理完毕。")
    assert _error(excinfo) == ("objections_pending", 409)
    assert "2 条" in excinfo.value.message
    open_notice.refresh_from_db()
    assert open_notice.settlement == ""


def test_settle_twice_is_a_conflict(open_notice, county_admin, clock):
    clock.move_to(END + dt.timedelta(days=1))
    services.notice_settle(actor=county_admin, notice=open_notice, settlement="无异议。")
    with pytest.raises(DisclosureError) as excinfo:
        services.notice_settle(actor=county_admin, notice=open_notice, settlement="再记。")
    assert _error(excinfo) == ("already_settled", 409)


def test_settle_without_text_is_refused(open_notice, county_admin, clock):
    clock.move_to(END + dt.timedelta(days=1))
    with pytest.raises(DisclosureError) as excinfo:
        services.notice_settle(actor=county_admin, notice=open_notice, settlement="")
    assert _error(excinfo) == ("settlement_required", 400)


def test_settle_draft_or_withdrawn_is_refused(county_draft, open_notice, county_admin, clock):
    services.notice_withdraw(actor=county_admin, notice=open_notice, reason="数据有误")
    clock.move_to(END + dt.timedelta(days=1))
    for notice in (county_draft, open_notice):
        with pytest.raises(DisclosureError) as excinfo:
            services.notice_settle(actor=county_admin, notice=notice, settlement="无异议。")
        assert _error(excinfo) == ("invalid_transition", 409)


def test_settle_by_other_county_is_not_found(open_notice, other_county_admin, clock):
    clock.move_to(END + dt.timedelta(days=1))
    with pytest.raises(NotFoundError):
        services.notice_settle(actor=other_county_admin, notice=open_notice, settlement="x")


def test_settle_by_city_admin_is_forbidden(open_notice, city_admin, clock):
    clock.move_to(END + dt.timedelta(days=1))
    with pytest.raises(ForbiddenError):
        services.notice_settle(actor=city_admin, notice=open_notice, settlement="x")


# --- objection_contact_view --------------------------------------------------------------------


def test_contact_view_returns_full_contact_and_audits(open_notice, county_admin):
    objection = submit(open_notice)
    assert services.objection_contact_view(actor=county_admin, objection=objection) == (
        "13812345678"
    )
    (row,) = _audit(objection, AuditAction.VIEW_SENSITIVE)
    assert row.user == county_admin


def test_contact_view_by_other_county_is_not_found(open_notice, other_county_admin):
    with pytest.raises(NotFoundError):
        services.objection_contact_view(actor=other_county_admin, objection=submit(open_notice))


def test_contact_view_by_city_admin_is_forbidden(open_notice, city_admin):
    objection = submit(open_notice)
    with pytest.raises(ForbiddenError):
        services.objection_contact_view(actor=city_admin, objection=objection)
    assert _audit(objection, AuditAction.VIEW_SENSITIVE) == []
