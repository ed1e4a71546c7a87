"""Forms of the producers pages. They parse with the shared rules (`rules.py`); the services
decide (scope, duplicates, transitions) and their `FieldError`s come back to the field."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from dibiao.accounts.models import Organization
from dibiao.core import geometry
from dibiao.core.errors import DomainError
from dibiao.core.models import Division
from dibiao.core.uploads import max_upload_bytes, size_text, sniff
from dibiao.producers.choices import BaseKind, BaseStatus, ProducerKind, ProducerStatus
from dibiao.producers.models import Producer, ProductionBase
from dibiao.producers.rules import (
    FieldError,
    clean_credit_code,
    clean_id_number,
    clean_phone,
    identity_message,
    needs_credit_code,
)
from dibiao.producers.services.bases import BaseInput
from dibiao.producers.services.directory import ProducerInput
from dibiao.producers.services.farmers import MAX_DRIVEN
from dibiao.registry.models import GIProduct

MAX_GEOJSON_BYTES = 5 * 1024 * 1024


def add_domain_error(form: forms.Form, exc: DomainError, *, default: str | None = None) -> None:
    """A service's refusal on the form: at its field when it names one the form has, else at
    `default` (None: above the form)."""
    field = exc.field if isinstance(exc, FieldError) else None
    form.add_error(field if field in form.fields else default, exc.message)


def _set_queryset(form: forms.Form, name: str, queryset: QuerySet[Any]) -> None:
    cast(forms.ModelChoiceField, form.fields[name]).queryset = queryset


def _text(label: str, max_length: int, **kwargs: Any) -> forms.CharField:
    return forms.CharField(label=label, max_length=max_length, required=False, **kwargs)


# --- Directory -------------------------------------------------------------------------------


class ContactForm(forms.Form):
    contact_name = _text("联系人", 50)
    phone = _text(
        "联系电话",
        30,
        help_text="11 位手机号或带区号的固定电话（如 0351-1234567）。",
    )
    address = _text("地址", 200, widget=forms.TextInput(attrs={"size": 50}))

    def __init__(self, *args: Any, producer: Producer | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.producer = producer
        if producer is not None and producer.phone_masked:
            # The stored number is never put back in clear into the page.
            self.fields["phone"].help_text = f"当前：{producer.phone_masked}。留空则保持不变。"

    def clean_phone(self) -> str:
        return clean_phone(self.cleaned_data["phone"])

    def phone_value(self) -> str | None:
        """The phone for the service: None (keep) when an edit leaves it blank."""
        phone: str = self.cleaned_data["phone"]
        return None if not phone and self.producer is not None else phone


class ProducerForm(ContactForm):
    name = forms.CharField(label="主体名称", max_length=100)
    kind = forms.ChoiceField(label="主体类型", choices=ProducerKind.choices)
    credit_code = _text(
        "统一社会信用代码",
        30,
        help_text="企业、农民专业合作社、家庭农场填写（18 位，自动转为大写并核对校验位）。",
    )
    id_number = _text(
        "身份证号码", 30, help_text="种养大户、个体农户填写负责人的身份证号码（18 位）。"
    )
    legal_representative = _text("法定代表人/负责人", 50)
    division = forms.ModelChoiceField(label="所在县（市、区）", queryset=Division.objects.none())
    products = forms.ModelMultipleChoiceField(
        label="生产的地理标志产品",
        queryset=GIProduct.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    is_certificate_holder = forms.BooleanField(label="证书持有人", required=False)
    is_scale_operator = forms.BooleanField(label="规模生产经营主体", required=False)
    organization = forms.ModelChoiceField(
        label="平台账号所属机构",
        queryset=Organization.objects.none(),
        required=False,
        help_text="该主体登录平台所用的“生产经营主体”类机构；没有账号的留空。",
    )

    field_order = [
        "name",
        "kind",
        "credit_code",
        "id_number",
        "legal_representative",
        "contact_name",
        "phone",
        "address",
        "division",
        "products",
        "is_certificate_holder",
        "is_scale_operator",
        "organization",
    ]

    def __init__(
        self,
        *args: Any,
        divisions: QuerySet[Division],
        products: QuerySet[GIProduct],
        organizations: QuerySet[Organization],
        producer: Producer | None = None,
        **kwargs: Any,
    ) -> None:
        if producer is not None and "initial" not in kwargs:
            kwargs["initial"] = initial_of(producer)
        super().__init__(*args, producer=producer, **kwargs)
        _set_queryset(self, "division", divisions)
        _set_queryset(self, "products", products)
        _set_queryset(self, "organization", organizations)
        if producer is not None and producer.id_number_masked:
            self.fields[
                "id_number"
            ].help_text = f"当前：{producer.id_number_masked}。留空则保持不变。"

    def clean_credit_code(self) -> str:
        return clean_credit_code(self.cleaned_data["credit_code"])

    def clean_id_number(self) -> str:
        return clean_id_number(self.cleaned_data["id_number"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        if not kind or "credit_code" in self.errors or "id_number" in self.errors:
            return data
        field, message = identity_message(kind)
        has_stored_id = self.producer is not None and bool(self.producer.id_number_digest)
        if needs_credit_code(kind):
            missing = not data.get("credit_code")
        else:
            missing = not data.get("id_number") and not has_stored_id
        if missing:
            self.add_error(field, message)
        return data

    def to_input(self) -> ProducerInput:
        data = self.cleaned_data
        id_number: str | None = data["id_number"] or (None if self.producer else "")
        return ProducerInput(
            name=data["name"],
            kind=data["kind"],
            division=data["division"],
            credit_code=data["credit_code"],
            id_number=id_number,
            legal_representative=data["legal_representative"],
            contact_name=data["contact_name"],
            phone=self.phone_value(),
            address=data["address"],
            products=list(data["products"]),
            is_certificate_holder=data["is_certificate_holder"],
            is_scale_operator=data["is_scale_operator"],
            organization=data["organization"],
        )


def initial_of(producer: Producer) -> dict[str, Any]:
    """The edit form's initial values: everything but the personal numbers."""
    return {
        "name": producer.name,
        "kind": producer.kind,
        "credit_code": producer.credit_code,
        "legal_representative": producer.legal_representative,
        "contact_name": producer.contact_name,
        "address": producer.address,
        "division": producer.division_id,
        "products": [p.pk for p in producer.products.all()],
        "is_certificate_holder": producer.is_certificate_holder,
        "is_scale_operator": producer.is_scale_operator,
        "organization": producer.organization_id,
    }


