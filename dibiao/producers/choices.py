from django.db import models


class ProducerKind(models.TextChoices):
    ENTERPRISE = "enterprise", "企业"
    COOPERATIVE = "cooperative", "农民专业合作社"
    FAMILY_FARM = "family_farm", "家庭农场"
    LARGE_HOUSEHOLD = "large_household", "种养大户"
    INDIVIDUAL = "individual", "个体农户"


# Kinds registered with the market regulator carry a unified social credit code; a large
# household or an individual farmer is identified by the person's ID number instead.
CREDIT_CODE_KINDS = frozenset(
    {ProducerKind.ENTERPRISE, ProducerKind.COOPERATIVE, ProducerKind.FAMILY_FARM}
)


class ProducerStatus(models.TextChoices):
    ACTIVE = "active", "正常"
    SUSPENDED = "suspended", "暂停"
    CLOSED = "closed", "注销"


class BaseKind(models.TextChoices):
    CORE = "core", "核心生产基地"
    BREEDING = "breeding", "特色品种繁育基地"


class BaseStatus(models.TextChoices):
    ACTIVE = "active", "在用"
    BUILDING = "building", "在建"
    INACTIVE = "inactive", "停用"


class AuthorizationStatus(models.TextChoices):
    """标志授权使用: applied → holder review → county review → in force; then suspended or
    revoked. Expiry is not a state: an authorization is valid only within its dates."""

    PENDING_HOLDER = "pending_holder", "待证书持有人审核"
    PENDING_COUNTY = "pending_county", "待县级审核"
    APPROVED = "approved", "已生效"
    REJECTED = "rejected", "未通过"
    SUSPENDED = "suspended", "已暂停"
    REVOKED = "revoked", "已撤销"
    WITHDRAWN = "withdrawn", "已撤回"


AUTHORIZATION_TRANSITIONS: dict[str, frozenset[str]] = {
    AuthorizationStatus.PENDING_HOLDER: frozenset(
        {
            AuthorizationStatus.PENDING_COUNTY,
            AuthorizationStatus.REJECTED,
            AuthorizationStatus.WITHDRAWN,
        }
    ),
    AuthorizationStatus.PENDING_COUNTY: frozenset(
        {AuthorizationStatus.APPROVED, AuthorizationStatus.REJECTED, AuthorizationStatus.WITHDRAWN}
    ),
    AuthorizationStatus.APPROVED: frozenset(
        {AuthorizationStatus.SUSPENDED, AuthorizationStatus.REVOKED}
    ),
    AuthorizationStatus.SUSPENDED: frozenset(
        {AuthorizationStatus.APPROVED, AuthorizationStatus.REVOKED}
    ),
    AuthorizationStatus.REJECTED: frozenset(),
    AuthorizationStatus.REVOKED: frozenset(),
    AuthorizationStatus.WITHDRAWN: frozenset(),
}
