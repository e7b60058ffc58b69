"""Shared fixtures: the real worker, and loud reporting of what this machine could not test."""

from __future__ import annotations

import os

import pytest

from topup.audit.services import Actor


def pytest_report_header(config: pytest.Config) -> list[str]:
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    return [f"topup: database engine = {engine}"]


@pytest.fixture
def system_actor() -> Actor:
    return Actor.system("tests")


@pytest.fixture
def drain_worker():  # type: ignore[no-untyped-def]
    """Run every ready background task through the real worker code; returns how many ran."""
    from topup.core.worker import worker_drain

    return worker_drain


def is_postgres() -> bool:
    from django.conf import settings

    return bool(settings.DATABASES["default"]["ENGINE"].endswith("postgresql"))
