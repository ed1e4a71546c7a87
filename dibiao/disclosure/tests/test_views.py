from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from dibiao.accounts.choices import Role
from dibiao.core.choices import AuditAction
from dibiao.core.models import AuditLog
from dibiao.disclosure import services
from dibiao.disclosure.choices import NoticeStatus, ObjectionStatus
from dibiao.disclosure.models import Notice, Objection
from dibiao.disclosure.tests.conftest import END, START, notice_data, submit
from dibiao.testing.factories import user_with_role

pytestmark = pytest.mark.django_db

OBJECTION = {
    "name": "李四",
    "contact": "13912345678",
    "text": "公示的补助金额与实施方案不一致，请核实。",
}


def client_as(user=None, **kwargs) -> Client:
    client = Client(**kwargs)
    if user is not None:
        client.force_login(user)
    return client


def _html(response) -> str:
    return response.content.decode()


def public_detail(notice: Notice) -> str:
    return reverse("disclosure:public-notice-detail", args=[notice.pk])


@pytest.fixture
def notices(clock, tree, county_admin, open_notice):
    """One notice in every state for county c1a, today being 2021-06-01."""

    def draft(title, **data):
        return services.notice_save(
            actor=county_admin, data=notice_data(title=title, **data), division=tree["c1a"]
        )

    upcoming = services.notice_publish(
        actor=county_admin,
        notice=draft("待公示", start_date=START + dt.timedelta(days=3), end_date=END),
    )
    withdrawn = services.notice_publish(actor=county_admin, notice=draft("撤回的公示"))
    services.notice_withdraw(actor=county_admin, notice=withdrawn, reason="数据有误")
    clock.move_to(START - dt.timedelta(days=10))
    archived = services.notice_publish(
        actor=county_admin,
        notice=draft(
            "已结束的公示",
            start_date=START - dt.timedelta(days=10),
            end_date=START - dt.timedelta(days=5),
        ),
    )
    clock.move_to(START)
    return {
        "open": open_notice,
        "draft": draft("草稿公示"),
        "upcoming": upcoming,
        "withdrawn": withdrawn,
        "archived": archived,
    }


# --- public pages ------------------------------------------------------------------------------


def test_public_list_shows_only_open_notices(notices):
    response = client_as().get(reverse("disclosure:public-notice-list"))

    assert response.status_code == 200
    assert [n.title for n in response.context["object_list"]] == ["县资金安排公示"]
    assert "公示中" in _html(response)


def test_public_archive_shows_only_archived_notices(notices):
    response = client_as().get(reverse("disclosure:public-notice-archive"))

    assert [n.title for n in response.context["object_list"]] == ["已结束的公示"]


def test_public_list_empty_state(clock, tree):
    response = client_as().get(reverse("disclosure:public-notice-list"))
    assert "当前没有正在公示的项目" in _html(response)
    response = client_as().get(reverse("disclosure:public-notice-archive"))
    assert "还没有已归档的公示" in _html(response)


@pytest.mark.parametrize("state", ["draft", "upcoming", "withdrawn"])
def test_public_detail_of_unpublished_notice_is_404(notices, state):
    assert client_as().get(public_detail(notices[state])).status_code == 404


def test_public_detail_of_open_notice_has_the_form(notices):
    response = client_as().get(public_detail(notices["open"]))

    html = _html(response)
    assert response.status_code == 200
    assert "提出异议" in html
    assert "csrfmiddlewaretoken" in html


def test_public_detail_never_shows_objectors(notices):
    submit(notices["open"], name="王五", contact="13700001111")
    html = _html(client_as().get(public_detail(notices["open"])))

    assert "共收到异议 1 条" in html
    assert "王五" not in html
    assert "13700001111" not in html
    assert "137****1111" not in html


def test_public_detail_of_archived_notice_shows_settlement_and_no_form(
    notices, county_admin, clock
):
    clock.move_to(END + dt.timedelta(days=1))
    services.notice_settle(
        actor=county_admin, notice=notices["open"], settlement="公示期内无异议，结果不变。"
    )
    response = client_as().get(public_detail(notices["open"]))

    html = _html(response)
    assert "公示期内无异议，结果不变。" in html
    assert "提交异议" not in html
    assert response.context["form"] is None


def test_submitting_an_objection_redirects_to_its_receipt(notices):
    response = client_as().post(public_detail(notices["open"]), OBJECTION)

    objection = Objection.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "disclosure:public-objection-receipt", args=[objection.receipt]
    )
    assert objection.client_ip == "127.0.0.1"
    receipt = client_as().get(response["Location"])
    assert receipt.status_code == 200
    assert receipt["Cache-Control"] == "private, no-store"
    assert "待答复" in _html(receipt)
    assert OBJECTION["text"] in _html(receipt)


