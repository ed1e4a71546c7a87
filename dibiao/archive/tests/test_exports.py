from __future__ import annotations

import datetime as dt
import hashlib
import io
import zipfile

import pytest
from openpyxl import load_workbook

from dibiao.archive import targets
from dibiao.archive.choices import ArchiveCategory
from dibiao.archive.exports import INDEX_HEADERS, archive_zip_for_product
from dibiao.archive.services import archive_withdraw
from dibiao.archive.tests.support import attach
from dibiao.core.choices import AuditAction
from dibiao.core.errors import NotFoundError
from dibiao.core.models import AuditLog
from dibiao.testing.factories import ProductFactory
from dibiao.testing.files import PDF, docx_bytes, image_bytes, upload

pytestmark = pytest.mark.django_db


def _open(export) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(export.file.read()))


def _index(archive: zipfile.ZipFile, root: str) -> list[tuple]:
    workbook = load_workbook(io.BytesIO(archive.read(f"{root}/目录.xlsx")), read_only=True)
    return list(workbook.worksheets[0].iter_rows(values_only=True))


def test_zip_holds_every_document_and_an_index(county_admin, own):
    png = image_bytes("PNG")
    docx = docx_bytes()
    photo = attach(
        county_admin,
        own,
        upload=upload("采摘现场.png", png),
        category=ArchiveCategory.PHOTO,
        document_date=dt.date(2026, 9, 1),
        description='=HYPERLINK("http://x")',
    )
    report = attach(
        county_admin,
        own,
        upload=upload("验收报告.docx", docx),
        category=ArchiveCategory.ACCEPTANCE,
        document_date=dt.date(2026, 3, 15),
        description="县级验收",
    )
    scan = attach(
        county_admin,
        own,
        upload=upload("合同", PDF),  # no extension: it gets the detected one
        category=ArchiveCategory.CONTRACT_SCAN,
        document_date=dt.date(2026, 1, 2),
    )
    wrong = attach(county_admin, own, upload=upload("传错.pdf", PDF))
    archive_withdraw(actor=county_admin, document=wrong, reason="传错")

    export = archive_zip_for_product(user=county_admin, product=own)

    root = "清徐葡萄-工作档案"
    assert export.count == 3
    assert export.filename.startswith(f"{root}-")
    assert export.filename.endswith(".zip")
    archive = _open(export)
    assert archive.testzip() is None
    assert sorted(archive.namelist()) == sorted(
        [
            f"{root}/照片/001-采摘现场.png",
            f"{root}/验收材料/002-验收报告.docx",
            f"{root}/合同扫描件/003-合同.pdf",
            f"{root}/目录.xlsx",
        ]
    )
    assert archive.read(f"{root}/照片/001-采摘现场.png") == png
    assert archive.read(f"{root}/验收材料/002-验收报告.docx") == docx
    assert archive.read(f"{root}/合同扫描件/003-合同.pdf") == PDF

    rows = _index(archive, root)
    assert list(rows[0]) == INDEX_HEADERS
    assert [row[0] for row in rows[1:]] == [1, 2, 3]
    first = rows[1]
    assert first[1:6] == (
        "采摘现场.png",
        "照片",
        dt.datetime(2026, 9, 1),
        '\'=HYPERLINK("http://x")',  # neutralised: shown, not run
        "清徐葡萄",
    )
    assert first[6] == str(county_admin)
    assert first[8] == hashlib.sha256(png).hexdigest() == photo.sha256
    assert first[9] == f"{root}/照片/001-采摘现场.png"
    assert rows[2][1:3] == ("验收报告.docx", "验收材料")
    assert rows[2][8] == report.sha256
    assert rows[3][1] == "合同.pdf"
    assert rows[3][8] == scan.sha256
    assert "传错.pdf" not in str(rows)

    (row,) = AuditLog.objects.filter(action=AuditAction.EXPORT)
    assert row.object_type == "registry.giproduct"
    assert row.detail == "导出工作档案 ZIP：3 个文件"


def test_an_empty_archive_still_has_its_index(county_admin, own):
    export = archive_zip_for_product(user=county_admin, product=own)
    archive = _open(export)
    assert archive.namelist() == ["清徐葡萄-工作档案/目录.xlsx"]
    assert len(_index(archive, "清徐葡萄-工作档案")) == 1


def test_zip_holds_only_what_the_user_may_see(
    tree, county_admin, other_county_admin, province_admin, producer, own
):
    shared = ProductFactory.create(name="共享产品", divisions=[tree["c1a"], tree["c2a"]])
    attach(county_admin, shared, upload=upload("本县.pdf", PDF))
    attach(other_county_admin, shared, upload=upload("外县.pdf", PDF))

    def names(user) -> list[str]:
        export = archive_zip_for_product(user=user, product=shared)
        return sorted(n.rsplit("/", 1)[-1] for n in _open(export).namelist())

    assert names(county_admin) == ["001-本县.pdf", "目录.xlsx"]
    assert names(other_county_admin) == ["001-外县.pdf", "目录.xlsx"]
    assert len(names(province_admin)) == 3
    # A producer sees its own filings only.
    attach(county_admin, own)
    attach(producer, own, upload=upload("主体自报.pdf", PDF))
    export = archive_zip_for_product(user=producer, product=own)
    assert [n.rsplit("/", 1)[-1] for n in _open(export).namelist()] == [
        "001-主体自报.pdf",
        "目录.xlsx",
    ]


def test_zip_of_another_countys_product_is_not_found(county_admin, foreign):
    with pytest.raises(NotFoundError):
        archive_zip_for_product(user=county_admin, product=foreign)
    assert not AuditLog.objects.exists()


def test_records_belonging_to_the_product_contribute_to_its_zip(
    tree, county_admin, own, monkeypatch
):
    # Stand-ins for a contract and an expenditure of the product: any registered target will do.
    contract = ProductFactory.create(name="合同/2026 第1号", divisions=[tree["c1a"]])
    expenditure = ProductFactory.create(name="支出凭证", divisions=[tree["c1a"]])
    attach(county_admin, own, upload=upload("产品.pdf", PDF))
    attach(
        county_admin,
        contract,
        upload=upload("合同扫描.pdf", PDF),
        category=ArchiveCategory.CONTRACT_SCAN,
    )
    attach(
        county_admin,
        expenditure,
        upload=upload("凭证.pdf", PDF),
        category=ArchiveCategory.PAYMENT_VOUCHER,
    )
    monkeypatch.setattr(targets, "_PRODUCT_RECORDS", [lambda product: [contract]])

    export = archive_zip_for_product(user=county_admin, product=own, extra_targets=[expenditure])

    names = sorted(_open(export).namelist())
    root = "清徐葡萄-工作档案"
    assert f"{root}/地理标志产品-{contract.pk} 合同_2026 第1号/合同扫描件/" in "\n".join(names)
    assert any(n.endswith("合同扫描.pdf") for n in names)
    assert any(n.endswith("凭证.pdf") for n in names)
    assert any(n.endswith("产品.pdf") for n in names)
    assert export.count == 3
