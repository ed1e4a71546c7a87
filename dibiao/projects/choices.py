from django.db import models


class ProgramStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    OPEN = "open", "申报中"
    REVIEWING = "reviewing", "评审中"
    IMPLEMENTING = "implementing", "实施中"
    CLOSED = "closed", "已结束"


class ImplementationArea(models.TextChoices):
    """The implementation content of section 三 of the plan (实施内容)."""

    PRODUCTION = "production", "增强综合生产能力"
    QUALITY = "quality", "提升产品质量和特色品质"
    BRAND = "brand", "加强品牌建设"
    DIGITAL = "digital", "身份标识化和全程数字化"
    MANAGEMENT = "management", "项目管理"


class TargetPeriod(models.TextChoices):
    PROGRAM = "program", "项目期"
    YEAR = "year", "每年"
    QUARTER = "quarter", "每季度"


class ContractStatus(models.TextChoices):
    ACTIVE = "active", "履行中"
    COMPLETED = "completed", "已完成"
    TERMINATED = "terminated", "已终止"


class EntryKind(models.TextChoices):
    PAYMENT = "payment", "支出"
    REVERSAL = "reversal", "冲销"


class EntryStatus(models.TextChoices):
    PENDING = "pending", "待审核"
    APPROVED = "approved", "已审核"
    REJECTED = "rejected", "已退回"
