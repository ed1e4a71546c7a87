"""The program's reports (issue 8, item 5): the annual and quarterly summaries as Word documents in
the official layout and the province-wide monthly dispatch table as an Excel workbook, generated
from the records (the indicators of `dibiao.evaluation.indicators`, the fund ledger, the dispatch
reports).

Word: A4, the title in 方正小标宋简体, first-level headings numbered 一、二、… in 黑体, the body in
仿宋_GB2312 at 三号 (16 pt), tables in 仿宋 五号; the Chinese font is each run's `w:eastAsia`
(the run helpers of `dibiao.dispatch.exports`). Not scoped: the caller chooses the allocations
(`division` or `allocations`, from its scoped selectors).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone
from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

from dibiao.accounts.scoping import subtree_filter
from dibiao.core.excel import neutralise
from dibiao.core.models import Division
from dibiao.dispatch.exports import LATIN_FONT, _paragraph
from dibiao.dispatch.selectors.reports import execution_rate, spent_until
from dibiao.dispatch.selectors.table import division_label, monthly_table
from dibiao.evaluation.choices import IndicatorStatus
from dibiao.evaluation.errors import EvaluationError
from dibiao.evaluation.indicators import ProductIndicators, indicators_compute
from dibiao.projects.models import Allocation, Program

TITLE_FONT = "方正小标宋简体"
HEADING_FONT = "黑体"
BODY_FONT = "仿宋_GB2312"
TABLE_FONT = "仿宋"
TITLE_SIZE = 22  # 二号
BODY_SIZE = 16  # 三号
TABLE_SIZE = 9  # 小五: eleven columns on a portrait page

NUMERALS = "一二三四五六七八九十"

# The key figures of each product: (indicator code, column heading).
KEY_FIGURES: tuple[tuple[str, str], ...] = (
    ("core_base", "核心基地（个）"),
    ("farmers_driven", "带动农户（户）"),
    ("training", "培训（人次）"),
    ("certificates", "合格证（张）"),
    ("label_use_producers", "用标率（%）"),
)

DISPATCH_HEADERS = (
    "序号",
    "产品",
    "实施县",
    "补助资金（元）",
    "累计支出（元）",
    "执行率（%）",
    "月报报送情况",
    "主要进展",
)
DISPATCH_WIDTHS = (6, 16, 20, 16, 16, 11, 14, 70)


# --- Figures ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProductFigures:
    allocation: Allocation
    spent: Decimal
    indicators: ProductIndicators

    @property
    def rate(self) -> Decimal:
        return execution_rate(self.spent, self.allocation.amount)

    def figure(self, code: str) -> str:
        value = self.indicators.get(code).value
        return "—" if value is None else f"{value.normalize():f}"

    @property
    def not_met(self) -> list[str]:
        return [
            v.indicator.name for v in self.indicators.values if v.status == IndicatorStatus.NOT_MET
        ]


@dataclass(frozen=True)
class Summary:
    program: Program
    region: str
    period: str  # 2021年度, 2021年第3季度
    as_of: dt.date
    products: list[ProductFigures]

    @property
    def total_amount(self) -> Decimal:
        return sum((p.allocation.amount for p in self.products), Decimal(0))

    @property
    def total_spent(self) -> Decimal:
        return sum((p.spent for p in self.products), Decimal(0))

    @property
    def total_rate(self) -> Decimal:
        return execution_rate(self.total_spent, self.total_amount)


def _chosen(
    program: Program, division: Division | None, allocations: Sequence[Allocation] | None
) -> list[Allocation] | None:
    """The allocations to report on, None for the whole program."""
    if division is None and allocations is None:
        return None
    rows = Allocation.objects.filter(program=program)
    if division is not None:
        rows = rows.filter(division__in=Division.objects.filter(subtree_filter([division.pk])))
    if allocations is not None:
        rows = rows.filter(pk__in=[a.pk for a in allocations])
    return list(rows)


def summary_figures(
    program: Program,
    *,
    until: dt.date,
    period: str,
    division: Division | None = None,
    allocations: Sequence[Allocation] | None = None,
) -> Summary:
    """Every chosen product's funds (approved spending up to `until`) and indicators as of
    `until` (or today, if earlier)."""
    as_of = min(until, timezone.localdate())
    chosen = _chosen(program, division, allocations)
    rows = (
        [] if chosen == [] else indicators_compute(program=program, allocations=chosen, as_of=as_of)
    )
    spent = spent_until(allocation_ids=[r.allocation.pk for r in rows], until=as_of)
    region = division.name if division is not None else program.province.name
    return Summary(
        program=program,
        region=region,
        period=period,
        as_of=as_of,
        products=[ProductFigures(r.allocation, spent[r.allocation.pk], r) for r in rows],
    )


# --- Word ------------------------------------------------------------------------------------


def _wan(value: Decimal) -> str:
    return f"{value / 10000:,.2f}"


def _document() -> DocumentObject:
    document = Document()
    normal = document.styles["Normal"]
    normal.font.name = LATIN_FONT
    normal.font.size = Pt(BODY_SIZE)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    return document


def _body(document: DocumentObject, text: str) -> None:
    paragraph = _paragraph(document.add_paragraph(), text, BODY_FONT, BODY_SIZE)
    paragraph.paragraph_format.first_line_indent = Pt(BODY_SIZE * 2)


def _heading(document: DocumentObject, number: int, text: str) -> None:
    paragraph = _paragraph(
        document.add_paragraph(), f"{NUMERALS[number - 1]}、{text}", HEADING_FONT, BODY_SIZE
    )
    paragraph.paragraph_format.first_line_indent = Pt(BODY_SIZE * 2)


def _table(document: DocumentObject, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    grid = document.add_table(rows=1, cols=len(headers))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    for column, heading in enumerate(headers):
        _paragraph(
            grid.cell(0, column).paragraphs[0],
            heading,
            HEADING_FONT,
            TABLE_SIZE,
            align=WD_ALIGN_PARAGRAPH.CENTER,
        )
    for values in rows:
        cells = grid.add_row().cells
        for column, value in enumerate(values):
            _paragraph(cells[column].paragraphs[0], value, TABLE_FONT, TABLE_SIZE)


def _summary_docx(summary: Summary, *, kind: str) -> bytes:
    document = _document()
    program = summary.program
    _paragraph(
        document.add_paragraph(),
        f"{summary.region}{program.name}\n{summary.period}{kind}",
        TITLE_FONT,
        TITLE_SIZE,
        align=WD_ALIGN_PARAGRAPH.CENTER,
    )
    _paragraph(
        document.add_paragraph(),
        f"（数据截至{summary.as_of.year}年{summary.as_of.month}月{summary.as_of.day}日）",
        BODY_FONT,
        BODY_SIZE,
        align=WD_ALIGN_PARAGRAPH.CENTER,
    )
    products = summary.products
    met = sum(p.indicators.met for p in products)
    measured = sum(len(p.indicators.values) for p in products)

    _heading(document, 1, "基本情况")
    _body(
        document,
        f"{program.name}共安排{len(products)}个地理标志农产品保护项目，"
        f"补助资金{_wan(summary.total_amount)}万元。截至{summary.as_of:%Y年%m月%d日}，"
        f"累计支出{_wan(summary.total_spent)}万元，资金执行率{summary.total_rate}%。",
    )
    _heading(document, 2, "各产品主要指标")
    _body(document, "各产品资金执行和主要绩效指标如下表（金额单位：万元）。")
    _table(
        document,
        [
            "序号",
            "产品",
            "实施地区",
            "补助资金",
            "累计支出",
            "执行率（%）",
            *(heading for _, heading in KEY_FIGURES),
        ],
        [
            [
                str(number),
                p.allocation.product.name,
                division_label(p.allocation.division),
                _wan(p.allocation.amount),
                _wan(p.spent),
                f"{p.rate}",
                *(p.figure(code) for code, _ in KEY_FIGURES),
            ]
            for number, p in enumerate(products, start=1)
        ],
    )
    _heading(document, 3, "绩效指标完成情况")
    _body(
        document,
        f"按平台记录计算，{len(products)}个产品共{measured}项指标中已达标{met}项。"
        "各产品未达标的指标如下表。",
    )
    _table(
        document,
        ["序号", "产品", "达标指标", "未达标的指标"],
        [
            [
                str(number),
                p.allocation.product.name,
                f"{p.indicators.met}/{len(p.indicators.values)}",
                "、".join(p.not_met) or "无",
            ]
            for number, p in enumerate(products, start=1)
        ],
    )
    _heading(document, 4, "存在问题和下步打算")
    lagging = [p.allocation.product.name for p in products if p.rate < 90]
    _body(
        document,
        (
            f"资金执行率低于90%的项目有{'、'.join(lagging)}，须加快项目实施和资金支付进度。"
            if lagging
            else "各项目资金执行率均已达到90%。"
        )
        + "下一步将对照未达标指标逐项督促整改，确保项目按期完成。",
    )
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def annual_summary_docx(
    program: Program,
    *,
    division: Division | None = None,
    allocations: Sequence[Allocation] | None = None,
) -> bytes:
    """The program's annual summary (年度总结) as a Word document."""
    summary = summary_figures(
        program,
        until=dt.date(program.year, 12, 31),
        period=f"{program.year}年度",
        division=division,
        allocations=allocations,
    )
    return _summary_docx(summary, kind="工作总结")


