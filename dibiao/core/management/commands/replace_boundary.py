"""Replace one division's boundary with a GeoJSON file (an official boundary, say), as the
operator; the same validation and audit as an administrator's upload (core/boundaries.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dibiao.core.boundaries import boundary_replace
from dibiao.core.errors import DomainError
from dibiao.core.models import Division


class Command(BaseCommand):
    help = "Replace a division's boundary with a WGS-84 GeoJSON Polygon/MultiPolygon file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code", help="division code, e.g. 140121")
        parser.add_argument("geojson", type=Path)
        parser.add_argument("--note", default="", help="where the boundary comes from")

    def handle(self, *args: Any, **options: Any) -> None:
        division = Division.objects.filter(code=options["code"]).first()
        if division is None:
            raise CommandError(f"行政区划 {options['code']} 不存在。")
        path: Path = options["geojson"]
        if not path.exists():
            raise CommandError(f"文件不存在：{path}")
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            raise CommandError(f"文件不是 UTF-8 文本：{path}") from exc
        try:
            boundary = boundary_replace(
                actor=None, division=division, text=text, note=options["note"]
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"{division.name}（{division.code}）边界已替换：面积 {boundary.area_hectares} 公顷，"
            f"第 {boundary.revision} 版。"
        )
