"""Fixtures for the identity tests: the demo data, and a public URL the simulator accepts."""

from __future__ import annotations

import pytest
from pytest_django.fixtures import Settings

from topup.cli.demo_data import demo_data_load

CALLBACK = "http://localhost/verify/callback"


@pytest.fixture
def public_url(settings: Settings) -> str:
    settings.TOPUP_PUBLIC_URL = "http://localhost"
    return "http://localhost"


@pytest.fixture
def demo(db: None, public_url: str) -> None:
    demo_data_load()
