"""The reports of issue 8, item 5: the 2021 annual summary from the demo (python-docx reads it and
finds the 12 products with their figures), the monthly dispatch table (openpyxl: one row per
product), clear errors for a quarter or month out of range, and the page in the user's scope."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.test import Client
from docx import Document
from docx.oxml.ns import qn
from docx.text.run import Run
from openpyxl import load_workbook

from dibiao.accounts.models import User
from dibiao.evaluation.errors import EvaluationError
from dibiao.evaluation.reports import (
    annual_summary_docx,
    dispatch_table_xlsx,
    quarterly_summary_docx,
    summary_figures,
)
from dibiao.evaluation.tests.test_demo import demo  # noqa: F401 (the module-scoped demo)
from dibiao.projects.models import Allocation, Program

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_program(demo: None, db: None) -> Program:  # noqa: F811
    return Program.objects.get(year=2021)


def _text(document) -> str:
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def _east_asia(run: Run) -> str | None:
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    return fonts.get(qn("w:eastAsia"))


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


def test_the_quarterly_summary_counts_up_to_the_quarters_end(demo_program):
    document = Document(io.BytesIO(quarterly_summary_docx(demo_program, quarter=3)))
    text = _text(document)
    assert "2021年第三季度" in text
    assert "数据截至2021年9月30日" in text
    assert len(document.tables[0].rows) == 13


def test_the_dispatch_table_has_one_row_per_product(demo_program):
    user = User.objects.get(username="province_admin")
    sheet = load_workbook(
        io.BytesIO(dispatch_table_xlsx(demo_program, month=9, user=user))
    ).worksheets[0]

    assert sheet.freeze_panes == "A2"
    assert sheet["A1"].value == "序号"
    assert sheet["A1"].font.bold
    products = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)][:-1]
    names = set(
        Allocation.objects.filter(program=demo_program).values_list("product__name", flat=True)
    )
    assert len(products) == 12
    assert set(products) == names
    assert sheet.cell(sheet.max_row, 1).value == "合计"


@pytest.mark.parametrize(
    ("build", "code"),
    [
        (lambda p: quarterly_summary_docx(p, quarter=5), "bad_quarter"),
        (lambda p: quarterly_summary_docx(p, quarter=0), "bad_quarter"),
        (lambda p: dispatch_table_xlsx(p, month=13, user=None), "bad_month"),
    ],
)
def test_a_quarter_or_month_out_of_range_is_a_clear_error(demo_program, build, code):
    with pytest.raises(EvaluationError) as caught:
        build(demo_program)
    assert caught.value.code == code


def _download(client: Client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200
    return response.getvalue()


def test_the_page_gives_each_user_its_scope(demo_program):
    allocation = Allocation.objects.filter(program=demo_program).select_related("division").first()
    assert allocation is not None
    own = set(
        Allocation.objects.filter(program=demo_program, division=allocation.division).values_list(
            "product__name", flat=True
        )
    )
    others = set(
        Allocation.objects.filter(program=demo_program)
        .exclude(division=allocation.division)
        .values_list("product__name", flat=True)
    )
    assert own
    assert others
    page = f"/evaluation/reports/?program={demo_program.pk}"
    client = Client()
    client.force_login(User.objects.get(username=f"county_{allocation.division.code}"))
    assert client.get(page).status_code == 200

    text = _text(Document(io.BytesIO(_download(client, f"{page}&kind=annual"))))
    assert all(name in text for name in own)
    assert not any(name in text for name in others)

    sheet = load_workbook(
        io.BytesIO(_download(client, f"{page}&kind=dispatch&month=12"))
    ).worksheets[0]
    rows = [r[1] for r in sheet.iter_rows(min_row=2, values_only=True)][:-1]
    assert set(rows) == own

    bad = client.get(f"{page}&kind=quarterly&quarter=5")
    assert bad.status_code == 400
    assert "季度须为1至4" in bad.content.decode()

    client.force_login(User.objects.get(username="province_admin"))
    text = _text(Document(io.BytesIO(_download(client, f"{page}&kind=quarterly&quarter=4"))))
    assert all(name in text for name in own | others)
