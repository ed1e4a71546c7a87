"""Sequence queued leaves and publish a signed checkpoint, once or every N seconds."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from dibiao.ledger import services
from dibiao.ledger.services import LedgerError


class Command(BaseCommand):
    help = "将排队的账本叶记入账本并发布签名检查点（--every 秒则循环运行）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="树未增长时也发布新检查点")
        parser.add_argument(
            "--every",
            type=int,
            nargs="?",
            const=settings.DIBIAO_LEDGER_CHECKPOINT_INTERVAL,
            help="每隔多少秒发布一次（默认 DIBIAO_LEDGER_CHECKPOINT_INTERVAL）",
        )

    def handle(self, *args: Any, force: bool, every: int | None, **options: Any) -> None:
        if every is not None and every < 1:
            raise CommandError("--every 必须是正整数秒。")
        while True:
            try:
                checkpoint = services.publish_checkpoint(force=force)
            except LedgerError as exc:
                if every is None:
                    raise CommandError(str(exc)) from exc
                self.stderr.write(str(exc))
            else:
                if checkpoint is None:
                    self.stdout.write(
                        f"账本未增长（树大小 {services.state().size}），未发布新检查点。"
                    )
                else:
                    self.stdout.write(
                        f"已发布检查点：树大小 {checkpoint.size}，时间 {checkpoint.timestamp:%Y-%m-%d %H:%M:%S}。"
                    )
            if every is None:
                return
            time.sleep(every)
