"""The phone's hand-off page on the website: login required, shows the kiosk, confirms once."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.support import FakeClock
from tests.web.conftest import web_login
from topup.kiosks.models import KioskDevice, KioskIdentity, KioskSession
from topup.kiosks.services import kiosk_qr_handoff_create, kiosk_session_poll

CUSTOMER = "+32470000001"


def _path(url: str) -> str:
    return url.removeprefix("http://localhost")


@pytest.fixture(autouse=True)
def english(client: Client) -> None:
    """Read the pages in English: the demo customer's own account language is Dutch."""
    client.cookies["django_language"] = "en"


def test_login_is_required(client: Client, midi: KioskDevice, session: KioskSession) -> None:
    handoff = kiosk_qr_handoff_create(device=midi, session_id=session.pk)
    response = client.get(_path(handoff.url))
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login")
    assert client.post(_path(handoff.url)).status_code == 302
    assert kiosk_session_poll(device=midi, session_id=session.pk).identity == KioskIdentity.NONE


def test_the_phone_sees_the_kiosk_and_confirms(
    client: Client, midi: KioskDevice, session: KioskSession
) -> None:
    web_login(client, CUSTOMER)
    handoff = kiosk_qr_handoff_create(device=midi, session_id=session.pk)
    page = client.get(_path(handoff.url))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Continue at kiosk Brussel-Zuid station?" in text
    assert "Fonsnylaan 47" in text
    assert kiosk_session_poll(device=midi, session_id=session.pk).identity == KioskIdentity.NONE

    done = client.post(_path(handoff.url))
    assert done.status_code == 200
    assert "Continue on the screen of the kiosk Brussel-Zuid station" in done.content.decode()
    polled = kiosk_session_poll(device=midi, session_id=session.pk)
    assert polled.identity == KioskIdentity.QR
    assert polled.target_msisdn == CUSTOMER

    again = client.post(_path(handoff.url))
    assert again.status_code == 422
    assert "already used" in again.content.decode()


def test_an_expired_code_says_so(
    clock: FakeClock, client: Client, midi: KioskDevice, session: KioskSession
) -> None:
    web_login(client, CUSTOMER)
    handoff = kiosk_qr_handoff_create(device=midi, session_id=session.pk)
    clock.advance(seconds=121)
    response = client.post(_path(handoff.url))
    assert response.status_code == 422
    assert "expired" in response.content.decode()
    assert kiosk_session_poll(device=midi, session_id=session.pk).identity == KioskIdentity.NONE


def test_a_garbled_code_is_refused(client: Client, midi: KioskDevice) -> None:
    web_login(client, CUSTOMER)
    response = client.get("/kiosk-handoff/not-a-real-token")
    assert response.status_code == 422
    assert "not valid" in response.content.decode()
    assert client.get("/kiosk-handoff/" + "x" * 600).status_code == 422
