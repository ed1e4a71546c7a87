from django.db import models


class NoticeKind(models.TextChoices):
    SELECTION_RESULT = "selection_result", "遴选结果"
    FUND_ARRANGEMENT = "fund_arrangement", "资金安排"
    PROGRESS = "progress", "实施进展"
    OTHER = "other", "其他"


class NoticeStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    PUBLISHED = "published", "已发布"
    WITHDRAWN = "withdrawn", "已撤回"


class NoticePhase(models.TextChoices):
    """Where a notice stands today. Derived from its status and dates, never stored: a
    published notice is upcoming before its start date, open from start to end inclusive, and
    archived after its end date."""

    DRAFT = "draft", "草稿"
    UPCOMING = "upcoming", "待公示"
    OPEN = "open", "公示中"
    ARCHIVED = "archived", "已归档"
    WITHDRAWN = "withdrawn", "已撤回"


class ObjectionStatus(models.TextChoices):
    PENDING = "pending", "待答复"
    ANSWERED = "answered", "已答复"
