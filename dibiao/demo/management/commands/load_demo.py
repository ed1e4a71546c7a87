from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from dibiao.core.errors import DomainError
from dibiao.demo.services import demo_load
from dibiao.ledger import services as ledger


class Command(BaseCommand):
    help = "Load the 2021 Shanxi demo program: divisions, 12 GI products, organizations, accounts."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = demo_load()
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        # The demo's records are in the ledger's queue: sequence them and sign a checkpoint.
        checkpoint = ledger.publish_checkpoint()
        users, products = len(result.created_users), len(result.created_products)
        self.stdout.write(f"演示数据：新增账号 {users} 个，新增产品 {products} 个。")
        self.stdout.write(f"演示账号（{len(result.usernames)} 个）：{', '.join(result.usernames)}")
        self.stdout.write(f"演示密码：{result.password}（来自 {result.password_source}）")
        size = checkpoint.size if checkpoint else ledger.state().size
        self.stdout.write(f"可验证账本：{size} 个叶，检查点已签名（/ledger/）。")
        for name, code in list(result.sample_codes.items())[:3]:
            self.stdout.write(f"扫码体验：/t/{code.replace('-', '')}  （{name}，{code}）")
