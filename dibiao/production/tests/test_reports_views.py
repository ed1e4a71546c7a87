"""Pages of test reports: record with item rows, list (filters, search, export), detail, PDF
download, correction, regrade, the form's pickers; scope and roles. Helpers: report_fixtures."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from dibiao.core.choices import AuditAction
from dibiao.core.models import AuditLog
from dibiao.production import models
from dibiao.production.services import grading
from dibiao.production.tests.report_fixtures import (
    SAMPLED,
    TESTED,
    TODAY,
    criterion,
    grade,
    grade_name,
    grape_scheme,
    item,
    lab_of,
    new_lab,
    nutrition,
    record,
    sample_in,
)
from dibiao.production.views.test_reports import EXPORT_HEADERS, decimal_text, limits_text
from dibiao.testing.files import HTML, PDF, pdf_upload, upload
from dibiao.testing.responses import streamed, xlsx_rows

pytestmark = pytest.mark.django_db


def client_as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _html(response) -> str:
    return response.content.decode()


@pytest.fixture
def sample(tree):
    return sample_in(tree["c1a"])


@pytest.fixture
def lab(lab_user):
    return lab_of(lab_user)


def _items_post(rows: list[dict], prefix: str = "items") -> dict[str, str]:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"{prefix}-{i}-{key}"] = "" if value is None else value
    return data


def _form_post(sample, *, lab=None, number="WEB-1", rows=None, **extra) -> dict:
    data = {
        "kind": "safety",
        "report_number": number,
        "product": str(sample.product.pk),
        "producer": str(sample.producer.pk),
        "base": str(sample.base.pk),
        "sample_code": "YP-WEB",
        "batch_code": "",
        "sampled_on": SAMPLED.isoformat(),
        "tested_on": TESTED.isoformat(),
        "notes": "",
        **_items_post(
            rows
            if rows is not None
            else [
                item("毒死蜱", "0.02", limit_max="0.5"),
                {"name": "", "category": "safety", "value": "", "unit": ""},  # skipped
            ]
        ),
        **extra,
    }
    if lab is not None:
        data["lab"] = str(lab.pk)
    return data


# --- Recording -----------------------------------------------------------------------------------


def test_a_lab_records_a_report_with_item_rows_and_its_pdf(lab_user, lab, sample):
    client = client_as(lab_user)
    page = client.get(reverse("production:report-create"))
    assert page.status_code == 200
    assert 'id="add-item"' in _html(page)

    response = client.post(
        reverse("production:report-create"),
        {**_form_post(sample, lab=lab), "file": pdf_upload("报告.pdf")},
    )

    report = models.TestReport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("production:report-detail", args=[report.pk])
    assert report.lab == lab
    assert report.result == "pass"
    assert report.items.count() == 1
    assert report.file


def test_the_form_lists_only_the_labs_own_lab(lab_user, lab, tree):
    other, _ = new_lab(tree["c2"])
    html = _html(client_as(lab_user).get(reverse("production:report-create")))
    assert lab.name in html
    assert other.name not in html


def test_missing_items_and_bad_rows_are_shown_on_the_form(lab_user, lab, sample):
    client = client_as(lab_user)

    empty = client.post(reverse("production:report-create"), _form_post(sample, lab=lab, rows=[]))
    half = client.post(
        reverse("production:report-create"),
        _form_post(sample, lab=lab, rows=[item("铅", "", limit_min="1", limit_max="0.5")]),
    )

    assert "请至少填写一个检测项目。" in _html(empty)
    assert "请填写检测值。" in _html(half)
    assert "上限不能小于下限。" in _html(half)
    assert not models.TestReport.objects.exists()


def test_a_duplicate_number_or_a_non_pdf_is_refused_on_the_form(lab_user, lab, sample):
    record(lab_user, sample, lab=lab, number="WEB-1")
    client = client_as(lab_user)

    duplicate = client.post(reverse("production:report-create"), _form_post(sample, lab=lab))
    not_pdf = client.post(
        reverse("production:report-create"),
        {**_form_post(sample, lab=lab, number="WEB-2"), "file": upload("报告.pdf", HTML)},
    )

    assert duplicate.status_code == 200
    assert "本检测机构已有编号为“WEB-1”的报告。" in _html(duplicate)
    assert not_pdf.status_code == 200
    assert "HTML 网页" in _html(not_pdf)
    assert models.TestReport.objects.count() == 1


def test_dates_are_checked_on_the_form(lab_user, lab, sample):
    response = client_as(lab_user).post(
        reverse("production:report-create"),
        _form_post(
            sample,
            lab=lab,
            sampled_on=TODAY.isoformat(),
            tested_on=(TODAY + dt.timedelta(days=2)).isoformat(),
        ),
    )
    assert "检测日期不能晚于今天。" in _html(response)
    assert not models.TestReport.objects.exists()


def test_the_province_records_on_behalf_of_a_chosen_lab(province_admin, lab, sample):
    response = client_as(province_admin).post(
        reverse("production:report-create"), _form_post(sample, lab=lab)
    )
    assert response.status_code == 302
    assert models.TestReport.objects.get().lab == lab


def test_county_and_producer_users_cannot_open_the_form(county_admin, sample):
    assert client_as(county_admin).get(reverse("production:report-create")).status_code == 403
    login = sample.producer_login
    assert client_as(login).get(reverse("production:report-create")).status_code == 403


# --- List and export ------------------------------------------------------------------------------


def test_the_list_shows_the_users_reports_with_filters_and_search(tree, lab_user, lab, sample):
    other_lab, other_user = new_lab(tree["p"], name="第二检测中心")
    record(lab_user, sample, lab=lab, number="OWN-PASS")
    record(lab_user, sample, lab=lab, number="OWN-FAIL", items=[item("铅", "1", limit_max="0.2")])
    record(other_user, sample, lab=other_lab, number="NOT-MINE")
    client = client_as(lab_user)

    everything = _html(client.get(reverse("production:report-list")))
    failed = _html(client.get(reverse("production:report-list"), {"result": "fail"}))
    searched = _html(client.get(reverse("production:report-list"), {"q": "own-p"}))
    nothing = _html(client.get(reverse("production:report-list"), {"q": "无此编号"}))
    garbage = client.get(reverse("production:report-list"), {"date_from": "x", "product": "y"})

    assert "OWN-PASS" in everything
    assert "OWN-FAIL" in everything
    assert "NOT-MINE" not in everything
    assert "OWN-FAIL" in failed
    assert "OWN-PASS" not in failed
    assert "OWN-PASS" in searched
    assert "OWN-FAIL" not in searched
    assert "没有符合条件的检测报告" in nothing
    assert garbage.status_code == 200


def test_the_list_pages(lab_user, lab, sample):
    for n in range(21):
        record(lab_user, sample, lab=lab, number=f"P-{n:02d}")
    html = _html(client_as(lab_user).get(reverse("production:report-list")))
    assert "第 1 / 2 页，共 21 条" in html


def test_the_list_filters_by_producer_from_a_link(tree, province_admin, lab_user, lab, sample):
    other = sample_in(tree["c1b"], product=sample.product)
    record(lab_user, sample, lab=lab, number="THIS")
    record(lab_user, other, lab=lab, number="THAT")
    html = _html(
        client_as(province_admin).get(
            reverse("production:report-list"), {"producer": sample.producer.pk}
        )
    )
    assert "THIS" in html
    assert "THAT" not in html
    assert sample.producer.name in html


def test_empty_list_invites_a_lab_to_record(lab_user):
    html = _html(client_as(lab_user).get(reverse("production:report-list")))
    assert "还没有检测报告" in html


def test_export_is_scoped_filtered_and_audited(province_admin, county_admin, lab_user, lab, tree):
    grape_scheme(province_admin, (sample := sample_in(tree["c1a"])).product)
    far = sample_in(tree["c2a"])
    record(lab_user, sample, lab=lab, number="E-1", items=[*nutrition("19", "0.5")])
    record(lab_user, sample, lab=lab, number="E-2", items=[item("铅", "1", limit_max="0.2")])
    record(lab_user, far, lab=lab, number="E-3")

    response = client_as(county_admin).get(reverse("production:report-export"))

    rows = xlsx_rows(response)
    assert list(rows[0]) == EXPORT_HEADERS
    by_number = {row[0]: row for row in rows[1:]}
    assert set(by_number) == {"E-1", "E-2"}
    assert by_number["E-1"][11:13] == ("合格", "特级")
    assert by_number["E-2"][11] == "不合格"
    assert by_number["E-2"][14] == "铅"
    log = AuditLog.objects.get(action=AuditAction.EXPORT)
    assert log.user_id == county_admin.pk
    assert "导出检测报告 2 份" in log.detail

    filtered = xlsx_rows(
        client_as(county_admin).get(reverse("production:report-export"), {"result": "fail"})
    )
    assert [row[0] for row in filtered[1:]] == ["E-2"]


# --- Detail and file -----------------------------------------------------------------------------


def test_the_detail_shows_items_with_limits_badges_and_grade(province_admin, lab_user, lab, sample):
    grape_scheme(province_admin, sample.product)
    report = record(
        lab_user,
        sample,
        lab=lab,
        items=[*nutrition("18.50", "0.4"), item("铅", "0.0500", limit_min="0", limit_max="0.2")],
        upload=pdf_upload(),
    )

    html = _html(
        client_as(sample.producer_login).get(reverse("production:report-detail", args=[report.pk]))
    )

    assert "18.5" in html
    assert "18.50" not in html
    assert "0 ～ 0.2" in html
    assert '<span class="badge ok">合格</span>' in html
    assert "特级" in html
    assert reverse("production:report-file", args=[report.pk]) in html
    assert "更正报告" not in html  # the producer reads only


def test_the_detail_says_when_the_grade_is_outdated(province_admin, lab_user, lab, sample):
    grape_scheme(province_admin, sample.product)
    report = record(lab_user, sample, lab=lab, items=nutrition("16.5"))
    grading.grading_scheme_replace(
        actor=province_admin,
        product=sample.product,
        grades=[
            grade("特级", 1, criterion("可溶性固形物", min_value="16")),
            grade("一级", 2, criterion("可溶性固形物", min_value="14")),
        ],
    )

    html = _html(client_as(lab_user).get(reverse("production:report-detail", args=[report.pk])))

    assert "按现行方案，本报告应评为“特级”，当前记录为“一级”" in html
    assert reverse("production:report-regrade", args=[report.pk]) in html


def test_the_pdf_downloads_as_an_attachment_within_scope_only(
    other_county_admin, county_admin, lab_user, lab, sample
):
    report = record(lab_user, sample, lab=lab, number="R/7", upload=pdf_upload())
    url = reverse("production:report-file", args=[report.pk])

    response = client_as(county_admin).get(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert streamed(response) == PDF
    assert client_as(other_county_admin).get(url).status_code == 404


def test_a_report_without_a_file_has_no_download(lab_user, lab, sample):
    report = record(lab_user, sample, lab=lab)
    response = client_as(lab_user).get(reverse("production:report-file", args=[report.pk]))
    assert response.status_code == 404


def test_another_county_gets_404_on_every_report_page(other_county_admin, lab_user, lab, sample):
    report = record(lab_user, sample, lab=lab)
    client = client_as(other_county_admin)
    for name in ("report-detail", "report-edit", "report-file"):
        assert client.get(reverse(f"production:{name}", args=[report.pk])).status_code == 404
    assert client.post(reverse("production:report-regrade", args=[report.pk])).status_code == 404
    assert "NOT" not in _html(client.get(reverse("production:report-list")))
    assert report.report_number not in _html(client.get(reverse("production:report-list")))


def test_another_producer_and_another_lab_get_404(tree, lab_user, lab, sample):
    report = record(lab_user, sample, lab=lab)
    neighbour = sample_in(tree["c1a"], product=sample.product)
    _, other_lab_user = new_lab(tree["p"], name="另一检测中心")
    url = reverse("production:report-detail", args=[report.pk])
    assert client_as(neighbour.producer_login).get(url).status_code == 404
    assert client_as(other_lab_user).get(url).status_code == 404
    assert client_as(sample.producer_login).get(url).status_code == 200


def test_administrators_cannot_read_reports(auditor):
    assert client_as(auditor).get(reverse("production:report-list")).status_code == 403


# --- Correction and regrade ----------------------------------------------------------------------


def test_the_lab_corrects_a_report_on_its_page(province_admin, lab_user, lab, sample):
    grape_scheme(province_admin, sample.product)
    report = record(lab_user, sample, lab=lab, items=[item("铅", "0.9", limit_max="0.2")])
    client = client_as(lab_user)
    page = client.get(reverse("production:report-edit", args=[report.pk]))
    assert 'value="0.9000"' in _html(page) or 'value="0.9"' in _html(page)
    assert 'name="lab"' not in _html(page)

    data = _form_post(
        sample,
        number=report.report_number,
        rows=[*nutrition("19", "0.5"), item("铅", "0.05", limit_max="0.2")],
    )
    response = client.post(reverse("production:report-edit", args=[report.pk]), data)

    assert response.status_code == 302
    report.refresh_from_db()
    assert report.result == "pass"
    assert grade_name(report) == "特级"
    assert AuditLog.objects.filter(
        action=AuditAction.UPDATE, object_type="production.testreport", object_id=str(report.pk)
    ).exists()


def test_only_the_lab_may_open_the_correction_page(
    province_admin, county_admin, lab_user, lab, sample
):
    report = record(province_admin, sample, lab=lab)
    url = reverse("production:report-edit", args=[report.pk])
    assert client_as(province_admin).get(url).status_code == 403
    assert client_as(county_admin).get(url).status_code == 403
    assert client_as(lab_user).get(url).status_code == 200


def test_regrade_from_the_detail_page(province_admin, county_admin, lab_user, lab, sample):
    grape_scheme(province_admin, sample.product)
    report = record(lab_user, sample, lab=lab, items=nutrition("12"))
    grading.grading_scheme_replace(
        actor=province_admin,
        product=sample.product,
        grades=[grade("合格", 1, criterion("可溶性固形物", min_value="10"))],
    )

    response = client_as(county_admin).post(reverse("production:report-regrade", args=[report.pk]))

    assert response.status_code == 302
    report.refresh_from_db()
    assert grade_name(report) == "合格"
    assert (
        client_as(sample.producer_login)
        .post(reverse("production:report-regrade", args=[report.pk]))
        .status_code
        == 403
    )


# --- Pickers -------------------------------------------------------------------------------------


def test_the_producer_search_lists_producers_of_the_labs_province(tree, lab_user, sample):
    far = sample_in(tree["c2b"])
    url = reverse("production:report-producer-options")

    html = _html(client_as(lab_user).get(url, {"q": far.producer.name}))

    assert f'value="{far.producer.pk}"' in html
    assert f'value="{sample.producer.pk}"' not in html
    assert client_as(sample.producer_login).get(url).status_code == 403


def test_the_base_list_follows_the_chosen_producer_and_product(lab_user, sample, county_admin):
    url = reverse("production:report-base-options")
    query = {"producer": sample.producer.pk, "product": sample.product.pk}

    html = _html(client_as(lab_user).get(url, query))

    assert f'value="{sample.base.pk}"' in html
    assert f'value="{sample.base.pk}"' not in _html(client_as(lab_user).get(url, {"producer": "x"}))


def test_number_formatting_helpers():
    from decimal import Decimal

    assert decimal_text(Decimal("18.0000")) == "18"
    assert decimal_text(Decimal("100")) == "100"
    assert decimal_text(Decimal("0.0500")) == "0.05"
    assert decimal_text(None) == ""
    assert limits_text(None, Decimal("0.5")) == "≤ 0.5"
    assert limits_text(Decimal("18"), None) == "≥ 18"
    assert limits_text(None, None) == ""


def test_correcting_only_the_notes_on_the_page_does_not_regrade(
    province_admin, lab_user, lab, sample
):
    grape_scheme(province_admin, sample.product)
    report = record(lab_user, sample, lab=lab, items=nutrition("16.5"))
    grading.grading_scheme_replace(
        actor=province_admin,
        product=sample.product,
        grades=[
            grade("特级", 1, criterion("可溶性固形物", min_value="16")),
            grade("一级", 2, criterion("可溶性固形物", min_value="14")),
        ],
    )
    client = client_as(lab_user)
    page = client.get(reverse("production:report-edit", args=[report.pk]))
    form = page.context["form"]
    formset = page.context["formset"]
    data = {
        **{name: form[name].value() or "" for name in form.fields if name != "file"},
        **{f"items-{key}": value for key, value in formset.management_form.initial.items()},
        **{
            f"items-{i}-{name}": f[name].value() if f[name].value() is not None else ""
            for i, f in enumerate(formset.forms)
            for name in f.fields
        },
        "notes": "只改备注",
    }

    response = client.post(reverse("production:report-edit", args=[report.pk]), data)

    assert response.status_code == 302
    report.refresh_from_db()
    assert report.notes == "只改备注"
    assert grade_name(report) == "一级"  # the scheme changed, but nobody asked to regrade


def test_a_report_whose_pdf_is_gone_from_storage_is_a_410_with_a_message(
    county_admin, lab_user, lab, sample
):
    report = record(lab_user, sample, lab=lab, number="R/8", upload=pdf_upload())
    assert report.file.name
    report.file.storage.delete(report.file.name)  # a lost disk, a restore without the media

    response = client_as(county_admin).get(reverse("production:report-file", args=[report.pk]))

    assert response.status_code == 410
    assert "已不在存储中" in response.content.decode()
