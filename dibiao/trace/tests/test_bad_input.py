"""Bad input to the batch pages' multiple choices is a form error, never a 500."""

from __future__ import annotations

import pytest
from django.test import Client

from dibiao.testing.factories import ProductFactory
from dibiao.trace.models import Batch
from dibiao.trace.tests.batches_fixtures import harvest
from dibiao.trace.tests.codes_fixtures import (  # noqa: F401 (fixtures)
    World,
    clock,
    label_settings,
    world_in,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("label_settings", "clock")]

HUGE = "9" * 25


@pytest.fixture
def farm_world(tree) -> World:
    grapes = ProductFactory.create(name="清徐葡萄", divisions=[tree["c1a"]])
    return world_in(tree["c1a"], grapes, name="清徐县葡萄专业合作社")


@pytest.mark.parametrize("value", [HUGE, "²", "-1", "abc", ""])
def test_an_id_beyond_any_row_in_a_batch_form_is_a_form_error(farm_world, value):
    world = farm_world
    harvest(world.farm, "2026-09-02", quantity="10")
    client = Client(raise_request_exception=False)
    client.force_login(world.user)
    before = Batch.objects.count()
    created = client.post("/trace/batches/new/", {"harvest_logs": [value]})
    linked = client.post(f"/trace/batches/{world.batch.pk}/reports/", {"reports": [value]})
    assert created.status_code == 200
    assert created.context["form"].errors
    assert linked.status_code in (200, 302)
    assert linked.status_code != 302 or not world.batch.test_reports.exists()
    assert Batch.objects.count() == before


def test_a_number_typed_into_an_event_or_a_void_reason_is_masked_in_the_audit_rows(farm_world):
    import json
    import re

    from dibiao.core.models import AuditLog
    from dibiao.trace.services.certificates import certificate_void
    from dibiao.trace.tests.batches_fixtures import event
    from dibiao.trace.tests.certificates_fixtures import issue

    world = farm_world
    event(
        world.farm,
        "sale",
        "2026-09-05",
        [(world.batch, "10")],
        destination_name="张三 13912345678",
        place="东于村 14010519800101123X",
        notes="买家电话 13912345678",
    )
    certificate = issue(world.batch)
    certificate_void(actor=None, certificate=certificate, reason="买家 13912345678 退货")
    stored = json.dumps([row.changes for row in AuditLog.objects.all()], ensure_ascii=False)
    assert "张三 139****5678" in stored
    # (standing alone: a certificate number or a division code holds longer digit runs)
    assert not re.search(r"(?<!\d)1[3-9]\d{9}(?!\d)", stored)
    assert not re.search(r"(?<!\d)\d{17}[\dX](?![\dX])", stored)
