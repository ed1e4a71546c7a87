from django.db import models


class BatchStatus(models.TextChoices):
    OPEN = "open", "未放行"
    RELEASED = "released", "已放行"
    RECALLED = "recalled", "已召回"


class TraceStage(models.TextChoices):
    """The stages after the harvest (the harvest itself is the batch's creation)."""

    PURCHASE = "purchase", "收购"
    STORAGE = "storage", "储存"
    TRANSPORT = "transport", "运输"
    PROCESSING = "processing", "加工"
    SALE = "sale", "销售"


class SegmentState(models.TextChoices):
    ISSUED = "issued", "已发放（未激活）"
    ACTIVE = "active", "已激活（绑定批次）"
    VOIDED = "voided", "已作废"


class CodeStatus(models.TextChoices):
    """What a scan of a code finds, in the order the scan page puts first."""

    GENUINE = "genuine", "正品"
    UNKNOWN = "unknown", "无法识别的码"
    VOIDED = "voided", "已作废"
    NOT_ACTIVATED = "not_activated", "尚未激活"
    SUSPICIOUS = "suspicious", "疑似仿冒"


class LabelFormat(models.TextChoices):
    PDF_A4 = "pdf_a4", "PDF 标签页（A4，每页 40 枚）"
    PDF_ROLL_50X30 = "pdf_roll_50x30", "PDF 卷标（50×30 毫米）"
    CSV = "csv", "CSV（码与网址，工业标签打印机）"


class CertificateBasis(models.TextChoices):
    """承诺依据 of the 2025 rules on the 承诺达标合格证."""

    QUALITY_CONTROL = "quality_control", "质量安全控制符合要求"
    SELF_TESTED = "self_tested", "自行检测合格"
    COMMISSIONED_TEST = "commissioned_test", "委托检测合格"


class CertificateStatus(models.TextChoices):
    ISSUED = "issued", "有效"
    VOIDED = "voided", "已作废"


class AlertKind(models.TextChoices):
    TOO_MANY_SCANS = "too_many_scans", "同一码查询次数过多"
    TOO_MANY_NETWORKS = "too_many_networks", "同一码在过多网络中被查询"
    IMPOSSIBLE_TRAVEL = "impossible_travel", "短时间内异地查询"
    MAC_FAILURE = "mac_failure", "伪造码（校验失败）"
    VOIDED_SCAN = "voided_scan", "已作废码被查询"
    OVER_LABELLING = "over_labelling", "用标数量超过采收量"


class AlertStatus(models.TextChoices):
    OPEN = "open", "待处理"
    CLOSED = "closed", "已处理"
