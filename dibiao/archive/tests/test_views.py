from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import pytest
from django.urls import reverse

from dibiao.archive.choices import ArchiveCategory
from dibiao.archive.models import ArchiveDocument
from dibiao.archive.services import archive_withdraw
from dibiao.archive.tests.support import attach, client_as
from dibiao.core.choices import AuditAction
from dibiao.core.models import AuditLog
from dibiao.testing.files import HTML, PDF, image_bytes, pdf_upload, upload
from dibiao.testing.responses import streamed

pytestmark = pytest.mark.django_db


def _html(response) -> str:
    return response.content.decode()


def _post_upload(client, product, file, **data):
    values = {
        "category": ArchiveCategory.ACCEPTANCE,
        "document_date": "2026-03-15",
        "description": "县级验收报告",
        "file": file,
        **data,
    }
    return client.post(reverse("archive:product-archive", args=[product.pk]), values)


# --- access -------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(own):
    response = client_as(None).get(reverse("archive:document-list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_the_three_administrators_have_no_archive_pages(auditor, own):
    assert client_as(auditor).get(reverse("archive:document-list")).status_code == 403


def test_product_page_links_to_its_archive(county_admin, own):
    response = client_as(county_admin).get(reverse("registry:product-detail", args=[own.pk]))
    assert reverse("archive:product-archive", args=[own.pk]) in _html(response)


# --- the list -----------------------------------------------------------------------------------


def test_list_shows_only_the_users_scope(county_admin, other_county_admin, own, foreign):
    mine = attach(county_admin, own, upload=pdf_upload("本县验收.pdf"))
    attach(other_county_admin, foreign, upload=pdf_upload("外县验收.pdf"))

    response = client_as(county_admin).get(reverse("archive:document-list"))

    assert response.status_code == 200
    assert list(response.context["object_list"]) == [mine]
    html = _html(response)
    assert "本县验收.pdf" in html
    assert "外县验收.pdf" not in html
    assert reverse("archive:product-archive", args=[own.pk]) in html


def test_list_filters_and_pages(county_admin, own):
    for day in range(1, 23):
        attach(county_admin, own, document_date=dt.date(2026, 1, day))
    attach(
        county_admin,
        own,
        upload=upload("会议.pdf", PDF),
        category=ArchiveCategory.MEETING_MINUTES,
        document_date=dt.date(2026, 2, 1),
    )
    client = client_as(county_admin)
    url = reverse("archive:document-list")

    first = client.get(url)
    assert first.context["page_obj"].paginator.count == 23
    assert len(first.context["object_list"]) == 20
    assert "第 1 / 2 页" in _html(first)

    def count(**params):
        return client.get(url, params).context["page_obj"].paginator.count

    assert count(category=ArchiveCategory.MEETING_MINUTES) == 1
    assert count(target_type="registry.giproduct") == 23
    assert count(target_type="nonsense.model") == 23  # an unknown type is ignored on the page
    assert count(division="140121") == 23
    assert count(division="140221") == 0
    assert count(date_from="2026-01-20", date_to="2026-01-31") == 3
    assert count(date_from="2026-02-30") == 23  # an impossible date is ignored
    assert count(q="会议") == 1


# --- the product's archive page ------------------------------------------------------------------


def test_upload_through_the_page(county_admin, own):
    client = client_as(county_admin)

    response = _post_upload(client, own, pdf_upload("验收报告.pdf"))

    assert response.status_code == 302
    document = ArchiveDocument.objects.get()
    assert document.original_name == "验收报告.pdf"
    page = client.get(reverse("archive:product-archive", args=[own.pk]))
    html = _html(page)
    assert "“验收报告.pdf”已归档。" in html
    assert "验收报告.pdf" in html
    assert reverse("archive:product-zip", args=[own.pk]) in html
    assert reverse("archive:document-withdraw", args=[document.pk]) in html


@pytest.mark.parametrize(
    ("file", "message"),
    [
        (upload("现场照片.png", HTML, "image/png"), "检测到的实际内容为：HTML 网页"),
        (upload("空白.pdf", b"", "application/pdf"), "“空白.pdf”是空文件（0 字节）"),
    ],
)
def test_refused_upload_is_shown_on_the_form(county_admin, own, file, message):
    response = _post_upload(client_as(county_admin), own, file)

    assert response.status_code == 200
    assert message in _html(response)
    assert message in " ".join(response.context["form"].errors["file"])
    assert not ArchiveDocument.objects.exists()


def test_oversized_upload_is_shown_on_the_form(county_admin, own, settings):
    settings.DIBIAO_UPLOAD_MAX_BYTES = 100
    response = _post_upload(client_as(county_admin), own, upload("扫描.pdf", PDF + b"x" * 200))
    assert "超过上限（100 字节）" in _html(response)
    assert not ArchiveDocument.objects.exists()


def test_form_errors_are_shown(county_admin, own):
    response = _post_upload(client_as(county_admin), own, pdf_upload(), document_date="2999-01-01")
    assert "文件日期不能晚于今天。" in _html(response)
    missing = client_as(county_admin).post(reverse("archive:product-archive", args=[own.pk]), {})
    assert missing.context["form"].errors.keys() == {"category", "document_date", "file"}


def test_another_countys_product_archive_is_404(county_admin, foreign):
    client = client_as(county_admin)
    assert client.get(reverse("archive:product-archive", args=[foreign.pk])).status_code == 404
    assert _post_upload(client, foreign, pdf_upload()).status_code == 404
    assert client.get(reverse("archive:product-zip", args=[foreign.pk])).status_code == 404
    assert not ArchiveDocument.objects.exists()


def test_a_role_that_may_not_attach_gets_no_form_and_a_403(tree, own):
    from dibiao.accounts.choices import OrganizationKind, Role
    from dibiao.testing.factories import OrganizationFactory, ProductFactory, user_with_role

    lab = OrganizationFactory.create(kind=OrganizationKind.LAB, division=tree["c1a"])
    product = ProductFactory.create(divisions=[tree["c1a"]], certificate_holder=lab)
    lab_user = user_with_role(Role.LAB, tree["c1a"], organization=lab)
    client = client_as(lab_user)

    page = client.get(reverse("archive:product-archive", args=[product.pk]))
    assert page.status_code == 200
    assert "上传档案" not in _html(page)
    assert _post_upload(client, product, pdf_upload()).status_code == 403


# --- download -----------------------------------------------------------------------------------


def test_download_is_an_attachment_with_the_original_name_and_nosniff(county_admin, own):
    document = attach(county_admin, own, upload=pdf_upload("验收报告.pdf"))

    response = client_as(county_admin).get(reverse("archive:document-download", args=[document.pk]))

    assert response.status_code == 200
    assert streamed(response) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")
    assert quote("验收报告.pdf") in response["Content-Disposition"]
    assert "sandbox" in response["Content-Security-Policy"]


def test_download_is_named_and_typed_after_the_real_content(county_admin, own):
    document = attach(
        county_admin,
        own,
        upload=upload("合影.png", image_bytes("JPEG"), "image/png"),
        category=ArchiveCategory.PHOTO,
    )
    response = client_as(county_admin).get(reverse("archive:document-download", args=[document.pk]))
    assert response["Content-Type"] == "image/jpeg"
    assert quote("合影.jpg") in response["Content-Disposition"]


def test_another_countys_document_is_404_to_download_and_withdraw(
    county_admin, other_county_admin, foreign
):
    document = attach(other_county_admin, foreign)
    client = client_as(county_admin)

    assert client.get(reverse("archive:document-download", args=[document.pk])).status_code == 404
    withdraw = client.post(
        reverse("archive:document-withdraw", args=[document.pk]), {"reason": "越权"}
    )
    assert withdraw.status_code == 404
    document.refresh_from_db()
    assert not document.is_withdrawn


# --- withdraw -----------------------------------------------------------------------------------


def test_withdraw_through_the_page(county_admin, own):
    document = attach(county_admin, own, upload=pdf_upload("传错的文件.pdf"))
    client = client_as(county_admin)

    response = client.post(
        reverse("archive:document-withdraw", args=[document.pk]), {"reason": "传错了"}, follow=True
    )

    assert "“传错的文件.pdf”已撤回" in _html(response)
    assert response.redirect_chain[-1][0] == reverse("archive:product-archive", args=[own.pk])
    assert list(response.context["object_list"]) == []
    shown = client.get(reverse("archive:product-archive", args=[own.pk]), {"withdrawn": "1"})
    assert "撤回原因：传错了" in _html(shown)
    assert list(client.get(reverse("archive:document-list")).context["object_list"]) == []


def test_withdraw_without_reason_or_twice_is_reported(county_admin, own):
    document = attach(county_admin, own)
    client = client_as(county_admin)
    url = reverse("archive:document-withdraw", args=[document.pk])

    assert "请填写撤回原因。" in _html(client.post(url, {"reason": ""}, follow=True))
    archive_withdraw(actor=county_admin, document=document, reason="重复")
    assert "该文件已经撤回。" in _html(client.post(url, {"reason": "再撤"}, follow=True))
    assert client.get(url).status_code == 405


# --- ZIP --------------------------------------------------------------------------------------


def test_zip_download_is_an_audited_attachment(county_admin, own):
    attach(county_admin, own)

    response = client_as(county_admin).get(reverse("archive:product-zip", args=[own.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")
    assert quote("清徐葡萄-工作档案-") in response["Content-Disposition"]
    assert streamed(response)[:4] == b"PK\x03\x04"
    row = AuditLog.objects.get(action=AuditAction.EXPORT)
    assert row.object_type == "registry.giproduct"
    assert row.object_id == str(own.pk)
    assert "1 个文件" in row.detail
