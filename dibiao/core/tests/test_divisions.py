from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from dibiao.core.errors import DomainError
from dibiao.core.models import Division
from dibiao.core.services import DEFAULT_DIVISIONS_FIXTURE, divisions_load

pytestmark = pytest.mark.django_db

HEADER = "code,name,level,parent_code\n"


def _load(text: str):
    return divisions_load(handle=io.StringIO(HEADER + text))


def test_shanxi_fixture_loads_1_province_11_cities_117_counties():
    call_command("load_divisions", stdout=io.StringIO())
    assert Division.objects.filter(level="province").count() == 1
    assert Division.objects.filter(level="city").count() == 11
    assert Division.objects.filter(level="county").count() == 117
    qingxu = Division.objects.select_related("parent").get(code="140121")
    assert qingxu.parent is not None
    assert (qingxu.name, qingxu.parent.code, qingxu.path) == (
        "清徐县",
        "140100",
        "140000/140100/140121",
    )


def test_loading_twice_changes_nothing():
    first = _load("140000,山西省,province,\n140100,太原市,city,140000\n")
    second = _load("140000,山西省,province,\n140100,太原市,city,140000\n")
    assert (first.created, second.created, second.updated) == (2, 0, 0)


def test_another_province_loads_beside_and_children_may_precede_parents():
    _load("620102,城关区,county,620100\n620100,兰州市,city,620000\n620000,甘肃省,province,\n")
    assert Division.objects.get(code="620102").path == "620000/620100/620102"


def test_renamed_division_is_updated():
    _load("140000,山西省,province,\n140100,太原市,city,140000\n")
    result = _load("140100,太原市（新）,city,140000\n")
    assert result.updated == 1
    assert Division.objects.get(code="140100").name == "太原市（新）"


@pytest.mark.parametrize(
    ("rows", "fragment"),
    [
        ("14000,山西省,province,\n", "6 位数字"),
        ("140000,,province,\n", "名称为空"),
        ("140000,山西省,state,\n", "级别"),
        ("140000,山西省,province,\n140000,山西省,province,\n", "重复"),
        ("140100,太原市,city,\n", "上级代码"),
        ("140100,太原市,city,149900\n", "不存在"),
        ("140000,山西省,province,\n140121,清徐县,county,140000\n", "应为市级"),
    ],
)
def test_bad_rows_are_refused_with_line_numbers_and_nothing_is_written(rows, fragment):
    with pytest.raises(DomainError) as exc:
        _load(rows)
    assert fragment in exc.value.message
    assert not Division.objects.exists()


def test_wrong_header_is_refused():
    with pytest.raises(DomainError) as exc:
        divisions_load(handle=io.StringIO("code,name\n140000,山西省\n"))
    assert "表头" in exc.value.message


def test_command_reports_a_missing_file_and_bad_content(tmp_path):
    with pytest.raises(CommandError):
        call_command("load_divisions", str(tmp_path / "missing.csv"))
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "1,x,city,\n", encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("load_divisions", str(bad))


def test_fixture_is_a_copy_inside_the_project():
    assert "dibiao/core/fixtures" in DEFAULT_DIVISIONS_FIXTURE.as_posix()


def test_moving_a_city_moves_its_counties_paths_and_the_import_is_audited():
    from dibiao.core.models import AuditLog

    _load(
        "140000,山西省,province,\n620000,甘肃省,province,\n140100,太原市,city,140000\n"
        "140121,清徐县,county,140100\n"
    )
    _load("140100,太原市,city,620000\n")
    assert Division.objects.get(code="140121").path == "620000/140100/140121"
    assert AuditLog.objects.filter(action="import", object_type="core.division").count() == 2
