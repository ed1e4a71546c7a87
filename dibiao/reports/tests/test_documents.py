"""The reports of issue 8, item 5, on the demo: the 2021 annual summary (python-docx reads it and
finds the 12 products with their figures), the quarterly summary, the monthly dispatch table in
Word (landscape) and Excel, the summaries in Excel, clear errors for a quarter or month out of
range, and report jobs made in each user's scope (a county's file holds its own products only)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.test import Client
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.oxml.ns import qn
from docx.text.run import Run
from openpyxl import load_workbook

from dibiao.accounts.models import User
from dibiao.core.choices import JobStatus
from dibiao.evaluation.indicators import CATALOGUE
from dibiao.evaluation.tests.test_demo import demo  # noqa: F401 (the module-scoped demo)
from dibiao.projects.models import Allocation, Program
from dibiao.reports.builders import report_build
from dibiao.reports.documents import (
    annual_summary_docx,
    annual_summary_xlsx,
    dispatch_table_docx,
    dispatch_table_xlsx,
    quarterly_summary_docx,
    quarterly_summary_xlsx,
    summary_figures,
)
from dibiao.reports.errors import ReportError
from dibiao.reports.models import ReportJob

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def demo_program(demo: None, db: None) -> Program:  # noqa: F811
    return Program.objects.get(year=2021)


@pytest.fixture
def names(demo_program: Program) -> set[str]:
    return set(
        Allocation.objects.filter(program=demo_program).values_list("product__name", flat=True)
    )


def _text(document) -> str:
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def _east_asia(run: Run) -> str | None:
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    return fonts.get(qn("w:eastAsia"))


def _rows(data: bytes) -> list[tuple]:
    return list(load_workbook(io.BytesIO(data)).worksheets[0].iter_rows(values_only=True))


def test_the_2021_annual_summary_holds_the_twelve_products_and_their_figures(demo_program):
    data = annual_summary_docx(demo_program)
    document = Document(io.BytesIO(data))
    text = _text(document)
    summary = summary_figures(demo_program, until=dt.date(2021, 12, 31), period="")

    assert len(summary.products) == 12
    figures = document.tables[0]
    assert len(figures.rows) == 13  # the header and one row per product
    rows = {row.cells[1].text: [c.text for c in row.cells] for row in figures.rows[1:]}
    for product in summary.products:
        name = product.allocation.product.name
        assert name in text
        row = rows[name]
        assert row[3] == f"{product.allocation.amount / 10000:,.2f}"
        assert row[4] == f"{product.spent / 10000:,.2f}"
        assert row[5] == f"{product.rate}"
        assert row[6] == product.figure("core_base")
        assert row[8] == product.figure("training")
        assert row[8] != "—"
    # Numbered headings and the East Asian fonts of the official layout.
    assert "一、基本情况" in text
    assert "三、绩效指标完成情况" in text
    title = _east_asia(document.paragraphs[0].runs[0])
    assert title == "方正小标宋简体"
    body = _east_asia(document.paragraphs[3].runs[0])
    assert body == "仿宋_GB2312"


def test_the_annual_summary_in_excel_has_a_row_per_product_and_the_totals(demo_program):
    rows = _rows(annual_summary_xlsx(demo_program))
    summary = summary_figures(demo_program, until=dt.date(2021, 12, 31), period="")

    header, products, totals = rows[0], rows[1:-1], rows[-1]
    assert header[:4] == ("序号", "产品", "实施地区", "补助资金（元）")
    assert "达标指标（项）" in header
    assert len(products) == 12
    by_name = {row[1]: dict(zip(header, row, strict=True)) for row in products}
    for product in summary.products:
        row = by_name[product.allocation.product.name]
        assert row["补助资金（元）"] == float(product.allocation.amount)
        assert row["累计支出（元）"] == float(product.spent)
        assert row["培训（人次）"] == float(product.indicators.get("training").value or -1)
        assert row["达标指标（项）"] == product.indicators.met
        assert row["计算指标（项）"] == len(CATALOGUE)
    assert totals[0] == "合计"
    assert totals[3] == float(summary.total_amount)


def test_the_quarterly_summary_counts_up_to_the_quarters_end(demo_program):
    document = Document(io.BytesIO(quarterly_summary_docx(demo_program, quarter=3)))
    text = _text(document)
    assert "2021年第三季度" in text
    assert "数据截至2021年9月30日" in text
    assert len(document.tables[0].rows) == 13
    rows = _rows(quarterly_summary_xlsx(demo_program, quarter=3))
    assert len(rows) == 14  # the header, 12 products, the totals
    sheet = load_workbook(io.BytesIO(quarterly_summary_xlsx(demo_program, quarter=3))).worksheets[0]
    assert sheet.title == "2021年第三季度工作小结"


def test_the_dispatch_table_has_one_row_per_product_in_excel_and_in_word(demo_program, names):
    rows = _rows(dispatch_table_xlsx(demo_program, month=9))
    assert rows[0][:3] == ("序号", "产品", "实施地区")
    assert {row[1] for row in rows[1:-1]} == names
    assert len(rows) == 14
    assert rows[-1][0] == "合计"
    # The demo's September reports came in by the dispatch day.
    assert {row[3] for row in rows[1:-1]} == {"按时报送"}

    document = Document(io.BytesIO(dispatch_table_docx(demo_program, month=9)))
    section = document.sections[0]
    assert section.orientation == WD_ORIENT.LANDSCAPE
    assert (section.page_width or 0) > (section.page_height or 0)
    (table,) = document.tables
    assert len(table.rows) == 14
    assert {row.cells[1].text for row in table.rows[1:-1]} == names
    assert table.rows[-1].cells[0].text == "合计"
    assert "2021年9月进展调度表" in document.paragraphs[0].text


def test_the_july_table_shows_the_demos_late_report(demo_program):
    rows = _rows(dispatch_table_xlsx(demo_program, month=7))
    states = {row[1]: row[3] for row in rows[1:-1]}
    assert states["偏关羊肉"] == "迟报"
    assert sum(1 for state in states.values() if state == "按时报送") == 11


@pytest.mark.parametrize(
    ("build", "code"),
    [
        (lambda p: quarterly_summary_docx(p, quarter=5), "bad_quarter"),
        (lambda p: quarterly_summary_xlsx(p, quarter=0), "bad_quarter"),
        (lambda p: dispatch_table_xlsx(p, month=13), "bad_month"),
        (lambda p: dispatch_table_docx(p, month=0), "bad_month"),
    ],
)
def test_a_quarter_or_month_out_of_range_is_a_clear_error(demo_program, build, code):
    with pytest.raises(ReportError) as caught:
        build(demo_program)
    assert caught.value.code == code


def test_each_builder_reports_its_progress_up_to_its_total(demo_program):
    calls: list[tuple[int, int]] = []

    def record(done: int, total: int) -> None:
        calls.append((done, total))

    report_build(demo_program, kind="annual", period=None, format="docx", progress=record)
    total = len(CATALOGUE) + 1 + 12 + 1  # the indicators, the funds, each product, the file
    assert calls == [(n, total) for n in range(1, total + 1)]

    calls.clear()
    report_build(demo_program, kind="monthly", period=3, format="xlsx", progress=record)
    assert calls == [(1, 2), (2, 2)]  # the table read, the file written


def _download(client: Client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200
    return response.getvalue()


def test_a_county_job_holds_its_own_products_and_the_province_job_all_twelve(
    demo_program, names, settings
):
    settings.TASKS = IMMEDIATE
    allocation = Allocation.objects.filter(program=demo_program).select_related("division").first()
    assert allocation is not None
    own = set(
        Allocation.objects.filter(program=demo_program, division=allocation.division).values_list(
            "product__name", flat=True
        )
    )
    assert own
    assert names - own
    client = Client()
    client.force_login(User.objects.get(username=f"county_{allocation.division.code}"))
    response = client.post(
        "/reports/jobs/new/",
        {"program": demo_program.pk, "kind": "annual", "format": "docx"},
    )
    job = ReportJob.objects.latest("id")
    assert response.status_code == 302
    assert response["Location"] == f"/reports/jobs/{job.pk}/"
    assert job.status == JobStatus.DONE
    assert job.division == allocation.division
    text = _text(Document(io.BytesIO(_download(client, f"/reports/jobs/{job.pk}/download/"))))
    assert all(name in text for name in own)
    assert not any(name in text for name in names - own)

    client.post(
        "/reports/jobs/new/",
        {"program": demo_program.pk, "kind": "monthly", "month": "12", "format": "xlsx"},
    )
    job = ReportJob.objects.latest("id")
    rows = _rows(_download(client, f"/reports/jobs/{job.pk}/download/"))
    assert {row[1] for row in rows[1:-1]} == own

    client.force_login(User.objects.get(username="province_admin"))
    created = client.post(
        "/api/v1/report-jobs/",
        {"program": demo_program.pk, "kind": "annual", "format": "docx"},
        content_type="application/json",
    )
    assert created.status_code == 201
    assert created.json()["whole_program"] is True
    assert created.json()["status"] == JobStatus.DONE
    data = _download(client, created.json()["download_url"])
    document = Document(io.BytesIO(data))
    assert len(document.tables[0].rows) == 13
    assert all(name in _text(document) for name in names)
