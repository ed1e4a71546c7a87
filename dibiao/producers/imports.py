"""Excel imports: one engine, two specs (the directory, a producer's household list).

The engine reads the first sheet of an .xlsx (openpyxl read-only, row by row), maps the header
row to the spec's columns, lets the spec clean each row with the same rules as the forms
(`rules.py`), then lets it check the rows as a batch (duplicates within the file and against
the database, one query per 500 values), and reports every problem as (row, column, message).
If any row is wrong nothing is written, unless the caller asked for the valid rows only. The
caller (a service) wraps the whole import in one transaction.

Lookups (counties, products, existing codes) are read once into dicts before the rows, so a
10,000-row file costs a handful of queries, not one per row.
"""

from __future__ import annotations

import datetime as dt
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Generic, TypeVar

from django.core.exceptions import ValidationError
from openpyxl import load_workbook

from dibiao.accounts.choices import Role
from dibiao.accounts.models import User
from dibiao.accounts.permissions import has_role, role_places
from dibiao.accounts.scoping import scope_for
from dibiao.core import pii
from dibiao.core.choices import DivisionLevel
from dibiao.core.excel import xlsx_bytes
from dibiao.core.models import Division
from dibiao.core.uploads import check_upload
from dibiao.producers.choices import ProducerKind
from dibiao.producers.errors import ProducersError
from dibiao.producers.models import Household, Producer
from dibiao.producers.rules import (
    clean_credit_code,
    clean_id_number,
    clean_phone,
    identity_message,
    needs_credit_code,
    parse_count,
    parse_decimal,
    parse_flag,
)
from dibiao.registry.models import GIProduct

T = TypeVar("T")
V = TypeVar("V")
MAX_ROWS = 20_000
MAX_ERRORS = 2_000  # reported; a file with more is wrong throughout and the first ones say why
CHUNK = 500
LIST_SEPARATORS = re.compile(r"[、,，;；\s]+")


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool = False
    example: str = ""
    max_length: int | None = None


@dataclass(frozen=True)
class RowError:
    row: int  # the spreadsheet's row number: the header is row 1
    column: str  # the column's header; empty for the whole row
    message: str


@dataclass
class ImportReport:
    total: int = 0
    imported: int = 0
    committed: bool = False
    errors: list[RowError] = field(default_factory=list)
    truncated: bool = False  # more than MAX_ERRORS errors; only the first are listed

    @property
    def invalid_rows(self) -> list[int]:
        return sorted({e.row for e in self.errors})

    @property
    def invalid(self) -> int:
        return len(self.invalid_rows)

    @property
    def valid(self) -> int:
        return self.total - self.invalid


class RowErrors:
    def __init__(self, columns: Iterable[Column]) -> None:
        self.headers = {c.key: c.header for c in columns}
        self.items: list[RowError] = []
        self.rows: set[int] = set()

    def add(self, row: int, key: str, message: str) -> None:
        self.rows.add(row)
        self.items.append(RowError(row, self.headers.get(key, key), message))


