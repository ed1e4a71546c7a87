"""Lineage: upstream and downstream through splits and merges (cycles and depth bounded), the
origins back to bases and input logs, the timeline, and the recall recipients."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from dibiao.trace import lineage
from dibiao.trace.models import TraceEvent, TraceEventInput, TraceEventOutput
from dibiao.trace.tests.batches_fixtures import (
    at,
    event,
    farm,
    harvest,
    input_log,
    make_batch,
    second_base,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def f(tree):
    return farm(tree["c1a"], name="红枣合作社")


@pytest.fixture
def chain(tree, f):
    """Two harvests merged, split, one part sold to a directory buyer who processes it."""
    buyer = farm(tree["c2a"], f.product, name="太原果品公司")
    a = make_batch(f, harvest(f, "2026-09-01", quantity="300"))
    b = make_batch(f, harvest(f, "2026-09-02", quantity="200", base=second_base(f)))
    merge = event(f, "storage", "2026-09-03", [(a, "300"), (b, "200")], ["500"], place="1 号冷库")
    m = merge.outputs.get().batch
    split = event(f, "transport", "2026-09-04", [(m, "500")], ["200", "300"])
    s1, s2 = (row.batch for row in split.outputs.order_by("batch_id"))
    sale = event(f, "sale", "2026-09-05", [(s1, "200")], ["200"], destination=buyer.producer)
    bought = sale.outputs.get().batch
    juice = event(buyer, "processing", "2026-09-06", [(bought, "200")], ["150"]).outputs.get().batch
    event(f, "sale", "2026-09-07", [(s2, "100")], destination_name="城区超市")
    return {"a": a, "b": b, "m": m, "s1": s1, "s2": s2, "bought": bought, "juice": juice}


def _numbers(rows) -> set[str]:
    return {row.number for row in rows}


def test_upstream_reaches_every_source_nearest_first(chain):
    up = lineage.batch_upstream(chain["juice"])
    assert [b.pk for b in up[:1]] == [chain["bought"].pk]
    assert _numbers(up) == _numbers([chain[k] for k in ("bought", "s1", "m", "a", "b")])
    assert chain["s2"].pk not in {b.pk for b in up}


def test_downstream_reaches_everything_made_from_a_batch(chain):
    down = lineage.batch_downstream(chain["a"])
    assert _numbers(down) == _numbers([chain[k] for k in ("m", "s1", "s2", "bought", "juice")])
    assert lineage.batch_downstream(chain["juice"]) == []


def test_a_cycle_is_walked_once(chain):
    # The services never make one; a damaged table must not make the walk loop.
    loop = TraceEvent.objects.create(
        stage="processing", occurred_at=at("2026-09-08"), producer=chain["a"].producer
    )
    TraceEventInput.objects.create(event=loop, batch=chain["juice"], quantity=Decimal(1))
    TraceEventOutput.objects.create(event=loop, batch=chain["a"], quantity=Decimal(1))
    up = lineage.upstream_ids(chain["a"])
    assert chain["a"].pk not in up
    assert chain["juice"].pk in up
    assert len(up) == len(set(up))


def test_the_walk_stops_at_the_depth_bound(chain, monkeypatch):
    monkeypatch.setattr(lineage, "MAX_DEPTH", 2)
    assert set(lineage.upstream_ids(chain["juice"])) == {chain["bought"].pk, chain["s1"].pk}


def test_origins_reach_the_bases_harvests_and_the_input_logs_of_the_season(f, chain):
    base_one, base_two = f.base, chain["b"].base
    input_log(f, "2025-08-01", "去年的药")  # more than a year before: another season
    input_log(f, "2026-06-01", "吡虫啉")
    input_log(f, "2026-09-02", "收获后用药")  # after the harvest of 09-01 on base one
    input_log(f, "2026-07-01", "多菌灵", base=base_two)
    harvest(f, "2026-06-15", quantity="10", base=base_two)  # an earlier harvest on base two
    input_log(f, "2026-06-10", "前茬用药", base=base_two)  # before it: the earlier season
    origins = lineage.batch_origins(chain["juice"])
    assert {b["name"] for b in origins["bases"]} == {base_one.name, base_two.name}
    assert [h["date"] for h in origins["harvests"]] == ["2026-09-01", "2026-09-02"]
    assert [i["name"] for i in origins["inputs"]] == ["吡虫啉", "多菌灵"]
    first = origins["inputs"][0]
    assert first["safety_interval_days"] == 7
    assert first["date"] == "2026-06-01"
    assert first["base"] == base_one.name
    assert "王师傅" not in repr(origins)  # no operator names


def test_the_timeline_starts_with_the_harvests_then_the_events_in_time_order(chain):
    entries = lineage.batch_timeline(chain["juice"])
    assert [e.stage for e in entries] == ["采收", "采收", "储存", "运输", "销售", "加工"]
    assert entries[0].who == "红枣合作社"
    assert entries[2].place == "1 号冷库"
    assert entries[4].description.endswith("去向：太原果品公司")
    assert entries[5].who == "太原果品公司"
    # The sale of the other half went elsewhere: not this batch's story.
    assert "城区超市" not in " ".join(e.description for e in entries)
    assert all(dataclasses.is_dataclass(e) for e in entries)


def test_the_timeline_of_a_source_shows_where_its_goods_went(chain):
    entries = lineage.batch_timeline(chain["a"])
    assert [e.stage for e in entries] == ["采收", "储存", "运输", "销售", "加工", "销售"]
    assert "城区超市" in entries[-1].description


def test_recall_recipients_list_every_destination_downstream(chain):
    recipients = lineage.recall_recipients(chain["a"])
    assert [
        (r.name, r.stage, [(i.number, i.quantity, i.unit) for i in r.items]) for r in recipients
    ] == [
        ("太原果品公司", "销售", [(chain["bought"].number, Decimal("200"), "千克")]),
        ("城区超市", "销售", [(chain["s2"].number, Decimal("100"), "千克")]),
    ]
    assert recipients[0].producer_id == chain["bought"].producer_id
    assert recipients[1].producer_id is None
    assert lineage.recall_recipients(chain["juice"]) == []
