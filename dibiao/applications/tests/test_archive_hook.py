"""Application materials are filed through the work archive, when that app is installed."""

from __future__ import annotations

import pytest

from dibiao.applications.tests.builders import draft

pytestmark = pytest.mark.django_db

targets = pytest.importorskip("dibiao.archive.targets")


def test_application_is_an_attachable_target_filed_under_its_county(
    tree, program, product, county_admin, other_county_admin
):
    application = draft(county_admin, program, product)

    target_type = targets.target_type_for("applications.application")
    division, organization = targets.filing_for(actor=county_admin, target=application)

    assert target_type.label == "申报"
    assert (division, organization) == (tree["c1a"], None)
    assert list(target_type.visible_to(other_county_admin)) == []
    assert application in targets.product_records(product)
