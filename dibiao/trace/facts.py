"""The facts a scan shows: the one builder behind the scan page `/t/<code>` and
`GET /api/v1/trace/<code>`, so the two can never disagree.

What a batch shows (product, producer, base, harvest, grade, tests, 合格证, timeline, recall) is
built once per batch version and kept in the Django cache: `batch_touch` bumps the version
whenever any of it changes, so a cached entry is never stale for the batch's own facts, and the
entries expire after `FACTS_SECONDS` so that edits elsewhere (a product's story) show up too.
A busy code then costs one cache read here. The parts that change with every scan — the
status (an open counterfeit alert makes a genuine code `suspicious`) and the scan count — are
added per request.

The batch's place in the ledger ("已记入区块链账本（第 N 号）") is cached with the rest once its
leaf has an index; while the leaf still waits for the sequencer (seconds, after the release or
recall that queued it) it is read again on every scan, so "正在记入账本" never goes stale.

Everything here is JSON-able and public: names of entities, bases and counties, never a person,
a phone number or an address of a household.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from dibiao.core.masking import mask_numbers_in_text
from dibiao.core.models import Division
from dibiao.ledger.selectors import record_mark
from dibiao.producers.models import Producer, ProductionBase
from dibiao.production.models import TestReport
from dibiao.registry.choices import ProductStatus
from dibiao.registry.models import GIProduct
from dibiao.trace import codes
from dibiao.trace.choices import CertificateStatus, CodeStatus
from dibiao.trace.counterfeit import AlertState, ScanCounts, alert_state
from dibiao.trace.lineage import batch_timeline, upstream_ids
from dibiao.trace.lookup import CodeCheck
from dibiao.trace.models import Batch, CodeIssuance, ComplianceCertificate
from dibiao.trace.selectors.scans import scan_counts

FACTS_SECONDS = 600
STORY_CHARS = 160
MAX_TEST_REPORTS = 3
MAX_TEST_ITEMS = 6
MAX_CERTIFICATES = 3
REPORT_HOTLINE = "12316"

# What each status tells the consumer first, and what to do.
VERDICTS: dict[str, tuple[str, str]] = {
    CodeStatus.GENUINE: (
        "这是经登记发放、已绑定产品批次的地理标志追溯码",
        "请核对包装上的产品名称、生产经营主体和批次号与下方信息一致。",
    ),
    CodeStatus.UNKNOWN: (
        "系统中没有这个追溯码",
        "如果是手工输入的，请对照标签逐位核对。如果是扫码得到的，这枚标签可能是仿冒的："
        f"请勿购买，并向当地农业农村部门或拨打 {REPORT_HOTLINE} 反映。",
    ),
    CodeStatus.VOIDED: (
        "这个追溯码已被注销",
        "作废的标签不应再出现在销售的产品上。请勿购买，并向当地农业农村部门或拨打 "
        f"{REPORT_HOTLINE} 反映。",
    ),
    CodeStatus.NOT_ACTIVATED: (
        "这个追溯码已发放，但还没有绑定产品批次",
        "正规产品的标签在上市前绑定批次。如果您已买到贴有此码的产品，请向销售者核实，或拨打 "
        f"{REPORT_HOTLINE} 反映。",
    ),
    CodeStatus.SUSPICIOUS: (
        "这个追溯码的查询情况异常，可能被复制",
        "这个码被异常频繁或在相距很远的地方查询，标签可能被复制。请仔细核对包装与下方信息，"
        f"谨慎购买；如有疑问请向当地农业农村部门或拨打 {REPORT_HOTLINE} 反映。",
    ),
}


def _facts_key(batch: Batch) -> str:
    return f"trace:facts:{batch.pk}:{batch.version}"


def _issuance_key(issuance_id: int) -> str:
    return f"trace:issuance-facts:{issuance_id}"


def _place(division: Division | None) -> str:
    if division is None:
        return ""
    parent = division.parent
    if division.level == "county" and parent is not None:
        return f"{parent.name}{division.name}"
    return division.name


def _number(value: Any) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _product(product: GIProduct) -> dict[str, Any]:
    public = product.status == ProductStatus.REGISTERED
    return {
        "name": product.name,
        "category": str(product.get_category_display()),
        "certificate_number": product.certificate_number,
        "summary": _short(product.quality_characteristics, STORY_CHARS),
        "story": _short(product.story, STORY_CHARS),
        "url": reverse("registry:public-product-detail", args=[product.pk]) if public else "",
    }


def _producer(producer: Producer) -> dict[str, Any]:
    return {"name": producer.name, "county": _place(producer.division)}


def _base(base: ProductionBase | None) -> dict[str, Any] | None:
    if base is None:
        return None
    return {"name": base.name, "county": _place(base.division)}


def _limit(low: Decimal | None, high: Decimal | None) -> str:
    """The item's limit as printed on a report: "≤ 0.5", "≥ 16", "10～20" (empty: none)."""
    if low is not None and high is not None:
        return f"{_number(low)}～{_number(high)}"
    if high is not None:
        return f"≤ {_number(high)}"
    if low is not None:
        return f"≥ {_number(low)}"
    return ""


