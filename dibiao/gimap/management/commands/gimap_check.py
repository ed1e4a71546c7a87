"""Recompute every base's protected-area flag (the producers service) and list the bases that
lie outside their product's protected area or whose point is not in their recorded county."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from dibiao.gimap.checks import bases_flagged


class Command(BaseCommand):
    help = (
        "重新核查全部生产基地：是否在产品地域保护范围内、坐标是否在登记的县内；列出有问题的基地。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-recheck", action="store_true", help="不重算“超出地域保护范围”标记，只列出"
        )
        parser.add_argument("--fail", action="store_true", help="有问题的基地时以状态 1 退出")

    def handle(self, *args: Any, no_recheck: bool, fail: bool, **options: Any) -> None:
        flagged = 0
        for flag in bases_flagged(recheck=not no_recheck):
            base = flag.base
            problems = []
            if flag.outside_protected_area:
                problems.append(f"超出“{base.product.name}”地域保护范围")
            if flag.outside_county:
                where = f"位于{flag.found_in.name}" if flag.found_in else "不在任何县内"
                problems.append(f"坐标不在登记的{base.division.name}内（{where}）")
            self.stdout.write(
                f"基地 {base.pk}「{base.name}」（{base.producer.name}）：" + "；".join(problems)
            )
            flagged += 1
        self.stdout.write(f"共 {flagged} 个基地有问题。" if flagged else "全部基地核查无问题。")
        if flagged and fail:
            sys.exit(1)
