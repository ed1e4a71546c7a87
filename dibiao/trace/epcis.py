"""A batch's trace as a GS1 EPCIS 2.0 JSON-LD document, validated against GS1's schema.

Mapping (CBV 2.0 has no harvest step, see shared/standards/README.md):

- the harvest that made a batch (every batch of the story no event made): an `ObjectEvent`,
  action `ADD`, bizStep `commissioning`, with `ilmd` (lot number, country of origin, harvest
  date, product, base, grade) and the agricultural detail (bases, harvest logs, input logs) in
  the namespaced extension `dibiao:agriculture`;
- processing (加工), and any event whose output batches differ from its inputs (a split or a
  merge): a `TransformationEvent` with input and output quantity lists;
- purchase, storage, transport and sale: `ObjectEvent`s, action `OBSERVE`, bizStep
  `receiving` / `storing` / `shipping`, with `sourceList` / `destinationList`; a purchase,
  transport or sale whose goods go on under new batch numbers also gets the
  `TransformationEvent` (bizStep `repackaging`) from the old batches to the new ones;
- a recall: an `ObjectEvent` `OBSERVE` with disposition `recalled`.

Batches are class-level identifiers (a lot, not single items), so events carry `quantityList`
entries whose `epcClass` is the GS1 Digital Link URI of the lot
(https://id.gs1.org/01/{GTIN-14}/10/{lot}) when the batch has a GTIN and its number is a valid
GS1 lot, else an http URI of the lot on this platform ({origin}/id/batch/{number}). Parties,
bases and places are http URIs on the platform too. No personal data: operators, contacts and
notes are never exported.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.db.models import Q
from django.utils import timezone
from jsonschema import Draft7Validator

from dibiao.producers.models import Producer, ProductionBase
from dibiao.trace.choices import TraceStage
from dibiao.trace.lineage import CONTINUING_STAGES, batch_origins, downstream_ids, upstream_ids
from dibiao.trace.models import Batch, TraceEvent

SCHEMA_PATH = Path(__file__).resolve().parent / "standards" / "EPCIS-JSON-Schema.json"
EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
CONTENT_TYPE = "application/ld+json"
GS1_RESOLVER = "https://id.gs1.org"
# GS1 AI (10) batch/lot: up to 20 characters of GS1 character set 82.
_LOT = re.compile(r"^[!\"%&'()*+,\-./0-9:;<=>?A-Z_a-z]{1,20}$")
_ID_NAMESPACE = uuid.UUID("6f1d3c52-7d0e-4f57-9d0a-2f0f4a8e51b3")

# bizStep and disposition of an observation at each stage.
OBSERVATION_STEPS: dict[str, tuple[str, str]] = {
    TraceStage.PURCHASE: ("receiving", "in_progress"),
    TraceStage.STORAGE: ("storing", "sellable_not_accessible"),
    TraceStage.TRANSPORT: ("shipping", "in_transit"),
    TraceStage.SALE: ("shipping", "in_transit"),
    TraceStage.PROCESSING: ("commissioning", "active"),
}
# Stages that hand goods to another party: observed as shipping or receiving even when the goods
# leave under new batch numbers.
TRANSFER_STAGES = frozenset({TraceStage.PURCHASE, TraceStage.TRANSPORT, TraceStage.SALE})
# UN/ECE Recommendation 20 codes of the units batches use, with the factor to that unit
# (斤 is half a kilogram). A unit not listed (箱, 件, 个 ...) is a count: no `uom`.
UNIT_CODES: dict[str, tuple[str, Decimal]] = {
    "公斤": ("KGM", Decimal(1)),
    "千克": ("KGM", Decimal(1)),
    "kg": ("KGM", Decimal(1)),
    "斤": ("KGM", Decimal("0.5")),
    "克": ("GRM", Decimal(1)),
    "g": ("GRM", Decimal(1)),
    "吨": ("TNE", Decimal(1)),
    "t": ("TNE", Decimal(1)),
    "升": ("LTR", Decimal(1)),
    "l": ("LTR", Decimal(1)),
}


# --- Schema ---------------------------------------------------------------------------------------


@cache
def epcis_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema


def epcis_validator() -> Draft7Validator:
    """GS1's schema with format checking: `format: uri` is enforced only with a format
    checker (and `rfc3986-validator` installed); without one, a non-CBV bizStep passes."""
    return Draft7Validator(epcis_schema(), format_checker=Draft7Validator.FORMAT_CHECKER)


def epcis_errors(document: Any) -> list[str]:
    """What makes `document` invalid, one line per error; empty when it validates."""
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(document)'}: {error.message}"
        for error in sorted(epcis_validator().iter_errors(document), key=str)
    ]


# --- Identifiers ----------------------------------------------------------------------------------


def gtin14(gtin: str) -> str:
    return gtin.zfill(14)


def digital_link_uri(gtin: str, lot: str) -> str | None:
    """The GS1 Digital Link URI of a lot, or None when the lot is not a valid AI (10)."""
    if not gtin or not _LOT.match(lot):
        return None
    return f"{GS1_RESOLVER}/01/{gtin14(gtin)}/10/{quote(lot, safe='')}"


def batch_uri(batch: Batch, *, origin: str) -> str:
    return digital_link_uri(batch.gtin, batch.number) or (
        f"{origin}/id/batch/{quote(batch.number, safe='')}"
    )


def party_uri(*, origin: str, producer: Producer | None = None, name: str = "") -> str:
    if producer is not None:
        key = producer.credit_code or f"p{producer.pk}"
        return f"{origin}/id/party/{quote(key, safe='')}"
    return f"{origin}/id/party/name/{quote(name, safe='')}"


def base_uri(base: ProductionBase, *, origin: str) -> str:
    return f"{origin}/id/base/{base.pk}"


def _time(value: dt.datetime) -> tuple[str, str]:
    local = timezone.localtime(value)
    text = local.isoformat(timespec="milliseconds")
    offset = local.utcoffset() or dt.timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    return text, f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _quantity(batch: Batch, quantity: Decimal, *, origin: str) -> dict[str, Any]:
    element: dict[str, Any] = {"epcClass": batch_uri(batch, origin=origin)}
    code = UNIT_CODES.get(batch.unit.strip().lower()) or UNIT_CODES.get(batch.unit.strip())
    if code is not None:
        element["quantity"] = float(quantity * code[1])
        element["uom"] = code[0]
    else:
        element["quantity"] = float(quantity)
    return element


# --- The batch's story ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TraceGraph:
    """The batch, the batches its story passes through, and the events of that story (the same
    story as `lineage.batch_timeline`: what made the batch and its sources, what happened to
    it and to what was made from it, and the storage and transport of its sources)."""

    batch: Batch
    chain: list[int]  # the batch and its upstream batches
    down: list[int]  # the batches made from it
    events: list[TraceEvent]
    batches: dict[int, Batch]


def trace_graph(batch: Batch) -> TraceGraph:
    chain = [batch.pk, *upstream_ids(batch)]
    down = downstream_ids(batch)
    own = [batch.pk, *down]
    condition = (
        Q(outputs__batch_id__in=[*chain, *down])
        | Q(inputs__batch_id__in=own)
        | Q(inputs__batch_id__in=chain, outputs__isnull=True, stage__in=CONTINUING_STAGES)
    )
    ids = TraceEvent.objects.filter(condition).values("pk")
    events = list(
        TraceEvent.objects.filter(pk__in=ids)
        .select_related("producer", "destination", "division")
        .prefetch_related("inputs", "outputs")
        .order_by("occurred_at", "pk")
    )
    wanted = set(chain) | set(down)
    for event in events:
        wanted |= {row.batch_id for row in event.inputs.all()}
        wanted |= {row.batch_id for row in event.outputs.all()}
    batches = {
        b.pk: b
        for b in Batch.objects.filter(pk__in=wanted).select_related(
            "product", "producer", "base__division", "grade"
        )
    }
    return TraceGraph(
        batch=batches[batch.pk], chain=chain, down=down, events=events, batches=batches
    )


def origin_batches(graph: TraceGraph) -> list[Batch]:
    """The batches of the chain that no event of the story made: each was harvested."""
    made = {row.batch_id for event in graph.events for row in event.outputs.all()}
    return [graph.batches[pk] for pk in graph.chain if pk not in made and pk in graph.batches]


def harvest_time(batch: Batch) -> dt.datetime:
    """The last harvest log's time, else noon of the harvest date (local time)."""
    latest = batch.harvest_logs.order_by("-occurred_at").values_list("occurred_at", flat=True)
    found = latest.first()
    if found is not None:
        return found
    noon = dt.datetime.combine(batch.harvest_date, dt.time(12))
    return timezone.make_aware(noon)


