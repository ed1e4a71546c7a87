"""The generic attach view (`archive:target-attach`) and the `archive_attachments` tag, on the
protection program's records: a contract, a fund entry and the program itself."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from django.contrib.contenttypes.models import ContentType
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from dibiao.accounts.choices import OrganizationKind, Role
from dibiao.archive.choices import ArchiveCategory
from dibiao.archive.exports import archive_zip_for_product
from dibiao.archive.models import ArchiveDocument
from dibiao.archive.permissions import can_attach_to
from dibiao.archive.tests.support import attach, client_as
from dibiao.projects import services as projects
from dibiao.projects.choices import ImplementationArea, ProgramStatus
from dibiao.projects.models import Contract, FundEntry, Program
from dibiao.testing.factories import OrganizationFactory, user_with_role
from dibiao.testing.files import HTML, pdf_upload, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def program(tree, province_admin) -> Program:
    program = projects.program_create(
        actor=province_admin,
        province=tree["p"],
        year=2022,
        name="2022年地理标志农产品保护工程",
        total_budget="6000000.00",
        annual_summary_deadline=dt.date(2022, 11, 30),
    )
    for status in (ProgramStatus.OPEN, ProgramStatus.REVIEWING, ProgramStatus.IMPLEMENTING):
        program = projects.program_transition(actor=province_admin, program=program, status=status)
    return program


def _contract(actor, allocation, party, number: str) -> Contract:
    return projects.contract_create(
        actor=actor,
        allocation=allocation,
        number=number,
        title="核心基地建设",
        party_b=party,
        amount="500000.00",
        area=ImplementationArea.PRODUCTION,
        start_date=dt.date(2022, 3, 1),
        end_date=dt.date(2022, 12, 31),
        signed_on=dt.date(2022, 2, 20),
    )


@pytest.fixture
def party(tree):
    return OrganizationFactory.create(
        kind=OrganizationKind.PRODUCER, name="清徐县葡萄专业合作社", division=tree["c1a"]
    )


@pytest.fixture
def contract(program, own, party, province_admin, county_admin) -> Contract:
    """A contract of county c1a on `own`'s allocation."""
    allocation = projects.allocation_create(
        actor=province_admin, program=program, product=own, amount="3000000.00"
    )
    return _contract(county_admin, allocation, party, "QX-2022-001")


@pytest.fixture
def entry(contract, county_admin) -> FundEntry:
    return projects.entry_record(
        actor=county_admin,
        allocation=contract.allocation,
        contract=contract,
        voucher_number="PZ-001",
        paid_on=timezone.localdate(),
        payee="清徐县葡萄专业合作社",
        amount="30000.00",
        area=ImplementationArea.PRODUCTION,
    )


@pytest.fixture
def foreign_contract(program, foreign, province_admin, other_county_admin, tree) -> Contract:
    """A contract of county c2a (other_county_admin's)."""
    allocation = projects.allocation_create(
        actor=province_admin, program=program, product=foreign, amount="1000000.00"
    )
    party = OrganizationFactory.create(name="沁水县蜂业合作社", division=tree["c2a"])
    return _contract(other_county_admin, allocation, party, "QS-1")


def _url(target) -> str:
    key = target._meta.label_lower
    return reverse("archive:target-attach", args=[key, target.pk])


def _post(client, target, file, *, next_url: str = "", follow: bool = False, **data):
    values = {
        "archive-category": ArchiveCategory.CONTRACT_SCAN,
        "archive-document_date": "2022-02-20",
        "archive-description": "合同签署扫描件",
        "archive-file": file,
        **data,
    }
    if next_url:
        values["next"] = next_url
    return client.post(_url(target), values, follow=follow)


def _documents(target):
    return ArchiveDocument.objects.filter(
        content_type=ContentType.objects.get_for_model(target), object_id=target.pk
    )


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# --- attaching ----------------------------------------------------------------------------------


def test_county_attaches_a_pdf_to_its_contract_and_comes_back(county_admin, contract, tree):
    page = reverse("projects:contract-detail", args=[contract.pk])
    client = client_as(county_admin)

    response = _post(client, contract, pdf_upload("合同扫描件.pdf"), next_url=f"{page}#attachments")

    assert response.status_code == 302
    assert response["Location"] == f"{page}#attachments"
    document = _documents(contract).get()
    assert document.kind == "pdf"
    assert document.category == ArchiveCategory.CONTRACT_SCAN
    assert document.division == tree["c1a"]
    assert document.uploaded_by == county_admin
    shown = client.get(page)
    assert "“合同扫描件.pdf”已归档。" in _messages(shown)
    assert reverse("archive:document-download", args=[document.pk]) in shown.content.decode()


