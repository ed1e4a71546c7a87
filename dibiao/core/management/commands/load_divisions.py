from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from dibiao.core.boundaries import DEFAULT_BOUNDARIES_FIXTURE, boundaries_load_file
from dibiao.core.errors import DomainError
from dibiao.core.services import DEFAULT_DIVISIONS_FIXTURE, divisions_load_file


class Command(BaseCommand):
    help = (
        "Load administrative divisions from a code,name,level,parent_code CSV (default: Shanxi) "
        "and their boundaries from a GeoJSON FeatureCollection (default: Shanxi's fixture)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("csv", nargs="?", type=Path, default=DEFAULT_DIVISIONS_FIXTURE)
        parser.add_argument(
            "--boundaries",
            type=Path,
            default=DEFAULT_BOUNDARIES_FIXTURE,
            help="GeoJSON FeatureCollection with properties.code (default: Shanxi's)",
        )
        parser.add_argument("--no-boundaries", action="store_true", help="divisions only")
        parser.add_argument(
            "--replace-uploaded",
            action="store_true",
            help="also overwrite boundaries an administrator uploaded",
        )

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["csv"]
        boundaries: Path = options["boundaries"]
        for required in (path, None if options["no_boundaries"] else boundaries):
            if required is not None and not required.exists():
                raise CommandError(f"文件不存在：{required}")
        try:
            result = divisions_load_file(path=path)
            self.stdout.write(f"行政区划：新增 {result.created}，更新 {result.updated}。")
            if options["no_boundaries"]:
                return
            loaded = boundaries_load_file(
                path=boundaries, replace_uploaded=options["replace_uploaded"]
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"行政区划边界：新增 {loaded.created}，更新 {loaded.updated}，未变 {loaded.unchanged}，"
            f"保留管理员上传 {loaded.kept_uploaded}。"
        )
        if loaded.kept_uploaded:
            self.stdout.write(
                "（管理员上传的边界未被覆盖；如需恢复为随系统提供的边界，加 --replace-uploaded。）"
            )
        if loaded.unknown_codes:
            self.stdout.write(
                f"边界文件中 {len(loaded.unknown_codes)} 个代码没有对应的行政区划，已跳过："
                + "、".join(loaded.unknown_codes[:20])
            )
