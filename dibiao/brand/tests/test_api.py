"""API v1 of the brand records: list (paged, filtered, scoped), create, retrieve, change;
another county's record is a 404, a role without the right a 403, errors are coded."""

from __future__ import annotations

import pytest

from dibiao.brand.choices import StoryStatus
from dibiao.brand.models import BrandStory, Exhibition, MediaReport, PromoVideo
from dibiao.brand.tests.support import api_as, exhibition, report, story, video
from dibiao.core.choices import AuditAction
from dibiao.core.models import AuditLog

pytestmark = pytest.mark.django_db

BASE = "/api/v1/brand"


def test_media_reports_list_is_scoped_paged_and_filtered(own, other, county_admin):
    report(own, title="省级一", level="provincial")
    report(own, title="国家级一", level="national", outlet="人民日报")
    report(other)
    body = api_as(county_admin).get(f"{BASE}/media-reports/").json()
    assert body["count"] == 2
    assert {r["product"]["name"] for r in body["results"]} == {"清徐葡萄"}
    national = api_as(county_admin).get(f"{BASE}/media-reports/?level=national").json()
    assert [r["title"] for r in national["results"]] == ["国家级一"]
    assert national["results"][0]["level_display"] == "国家级"
    bad = api_as(county_admin).get(f"{BASE}/media-reports/?level=world")
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid"


