"""A batch's trace in the shape of NY/T 4712-2025 for the national agricultural product quality
safety traceability platform (国家农产品质量安全追溯管理信息平台), behind an adapter.

The standard describes traceability per stage (环节): for each stage the subject (主体), where
the goods came from (来源) and went to (去向), the inbound batch (进货批次) and the outbound batch
(出货批次), whose number is the trace code (追溯码). We do not have the standard's full text;
the field names follow that stage / inbound / outbound structure as the issue describes it, in
English, with the Chinese term of each in `FIELD_TERMS` (and in docs).

Sending is behind `NationalPlatformClient`: `submit(document) -> SubmissionResult`. The default,
`FileExportClient`, makes no network call: it writes the document to
MEDIA_ROOT/trace/national/ for an operator to upload. A real client is configured by dotted
path in the setting DIBIAO_NATIONAL_PLATFORM_CLIENT (a class constructed without arguments).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.text import get_valid_filename

from dibiao.producers.models import Producer
from dibiao.trace.choices import TraceStage
from dibiao.trace.epcis import harvest_time, origin_batches, trace_graph
from dibiao.trace.models import Batch, TraceEvent

STANDARD = "NY/T 4712-2025"
FORMAT = "dibiao-national-trace/1"
DEFAULT_CLIENT = "dibiao.trace.national.FileExportClient"
EXPORT_DIRECTORY = "trace/national"
HARVEST_STAGE = "production"

# Our English field names and the standard's terms (the mapping documented in docs).
FIELD_TERMS: dict[str, str] = {
    "trace_code": "追溯码",
    "product": "产品",
    "stages": "追溯环节",
    "stage": "环节",
    "stage_name": "环节名称",
    "subject": "主体（生产经营主体）",
    "subject.name": "主体名称",
    "subject.credit_code": "统一社会信用代码",
    "subject.division_code": "所在行政区划代码",
    "source": "来源",
    "destination": "去向",
    "inbound_batches": "进货批次",
    "outbound_batches": "出货批次（追溯码）",
    "batch.trace_code": "批次追溯码",
    "batch.quantity": "数量",
    "batch.unit": "单位",
    "time": "时间",
    "place": "地点",
}
STAGE_NAMES: dict[str, str] = {
    HARVEST_STAGE: "种植养殖（采收）",
    **{value: str(label) for value, label in TraceStage.choices},
}


# --- The document ---------------------------------------------------------------------------------


def _number(value: Decimal) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _time(value: dt.datetime) -> str:
    return timezone.localtime(value).isoformat(timespec="seconds")


def _subject(producer: Producer) -> dict[str, Any]:
    """An entity, never a person's ID number: individuals have no credit code here."""
    return {
        "name": producer.name,
        "credit_code": producer.credit_code or None,
        "division_code": producer.division.code,
    }


def _party(producer: Producer | None, name: str) -> dict[str, Any] | None:
    if producer is not None:
        return _subject(producer)
    if name:
        return {"name": name, "credit_code": None, "division_code": None}
    return None


def _line(batch: Batch, quantity: Decimal) -> dict[str, Any]:
    return {"trace_code": batch.number, "quantity": _number(quantity), "unit": batch.unit}


def _harvest_stage(batch: Batch) -> dict[str, Any]:
    place = batch.base.name if batch.base else (batch.producer.address or "")
    division = batch.base.division if batch.base else batch.producer.division
    return {
        "stage": HARVEST_STAGE,
        "stage_name": STAGE_NAMES[HARVEST_STAGE],
        "subject": _subject(batch.producer),
        "source": {"name": place, "credit_code": None, "division_code": division.code}
        if place
        else None,
        "destination": None,
        "inbound_batches": [],
        "outbound_batches": [_line(batch, batch.quantity)],
        "time": _time(harvest_time(batch)),
        "place": f"{division.name} {place}".strip(),
    }


def _event_stage(event: TraceEvent, batches: Mapping[int, Batch]) -> dict[str, Any]:
    inbound = [_line(batches[row.batch_id], row.quantity) for row in event.inputs.all()]
    outbound = [_line(batches[row.batch_id], row.quantity) for row in event.outputs.all()]
    place = event.place or (event.division.name if event.division else "")
    return {
        "stage": event.stage,
        "stage_name": STAGE_NAMES[event.stage],
        "subject": _subject(event.producer),
        "source": _party(None, event.source_name),
        "destination": _party(event.destination, event.destination_name),
        "inbound_batches": inbound,
        # Goods that leave as they came (a sale, a transport) go out under their own code.
        "outbound_batches": outbound or inbound,
        "time": _time(event.occurred_at),
        "place": place,
    }


def batch_national_document(batch: Batch) -> dict[str, Any]:
    """The batch's story, stage by stage in time order (the harvest of each source first)."""
    graph = trace_graph(batch)
    subject = graph.batch
    stages = [_harvest_stage(b) for b in origin_batches(graph)]
    stages += [_event_stage(e, graph.batches) for e in graph.events]
    harvests = [s for s in stages if s["stage"] == HARVEST_STAGE]
    others = sorted((s for s in stages if s["stage"] != HARVEST_STAGE), key=lambda s: s["time"])
    return {
        "standard": STANDARD,
        "format": FORMAT,
        "generated_at": _time(timezone.now()),
        "trace_code": subject.number,
        "product": {
            "name": subject.product.name,
            "gi_certificate_number": subject.product.certificate_number or None,
            "gtin": subject.gtin or None,
        },
        "batch": {
            **_line(subject, subject.quantity),
            "harvest_date": subject.harvest_date.isoformat(),
            "status": subject.status,
        },
        "stages": harvests + others,
    }


# --- The adapter ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SubmissionResult:
    accepted: bool
    reference: str  # the platform's receipt, or where the file was written
    message: str = ""


@runtime_checkable
class NationalPlatformClient(Protocol):
    def submit(self, document: Mapping[str, Any]) -> SubmissionResult: ...


class FileExportClient:
    """Writes the document as JSON under MEDIA_ROOT/trace/national/ (no network)."""

    def submit(self, document: Mapping[str, Any]) -> SubmissionResult:
        code = get_valid_filename(str(document.get("trace_code") or "batch")) or "batch"
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
        payload = json.dumps(document, ensure_ascii=False, indent=2).encode()
        name = default_storage.save(f"{EXPORT_DIRECTORY}/{code}-{stamp}.json", ContentFile(payload))
        return SubmissionResult(
            accepted=True, reference=name, message="已写入导出文件，待上传国家追溯平台（未联网）"
        )


def national_client() -> NationalPlatformClient:
    path: str = getattr(settings, "DIBIAO_NATIONAL_PLATFORM_CLIENT", "") or DEFAULT_CLIENT
    client = import_string(path)()
    if not isinstance(client, NationalPlatformClient):
        raise TypeError(f"{path} has no submit(document) method")
    return client
