"""Fixtures for the website tests: the demo data, and logging in through the pages."""

from __future__ import annotations

import pytest
from django.test import Client
from pytest_django.fixtures import Settings

from tests.support import sms_code_on_handset
from topup.cli.demo_data import demo_data_load

IDENTIFIED_WITH_FIVE_EUROS = "+32470000001"
IDENTIFIED_EMPTY = "+32470000002"
AWAITING_IDENTIFICATION = "+32470000003"


@pytest.fixture
def demo(db: None, settings: Settings) -> None:
    settings.TOPUP_PUBLIC_URL = "http://localhost"
    demo_data_load()


def web_login(client: Client, msisdn: str) -> None:
    """Log in through the pages as a customer would: number, then the code from the SMS."""
    asked = client.post("/login", {"msisdn": msisdn})
    assert asked.status_code == 302, asked.content
    assert asked.headers["Location"].endswith("/login/code"), asked.headers["Location"]
    verified = client.post("/login/code", {"code": sms_code_on_handset(msisdn)})
    assert verified.status_code == 302, verified.content
    assert verified.headers["Location"].endswith("/account"), verified.headers["Location"]
