"""The national lists of banned and restricted inputs: loading them from the data file, and
checking an input against them.

The lists are data (`production/data/restriction_lists.json`, with their source, document
number and date), loaded by `manage.py load_restriction_lists`. Matching compares whole names,
never substrings: "丁硫克百威" (restricted) contains "克百威" (banned), and a substring match
would refuse a lawful input. Each name of an input is normalised first (full-width to
half-width, case, blanks, a leading or trailing content such as "20%", a formulation suffix such
as "水剂"), then compared with each substance's name and aliases.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from dibiao.core.audit import audit_record
from dibiao.core.choices import AuditAction
from dibiao.production.choices import InputCategory, RestrictionKind
from dibiao.production.errors import ProductionError
from dibiao.production.models import RestrictedSubstance, RestrictionList
from dibiao.registry.choices import ProductCategory

DEFAULT_RESTRICTION_FILE = (
    Path(__file__).resolve().parent.parent / "data" / "restriction_lists.json"
)

# Between the names of a mixture ("吡虫啉+毒死蜱", "阿维·高氯"), and around an alias in
# brackets ("克百威（呋喃丹）"). A comma between digits is part of a name ("2,4-滴丁酯").
_SEPARATORS = re.compile(r"[+、;；·・/()\[\]]|(?<!\d),|,(?!\d)|\s+(?:和|及)\s+")
# Aliases are listed with 、 or commas; "2,4-D丁酯" is one alias.
_ALIAS_SEPARATORS = re.compile(r"[、;；]|(?<!\d),|,(?!\d)")
_CONTENT = re.compile(r"^\d+(?:\.\d+)?%|\d+(?:\.\d+)?%$")
# Formulation names (剂型) that follow an active ingredient on a label; longest first, so that
# "可湿性粉剂" is removed rather than leaving "可湿性" behind "粉剂".
_FORMULATIONS = sorted(
    (
        "可湿性粉剂",
        "水分散粒剂",
        "悬浮种衣剂",
        "种子处理悬浮剂",
        "微囊悬浮剂",
        "可分散油悬浮剂",
        "可溶液剂",
        "可溶粉剂",
        "可溶粒剂",
        "可溶胶剂",
        "超低容量液剂",
        "悬乳剂",
        "悬浮剂",
        "微乳剂",
        "水乳剂",
        "乳油",
        "水剂",
        "粉剂",
        "颗粒剂",
        "烟剂",
        "熏蒸剂",
        "原药",
        "母药",
        "片剂",
        "注射液",
        "预混剂",
        "可溶性粉",
    ),
    key=len,
    reverse=True,
)


def normalise_name(value: str) -> str:
    """One name as compared: NFKC (full-width to half-width), case-folded, without blanks, a
    content figure or a formulation suffix. "２０％百草枯 水剂" -> "百草枯"."""
    text = unicodedata.normalize("NFKC", value).casefold()
    text = "".join(text.split())
    for _ in range(2):  # "20%百草枯水剂": the content first, then the suffix, or the reverse
        text = _CONTENT.sub("", text)
        for suffix in _FORMULATIONS:
            if text.endswith(suffix) and len(text) > len(suffix):
                text = text[: -len(suffix)]
                break
    return text.strip("-_.,")


def name_parts(value: str) -> list[str]:
    """The normalised names in a field that may list several ("吡虫啉+毒死蜱")."""
    text = unicodedata.normalize("NFKC", value)
    parts = [normalise_name(part) for part in _SEPARATORS.split(text)]
    whole = normalise_name(text)
    names = [p for p in parts if p]
    if whole and whole not in names:
        names.append(whole)
    return names


def substance_names(substance: RestrictedSubstance) -> set[str]:
    aliases = _ALIAS_SEPARATORS.split(unicodedata.normalize("NFKC", substance.aliases or ""))
    return {n for n in (normalise_name(x) for x in [substance.name, *aliases]) if n}


def forbidden_categories(substance: RestrictedSubstance) -> set[str]:
    return {c.strip() for c in substance.forbidden_categories.split(",") if c.strip()}


def applies_to(substance: RestrictedSubstance, category: str) -> bool:
    """An empty category list means every product (a pesticide banned outright); otherwise the
    substance is forbidden on those categories only (the veterinary list: food animals)."""
    categories = forbidden_categories(substance)
    return not categories or category in categories


def list_date_text(restriction_list: RestrictionList) -> str:
    """The list's date as the data file knows it. 1 January stands for "year only" (the 2019
    pesticide list: its day of publication is not verified), since the model has no field for
    the precision."""
    day = restriction_list.published_on
    if day.month == 1 and day.day == 1:
        return f"{day.year}年"
    return f"{day.year}年{day.month}月{day.day}日"


def list_citation(restriction_list: RestrictionList) -> str:
    """ "农业农村部公告第250号《食品动物中禁止使用的药品及其他化合物清单》，2019年12月27日"."""
    return (
        f"{restriction_list.source}《{restriction_list.title}》，{list_date_text(restriction_list)}"
    )


# --- Checking an input -----------------------------------------------------------------------


@dataclass(frozen=True)
class InputMatch:
    substance: RestrictedSubstance
    matched: str  # the name of the input that matched


def input_matches(*, names: Iterable[str], category: str) -> list[InputMatch]:
    """The listed substances that the given input names hit and that apply to a product of
    `category`: banned ones first."""
    wanted: dict[str, str] = {}
    for raw in names:
        for part in name_parts(raw or ""):
            wanted.setdefault(part, raw.strip())
    if not wanted:
        return []
    found: list[InputMatch] = []
    substances = RestrictedSubstance.objects.select_related("restriction_list").order_by(
        "kind", "restriction_list__published_on", "id"
    )
    for substance in substances:
        hit = next((n for n in substance_names(substance) if n in wanted), None)
        if hit is not None and applies_to(substance, category):
            found.append(InputMatch(substance, wanted[hit]))
    found.sort(key=lambda m: (m.substance.kind != RestrictionKind.BANNED,))
    return found


def input_check(*, names: Iterable[str], category: str) -> None:
    """Refuse a banned input (`input_banned`), or a restricted one on a product of a forbidden
    category (`input_restricted`); the message names the substance and the list. `names` are
    the input's name and its active ingredients, each possibly listing several."""
    matches = input_matches(names=names, category=category)
    if not matches:
        return
    first = matches[0]
    substance = first.substance
    citation = list_citation(substance.restriction_list)
    if substance.kind == RestrictionKind.BANNED:
        where = f"（{substance.scope}）" if substance.scope else ""
        raise ProductionError(
            "input_banned",
            f"「{first.matched}」含禁用物质「{substance.name}」{where}，依据{citation}，不得使用。",
        )
    category_label = ProductCategory(category).label if category in ProductCategory.values else ""
    raise ProductionError(
        "input_restricted",
        f"「{first.matched}」含限用物质「{substance.name}」，{substance.scope or '限制使用'}；"
        f"本产品属{category_label}类，依据{citation}，不得使用。",
    )


