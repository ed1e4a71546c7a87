"""GS1 Digital Link (https://…/01/{GTIN}/10/{lot}): a product with a GTIN can carry a GS1 QR
code or link instead of (or beside) our label code. The route resolves to the batch with that
GTIN and number and shows the scan page of a genuine label code of that batch, with the same
public facts (`facts.batch_facts`, cached per batch version like a scan's, since the route
has no per-client limit): nothing that is not public.

One difference in wording: a GTIN and a lot number are printed on every pack of the batch and
anyone can copy them, so the page does not call the item genuine (正品) the way a label code's
verified MAC does; it says the batch is registered and points to the label code."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from dibiao.core.identifiers import validate_gtin
from dibiao.trace.choices import CodeStatus
from dibiao.trace.epcis import gtin14
from dibiao.trace.facts import cached_batch_facts
from dibiao.trace.selectors import certificates as selectors

STATUS_LABEL = "已登记批次"
HEADLINE = "该商品条码（GTIN）与批号对应平台登记的地理标志产品批次"
ADVICE = (
    "商品条码和批号印在同批每件商品上，可以被复制，本页不能证明单件商品的真伪。"
    "请扫描包装上的地理标志追溯码（一物一码）核验，并核对产品名称、生产经营主体和批次号。"
)


def digital_link_facts(gtin: str, lot: str) -> dict[str, Any]:
    """The facts of the batch a Digital Link names, shaped like a genuine code's scan facts
    (no code, no scan count: a GTIN and lot name a batch, not one label). Http404 for a GTIN
    whose check digit is wrong, NotFoundError (404) for a batch that does not exist."""
    try:
        validate_gtin(gtin)
    except ValidationError:
        raise Http404("GTIN 校验位不正确") from None
    batch = selectors.batch_get_by_digital_link(gtin14=gtin14(gtin), lot=lot)
    return {
        "status": str(CodeStatus.GENUINE),
        "status_label": STATUS_LABEL,
        "headline": HEADLINE,
        "advice": ADVICE,
        "code": "",
        **cached_batch_facts(batch),
        "scans": None,
        "gtin": gtin14(gtin),
    }


@require_GET
def digital_link(request: HttpRequest, gtin: str, lot: str) -> HttpResponseBase:
    facts = digital_link_facts(gtin, lot)
    response = render(request, "trace/scan_page.html", {"facts": facts})
    response["Cache-Control"] = "public, max-age=60"
    return response


public_urlpatterns = [
    path("01/<str:gtin>/10/<str:lot>", digital_link, name="digital-link"),
]
