"""What the work archive can be attached to, and how a target is filed.

The archive sits above the apps whose records it holds documents for, but it must not import
the apps above it (projects, applications, ...). So each app registers its attachable models
here, from its AppConfig.ready():

    register_target(
        Contract,
        label="合同",
        divisions_of=lambda c: [c.division],
        organization_of=lambda c: None,
    )

A registered model must use `ScopedQuerySet` (its rows are found through `restrict`), or pass
`visible_to(user)` returning the rows the user may see (Program is scoped by its province
through a selector, not by `restrict`). The archive registers GIProduct itself (`register_builtin_targets`, from ArchiveConfig.ready()).

**ZIP hook.** A product's one-click ZIP collects the documents of the product and of every
record that belongs to it. An app whose records belong to a product registers a function that
lists them: `register_product_records(lambda product: Contract.objects.filter(product=product))`.
`archive_zip_for_product` also accepts `extra_targets` for a caller that already has them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.urls import reverse

from dibiao.accounts.models import Organization
from dibiao.accounts.scoping import scope_for
from dibiao.archive.errors import ArchiveError
from dibiao.core.models import Division

_LEVEL_ORDER = {"county": 0, "city": 1, "province": 2}


@dataclass(frozen=True)
class TargetType:
    model: type[models.Model]
    label: str
    divisions_of: Callable[[Any], Sequence[Division]]
    organization_of: Callable[[Any], Organization | None]
    archive_url: Callable[[Any], str] | None = None
    queryset_for: Callable[[Any], models.QuerySet[Any]] | None = None

    @property
    def key(self) -> str:
        return self.model._meta.label_lower

    def visible_to(self, user: Any) -> models.QuerySet[Any]:
        if self.queryset_for is not None:
            return self.queryset_for(user)
        manager: Any = self.model._default_manager
        return manager.restrict(user)


_TYPES: dict[str, TargetType] = {}
_PRODUCT_RECORDS: list[Callable[[Any], Iterable[models.Model]]] = []


def register_target(
    model: type[models.Model],
    *,
    label: str,
    divisions_of: Callable[[Any], Sequence[Division]],
    organization_of: Callable[[Any], Organization | None] = lambda target: None,
    archive_url: Callable[[Any], str] | None = None,
    visible_to: Callable[[Any], models.QuerySet[Any]] | None = None,
) -> None:
    """Make `model` attachable. `divisions_of(target)` lists the divisions the target sits in
    (a document is filed under one of them); `organization_of(target)` is the producer that
    owns it, if any; `archive_url(target)` is the page showing its archive (and its
    attachments), if there is one; `visible_to(user)` replaces `restrict(user)` for a model
    scoped some other way."""
    if visible_to is None and not hasattr(model._default_manager, "restrict"):
        raise TypeError(
            f"{model._meta.label} must use ScopedQuerySet or pass visible_to to be attachable."
        )
    target_type = TargetType(model, label, divisions_of, organization_of, archive_url, visible_to)
    _TYPES[target_type.key] = target_type


def register_product_records(collect: Callable[[Any], Iterable[models.Model]]) -> None:
    """Let an app add its records that belong to a product (contracts, expenditures, ...) to
    that product's ZIP. `collect(product)` returns registered targets."""
    _PRODUCT_RECORDS.append(collect)


def target_types() -> list[TargetType]:
    return sorted(_TYPES.values(), key=lambda t: t.key)


def target_type_for(key_or_target: str | models.Model) -> TargetType:
    key = key_or_target if isinstance(key_or_target, str) else key_or_target._meta.label_lower
    target_type = _TYPES.get(key.lower())
    if target_type is None:
        raise ArchiveError(
            "invalid_target_type",
            f"不能向“{key}”附加工作档案。可用的对象类型：{'、'.join(_TYPES) or '无'}。",
        )
    return target_type


def target_get_for_user(*, user: Any, target_type: str, target_id: int) -> models.Model:
    """A target named in a request body. A missing one and one outside the user's scope are
    reported alike (400 `invalid_target`), so that ids cannot be probed across counties."""
    target = target_type_for(target_type).visible_to(user).filter(pk=target_id).first()
    if target is None:
        raise ArchiveError("invalid_target", "未找到要附加档案的对象，或该对象不在您的数据范围内。")
    return target


def target_find_for_user(*, user: Any, target_type: str, target_id: int) -> models.Model | None:
    """A target named in a URL, or None when its type is not attachable, it does not exist or
    it is outside the user's scope: the pages answer all three with the same 404."""
    found = _TYPES.get(target_type.lower())
    if found is None:
        return None
    return found.visible_to(user).filter(pk=target_id).first()


def product_records(product: models.Model) -> list[models.Model]:
    """The product and every registered record that belongs to it."""
    records: list[models.Model] = [product]
    for collect in _PRODUCT_RECORDS:
        records.extend(collect(product))
    return records


def filing_for(*, actor: Any, target: models.Model) -> tuple[Division, Organization | None]:
    """The division and organization a new document on `target` is filed under.

    The division is the most precise of the target's divisions inside the actor's scope (a
    county before its city), so that a shared product's documents stay with the county that
    filed them; a producer, whose scope is its organization, files under the target's first
    division. The organization is the target's owner when the actor belongs to it (a producer
    filing for its own item), else none: government documents are not shown to producers.
    """
    target_type = target_type_for(target)
    divisions = sorted(
        target_type.divisions_of(target), key=lambda d: (_LEVEL_ORDER.get(d.level, 9), d.code)
    )
    if not divisions:
        raise ArchiveError("target_without_division", "该对象没有所在行政区划，无法归档。")
    scope = scope_for(actor)
    in_scope = [d for d in divisions if d.pk in scope.division_ids]
    owner = target_type.organization_of(target)
    organization = owner if owner is not None and owner.pk in scope.organization_ids else None
    return (in_scope or divisions)[0], organization


def register_builtin_targets() -> None:
    from dibiao.registry.models import GIProduct

    register_target(
        GIProduct,
        label="地理标志产品",
        divisions_of=lambda product: list(product.divisions.all()),
        organization_of=lambda product: product.certificate_holder,
        archive_url=lambda product: reverse("archive:product-archive", args=[product.pk]),
    )
