"""`manage.py trace_reconcile`: the over-labelling check of every authorization with labels
issued (this year and last, or `--year`), for a daily timer. Raises or refreshes an
OVER_LABELLING alert for each batch that carries more labels than it can hold."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from dibiao.trace.selectors.alerts import authorizations_to_reconcile
from dibiao.trace.services.alerts import over_labelling_check


class Command(BaseCommand):
    help = "用标核对：对绑定标签超过批次可承载数量的批次生成防伪预警（默认今年和去年的授权）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, action="append", help="生产年度（可重复）")

    def handle(self, *args: Any, **options: Any) -> None:
        this_year = timezone.localdate().year
        years: list[int] = options["year"] or [this_year, this_year - 1]
        checked = flagged = 0
        for authorization in authorizations_to_reconcile(years=years).iterator(chunk_size=200):
            checked += 1
            flagged += len(over_labelling_check(authorization=authorization))
        self.stdout.write(
            f"用标核对：{checked} 个授权（{'、'.join(map(str, sorted(years)))} 年度），"
            f"{flagged} 个批次超量用标，预警已生成或更新。"
        )
