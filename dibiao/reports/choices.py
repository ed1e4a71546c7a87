from django.db import models


class ReportJobKind(models.TextChoices):
    """The program's reports (issue 8, item 5); the period is a quarter or a month."""

    ANNUAL = "annual", "年度工作总结"
    QUARTERLY = "quarterly", "季度工作小结"
    MONTHLY = "monthly", "月度进展调度表"


class ReportFormat(models.TextChoices):
    DOCX = "docx", "Word"
    XLSX = "xlsx", "Excel"
