from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dibiao.core.errors import DomainError
from dibiao.core.services import DEFAULT_DIVISIONS_FIXTURE, divisions_load_file


class Command(BaseCommand):
    help = "Load administrative divisions from a code,name,level,parent_code CSV (default: Shanxi)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("csv", nargs="?", type=Path, default=DEFAULT_DIVISIONS_FIXTURE)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["csv"]
        if not path.exists():
            raise CommandError(f"文件不存在：{path}")
        try:
            result = divisions_load_file(path=path)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"行政区划：新增 {result.created}，更新 {result.updated}。")
