"""Ledger fixtures."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.ledger.chart import Chart, chart_open


@pytest.fixture
def chart(db: None) -> Chart:
    return chart_open()


@pytest.fixture
def open_chart() -> Callable[..., Chart]:
    """For tests that manage their own database access (transactional, hypothesis examples)."""
    return chart_open