def _tests(batch: Batch) -> list[dict[str, Any]]:
    batch_ids = [batch.pk, *upstream_ids(batch)]
    reports = (
        TestReport.objects.filter(batches__in=batch_ids)
        .distinct()
        .select_related("lab")
        .prefetch_related("items")
        .order_by("-tested_on", "-id")[:MAX_TEST_REPORTS]
    )
    out = []
    for report in reports:
        # The key items: any that failed first, then the safety items, in the report's order.
        items = sorted(report.items.all(), key=lambda i: (i.passed, i.category != "safety", i.pk))
        out.append(
            {
                "report_number": report.report_number,
                "kind": str(report.get_kind_display()),
                "result": report.result,
                "result_label": str(report.get_result_display()),
                "lab": report.lab.name,
                "tested_on": report.tested_on.isoformat(),
                "items": [
                    {
                        "name": item.name,
                        "value": _number(item.value),
                        "unit": item.unit,
                        "limit": _limit(item.limit_min, item.limit_max),
                        "passed": item.passed,
                    }
                    for item in items[:MAX_TEST_ITEMS]
                ],
                "items_total": len(items),
            }
        )
    return out


def _certificate_url(number: str) -> str:
    try:
        return reverse("trace-public:certificate-public", args=[number])
    except NoReverseMatch:  # a deployment without the public certificate page
        return ""


def _certificates(batch: Batch) -> list[dict[str, Any]]:
    rows = ComplianceCertificate.objects.filter(
        batch=batch, status=CertificateStatus.ISSUED
    ).order_by("-issued_at", "-id")[:MAX_CERTIFICATES]
    return [
        {
            "number": c.number,
            "basis": c.basis,
            "basis_label": str(c.get_basis_display()),
            "issued_at": timezone.localtime(c.issued_at).date().isoformat(),
            "url": _certificate_url(c.number),
        }
        for c in rows
    ]


def _timeline(batch: Batch) -> list[dict[str, Any]]:
    # The place, the counterparts (来源方, 去向方) and a harvest log's title are typed in as
    # free text, where a buyer's mobile or ID number can end up: masked on the public side.
    return [
        {
            "when": timezone.localtime(entry.when).isoformat(timespec="minutes"),
            "stage": entry.stage,
            "who": mask_numbers_in_text(entry.who),
            "place": mask_numbers_in_text(entry.place),
            "description": mask_numbers_in_text(entry.description),
        }
        for entry in batch_timeline(batch)
    ]


def batch_facts(batch: Batch) -> dict[str, Any]:
    """The cacheable part of a genuine code's facts (built from the database)."""
    batch = Batch.objects.select_related(
        "product",
        "producer__division__parent",
        "base__division__parent",
        "grade",
    ).get(pk=batch.pk)
    recalled = batch.status == "recalled"
    return {
        "product": _product(batch.product),
        "producer": _producer(batch.producer),
        "base": _base(batch.base),
        "batch": {
            "number": batch.number,
            "harvest_date": batch.harvest_date.isoformat(),
            "quantity": _number(batch.quantity),
            "unit": batch.unit,
            "grade": batch.grade.name if batch.grade else "",
            "status": batch.status,
            "status_label": str(batch.get_status_display()),
        },
        "recall": {
            "recalled_at": (
                timezone.localtime(batch.recalled_at).date().isoformat()
                if batch.recalled_at
                else ""
            ),
            "reason": mask_numbers_in_text(batch.recall_reason),
        }
        if recalled
        else None,
        "tests": _tests(batch),
        "certificates": _certificates(batch),
        "timeline": _timeline(batch),
        "ledger": record_mark(batch),
    }


