from django.db import models


class ProductCategory(models.TextChoices):
    """The six categories (六大品类) of agricultural GI products."""

    GRAIN_OIL = "grain_oil", "粮油"
    FRUIT_TEA = "fruit_tea", "果茶"
    VEGETABLE = "vegetable", "蔬菜"
    MEDICINAL = "medicinal", "中药材"
    LIVESTOCK = "livestock", "畜禽"
    AQUATIC = "aquatic", "水产"


class ProductStatus(models.TextChoices):
    REGISTERED = "registered", "已登记"
    CANCELLED = "cancelled", "已注销"


class DocumentKind(models.TextChoices):
    TECHNICAL_STANDARD = "technical_standard", "生产技术规程/标准"
    QUALITY_SPEC = "quality_spec", "质量控制技术规范"
    CERTIFICATE = "certificate", "登记证书"
    OTHER = "other", "其他"


class RegulationStatus(models.TextChoices):
    CURRENT = "current", "现行"
    SUPERSEDED = "superseded", "已替代"
