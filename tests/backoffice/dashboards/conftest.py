"""Fixtures for the dashboard screen: the top-up fixtures (demo data, orders, paying)."""

from __future__ import annotations

from tests.topups.conftest import create_order, customer, demo, pay  # noqa: F401 - fixtures
