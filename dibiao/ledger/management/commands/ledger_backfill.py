"""Log the records that existed before the ledger did (or that it missed), as they are now."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from dibiao.ledger import services
from dibiao.ledger import types as ledger_types
from dibiao.ledger.models import LedgerLeaf

CHUNK = 1000


class Command(BaseCommand):
    help = (
        "为应记入账本却没有叶的记录（账本启用前的数据）按其当前状态补记一个叶。"
        "补记的叶写明的是补记时的状态，不能证明此前的历史。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="只统计，不写入")

    def handle(self, *args: Any, dry_run: bool, **options: Any) -> None:
        total = 0
        for name, kind in sorted(ledger_types.registered().items()):
            if not isinstance(kind, ledger_types.SnapshotType) or kind.logged is None:
                continue
            logged = set(
                LedgerLeaf.objects.filter(record_type=name).values_list("record_id", flat=True)
            )
            missing = [
                pk
                for pk in kind.model._base_manager.filter(kind.logged)
                .order_by("pk")
                .values_list("pk", flat=True)
                if pk not in logged
            ]
            if not missing:
                continue
            self.stdout.write(f"{kind.label}（{name}）：{len(missing)} 条待补记")
            total += len(missing)
            if dry_run:
                continue
            for start in range(0, len(missing), CHUNK):
                with transaction.atomic():
                    services.append_many(kind.model, missing[start : start + CHUNK])
        if dry_run or not total:
            self.stdout.write(f"共 {total} 条{'待补记' if dry_run else '，无需补记'}。")
            return
        size = services.integrate()
        self.stdout.write(
            f"已补记 {total} 条，账本树大小 {size}。请发布检查点（ledger_checkpoint）。"
        )