def quarter_span(program: Program, quarter: int) -> tuple[dt.date, dt.date]:
    if not isinstance(quarter, int) or not 1 <= quarter <= 4:
        raise EvaluationError("bad_quarter", "季度须为1至4。")
    start = dt.date(program.year, 3 * quarter - 2, 1)
    end = dt.date(program.year + (quarter == 4), (3 * quarter) % 12 + 1, 1) - dt.timedelta(days=1)
    return start, end


def quarterly_summary_docx(
    program: Program,
    *,
    quarter: int,
    division: Division | None = None,
    allocations: Sequence[Allocation] | None = None,
) -> bytes:
    """The program's summary of one quarter (季度小结) as a Word document."""
    _, end = quarter_span(program, quarter)
    summary = summary_figures(
        program,
        until=end,
        period=f"{program.year}年第{NUMERALS[quarter - 1]}季度",
        division=division,
        allocations=allocations,
    )
    return _summary_docx(summary, kind="工作小结")


# --- Excel -----------------------------------------------------------------------------------


def month_start(program: Program, month: int) -> dt.date:
    if not isinstance(month, int) or not 1 <= month <= 12:
        raise EvaluationError("bad_month", "月份须为1至12。")
    return dt.date(program.year, month, 1)


def dispatch_table_xlsx(program: Program, *, month: int, user: Any) -> bytes:
    """The monthly dispatch table (月度调度表) of the program's products in the user's scope: one
    row per product with its funds, execution and monthly report, then the totals."""
    table = monthly_table(
        user=user, program=program, month=month_start(program, month), today=timezone.localdate()
    )
    workbook = Workbook()
    sheet = workbook.create_sheet(index=0)
    workbook.remove(workbook.worksheets[1])
    sheet.title = f"{program.year}年{month}月调度表"
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    sheet.append(list(DISPATCH_HEADERS))
    for cell in sheet[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="2F5597")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = border
    for number, row in enumerate(table.rows, start=1):
        sheet.append(
            [
                number,
                neutralise(row.product),
                neutralise(row.division),
                row.amount,
                row.spent,
                row.rate,
                row.state_label,
                neutralise(row.progress),
            ]
        )
    sheet.append(["合计", "", "", table.total_amount, table.total_spent, table.total_rate, "", ""])
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            cell.border = border
            cell.alignment = Alignment(vertical="top", wrap_text=True)
        for cell in cells[3:5]:
            cell.number_format = "#,##0.00"
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for column, width in enumerate(DISPATCH_WIDTHS, start=1):
        sheet.column_dimensions[sheet.cell(1, column).column_letter].width = width
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
