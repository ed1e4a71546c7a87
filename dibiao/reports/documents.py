"""The program's reports (issue 8, item 5), each in Word and in Excel, generated from the
records (the indicators of `dibiao.evaluation.indicators`, the fund ledger, the dispatch reports):

| report | Word | Excel |
|---|---|---|
| 年度工作总结 | `annual_summary_docx` | `annual_summary_xlsx` |
| 季度工作小结 | `quarterly_summary_docx` | `quarterly_summary_xlsx` |
| 月度进展调度表 | `dispatch_table_docx` | `dispatch_table_xlsx` |

Word: A4, the title in 方正小标宋简体, first-level headings numbered 一、二、… in 黑体, the body in
仿宋_GB2312 at 三号 (16 pt), tables in 仿宋 五号; the Chinese font is each run's `w:eastAsia`
(the run helpers of `dibiao.dispatch.exports`). The dispatch table is the dispatch app's own
Word and Excel file (`dispatch.exports.table_docx`, `table_xlsx`: A4 landscape, one row per
product and the totals), for the chosen products. Excel summaries go through `core.excel`
(bold header, formula-safe cells): one row per product with its key figures and indicator
attainment, then the totals.

Not scoped: the caller chooses the allocations (`division` and/or `allocations`, from its
scoped selectors; neither: the whole program). Each builder reports its progress through
`progress(done, total)`: after each indicator computed, each product written and the file saved.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Sequence
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

from dibiao.accounts.scoping import subtree_filter
from dibiao.core.excel import xlsx_bytes
from dibiao.core.models import Division
from dibiao.dispatch.exports import (
    LATIN_FONT,
    _paragraph,
    column_widths,
    table_docx,
    table_xlsx,
    wan,
)
from dibiao.dispatch.selectors import DispatchTable, monthly_table_of
from dibiao.dispatch.selectors.reports import execution_rate, spent_until
from dibiao.dispatch.selectors.table import division_label
from dibiao.evaluation.choices import IndicatorStatus
from dibiao.evaluation.indicators import CATALOGUE, ProductIndicators, indicators_compute
from dibiao.projects.models import Allocation, Program
from dibiao.reports.errors import ReportError

# progress(done, total): called as a report is made.
Progress = Callable[[int, int], None]

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


class _Steps:
    """Counts a builder's steps and passes each to `progress`."""

    def __init__(self, progress: Progress | None, total: int = 0) -> None:
        self.progress = progress
        self.total = total
        self.done = 0

    def __call__(self) -> None:
        self.done += 1
        if self.progress is not None:
            self.progress(self.done, self.total)


# The key-figures table of a Word summary on the A4 text width (15.6 cm): 序号, 产品, 实施地区,
# funds, spent, rate, then the key figures.
FIGURE_WIDTHS_CM = (0.9, 2.0, 2.0, 1.4, 1.4, 1.2, *(1.34,) * len(KEY_FIGURES))

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
    steps: _Steps | None = None,
) -> Summary:
    """Every chosen product's funds (approved spending up to `until`) and indicators as of
    `until` (or today, if earlier). Counts its steps (each indicator, the funds) into `steps`,
    whose total it sets for the whole report: those, each product written, the file saved."""
    steps = steps or _Steps(None)
    as_of = min(until, timezone.localdate())
    chosen = _chosen(program, division, allocations)
    count = len(chosen) if chosen is not None else program.allocations.count()
    steps.total = len(CATALOGUE) + 1 + count + 1
    rows = indicators_compute(program=program, allocations=chosen, as_of=as_of, on_indicator=steps)
    steps.total = len(CATALOGUE) + 1 + len(rows) + 1  # the rows as read, if the count moved
    spent = spent_until(allocation_ids=[r.allocation.pk for r in rows], until=as_of)
    steps()
    region = division.name if division is not None else program.province.name
    return Summary(
        program=program,
        region=region,
        period=period,
        as_of=as_of,
        products=[ProductFigures(r.allocation, spent[r.allocation.pk], r) for r in rows],
    )


