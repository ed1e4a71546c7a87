"""The reports read what the evaluation tests set up: their fixtures (a frozen clock, the 2021
program with three products in two cities) are shared here."""

from dibiao.evaluation.tests.conftest import *  # noqa: F403