def is_transformation(event: TraceEvent) -> bool:
    inputs = {row.batch_id for row in event.inputs.all()}
    outputs = {row.batch_id for row in event.outputs.all()}
    return bool(outputs) and (event.stage == TraceStage.PROCESSING or inputs != outputs)


# --- Events ---------------------------------------------------------------------------------------


def _harvest_event(batch: Batch, *, origin: str) -> dict[str, Any]:
    when, offset = _time(harvest_time(batch))
    ilmd: dict[str, Any] = {
        "cbvmda:lotNumber": batch.number,
        "cbvmda:countryOfOrigin": "CN",
        "dibiao:harvestDate": batch.harvest_date.isoformat(),
        "dibiao:product": batch.product.name,
        "dibiao:base": batch.base.name if batch.base else "",
        "dibiao:grade": batch.grade.name if batch.grade else "",
    }
    if batch.product.certificate_number:
        ilmd["dibiao:giCertificateNumber"] = batch.product.certificate_number
    event: dict[str, Any] = {
        "type": "ObjectEvent",
        "eventTime": when,
        "eventTimeZoneOffset": offset,
        "eventID": f"{origin}/id/batch/{quote(batch.number, safe='')}/harvest",
        "action": "ADD",
        "bizStep": "commissioning",
        "disposition": "active",
        "quantityList": [_quantity(batch, batch.quantity, origin=origin)],
        "ilmd": {key: value for key, value in ilmd.items() if value},
        "dibiao:producer": batch.producer.name,
        "dibiao:agriculture": batch_origins(batch),
    }
    if batch.base is not None:
        location = {"id": base_uri(batch.base, origin=origin)}
        event["readPoint"] = location
        event["bizLocation"] = dict(location)
    return event


