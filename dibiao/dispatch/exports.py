"""The monthly dispatch table (月度调度表) as Excel and as a Word document in the official layout.

The Word file: A4 landscape, the title in 黑体, the body and table in 仿宋 (Latin text and
digits in Times New Roman), the header row repeated on every page. python-docx's font name sets
the Latin font only; the Chinese font is the run's `w:eastAsia` attribute (see STACK-NOTES).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from django.http import FileResponse
from django.utils import timezone
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.table import Table
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from dibiao.core.audit import audit_record
from dibiao.core.choices import AuditAction
from dibiao.core.excel import xlsx_bytes, xlsx_response
from dibiao.dispatch.choices import SubmissionState
from dibiao.dispatch.selectors import DispatchTable

DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
FORMATS = ("xlsx", "docx")

HEADERS = [
    "序号",
    "产品",
    "实施地区",
    "报送情况",
    "报送时间",
    "工作进展",
    "存在问题",
    "下步打算",
    "补助资金（元）",
    "累计支出（元）",
    "执行率（%）",
]
# The Word table leaves out the submission time (the state says on time or late) and gives
# amounts in 万元, as printed dispatch tables do, to keep the text columns wide enough to read;
# the Excel file has the exact yuan.
DOCX_HEADERS = [
    "序号",
    "产品",
    "实施地区",
    "报送情况",
    "工作进展",
    "存在问题",
    "下步打算",
    "补助资金（万元）",
    "累计支出（万元）",
    "执行率（%）",
]
DOCX_WIDTHS_CM = [
    0.9,
    2.3,
    2.5,
    1.8,
    6.8,
    3.2,
    3.0,
    1.8,
    1.8,
    1.6,
]  # 25.7: A4 landscape less margins
MONEY_COLUMNS = 7  # the columns from here on are figures, right-aligned

TITLE_FONT = "黑体"
BODY_FONT = "仿宋"
LATIN_FONT = "Times New Roman"


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


def wan(value: Decimal) -> str:
    """Yuan as 万元 with two places (to the hundred yuan)."""
    return f"{value / 10000:,.2f}"


def summary_line(table: DispatchTable) -> str:
    counts = "，".join(
        f"{state.label}{table.count(state)}个"
        for state in (
            SubmissionState.ON_TIME,
            SubmissionState.LATE,
            SubmissionState.RETURNED,
            SubmissionState.MISSING,
            SubmissionState.PENDING,
        )
        if table.count(state)
    )
    return (
        f"共{len(table.rows)}个项目{('：' + counts) if counts else ''}。"
        f"补助资金合计{_money(table.total_amount)}元，截至月末累计支出{_money(table.total_spent)}元，"
        f"执行率{table.total_rate}%。"
    )


def _xlsx_rows(table: DispatchTable) -> list[list[Any]]:
    rows: list[list[Any]] = [
        [
            number,
            row.product,
            row.division,
            row.state_label,
            f"{row.submitted_at:%Y-%m-%d %H:%M}" if row.submitted_at else "",
            row.progress,
            row.problems,
            row.next_steps,
            row.amount,
            row.spent,
            row.rate,
        ]
        for number, row in enumerate(table.rows, start=1)
    ]
    rows.append(
        [
            "合计",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            table.total_amount,
            table.total_spent,
            table.total_rate,
        ]
    )
    return rows


def _sheet_title(table: DispatchTable) -> str:
    return f"{table.month:%Y-%m}进展调度"


def table_xlsx(table: DispatchTable) -> bytes:
    """The table as an Excel workbook (what `table_response` streams), as bytes."""
    return xlsx_bytes(sheet_title=_sheet_title(table), headers=HEADERS, rows=_xlsx_rows(table))


# --- Word ------------------------------------------------------------------------------------


def _font(run: Run, east_asia: str, size: float, *, bold: bool = False) -> None:
    run.font.name = LATIN_FONT
    run.font.size = Pt(size)
    run.font.bold = bold
    r_pr = run._element.get_or_add_rPr()
    r_fonts = r_pr.get_or_add_rFonts()
    r_fonts.set(qn("w:eastAsia"), east_asia)


def _paragraph(
    paragraph: Paragraph,
    text: str,
    east_asia: str,
    size: float,
    *,
    bold: bool = False,
    align: WD_ALIGN_PARAGRAPH | None = None,
) -> Paragraph:
    if align is not None:
        paragraph.alignment = align
    paragraph.paragraph_format.space_after = Pt(0)
    paragraph.paragraph_format.space_before = Pt(0)
    lines = text.split("\n")
    for number, line in enumerate(lines, start=1):
        run = paragraph.add_run(line)
        _font(run, east_asia, size, bold=bold)
        if number < len(lines):
            run.add_break()  # a line break, so that a multi-line cell stays one paragraph
    return paragraph


def _repeat_header(table: Table) -> None:
    tr_pr = table.rows[0]._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    tr_pr.append(header)


def column_widths(grid: Table, widths_cm: Sequence[float]) -> None:
    """Fixed column widths of a Word table: Word reads the cells' widths, LibreOffice the
    grid's, so both are set."""
    grid.autofit = False
    for column, width in enumerate(widths_cm):
        grid.columns[column].width = Cm(width)
        for cell in grid.columns[column].cells:
            cell.width = Cm(width)


