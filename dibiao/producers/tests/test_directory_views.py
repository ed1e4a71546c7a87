"""Pages of the directory: scope, masking (list, detail, export), the audited full view, the
create/edit forms' field errors, the producer's contact-only form, status changes."""

from __future__ import annotations

import pytest
from django.urls import reverse

from dibiao.accounts.choices import Role
from dibiao.core import pii
from dibiao.core.choices import AuditAction
from dibiao.core.models import AuditLog
from dibiao.producers.choices import ProducerStatus
from dibiao.producers.models import Producer
from dibiao.producers.tests.directory_fixtures import (
    assert_no_personal_data,
    client_as,
)
from dibiao.testing.factories import (
    VALID_CREDIT_CODE,
    VALID_ID_NUMBER,
    ProductFactory,
    producer,
    producer_user,
    user_with_role,
)
from dibiao.testing.responses import xlsx_rows

pytestmark = pytest.mark.django_db
SEEDED_PHONE = "13712345678"


@pytest.fixture
def seeded(tree):
    """Two entries of c1a with known personal numbers, one of c2a."""
    household = producer(
        tree["c1a"],
        name="种养大户甲",
        kind="large_household",
        id_number_value=VALID_ID_NUMBER,
        phone=SEEDED_PHONE,
    )
    coop = producer(tree["c1a"], name="合作社乙", phone="0351-1234567")
    elsewhere = producer(tree["c2a"], name="别县主体")
    return household, coop, elsewhere


def _form(division, **values):
    data = {
        "name": "新登记合作社",
        "kind": "cooperative",
        "credit_code": VALID_CREDIT_CODE,
        "id_number": "",
        "legal_representative": "张三",
        "contact_name": "李四",
        "phone": "13600000000",
        "address": "某村",
        "division": division.pk,
    }
    data.update(values)
    return data


# --- List, detail, export: scope and masking -------------------------------------------------