def _parties(event: TraceEvent, *, origin: str) -> dict[str, Any]:
    """sourceList / destinationList. An event is recorded by the holder of its input batches
    (services/events.py): at a purchase, transport or sale the goods go from it (or from the
    named source) to the destination."""
    out: dict[str, Any] = {}
    source = party_uri(origin=origin, name=event.source_name) if event.source_name else ""
    if not source and event.stage in TRANSFER_STAGES:
        source = party_uri(origin=origin, producer=event.producer)
    if event.destination is not None:
        destination = party_uri(origin=origin, producer=event.destination)
    elif event.destination_name:
        destination = party_uri(origin=origin, name=event.destination_name)
    else:
        destination = ""
    if source:
        out["sourceList"] = [{"type": "owning_party", "source": source}]
    if destination:
        out["destinationList"] = [{"type": "owning_party", "destination": destination}]
    return out


def _extensions(event: TraceEvent, *, origin: str) -> dict[str, Any]:
    """Where, who and the stage, in the platform's namespace, plus the parties in CBV terms."""
    out: dict[str, Any] = {}
    if event.division is not None:
        out["bizLocation"] = {"id": f"{origin}/id/division/{event.division.code}"}
    out.update(_parties(event, origin=origin))
    out["dibiao:stage"] = event.stage
    out["dibiao:stageName"] = str(event.get_stage_display())
    out["dibiao:recordedBy"] = event.producer.name
    if event.place:
        out["dibiao:place"] = event.place
    if event.source_name:
        out["dibiao:sourceName"] = event.source_name
    counterpart = event.destination.name if event.destination else event.destination_name
    if counterpart:
        out["dibiao:destinationName"] = counterpart
    return out


