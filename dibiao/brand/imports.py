"""The Excel import of media reports, on the producers' import engine (producers/imports.py):
the same template download, row-by-row report and all-or-valid-rows choice as the directory.

The columns are the export's (brand/exports.py), so an exported list can be edited and
imported again; columns the import does not know (所在地, 录入时间) are ignored.
"""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils import timezone

from dibiao.accounts.models import User
from dibiao.brand import selectors
from dibiao.brand.choices import MediaLevel
from dibiao.brand.models import MediaReport
from dibiao.brand.services.common import EARLIEST_YEAR
from dibiao.producers.imports import (
    CHUNK,
    Column,
    ImportSpec,
    RowErrors,
)
from dibiao.registry.models import GIProduct

# 2021-03-05, 2021/3/5, 2021.3.5, 2021年3月5日 (a date cell arrives as 2021-03-05T00:00:00).
_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[T ]00:00(?::00)?)?$")
_url = URLValidator(schemes=["http", "https"])

REPORT_COLUMNS = (
    Column("product", "产品", required=True, example="清徐葡萄", max_length=100),
    Column("outlet", "媒体名称", required=True, example="山西日报", max_length=100),
    Column("level", "级别", required=True, example="省级（国家级、省级、市级、县级）"),
    Column("published_on", "发布日期", required=True, example="2021-03-15"),
    Column("title", "标题", required=True, example="清徐葡萄：千年葡乡的新名片", max_length=200),
    Column("link", "链接", example="https://www.example.cn/news/1.html", max_length=500),
    Column("notes", "备注", example="", max_length=2000),
)


def parse_date(value: str) -> dt.date:
    match = _DATE.match(value.strip())
    if not match:
        raise ValidationError("日期格式应为 2021-03-15。")
    try:
        day = dt.date(*(int(part) for part in match.groups()))
    except ValueError:
        raise ValidationError(f"“{value}”不是有效日期。") from None
    if day > timezone.localdate():
        raise ValidationError("发布日期不能晚于今天。")
    if day.year < EARLIEST_YEAR:
        raise ValidationError(f"发布日期不能早于 {EARLIEST_YEAR} 年。")
    return day


def _link(value: str) -> str:
    if value:
        _url(value)  # its message: 请输入一个有效的 URL
    return value


class MediaReportImport(ImportSpec[MediaReport]):
    title = "媒体报道"
    columns = REPORT_COLUMNS

    def __init__(self, actor: User | None) -> None:
        self.actor = actor
        products = (
            selectors.product_choices(user=actor) if actor is not None else GIProduct.objects.all()
        )
        self.products = {p.name: p for p in products}
        self.levels = {str(label): value for value, label in MediaLevel.choices}
        self.levels.update({value: value for value in MediaLevel.values})

    def _product(self, value: str) -> GIProduct:
        found = self.products.get(value)
        if found is None:
            raise ValidationError(f"未找到产品“{value}”，或该产品不在您可以登记的范围内。")
        return found

    def _level(self, value: str) -> str:
        if value not in self.levels:
            raise ValidationError(f"级别应为：{'、'.join(str(x) for x in MediaLevel.labels)}。")
        return self.levels[value]

    def clean_row(self, row: int, cells: dict[str, str], errors: RowErrors) -> MediaReport | None:
        self.check_lengths(row, cells, errors)
        product = self.cell(row, cells, "product", errors, self._product)
        level = self.cell(row, cells, "level", errors, self._level) if cells.get("level") else None
        published_on = (
            self.cell(row, cells, "published_on", errors, parse_date)
            if cells.get("published_on")
            else None
        )
        link = self.cell(row, cells, "link", errors, _link)
        if row in errors.rows or product is None or level is None or published_on is None:
            return None
        now = timezone.now()
        return MediaReport(
            product=product,
            outlet=cells["outlet"],
            level=level,
            published_on=published_on,
            title=cells["title"],
            link=link or "",
            notes=cells.get("notes", ""),
            recorded_by=self.actor,
            created_at=now,
            updated_at=now,
        )

    def check_rows(self, rows: list[tuple[int, MediaReport]], errors: RowErrors) -> None:
        """A report already recorded, or twice in the file (product, outlet, date, title)."""

        def key(r: MediaReport) -> tuple[int, str, dt.date, str]:
            return (r.product.pk, r.outlet, r.published_on, r.title)

        products = sorted({r.product.pk for _, r in rows})
        existing: set[tuple[int, str, dt.date, str]] = set()
        for start in range(0, len(products), CHUNK):
            existing.update(
                MediaReport.objects.filter(
                    product_id__in=products[start : start + CHUNK]
                ).values_list("product_id", "outlet", "published_on", "title")
            )
        first: dict[tuple[int, str, dt.date, str], int] = {}
        for number, report in rows:
            k = key(report)
            if k in existing:
                errors.add(number, "title", "该报道已登记（同一产品、媒体、日期和标题）。")
            elif k in first:
                errors.add(number, "title", f"与第 {first[k]} 行重复。")
            else:
                first[k] = number

    def save(self, rows: list[MediaReport]) -> int:
        return len(MediaReport.objects.bulk_create(rows, batch_size=CHUNK))