def table_docx(table: DispatchTable) -> bytes:
    document = Document()
    normal = document.styles["Normal"]
    normal.font.name = LATIN_FONT
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(2.0))
    for side in ("top_margin", "bottom_margin"):
        setattr(section, side, Cm(2.2))

    _paragraph(
        document.add_paragraph(),
        table.title,
        TITLE_FONT,
        18,
        align=WD_ALIGN_PARAGRAPH.CENTER,
    )
    month_end = f"{table.month.year}年{table.month.month}月"
    _paragraph(
        document.add_paragraph(),
        f"（报告期：{month_end}　制表日期：{table.today.year}年{table.today.month}月{table.today.day}日）",
        BODY_FONT,
        14,
        align=WD_ALIGN_PARAGRAPH.CENTER,
    )
    _paragraph(document.add_paragraph(), summary_line(table), BODY_FONT, 12)

    grid = document.add_table(rows=1, cols=len(DOCX_HEADERS))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    for column, heading in enumerate(DOCX_HEADERS):
        _paragraph(
            grid.cell(0, column).paragraphs[0],
            heading,
            TITLE_FONT,
            10.5,
            align=WD_ALIGN_PARAGRAPH.CENTER,
        )
    _repeat_header(grid)
    for number, row in enumerate(table.rows, start=1):
        values = [
            str(number),
            row.product,
            row.division,
            row.state_label,
            row.progress,
            row.problems,
            row.next_steps,
            wan(row.amount),
            wan(row.spent),
            f"{row.rate}",
        ]
        cells = grid.add_row()
        for column, value in enumerate(values):
            _paragraph(
                cells.cells[column].paragraphs[0],
                value,
                BODY_FONT,
                10.5,
                align=WD_ALIGN_PARAGRAPH.RIGHT if column >= MONEY_COLUMNS else None,
            )
    totals = grid.add_row()
    label = totals.cells[0].merge(totals.cells[MONEY_COLUMNS - 1])
    _paragraph(label.paragraphs[0], "合计", TITLE_FONT, 10.5, align=WD_ALIGN_PARAGRAPH.CENTER)
    for column, value in (
        (MONEY_COLUMNS, wan(table.total_amount)),
        (MONEY_COLUMNS + 1, wan(table.total_spent)),
        (MONEY_COLUMNS + 2, f"{table.total_rate}"),
    ):
        _paragraph(
            totals.cells[column].paragraphs[0],
            value,
            BODY_FONT,
            10.5,
            bold=True,
            align=WD_ALIGN_PARAGRAPH.RIGHT,
        )
    column_widths(grid, DOCX_WIDTHS_CM)

    _paragraph(
        document.add_paragraph(),
        "注：累计支出为资金台账中截至报告期末已审核的支出（已扣除已审核的冲销）；金额单位为万元，"
        "保留两位小数（精确到元的数据见 Excel 版）；工作进展、存在问题和下步打算取自已报送的月报。",
        BODY_FONT,
        10.5,
    )
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# --- Responses (audited) --------------------------------------------------------------------


def _filename(table: DispatchTable) -> str:
    return f"进展调度表-{table.program.year}-{table.month:%Y%m}"


def table_response(*, user: Any, table: DispatchTable, fmt: str) -> FileResponse:
    """The table as a download, with its audit row (导出)."""
    audit_record(
        actor=user,
        action=AuditAction.EXPORT,
        object_type="projects.program",
        object_id=str(table.program.pk),
        object_repr=table.program.name,
        detail=f"导出{table.month.year}年{table.month.month}月进展调度表（{'Word' if fmt == 'docx' else 'Excel'}），{len(table.rows)}行",
    )
    if fmt == "xlsx":
        return xlsx_response(
            filename=_filename(table),
            sheet_title=_sheet_title(table),
            headers=HEADERS,
            rows=_xlsx_rows(table),
        )
    stamped = f"{_filename(table)}-{timezone.localtime():%Y%m%d-%H%M}.docx"
    response = FileResponse(io.BytesIO(table_docx(table)), content_type=DOCX_CONTENT_TYPE)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(stamped)}"
    return response
