from django.db import models


class ApplicationStatus(models.TextChoices):
    """The application's steps (section 二 of the plan): 县农业农村局申报 → 县人民政府审核确认 →
    市农业农村局推荐 → 省级专家评审 → 省级确定. The transitions are declared in workflow.py."""

    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "已提交（待县政府审核确认）"
    CONFIRMED = "confirmed", "县政府已确认（待市推荐）"
    RECOMMENDED = "recommended", "市已推荐"
    UNDER_REVIEW = "under_review", "专家评审中"
    SCORED = "scored", "评审完成"
    SELECTED = "selected", "已入选"
    NOT_SELECTED = "not_selected", "未入选"
    RETURNED = "returned", "已退回"
    WITHDRAWN = "withdrawn", "已撤回"


class AssignmentStatus(models.TextChoices):
    ASSIGNED = "assigned", "待评分"
    SUBMITTED = "submitted", "已提交评分"
    RECUSED = "recused", "已回避"
