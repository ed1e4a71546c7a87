"""What the demo loads and how scoping treats it: read-only tests over one load of the demo.

Loading takes about half a second, so this module loads it once, inside a transaction that is
rolled back when the module ends; pytest-django's per-test transaction nests inside it as a
savepoint, so each test still starts from the freshly loaded demo and nothing leaks into other
modules. Tests that change the demo or load it themselves live in test_load_demo.py.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client, override_settings
from rest_framework.test import APIClient

from dibiao.accounts.choices import OrganizationKind, Role
from dibiao.accounts.models import Membership, User
from dibiao.core.models import AuditLog, Division
from dibiao.ledger import audit, merkle
from dibiao.ledger import services as ledger
from dibiao.ledger.note import verify_note
from dibiao.ledger.tests.test_app import rfc9162_root
from dibiao.producers.choices import BaseKind
from dibiao.producers.models import Producer
from dibiao.production import choices as production_choices
from dibiao.production import models as production_models
from dibiao.production.models import RestrictedSubstance
from dibiao.registry.models import GIProduct
from dibiao.trace.models import Batch
from dibiao.trace.services.batches import batch_recall

pytestmark = pytest.mark.django_db

CITY_CODES = [f"14{n:02d}00" for n in range(1, 12)]
PRODUCT_COUNTY_CODES = [
    "140121",
    "140221",
    "140223",
    "140321",
    "140521",
    "140603",
    "140823",
    "140932",
    "141022",
    "141124",
]
EXPECTED_USERNAMES = {
    "province_admin",
    # The second provincial account of issue 8's fund demo (four eyes on the province's own ledger).
    "province_finance",
    "sysadmin",
    "secadmin",
    "auditor",
    "lab1",
    *(f"city_{code}" for code in CITY_CODES),
    *(f"county_{code}" for code in PRODUCT_COUNTY_CODES),
    *(f"countygov_{code}" for code in PRODUCT_COUNTY_CODES),
    *(f"expert{n}" for n in range(1, 6)),
    *(f"producer_{n}" for n in range(1, 7)),
    # The demo cooperatives of issue 4 (where the certificate holder is not a cooperative).
    *(
        f"coop_{code}"
        for code in (
            "141022",
            "140321",
            "140223",
            "140221",
            "140404",
            "140932",
            "140729",
            "140521",
            "140603",
            "140121",
        )
    ),
}
DEMO_PASSWORD = "Shanxi-Demo-2021!"


@pytest.fixture(scope="module")
def demo_output(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[str]:
    out = io.StringIO()
    with (
        django_db_blocker.unblock(),
        override_settings(
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            DEMO_PASSWORD_FILE=tmp_path_factory.mktemp("demo") / "demo_password",
            # The demo's checkpoint is rolled back with the demo; its witness must go too.
            DIBIAO_LEDGER_WITNESS=str(tmp_path_factory.mktemp("ledger") / "witness.jsonl"),
        ),
        pytest.MonkeyPatch.context() as env,
        transaction.atomic(),
    ):
        env.setenv("DIBIAO_DEMO_PASSWORD", DEMO_PASSWORD)
        call_command("load_demo", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


@pytest.fixture
def demo(demo_output: str, db: None) -> str:
    return demo_output


def api_as(username: str) -> APIClient:
    client = APIClient()
    client.force_authenticate(User.objects.get(username=username))
    return client


def _names(response) -> set[str]:
    return {row["name"] for row in response.json()["results"]}


def token_for(username: str, password: str):
    return APIClient().post("/api/v1/auth/token/", {"username": username, "password": password})


# --- what is loaded ---------------------------------------------------------------------------


def test_demo_loads_twelve_products_129_divisions_and_the_58_named_accounts(demo):
    assert GIProduct.objects.count() == 12
    assert Division.objects.count() == 129
    assert Division.objects.filter(level="city").count() == 11
    assert set(User.objects.values_list("username", flat=True)) == EXPECTED_USERNAMES
    assert len(EXPECTED_USERNAMES) == 58
    assert "新增账号 58 个，新增产品 12 个" in demo
    assert f"演示密码：{DEMO_PASSWORD}（来自 DIBIAO_DEMO_PASSWORD）" in demo


@pytest.mark.parametrize(
    ("username", "role", "division_code", "kind"),
    [
        ("province_admin", Role.PROVINCE_ADMIN, "140000", OrganizationKind.PROVINCIAL_DEPT),
        ("city_140100", Role.CITY_ADMIN, "140100", OrganizationKind.CITY_BUREAU),
        ("city_141100", Role.CITY_ADMIN, "141100", OrganizationKind.CITY_BUREAU),
        ("county_140121", Role.COUNTY_ADMIN, "140121", OrganizationKind.COUNTY_BUREAU),
        ("countygov_140121", Role.COUNTY_GOV, "140121", OrganizationKind.COUNTY_GOV),
        ("expert3", Role.EXPERT, "140000", OrganizationKind.OTHER),
        ("lab1", Role.LAB, "140000", OrganizationKind.LAB),
        ("sysadmin", Role.SYSADMIN, "140000", OrganizationKind.PROVINCIAL_DEPT),
        ("secadmin", Role.SECADMIN, "140000", OrganizationKind.PROVINCIAL_DEPT),
        ("auditor", Role.AUDITOR, "140000", OrganizationKind.PROVINCIAL_DEPT),
    ],
)
def test_each_demo_account_holds_one_role_at_the_right_division(
    demo, username, role, division_code, kind
):
    (membership,) = Membership.objects.filter(user__username=username).select_related(
        "organization__division"
    )
    assert membership.role == role
    assert membership.organization.division.code == division_code
    assert membership.organization.kind == kind


def test_each_certificate_holder_gets_one_producer_account_in_its_organization(demo):
    holders = set(
        GIProduct.objects.exclude(certificate_holder=None).values_list(
            "certificate_holder__name", flat=True
        )
    )
    producers = Membership.objects.filter(
        role=Role.PRODUCER, user__username__startswith="producer_"
    ).select_related("organization")

    assert len(holders) == 6
    assert {m.organization.name for m in producers} == holders
    assert {m.organization.kind for m in producers} == {OrganizationKind.PRODUCER}


def test_blank_facts_stay_blank(demo):
    jujube = GIProduct.objects.get(name="灵石酸枣仁")

    assert jujube.certificate_number == ""
    assert jujube.certificate_holder is None
    # No source confirms its county or city, so it stands at the province and nowhere lower.
    assert [d.code for d in jujube.divisions.all()] == ["140000"]
    assert jujube.registration_year is None
    assert set(
        GIProduct.objects.exclude(certificate_number="").values_list(
            "certificate_number", flat=True
        )
    ) == {"AGI02162", "AGI00871", "AGI01900", "AGI01055"}


def test_products_are_placed_in_their_county_or_city(demo):
    grapes = GIProduct.objects.get(name="清徐葡萄")
    sorghum = GIProduct.objects.get(name="上党高粱")

    assert [d.code for d in grapes.divisions.all()] == ["140121"]
    assert grapes.certificate_number == "AGI01055"
    assert grapes.certificate_holder is None
    # 上党高粱 spans several counties of 长治市: placed at the city, not at a guessed county.
    assert [d.code for d in sorghum.divisions.all()] == ["140400"]
    assert sorghum.certificate_holder is not None
    assert sorghum.certificate_holder.division.code == "140400"


def test_demo_products_are_audited_as_system_creations(demo):
    rows = AuditLog.objects.filter(object_type="registry.giproduct", action="create")
    assert rows.count() == 12
    assert set(rows.values_list("username", flat=True)) == {""}


# --- acceptance: scoping over the demo ---------------------------------------------------------


def test_province_admin_lists_exactly_the_twelve(demo):
    response = api_as("province_admin").get("/api/v1/products/")

    assert response.status_code == 200
    assert response.json()["count"] == 12
    assert _names(response) == set(GIProduct.objects.values_list("name", flat=True))


def test_county_140121_lists_only_qingxu_grapes(demo):
    response = api_as("county_140121").get("/api/v1/products/")

    assert response.json()["count"] == 1
    assert _names(response) == {"清徐葡萄"}


def test_county_140121_gets_404_for_another_countys_product(demo):
    honey = GIProduct.objects.get(name="沁水刺槐蜂蜜")

    response = api_as("county_140121").get(f"/api/v1/products/{honey.pk}/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_city_140400_sees_shangdang_sorghum(demo):
    response = api_as("city_140400").get("/api/v1/products/")
    assert _names(response) == {"上党高粱"}


def test_producer_sees_the_product_its_organization_holds(demo):
    username = Membership.objects.get(
        role=Role.PRODUCER, organization__name="沁水县蜂业协会"
    ).user.username
    response = api_as(username).get("/api/v1/products/")
    assert _names(response) == {"沁水刺槐蜂蜜"}


def test_anonymous_api_request_is_refused(demo):
    response = APIClient().get("/api/v1/products/")
    assert response.status_code in (401, 403)
    assert response.json()["code"] == "not_authenticated"


def test_public_product_list_shows_the_twelve_without_login(demo):
    response = Client().get("/products/")

    assert response.status_code == 200
    assert {p.name for p in response.context["object_list"]} == set(
        GIProduct.objects.values_list("name", flat=True)
    )
    assert len(response.context["object_list"]) == 12


# --- signing in with the demo password ---------------------------------------------------------


def test_wrong_password_does_not_sign_in(demo):
    response = token_for("county_140121", "not-the-demo-password")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_credentials"


def test_demo_user_can_sign_in_on_the_login_page(demo):
    client = Client()
    response = client.post(
        "/accounts/login/", {"username": "province_admin", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302
    assert client.get("/").context["products"]["total"] == 12


def test_the_2021_program_carries_its_real_allocations(demo):
    from decimal import Decimal

    from dibiao.projects.models import Program

    program = Program.objects.get(year=2021)
    amounts = {a.product.name: a.amount for a in program.allocations.select_related("product")}
    assert len(amounts) == 12
    assert (
        sum(amounts.values())
        == Decimal("35400000.00")
        == program.allocated_total
        == program.total_budget
    )
    assert amounts["斗山杏仁"] == amounts["王官屯京杏"] == Decimal("2700000.00")
    assert {v for k, v in amounts.items() if k not in {"斗山杏仁", "王官屯京杏"}} == {
        Decimal("3000000.00")
    }
    assert program.status == "implementing"


def test_programs_api_shows_the_2021_program_with_its_allocations(demo):
    from decimal import Decimal

    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    def programs_as(username: str) -> list[dict]:
        client = APIClient()
        client.credentials(
            HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=User.objects.get(username=username))[0].key}"
        )
        response = client.get("/api/v1/programs/")
        assert response.status_code == 200
        return response.json()["results"]

    (program,) = programs_as("province_admin")
    assert program["year"] == 2021
    assert len(program["allocations"]) == 12
    assert sum(Decimal(a["amount"]) for a in program["allocations"]) == Decimal("35400000.00")
    assert Decimal(program["allocated_total"]) == Decimal("35400000.00")
    (county_view,) = programs_as("county_140121")
    assert [a["product"]["name"] for a in county_view["allocations"]] == ["清徐葡萄"]


# --- issue 4: producers, bases, logs, training, tests ------------------------------------------


def test_every_product_has_a_core_base_a_scale_operator_logs_training_and_a_test(demo):
    for product in GIProduct.objects.all():
        assert product.bases.filter(kind=BaseKind.CORE).exists(), product.name
        assert product.producers.filter(is_scale_operator=True).exists(), product.name
        assert product.trainings.exists(), product.name
        assert product.test_reports.filter(result=production_choices.TestResult.PASS).exists(), (
            product.name
        )
        logs = product.logs.all()
        assert logs.filter(kind=production_choices.LogKind.HARVEST).exists(), product.name
        assert logs.filter(
            kind=production_choices.LogKind.INPUT, safety_interval_days__isnull=False
        ).exists()
        months = {log.day.month for log in logs}
        assert len(months) >= 4, (product.name, months)  # a season, not one day


def test_every_scale_operator_holds_an_agreement_valid_today(demo):
    for operator in Producer.objects.filter(is_scale_operator=True):
        agreements = operator.authorizations.all()
        assert any(a.is_valid_today for a in agreements), operator.name


def test_farmers_driven_grow_and_households_are_sealed(demo):
    operator = Producer.objects.filter(is_scale_operator=True).order_by("pk")[0]
    years = sorted(operator.farmer_links.all(), key=lambda link: link.year)
    assert len(years) == 2
    assert years[1].per_capita_income > years[0].per_capita_income
    household = operator.households.all()[0]
    assert "*" in household.name_masked
    assert household.name_sealed.startswith("k1.")


def test_graded_products_get_their_grade_from_the_measured_item(demo):
    grapes = GIProduct.objects.get(name="清徐葡萄")
    report = grapes.test_reports.get()
    assert report.grade is not None
    assert report.grade.name == "特级"  # 18.6 % soluble solids against 特级 ≥ 18


def test_the_national_banned_list_is_loaded_with_its_source(demo):
    banned = RestrictedSubstance.objects.filter(kind="banned")
    assert banned.count() >= 40
    assert all(s.restriction_list.source for s in banned)


def test_a_demo_cooperative_signs_in_and_sees_only_its_own_bases(demo):
    client = api_as("coop_140121")
    names = {row["name"] for row in client.get("/api/v1/bases/").json()["results"]}
    assert names == {"马峪乡葡萄核心生产基地（演示）"}


# --- issue 5: batches, codes, certificates ----------------------------------------------------


def test_every_product_has_a_released_batch_with_bound_codes_and_a_certificate(demo):
    from dibiao.trace.choices import BatchStatus, SegmentState
    from dibiao.trace.models import Batch, CodeSegment, ComplianceCertificate

    for product in GIProduct.objects.all():
        batch = Batch.objects.get(product=product)
        assert batch.status == BatchStatus.RELEASED, product.name
        assert CodeSegment.objects.filter(batch=batch, state=SegmentState.ACTIVE).exists()
        assert ComplianceCertificate.objects.filter(batch=batch).exists()


def test_qingxu_grapes_carry_ten_thousand_codes_and_a_printed_code_is_genuine(demo):
    from dibiao.trace.lookup import check_code
    from dibiao.trace.models import CodeIssuance

    issuance = CodeIssuance.objects.get(product__name="清徐葡萄")
    assert issuance.count == 10_000
    line = next(
        line for line in demo.splitlines() if line.startswith("扫码体验") and "清徐葡萄" in line
    )
    code = line.split("/t/")[1].split()[0]
    assert check_code(code).status == "genuine"
    response = APIClient().get(f"/api/v1/trace/{code}")
    assert response.status_code == 200
    assert response.json()["status"] == "genuine"


# --- the verifiable ledger (issue 6) ----------------------------------------------------------


def _ledger_download(client: Client) -> tuple[dict, str, list[dict]]:
    head = client.get("/api/v1/ledger/checkpoint").json()
    key = client.get("/api/v1/ledger/key").json()["verifier_key"]
    entries: list[dict] = []
    while len(entries) < head["size"]:
        page = client.get("/api/v1/ledger/entries", {"start": len(entries)}).json()
        entries += page["entries"]
    return head, key, entries


def test_an_outsider_recomputes_the_demo_ledger_and_checks_its_proofs(demo, tmp_path):
    client = Client()  # no login
    head, key, entries = _ledger_download(client)
    assert {entry["record_type"] for entry in entries} >= {
        "projects.allocation",
        "producers.label_authorization",
        "production.test_report",
        "trace.batch",
        "trace.event",
        "trace.certificate",
        "trace.code_issuance",
        "trace.code_range",
    }
    leaves = [base64.b64decode(entry["leaf"]) for entry in entries]
    # An RFC 9162 implementation sharing no code with dibiao.ledger gets the signed root.
    assert rfc9162_root(leaves) == base64.b64decode(head["root_hash"])
    checkpoint = verify_note(head["checkpoint"], verifier_key=key)
    assert checkpoint.root == rfc9162_root(leaves)

    for index in random.Random(6).sample(range(head["size"]), 10):
        proof = client.get("/api/v1/ledger/proof/inclusion", {"index": index}).json()
        merkle.verify_inclusion(
            index=index,
            size=head["size"],
            leaf_hash=hashlib.sha256(b"\x00" + leaves[index]).digest(),
            proof=[base64.b64decode(item) for item in proof["proof"]],
            root=checkpoint.root,
        )

    # The offline verifier, in a process without Django, checks the whole downloaded log.
    (tmp_path / "entries.jsonl").write_text(
        "".join(json.dumps({"index": e["index"], "leaf": e["leaf"]}) + "\n" for e in entries)
    )
    (tmp_path / "checkpoint.txt").write_text(head["checkpoint"])
    result = subprocess.run(  # noqa: S603 (fixed arguments)
        [
            sys.executable,
            "-m",
            "dibiao.ledger.verify",
            "log",
            "entries.jsonl",
            "checkpoint.txt",
            "--key",
            key,
        ],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3])},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr

    # The log grows (a batch is recalled) and the new checkpoint extends the demo's.
    batch = Batch.objects.filter(status="released").first()
    assert batch is not None
    batch_recall(actor=None, batch=batch, reason="演示：抽检不合格")
    later = ledger.publish_checkpoint()
    assert later is not None
    assert later.size > head["size"]
    proof = client.get("/api/v1/ledger/proof/consistency", {"first": head["size"]}).json()
    merkle.verify_consistency(
        first=head["size"],
        second=later.size,
        first_root=checkpoint.root,
        second_root=bytes(later.root_hash),
        proof=[base64.b64decode(item) for item in proof["proof"]],
    )


def test_ledger_verify_names_a_test_result_changed_in_the_demo_database(demo):
    assert audit.run().ok
    item = production_models.TestItem.objects.order_by("pk").first()
    assert item is not None
    production_models.TestItem.objects.filter(pk=item.pk).update(value=item.value + 1)
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("ledger_verify", "--quiet", "--no-alert", stdout=out)
    assert exit_info.value.code == 1
    assert f"检测报告 #{item.report_id}" in out.getvalue()
