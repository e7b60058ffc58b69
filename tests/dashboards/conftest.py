"""Fixtures for the dashboards: the top-up fixtures (demo data, orders, paying) and the clock."""

from __future__ import annotations

from tests.topups.conftest import create_order, customer, demo, pay  # noqa: F401 - fixtures