class ProducerStatusForm(forms.Form):
    status = forms.ChoiceField(label="新状态", choices=ProducerStatus.choices)
    reason = forms.CharField(
        label="原因",
        max_length=300,
        required=False,
        help_text="暂停或注销须填写原因。",
    )

    def __init__(self, *args: Any, allowed: list[ProducerStatus] | None = None, **kw: Any) -> None:
        super().__init__(*args, **kw)
        if allowed is not None:
            cast(forms.ChoiceField, self.fields["status"]).choices = [
                (s.value, s.label) for s in allowed
            ]


class ImportForm(forms.Form):
    file = forms.FileField(label="Excel 文件（.xlsx）", help_text="请使用导入模板，表头在第 1 行。")
    only_valid = forms.BooleanField(
        label="只导入有效行",
        required=False,
        help_text="不勾选时，只要有一行有误就全部不导入；勾选后导入有效行，有误的行列在报告中。",
    )


class HouseholdImportForm(ImportForm):
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)

    field_order = ["year", "file", "only_valid"]


# --- Production bases ------------------------------------------------------------------------


def read_geojson_file(upload: Any) -> str:
    """The text of an uploaded .geojson/.json file. JSON is not one of the document kinds of
    `check_upload`, so the same content sniffing decides: plain text only (no HTML, SVG or
    binary), within the size limit."""
    limit = min(MAX_GEOJSON_BYTES, max_upload_bytes())
    if upload.size > limit:
        raise ValidationError(f"边界文件超过上限（{size_text(limit)}）。")
    detected = sniff(upload)
    if detected.label != "纯文本":
        raise ValidationError(f"边界文件应为 GeoJSON 文本，检测到的内容为：{detected.label}。")
    raw: bytes = upload.read()
    upload.seek(0)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError("边界文件应为 UTF-8 编码的 GeoJSON 文本。") from exc


