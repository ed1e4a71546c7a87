"""The national lists of banned and restricted inputs: the data file, its loader and command,
name matching, and the page and API that show the lists."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from dibiao.core.choices import AuditAction
from dibiao.core.models import AuditLog
from dibiao.production.choices import RestrictionKind
from dibiao.production.errors import ProductionError
from dibiao.production.models import RestrictedSubstance, RestrictionList
from dibiao.production.services.restrictions import (
    DEFAULT_RESTRICTION_FILE,
    input_check,
    input_matches,
    list_date_text,
    name_parts,
    normalise_name,
    restriction_lists_load,
)
from dibiao.production.tests.logs_fixtures import api_as, client_as, load_lists
from dibiao.registry.choices import ProductCategory

pytestmark = pytest.mark.django_db


def _data() -> dict:
    return json.loads(DEFAULT_RESTRICTION_FILE.read_text(encoding="utf-8"))


# --- The data file -------------------------------------------------------------------------------


def test_the_2019_pesticide_list_has_46_banned_and_20_restricted():
    pesticides = next(x for x in _data()["lists"] if x["title"] == "禁限用农药名录")
    kinds = [s["kind"] for s in pesticides["substances"]]
    assert kinds.count("banned") == 46
    assert kinds.count("restricted") == 20


def test_every_list_records_its_source_and_date():
    for entry in _data()["lists"]:
        assert all(entry[key] for key in ("source", "published_on", "notes")), entry["title"]
    sources = {x["source"] for x in _data()["lists"]}
    assert {"农业农村部公告第536号", "农业农村部公告第250号", "农业农村部公告第736号"} <= sources


def test_forbidden_categories_are_product_categories():
    for entry in _data()["lists"]:
        defaults = entry.get("defaults", {})
        for substance in entry["substances"]:
            codes = substance.get("forbidden_categories", defaults.get("forbidden_categories", ""))
            for code in filter(None, codes.split(",")):
                assert code in ProductCategory.values, (substance["name"], code)


# --- Loading -------------------------------------------------------------------------------------


def test_the_command_loads_the_lists_and_is_idempotent():
    out = StringIO()
    call_command("load_restriction_lists", stdout=out)
    assert "新增名录 4" in out.getvalue()
    assert RestrictionList.objects.count() == 4
    count = RestrictedSubstance.objects.count()
    assert count == 108
    assert AuditLog.objects.filter(action=AuditAction.IMPORT).count() == 1
    out = StringIO()
    call_command("load_restriction_lists", stdout=out)
    assert "新增名录 0，更新 0；物质新增 0，更新 0，删除 0" in out.getvalue()
    assert RestrictedSubstance.objects.count() == count
    assert AuditLog.objects.filter(action=AuditAction.IMPORT).count() == 1


def test_the_veterinary_list_applies_to_food_animals():
    load_lists()
    chloramphenicol = RestrictedSubstance.objects.get(
        name="氯霉素", restriction_list__source="农业农村部公告第250号"
    )
    assert chloramphenicol.forbidden_categories == "livestock,aquatic"
    assert chloramphenicol.input_category == "veterinary_drug"
    assert chloramphenicol.scope.startswith("食品动物中禁止使用")


def test_a_reload_updates_changed_and_removes_dropped_substances():
    data = {
        "lists": [
            {
                "title": "测试名录",
                "source": "测试机关",
                "published_on": "2024-02-03",
                "substances": [
                    {"name": "甲", "kind": "banned"},
                    {"name": "乙", "kind": "restricted", "forbidden_categories": "vegetable"},
                ],
            }
        ]
    }
    restriction_lists_load(data=data)
    data["lists"][0]["substances"] = [{"name": "甲", "kind": "restricted", "scope": "仅蔬菜"}]
    result = restriction_lists_load(data=data)
    assert (result.substances_updated, result.substances_deleted) == (1, 1)
    only = RestrictedSubstance.objects.get()
    assert (only.name, only.kind, only.scope) == ("甲", RestrictionKind.RESTRICTED, "仅蔬菜")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"published_on": "2024-13-01"}, "发布日期"),
        ({"source": ""}, "source"),
        ({"substances": [{"name": "甲", "kind": "maybe"}]}, "banned 或 restricted"),
        (
            {"substances": [{"name": "甲", "kind": "banned", "forbidden_categories": "fish"}]},
            "fish",
        ),
        (
            {"substances": [{"name": "甲", "kind": "banned"}, {"name": "甲", "kind": "banned"}]},
            "重复",
        ),
    ],
)
def test_bad_data_is_refused_and_nothing_is_written(change, message):
    entry = {
        "title": "测试名录",
        "source": "测试机关",
        "published_on": "2024-02-03",
        "substances": [{"name": "甲", "kind": "banned"}],
        **change,
    }
    with pytest.raises(ProductionError, match=message) as excinfo:
        restriction_lists_load(data={"lists": [entry]})
    assert excinfo.value.code == "invalid_restriction_data"
    assert not RestrictionList.objects.exists()


def test_the_command_reports_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="文件不存在"):
        call_command("load_restriction_lists", str(tmp_path / "none.json"))


# --- Names ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("２０％百草枯 水剂", "百草枯"),
        ("吡虫啉可湿性粉剂", "吡虫啉"),
        ("阿维菌素1.8%", "阿维菌素"),
        ("DDT", "ddt"),
        ("2,4-滴丁酯", "2,4-滴丁酯"),
    ],
)
def test_normalise_name(raw, expected):
    assert normalise_name(raw) == expected


def test_name_parts_split_mixtures_but_not_a_comma_between_digits():
    assert name_parts("吡虫啉＋毒死蜱") == ["吡虫啉", "毒死蜱", "吡虫啉+毒死蜱"]
    assert "2,4-滴丁酯" in name_parts("2,4-滴丁酯乳油")
    assert {"克百威", "呋喃丹"} <= set(name_parts("克百威（呋喃丹）"))


def test_matches_put_banned_before_restricted():
    load_lists()
    matches = input_matches(names=["甲拌磷"], category=ProductCategory.VEGETABLE)
    assert [m.substance.kind for m in matches] == ["banned", "restricted"]


def test_input_check_passes_a_lawful_input():
    load_lists()
    input_check(names=["吡虫啉", "高效氯氰菊酯"], category=ProductCategory.VEGETABLE)


def test_year_only_dates_show_the_year():
    load_lists()
    pesticides = RestrictionList.objects.get(title="禁限用农药名录")
    vet = RestrictionList.objects.get(source="农业农村部公告第250号")
    assert (list_date_text(pesticides), list_date_text(vet)) == ("2019年", "2019年12月27日")


# --- Page and API --------------------------------------------------------------------------------


def test_the_page_shows_the_lists_with_source_and_date_and_searches(lab_user):
    load_lists()
    response = client_as(lab_user).get(reverse("production:restriction-list"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "农业农村部公告第250号" in html
    assert "2019年12月27日" in html
    assert "百草枯" in html
    response = client_as(lab_user).get(reverse("production:restriction-list"), {"q": "毒死蜱"})
    html = response.content.decode()
    assert "禁止在蔬菜上使用" in html
    assert "百草枯" not in html.split('id="results"')[1]


def test_the_page_needs_a_login_and_says_when_nothing_is_loaded(county_admin):
    assert client_as().get(reverse("production:restriction-list")).status_code == 302
    response = client_as(county_admin).get(reverse("production:restriction-list"))
    assert "load_restriction_lists" in response.content.decode()


def test_a_bad_filter_on_the_page_is_ignored(county_admin):
    load_lists()
    response = client_as(county_admin).get(
        reverse("production:restriction-list"), {"restriction_list": "x", "kind": "nope"}
    )
    assert response.status_code == 200


def test_api_lists_and_substances(county_admin):
    load_lists()
    client = api_as(county_admin)
    lists = client.get("/api/v1/restriction-lists/").json()
    assert lists["count"] == 4
    vet = next(x for x in lists["results"] if x["source"] == "农业农村部公告第250号")
    assert (vet["published_on"], vet["date_text"], vet["banned_count"]) == (
        "2019-12-27",
        "2019年12月27日",
        34,
    )
    found = client.get("/api/v1/restricted-substances/", {"q": "毒死蜱"}).json()
    assert found["count"] == 1
    row = found["results"][0]
    assert (row["kind"], row["forbidden_categories"]) == ("restricted", ["vegetable"])
    assert row["restriction_list"]["title"] == "禁限用农药名录"
    banned = client.get("/api/v1/restricted-substances/", {"kind": "banned"}).json()
    assert banned["count"] == 88


def test_api_refuses_bad_filters_and_anonymous_callers(county_admin):
    response = api_as(county_admin).get("/api/v1/restricted-substances/", {"kind": "maybe"})
    assert (response.status_code, response.json()["code"]) == (400, "invalid")
    response = api_as().get("/api/v1/restriction-lists/")
    assert response.status_code == 401
