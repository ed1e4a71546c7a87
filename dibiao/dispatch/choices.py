from django.db import models


class ReportKind(models.TextChoices):
    """一月一调度、一季一小结、全年一总结."""

    MONTHLY = "monthly", "月报"
    QUARTERLY = "quarterly", "季度小结"
    ANNUAL = "annual", "年度总结"


class ReportStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "已报送"
    RETURNED = "returned", "已退回"


class SubmissionState(models.TextChoices):
    """Where one reporting period of one allocation stands (the submission matrix, the table).
    Derived from the report (if any), its due date and today; never stored."""

    ON_TIME = "on_time", "按时报送"
    LATE = "late", "迟报"
    MISSING = "missing", "未报"
    RETURNED = "returned", "退回修改"
    PENDING = "pending", "未到期"


class NoticeStatus(models.TextChoices):
    """A notice of criticism (通报) and its rectification (限期改正). "Overdue" is not a status:
    it is derived (open and past the deadline)."""

    OPEN = "open", "整改中"
    RECTIFIED = "rectified", "已整改（待验收）"
    CLOSED = "closed", "已销号"
