"""The pipeline through the pages, and the scope of every page."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from dibiao.applications.choices import ApplicationStatus, AssignmentStatus
from dibiao.applications.models import Application, ReviewAssignment
from dibiao.applications.selectors import criteria_for
from dibiao.applications.tests.builders import draft, recommended
from dibiao.core.choices import AuditAction
from dibiao.core.models import AuditLog
from dibiao.projects.models import Allocation
from dibiao.testing.responses import xlsx_rows

pytestmark = pytest.mark.django_db


def page_as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def _form_data(program, product=None, *, amount="3000000.00", lines=None, targets=None):
    lines = lines or [
        ("production", "核心生产基地建设", "1500000.00"),
        ("quality", "按标生产培训", "600000.00"),
        ("brand", "宣传片与展会", "500000.00"),
        ("digital", "追溯与一张图", "400000.00"),
    ]
    data = {
        "plan": "建设核心基地，开展培训，推进品牌与数字化建设。",
        "requested_amount": amount,
        "lines-TOTAL_FORMS": str(len(lines) + 1),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "50",
    }
    if product is not None:
        data["product"] = str(product.pk)
    for n, (area, description, value) in enumerate(lines):
        data.update(
            {
                f"lines-{n}-area": area,
                f"lines-{n}-description": description,
                f"lines-{n}-amount": value,
            }
        )
    for target in program.targets.all():
        data[f"t-{target.code}"] = str((targets or {}).get(target.code, target.value))
    return data


def test_whole_pipeline_through_the_pages(
    tree, program, product, county_admin, county_gov, city_admin, province_admin, experts
):
    county = page_as(county_admin)
    form_page = county.get("/applications/new/")
    assert form_page.status_code == 200
    assert "清徐葡萄" in form_page.content.decode()
    assert 'name="t-farmers_driven" value="500"' in form_page.content.decode()

    # A target below the program's minimum is refused by the form.
    low = county.post(
        "/applications/new/", _form_data(program, product, targets={"training": "10"})
    )
    assert low.status_code == 200
    assert "不能低于工程要求" in low.content.decode()
    assert not Application.objects.exists()

    response = county.post("/applications/new/", _form_data(program, product))
    application = Application.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/applications/{application.pk}/"
    assert application.budget_lines.count() == 4
    detail = county.get(f"/applications/{application.pk}/").content.decode()
    assert 'value="submit"' in detail
    assert "3,000,000.00" in detail
    assert "办理记录" in detail

    step = f"/applications/{application.pk}/step/"
    county.post(step, {"action": "submit"})
    gov = page_as(county_gov)
    assert 'value="confirm"' in gov.get(f"/applications/{application.pk}/").content.decode()
    gov.post(step, {"action": "confirm", "comment": "同意申报"})
    page_as(city_admin).post(step, {"action": "recommend"})
    application.refresh_from_db()
    assert application.status == ApplicationStatus.RECOMMENDED

    province = page_as(province_admin)
    console = province.get(f"/applications/programs/{program.pk}/review/")
    assert console.status_code == 200
    assert "回避：清徐葡萄" in console.content.decode()  # the c1a expert is marked before choosing
    refused = province.post(
        f"/applications/programs/{program.pk}/review/open/",
        {"applications": [application.pk], "experts": [e.pk for e in experts]},
        follow=True,
    )
    assert any("须回避" in m for m in _messages(refused))
    assert not ReviewAssignment.objects.exists()
    province.post(
        f"/applications/programs/{program.pk}/review/open/",
        {"applications": [application.pk], "experts": [e.pk for e in experts[:3]]},
    )
    assert ReviewAssignment.objects.count() == 3

    criteria = criteria_for(program_id=program.pk)
    for expert in experts[:3]:
        client = page_as(expert)
        listing = client.get("/applications/reviews/").content.decode()
        assert "清徐葡萄" in listing
        assignment = ReviewAssignment.objects.get(expert=expert)
        page = client.get(f"/applications/reviews/{assignment.pk}/").content.decode()
        assert "提交评分" in page
        assert "其他专家的评分在您提交评分后可见" in page
        data = {f"points_{c.pk}": str(c.max_points - 1) for c in criteria}
        data["opinion"] = "方案可行"
        after = client.post(f"/applications/reviews/{assignment.pk}/", data, follow=True)
        assert "专家评分" in after.content.decode()
    assert set(ReviewAssignment.objects.values_list("status", flat=True)) == {
        AssignmentStatus.SUBMITTED
    }

    closed = province.post(f"/applications/programs/{program.pk}/review/close/", follow=True)
    assert "评审排名" in closed.content.decode()
    application.refresh_from_db()
    assert application.score == Decimal("95.00")

    decide_page = province.get(f"/applications/{application.pk}/decide/").content.decode()
    assert 'value="3000000.00"' in decide_page  # pre-filled with the requested amount
    province.post(
        f"/applications/{application.pk}/decide/",
        {"decision": "selected", "amount": "3000000.00", "comment": "入选"},
    )
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SELECTED
    assert Allocation.objects.get(program=program).amount == Decimal("3000000.00")
    assert (
        AuditLog.objects.filter(
            object_type="applications.application",
            object_id=str(application.pk),
            action=AuditAction.TRANSITION,
        ).count()
        == 6
    )

    ranking = province.get(f"/applications/programs/{program.pk}/ranking/?format=xlsx")
    rows = xlsx_rows(ranking)
    assert rows[0][0] == "排名"
    assert rows[1][:4] == (1, 95, 3, "清徐葡萄")


def test_return_through_the_page_needs_a_comment(program, product, county_admin, county_gov):
    application = draft(county_admin, program, product)
    page_as(county_admin).post(f"/applications/{application.pk}/step/", {"action": "submit"})
    gov = page_as(county_gov)
    refused = gov.post(f"/applications/{application.pk}/step/", {"action": "return"}, follow=True)
    assert any("请填写意见" in m for m in _messages(refused))
    gov.post(f"/applications/{application.pk}/step/", {"action": "return", "comment": "补材料"})
    application.refresh_from_db()
    assert application.status == ApplicationStatus.RETURNED
    page = page_as(county_admin).get(f"/applications/{application.pk}/").content.decode()
    assert "县人民政府退回" in page
    assert "重新提交" in page


def test_edit_page_saves_changes(program, product, county_admin):
    application = draft(county_admin, program, product)
    data = _form_data(program, amount="2000000.00", lines=[("brand", "宣传", "2000000.00")])
    data["lines-INITIAL_FORMS"] = "0"
    response = page_as(county_admin).post(f"/applications/{application.pk}/edit/", data)
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.requested_amount == Decimal("2000000.00")
    assert application.budget_lines.count() == 1


def test_list_filters_and_exports(program, product, county_admin, other_county_admin):
    draft(county_admin, program, product)
    county = page_as(county_admin)
    assert "清徐葡萄" in county.get("/applications/").content.decode()
    assert "清徐葡萄" not in county.get("/applications/?status=submitted").content.decode()
    assert "清徐葡萄" not in page_as(other_county_admin).get("/applications/").content.decode()
    rows = xlsx_rows(county.get("/applications/export/"))
    assert rows[0][2] == "产品"
    assert rows[1][2] == "清徐葡萄"
    assert AuditLog.objects.filter(action=AuditAction.EXPORT).count() == 1


@pytest.fixture
def application(program, product, county_admin, county_gov, city_admin):
    return recommended(county_admin, county_gov, city_admin, program, product)


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("get", ""),
        ("get", "edit/"),
        ("post", "step/"),
        ("get", "decide/"),
        ("post", "decide/"),
    ],
)
@pytest.mark.parametrize("who", ["other_county_admin", "other_county_gov", "other_city_admin"])
def test_another_countys_user_gets_404_on_every_page(application, request, who, method, suffix):
    client = page_as(request.getfixturevalue(who))
    response = getattr(client, method)(
        f"/applications/{application.pk}/{suffix}", {"action": "confirm"}
    )
    assert response.status_code == 404
    application.refresh_from_db()
    assert application.status == ApplicationStatus.RECOMMENDED


def test_expert_cannot_open_another_experts_review_page(
    program, application, province_admin, experts
):
    from dibiao.applications import services

    services.review_open(actor=province_admin, program=program, experts=experts[:2])
    theirs = ReviewAssignment.objects.get(expert=experts[1])
    client = page_as(experts[0])
    assert client.get(f"/applications/reviews/{theirs.pk}/").status_code == 404
    assert (
        client.post(f"/applications/reviews/{theirs.pk}/recuse/", {"reason": "x"}).status_code
        == 404
    )
    # Experts have no application pages: the list sends them to their reviews.
    assert client.get("/applications/")["Location"] == "/applications/reviews/"


@pytest.mark.parametrize("suffix", ["review/", "scheme/", "ranking/"])
def test_review_pages_are_the_provinces(program, county_admin, city_admin, suffix):
    for user in (county_admin, city_admin):
        assert page_as(user).get(f"/applications/programs/{program.pk}/{suffix}").status_code == 403


def test_scheme_page_saves_a_custom_scheme(program, province_admin):
    data = {
        "name": "2022年评审方案",
        "trimmed": "on",
        "c-TOTAL_FORMS": "3",
        "c-INITIAL_FORMS": "0",
        "c-MIN_NUM_FORMS": "0",
        "c-MAX_NUM_FORMS": "20",
        "c-0-name": "方案",
        "c-0-weight": "60",
        "c-0-max_points": "10",
        "c-1-name": "预算",
        "c-1-weight": "30",
        "c-1-max_points": "10",
    }
    client = page_as(province_admin)
    bad = client.post(f"/applications/programs/{program.pk}/scheme/", data)
    assert "各项权重合计应为 100" in bad.content.decode()
    data["c-1-weight"] = "40"
    assert client.post(f"/applications/programs/{program.pk}/scheme/", data).status_code == 302
    assert [c.name for c in criteria_for(program_id=program.pk)] == ["方案", "预算"]


def test_county_sees_no_score_before_the_decision(
    program, application, province_admin, experts, county_admin
):
    from dibiao.applications import services
    from dibiao.applications.tests.builders import full_scores

    services.review_open(actor=province_admin, program=program, experts=experts[:3])
    for expert in experts[:3]:
        assignment = ReviewAssignment.objects.get(expert=expert)
        services.score_submit(actor=expert, assignment=assignment, scores=full_scores(application))
    services.review_close(actor=province_admin, program=program)
    page = page_as(county_admin).get(f"/applications/{application.pk}/").content.decode()
    assert "评审得分" not in page
    assert ">专家评分</h2>" not in page
    assert (
        "评审得分"
        in page_as(province_admin).get(f"/applications/{application.pk}/").content.decode()
    )