def test_receipt_shows_the_answer(notices, county_admin):
    objection = submit(notices["open"])
    services.objection_answer(actor=county_admin, objection=objection, answer="已核实，无误。")

    html = _html(
        client_as().get(reverse("disclosure:public-objection-receipt", args=[objection.receipt]))
    )
    assert "已核实，无误。" in html


def test_unknown_receipt_is_404(clock):
    url = reverse("disclosure:public-objection-receipt", args=["nope"])
    assert client_as().get(url).status_code == 404


def test_invalid_objection_shows_field_messages(notices):
    response = client_as().post(
        public_detail(notices["open"]), {"name": "", "contact": "12345", "text": "太短"}
    )

    html = _html(response)
    assert response.status_code == 400
    assert "请填写姓名或单位名称。" in html
    assert "请填写有效的联系方式" in html
    assert "异议内容至少 10 个字。" in html
    assert not Objection.objects.exists()


def test_fourth_objection_page_shows_rate_limit_message(notices):
    client = client_as()
    for _ in range(3):
        assert client.post(public_detail(notices["open"]), OBJECTION).status_code == 302

    response = client.post(public_detail(notices["open"]), OBJECTION)

    assert response.status_code == 429
    assert "提交过于频繁" in _html(response)
    assert Objection.objects.count() == 3


def test_objection_to_archived_notice_is_409(notices):
    response = client_as().post(public_detail(notices["archived"]), OBJECTION)
    assert response.status_code == 409
    assert not Objection.objects.exists()


def test_objection_form_requires_csrf(notices):
    response = client_as(enforce_csrf_checks=True).post(public_detail(notices["open"]), OBJECTION)
    assert response.status_code == 403
    assert not Objection.objects.exists()


# --- staff pages -------------------------------------------------------------------------------