def _ledger_pending(facts: dict[str, Any]) -> bool:
    mark = facts.get("ledger")
    return bool(mark and mark["pending"])


def cached_batch_facts(batch: Batch) -> dict[str, Any]:
    """`batch_facts` through the cache, keyed by the batch's version (`batch` must carry
    the version it has in the database)."""
    key = _facts_key(batch)
    facts: dict[str, Any] | None = cache.get(key)
    if facts is None:
        facts = batch_facts(batch)
        cache.set(key, facts, FACTS_SECONDS)
    elif _ledger_pending(facts):
        # The sequencer gives the leaf its index without touching the batch's version: ask
        # again, and once it has one keep it in the cached facts.
        facts["ledger"] = record_mark(batch)
        if not _ledger_pending(facts):
            cache.set(key, facts, FACTS_SECONDS)
    return facts


def _issuance_facts(issuance: CodeIssuance) -> dict[str, Any]:
    key = _issuance_key(issuance.pk)
    facts: dict[str, Any] | None = cache.get(key)
    if facts is None:
        row = CodeIssuance.objects.select_related("product", "producer__division__parent").get(
            pk=issuance.pk
        )
        facts = {"product": _product(row.product), "producer": _producer(row.producer)}
        cache.set(key, facts, FACTS_SECONDS)
    return facts


def _empty() -> dict[str, Any]:
    return {
        "product": None,
        "producer": None,
        "base": None,
        "batch": None,
        "recall": None,
        "tests": [],
        "certificates": [],
        "timeline": [],
        "ledger": None,
    }


def _body(check: CodeCheck) -> dict[str, Any]:
    segment = check.segment
    body = _empty()
    if segment is None:
        return body
    if check.status == CodeStatus.GENUINE and segment.batch is not None:
        body.update(cached_batch_facts(segment.batch))
    elif check.status == CodeStatus.NOT_ACTIVATED:
        body.update(_issuance_facts(segment.issuance))
    elif check.status == CodeStatus.VOIDED:
        # Enough to report it (which product the label was printed for), nothing more.
        body["product"] = _issuance_facts(segment.issuance)["product"]
    return body


def verified_serial(check: CodeCheck) -> int | None:
    """The serial of a code whose MAC verified (a forged code's serial is the forger's)."""
    if check.parsed is None or check.mac_failed:
        return None
    return check.parsed.serial


def scan_facts(
    check: CodeCheck,
    *,
    counts: ScanCounts | None = None,
    state: AlertState | None = None,
) -> dict[str, Any]:
    """The JSON-able facts of a checked code. `counts` and `state` are the scan's own when the
    caller has them (the scan service has just read them); otherwise they are read here."""
    serial = verified_serial(check)
    if serial is not None:
        counts = counts if counts is not None else scan_counts(serial=serial)
        state = state if state is not None else alert_state(serial)
    status = str(check.status)
    if status in (CodeStatus.GENUINE, CodeStatus.NOT_ACTIVATED) and state and state.suspicious:
        status = CodeStatus.SUSPICIOUS
    headline, advice = VERDICTS[status]
    facts: dict[str, Any] = {
        "status": status,
        "status_label": str(CodeStatus(status).label),
        "headline": headline,
        "advice": advice,
        "code": codes.group(check.code) if check.code else "",
    }
    facts.update(_body(check))
    facts["scans"] = (
        {
            "count": counts.count,
            "first_at": (
                timezone.localtime(counts.first_at).isoformat(timespec="minutes")
                if counts.first_at
                else ""
            ),
        }
        if serial is not None and counts is not None
        else None
    )
    return facts
