"""First accounts of a new deployment: the three separated administrators.

There is no Django admin site and no superuser: the system administrator then creates the
accounts, and the security administrator gives them roles.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from dibiao.accounts.choices import OrganizationKind, Role
from dibiao.accounts.models import Membership, Organization, User
from dibiao.accounts.services import membership_grant, organization_save, user_create
from dibiao.core.errors import DomainError
from dibiao.core.models import Division

ADMINS = (("sysadmin", Role.SYSADMIN), ("secadmin", Role.SECADMIN), ("auditor", Role.AUDITOR))


class Command(BaseCommand):
    help = "Create the provincial department and the sysadmin, secadmin and auditor accounts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--division", required=True, help="province code, e.g. 140000")
        parser.add_argument(
            "--organization", help="department name (default: <province>农业农村厅)"
        )

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        division = Division.objects.filter(code=options["division"], level="province").first()
        if division is None:
            raise CommandError(f"省级行政区划 {options['division']} 不存在，请先 load_divisions。")
        name = options["organization"] or f"{division.name}农业农村厅"
        try:
            organization = Organization.objects.filter(division=division, name=name).first() or (
                organization_save(
                    actor=None,
                    data={
                        "name": name,
                        "kind": OrganizationKind.PROVINCIAL_DEPT,
                        "division": division,
                    },
                )
            )
            for username, role in ADMINS:
                if User.objects.filter(username=username).exists():
                    if not Membership.objects.filter(user__username=username, role=role).exists():
                        raise CommandError(
                            f"账号 {username} 已存在但不是{role.label}，请人工处理。"
                        )
                    self.stdout.write(f"{username}：已存在，未改动。")
                    continue
                password = f"Db-{secrets.token_urlsafe(12)}"
                user = user_create(actor=None, username=username, password=password)
                membership_grant(actor=None, user=user, organization=organization, role=role)
                self.stdout.write(
                    f"{username}（{role.label}）：初始密码 {password} ，请登录后立即修改。"
                )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
