from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dibiao.core.errors import DomainError
from dibiao.production.services.restrictions import (
    DEFAULT_RESTRICTION_FILE,
    restriction_lists_load_file,
)


class Command(BaseCommand):
    help = (
        "Load the national lists of banned and restricted inputs (禁限用投入品名录) from the "
        "data file; safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_RESTRICTION_FILE)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        if not path.exists():
            raise CommandError(f"文件不存在：{path}")
        try:
            result = restriction_lists_load_file(path=path)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"禁限用投入品名录：新增名录 {result.lists_created}，更新 {result.lists_updated}；"
            f"物质新增 {result.substances_created}，更新 {result.substances_updated}，"
            f"删除 {result.substances_deleted}。"
        )