# --- Word ------------------------------------------------------------------------------------


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


def _table(
    document: DocumentObject,
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    widths_cm: Sequence[float],
) -> None:
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
    column_widths(grid, widths_cm)


def _figure_rows(summary: Summary, steps: _Steps) -> list[list[str]]:
    """The key-figures table of a Word summary, one step per product."""
    rows = []
    for number, p in enumerate(summary.products, start=1):
        rows.append(
            [
                str(number),
                p.allocation.product.name,
                division_label(p.allocation.division),
                wan(p.allocation.amount),
                wan(p.spent),
                f"{p.rate}",
                *(p.figure(code) for code, _ in KEY_FIGURES),
            ]
        )
        steps()
    return rows


def _summary_docx(summary: Summary, *, kind: str, steps: _Steps) -> bytes:
    document = _document()
    program = summary.program
    _paragraph(
        document.add_paragraph(),
        # The program's name, then the report (with the region when it is not the province's).
        f"{program.name}\n{'' if summary.region in program.name else summary.region}"
        f"{summary.period}{kind}",
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
        f"补助资金{wan(summary.total_amount)}万元。截至{summary.as_of:%Y年%m月%d日}，"
        f"累计支出{wan(summary.total_spent)}万元，资金执行率{summary.total_rate}%。",
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
        _figure_rows(summary, steps),
        FIGURE_WIDTHS_CM,
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
        (1.0, 2.6, 1.6, 10.4),
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
    steps()
    return buffer.getvalue()


# --- Excel -----------------------------------------------------------------------------------

SUMMARY_XLSX_HEADERS = (
    "序号",
    "产品",
    "实施地区",
    "补助资金（元）",
    "累计支出（元）",
    "执行率（%）",
    *(heading for _, heading in KEY_FIGURES),
    "达标指标（项）",
    "计算指标（项）",
    "未达标的指标",
)


def _summary_xlsx(summary: Summary, *, kind: str, steps: _Steps) -> bytes:
    """One row per product with its exact figures (yuan, not 万元; a missing figure is an
    empty cell), then the totals."""
    rows: list[list[Any]] = []
    for number, p in enumerate(summary.products, start=1):
        rows.append(
            [
                number,
                p.allocation.product.name,
                division_label(p.allocation.division),
                p.allocation.amount,
                p.spent,
                p.rate,
                *(p.indicators.get(code).value for code, _ in KEY_FIGURES),
                p.indicators.met,
                len(p.indicators.values),
                "、".join(p.not_met),
            ]
        )
        steps()
    products = summary.products
    rows.append(
        [
            "合计",
            f"{len(products)}个产品",
            "",
            summary.total_amount,
            summary.total_spent,
            summary.total_rate,
            *([""] * len(KEY_FIGURES)),
            sum(p.indicators.met for p in products),
            sum(len(p.indicators.values) for p in products),
            "",
        ]
    )
    data = xlsx_bytes(
        sheet_title=f"{summary.period}{kind}", headers=SUMMARY_XLSX_HEADERS, rows=rows
    )
    steps()
    return data


# --- The reports -----------------------------------------------------------------------------


def _annual(
    program: Program,
    division: Division | None,
    allocations: Sequence[Allocation] | None,
    steps: _Steps,
) -> Summary:
    return summary_figures(
        program,
        until=dt.date(program.year, 12, 31),
        period=f"{program.year}年度",
        division=division,
        allocations=allocations,
        steps=steps,
    )


def annual_summary_docx(
    program: Program,
    *,
    division: Division | None = None,
    allocations: Sequence[Allocation] | None = None,
    progress: Progress | None = None,
) -> bytes:
    """The program's annual summary (年度工作总结) as a Word document."""
    steps = _Steps(progress)
    summary = _annual(program, division, allocations, steps)
    return _summary_docx(summary, kind="工作总结", steps=steps)


def annual_summary_xlsx(
    program: Program,
    *,
    division: Division | None = None,
    allocations: Sequence[Allocation] | None = None,
    progress: Progress | None = None,
) -> bytes:
    """The annual summary's figures as an Excel workbook: a row per product."""
    steps = _Steps(progress)
    summary = _annual(program, division, allocations, steps)
    return _summary_xlsx(summary, kind="工作总结", steps=steps)


def quarter_span(program: Program, quarter: int) -> tuple[dt.date, dt.date]:
    if isinstance(quarter, bool) or not isinstance(quarter, int) or not 1 <= quarter <= 4:
        raise ReportError("bad_quarter", "季度须为1至4。")
    start = dt.date(program.year, 3 * quarter - 2, 1)
    end = dt.date(program.year + (quarter == 4), (3 * quarter) % 12 + 1, 1) - dt.timedelta(days=1)
    return start, end


def _quarterly(
    program: Program,
    quarter: int,
    division: Division | None,
    allocations: Sequence[Allocation] | None,
    steps: _Steps,
) -> Summary:
    _, end = quarter_span(program, quarter)
    return summary_figures(
        program,
        until=end,
        period=f"{program.year}年第{NUMERALS[quarter - 1]}季度",
        division=division,
        allocations=allocations,
        steps=steps,
    )


def quarterly_summary_docx(
    program: Program,
    *,
    quarter: int,
    division: Division | None = None,
    allocations: Sequence[Allocation] | None = None,
    progress: Progress | None = None,
) -> bytes:
    """The program's summary of one quarter (季度工作小结) as a Word document."""
    steps = _Steps(progress)
    summary = _quarterly(program, quarter, division, allocations, steps)
    return _summary_docx(summary, kind="工作小结", steps=steps)


def quarterly_summary_xlsx(
    program: Program,
    *,
    quarter: int,
    division: Division | None = None,
    allocations: Sequence[Allocation] | None = None,
    progress: Progress | None = None,
) -> bytes:
    """The quarter's figures as an Excel workbook: a row per product."""
    steps = _Steps(progress)
    summary = _quarterly(program, quarter, division, allocations, steps)
    return _summary_xlsx(summary, kind="工作小结", steps=steps)


def month_start(program: Program, month: int) -> dt.date:
    if isinstance(month, bool) or not isinstance(month, int) or not 1 <= month <= 12:
        raise ReportError("bad_month", "月份须为1至12。")
    return dt.date(program.year, month, 1)


def _dispatch_table(
    program: Program,
    month: int,
    division: Division | None,
    allocations: Sequence[Allocation] | None,
    steps: _Steps,
) -> DispatchTable:
    start = month_start(program, month)
    chosen = _chosen(program, division, allocations)
    rows = Allocation.objects.filter(program=program)
    if chosen is not None:
        rows = rows.filter(pk__in=[a.pk for a in chosen])
    ordered = list(
        rows.select_related("program", "product", "division__parent").order_by(
            "product__name", "id"
        )
    )
    steps.total = 2
    table = monthly_table_of(
        program=program, allocations=ordered, month=start, today=timezone.localdate()
    )
    steps()
    return table


def dispatch_table_docx(
    program: Program,
    *,
    month: int,
    division: Division | None = None,
    allocations: Sequence[Allocation] | None = None,
    progress: Progress | None = None,
) -> bytes:
    """The monthly dispatch table (月度进展调度表) as a Word document: A4 landscape, one row per
    product with its report's state and content and its funds, then the totals."""
    steps = _Steps(progress)
    data = table_docx(_dispatch_table(program, month, division, allocations, steps))
    steps()
    return data


def dispatch_table_xlsx(
    program: Program,
    *,
    month: int,
    division: Division | None = None,
    allocations: Sequence[Allocation] | None = None,
    progress: Progress | None = None,
) -> bytes:
    """The monthly dispatch table as an Excel workbook (the exact yuan)."""
    steps = _Steps(progress)
    data = table_xlsx(_dispatch_table(program, month, division, allocations, steps))
    steps()
    return data