class BaseForm(forms.Form):
    producer = forms.ModelChoiceField(label="经营主体", queryset=Producer.objects.none())
    product = forms.ModelChoiceField(
        label="地理标志产品",
        queryset=GIProduct.objects.none(),
        help_text="须为该主体登记生产的产品。",
    )
    kind = forms.ChoiceField(label="基地类型", choices=BaseKind.choices)
    name = forms.CharField(label="基地名称", max_length=100)
    status = forms.ChoiceField(
        label="状态",
        choices=[(s.value, s.label) for s in (BaseStatus.ACTIVE, BaseStatus.BUILDING)],
    )
    division = forms.ModelChoiceField(
        label="所在县（市、区）",
        queryset=Division.objects.none(),
        required=False,
        help_text="留空则为主体所在县。",
    )
    address = _text("位置描述", 200, widget=forms.TextInput(attrs={"size": 50}))
    area_mu = forms.DecimalField(
        label="面积（亩）",
        max_digits=12,
        decimal_places=2,
        min_value=0.01,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0.01"}),
    )
    longitude = forms.DecimalField(
        label="经度", max_digits=9, decimal_places=6, required=False, help_text="WGS-84，如 112.358"
    )
    latitude = forms.DecimalField(
        label="纬度", max_digits=8, decimal_places=6, required=False, help_text="WGS-84，如 37.601"
    )
    boundary = forms.CharField(
        label="边界（GeoJSON）",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "cols": 60}),
        help_text="WGS-84 经纬度的 Polygon 或 MultiPolygon（也可为只含一个面的 Feature）。",
    )
    boundary_file = forms.FileField(label="或上传边界文件（.geojson / .json）", required=False)
    has_storage = forms.BooleanField(label="仓储设施", required=False)
    has_cold_chain = forms.BooleanField(label="冷链设施", required=False)
    facilities = forms.CharField(
        label="设施说明", required=False, widget=forms.Textarea(attrs={"rows": 3, "cols": 60})
    )

    def __init__(
        self,
        *args: Any,
        producers: QuerySet[Producer],
        products: QuerySet[GIProduct],
        divisions: QuerySet[Division],
        base: ProductionBase | None = None,
        **kwargs: Any,
    ) -> None:
        if base is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                f: getattr(base, f)
                for f in (
                    "kind",
                    "name",
                    "address",
                    "area_mu",
                    "longitude",
                    "latitude",
                    "boundary",
                    "has_storage",
                    "has_cold_chain",
                    "facilities",
                )
            } | {"product": base.product_id, "division": base.division_id}
        super().__init__(*args, **kwargs)
        self.base = base
        _set_queryset(self, "producer", producers)
        _set_queryset(self, "product", products)
        _set_queryset(self, "division", divisions)
        if base is not None:
            # The producer and the status have their own way of changing (none, and the
            # status form).
            del self.fields["producer"]
            del self.fields["status"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        longitude, latitude = data.get("longitude"), data.get("latitude")
        if (longitude is None) != (latitude is None) and not (
            "longitude" in self.errors or "latitude" in self.errors
        ):
            self.add_error(
                "latitude" if latitude is None else "longitude", "经度和纬度需同时填写。"
            )
        elif longitude is not None and latitude is not None:
            try:
                geometry.point(longitude, latitude)
            except ValidationError as exc:
                self.add_error("longitude", exc.messages[0])
        upload = data.get("boundary_file")
        if upload:
            try:
                data["boundary"] = read_geojson_file(upload)
            except ValidationError as exc:
                self.add_error("boundary_file", exc)
                return data
        text = (data.get("boundary") or "").strip()
        if text:
            try:
                geometry.parse_polygon(text)
            except ValidationError as exc:
                self.add_error("boundary_file" if upload else "boundary", exc)
        return data

    def to_input(self) -> BaseInput:
        data = self.cleaned_data
        return BaseInput(
            product=data["product"],
            kind=data["kind"],
            name=data["name"],
            area_mu=data["area_mu"],
            division=data["division"],
            address=data["address"],
            longitude=data["longitude"],
            latitude=data["latitude"],
            boundary=data.get("boundary") or "",
            has_storage=data["has_storage"],
            has_cold_chain=data["has_cold_chain"],
            facilities=data["facilities"],
        )


class BaseStatusForm(forms.Form):
    status = forms.ChoiceField(label="新状态", choices=BaseStatus.choices)

    def __init__(self, *args: Any, allowed: list[BaseStatus] | None = None, **kw: Any) -> None:
        super().__init__(*args, **kw)
        if allowed is not None:
            cast(forms.ChoiceField, self.fields["status"]).choices = [
                (s.value, s.label) for s in allowed
            ]


# --- Farmers driven --------------------------------------------------------------------------


class FarmerLinkForm(forms.Form):
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    households = forms.IntegerField(label="带动农户（户）", min_value=0, max_value=MAX_DRIVEN)
    people = forms.IntegerField(label="带动人数（人）", min_value=0, max_value=MAX_DRIVEN)
    per_capita_income = forms.DecimalField(
        label="带动农户人均可支配收入（元）",
        max_digits=12,
        decimal_places=2,
        min_value=0,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0"}),
    )
    notes = forms.CharField(
        label="说明", required=False, widget=forms.Textarea(attrs={"rows": 3, "cols": 60})
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["year"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        households, people = data.get("households"), data.get("people")
        if households is not None and people is not None and people < households:
            self.add_error("people", "带动人数不应少于带动户数。")
        return data
