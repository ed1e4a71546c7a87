"""Attachments (附件) on the program's records: work-archive documents shown and uploaded on
the contract and fund-entry pages. Fixtures `allocation` (c1a), `undertaker` from conftest.py."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dibiao.archive.choices import ArchiveCategory
from dibiao.archive.services import archive_attach
from dibiao.archive.targets import filing_for
from dibiao.projects import services
from dibiao.projects.choices import ImplementationArea
from dibiao.testing.files import pdf_upload

pytestmark = pytest.mark.django_db


def client_as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _attach(actor, target, name: str, category: str = ArchiveCategory.CONTRACT_SCAN):
    division, organization = filing_for(actor=actor, target=target)
    return archive_attach(
        actor=actor,
        target=target,
        division=division,
        organization=organization,
        category=category,
        document_date=dt.date(2022, 2, 20),
        description="盖章扫描件",
        upload=pdf_upload(name),
    )


@pytest.fixture
def contract(allocation, county_admin, undertaker):
    return services.contract_create(
        actor=county_admin,
        allocation=allocation,
        number="QX-2022-001",
        title="核心基地建设",
        party_b=undertaker,
        amount="1000000.00",
        area=ImplementationArea.PRODUCTION,
        start_date=dt.date(2022, 3, 1),
        end_date=dt.date(2022, 12, 31),
        signed_on=dt.date(2022, 2, 20),
    )


def test_contract_page_lists_its_documents_and_offers_the_upload(county_admin, contract):
    document = _attach(county_admin, contract, "合同签署扫描件.pdf")

    html = (
        client_as(county_admin)
        .get(reverse("projects:contract-detail", args=[contract.pk]))
        .content.decode()
    )

    assert reverse("archive:document-download", args=[document.pk]) in html
    assert "合同签署扫描件.pdf" in html
    assert "合同签署扫描件" in html  # the page's hint
    attach_url = reverse("archive:target-attach", args=["projects.contract", contract.pk])
    assert f'action="{attach_url}"' in html
    assert "附件功能即将接入" not in html


def test_entry_page_lists_its_vouchers(county_admin, contract):
    entry = services.entry_record(
        actor=county_admin,
        allocation=contract.allocation,
        contract=contract,
        voucher_number="PZ-001",
        paid_on=timezone.localdate(),
        payee="合作社",
        amount="30000.00",
        area=ImplementationArea.PRODUCTION,
    )
    voucher = _attach(county_admin, entry, "支付凭证.pdf", ArchiveCategory.PAYMENT_VOUCHER)
    other = _attach(county_admin, contract, "合同.pdf")

    html = (
        client_as(county_admin)
        .get(reverse("projects:entry-detail", args=[entry.pk]))
        .content.decode()
    )

    assert reverse("archive:document-download", args=[voucher.pk]) in html
    assert reverse("archive:document-download", args=[other.pk]) not in html


def test_program_documents_are_filed_with_the_province_and_link_to_the_program(
    program, province_admin, tree
):
    document = _attach(province_admin, program, "实施方案.pdf", ArchiveCategory.DOCUMENT)

    assert document.division == tree["p"]
    assert document.target_archive_url == reverse("projects:program-detail", args=[program.pk])
    html = client_as(province_admin).get(reverse("archive:document-list")).content.decode()
    assert "实施方案.pdf" in html