def test_list_shows_the_countys_entries_masked(tree, county_admin, seeded):
    response = client_as(county_admin).get(reverse("producers:producer-list"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "种养大户甲" in html
    assert "合作社乙" in html
    assert "别县主体" not in html
    assert "137****5678" in html
    assert_no_personal_data(html, SEEDED_PHONE, VALID_ID_NUMBER, "03511234567")


def test_list_search_by_full_phone_finds_the_entry(tree, county_admin, seeded):
    response = client_as(county_admin).get(reverse("producers:producer-list"), {"q": SEEDED_PHONE})
    names = [p.name for p in response.context["object_list"]]
    assert names == ["种养大户甲"]
    # The search box echoes what the user typed; the rows themselves stay masked.
    rows = response.content.decode().split('id="results"')[1]
    assert_no_personal_data(rows, VALID_ID_NUMBER)


def test_list_filters_by_kind_and_product(tree, county_admin, seeded):
    product = ProductFactory.create(divisions=[tree["c1a"]])
    seeded[1].products.add(product)
    client = client_as(county_admin)
    by_kind = client.get(reverse("producers:producer-list"), {"kind": "large_household"})
    assert [p.name for p in by_kind.context["object_list"]] == ["种养大户甲"]
    by_product = client.get(reverse("producers:producer-list"), {"product": product.pk})
    assert [p.name for p in by_product.context["object_list"]] == ["合作社乙"]


def test_detail_shows_masked_values_and_the_reveal_button(tree, county_admin, seeded):
    response = client_as(county_admin).get(
        reverse("producers:producer-detail", args=[seeded[0].pk])
    )
    html = response.content.decode()
    assert "110105********002X" in html
    assert "查看完整信息" in html
    assert_no_personal_data(html, SEEDED_PHONE, VALID_ID_NUMBER)


def test_city_admin_sees_the_detail_without_the_reveal_button(tree, city_admin, seeded):
    response = client_as(city_admin).get(reverse("producers:producer-detail", args=[seeded[0].pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "查看完整信息" not in html
    assert_no_personal_data(html, SEEDED_PHONE, VALID_ID_NUMBER)


def test_export_is_masked_scoped_and_audited(tree, county_admin, seeded):
    response = client_as(county_admin).get(reverse("producers:producer-export"))
    rows = xlsx_rows(response)
    assert rows[0][0] == "主体名称"
    assert {row[0] for row in rows[1:]} == {"种养大户甲", "合作社乙"}
    assert_no_personal_data(str(rows), SEEDED_PHONE, VALID_ID_NUMBER, "03511234567")
    assert "137****5678" in str(rows)
    assert AuditLog.objects.filter(action=AuditAction.EXPORT).count() == 1


@pytest.mark.parametrize("q", [SEEDED_PHONE, "137-1234-5678", VALID_ID_NUMBER.lower()])
def test_export_by_a_full_number_keeps_it_masked_in_the_audit_log(tree, county_admin, seeded, q):
    response = client_as(county_admin).get(reverse("producers:producer-export"), {"q": q})
    assert [row[0] for row in xlsx_rows(response)[1:]] == ["种养大户甲"]
    row = AuditLog.objects.get(action=AuditAction.EXPORT)
    assert_no_personal_data(f"{row.detail} {row.changes}", SEEDED_PHONE, VALID_ID_NUMBER)
    assert "137****5678" in row.detail or "110105********002X" in row.detail


@pytest.mark.parametrize(
    "url",
    [
        "producers:producer-list",
        "producers:producer-export",
        "producers:base-list",
        "producers:authorization-list",
        "producers:authorization-export",
    ],
)
@pytest.mark.parametrize("value", ["²", "99999999999999999999999", "-1", "x"])
def test_bad_id_filters_are_ignored_not_a_500(tree, county_admin, seeded, url, value):
    params = {"product": value, "producer": value, "year": value}
    response = client_as(county_admin).get(reverse(url), params)
    assert response.status_code == 200


def test_export_neutralises_formulas(tree, county_admin):
    producer(tree["c1a"], name='=HYPERLINK("http://x")')
    rows = xlsx_rows(client_as(county_admin).get(reverse("producers:producer-export")))
    assert rows[1][0] == '\'=HYPERLINK("http://x")'


def test_a_producer_sees_only_its_own_entry(tree, seeded):
    user, own = producer_user(tree["c1a"], name="自家合作社")
    client = client_as(user)
    response = client.get(reverse("producers:producer-list"))
    assert list(response.context["object_list"]) == [own]
    assert client.get(reverse("producers:producer-detail", args=[own.pk])).status_code == 200
    other = client.get(reverse("producers:producer-detail", args=[seeded[1].pk]))
    assert other.status_code == 404


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("producers:producer-detail", "get"),
        ("producers:producer-edit", "get"),
        ("producers:producer-edit", "post"),
        ("producers:producer-status", "post"),
        ("producers:producer-personal-data", "post"),
    ],
)
def test_another_countys_user_gets_404(tree, other_county_admin, seeded, name, method):
    client = client_as(other_county_admin)
    url = reverse(name, args=[seeded[0].pk])
    response = client.get(url) if method == "get" else client.post(url, {"status": "closed"})
    assert response.status_code == 404
    seeded[0].refresh_from_db()
    assert seeded[0].status == ProducerStatus.ACTIVE


def test_admin_roles_cannot_open_the_directory(tree, auditor):
    assert client_as(auditor).get(reverse("producers:producer-list")).status_code == 403


# --- 查看完整信息 ------------------------------------------------------------------------------


def test_reveal_shows_plain_values_once_and_writes_an_audit_row(tree, county_admin, seeded):
    response = client_as(county_admin).post(
        reverse("producers:producer-personal-data", args=[seeded[0].pk])
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert SEEDED_PHONE in html
    assert VALID_ID_NUMBER in html
    assert "no-store" in response["Cache-Control"]
    log = AuditLog.objects.get(action=AuditAction.VIEW_SENSITIVE)
    assert (log.user_id, log.object_id) == (county_admin.pk, str(seeded[0].pk))


def test_reveal_is_refused_to_city_admin(tree, city_admin, seeded):
    response = client_as(city_admin).post(
        reverse("producers:producer-personal-data", args=[seeded[0].pk])
    )
    assert response.status_code == 403
    assert not AuditLog.objects.filter(action=AuditAction.VIEW_SENSITIVE).exists()


def test_reveal_needs_a_post(tree, county_admin, seeded):
    url = reverse("producers:producer-personal-data", args=[seeded[0].pk])
    assert client_as(county_admin).get(url).status_code == 405


# --- Create and edit -------------------------------------------------------------------------


def test_create_form_registers_and_redirects(tree, county_admin):
    response = client_as(county_admin).post(
        reverse("producers:producer-create"), _form(tree["c1a"])
    )
    entry = Producer.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("producers:producer-detail", args=[entry.pk])
    assert entry.phone_masked == "136****0000"


def test_create_form_bad_credit_code_is_a_field_error(tree, county_admin):
    bad = VALID_CREDIT_CODE[:-1] + "0"
    response = client_as(county_admin).post(
        reverse("producers:producer-create"), _form(tree["c1a"], credit_code=bad)
    )
    assert response.status_code == 200
    assert "校验位不正确" in response.context["form"].errors["credit_code"][0]
    assert not Producer.objects.exists()


def test_create_form_bad_id_number_is_a_field_error(tree, county_admin):
    response = client_as(county_admin).post(
        reverse("producers:producer-create"),
        _form(tree["c1a"], kind="individual", credit_code="", id_number="110105194912310021"),
    )
    assert "校验位不正确" in response.context["form"].errors["id_number"][0]


def test_create_form_missing_identifier_is_a_field_error(tree, county_admin):
    response = client_as(county_admin).post(
        reverse("producers:producer-create"), _form(tree["c1a"], kind="individual", credit_code="")
    )
    assert "身份证号码" in response.context["form"].errors["id_number"][0]


def test_create_form_duplicate_credit_code_shows_at_the_field(tree, county_admin):
    producer(tree["c1a"], credit_code_value=VALID_CREDIT_CODE)
    response = client_as(county_admin).post(
        reverse("producers:producer-create"), _form(tree["c1a"])
    )
    assert response.context["form"].errors["credit_code"] == [
        "该统一社会信用代码已登记在另一个主体名下。"
    ]


def test_create_form_offers_only_the_own_county(tree, county_admin):
    form = client_as(county_admin).get(reverse("producers:producer-create")).context["form"]
    assert list(form.fields["division"].queryset) == [tree["c1a"]]


def test_create_is_forbidden_to_city_admin(tree, city_admin):
    assert client_as(city_admin).get(reverse("producers:producer-create")).status_code == 403


def test_edit_form_never_shows_the_stored_numbers(tree, county_admin, seeded):
    response = client_as(county_admin).get(reverse("producers:producer-edit", args=[seeded[0].pk]))
    html = response.content.decode()
    assert "110105********002X" in html  # the help text says what is stored
    assert_no_personal_data(html, SEEDED_PHONE, VALID_ID_NUMBER)


def test_edit_with_blank_numbers_keeps_them(tree, county_admin, seeded):
    entry = seeded[0]
    data = _form(
        tree["c1a"], name="改名大户", kind="large_household", credit_code="", id_number="", phone=""
    )
    response = client_as(county_admin).post(
        reverse("producers:producer-edit", args=[entry.pk]), data
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.name == "改名大户"
    assert pii.unseal(entry.phone_sealed) == SEEDED_PHONE
    assert pii.unseal(entry.id_number_sealed) == VALID_ID_NUMBER


def test_producer_gets_the_contact_form_and_saves_it(tree):
    user, entry = producer_user(tree["c1a"], name="自家合作社")
    url = reverse("producers:producer-edit", args=[entry.pk])
    client = client_as(user)
    form = client.get(url).context["form"]
    assert set(form.fields) == {"contact_name", "phone", "address"}
    response = client.post(
        url,
        {"contact_name": "新联系人", "phone": "13600001111", "address": "新址", "name": "改不了"},
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.name, entry.contact_name, entry.phone_masked) == (
        "自家合作社",
        "新联系人",
        "136****1111",
    )


def test_county_gov_cannot_edit(tree, seeded):
    actor = user_with_role(Role.COUNTY_GOV, tree["c1a"])
    assert (
        client_as(actor).get(reverse("producers:producer-edit", args=[seeded[0].pk])).status_code
        == 403
    )


def test_status_form_suspends_and_refuses_a_closed_entry(tree, county_admin, seeded):
    client = client_as(county_admin)
    url = reverse("producers:producer-status", args=[seeded[1].pk])
    client.post(url, {"status": "closed", "reason": "注销"})
    seeded[1].refresh_from_db()
    assert seeded[1].status == ProducerStatus.CLOSED
    response = client.post(url, {"status": "active"}, follow=True)
    assert "不能改为" in response.content.decode()


@pytest.mark.parametrize(
    ("name", "args", "title"),
    [
        ("producers:producer-list", [], "生产经营主体名录"),
        ("producers:producer-create", [], "登记生产经营主体"),
        ("producers:producer-import", [], "从 Excel 导入生产经营主体"),
        ("producers:base-list", [], "核心生产基地"),
        ("producers:base-create", [], "登记生产基地"),
        ("producers:farmer-list", ["entry"], "带动农户、增收"),
        ("producers:farmer-create", ["entry"], "填报年度带动农户情况"),
        ("producers:household-import", ["entry"], "导入带动农户名单"),
        ("producers:household-list", ["entry", 2024], "2024 年度带动农户名单"),
    ],
)
def test_pages_render_for_the_county(tree, county_admin, seeded, name, args, title):
    args = [seeded[1].pk if a == "entry" else a for a in args]
    response = client_as(county_admin).get(reverse(name, args=args))
    assert response.status_code == 200
    assert title in response.content.decode()
