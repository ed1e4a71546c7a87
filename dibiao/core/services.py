"""Administrative division loading."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.db import transaction

from dibiao.core.audit import audit_record
from dibiao.core.choices import AuditAction, DivisionLevel
from dibiao.core.errors import DomainError
from dibiao.core.models import Division

PARENT_LEVEL = {
    DivisionLevel.CITY: DivisionLevel.PROVINCE,
    DivisionLevel.COUNTY: DivisionLevel.CITY,
}
DIVISION_COLUMNS = ("code", "name", "level", "parent_code")


class DivisionLoadError(DomainError):
    def __init__(self, message: str) -> None:
        super().__init__("invalid_divisions", message)


@dataclass(frozen=True)
class DivisionLoadResult:
    created: int
    updated: int


def _parse(handle: IO[str]) -> list[dict[str, str]]:
    reader = csv.DictReader(handle)
    if tuple(reader.fieldnames or ()) != DIVISION_COLUMNS:
        raise DivisionLoadError(
            f"表头应为 {','.join(DIVISION_COLUMNS)}，实际为 {reader.fieldnames}。"
        )
    rows: list[dict[str, str]] = []
    errors: list[str] = []
    seen: set[str] = set()
    for line, row in enumerate(reader, start=2):
        code, name, level = row["code"].strip(), row["name"].strip(), row["level"].strip()
        parent = (row["parent_code"] or "").strip()
        if not (len(code) == 6 and code.isdigit()):
            errors.append(f"第 {line} 行：区划代码“{code}”应为 6 位数字")
        if not name:
            errors.append(f"第 {line} 行：名称为空")
        if level not in DivisionLevel.values:
            errors.append(f"第 {line} 行：级别“{level}”应为 province、city 或 county")
        if code in seen:
            errors.append(f"第 {line} 行：区划代码 {code} 重复")
        if (level == DivisionLevel.PROVINCE) == bool(parent):
            errors.append(f"第 {line} 行：省级区划不填上级代码，市、县必须填写")
        seen.add(code)
        rows.append(
            {"code": code, "name": name, "level": level, "parent_code": parent, "line": str(line)}
        )
    if errors:
        raise DivisionLoadError("；".join(errors[:20]) + ("……" if len(errors) > 20 else ""))
    return rows


@transaction.atomic
def divisions_load(*, handle: IO[str]) -> DivisionLoadResult:
    """Create or update divisions from a `code,name,level,parent_code` CSV; all or nothing.

    Parents may come earlier in the file or already be in the database.
    """
    rows = _parse(handle)
    by_code = {
        d.code: d
        for d in Division.objects.filter(
            code__in=[r["code"] for r in rows]
            + [r["parent_code"] for r in rows if r["parent_code"]]
        )
    }
    created = updated = 0
    moved: list[tuple[str, str]] = []  # (old path, new path) of divisions that moved
    # Provinces first, then cities, then counties: each parent exists when its children arrive.
    order = [DivisionLevel.PROVINCE, DivisionLevel.CITY, DivisionLevel.COUNTY]
    for row in sorted(rows, key=lambda r: order.index(DivisionLevel(r["level"]))):
        parent = None
        if row["parent_code"]:
            parent = by_code.get(row["parent_code"])
            if parent is None:
                raise DivisionLoadError(
                    f"第 {row['line']} 行：上级代码 {row['parent_code']} 不存在"
                )
            expected = PARENT_LEVEL[DivisionLevel(row["level"])]
            if parent.level != expected:
                line, name = row["line"], row["name"]
                raise DivisionLoadError(
                    f"第 {line} 行：{name} 的上级 {parent.name} 应为{expected.label}级区划"
                )
        path = f"{parent.path}/{row['code']}" if parent else row["code"]
        division = by_code.get(row["code"])
        if division is None:
            division = Division.objects.create(
                code=row["code"], name=row["name"], level=row["level"], parent=parent, path=path
            )
            created += 1
        elif (division.name, division.level, division.parent_id, division.path) != (
            row["name"],
            row["level"],
            parent.pk if parent else None,
            path,
        ):
            if division.path != path:
                moved.append((division.path, path))
            division.name, division.level, division.parent, division.path = (
                row["name"],
                row["level"],
                parent,
                path,
            )
            division.save()
            updated += 1
        by_code[row["code"]] = division
    for old, new in moved:
        # Descendants not named in the file keep their place under the moved division, so their
        # paths must follow it.
        for child in Division.objects.filter(path__startswith=f"{old}/"):
            child.path = new + child.path[len(old) :]
            child.save(update_fields=["path"])
            updated += 1
    if created or updated:
        audit_record(
            actor=None,
            action=AuditAction.IMPORT,
            object_type="core.division",
            detail=f"导入行政区划：新增 {created}，更新 {updated}",
        )
    return DivisionLoadResult(created=created, updated=updated)


def divisions_load_file(*, path: Path) -> DivisionLoadResult:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return divisions_load(handle=handle)


DEFAULT_DIVISIONS_FIXTURE = Path(__file__).resolve().parent / "fixtures" / "shanxi-divisions.csv"