def test_county_attaches_a_voucher_to_a_fund_entry(county_admin, entry):
    page = reverse("projects:entry-detail", args=[entry.pk])

    response = _post(
        client_as(county_admin),
        entry,
        pdf_upload("支付凭证.pdf"),
        next_url=page,
        follow=True,
        **{"archive-category": ArchiveCategory.PAYMENT_VOUCHER},
    )

    assert response.redirect_chain[-1][0] == page
    document = _documents(entry).get()
    assert document.category == ArchiveCategory.PAYMENT_VOUCHER
    assert "支付凭证.pdf" in response.content.decode()


def test_html_renamed_png_is_refused_with_the_reason_shown(county_admin, contract):
    page = reverse("projects:contract-detail", args=[contract.pk])

    response = _post(
        client_as(county_admin),
        contract,
        upload("扫描件.png", HTML, "image/png"),
        next_url=page,
        follow=True,
    )

    assert response.status_code == 200
    assert not _documents(contract).exists()
    [message] = _messages(response)
    assert message.startswith("“扫描件.png”未能归档：文件：")
    assert "HTML" in message
    assert message in response.content.decode()


def test_form_errors_are_shown_as_a_message(county_admin, contract):
    response = _post(
        client_as(county_admin),
        contract,
        pdf_upload(),
        follow=True,
        **{"archive-category": "", "archive-document_date": "2022-02-30"},
    )

    assert not _documents(contract).exists()
    [message] = _messages(response)
    assert "类别：" in message
    assert "文件日期：" in message


def test_future_document_date_is_refused(county_admin, contract):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = _post(
        client_as(county_admin),
        contract,
        pdf_upload(),
        follow=True,
        **{"archive-document_date": tomorrow.isoformat()},
    )

    assert not _documents(contract).exists()
    assert "文件日期不能晚于今天。" in _messages(response)[0]


