"""One scale's side of the benchmark, run by bench.run in a child process whose DATABASE_URL
points at that scale's SQLite file:

    python -m bench.measure build --scale national --seed 2021 --meta var/bench/national.json
    python -m bench.measure serve --meta var/bench/national.json --requests 200 --warmup 20

`build` migrates, loads the demo and, for the national scale, runs the generator. `serve` warms
up every case, counts its queries, then times requests on demand. Building and timing are
separate processes so that the timings never carry the generator's memory or garbage.
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import os
import random
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The demo's users (dibiao/demo/services.py): the Shanxi province admin and 清徐县's county admin.
DEMO_PROVINCE_ADMIN = "province_admin"
DEMO_COUNTY_ADMIN = "county_140121"
# Page sizes of the measured endpoints: dibiao.core.api.Pagination and views.public_product_list.
API_PAGE_SIZE = 20
PUBLIC_PAGE_SIZE = 24
PRODUCT_LINK = re.compile(r'href="/products/\d+/"')


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def build(*, scale: str, seed: int, meta_path: Path) -> None:
    from django.core.management import call_command
    from django.db import connections

    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    call_command("load_demo", stdout=io.StringIO())
    meta: dict[str, Any] = {
        "scale": scale,
        "seed": seed,
        "province_admin": DEMO_PROVINCE_ADMIN,
        "province_code": "140000",
        "county_admin": DEMO_COUNTY_ADMIN,
        "county_code": DEMO_COUNTY_ADMIN.removeprefix("county_"),
        "shanxi_admin": DEMO_PROVINCE_ADMIN,
    }
    if scale == "national":
        from bench.generate import NationalScale, national_generate

        result = national_generate(scale=NationalScale(seed=seed))
        meta.update(
            province_admin=result.province_admin,
            province_code=result.province_code,
            county_admin=result.county_admin,
            county_code=result.county_code,
        )
    meta["counts"] = _counts()
    meta["build_seconds"] = round(time.perf_counter() - started, 1)
    connections.close_all()
    meta_path.write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")


def _counts() -> dict[str, int]:
    from dibiao.accounts.models import Membership, Organization, User
    from dibiao.core.models import Division
    from dibiao.registry.models import GIProduct

    return {
        "provinces": Division.objects.filter(level="province").count(),
        "cities": Division.objects.filter(level="city").count(),
        "counties": Division.objects.filter(level="county").count(),
        "organizations": Organization.objects.count(),
        "products": GIProduct.objects.count(),
        "product_divisions": GIProduct.divisions.through.objects.count(),
        "users": User.objects.count(),
        "memberships": Membership.objects.count(),
    }


@dataclass
class Case:
    key: str
    label: str
    urls: list[str]
    username: str = ""
    # Filled by the untimed request that counts the queries.
    queries: int = 0
    items: int = 0
    scope: int | None = None


class Bench:
    """The cases of one scale, timed with an in-process test client (no network, no server)."""

    def __init__(self, meta: dict[str, Any], *, requests: int, warmup: int) -> None:
        from django.core.management import call_command
        from django.test import Client

        # A no-op on a fresh build; brings a cached database up to the code's schema.
        call_command("migrate", interactive=False, verbosity=0)
        self.client = Client()
        self.tokens: dict[str, str] = {}
        self.cases = {case.key: case for case in self._cases(meta, requests=requests)}
        self.position: dict[str, int] = dict.fromkeys(self.cases, 0)
        for case in self.cases.values():
            self._prepare(case, warmup=warmup)

    def get(self, url: str, username: str) -> Any:
        headers = {}
        if username:
            headers["authorization"] = f"Token {self._token(username)}"
        response = self.client.get(url, headers=headers)
        if response.status_code != 200:
            raise SystemExit(f"GET {url} as {username or 'anonymous'}: {response.status_code}")
        return response

    def _token(self, username: str) -> str:
        if username not in self.tokens:
            from rest_framework.authtoken.models import Token

            from dibiao.accounts.models import User

            user = User.objects.get(username=username)
            self.tokens[username] = Token.objects.get_or_create(user=user)[0].key
        return self.tokens[username]

    def _cases(self, meta: dict[str, Any], *, requests: int) -> list[Case]:
        from dibiao.registry.selectors import product_list_public

        rng = random.Random(meta["seed"])
        api = "/api/v1/products/"
        big_count = int(self.get(api, meta["province_admin"]).json()["count"])
        deep_api = max(1, big_count // API_PAGE_SIZE)  # the last full page
        deep_public = max(1, product_list_public().count() // PUBLIC_PAGE_SIZE)
        ids = list(product_list_public().order_by("pk").values_list("pk", flat=True))
        province, shanxi, county = (
            meta["province_admin"],
            meta["shanxi_admin"],
            meta["county_admin"],
        )
        return [
            Case("api_province_big", "API list, biggest province admin", [api], province),
            Case("api_province_shanxi", "API list, Shanxi province admin", [api], shanxi),
            Case(
                "api_province_deep",
                "API list, biggest province, last page",
                [f"{api}?page={deep_api}"],
                province,
            ),
            # Ten rows at both scales: what remains of the ratio is scale, not page fill.
            Case(
                "api_province_10",
                "API list, Shanxi admin, 10 per page",
                [f"{api}?page_size=10"],
                shanxi,
            ),
            Case("api_county", "API list, busiest county admin", [api], county),
            Case("public_list", "public /products/", ["/products/"]),
            Case(
                "public_list_deep",
                "public /products/, last page",
                [f"/products/?page={deep_public}"],
            ),
            Case(
                "public_detail",
                "public /products/<id>/, random",
                [f"/products/{rng.choice(ids)}/" for _ in range(requests)],
            ),
        ]

    def _prepare(self, case: Case, *, warmup: int) -> None:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        for i in range(warmup):
            self.get(case.urls[i % len(case.urls)], case.username)
        # Counted on one extra request: the count must not grow with the number of rows.
        with CaptureQueriesContext(connection) as captured:
            response = self.get(case.urls[0], case.username)
        # Read now: the next request's request_started signal clears the connection's log.
        case.queries = len(captured.captured_queries)
        if case.key.startswith("api"):
            body = response.json()
            case.items, case.scope = len(body["results"]), int(body["count"])
        elif case.key == "public_detail":
            case.items = 1
        else:
            from dibiao.registry.selectors import product_list_public

            case.items = len(PRODUCT_LINK.findall(response.content.decode()))
            case.scope = product_list_public().count()

    def time(self, key: str, n: int) -> dict[str, list[float]]:
        """Wall and CPU milliseconds of the next `n` requests of a case."""
        case = self.cases[key]
        gc.collect()
        wall, cpu = [], []
        for _ in range(n):
            url = case.urls[self.position[key] % len(case.urls)]
            self.position[key] += 1
            start, start_cpu = time.perf_counter(), time.thread_time()
            self.get(url, case.username)
            cpu.append((time.thread_time() - start_cpu) * 1000)
            wall.append((time.perf_counter() - start) * 1000)
        return {"wall": wall, "cpu": cpu}


def serve(meta: dict[str, Any], *, requests: int, warmup: int) -> None:
    """Answer bench.run's commands, one JSON object a line, until stdin closes.

    Both scales' processes live side by side and bench.run alternates between them in short
    rounds, so that whatever else the machine does at that moment hits both alike.
    """
    # The protocol owns the real stdout; anything else printed goes to stderr.
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)

    def send(message: dict[str, Any]) -> None:
        channel.write(json.dumps(message, ensure_ascii=False) + "\n")
        channel.flush()

    bench = Bench(meta, requests=requests, warmup=warmup)
    send(
        {
            "cases": [
                {
                    "key": c.key,
                    "label": c.label,
                    "url": c.urls[0] if len(c.urls) == 1 else "/products/<id>/",
                    "username": c.username,
                    "queries": c.queries,
                    "items": c.items,
                    "scope": c.scope,
                }
                for c in bench.cases.values()
            ]
        }
    )
    for line in sys.stdin:
        command = json.loads(line)
        send(bench.time(command["case"], int(command["n"])))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.measure")
    sub = parser.add_subparsers(dest="command", required=True)
    build_parser = sub.add_parser("build")
    build_parser.add_argument("--scale", choices=["demo", "national"], required=True)
    build_parser.add_argument("--seed", type=int, default=2021)
    build_parser.add_argument("--meta", type=Path, required=True)
    serve_parser = sub.add_parser("serve")
    serve_parser.add_argument("--meta", type=Path, required=True)
    serve_parser.add_argument("--requests", type=int, default=200)
    serve_parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()

    _setup()
    if args.command == "build":
        build(scale=args.scale, seed=args.seed, meta_path=args.meta)
    else:
        meta = json.loads(args.meta.read_text(encoding="utf-8"))
        serve(meta, requests=args.requests, warmup=args.warmup)


if __name__ == "__main__":
    main()
