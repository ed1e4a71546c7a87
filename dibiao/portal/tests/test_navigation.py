from __future__ import annotations

import pytest

from dibiao.accounts.choices import Role
from dibiao.portal.navigation import _items
from dibiao.testing.factories import producer_user, user_with_role

pytestmark = pytest.mark.django_db


def _labels(user):
    return [label for label, _ in _items(user)]


def test_a_producer_sees_its_production_pages_and_not_the_project(tree):
    user, _ = producer_user(tree["c1a"])
    labels = _labels(user)
    for label in (
        "主体名录",
        "生产基地",
        "生产日志",
        "标志授权",
        "培训",
        "检测报告",
        "批次",
        "标签码",
        "合格证",
    ):
        assert label in labels
    assert "保护工程" not in labels


def test_a_lab_sees_test_reports_only_of_the_production_pages(tree, lab_user):
    labels = _labels(lab_user)
    assert "检测报告" in labels
    assert "主体名录" not in labels
    assert "生产日志" not in labels


def test_an_expert_sees_no_producer_data(tree):
    labels = _labels(user_with_role(Role.EXPERT, tree["p"]))
    assert "我的评审" in labels
    assert not {"主体名录", "生产日志", "检测报告"} & set(labels)


def test_every_production_link_opens_for_a_county_admin(client, county_admin):
    client.force_login(county_admin)
    for label, url in _items(county_admin):
        if label in {
            "主体名录",
            "生产基地",
            "生产日志",
            "标志授权",
            "培训",
            "检测报告",
            "批次",
            "追溯事件",
            "标签码",
            "合格证",
            "数据导出",
            "防伪预警",
        }:
            assert client.get(url).status_code == 200, label


def test_a_county_bureaus_links_are_grouped_and_the_current_group_is_marked(county_admin):
    from dibiao.portal.navigation import nav_entries

    entries = nav_entries(_items(county_admin), "/production/logs/", "/")
    labels = [entry["label"] for entry in entries]
    assert labels[:2] == ["首页", "地标产品"]
    assert {"保护工程", "生产主体", "生产档案"} <= set(labels)
    archive = next(entry for entry in entries if entry["label"] == "生产档案")
    assert [child["label"] for child in archive["children"]] == ["生产日志", "培训", "检测报告"]
    assert archive["active"] is True
    assert not next(entry for entry in entries if entry["label"] == "生产主体")["active"]


def test_a_group_of_one_is_a_plain_link(lab_user):
    from dibiao.portal.navigation import nav_entries

    entries = nav_entries(_items(lab_user), "/", "/")
    report = next(entry for entry in entries if entry["label"] == "检测报告")
    assert "children" not in report


def test_the_bar_renders_groups_as_menus(client, county_admin):
    client.force_login(county_admin)
    html = client.get("/production/logs/").content.decode()
    assert '<details class="navgroup active"><summary>生产档案</summary>' in html
