"""The rate limit under concurrent submissions: a race only PostgreSQL can show (SQLite runs one
writer at a time)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from dibiao.accounts.choices import Role
from dibiao.disclosure import services
from dibiao.disclosure.errors import DisclosureError
from dibiao.disclosure.models import Objection, local_today
from dibiao.disclosure.tests.conftest import notice_data
from dibiao.testing.factories import division_tree, user_with_role


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_objections_from_one_address_cannot_pass_the_hourly_limit():
    tree = division_tree()
    admin = user_with_role(Role.COUNTY_ADMIN, tree["c1a"])
    today = local_today()
    notices = [
        services.notice_publish(
            actor=admin,
            notice=services.notice_save(
                actor=admin,
                data=notice_data(
                    title=f"公示{i}", start_date=today, end_date=today + dt.timedelta(days=7)
                ),
                division=tree["c1a"],
            ),
        )
        for i in range(4)
    ]
    # 4 notices x 3 = 12 submissions, each within its notice's daily limit; the per-notice row
    # locks do not serialise them across notices, so only the address lock keeps the total at 10.
    barrier = threading.Barrier(12)
    outcomes: list[str] = []

    def send(notice) -> None:
        try:
            barrier.wait(timeout=10)
            services.objection_submit(
                notice=notice,
                name="张三",
                contact="13812345678",
                text="遴选结果与实际情况不符，请核实。",
                client_ip="203.0.113.9",
            )
            outcomes.append("saved")
        except DisclosureError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(n,)) for n in notices for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["rate_limited"] * 2 + ["saved"] * 10
    assert Objection.objects.count() == 10
