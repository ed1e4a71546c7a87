"""The pipeline through the API for a 2022 program, and the scope rules of every endpoint."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from dibiao.accounts.choices import Role
from dibiao.applications.choices import ApplicationStatus
from dibiao.applications.models import Application, ReviewAssignment
from dibiao.applications.tests.builders import full_scores, recommended
from dibiao.core.choices import AuditAction
from dibiao.core.models import AuditLog
from dibiao.projects.models import Allocation
from dibiao.testing.factories import user_with_role

pytestmark = pytest.mark.django_db

BUDGET = [
    {"area": "production", "description": "核心生产基地建设", "amount": "1500000.00"},
    {"area": "quality", "description": "按标生产培训与检测", "amount": "600000.00"},
    {"area": "brand", "description": "宣传片与展会", "amount": "500000.00"},
    {"area": "digital", "description": "追溯与一张图", "amount": "400000.00"},
]


def api_as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _ok(response, status=200):
    assert response.status_code == status, response.json()
    return response.json()


def _refused(response, status, code):
    assert response.status_code == status, response.json()
    assert response.json()["code"] == code
    assert response.json()["message"]


def test_whole_pipeline_through_the_api(
    tree, program, product, county_admin, county_gov, city_admin, province_admin, experts
):
    county = api_as(county_admin)
    created = _ok(
        county.post(
            "/api/v1/applications/",
            {
                "program": program.pk,
                "product": product.pk,
                "plan": "建设核心基地，开展培训，推进品牌与数字化建设。",
                "requested_amount": "2900000.00",
                "budget_lines": BUDGET[:3],
                "targets": {"farmers_driven": "600"},
            },
            format="json",
        ),
        201,
    )
    pk = created["id"]
    assert created["status"] == "draft"
    assert created["division"] == {"code": tree["c1a"].code, "name": tree["c1a"].name}
    assert created["actions"] == ["submit", "withdraw"]
    assert {t["code"]: t["value"] for t in created["targets"]}["farmers_driven"] == "600.00"

    # The budget does not add up yet: submission is refused; the county fixes it and submits.
    _refused(county.post(f"/api/v1/applications/{pk}/submit/", {}), 400, "budget_mismatch")
    _ok(
        county.patch(
            f"/api/v1/applications/{pk}/",
            {"requested_amount": "3000000.00", "budget_lines": BUDGET},
            format="json",
        )
    )
    submitted = _ok(county.post(f"/api/v1/applications/{pk}/submit/", {}))
    assert submitted["status"] == "submitted"
    assert submitted["actions"] == []

    gov = api_as(county_gov)
    assert _ok(gov.get(f"/api/v1/applications/{pk}/"))["actions"] == ["confirm", "return"]
    _ok(gov.post(f"/api/v1/applications/{pk}/confirm/", {"comment": "同意"}))
    _ok(api_as(city_admin).post(f"/api/v1/applications/{pk}/recommend/", {"comment": "推荐"}))

    province = api_as(province_admin)
    base = f"/api/v1/applications/programs/{program.pk}"
    scheme = _ok(province.get(f"{base}/scheme/"))
    assert scheme["saved"] is False
    assert sum(Decimal(c["weight"]) for c in scheme["criteria"]) == 100
    listed = _ok(province.get("/api/v1/applications/experts/"))
    assert listed["count"] == 4

    # Four experts, one from the applying county: refused, nothing assigned.
    ids = [e.pk for e in experts]
    _refused(
        province.post(f"{base}/review/open/", {"experts": ids}, format="json"),
        400,
        "expert_conflict",
    )
    assert not ReviewAssignment.objects.exists()
    opened = _ok(province.post(f"{base}/review/open/", {"experts": ids[:3]}, format="json"))
    assert [row["status"] for row in opened] == ["under_review"]

    # Three experts score; each sees the others' scores only after submitting their own.
    for n, expert in enumerate(experts[:3]):
        client = api_as(expert)
        (mine,) = _ok(client.get("/api/v1/reviews/"))["results"]
        detail = _ok(client.get(f"/api/v1/reviews/{mine['id']}/"))
        assert detail["panel"] is None
        assert detail["plan"].startswith("建设核心基地")
        scores = [
            {"criterion": c["id"], "points": str(Decimal(c["max_points"]) - n)}
            for c in detail["criteria"]
        ]
        after = _ok(
            client.post(
                f"/api/v1/reviews/{mine['id']}/scores/",
                {"scores": scores, "opinion": "可行"},
                format="json",
            )
        )
        assert after["status"] == "submitted"
        assert len([p for p in after["panel"] if p["status"] == "submitted"]) == n + 1

    ranking = _ok(province.post(f"{base}/review/close/", {}, format="json"))
    # Totals 100, 95 and 90: each of the 5 criteria 0, 1 or 2 points below its maximum.
    assert ranking == [
        {
            "id": pk,
            "rank": 1,
            "score": "95.00",
            "score_count": 3,
            "product": "清徐葡萄",
            "division": tree["c1a"].name,
            "requested_amount": "3000000.00",
            "status": "scored",
            "status_display": "评审完成",
            "funding_amount": None,
        }
    ]
    assert _ok(province.get(f"{base}/ranking/"))["count"] == 1
    # The county does not see the score before the decision.
    assert _ok(county.get(f"/api/v1/applications/{pk}/"))["score"] is None

    decided = _ok(
        province.post(
            f"/api/v1/applications/{pk}/decide/",
            {"selected": True, "amount": "3000000.00", "comment": "入选"},
            format="json",
        )
    )
    assert decided["status"] == "selected"
    allocation = Allocation.objects.get(program=program, product=product)
    assert allocation.amount == Decimal("3000000.00")
    assert decided["allocation"] == allocation.pk
    county_view = _ok(county.get(f"/api/v1/applications/{pk}/"))
    assert county_view["score"] == "95.00"
    assert [e["to_status"] for e in county_view["events"]] == [
        "draft",
        "submitted",
        "confirmed",
        "recommended",
        "under_review",
        "scored",
        "selected",
    ]

    transitions = AuditLog.objects.filter(
        object_type="applications.application", object_id=str(pk), action=AuditAction.TRANSITION
    )
    assert transitions.count() == 6
    assert AuditLog.objects.filter(
        object_type="applications.application", object_id=str(pk), action=AuditAction.UPDATE
    ).exists()
    assert AuditLog.objects.filter(object_type="projects.allocation").count() == 1
    assert (
        AuditLog.objects.filter(
            object_type="applications.reviewassignment", action=AuditAction.TRANSITION
        ).count()
        == 3
    )


# --- scope: another county gets 404 on every endpoint ----------------------------------------


@pytest.fixture
def application(program, product, county_admin, county_gov, city_admin):
    return recommended(county_admin, county_gov, city_admin, program, product)


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("get", "", None),
        ("patch", "", {"plan": "改"}),
        ("post", "submit/", {}),
        ("post", "confirm/", {}),
        ("post", "return/", {"comment": "x"}),
        ("post", "recommend/", {}),
        ("post", "withdraw/", {"comment": "x"}),
        ("post", "decide/", {"selected": False, "comment": "x"}),
    ],
)
@pytest.mark.parametrize(
    "who", ["other_county_admin", "other_county_gov", "other_city_admin", "experts"]
)
def test_another_countys_user_gets_404_on_every_application_endpoint(
    application, request, who, method, suffix, body
):
    user = request.getfixturevalue(who)
    user = user[0] if isinstance(user, list) else user
    response = getattr(api_as(user), method)(
        f"/api/v1/applications/{application.pk}/{suffix}", body, format="json"
    )
    _refused(response, 404, "not_found")
    application.refresh_from_db()
    assert application.status == ApplicationStatus.RECOMMENDED


def test_another_countys_user_does_not_list_the_application(application, other_county_admin):
    assert _ok(api_as(other_county_admin).get("/api/v1/applications/"))["count"] == 0


def test_out_of_scope_and_missing_applications_look_the_same(application, other_county_admin):
    client = api_as(other_county_admin)
    assert (
        client.get(f"/api/v1/applications/{application.pk}/").json()
        == client.get("/api/v1/applications/999999/").json()
    )


def test_city_lists_its_counties_and_the_province_lists_all(
    application, city_admin, other_city_admin, province_admin
):
    assert _ok(api_as(city_admin).get("/api/v1/applications/"))["count"] == 1
    assert _ok(api_as(other_city_admin).get("/api/v1/applications/"))["count"] == 0
    rows = _ok(api_as(province_admin).get("/api/v1/applications/", {"status": "recommended"}))
    assert [r["id"] for r in rows["results"]] == [application.pk]
    assert (
        _ok(api_as(province_admin).get("/api/v1/applications/", {"status": "draft"}))["count"] == 0
    )


def test_product_of_another_county_is_an_invalid_reference(program, other_product, county_admin):
    response = api_as(county_admin).post(
        "/api/v1/applications/",
        {"program": program.pk, "product": other_product.pk, "plan": "x", "requested_amount": "1"},
        format="json",
    )
    _refused(response, 400, "invalid")


def test_expert_sees_only_own_assignments_and_gets_404_on_others(
    program, application, province_admin, experts
):
    api_as(province_admin).post(
        f"/api/v1/applications/programs/{program.pk}/review/open/",
        {"experts": [e.pk for e in experts[:2]]},
        format="json",
    )
    theirs = ReviewAssignment.objects.get(expert=experts[1])
    own = api_as(experts[0])
    assert _ok(own.get("/api/v1/reviews/"))["count"] == 1
    _refused(own.get(f"/api/v1/reviews/{theirs.pk}/"), 404, "not_found")
    scores = [
        {"criterion": s.criterion_id, "points": str(s.points)} for s in full_scores(application)
    ]
    _refused(
        own.post(f"/api/v1/reviews/{theirs.pk}/scores/", {"scores": scores}, format="json"),
        404,
        "not_found",
    )
    _refused(own.post(f"/api/v1/reviews/{theirs.pk}/recuse/", {"reason": "x"}), 404, "not_found")
    # An expert has no scope: the application itself is not theirs to read.
    _refused(own.get(f"/api/v1/applications/{application.pk}/"), 404, "not_found")
    # The unassigned c1a expert sees nothing at all.
    assert _ok(api_as(experts[3]).get("/api/v1/reviews/"))["count"] == 0


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("get", "scheme/", None),
        ("put", "scheme/", {"name": "x", "criteria": []}),
        ("get", "review/", None),
        ("post", "review/open/", {"experts": []}),
        ("post", "review/close/", {}),
        ("get", "ranking/", None),
    ],
)
def test_program_review_endpoints(tree, program, application, county_admin, method, suffix, body):
    url = f"/api/v1/applications/programs/{program.pk}/{suffix}"
    # Within the province but not the province: 403.
    _refused(
        getattr(api_as(county_admin), method)(url, body, format="json"), 403, "permission_denied"
    )
    # Another province's administrator: the program is not theirs to see, 404.
    from dibiao.testing.factories import division_tree

    elsewhere = user_with_role(Role.PROVINCE_ADMIN, division_tree("150000")["p"])
    _refused(getattr(api_as(elsewhere), method)(url, body, format="json"), 404, "not_found")


def test_experts_list_is_for_the_province_only(county_admin):
    _refused(api_as(county_admin).get("/api/v1/applications/experts/"), 403, "permission_denied")


def test_scheme_put_validates_weights(program, province_admin):
    response = api_as(province_admin).put(
        f"/api/v1/applications/programs/{program.pk}/scheme/",
        {
            "name": "方案",
            "trimmed": True,
            "criteria": [{"name": "综合", "weight": "90", "max_points": "100"}],
        },
        format="json",
    )
    _refused(response, 400, "weights_not_100")
    ok = _ok(
        api_as(province_admin).put(
            f"/api/v1/applications/programs/{program.pk}/scheme/",
            {
                "name": "方案",
                "trimmed": True,
                "criteria": [{"name": "综合", "weight": "100", "max_points": "100"}],
            },
            format="json",
        )
    )
    assert ok["saved"] is True
    assert ok["trimmed"] is True


# --- refused steps through the API -----------------------------------------------------------


def test_wrong_role_is_403_and_wrong_status_is_409(application, county_admin, county_gov):
    url = f"/api/v1/applications/{application.pk}"
    _refused(api_as(county_admin).post(f"{url}/confirm/", {}), 403, "permission_denied")
    _refused(api_as(county_gov).post(f"{url}/confirm/", {}), 409, "invalid_transition")
    _refused(api_as(county_admin).patch(f"{url}/", {"plan": "x"}), 409, "not_editable")


def test_return_without_comment_is_refused(program, product, county_admin, county_gov):
    from dibiao.applications import services
    from dibiao.applications.tests.builders import draft

    application = draft(county_admin, program, product)
    services.application_submit(actor=county_admin, application=application)
    _refused(
        api_as(county_gov).post(f"/api/v1/applications/{application.pk}/return/", {}),
        400,
        "comment_required",
    )


def test_over_budget_selection_through_the_api_writes_nothing(
    program, application, province_admin, experts
):
    from dibiao.applications import services
    from dibiao.projects.models import Program

    services.review_open(actor=province_admin, program=program, experts=experts[:3])
    for expert in experts[:3]:
        assignment = ReviewAssignment.objects.get(expert=expert)
        services.score_submit(actor=expert, assignment=assignment, scores=full_scores(application))
    services.review_close(actor=province_admin, program=program)
    Program.objects.filter(pk=program.pk).update(total_budget=Decimal("1000000.00"))
    before = AuditLog.objects.count()

    response = api_as(province_admin).post(
        f"/api/v1/applications/{application.pk}/decide/",
        {"selected": True, "amount": "2000000.00"},
        format="json",
    )

    _refused(response, 400, "over_budget")
    assert AuditLog.objects.count() == before
    assert not Allocation.objects.exists()
    assert Application.objects.get(pk=application.pk).status == ApplicationStatus.SCORED


def test_repeated_submit_with_the_same_idempotency_key_acts_once(program, product, county_admin):
    from dibiao.applications.tests.builders import draft

    application = draft(county_admin, program, product)
    client = api_as(county_admin)
    url = f"/api/v1/applications/{application.pk}/submit/"
    first = client.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert application.events.filter(to_status="submitted").count() == 1


def test_anonymous_is_401(application):
    response = APIClient().get("/api/v1/applications/")
    assert response.status_code == 401


def test_routes_are_in_the_openapi_schema(province_admin):
    schema = api_as(province_admin).get("/api/schema/", {"format": "json"}).json()
    paths = set(schema["paths"])
    for path in (
        "/api/v1/applications/",
        "/api/v1/applications/{id}/submit/",
        "/api/v1/applications/{id}/decide/",
        "/api/v1/applications/programs/{program_id}/review/open/",
        "/api/v1/applications/programs/{program_id}/ranking/",
        "/api/v1/reviews/{id}/scores/",
    ):
        assert path in paths
