"""Issue 5's demo records: for each product, the scale operator's harvest becomes a released
batch with its test report, label codes are issued under the agreement in force and part of
them bound to the batch, a 承诺达标合格证 is issued, part of the batch is sold on, and a small
label sheet is queued for the background worker (`make run` starts one).

清徐葡萄 gets the acceptance path of the issue: 10,000 codes issued, bound to the batch. The
first code of each product is printed by `load_demo`, so a scan can be tried at once.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from dibiao.producers.choices import AuthorizationStatus
from dibiao.producers.models import LabelAuthorization, Producer
from dibiao.production.choices import LogKind, TestResult
from dibiao.production.models import ProductionLog, TestReport
from dibiao.registry.models import GIProduct
from dibiao.trace import codes
from dibiao.trace.choices import CertificateBasis, LabelFormat, TraceStage
from dibiao.trace.models import Batch, CodeIssuance
from dibiao.trace.services.batches import batch_create, batch_release
from dibiao.trace.services.certificates import certificate_issue
from dibiao.trace.services.codes import codes_bind, issuance_create
from dibiao.trace.services.events import InputLine, event_record
from dibiao.trace.services.jobs import label_job_create

ACCEPTANCE_PRODUCT = "清徐葡萄"
ACCEPTANCE_CODES = 10_000
OTHER_CODES = 2_000
BOUND_SHARE = Decimal("0.6")
SHEET_LABELS = 40  # one A4 page
# The business phone printed on a demo certificate: a county landline pattern, not a mobile.
DEMO_CONTACT = "0351-0000000"


@dataclass
class TraceDemoResult:
    sample_codes: dict[str, str] = field(default_factory=dict)


def _origin() -> str:
    return f"http://127.0.0.1:{os.environ.get('PORT', '8000')}"


def trace_demo_load() -> TraceDemoResult:
    result = TraceDemoResult()
    # The acceptance product first: load_demo prints the first codes as examples.
    products = sorted(GIProduct.objects.all(), key=lambda p: (p.name != ACCEPTANCE_PRODUCT, p.name))
    for product in products:
        operator = Producer.objects.filter(products=product, is_scale_operator=True).first()
        if operator is None:
            continue
        issuance = CodeIssuance.objects.filter(producer=operator, product=product).first()
        if issuance is None:
            issuance = _load_product(product, operator)
        if issuance is not None:
            result.sample_codes[product.name] = codes.group(
                codes.encode(issuance.key_id, issuance.first_serial)
            )
    return result


def _load_product(product: GIProduct, operator: Producer) -> CodeIssuance | None:
    harvest = (
        ProductionLog.objects.filter(base__producer=operator, product=product, kind=LogKind.HARVEST)
        .order_by("-occurred_at")
        .first()
    )
    authorization = LabelAuthorization.objects.filter(
        producer=operator, product=product, status=AuthorizationStatus.APPROVED
    ).first()
    if harvest is None or authorization is None or not authorization.is_valid_today:
        return None
    report = TestReport.objects.filter(
        producer=operator, product=product, result=TestResult.PASS
    ).first()
    batch = batch_create(actor=None, harvest_logs=[harvest], reports=[report] if report else ())
    batch = batch_release(actor=None, batch=batch)
    count = ACCEPTANCE_CODES if product.name == ACCEPTANCE_PRODUCT else OTHER_CODES
    issuance = issuance_create(actor=None, authorization=authorization, count=count)
    bound = int(count * BOUND_SHARE)
    codes_bind(
        actor=None,
        issuance=issuance,
        first_serial=issuance.first_serial,
        last_serial=issuance.first_serial + bound - 1,
        batch=batch,
    )
    certificate_issue(
        actor=None,
        batch=batch,
        quantity=(batch.quantity / 4).quantize(Decimal("0.001")),
        basis=CertificateBasis.COMMISSIONED_TEST if report else CertificateBasis.QUALITY_CONTROL,
        contact=DEMO_CONTACT,
        test_report=report,
    )
    _sell_part(batch, operator)
    label_job_create(
        actor=None,
        issuance=issuance,
        first_serial=issuance.first_serial,
        last_serial=issuance.first_serial + SHEET_LABELS - 1,
        format=LabelFormat.PDF_A4,
        origin=_origin(),
    )
    return issuance


def _sell_part(batch: Batch, operator: Producer) -> None:
    """A tenth of the batch sold to a wholesale market a week after the harvest (or now, if the
    harvest was less than a week ago)."""
    when = min(
        timezone.make_aware(dt.datetime.combine(batch.harvest_date, dt.time(10)))
        + dt.timedelta(days=7),
        timezone.now() - dt.timedelta(minutes=1),
    )
    event_record(
        actor=None,
        producer=operator,
        stage=TraceStage.SALE,
        occurred_at=when,
        inputs=[InputLine(batch=batch, quantity=(batch.quantity / 10).quantize(Decimal("0.001")))],
        destination_name="太原市农产品批发市场（演示）",
        place=f"{operator.division.name}（演示）",
        notes="演示数据",
    )
