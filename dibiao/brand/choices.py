from django.db import models


class MediaLevel(models.TextChoices):
    """The level of a media outlet (媒体级别), as the plan's publicity quotas count it."""

    NATIONAL = "national", "国家级"
    PROVINCIAL = "provincial", "省级"
    CITY = "city", "市级"
    COUNTY = "county", "县级"


class EventLevel(models.TextChoices):
    """The level of an exhibition or promotion event; an expo may be international."""

    INTERNATIONAL = "international", "国际"
    NATIONAL = "national", "国家级"
    PROVINCIAL = "provincial", "省级"
    CITY = "city", "市级"
    COUNTY = "county", "县级"


class EventKind(models.TextChoices):
    EXPO = "expo", "展会"
    PROMOTION = "promotion", "推介活动"


class StoryStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    PUBLISHED = "published", "已发布"