def _trace_events(event: TraceEvent, graph: TraceGraph, *, origin: str) -> list[dict[str, Any]]:
    """One trace event as EPCIS events. A purchase, transport or sale whose goods leave under
    new batch numbers is both: the observation of the shipment (with its source and
    destination) and the transformation of the old batches into the new ones."""
    when, offset = _time(event.occurred_at)
    uri = f"{origin}/id/event/{event.pk}"
    inputs = [
        _quantity(graph.batches[row.batch_id], row.quantity, origin=origin)
        for row in event.inputs.all()
    ]
    outputs = [
        _quantity(graph.batches[row.batch_id], row.quantity, origin=origin)
        for row in event.outputs.all()
    ]
    common = {"eventTime": when, "eventTimeZoneOffset": offset}
    extensions = _extensions(event, origin=origin)
    made: list[dict[str, Any]] = []
    transforms = is_transformation(event)
    if not transforms or event.stage in TRANSFER_STAGES:
        step, disposition = OBSERVATION_STEPS[TraceStage(event.stage)]
        observation: dict[str, Any] = {
            "type": "ObjectEvent",
            **common,
            "eventID": uri,
            "action": "OBSERVE",
            "bizStep": step,
            "disposition": disposition,
        }
        if inputs or outputs:
            observation["quantityList"] = inputs or outputs
        else:
            observation["epcList"] = []
        made.append({**observation, **extensions})
    if transforms:
        transformation_id = uri if not made else f"{uri}/transformation"
        transformation: dict[str, Any] = {
            "type": "TransformationEvent",
            **common,
            "eventID": transformation_id,
            # Always present, so an event with outputs only is still a valid transformation.
            "transformationID": transformation_id,
            "bizStep": "commissioning" if event.stage == TraceStage.PROCESSING else "repackaging",
            "disposition": "active",
            "outputQuantityList": outputs,
        }
        if inputs:
            transformation["inputQuantityList"] = inputs
        made.append({**transformation, **extensions})
    return made


def _recall_event(batch: Batch, *, origin: str) -> dict[str, Any]:
    when, offset = _time(batch.recalled_at or timezone.now())
    return {
        "type": "ObjectEvent",
        "eventTime": when,
        "eventTimeZoneOffset": offset,
        "eventID": f"{origin}/id/batch/{quote(batch.number, safe='')}/recall",
        "action": "OBSERVE",
        "bizStep": "holding",
        "disposition": "recalled",
        "quantityList": [_quantity(batch, batch.quantity, origin=origin)],
        "dibiao:recallReason": batch.recall_reason,
    }


def _sorted(events: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    # eventTime strings all carry the deployment's offset, so they sort as times do.
    return sorted(events, key=lambda e: (e["eventTime"], e["eventID"]))


def batch_epcis_document(batch: Batch, *, origin: str) -> dict[str, Any]:
    """The EPCIS 2.0 document of the batch's story. `origin`: the platform's public origin
    (https://…), used for the platform's URIs and the `dibiao` namespace."""
    origin = origin.rstrip("/")
    graph = trace_graph(batch)
    events = [_harvest_event(b, origin=origin) for b in origin_batches(graph)]
    for event in graph.events:
        events += _trace_events(event, graph, origin=origin)
    story = [graph.batches[pk] for pk in (*graph.chain, *graph.down) if pk in graph.batches]
    events += [_recall_event(b, origin=origin) for b in story if b.recalled_at is not None]
    subject = graph.batch
    created, _ = _time(timezone.now())
    return {
        "@context": [EPCIS_CONTEXT, {"dibiao": f"{origin}/ns/epcis/"}],
        "id": f"urn:uuid:{uuid.uuid5(_ID_NAMESPACE, f'{subject.number}:{subject.version}')}",
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": created,
        "epcisBody": {"eventList": _sorted(events)},
    }