# --- Loading the lists -----------------------------------------------------------------------


@dataclass(frozen=True)
class RestrictionLoadResult:
    lists_created: int
    lists_updated: int
    substances_created: int
    substances_updated: int
    substances_deleted: int

    @property
    def changed(self) -> bool:
        return any(
            (
                self.lists_created,
                self.lists_updated,
                self.substances_created,
                self.substances_updated,
                self.substances_deleted,
            )
        )


def _invalid(message: str) -> ProductionError:
    return ProductionError("invalid_restriction_data", message)


def _parse_date(value: Any, where: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise _invalid(f"{where}：发布日期“{value}”应为 YYYY-MM-DD。") from exc


def _substance_values(raw: dict[str, Any], defaults: dict[str, str], where: str) -> dict[str, str]:
    name = str(raw.get("name", "")).strip()
    if not name:
        raise _invalid(f"{where}：缺少通用名。")
    kind = str(raw.get("kind", ""))
    if kind not in RestrictionKind.values:
        raise _invalid(f"{where}「{name}」：类别“{kind}”应为 banned 或 restricted。")
    category = str(raw.get("input_category") or defaults.get("input_category") or "pesticide")
    if category not in InputCategory.values:
        raise _invalid(f"{where}「{name}」：投入品类别“{category}”无效。")
    forbidden = str(raw.get("forbidden_categories", defaults.get("forbidden_categories", "")))
    unknown = [c for c in forbidden.split(",") if c.strip() and c.strip() not in ProductCategory]
    if unknown:
        raise _invalid(f"{where}「{name}」：品类代码 {'、'.join(unknown)} 无效。")
    scopes = [defaults.get("scope", ""), str(raw.get("scope", ""))]
    scope = "：".join(s for s in scopes if s)
    return {
        "aliases": str(raw.get("aliases", "")).strip()[:300],
        "kind": kind,
        "input_category": category,
        "scope": scope[:300],
        "forbidden_categories": ",".join(c.strip() for c in forbidden.split(",") if c.strip()),
    }


def _load_one(data: dict[str, Any], counts: dict[str, int]) -> None:
    title = str(data.get("title", "")).strip()
    source = str(data.get("source", "")).strip()
    if not title or not source:
        raise _invalid("每个名录都要有名称（title）和发布机关与文号（source）。")
    published_on = _parse_date(data.get("published_on"), title)
    restriction_list = RestrictionList.objects.filter(
        title=title, published_on=published_on
    ).first()
    list_values = {"source": source[:300], "url": str(data.get("url", ""))}
    if restriction_list is None:
        restriction_list = RestrictionList.objects.create(
            title=title, published_on=published_on, **list_values
        )
        counts["lists_created"] += 1
    elif any(getattr(restriction_list, k) != v for k, v in list_values.items()):
        for key, value in list_values.items():
            setattr(restriction_list, key, value)
        restriction_list.loaded_at = timezone.now()
        restriction_list.save()
        counts["lists_updated"] += 1
    defaults = {k: str(v) for k, v in dict(data.get("defaults") or {}).items()}
    existing = {s.name: s for s in restriction_list.substances.all()}
    seen: set[str] = set()
    for raw in data.get("substances", []):
        values = _substance_values(raw, defaults, title)
        name = str(raw["name"]).strip()
        if name in seen:
            raise _invalid(f"{title}：「{name}」重复。")
        seen.add(name)
        current = existing.get(name)
        if current is None:
            RestrictedSubstance.objects.create(
                restriction_list=restriction_list, name=name, **values
            )
            counts["substances_created"] += 1
        elif any(getattr(current, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(current, key, value)
            current.save()
            counts["substances_updated"] += 1
    gone = [s.pk for name, s in existing.items() if name not in seen]
    if gone:
        RestrictedSubstance.objects.filter(pk__in=gone).delete()
        counts["substances_deleted"] += len(gone)


@transaction.atomic
def restriction_lists_load(*, data: dict[str, Any]) -> RestrictionLoadResult:
    """Create or update the lists and their substances from the data file's content; a
    substance no longer in a list is removed from it. All or nothing; running it again changes
    nothing and writes no audit row."""
    lists = data.get("lists")
    if not isinstance(lists, list) or not lists:
        raise _invalid("数据文件中没有名录（lists）。")
    counts = dict.fromkeys(
        (
            "lists_created",
            "lists_updated",
            "substances_created",
            "substances_updated",
            "substances_deleted",
        ),
        0,
    )
    for entry in lists:
        _load_one(entry, counts)
    result = RestrictionLoadResult(**counts)
    if result.changed:
        audit_record(
            actor=None,
            action=AuditAction.IMPORT,
            object_type="production.restrictionlist",
            detail=(
                f"禁限用投入品名录：新增名录 {result.lists_created}、更新 {result.lists_updated}；"
                f"物质新增 {result.substances_created}、更新 {result.substances_updated}、"
                f"删除 {result.substances_deleted}"
            ),
        )
    return result


def restriction_lists_load_file(*, path: Path = DEFAULT_RESTRICTION_FILE) -> RestrictionLoadResult:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise _invalid(f"无法读取名录数据文件 {path}：{exc}") from exc
    return restriction_lists_load(data=data)
