"""Fixtures for the finance screens: the top-up fixtures and the finance ones."""

from __future__ import annotations

from tests.finance.conftest import credited, refund  # noqa: F401 - fixtures
from tests.topups.conftest import create_order, customer, demo, pay  # noqa: F401 - fixtures
