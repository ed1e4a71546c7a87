"""Excel imports: the directory and the household list through one engine. Row-by-row reports,
all-or-nothing unless "only valid rows", duplicates within the file and against the database,
sealed personal data, audit, a 10,000-row file in a constant number of queries."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from dibiao.core import pii
from dibiao.core.choices import AuditAction
from dibiao.core.models import AuditLog
from dibiao.core.uploads import UploadError
from dibiao.producers.errors import ProducersError
from dibiao.producers.imports import DirectoryImport, HouseholdImport, template_bytes
from dibiao.producers.models import Household, Producer
from dibiao.producers.services.directory import producer_import
from dibiao.producers.services.farmers import household_import
from dibiao.producers.tests.directory_fixtures import (
    DIRECTORY_HEADERS,
    HOUSEHOLD_HEADERS,
    api_as,
    assert_no_personal_data,
    client_as,
    directory_row,
    household_row,
    xlsx_upload,
)
from dibiao.testing.factories import (
    VALID_CREDIT_CODE,
    ProductFactory,
    credit_code,
    id_number,
    producer,
    producer_user,
)

pytestmark = pytest.mark.django_db
BAD_ROWS = {10: "credit_code", 50: "phone", 90: "division"}  # 0-based positions in the data


def _hundred_rows_with_three_bad() -> list[list]:
    rows = [directory_row(n) for n in range(100)]
    rows[10] = directory_row(10, credit_code=VALID_CREDIT_CODE[:-1] + "0")
    rows[50] = directory_row(50, phone="12345")
    rows[90] = directory_row(90, division="不存在县")
    return rows


def _import(actor, rows, *, only_valid=False, headers=DIRECTORY_HEADERS):
    return producer_import(actor=actor, upload=xlsx_upload(headers, rows), only_valid=only_valid)


# --- Directory import: the acceptance cases --------------------------------------------------


def test_three_bad_rows_of_a_hundred_are_reported_and_nothing_is_imported(tree, county_admin):
    report = _import(county_admin, _hundred_rows_with_three_bad())
    # Row numbers as in Excel: the header is row 1, so data position n is row n + 2.
    assert report.invalid_rows == [12, 52, 92]
    assert [(e.row, e.column) for e in report.errors] == [
        (12, "统一社会信用代码"),
        (52, "联系电话"),
        (92, "所在县"),
    ]
    assert "校验位不正确" in report.errors[0].message
    assert (report.total, report.imported, report.committed) == (100, 0, False)
    assert not Producer.objects.exists()


def test_only_valid_rows_imports_the_other_97(tree, county_admin):
    report = _import(county_admin, _hundred_rows_with_three_bad(), only_valid=True)
    assert (report.total, report.imported, report.invalid, report.committed) == (100, 97, 3, True)
    assert Producer.objects.count() == 97
    assert report.invalid_rows == [12, 52, 92]


def test_imported_entries_are_sealed_and_linked(tree, county_admin):
    product = ProductFactory.create(name="清徐葡萄", divisions=[tree["c1a"]])
    rows = [
        directory_row(1, products="清徐葡萄", is_certificate_holder="是"),
        directory_row(2, kind="种养大户", phone=13700000002),  # Excel keeps a number
    ]
    report = _import(county_admin, rows)
    assert report.imported == 2
    coop = Producer.objects.get(name="导入合作社1")
    assert list(coop.products.all()) == [product]
    assert coop.is_certificate_holder is True
    assert coop.is_scale_operator is True
    assert coop.phone_masked == "139****0001"
    big = Producer.objects.get(name="导入合作社2")
    assert big.kind == "large_household"
    assert pii.unseal(big.id_number_sealed) == id_number(2)
    assert pii.unseal(big.phone_sealed) == "13700000002"
    assert big.credit_code == ""


def test_counties_by_name_or_code_within_the_scope(tree, county_admin):
    rows = [
        directory_row(1, county=tree["c1a"].name),
        directory_row(2, county=tree["c1b"].code),
    ]
    report = _import(county_admin, rows)
    assert [(e.row, e.column) for e in report.errors] == [(3, "所在县")]
    assert "不在您可登记的范围内" in report.errors[0].message


def test_every_problem_of_a_row_is_reported(tree, county_admin):
    row = directory_row(1, kind="公司", phone="abc", is_scale_operator="也许", products="无此产品")
    report = _import(county_admin, [row])
    assert {e.column for e in report.errors} == {
        "主体类型",
        "联系电话",
        "规模生产经营主体",
        "地理标志产品",
    }


def test_missing_identifier_and_required_cells(tree, county_admin):
    rows = [
        directory_row(1, credit_code=""),
        directory_row(2, kind="个体农户", id_number=""),
        directory_row(3, name=""),
    ]
    report = _import(county_admin, rows)
    assert [(e.row, e.column) for e in report.errors] == [
        (2, "统一社会信用代码"),
        (3, "身份证号码"),
        (4, "主体名称"),
    ]


def test_duplicates_within_the_file_and_against_the_database(tree, county_admin):
    producer(tree["c1a"], credit_code_value=credit_code(100_001))
    rows = [
        directory_row(1),  # credit_code(100_001): already registered
        directory_row(2),
        directory_row(3, credit_code=credit_code(100_002)),  # the same as row 3 of the sheet
    ]
    report = _import(county_admin, rows)
    assert [(e.row, e.message) for e in report.errors] == [
        (2, "该统一社会信用代码已登记在另一个主体名下。"),
        (4, "与第 3 行重复。"),
    ]


def test_blank_rows_are_skipped(tree, county_admin):
    report = _import(
        county_admin, [directory_row(1), [""] * len(DIRECTORY_HEADERS), directory_row(2)]
    )
    assert (report.total, report.imported) == (2, 2)


def test_a_missing_required_column_refuses_the_file(tree, county_admin):
    headers = [h for h in DIRECTORY_HEADERS if h != "所在县"]
    with pytest.raises(ProducersError) as info:
        _import(county_admin, [directory_row(1)[:-4] + directory_row(1)[-3:]], headers=headers)
    assert info.value.code == "missing_columns"
    assert "所在县" in info.value.message


def test_a_file_that_is_not_xlsx_is_refused(tree, county_admin):
    upload = SimpleUploadedFile("名单.xlsx", "主体名称,主体类型\n".encode())
    with pytest.raises(UploadError) as info:
        producer_import(actor=county_admin, upload=upload)
    assert info.value.code == "file_type_not_allowed"


SHEET = "xl/worksheets/sheet1.xml"
SHEET_XML = (
    '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
    '2006/main"><sheetData><row r="1">{cell}</row></sheetData></worksheet>'
)


def _damaged(part: str, content: str) -> SimpleUploadedFile:
    """A real workbook (so the upload check lets it through) with one part replaced."""
    good = xlsx_upload(DIRECTORY_HEADERS, [directory_row(1)]).read()
    source, out = zipfile.ZipFile(io.BytesIO(good)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = content.encode() if item.filename == part else source.read(item.filename)
            target.writestr(item, data)
    return SimpleUploadedFile("名单.xlsx", out.getvalue())


DAMAGED = {
    "sheet is not XML": (SHEET, "<notxml"),
    "styles are not XML": ("xl/styles.xml", "<notxml"),
    "missing shared string": (SHEET, SHEET_XML.format(cell='<c r="A1" t="s"><v>99</v></c>')),
    "number cell holding text": (SHEET, SHEET_XML.format(cell='<c r="A1" t="n"><v>x</v></c>')),
    "date cell holding text": (SHEET, SHEET_XML.format(cell='<c r="A1" t="d"><v>x</v></c>')),
}


@pytest.mark.parametrize("damage", DAMAGED.values(), ids=DAMAGED.keys())
def test_a_damaged_workbook_is_unreadable_not_a_500(tree, county_admin, damage):
    with pytest.raises(ProducersError) as info:
        producer_import(actor=county_admin, upload=_damaged(*damage))
    assert info.value.code == "unreadable_file"
    response = api_as(county_admin).post(
        "/api/v1/producers/import/", {"file": _damaged(*damage)}, format="multipart"
    )
    assert (response.status_code, response.json()["code"]) == (400, "unreadable_file")
    page = client_as(county_admin).post(
        reverse("producers:producer-import"), {"file": _damaged(*damage)}
    )
    assert "无法读取该 Excel 文件" in page.context["form"].errors["file"][0]
    assert not Producer.objects.exists()


def test_an_import_writes_one_audit_row_with_counts(tree, county_admin):
    _import(county_admin, _hundred_rows_with_three_bad(), only_valid=True)
    log = AuditLog.objects.get(action=AuditAction.IMPORT)
    assert log.changes == {"total": 100, "imported": 97, "invalid": 3}
    assert not AuditLog.objects.filter(action=AuditAction.CREATE).exists()


def test_ten_thousand_rows_take_a_constant_number_of_queries(tree, province_admin):
    rows = [directory_row(n, county=tree["c1a" if n % 2 else "c2b"].code) for n in range(10_000)]
    upload = xlsx_upload(DIRECTORY_HEADERS, rows)
    with CaptureQueriesContext(connection) as queries:
        report = producer_import(actor=province_admin, upload=upload)
    assert (report.total, report.imported) == (10_000, 10_000)
    assert Producer.objects.count() == 10_000
    # Lookups, duplicate checks per 500 codes, inserts per batch: never one per row. (SQLite
    # caps an INSERT at 999 parameters, about 45 rows; PostgreSQL takes 500 rows each.)
    assert len(queries) < 10_000 / 40


def test_template_has_the_header_and_one_example(tree):
    workbook = load_workbook(io.BytesIO(template_bytes(DirectoryImport)), read_only=True)
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert rows[0][0] == "主体名称*"
    assert "统一社会信用代码" in rows[0]
    assert len(rows) == 2


# --- Directory import: page and API ----------------------------------------------------------


def test_import_page_reports_the_bad_rows(tree, county_admin):
    upload = xlsx_upload(DIRECTORY_HEADERS, _hundred_rows_with_three_bad())
    response = client_as(county_admin).post(reverse("producers:producer-import"), {"file": upload})
    html = response.content.decode()
    assert response.status_code == 200
    for row in (12, 52, 92):
        assert f"第 {row} 行" in html
    assert "未导入任何数据" in html
    assert not Producer.objects.exists()


def test_import_page_with_only_valid_rows(tree, county_admin):
    upload = xlsx_upload(DIRECTORY_HEADERS, _hundred_rows_with_three_bad())
    response = client_as(county_admin).post(
        reverse("producers:producer-import"), {"file": upload, "only_valid": "on"}
    )
    assert "已导入 97 行" in response.content.decode()


def test_import_page_shows_a_file_error_at_the_field(tree, county_admin):
    upload = SimpleUploadedFile("a.xlsx", b"<html><script>x</script></html>")
    response = client_as(county_admin).post(reverse("producers:producer-import"), {"file": upload})
    assert "HTML" in response.context["form"].errors["file"][0]


def test_import_pages_are_forbidden_to_a_producer(tree):
    user, _ = producer_user(tree["c1a"])
    client = client_as(user)
    assert client.get(reverse("producers:producer-import")).status_code == 403
    assert client.get(reverse("producers:producer-import-template")).status_code == 403


def test_template_download(tree, county_admin):
    response = client_as(county_admin).get(reverse("producers:producer-import-template"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert load_workbook(io.BytesIO(response.content)).worksheets[0]["A1"].value == "主体名称*"


def test_api_import_is_400_with_the_report(tree, county_admin):
    upload = xlsx_upload(DIRECTORY_HEADERS, _hundred_rows_with_three_bad())
    response = api_as(county_admin).post(
        "/api/v1/producers/import/", {"file": upload}, format="multipart"
    )
    body = response.json()
    assert response.status_code == 400
    assert body["code"] == "import_rows_invalid"
    assert [e["row"] for e in body["report"]["errors"]] == [12, 52, 92]
    assert body["report"]["committed"] is False


def test_api_import_only_valid(tree, county_admin):
    upload = xlsx_upload(DIRECTORY_HEADERS, _hundred_rows_with_three_bad())
    response = api_as(county_admin).post(
        "/api/v1/producers/import/", {"file": upload, "only_valid": "true"}, format="multipart"
    )
    assert response.status_code == 200
    assert (response.json()["imported"], response.json()["invalid"]) == (97, 3)


def test_api_import_forbidden_to_city_admin(tree, city_admin):
    upload = xlsx_upload(DIRECTORY_HEADERS, [directory_row(1)])
    response = api_as(city_admin).post(
        "/api/v1/producers/import/", {"file": upload}, format="multipart"
    )
    assert response.status_code == 403


# --- Household list --------------------------------------------------------------------------


@pytest.fixture
def entry(tree):
    return producer(tree["c1a"], name="带动合作社")


def _households(actor, entry, rows, *, year=2024, only_valid=False):
    return household_import(
        actor=actor,
        producer=entry,
        year=year,
        upload=xlsx_upload(HOUSEHOLD_HEADERS, rows),
        only_valid=only_valid,
    )


def test_household_import_seals_names_and_id_numbers(tree, county_admin, entry):
    report = _households(county_admin, entry, [household_row(n) for n in range(5)])
    assert report.imported == 5
    first = Household.objects.get(id_number_digest=pii.digest(id_number(0)))
    assert first.name_masked == "王*明"
    assert pii.unseal(first.name_sealed) == "王0明"
    assert first.id_number_masked == id_number(0)[:6] + "********" + id_number(0)[-4:]
    assert first.members == 4
    log = AuditLog.objects.get(action=AuditAction.IMPORT)
    assert log.changes == {"year": 2024, "total": 5, "imported": 5, "invalid": 0}


def test_household_import_reports_rows_and_imports_nothing(tree, county_admin, entry):
    _households(county_admin, entry, [household_row(1)])
    rows = [
        household_row(1),  # already in the 2024 list
        household_row(2, members=0),
        household_row(3, id_number=id_number(3)[:-1] + "0"),
        household_row(4, income="-1"),
        household_row(5),
        household_row(6, id_number=id_number(5)),  # the same as the row above
    ]
    report = _households(county_admin, entry, rows)
    assert [(e.row, e.column) for e in report.errors] == [
        (2, "身份证号码"),
        (3, "家庭人口"),
        (4, "身份证号码"),
        (5, "家庭年收入"),
        (7, "身份证号码"),
    ]
    assert Household.objects.count() == 1
    report = _households(county_admin, entry, rows, only_valid=True)
    assert report.imported == 1
    assert Household.objects.count() == 2


def test_the_same_household_may_be_listed_in_another_year(tree, county_admin, entry):
    _households(county_admin, entry, [household_row(1)], year=2023)
    assert _households(county_admin, entry, [household_row(1)], year=2024).imported == 1


def test_household_import_refuses_a_future_year(tree, county_admin, entry):
    with pytest.raises(ProducersError) as info:
        _households(county_admin, entry, [household_row(1)], year=2100)
    assert info.value.code == "invalid_year"


def test_producer_imports_its_own_households_but_not_anothers(tree):
    user, own = producer_user(tree["c1a"])
    other = producer(tree["c1a"])
    assert _households(user, own, [household_row(1)]).imported == 1
    with pytest.raises(Exception) as info:  # noqa: PT011 (NotFoundError is a DomainError)
        _households(user, other, [household_row(2)])
    assert getattr(info.value, "status", None) == 404


def test_household_template_has_the_columns(tree):
    workbook = load_workbook(io.BytesIO(template_bytes(HouseholdImport)), read_only=True)
    header = next(workbook.worksheets[0].iter_rows(values_only=True))
    assert header == ("户主姓名*", "身份证号码*", "所在村", "家庭人口*", "家庭年收入")


def test_household_pages_are_masked(tree, county_admin, entry):
    _households(county_admin, entry, [household_row(n) for n in range(3)])
    client = client_as(county_admin)
    html = client.get(reverse("producers:household-list", args=[entry.pk, 2024])).content.decode()
    assert "王*明" in html
    assert_no_personal_data(html, "王1明", id_number(1))
    found = client.get(
        reverse("producers:household-list", args=[entry.pk, 2024]), {"q": id_number(2)}
    )
    assert len(found.context["object_list"]) == 1


def test_household_import_page_reports_rows(tree, county_admin, entry):
    upload = xlsx_upload(HOUSEHOLD_HEADERS, [household_row(1), household_row(2, members="多")])
    response = client_as(county_admin).post(
        reverse("producers:household-import", args=[entry.pk]), {"year": 2024, "file": upload}
    )
    html = response.content.decode()
    assert "第 3 行" in html
    assert "未导入任何数据" in html


def test_household_api_list_is_masked_and_import_reports(tree, county_admin, entry):
    client = api_as(county_admin)
    upload = xlsx_upload(HOUSEHOLD_HEADERS, [household_row(1), household_row(2, members="x")])
    url = f"/api/v1/producers/{entry.pk}/households/"
    failed = client.post(f"{url}import/", {"year": 2024, "file": upload}, format="multipart")
    assert failed.status_code == 400
    assert [e["row"] for e in failed.json()["report"]["errors"]] == [3]
    upload = xlsx_upload(HOUSEHOLD_HEADERS, [household_row(1)])
    assert (
        client.post(f"{url}import/", {"year": 2024, "file": upload}, format="multipart").status_code
        == 200
    )
    listed = client.get(url, {"year": 2024})
    assert listed.json()["results"][0]["name"] == "王*明"
    assert_no_personal_data(listed.content.decode(), "王1明", id_number(1))


@pytest.mark.parametrize(
    "url",
    [
        "producers:household-list",
        "producers:household-import",
    ],
)
def test_household_pages_are_404_for_another_county(tree, other_county_admin, entry, url):
    args = [entry.pk, 2024] if url.endswith("list") else [entry.pk]
    assert client_as(other_county_admin).get(reverse(url, args=args)).status_code == 404


def test_household_api_is_404_for_another_county(tree, other_county_admin, entry):
    client = api_as(other_county_admin)
    url = f"/api/v1/producers/{entry.pk}/households/"
    assert client.get(url).status_code == 404
    upload = xlsx_upload(HOUSEHOLD_HEADERS, [household_row(1)])
    response = client.post(f"{url}import/", {"year": 2024, "file": upload}, format="multipart")
    assert response.status_code == 404
    assert not Household.objects.exists()
