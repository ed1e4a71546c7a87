"""What the producers app writes to the verifiable ledger (dibiao/ledger): each label-use
authorization when applied for and at every change of its status (holder and county review,
approval, suspension, resumption, revocation, withdrawal), so the log holds the right to use
the label as granted and every later step. Expiry is not stored (an authorization is valid only
within its dates), so it needs no leaf of its own.

Left out: the application's free texts and the reviewers' comments (the log's entries are
public; a refusal's or a suspension's reason is kept, in `status_reason`)."""

from __future__ import annotations

from django.db.models import Q

from dibiao.ledger.types import SnapshotType, register
from dibiao.producers.models import LabelAuthorization

LABEL_AUTHORIZATION = register(
    SnapshotType(
        name="producers.label_authorization",
        version=1,
        model=LabelAuthorization,
        label="标志使用授权",
        fields=(
            "producer",
            "product",
            "year",
            "number",
            "requested_quantity",
            "authorized_quantity",
            "scope",
            "commitment",
            "valid_from",
            "valid_until",
            "status",
            "status_reason",
            "status_changed_at",
            "applied_at",
            "applied_by",
            "holder_reviewed_at",
            "holder_reviewed_by",
            "county_reviewed_at",
            "county_reviewed_by",
            "created_at",
        ),
        # Logged from the application on, so every authorization has a leaf.
        logged=Q(),
    )
)