def text(value: Any) -> str:
    """A cell as text: Excel keeps 13812345678 as a number, and 3 as 3.0."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value).strip()


class ImportSpec(ABC, Generic[T]):
    """What one kind of import reads: its columns, how a row is cleaned, how the cleaned rows
    are checked together and saved."""

    title: str
    columns: tuple[Column, ...]

    @abstractmethod
    def clean_row(self, row: int, cells: dict[str, str], errors: RowErrors) -> T | None: ...

    @abstractmethod
    def check_rows(self, rows: list[tuple[int, T]], errors: RowErrors) -> None: ...

    @abstractmethod
    def save(self, rows: list[T]) -> int: ...

    def cell(
        self, row: int, cells: dict[str, str], key: str, errors: RowErrors, rule: Callable[[str], V]
    ) -> V | None:
        """`rule(cell text)`; a ValidationError is reported at (row, column) and gives None."""
        try:
            return rule(cells.get(key, ""))
        except ValidationError as exc:
            errors.add(row, key, exc.messages[0])
            return None

    def check_lengths(self, row: int, cells: dict[str, str], errors: RowErrors) -> bool:
        ok = True
        for column in self.columns:
            value = cells.get(column.key, "")
            if column.required and not value:
                errors.add(row, column.key, "必填，不能为空。")
                ok = False
            elif column.max_length is not None and len(value) > column.max_length:
                errors.add(row, column.key, f"不能超过 {column.max_length} 个字。")
                ok = False
        return ok


def _header_key(spec: ImportSpec[Any], header: tuple[Any, ...]) -> dict[int, str]:
    by_header = {c.header: c.key for c in spec.columns}
    found = {
        index: by_header[name]
        for index, cell in enumerate(header)
        if (name := text(cell).rstrip("*＊ ")) in by_header
    }
    missing = [c.header for c in spec.columns if c.required and c.key not in found.values()]
    if missing:
        raise ProducersError(
            "missing_columns",
            f"表头缺少必填列：{'、'.join(missing)}。请使用导入模板，表头在第 1 行。",
        )
    return found


def _unreadable() -> ProducersError:
    return ProducersError("unreadable_file", "无法读取该 Excel 文件，请用导入模板重新保存。")


def _rows(upload: Any) -> Generator[tuple[Any, ...], None, None]:
    # A damaged workbook (a sheet or the styles that are not XML, a number cell holding text, a
    # shared string that is not there ...) fails wherever openpyxl happens to read it: at
    # opening, or only when its row is reached. Whatever it raises, the file is unreadable (the
    # consumer's own errors do not pass through this generator).
    try:
        workbook = load_workbook(upload, read_only=True, data_only=True)
    except Exception as exc:
        raise _unreadable() from exc
    try:
        yield from workbook.worksheets[0].iter_rows(values_only=True)
    except Exception as exc:
        raise _unreadable() from exc
    finally:
        workbook.close()


def run_import(*, spec: ImportSpec[T], upload: Any, only_valid: bool) -> ImportReport:
    """Validate every row; save all of them, or (with `only_valid`) the valid ones, or none."""
    check_upload(upload, allowed=frozenset({"xlsx"}))
    rows = _rows(upload)
    try:
        return _run(spec, rows, only_valid=only_valid)
    finally:
        rows.close()  # closes the workbook, also when the rows were not all read


def _run(spec: ImportSpec[T], rows: Iterator[tuple[Any, ...]], *, only_valid: bool) -> ImportReport:
    header = next(rows, None)
    if header is None:
        raise ProducersError("empty_file", "文件中没有数据：第 1 行应为表头。")
    keys = _header_key(spec, header)
    errors = RowErrors(spec.columns)
    report = ImportReport()
    cleaned: list[tuple[int, T]] = []
    for number, raw in enumerate(rows, start=2):
        cells = {key: text(raw[i]) for i, key in keys.items() if i < len(raw)}
        if not any(cells.values()):
            continue
        report.total += 1
        if report.total > MAX_ROWS:
            raise ProducersError(
                "too_many_rows", f"一次最多导入 {MAX_ROWS} 行，请拆分文件后分批导入。"
            )
        item = spec.clean_row(number, cells, errors)
        if item is not None and number not in errors.rows:
            cleaned.append((number, item))
    if cleaned:
        spec.check_rows(cleaned, errors)
    report.errors = sorted(errors.items, key=lambda e: e.row)[:MAX_ERRORS]
    report.truncated = len(errors.items) > MAX_ERRORS
    if errors.rows and not only_valid:
        return report
    valid = [item for number, item in cleaned if number not in errors.rows]
    report.imported = spec.save(valid) if valid else 0
    report.committed = report.imported > 0
    return report


def template_bytes(spec: type[ImportSpec[Any]]) -> bytes:
    """The import template: the header row (required columns marked *) and one example row."""
    return xlsx_bytes(
        sheet_title=spec.title,
        headers=[f"{c.header}*" if c.required else c.header for c in spec.columns],
        rows=[[c.example for c in spec.columns]],
    )


def _chunks(values: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _existing(values: list[str], lookup: Callable[[list[str]], Iterable[str]]) -> set[str]:
    found: set[str] = set()
    for chunk in _chunks(sorted(set(values))):
        found.update(lookup(chunk))
    return found


# --- The directory ---------------------------------------------------------------------------


@dataclass
class ProducerRow:
    producer: Producer  # unsaved, personal data sealed
    products: list[GIProduct]


class DirectoryImport(ImportSpec[ProducerRow]):
    title = "生产经营主体"
    columns = (
        Column("name", "主体名称", required=True, example="清徐县葡萄专业合作社", max_length=100),
        Column("kind", "主体类型", required=True, example="农民专业合作社"),
        Column("credit_code", "统一社会信用代码", example="93140121MA0K5XXXXX"),
        Column("id_number", "身份证号码", example="（种养大户、个体农户填写）"),
        Column("legal_representative", "法定代表人/负责人", example="张三", max_length=50),
        Column("contact_name", "联系人", example="李四", max_length=50),
        Column("phone", "联系电话", example="13800000000"),
        Column("address", "地址", example="清徐县东于镇", max_length=200),
        Column("division", "所在县", required=True, example="清徐县（或区划代码 140121）"),
        Column("products", "地理标志产品", example="清徐葡萄（多个用顿号分隔）"),
        Column("is_certificate_holder", "证书持有人", example="否"),
        Column("is_scale_operator", "规模生产经营主体", example="是"),
    )

    def __init__(self, actor: User | None) -> None:
        self.kinds = {str(label): value for value, label in ProducerKind.choices}
        self.kinds.update({value: value for value in ProducerKind.values})
        counties = Division.objects.filter(level=DivisionLevel.COUNTY)
        if actor is not None:
            own = {d for role, d in role_places(actor) if role == Role.COUNTY_ADMIN}
            if has_role(actor, Role.PROVINCE_ADMIN):
                own |= scope_for(actor).division_ids
            counties = counties.filter(pk__in=own)
        self.by_code: dict[str, Division] = {}
        self.by_name: dict[str, list[Division]] = {}
        for division in counties:
            self.by_code[division.code] = division
            self.by_name.setdefault(division.name, []).append(division)
        products = GIProduct.objects.restrict(actor) if actor else GIProduct.objects.all()
        self.products: dict[str, list[GIProduct]] = {}
        for product in products:
            self.products.setdefault(product.name, []).append(product)

    def _division(self, value: str) -> Division:
        if value in self.by_code:
            return self.by_code[value]
        found = self.by_name.get(value, [])
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise ValidationError(f"“{value}”对应多个县，请改填 6 位区划代码。")
        raise ValidationError(f"未找到县“{value}”，或该县不在您可登记的范围内（本县或本省）。")

    def _products(self, value: str) -> list[GIProduct]:
        chosen: list[GIProduct] = []
        for name in (n for n in LIST_SEPARATORS.split(value) if n):
            found = self.products.get(name, [])
            if len(found) > 1:
                raise ValidationError(f"产品名称“{name}”对应多个产品，请在页面上逐个登记。")
            if not found:
                raise ValidationError(f"未找到产品“{name}”，或该产品不在您的数据范围内。")
            chosen.append(found[0])
        return list(dict.fromkeys(chosen))

    def _kind(self, value: str) -> str:
        if value not in self.kinds:
            labels = "、".join(str(label) for label in ProducerKind.labels)
            raise ValidationError(f"主体类型应为：{labels}。")
        return self.kinds[value]

    def clean_row(self, row: int, cells: dict[str, str], errors: RowErrors) -> ProducerRow | None:
        self.check_lengths(row, cells, errors)
        kind = self.cell(row, cells, "kind", errors, self._kind) if cells.get("kind") else None
        division = self.cell(row, cells, "division", errors, self._division)
        products = self.cell(row, cells, "products", errors, self._products)
        phone = self.cell(row, cells, "phone", errors, clean_phone)
        flags = {
            key: self.cell(row, cells, key, errors, parse_flag)
            for key in ("is_certificate_holder", "is_scale_operator")
        }
        credit_code, id_number = "", ""
        if kind is not None:
            key = "credit_code" if needs_credit_code(kind) else "id_number"
            rule = clean_credit_code if key == "credit_code" else clean_id_number
            value = self.cell(row, cells, key, errors, rule)
            if value == "":
                errors.add(row, key, identity_message(kind)[1])
            if key == "credit_code":
                credit_code = value or ""
            else:
                id_number = value or ""
        if row in errors.rows or kind is None or division is None:
            return None
        producer = Producer(
            name=cells["name"],
            kind=kind,
            division=division,
            credit_code=credit_code,
            legal_representative=cells.get("legal_representative", ""),
            contact_name=cells.get("contact_name", ""),
            address=cells.get("address", ""),
            is_certificate_holder=bool(flags["is_certificate_holder"]),
            is_scale_operator=bool(flags["is_scale_operator"]),
        )
        sealed_phone, sealed_id = pii.seal_phone(phone or ""), pii.seal_id_number(id_number)
        producer.phone_sealed, producer.phone_digest = sealed_phone.sealed, sealed_phone.digest
        producer.phone_masked = sealed_phone.masked
        producer.id_number_sealed, producer.id_number_digest = sealed_id.sealed, sealed_id.digest
        producer.id_number_masked = sealed_id.masked
        return ProducerRow(producer, products or [])

    def check_rows(self, rows: list[tuple[int, ProducerRow]], errors: RowErrors) -> None:
        codes = _existing(
            [r.producer.credit_code for _, r in rows if r.producer.credit_code],
            lambda chunk: Producer.objects.filter(credit_code__in=chunk).values_list(
                "credit_code", flat=True
            ),
        )
        digests = _existing(
            [r.producer.id_number_digest for _, r in rows if r.producer.id_number_digest],
            lambda chunk: Producer.objects.filter(id_number_digest__in=chunk).values_list(
                "id_number_digest", flat=True
            ),
        )
        first_code: dict[str, int] = {}
        first_id: dict[str, int] = {}
        for number, item in rows:
            code, digest = item.producer.credit_code, item.producer.id_number_digest
            if code:
                if code in codes:
                    errors.add(number, "credit_code", "该统一社会信用代码已登记在另一个主体名下。")
                elif code in first_code:
                    errors.add(number, "credit_code", f"与第 {first_code[code]} 行重复。")
                else:
                    first_code[code] = number
            if digest:
                if digest in digests:
                    errors.add(number, "id_number", "该身份证号码已登记在另一个主体名下。")
                elif digest in first_id:
                    errors.add(number, "id_number", f"与第 {first_id[digest]} 行重复。")
                else:
                    first_id[digest] = number

    def save(self, rows: list[ProducerRow]) -> int:
        created = Producer.objects.bulk_create([r.producer for r in rows], batch_size=CHUNK)
        through = Producer.products.through
        links = [
            through(producer_id=producer.pk, giproduct_id=product.pk)
            for producer, row in zip(created, rows, strict=True)
            for product in row.products
        ]
        through.objects.bulk_create(links, batch_size=CHUNK)
        return len(created)


# --- A producer's household list (带动农户名单) ------------------------------------------------


class HouseholdImport(ImportSpec[Household]):
    title = "带动农户名单"
    columns = (
        Column("name", "户主姓名", required=True, example="王五", max_length=50),
        Column("id_number", "身份证号码", required=True, example="（18 位，请以文本格式填写）"),
        Column("village", "所在村", example="东于村", max_length=100),
        Column("members", "家庭人口", required=True, example="4"),
        Column("income", "家庭年收入", example="48000.00"),
    )

    def __init__(self, producer: Producer, year: int) -> None:
        self.producer = producer
        self.year = year

    def clean_row(self, row: int, cells: dict[str, str], errors: RowErrors) -> Household | None:
        self.check_lengths(row, cells, errors)
        id_number = self.cell(row, cells, "id_number", errors, clean_id_number)
        members = self.cell(
            row, cells, "members", errors, lambda v: parse_count(v, minimum=1, maximum=99)
        )
        income: Decimal | None = None
        if cells.get("income"):
            income = self.cell(
                row, cells, "income", errors, lambda v: parse_decimal(v, minimum=Decimal(0))
            )
        if row in errors.rows or not id_number or members is None:
            return None
        name, number = pii.seal_person_name(cells["name"]), pii.seal_id_number(id_number)
        return Household(
            producer=self.producer,
            year=self.year,
            name_sealed=name.sealed,
            name_masked=name.masked,
            id_number_sealed=number.sealed,
            id_number_digest=number.digest,
            id_number_masked=number.masked,
            village=cells.get("village", ""),
            members=members,
            income=income,
        )

    def check_rows(self, rows: list[tuple[int, Household]], errors: RowErrors) -> None:
        listed = _existing(
            [h.id_number_digest for _, h in rows],
            lambda chunk: Household.objects.filter(
                producer=self.producer, year=self.year, id_number_digest__in=chunk
            ).values_list("id_number_digest", flat=True),
        )
        first: dict[str, int] = {}
        for number, household in rows:
            digest = household.id_number_digest
            if digest in listed:
                errors.add(number, "id_number", f"该户已在 {self.year} 年度的名单中。")
            elif digest in first:
                errors.add(number, "id_number", f"与第 {first[digest]} 行重复。")
            else:
                first[digest] = number

    def save(self, rows: list[Household]) -> int:
        return len(Household.objects.bulk_create(rows, batch_size=CHUNK))
