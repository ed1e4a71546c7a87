"""Audit the ledger against the database; exit 1 and alert the secadmin on any finding. Each run
is recorded (`LedgerAuditRun`) and listed on the security console."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from dibiao.ledger import monitoring
from dibiao.ledger.models import AuditRunSource


class Command(BaseCommand):
    help = "由数据库中的记录重算每个账本叶并重建默克尔树，报告不一致的记录和检查点。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-alert", action="store_true", help="只报告，不向安全管理员发告警")
        parser.add_argument("--quiet", action="store_true", help="不显示进度")

    def handle(self, *args: Any, no_alert: bool, quiet: bool, **options: Any) -> None:
        progress = None if quiet else (lambda text: self.stderr.write(text))
        _, report = monitoring.audit_run_now(
            source=AuditRunSource.COMMAND, progress=progress, alert_findings=not no_alert
        )
        self.stdout.write(
            f"树大小 {report.size}，核对叶 {report.leaves_checked} 个、检查点 "
            f"{report.checkpoints_checked} 个、见证检查点 {report.witnessed_checked} 个。"
        )
        if report.ok:
            self.stdout.write("账本与数据库一致。")
            return
        for finding in report.findings:
            self.stdout.write(f"[{finding.kind}] {finding.message}")
        self.stdout.write(monitoring.audit_summary(report) + "。")
        sys.exit(1)
