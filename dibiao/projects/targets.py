"""The per-product targets of section 三 of the 2021 plan: the template a new program starts
from (a program may then adjust its own copy)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from dibiao.projects.choices import ImplementationArea as Area
from dibiao.projects.choices import TargetPeriod as Period


@dataclass(frozen=True)
class TargetTemplate:
    code: str
    name: str
    area: Area
    value: Decimal
    unit: str
    period: Period


PLAN_TARGETS: tuple[TargetTemplate, ...] = (
    TargetTemplate(
        "core_base",
        "核心生产基地或特色品种繁育基地",
        Area.PRODUCTION,
        Decimal(1),
        "个",
        Period.PROGRAM,
    ),
    TargetTemplate(
        "scale_operator", "培育规模生产经营主体", Area.PRODUCTION, Decimal(1), "个", Period.PROGRAM
    ),
    TargetTemplate(
        "farmers_driven", "带动农户", Area.PRODUCTION, Decimal(500), "人", Period.PROGRAM
    ),
    TargetTemplate(
        "income_growth", "人均收入年增幅", Area.PRODUCTION, Decimal(10), "%", Period.YEAR
    ),
    TargetTemplate("training", "按标生产培训", Area.QUALITY, Decimal(500), "人次", Period.YEAR),
    TargetTemplate(
        "quality_test",
        "质量安全检验检测和营养品质评价",
        Area.QUALITY,
        Decimal(1),
        "次",
        Period.PROGRAM,
    ),
    TargetTemplate(
        "promo_video", "农产品地理标志宣传片", Area.BRAND, Decimal(1), "部", Period.PROGRAM
    ),
    TargetTemplate(
        "expos", "参加全国性、全省性展会及推介活动", Area.BRAND, Decimal(1), "次", Period.PROGRAM
    ),
    TargetTemplate(
        "national_media", "国家级媒体报道", Area.BRAND, Decimal(1), "篇", Period.PROGRAM
    ),
    TargetTemplate(
        "provincial_media_quarter",
        "省级媒体报道（每季度）",
        Area.BRAND,
        Decimal(1),
        "篇",
        Period.QUARTER,
    ),
    TargetTemplate(
        "provincial_media_year", "省级媒体报道（全年）", Area.BRAND, Decimal(4), "篇", Period.YEAR
    ),
    TargetTemplate(
        "county_gi_map", "县级地理标志一张图", Area.DIGITAL, Decimal(1), "张", Period.PROGRAM
    ),
    TargetTemplate(
        "platform", "数字化基础信息平台", Area.DIGITAL, Decimal(1), "个", Period.PROGRAM
    ),
    TargetTemplate(
        "traceability", "质量标识和可追溯管理", Area.DIGITAL, Decimal(1), "项", Period.PROGRAM
    ),
    TargetTemplate(
        "certificate_system",
        "食用农产品达标合格证制度",
        Area.DIGITAL,
        Decimal(1),
        "项",
        Period.PROGRAM,
    ),
)
