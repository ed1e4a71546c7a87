"""Writes of the farmers driven (带动农户、增收): one row per producer and year, and the household
list imported from Excel. Growth is never stored: the selectors compute it from the previous
year's row."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from dibiao.accounts.models import User
from dibiao.core.audit import audit_record, model_snapshot, snapshot_diff
from dibiao.core.choices import AuditAction
from dibiao.core.errors import ForbiddenError, NotFoundError
from dibiao.producers.choices import ProducerStatus
from dibiao.producers.errors import ProducersError
from dibiao.producers.imports import HouseholdImport, ImportReport, run_import
from dibiao.producers.models import FarmerLink, Producer
from dibiao.producers.permissions import can_manage_farmers
from dibiao.producers.rules import FieldError, as_field_error, parse_decimal

FIRST_YEAR = 2000
# More households or people than one entity could drive; a typo with extra zeros is refused
# here rather than overflowing the integer column.
MAX_DRIVEN = 10_000_000
SNAPSHOT_EXCLUDE = frozenset({"updated_at"})
DUPLICATE_YEAR = "该主体该年度的带动农户情况已填报，请修改原记录。"


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise ForbiddenError(message)


def check_year(year: int) -> int:
    last = timezone.localdate().year
    if not FIRST_YEAR <= year <= last:
        raise FieldError("year", "invalid_year", f"年度应在 {FIRST_YEAR} 至 {last} 年之间。")
    return year


def _lock_producer(actor: User | None, producer: Producer) -> Producer:
    rows = Producer.objects.restrict(actor) if actor is not None else Producer.objects.all()
    locked = rows.select_for_update(of=("self",)).filter(pk=producer.pk).first()
    if locked is None:
        raise NotFoundError("未找到该生产经营主体。")
    if actor is not None:
        _require(can_manage_farmers(actor, locked), "没有填报该主体带动农户情况的权限。")
    if locked.status == ProducerStatus.CLOSED:
        raise ProducersError("producer_closed", "该主体已注销，不能再填报。", status=409)
    return locked


def _fill(
    link: FarmerLink, *, households: int, people: int, per_capita_income: Decimal | str, notes: str
) -> None:
    if households < 0 or people < 0:
        raise FieldError("households", "invalid_count", "户数和人数不能为负数。")
    if households > MAX_DRIVEN or people > MAX_DRIVEN:
        raise FieldError(
            "people" if people > MAX_DRIVEN else "households",
            "invalid_count",
            f"户数和人数不能超过 {MAX_DRIVEN:,}。",
        )
    if people < households:
        raise FieldError("people", "people_below_households", "带动人数不应少于带动户数。")
    link.households, link.people = households, people
    link.per_capita_income = as_field_error(
        "per_capita_income",
        "人均可支配收入",
        lambda: parse_decimal(per_capita_income, minimum=Decimal(0)),
    )
    link.notes = notes.strip()


def _save(link: FarmerLink) -> None:
    twins = FarmerLink.objects.filter(producer_id=link.producer_id, year=link.year)
    if twins.exclude(pk=link.pk).exists():
        raise FieldError("year", "duplicate_year", DUPLICATE_YEAR, status=409)
    try:
        with transaction.atomic():
            link.save()
    except IntegrityError as exc:
        raise FieldError("year", "duplicate_year", DUPLICATE_YEAR, status=409) from exc


@transaction.atomic
def farmer_link_create(
    *,
    actor: User | None,
    producer: Producer,
    year: int,
    households: int,
    people: int,
    per_capita_income: Decimal | str,
    notes: str = "",
) -> FarmerLink:
    producer = _lock_producer(actor, producer)
    link = FarmerLink(producer=producer, year=check_year(year))
    _fill(
        link,
        households=households,
        people=people,
        per_capita_income=per_capita_income,
        notes=notes,
    )
    _save(link)
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=link,
        changes={"after": model_snapshot(link, exclude=SNAPSHOT_EXCLUDE)},
    )
    return link


@transaction.atomic
def farmer_link_update(
    *,
    actor: User | None,
    link: FarmerLink,
    households: int,
    people: int,
    per_capita_income: Decimal | str,
    notes: str = "",
) -> FarmerLink:
    """Correct a year's figures (the year itself is the row's identity and stays)."""
    _lock_producer(actor, link.producer)
    found = FarmerLink.objects.select_for_update().filter(pk=link.pk).first()
    if found is None:
        raise NotFoundError("未找到该年度的带动农户情况。")
    before = model_snapshot(found, exclude=SNAPSHOT_EXCLUDE)
    _fill(
        found,
        households=households,
        people=people,
        per_capita_income=per_capita_income,
        notes=notes,
    )
    found.updated_at = timezone.now()
    found.save()
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=found,
        changes=snapshot_diff(before, model_snapshot(found, exclude=SNAPSHOT_EXCLUDE)),
    )
    return found


@transaction.atomic
def household_import(
    *, actor: User | None, producer: Producer, year: int, upload: Any, only_valid: bool = False
) -> ImportReport:
    """Add a year's household list from Excel: all rows or none, or with `only_valid` the valid
    rows; names and ID numbers are stored sealed. The producer row is locked, so two imports
    for the same producer run one after the other and cannot both add the same household."""
    producer = _lock_producer(actor, producer)
    check_year(year)
    try:
        report = run_import(
            spec=HouseholdImport(producer, year), upload=upload, only_valid=only_valid
        )
    except IntegrityError as exc:  # a household added by another path meanwhile
        raise ProducersError(
            "duplicate_household", "名单中有农户已在该年度名单中，请刷新后重试。", status=409
        ) from exc
    audit_record(
        actor=actor,
        action=AuditAction.IMPORT,
        obj=producer,
        changes={
            "year": year,
            "total": report.total,
            "imported": report.imported,
            "invalid": report.invalid,
        },
        detail=(
            f"导入 {year} 年度带动农户名单：共 {report.total} 行，导入 {report.imported} 行，"
            f"有误 {report.invalid} 行"
        ),
    )
    return report
