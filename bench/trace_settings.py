"""Settings of the trace benchmark's server: the project's, with the benchmark URLconf, and
optionally (BENCH_CONN_MAX_AGE) persistent database connections."""

import os

from config.settings import *  # noqa: F403
from config.settings import DATABASES

ROOT_URLCONF = "bench.trace_urls"
if "BENCH_CONN_MAX_AGE" in os.environ:
    DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ["BENCH_CONN_MAX_AGE"])
