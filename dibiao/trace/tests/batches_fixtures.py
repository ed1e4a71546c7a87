"""Helpers for the batch, trace-event and lineage tests (plain functions: pytest loads fixtures
only from conftest.py, which is shared). A farm is a producer login in a county with one base of
a product of that county; logs are written straight to the table (the production app's rules
are its own tests' business)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.test import Client
from rest_framework.test import APIClient

from dibiao.accounts.models import Organization, User
from dibiao.core.models import Division
from dibiao.producers.models import Producer, ProductionBase
from dibiao.production.models import ProductionLog, TestReport
from dibiao.production.tests import report_fixtures
from dibiao.registry.models import GIProduct
from dibiao.testing.factories import ProductFactory, producer_user, production_base
from dibiao.trace.models import Batch, TraceEvent
from dibiao.trace.services import batches, events
from dibiao.trace.services.events import InputLine, OutputLine

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: str, hour: int = 9) -> dt.datetime:
    """A local (Asia/Shanghai) time on `day` ("2026-05-01")."""
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), tzinfo=SHANGHAI)


@dataclass
class Farm:
    user: User
    producer: Producer
    base: ProductionBase
    product: GIProduct


def farm(division: Division, product: GIProduct | None = None, *, name: str | None = None) -> Farm:
    product = product or ProductFactory.create(divisions=[division])
    login, entry = producer_user(division, products=[product], **({"name": name} if name else {}))
    return Farm(login, entry, production_base(entry, product, name=f"{entry.name}基地"), product)


def second_base(f: Farm, name: str = "二号基地") -> ProductionBase:
    return production_base(f.producer, f.product, name=name)


def harvest(
    f: Farm,
    day: str = "2026-09-01",
    *,
    quantity: str | None = "500",
    unit: str = "千克",
    status: str = "done",
    base: ProductionBase | None = None,
    product: GIProduct | None = None,
    kind: str = "harvest",
) -> ProductionLog:
    return ProductionLog.objects.create(
        kind=kind,
        occurred_at=at(day, 10),
        base=base or f.base,
        product=product or f.product,
        title="采收" if kind == "harvest" else "田间作业",
        operator="王师傅",
        quantity=Decimal(quantity) if quantity is not None else None,
        unit=unit,
        status=status,
    )


def input_log(
    f: Farm, day: str, name: str = "吡虫啉", *, base: ProductionBase | None = None
) -> ProductionLog:
    return ProductionLog.objects.create(
        kind="input",
        occurred_at=at(day, 8),
        base=base or f.base,
        product=f.product,
        title=f"使用{name}",
        operator="王师傅",
        input_category="pesticide",
        input_name=name,
        registration_number="PD20080001",
        active_ingredient=name,
        dose="20 克/亩",
        applied_area_mu=Decimal("10"),
        safety_interval_days=7,
    )


def make_batch(f: Farm, *logs: ProductionLog, **kwargs: Any) -> Batch:
    chosen = list(logs) or [harvest(f)]
    return batches.batch_create(actor=None, harvest_logs=chosen, **kwargs)


def lab(division: Division) -> Organization:
    """A testing institution in the province of `division`."""
    from dibiao.accounts.choices import OrganizationKind
    from dibiao.testing.factories import OrganizationFactory

    province = division
    while province.parent is not None:
        province = province.parent
    return OrganizationFactory.create(kind=OrganizationKind.LAB, division=province)


_REPORT_COUNT = [0]


def report(
    f: Farm,
    *,
    passed: bool = True,
    sample_code: str = "YP-001",
    batch_code: str = "",
    items: list[dict[str, Any]] | None = None,
    by: Organization | None = None,
) -> TestReport:
    _REPORT_COUNT[0] += 1
    value = "0.01" if passed else "0.9"
    sample = report_fixtures.Sample(f.product, f.producer, f.user, f.base)
    return report_fixtures.record(
        None,
        sample,
        lab=by or lab(f.producer.division),
        number=f"JC-{_REPORT_COUNT[0]:05d}",
        sample_code=sample_code,
        batch_code=batch_code,
        items=items or [report_fixtures.item("毒死蜱", value, limit_max="0.5")],
    )


def event(
    f: Farm | Producer,
    stage: str,
    day: str,
    inputs: list[tuple[Batch, str]],
    outputs: list[str] | None = None,
    **kwargs: Any,
) -> TraceEvent:
    producer = f.producer if isinstance(f, Farm) else f
    return events.event_record(
        actor=None,
        producer=producer,
        stage=stage,
        occurred_at=at(day, 14),
        inputs=[InputLine(b, Decimal(q)) for b, q in inputs],
        outputs=[OutputLine(Decimal(q)) for q in outputs or []],
        **kwargs,
    )


def client_as(user: Any = None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def api_as(user: Any = None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def fresh(batch: Batch) -> Batch:
    return Batch.objects.get(pk=batch.pk)