def test_anonymous_staff_list_redirects_to_login(clock):
    response = client_as().get(reverse("disclosure:notice-list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_auditor_cannot_open_staff_list(auditor):
    assert client_as(auditor).get(reverse("disclosure:notice-list")).status_code == 403


def test_producer_cannot_open_staff_list(tree):
    producer = user_with_role(Role.PRODUCER, tree["c1a"])
    assert client_as(producer).get(reverse("disclosure:notice-list")).status_code == 403


def test_county_government_reads_its_countys_notices(open_notice, tree):
    county_gov = user_with_role(Role.COUNTY_GOV, tree["c1a"])
    response = client_as(county_gov).get(reverse("disclosure:notice-list"))
    assert [n.title for n in response.context["object_list"]] == ["县资金安排公示"]
    assert response.context["can_create"] is False


def test_staff_list_is_scoped_and_filtered(
    notices, foreign_notice, county_admin, other_county_admin
):
    client = client_as(county_admin)
    response = client.get(reverse("disclosure:notice-list"))
    titles = {n.title for n in response.context["object_list"]}
    assert titles == {"县资金安排公示", "草稿公示", "待公示", "撤回的公示", "已结束的公示"}

    for params, expected in (
        ({"phase": "open"}, ["县资金安排公示"]),
        ({"phase": "upcoming"}, ["待公示"]),
        ({"phase": "archived"}, ["已结束的公示"]),
        ({"status": "draft"}, ["草稿公示"]),
        ({"q": "撤回"}, ["撤回的公示"]),
        ({"kind": "fund_arrangement"}, ["县资金安排公示"]),
    ):
        response = client.get(reverse("disclosure:notice-list"), params)
        assert [n.title for n in response.context["object_list"]] == expected, params

    response = client_as(other_county_admin).get(reverse("disclosure:notice-list"))
    assert [n.title for n in response.context["object_list"]] == ["他县公示"]


def test_staff_list_empty_state_offers_create(clock, county_admin):
    html = _html(client_as(county_admin).get(reverse("disclosure:notice-list")))
    assert "您的数据范围内还没有公示" in html
    assert reverse("disclosure:notice-create") in html


def test_city_admin_sees_county_notice_read_only(open_notice, city_admin):
    submit(open_notice)
    response = client_as(city_admin).get(reverse("disclosure:notice-detail", args=[open_notice.pk]))

    html = _html(response)
    assert response.status_code == 200
    assert response.context["can_manage"] is False
    assert reverse("disclosure:notice-withdraw", args=[open_notice.pk]) not in html
    assert "保存答复" not in html
    assert "138****5678" in html
    assert "13812345678" not in html


def test_create_and_edit_draft_through_pages(clock, tree, county_admin):
    client = client_as(county_admin)
    response = client.post(
        reverse("disclosure:notice-create"),
        {
            "division": tree["c1a"].pk,
            "kind": "progress",
            "title": "实施进展公示",
            "body": "核心基地建设已完成。",
            "start_date": "2021-06-02",
            "end_date": "2021-06-08",
        },
    )
    notice = Notice.objects.get()
    assert response.status_code == 302
    assert notice.status == NoticeStatus.DRAFT
    assert notice.division == tree["c1a"]

    response = client.post(
        reverse("disclosure:notice-edit", args=[notice.pk]),
        {
            "kind": "progress",
            "title": "实施进展公示（修订）",
            "body": "核心基地建设已完成。",
            "start_date": "2021-06-02",
            "end_date": "2021-06-08",
        },
    )
    notice.refresh_from_db()
    assert response.status_code == 302
    assert notice.title == "实施进展公示（修订）"


def test_create_form_rejects_end_before_start(clock, tree, county_admin):
    response = client_as(county_admin).post(
        reverse("disclosure:notice-create"),
        {
            "division": tree["c1a"].pk,
            "kind": "progress",
            "title": "实施进展公示",
            "body": "内容",
            "start_date": "2021-06-08",
            "end_date": "2021-06-02",
        },
    )
    assert response.status_code == 200
    assert "公示结束日期不能早于开始日期。" in _html(response)
    assert not Notice.objects.exists()


def test_city_admin_cannot_open_create_page(clock, city_admin):
    assert client_as(city_admin).get(reverse("disclosure:notice-create")).status_code == 403


def test_publish_withdraw_and_settle_through_pages(county_draft, county_admin, clock):
    client = client_as(county_admin)
    detail = reverse("disclosure:notice-detail", args=[county_draft.pk])

    client.post(reverse("disclosure:notice-publish", args=[county_draft.pk]))
    county_draft.refresh_from_db()
    assert county_draft.status == NoticeStatus.PUBLISHED

    objection = submit(county_draft)
    client.post(reverse("disclosure:objection-answer", args=[objection.pk]), {"answer": "已核实。"})
    objection.refresh_from_db()
    assert objection.status == ObjectionStatus.ANSWERED

    clock.move_to(END + dt.timedelta(days=1))
    client = client_as(county_admin)  # a week later: the old session has timed out
    response = client.post(
        reverse("disclosure:notice-settle", args=[county_draft.pk]), {"settlement": "不成立。"}
    )
    assert response["Location"] == detail
    county_draft.refresh_from_db()
    assert county_draft.settlement == "不成立。"

    client.post(reverse("disclosure:notice-withdraw", args=[county_draft.pk]), {"reason": "更正"})
    county_draft.refresh_from_db()
    assert county_draft.status == NoticeStatus.WITHDRAWN


def test_rejected_transition_is_shown_as_a_message(open_notice, county_admin):
    submit(open_notice)
    client = client_as(county_admin)
    response = client.post(
        reverse("disclosure:notice-settle", args=[open_notice.pk]),
        {"settlement": "无"},
        follow=True,
    )
    assert "结束后才能记录异议处理结果" in _html(response)


def test_contact_reveal_is_audited_and_htmx_gets_a_fragment(open_notice, county_admin):
    objection = submit(open_notice)
    response = client_as(county_admin).post(
        reverse("disclosure:objection-contact", args=[objection.pk]), HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    assert _html(response).strip() == '<span class="contact-full">13812345678</span>'
    assert response["Cache-Control"] == "no-store"
    assert AuditLog.objects.filter(
        action=AuditAction.VIEW_SENSITIVE, object_id=str(objection.pk)
    ).exists()


def test_staff_detail_shows_masked_contact_and_reveal_button(open_notice, county_admin):
    objection = submit(open_notice)
    html = _html(
        client_as(county_admin).get(reverse("disclosure:notice-detail", args=[open_notice.pk]))
    )
    assert "138****5678" in html
    assert "13812345678" not in html
    assert reverse("disclosure:objection-contact", args=[objection.pk]) in html


@pytest.mark.parametrize(
    ("name", "method", "data"),
    [
        ("disclosure:notice-detail", "get", None),
        ("disclosure:notice-edit", "get", None),
        ("disclosure:notice-publish", "post", None),
        ("disclosure:notice-withdraw", "post", {"reason": "x"}),
        ("disclosure:notice-settle", "post", {"settlement": "x"}),
    ],
)
def test_other_countys_notice_is_404_on_every_staff_page(
    foreign_notice, county_admin, name, method, data
):
    client = client_as(county_admin)
    response = getattr(client, method)(reverse(name, args=[foreign_notice.pk]), data or {})
    assert response.status_code == 404


@pytest.mark.parametrize("name", ["disclosure:objection-answer", "disclosure:objection-contact"])
def test_other_countys_objection_is_404(foreign_notice, county_admin, name):
    objection = submit(foreign_notice)
    response = client_as(county_admin).post(reverse(name, args=[objection.pk]), {"answer": "x"})
    assert response.status_code == 404
    objection.refresh_from_db()
    assert objection.status == ObjectionStatus.PENDING
