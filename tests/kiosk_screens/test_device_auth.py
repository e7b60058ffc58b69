"""Who may open a kiosk screen: only a browser holding a kiosk's device credential."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from pytest_django.fixtures import Settings

from tests.kiosk_screens.conftest import (
    IDENTIFIED_WITH_FIVE_EUROS,
    KIOSK,
    KioskBrowser,
    enrol,
    text_of,
)
from topup.audit.services import Actor
from topup.kiosks.services import kiosk_device_revoke
from topup.subscribers.models import Sim

KIOSK_PAGES = ["/kiosk/", "/kiosk/language", "/kiosk/identify", "/kiosk/number", "/kiosk/done"]


@pytest.mark.parametrize("path", KIOSK_PAGES)
def test_without_a_kiosk_credential_every_kiosk_page_answers_401(
    enrolment_codes: dict[str, str], path: str
) -> None:
    response = Client(HTTP_ACCEPT_LANGUAGE="en").get(path)
    assert response.status_code == 401
    assert "This kiosk cannot be used" in text_of(response)
    assert "no-store" in response.headers["Cache-Control"]


def test_an_unknown_or_garbled_credential_answers_401(enrolment_codes: dict[str, str]) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    for credential in ("nonsense", "abc.def", "x" * 500):
        client.cookies["topup_kiosk"] = credential
        assert client.get("/kiosk/").status_code == 401
    assert client.post("/kiosk/heartbeat", {"printer_status": "ok"}).status_code == 401


def test_a_revoked_kiosk_is_refused_at_once_with_403(kiosk: KioskBrowser) -> None:
    assert kiosk.get("/kiosk/").status_code == 200
    kiosk_device_revoke(device=kiosk.device, actor=Actor.system("tests"))
    refused = kiosk.get("/kiosk/")
    assert refused.status_code == 403
    assert "taken out of the fleet" in text_of(refused)
    assert kiosk.post("/kiosk/heartbeat", {"printer_status": "ok"}).status_code == 403


def test_a_customer_session_does_not_open_a_kiosk_page(enrolment_codes: dict[str, str]) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    session = client.session
    # What a website login leaves in the session: the logged-in line.
    session["topup_sim_id"] = Sim.objects.get(msisdn=IDENTIFIED_WITH_FIVE_EUROS).pk
    session.save()
    assert client.get("/kiosk/").status_code == 401
    assert client.get("/kiosk/number").status_code == 401


def test_a_staff_login_does_not_open_a_kiosk_page(enrolment_codes: dict[str, str]) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(User.objects.create_superuser("root", "root@example.invalid", "x" * 20))
    assert client.get("/kiosk/").status_code == 401
    assert client.get("/kiosk/language").status_code == 401


def test_enrolment_sets_a_long_lived_httponly_cookie_for_kiosk_pages_only(
    enrolment_codes: dict[str, str],
) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    code = enrolment_codes[KIOSK]
    page = client.get(f"/kiosk/enrol/{code}")
    assert page.status_code == 200
    assert "Enrol this kiosk" in text_of(page)

    response = enrol(client, code)
    assert response.status_code == 303
    assert response.headers["Location"] == "/kiosk/"
    cookie = response.cookies["topup_kiosk"]
    assert cookie.value
    assert cookie["httponly"] is True
    assert cookie["path"] == "/kiosk/"
    assert cookie["samesite"] == "Strict"
    assert int(cookie["max-age"]) >= 365 * 24 * 3600
    assert not cookie["secure"], "Secure only in production (HTTPS)"
    assert client.get("/kiosk/").status_code == 200

    again = enrol(Client(HTTP_ACCEPT_LANGUAGE="en"), code)
    assert again.status_code == 422, "an enrolment code is single use"
    assert "unknown, used or expired" in text_of(again)


def test_the_cookie_is_secure_in_production(
    enrolment_codes: dict[str, str], settings: Settings
) -> None:
    settings.SESSION_COOKIE_SECURE = True  # what TOPUP_ENV=production sets
    response = enrol(Client(HTTP_ACCEPT_LANGUAGE="en"), enrolment_codes[KIOSK])
    assert response.cookies["topup_kiosk"]["secure"] is True


def test_enrolment_drops_whatever_login_the_browser_had(enrolment_codes: dict[str, str]) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(User.objects.create_superuser("root", "root@example.invalid", "x" * 20))
    enrol(client, enrolment_codes[KIOSK])
    assert "_auth_user_id" not in client.session


def test_the_heartbeat_reports_whether_the_kiosk_may_sell(kiosk: KioskBrowser) -> None:
    response = kiosk.post("/kiosk/heartbeat", {"printer_status": "out_of_paper"})
    assert response.status_code == 200
    assert response.json() == {"status": "out_of_paper", "accepting_payments": True}
    assert kiosk.post("/kiosk/heartbeat", {"printer_status": "melted"}).status_code == 422
    kiosk.device.refresh_from_db()
    assert kiosk.device.printer_status == "out_of_paper"


def test_a_kiosk_credential_opens_no_customer_shop_or_back_office_page(
    kiosk: KioskBrowser,
) -> None:
    """Even sent everywhere (a forged cookie path), the credential is only ever read by /kiosk/."""
    credential = kiosk.client.cookies["topup_kiosk"].value
    elsewhere = Client()
    elsewhere.cookies["topup_kiosk"] = credential  # path "/": sent with every request
    assert elsewhere.get("/account").headers["Location"].endswith("/login")
    assert elsewhere.get("/history").headers["Location"].endswith("/login")
    assert elsewhere.get("/shop/").headers["Location"].startswith("/shop/login")
    assert elsewhere.get("/admin/").headers["Location"].startswith("/admin/login")
    assert elsewhere.get("/api/v1/me").status_code == 401
    assert elsewhere.get("/kiosk/").status_code == 200  # where it belongs, it still works
