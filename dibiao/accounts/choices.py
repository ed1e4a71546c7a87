from django.db import models


class Role(models.TextChoices):
    PROVINCE_ADMIN = "province_admin", "省级管理员"
    CITY_ADMIN = "city_admin", "市级管理员"
    COUNTY_ADMIN = "county_admin", "县级管理员（实施主体）"
    COUNTY_GOV = "county_gov", "县人民政府"
    PRODUCER = "producer", "生产经营主体"
    LAB = "lab", "检测机构"
    EXPERT = "expert", "评审专家"
    SYSADMIN = "sysadmin", "系统管理员"
    SECADMIN = "secadmin", "安全管理员"
    AUDITOR = "auditor", "审计管理员"


class OrganizationKind(models.TextChoices):
    PROVINCIAL_DEPT = "provincial_dept", "省级农业农村部门"
    CITY_BUREAU = "city_bureau", "市农业农村局"
    COUNTY_BUREAU = "county_bureau", "县农业农村局"
    COUNTY_GOV = "county_gov", "县人民政府"
    PRODUCER = "producer", "生产经营主体"
    LAB = "lab", "检测机构"
    OTHER = "other", "其他"


# The three separated administrator duties (三权分立): no account holds two of them, and an
# administrator account holds no business role either, so that no one person can both act and
# erase the trace of acting.
ADMIN_ROLES = frozenset({Role.SYSADMIN, Role.SECADMIN, Role.AUDITOR})

# Government roles see the subtree of their organization's division.
DIVISION_ROLES = frozenset(
    {Role.PROVINCE_ADMIN, Role.CITY_ADMIN, Role.COUNTY_ADMIN, Role.COUNTY_GOV}
)
# Producers and labs see their own organization.
ORGANIZATION_ROLES = frozenset({Role.PRODUCER, Role.LAB})

# Which kinds of organization a role may be held in.
ROLE_ORGANIZATION_KINDS: dict[str, frozenset[str]] = {
    Role.PROVINCE_ADMIN: frozenset({OrganizationKind.PROVINCIAL_DEPT}),
    Role.CITY_ADMIN: frozenset({OrganizationKind.CITY_BUREAU}),
    Role.COUNTY_ADMIN: frozenset({OrganizationKind.COUNTY_BUREAU}),
    Role.COUNTY_GOV: frozenset({OrganizationKind.COUNTY_GOV}),
    Role.PRODUCER: frozenset({OrganizationKind.PRODUCER}),
    Role.LAB: frozenset({OrganizationKind.LAB}),
    Role.EXPERT: frozenset(OrganizationKind.values),
    Role.SYSADMIN: frozenset({OrganizationKind.PROVINCIAL_DEPT, OrganizationKind.OTHER}),
    Role.SECADMIN: frozenset({OrganizationKind.PROVINCIAL_DEPT, OrganizationKind.OTHER}),
    Role.AUDITOR: frozenset({OrganizationKind.PROVINCIAL_DEPT, OrganizationKind.OTHER}),
}

# The division level a government role's organization must sit at.
ROLE_DIVISION_LEVEL: dict[str, str] = {
    Role.PROVINCE_ADMIN: "province",
    Role.CITY_ADMIN: "city",
    Role.COUNTY_ADMIN: "county",
    Role.COUNTY_GOV: "county",
}

# The kinds of organization a county administrator may create; government bodies are set up by
# the province.
SELF_SERVICE_ORGANIZATION_KINDS = frozenset(
    {OrganizationKind.PRODUCER, OrganizationKind.LAB, OrganizationKind.OTHER}
)
