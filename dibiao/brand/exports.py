"""The Excel exports of the four lists: headers and one row per record. The media report
export's first columns are the import template's (brand/imports.py), so an exported list can be
edited and imported again."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from dibiao.brand.imports import REPORT_COLUMNS
from dibiao.brand.models import BrandStory, Exhibition, MediaReport, PromoVideo


def _divisions(product: Any) -> str:
    return "、".join(d.name for d in product.divisions.all())


def _when(value: Any) -> str:
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M}" if value else ""


def _report_row(r: MediaReport) -> list[object]:
    return [
        r.product.name,
        r.outlet,
        r.get_level_display(),
        r.published_on.isoformat(),
        r.title,
        r.link,
        r.notes,
        _divisions(r.product),
        _when(r.created_at),
    ]


def _video_row(v: PromoVideo) -> list[object]:
    return [
        v.product.name,
        v.title,
        v.duration_text,
        v.duration_seconds,
        v.published_on.isoformat(),
        v.platforms,
        "\n".join(v.link_list),
        v.notes,
        _divisions(v.product),
    ]


def _exhibition_row(e: Exhibition) -> list[object]:
    return [
        e.name,
        e.get_kind_display(),
        e.get_level_display(),
        e.start_on.isoformat(),
        e.end_on.isoformat(),
        e.place,
        e.division.name if e.division else "",
        "、".join(p.name for p in e.products.all()),
        e.deals_count,
        e.deals_amount,
        e.notes,
    ]


def _story_row(s: BrandStory) -> list[object]:
    return [
        s.product.name,
        s.title,
        s.get_status_display(),
        _when(s.published_at),
        _when(s.created_at),
        _when(s.updated_at),
    ]


@dataclass(frozen=True)
class ExportSpec:
    filename: str
    sheet_title: str
    headers: Sequence[str]
    row: Callable[[Any], list[object]]
    # Loaded with the rows, so that the export does not ask once per row.
    prefetch: tuple[str, ...] = ()


REPORTS = ExportSpec(
    "媒体报道",
    "媒体报道",
    [c.header for c in REPORT_COLUMNS] + ["所在地", "录入时间"],
    _report_row,
    ("product__divisions",),
)
VIDEOS = ExportSpec(
    "宣传片",
    "宣传片",
    ["产品", "片名", "时长", "时长（秒）", "发布日期", "发布平台", "链接", "备注", "所在地"],
    _video_row,
    ("product__divisions",),
)
EXHIBITIONS = ExportSpec(
    "展会推介活动",
    "展会推介活动",
    [
        "名称",
        "类型",
        "级别",
        "开始日期",
        "结束日期",
        "举办地点",
        "举办地（省内）",
        "参展产品",
        "签约项目（个）",
        "签约金额（万元）",
        "备注",
    ],
    _exhibition_row,
)
STORIES = ExportSpec(
    "历史文化故事",
    "历史文化故事",
    ["产品", "标题", "状态", "发布时间", "创建时间", "更新时间"],
    _story_row,
)
