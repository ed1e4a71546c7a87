from django.db import models


class LogKind(models.TextChoices):
    """The log types of farmOS, in the plan's words."""

    ACTIVITY = "activity", "农事活动"
    INPUT = "input", "投入品使用"
    SEEDING = "seeding", "播种/定植"
    HARVEST = "harvest", "采收"
    OBSERVATION = "observation", "田间观察"
    MAINTENANCE = "maintenance", "设施维护"


class LogStatus(models.TextChoices):
    PENDING = "pending", "计划"
    DONE = "done", "已完成"


class InputCategory(models.TextChoices):
    PESTICIDE = "pesticide", "农药"
    FERTILIZER = "fertilizer", "肥料"
    VETERINARY_DRUG = "veterinary_drug", "兽药"
    FEED = "feed", "饲料及添加剂"
    OTHER = "other", "其他"


class RestrictionKind(models.TextChoices):
    BANNED = "banned", "禁止使用"
    RESTRICTED = "restricted", "限制使用"


class TestKind(models.TextChoices):
    SAFETY = "safety", "质量安全检测"
    NUTRITION = "nutrition", "营养品质评价"


class TestResult(models.TextChoices):
    PASS = "pass", "合格"
    FAIL = "fail", "不合格"


class TestItemCategory(models.TextChoices):
    SAFETY = "safety", "安全指标"
    NUTRITION = "nutrition", "营养品质指标"
    SENSORY = "sensory", "感官指标"