def test_create_retrieve_and_change_a_media_report(own, county_admin):
    client = api_as(county_admin)
    created = client.post(
        f"{BASE}/media-reports/",
        {
            "product": own.pk,
            "outlet": "山西日报",
            "level": "provincial",
            "published_on": "2021-03-15",
            "title": "清徐葡萄走俏",
            "link": "https://www.example.cn/1.html",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert created.json()["page_url"] == f"/brand/reports/{pk}/"
    assert client.get(f"{BASE}/media-reports/{pk}/").json()["outlet"] == "山西日报"
    changed = client.patch(f"{BASE}/media-reports/{pk}/", {"level": "national"}, format="json")
    assert changed.status_code == 200
    assert changed.json()["level"] == "national"
    assert AuditLog.objects.filter(object_id=str(pk), action=AuditAction.UPDATE).exists()


def test_another_countys_report_is_a_404_even_for_a_write(own, other_county_admin):
    row = report(own)
    client = api_as(other_county_admin)
    assert client.get(f"{BASE}/media-reports/{row.pk}/").json()["code"] == "not_found"
    response = client.patch(f"{BASE}/media-reports/{row.pk}/", {"title": "x"}, format="json")
    assert response.status_code == 404


def test_an_out_of_scope_product_in_a_body_reads_as_missing(other, county_admin):
    response = api_as(county_admin).post(
        f"{BASE}/media-reports/",
        {
            "product": other.pk,
            "outlet": "山西日报",
            "level": "provincial",
            "published_on": "2021-03-15",
            "title": "t",
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "product" in response.json()["errors"]


def test_service_errors_are_coded(own, county_admin):
    response = api_as(county_admin).post(
        f"{BASE}/media-reports/",
        {
            "product": own.pk,
            "outlet": "山西日报",
            "level": "provincial",
            "published_on": "2999-01-01",
            "title": "t",
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "code": "published_on_in_future",
        "message": "发布日期不能晚于今天。",
    }


@pytest.mark.parametrize("path", ["media-reports", "videos", "exhibitions"])
def test_a_producer_may_not_read_or_write_the_bureaus_records(path, own, holder):
    client = api_as(holder)
    assert client.get(f"{BASE}/{path}/").json()["code"] == "permission_denied"
    assert client.post(f"{BASE}/{path}/", {}, format="json").status_code == 403


@pytest.mark.parametrize("path", ["media-reports", "videos", "exhibitions", "stories"])
def test_anonymous_callers_are_refused(path):
    response = api_as().get(f"{BASE}/{path}/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_videos(own, other, county_admin, other_county_admin):
    client = api_as(county_admin)
    created = client.post(
        f"{BASE}/videos/",
        {
            "product": own.pk,
            "title": "千年葡乡",
            "duration_seconds": 485,
            "published_on": "2021-05-01",
            "platforms": "学习强国、抖音",
            "links": ["https://www.example.cn/v/1", "https://www.example.cn/v/2"],
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["duration_text"] == "8分5秒"
    assert created.json()["link_list"] == [
        "https://www.example.cn/v/1",
        "https://www.example.cn/v/2",
    ]
    bad = client.post(
        f"{BASE}/videos/",
        {
            "product": own.pk,
            "title": "t",
            "duration_seconds": 5,
            "published_on": "2021-05-01",
            "platforms": "x",
            "links": ["ftp://x"],
        },
        format="json",
    )
    assert bad.json()["code"] == "invalid_link"
    theirs = video(other)
    assert api_as(other_county_admin).get(f"{BASE}/videos/{theirs.pk}/").status_code == 200
    assert client.get(f"{BASE}/videos/{theirs.pk}/").status_code == 404
    assert PromoVideo.objects.count() == 2


def test_exhibitions(own, other, county_admin, other_county_admin, tree):
    client = api_as(county_admin)
    created = client.post(
        f"{BASE}/exhibitions/",
        {
            "name": "第十八届中国国际农产品交易会",
            "level": "national",
            "start_on": "2021-09-24",
            "end_on": "2021-09-27",
            "place": "重庆国际博览中心",
            "products": [own.pk],
            "deals_count": 3,
            "deals_amount": "1250.50",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["kind"] == "expo"
    assert body["division"] is None
    assert [p["name"] for p in body["products"]] == ["清徐葡萄"]
    backwards = client.post(
        f"{BASE}/exhibitions/",
        {
            **{k: body[k] for k in ("name", "level", "place")},
            "products": [own.pk],
            "start_on": "2021-09-24",
            "end_on": "2021-09-01",
        },
        format="json",
    )
    assert backwards.status_code == 400
    assert "end_on" in backwards.json()["errors"]
    shared = exhibition([own, other])
    # The county names its own products; the other county's stay.
    changed = client.patch(
        f"{BASE}/exhibitions/{shared.pk}/",
        {"products": [own.pk], "division": tree["c1a"].code},
        format="json",
    )
    assert changed.status_code == 200, changed.json()
    assert {p["name"] for p in changed.json()["products"]} == {"清徐葡萄", "隰县玉露香梨"}
    assert changed.json()["division"] == {"code": tree["c1a"].code, "name": tree["c1a"].name}
    only_theirs = exhibition([other], name="别县")
    assert client.get(f"{BASE}/exhibitions/{only_theirs.pk}/").status_code == 404
    assert api_as(other_county_admin).get(f"{BASE}/exhibitions/").json()["count"] == 2
    assert Exhibition.objects.count() == 3


def test_stories_draft_publish_and_the_holders_limits(
    own, holder, county_admin, other_county_admin
):
    drafted = api_as(holder).post(
        f"{BASE}/stories/",
        {"product": own.pk, "title": "葡萄的来历", "body": "<p onclick='x()'>汉代传入</p>"},
        format="json",
    )
    assert drafted.status_code == 201, drafted.json()
    pk = drafted.json()["id"]
    assert drafted.json()["body"] == "<p>汉代传入</p>"
    assert drafted.json()["status"] == "draft"
    assert (
        api_as(holder).post(f"{BASE}/stories/{pk}/status/", {"status": "published"}).status_code
        == 403
    )
    assert (
        api_as(other_county_admin)
        .post(f"{BASE}/stories/{pk}/status/", {"status": "published"})
        .status_code
        == 404
    )
    published = api_as(county_admin).post(f"{BASE}/stories/{pk}/status/", {"status": "published"})
    assert published.json()["status"] == "published"
    again = api_as(county_admin).post(f"{BASE}/stories/{pk}/status/", {"status": "published"})
    assert (again.status_code, again.json()["code"]) == (409, "invalid_transition")
    locked = api_as(holder).patch(f"{BASE}/stories/{pk}/", {"title": "改"}, format="json")
    assert (locked.status_code, locked.json()["code"]) == (409, "story_published")
    listed = api_as(holder).get(f"{BASE}/stories/?status=published").json()
    assert [s["id"] for s in listed["results"]] == [pk]
    assert BrandStory.objects.get().status == StoryStatus.PUBLISHED


def test_another_countys_story_is_a_404(other, county_admin):
    row = story(other)
    assert api_as(county_admin).get(f"{BASE}/stories/{row.pk}/").status_code == 404


def test_an_idempotency_key_records_once(own, county_admin):
    client = api_as(county_admin)
    payload = {
        "product": own.pk,
        "outlet": "山西日报",
        "level": "provincial",
        "published_on": "2021-03-15",
        "title": "一次",
    }
    first = client.post(f"{BASE}/media-reports/", payload, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    second = client.post(
        f"{BASE}/media-reports/", payload, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert first.json() == second.json()
    assert MediaReport.objects.count() == 1
