from django.db import models


class IndicatorPeriod(models.TextChoices):
    """What an indicator's figure covers. The program is annual (its reporting calendar is the
    program's year): a year, quarter or month is one of the program's year; the program period
    runs from 1 January of that year to the cut-off date (`as_of`)."""

    PROGRAM = "program", "项目期"
    YEAR = "year", "年度"
    QUARTER = "quarter", "每季度"
    MONTH = "month", "每月"


class Comparison(models.TextChoices):
    GE = "ge", "≥"
    LE = "le", "≤"
    EQ = "eq", "="


class IndicatorStatus(models.TextChoices):
    MET = "met", "达标"
    NOT_MET = "not_met", "未达标"
    NO_DATA = "no_data", "无数据"


class ItemMethod(models.TextChoices):
    COMPUTED = "computed", "按指标计算"
    MANUAL = "manual", "评价人评分"


class ScoringRule(models.TextChoices):
    """How a computed item turns indicator values into points (dibiao/evaluation/rules.py)."""

    FUNDS = "funds", "资金拨付与执行（按期拨付、年底执行率）"
    EACH_MET = "each_met", "逐项达标计分"
    PROPORTIONAL = "proportional", "按完成程度计分"


class RoundLevel(models.TextChoices):
    CITY = "city", "市级绩效考评"
    PROVINCE = "province", "省级综合评价"


class RoundStatus(models.TextChoices):
    """draft: scores are computed and entered; published: locked, the evaluated may appeal;
    closed: appeals are over, the result is final."""

    DRAFT = "draft", "评分中"
    PUBLISHED = "published", "已公布（申诉期）"
    CLOSED = "closed", "已定案"


class AppealStatus(models.TextChoices):
    PENDING = "pending", "待处理"
    ACCEPTED = "accepted", "已采纳"
    REJECTED = "rejected", "已驳回"
