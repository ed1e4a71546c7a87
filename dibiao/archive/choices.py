from django.db import models


class ArchiveCategory(models.TextChoices):
    DOCUMENT = "document", "文件"
    PHOTO = "photo", "照片"
    CONTRACT_SCAN = "contract_scan", "合同扫描件"
    PAYMENT_VOUCHER = "payment_voucher", "支付凭证"
    MEETING_MINUTES = "meeting_minutes", "会议纪要"
    ACCEPTANCE = "acceptance", "验收材料"
    OTHER = "other", "其他"