def test_next_to_another_host_is_ignored(county_admin, contract):
    response = _post(
        client_as(county_admin), contract, pdf_upload(), next_url="https://evil.example/phish"
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("projects:contract-detail", args=[contract.pk])
    assert _documents(contract).count() == 1


@pytest.mark.parametrize("next_url", ["//evil.example/x", "https:///evil.example", "javascript:x"])
def test_unsafe_next_forms_are_ignored(county_admin, contract, next_url):
    response = _post(client_as(county_admin), contract, pdf_upload(), next_url=next_url)

    assert response["Location"] == reverse("projects:contract-detail", args=[contract.pk])


# --- who may ------------------------------------------------------------------------------------


def test_another_countys_contract_is_not_found(county_admin, foreign_contract):
    response = _post(client_as(county_admin), foreign_contract, pdf_upload())

    assert response.status_code == 404
    assert not _documents(foreign_contract).exists()


def test_unregistered_or_unknown_target_type_is_not_found(county_admin, contract):
    client = client_as(county_admin)
    for key in ("accounts.user", "projects.deliverable", "nonsense"):
        url = reverse("archive:target-attach", args=[key, contract.pk])
        response = client.post(url, {"archive-file": pdf_upload()})
        assert response.status_code == 404, key
    assert not ArchiveDocument.objects.exists()


def test_missing_contract_is_not_found(county_admin, contract):
    url = reverse("archive:target-attach", args=["projects.contract", contract.pk + 1000])
    assert client_as(county_admin).post(url, {}).status_code == 404


def test_get_is_not_allowed(county_admin, contract):
    assert client_as(county_admin).get(_url(contract)).status_code == 405


def test_anonymous_is_sent_to_login(contract):
    response = client_as(None).post(_url(contract), {})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_a_lab_that_sees_its_contract_may_not_attach(tree, county_admin, program, own):
    lab = OrganizationFactory.create(kind=OrganizationKind.LAB, division=tree["c1a"])
    allocation = projects.allocation_create(
        actor=user_with_role(Role.PROVINCE_ADMIN, tree["p"]),
        program=program,
        product=own,
        amount="1000000.00",
    )
    contract = _contract(county_admin, allocation, lab, "QX-LAB-1")
    tester = user_with_role(Role.LAB, tree["c1a"], organization=lab)

    assert _post(client_as(tester), contract, pdf_upload()).status_code == 403
    assert not _documents(contract).exists()


def test_upload_form_only_for_those_who_may_file_there(
    county_admin, city_admin, other_county_admin, party, tree, contract
):
    contractor = user_with_role(Role.PRODUCER, tree["c1a"], organization=party)

    assert can_attach_to(county_admin, contract)
    assert can_attach_to(city_admin, contract)
    assert not can_attach_to(other_county_admin, contract)
    # The undertaking unit (party B) files its own deliverables on its contract.
    assert can_attach_to(contractor, contract)


def test_tag_shows_the_form_to_the_county_and_the_province(county_admin, contract, province_admin):
    page = reverse("projects:contract-detail", args=[contract.pk])
    html = client_as(county_admin).get(page).content.decode()
    assert f'action="{_url(contract)}"' in html
    assert 'name="archive-file"' in html

    # The province may file here too: the contract's county is inside its scope.
    assert 'name="archive-file"' in client_as(province_admin).get(page).content.decode()


def test_province_files_program_documents_the_county_cannot(
    province_admin, county_admin, program, tree
):
    assert can_attach_to(province_admin, program)
    assert not can_attach_to(county_admin, program)

    _post(client_as(province_admin), program, pdf_upload("实施方案.pdf"))
    response = _post(client_as(county_admin), program, pdf_upload("县级.pdf"), follow=True)

    assert _documents(program).get().division == tree["p"]
    assert "不在您的管辖范围内" in _messages(response)[0]


def test_contractor_files_on_its_contract_but_sees_only_its_own_documents(
    county_admin, party, tree, contract
):
    attach(county_admin, contract, upload=pdf_upload("合同扫描件.pdf"))
    contractor = user_with_role(Role.PRODUCER, tree["c1a"], organization=party)
    attach(contractor, contract, upload=pdf_upload("交付物.pdf"))
    request = RequestFactory().get("/")
    request.user = contractor
    tag = Template("{% load archive %}{% archive_attachments object %}")

    html = tag.render(Context({"request": request, "object": contract}))

    assert 'name="archive-file"' in html
    assert "交付物.pdf" in html
    # The bureau's own documents stay the bureau's.
    assert "合同扫描件.pdf" not in html


def test_tag_shows_nothing_of_the_record_to_another_county(
    county_admin, other_county_admin, contract
):
    attach(county_admin, contract, upload=pdf_upload("合同扫描件.pdf"))
    request = RequestFactory().get("/")
    request.user = other_county_admin
    tag = Template("{% load archive %}{% archive_attachments object %}")

    html = tag.render(Context({"request": request, "object": contract}))

    assert "archive-file" not in html
    assert "合同扫描件.pdf" not in html


# --- the list on the page, withdrawing ----------------------------------------------------------


def test_withdrawn_documents_are_hidden_unless_asked(county_admin, contract):
    kept = attach(county_admin, contract, upload=pdf_upload("有效.pdf"))
    wrong = attach(county_admin, contract, upload=pdf_upload("错传.pdf"))
    page = reverse("projects:contract-detail", args=[contract.pk])
    client = client_as(county_admin)

    response = client.post(
        reverse("archive:document-withdraw", args=[wrong.pk]),
        {"reason": "传错了合同", "next": f"{page}#attachments"},
    )
    assert response["Location"] == f"{page}#attachments"

    def link(document):
        return reverse("archive:document-download", args=[document.pk])

    html = client.get(page).content.decode()
    assert link(kept) in html
    assert link(wrong) not in html
    html = client.get(page, {"archive_withdrawn": "1"}).content.decode()
    assert link(wrong) in html
    assert "撤回原因：传错了合同" in html


def test_withdraw_without_next_goes_back_to_the_record(county_admin, contract):
    document = attach(county_admin, contract)
    response = client_as(county_admin).post(
        reverse("archive:document-withdraw", args=[document.pk]),
        {"reason": "重复上传", "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("projects:contract-detail", args=[contract.pk])


# --- the product's ZIP --------------------------------------------------------------------------


def test_product_zip_holds_its_contracts_and_entries_documents(county_admin, own, entry):
    contract = entry.contract
    attach(county_admin, contract, upload=pdf_upload("合同扫描件.pdf"))
    attach(county_admin, entry, upload=pdf_upload("支付凭证.pdf"))

    export = archive_zip_for_product(user=county_admin, product=own)

    names = zipfile.ZipFile(io.BytesIO(export.file.read())).namelist()
    assert export.count == 2
    assert any(
        n.startswith(f"清徐葡萄-工作档案/合同-{contract.pk} ") and n.endswith("-合同扫描件.pdf")
        for n in names
    ), names
    assert any(
        n.startswith(f"清徐葡萄-工作档案/台账分录-{entry.pk} ") and n.endswith("-支付凭证.pdf")
        for n in names
    ), names


def test_product_zip_leaves_out_other_products_contracts(
    county_admin, other_county_admin, own, contract, foreign_contract
):
    attach(other_county_admin, foreign_contract, upload=pdf_upload("外县合同.pdf"))
    attach(county_admin, contract, upload=pdf_upload("本县合同.pdf"))

    export = archive_zip_for_product(user=county_admin, product=own)

    names = zipfile.ZipFile(io.BytesIO(export.file.read())).namelist()
    assert export.count == 1
    assert not any("外县合同" in n for n in names)
