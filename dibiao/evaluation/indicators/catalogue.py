"""The indicator catalogue (指标体系): each indicator's code, name, unit, period, target and
computation. Targets the plan sets per product are the program's own (`ProgramTarget`, copied
from `projects.targets.PLAN_TARGETS` when the program is created and adjustable there): an
indicator names that target's code and takes its value. The others carry their target here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from dibiao.evaluation.choices import Comparison, IndicatorPeriod
from dibiao.evaluation.indicators import brand, management, production, trace
from dibiao.evaluation.indicators.base import Context, Measure
from dibiao.projects.choices import ImplementationArea as Area
from dibiao.projects.targets import PLAN_TARGETS

Computation = Callable[[Context], dict[int, Measure]]


@dataclass(frozen=True)
class Indicator:
    code: str
    name: str
    area: Area
    unit: str
    period: IndicatorPeriod
    comparison: Comparison
    compute: Computation
    # The ProgramTarget (and PLAN_TARGETS) code whose value is the target, if the plan sets one.
    target_code: str = ""
    # The target where the plan sets none (or the program lacks the row).
    default_target: Decimal | None = None
    # What the figure is, for the pages and docs/evaluation.md.
    computation: str = ""
    evidence: str = ""

    @property
    def comparison_label(self) -> str:
        return str(self.comparison.label)


def _plan(code: str) -> Decimal:
    return next(t.value for t in PLAN_TARGETS if t.code == code)


P, Y, Q, M = (
    IndicatorPeriod.PROGRAM,
    IndicatorPeriod.YEAR,
    IndicatorPeriod.QUARTER,
    IndicatorPeriod.MONTH,
)
GE, LE = Comparison.GE, Comparison.LE

CATALOGUE: tuple[Indicator, ...] = (
    Indicator(
        "core_base",
        "核心生产基地或特色品种繁育基地",
        Area.PRODUCTION,
        "个",
        P,
        GE,
        production.core_bases,
        target_code="core_base",
        computation="该产品在用或在建的核心生产基地、特色品种繁育基地个数（生产基地名录）",
        evidence="生产基地",
    ),
    Indicator(
        "scale_operator",
        "规模生产经营主体",
        Area.PRODUCTION,
        "个",
        P,
        GE,
        production.scale_operators,
        target_code="scale_operator",
        computation="生产该产品、状态正常、标为规模生产经营主体的主体个数（主体名录）",
        evidence="生产经营主体",
    ),
    Indicator(
        "farmers_driven",
        "带动农户",
        Area.PRODUCTION,
        "人",
        P,
        GE,
        production.farmers_driven,
        target_code="farmers_driven",
        computation="生产该产品的主体填报的带动人数之和，取工程年度以来最近一个填报年度",
        evidence="带动农户情况（按主体、年度）",
    ),
    Indicator(
        "income_growth",
        "带动农户人均收入年增幅",
        Area.PRODUCTION,
        "%",
        Y,
        GE,
        production.income_growth,
        target_code="income_growth",
        computation="最近填报年度与上一年度相比，带动农户人均可支配收入（按人数加权）的增幅；"
        "只计两年都填报的主体",
        evidence="带动农户情况（两个年度）",
    ),
    Indicator(
        "training",
        "按标生产培训",
        Area.QUALITY,
        "人次",
        Y,
        GE,
        production.training,
        target_code="training",
        computation="工程年度内该产品培训的参训人数之和（培训人次）",
        evidence="培训记录",
    ),
    Indicator(
        "quality_test",
        "质量安全检验检测和营养品质评价",
        Area.QUALITY,
        "次",
        P,
        GE,
        production.quality_tests,
        target_code="quality_test",
        computation="项目期内该产品的检测报告份数（质量安全检测与营养品质评价）",
        evidence="检测报告",
    ),
    Indicator(
        "production_logs",
        "生产日志",
        Area.QUALITY,
        "条",
        P,
        GE,
        production.production_logs,
        default_target=Decimal(1),
        computation="项目期内该产品各基地已完成的生产日志条数",
        evidence="生产日志",
    ),
    Indicator(
        "promo_video",
        "农产品地理标志宣传片",
        Area.BRAND,
        "部",
        P,
        GE,
        brand.promo_videos,
        target_code="promo_video",
        computation="截至取数日已发布的该产品宣传片部数（制作一部即达标）",
        evidence="宣传片",
    ),
    Indicator(
        "national_media",
        "国家级媒体报道",
        Area.BRAND,
        "篇",
        P,
        GE,
        brand.national_media,
        target_code="national_media",
        computation="项目期内国家级媒体对该产品的报道篇数",
        evidence="媒体报道（国家级）",
    ),
    Indicator(
        "provincial_media_quarter",
        "省级媒体报道（每季度）",
        Area.BRAND,
        "篇",
        Q,
        GE,
        brand.provincial_media_quarter,
        target_code="provincial_media_quarter",
        computation="工程年度已结束的各季度中省级媒体报道最少的季度的篇数（每季度不少于 1 篇）",
        evidence="媒体报道（省级）",
    ),
    Indicator(
        "provincial_media_year",
        "省级媒体报道（全年）",
        Area.BRAND,
        "篇",
        Y,
        GE,
        brand.provincial_media_year,
        target_code="provincial_media_year",
        computation="工程年度内省级媒体对该产品的报道篇数",
        evidence="媒体报道（省级）",
    ),
    Indicator(
        "expos",
        "参加全国性、全省性展会及推介活动",
        Area.BRAND,
        "次",
        P,
        GE,
        brand.expos,
        target_code="expos",
        computation="项目期内开始、展示了该产品的国际、国家级、省级展会和推介活动次数",
        evidence="展会/推介活动",
    ),
    Indicator(
        "funds_passed_down",
        "资金及时拨付",
        Area.MANAGEMENT,
        "天",
        P,
        LE,
        management.funds_passed_down,
        default_target=Decimal(management.PASS_DOWN_DAYS),
        computation="资金下达日期到首笔已审核支出（拨付承担单位）的天数；尚未拨付的计到取数日",
        evidence="资金分配与首笔支出",
    ),
    Indicator(
        "funds_execution",
        "资金执行率（年底）",
        Area.MANAGEMENT,
        "%",
        Y,
        GE,
        management.funds_execution,
        default_target=Decimal(90),
        computation="截至工程年度年底（或取数日）已审核支出净额占补助资金的比例",
        evidence="资金台账",
    ),
    Indicator(
        "monthly_reports",
        "月报按时报送",
        Area.MANAGEMENT,
        "%",
        M,
        GE,
        management.monthly_reports,
        default_target=Decimal(100),
        computation="截止日期在取数日之前的月报中按时报送的比例（退回未重报的计为未报）",
        evidence="进展调度月报",
    ),
    Indicator(
        "annual_summary",
        "年度总结按期报送",
        Area.MANAGEMENT,
        "天",
        Y,
        LE,
        management.annual_summary,
        default_target=Decimal(0),
        computation="年度总结晚于截止日期的天数（按时报送为 0；逾期未报的计到取数日）",
        evidence="年度总结",
    ),
    Indicator(
        "supervision_visits",
        "督导检查",
        Area.MANAGEMENT,
        "次",
        P,
        GE,
        management.supervision_visits,
        default_target=Decimal(1),
        computation="截至取数日本工程对实施地区的督导检查次数",
        evidence="督导检查记录",
    ),
    Indicator(
        "label_use_producers",
        "用标率（主体）",
        Area.DIGITAL,
        "%",
        P,
        GE,
        trace.label_use_producers,
        default_target=Decimal(50),
        computation="取数日持有该产品有效授权的主体占生产该产品的正常主体的比例",
        evidence="标志使用授权",
    ),
    Indicator(
        "label_use_codes",
        "用标率（标签）",
        Area.DIGITAL,
        "%",
        P,
        GE,
        trace.label_use_codes,
        default_target=Decimal(50),
        computation="工程年度以来授权协议下已激活（绑定批次）的标签码占授权数量的比例",
        evidence="标签码发放",
    ),
    Indicator(
        "certificates",
        "承诺达标合格证开具",
        Area.DIGITAL,
        "张",
        P,
        GE,
        trace.certificates,
        default_target=Decimal(1),
        computation="项目期内该产品批次开具且未作废的承诺达标合格证张数",
        evidence="合格证",
    ),
    Indicator(
        "trace_coverage",
        "追溯覆盖率",
        Area.DIGITAL,
        "%",
        P,
        GE,
        trace.trace_coverage,
        default_target=Decimal(80),
        computation="项目期内采收的批次（由采收记录生成）中已绑定标签码的比例",
        evidence="批次",
    ),
)

BY_CODE: dict[str, Indicator] = {indicator.code: indicator for indicator in CATALOGUE}


def plan_target(indicator: Indicator) -> Decimal | None:
    """The target before any program adjusts it: the plan's, else the catalogue's."""
    if indicator.target_code:
        return _plan(indicator.target_code)
    return indicator.default_target
