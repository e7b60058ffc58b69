"""Fixtures for the kiosk screen tests: the demo data with its kiosks, a browser enrolled as one."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pytest
from django.test import Client
from pytest_django.fixtures import Settings

from topup.cli.demo_data import demo_data_load
from topup.kiosks.models import KioskDevice
from topup.kiosks.services import kiosks_demo_setup
from topup.ledger.verify import ledger_verify
from topup.topups.verify import topup_verify

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

PUBLIC_URL = "http://localhost"
KIOSK = "kiosk-bru-midi"
IDENTIFIED_WITH_FIVE_EUROS = "+32470000001"
IDENTIFIED_EMPTY = "+32470000002"
SUCCEEDS = "4242424242424242"
DECLINED = "4000000000000002"
INSUFFICIENT = "4000000000009995"


@pytest.fixture
def enrolment_codes(db: None, settings: Settings) -> dict[str, str]:
    """The demo kiosks, in service (the demo sends a first heartbeat), with enrolment codes."""
    settings.TOPUP_PUBLIC_URL = PUBLIC_URL
    settings.TOPUP_KIOSK_PRINTERS = {}
    demo_data_load()
    return {kiosk.code: code for kiosk, code in kiosks_demo_setup()}


@dataclass
class KioskBrowser:
    """A kiosk's browser: a test client that records every URL it was sent to and every answer."""

    client: Client
    device: KioskDevice
    visited: list[str] = field(default_factory=list)
    responses: list[TestResponse] = field(default_factory=list)

    def _seen(self, response: TestResponse) -> TestResponse:
        self.responses.append(response)
        location = response.headers.get("Location") or response.headers.get("HX-Redirect")
        if location:
            self.visited.append(location)
        return response

    def get(self, path: str, **headers: str) -> TestResponse:
        self.visited.append(path)
        return self._seen(self.client.get(path, headers=headers or None))

    def post(self, path: str, data: dict[str, str] | None = None) -> TestResponse:
        self.visited.append(path)
        return self._seen(self.client.post(path, data or {}))

    def step(self, path: str, data: dict[str, str] | None = None, *, to: str) -> TestResponse:
        """POST a step; it must redirect (303) to `to`; then GET that screen."""
        response = self.post(path, data)
        assert response.status_code == 303, (response.status_code, text_of(response))
        assert response.headers["Location"] == to, response.headers["Location"]
        page = self.get(to)
        assert page.status_code == 200, (page.status_code, text_of(page))
        return page


def enrol(client: Client, code: str) -> TestResponse:
    return client.post(f"/kiosk/enrol/{code}")


@pytest.fixture
def kiosk(enrolment_codes: dict[str, str]) -> Iterator[KioskBrowser]:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = enrol(client, enrolment_codes[KIOSK])
    assert response.status_code == 303, text_of(response)
    yield KioskBrowser(client=client, device=KioskDevice.objects.get(kiosk__code=KIOSK))


def text_of(response: TestResponse) -> str:
    """The page as a reader sees it: tags dropped, whitespace collapsed."""
    without_tags = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(without_tags.split())


def hidden_value(response: TestResponse, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', response.content.decode())
    assert match is not None, f"no field {name} on the page"
    return match.group(1)


def assert_books_balance() -> None:
    assert ledger_verify() == []
    assert topup_verify() == []


def start(kiosk: KioskBrowser, *, language: str = "en") -> TestResponse:
    """Attract screen → language → the identity choice."""
    assert kiosk.get("/kiosk/").status_code == 200
    assert kiosk.get("/kiosk/language").status_code == 200
    return kiosk.step("/kiosk/language", {"language": language}, to="/kiosk/identify")


def insert_card(kiosk: KioskBrowser, card_number: str) -> TestResponse:
    assert kiosk.get("/kiosk/identify/card").status_code == 200
    return kiosk.step("/kiosk/identify/card", {"card_number": card_number}, to="/kiosk/number")


def choose_number_and_amount(kiosk: KioskBrowser, msisdn: str, amount_cents: int) -> TestResponse:
    """Number → confirm (masked name) → amount → the summary."""
    kiosk.step("/kiosk/number", {"msisdn": msisdn}, to="/kiosk/number/confirm")
    kiosk.step("/kiosk/number/confirm", to="/kiosk/amount")
    return kiosk.step("/kiosk/amount", {"amount_cents": str(amount_cents)}, to="/kiosk/summary")
