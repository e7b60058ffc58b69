"""Fixtures for the website tests: the demo data, and logging in through the pages."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pytest
from django.test import Client
from pytest_django.fixtures import Settings

from topup.cli.demo_data import demo_data_load
from topup.core.worker import worker_drain
from topup.messaging.selectors import sms_outbox_list

IDENTIFIED_WITH_FIVE_EUROS = "+32470000001"
IDENTIFIED_EMPTY = "+32470000002"
AWAITING_IDENTIFICATION = "+32470000003"


@dataclass
class FakeClock:
    """The platform's clock (topup.core.clock), stopped; tests move it forward."""

    moment: dt.datetime

    def now(self) -> dt.datetime:
        return self.moment

    def advance(self, *, seconds: float) -> None:
        self.moment += dt.timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock(moment=dt.datetime.now(tz=dt.UTC).replace(microsecond=0))
    monkeypatch.setattr("topup.core.clock.now", fake.now)
    return fake


@pytest.fixture
def demo(db: None, settings: Settings) -> None:
    settings.TOPUP_PUBLIC_URL = "http://localhost"
    demo_data_load()


def sms_code_on_handset(msisdn: str) -> str:
    """Deliver the queued SMS, then read the newest code the way the customer does."""
    worker_drain()
    messages = sms_outbox_list(msisdn=msisdn, last_only=True)
    assert messages, f"no SMS reached {msisdn}"
    match = re.search(r"\b(\d{6})\b", messages[0].body)
    assert match is not None, "the SMS shows no six-digit code"
    return match.group(1)


def web_login(client: Client, msisdn: str) -> None:
    """Log in through the pages as a customer would: number, then the code from the SMS."""
    asked = client.post("/login", {"msisdn": msisdn})
    assert asked.status_code == 302, asked.content
    assert asked.headers["Location"].endswith("/login/code"), asked.headers["Location"]
    verified = client.post("/login/code", {"code": sms_code_on_handset(msisdn)})
    assert verified.status_code == 302, verified.content
    assert verified.headers["Location"].endswith("/account"), verified.headers["Location"]
