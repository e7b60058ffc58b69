"""Who reaches the console: staff login, the TOTP second factor, no shop: 403, anonymous: login."""

from __future__ import annotations

import datetime as dt
import html
import re
from urllib.parse import unquote

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from pytest_django.fixtures import Settings

from tests.shop_console.conftest import AGENT, ENGLISH, NO_SHOP, console_login, text_of
from topup.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

CONSOLE_PAGES = [
    "/shop/",
    "/shop/customer",
    "/shop/customer/identify",
    "/shop/topup",
    "/shop/voids",
    "/shop/till",
    "/shop/orders/00000000-0000-4000-8000-000000000000",
    "/shop/orders/00000000-0000-4000-8000-000000000000/receipt.pdf",
    "/shop/till/1",
    "/shop/till/1/z-report.pdf",
]
CONSOLE_ACTIONS = [
    "/shop/queue/next",
    "/shop/queue/finish",
    "/shop/customer",
    "/shop/customer/identify",
    "/shop/topup",
    "/shop/orders/00000000-0000-4000-8000-000000000000/print",
    "/shop/orders/00000000-0000-4000-8000-000000000000/void",
    "/shop/voids/1/decide",
    "/shop/till",
]


def code_for(device: TOTPDevice) -> str:
    """What the staff member's authenticator app shows now."""
    token = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{token:0{device.digits}d}"


def wrong_code_for(device: TOTPDevice) -> str:
    """A code that is none of those the device accepts now (previous, current, next)."""
    accepted = {
        f"{totp(device.bin_key, t0=device.t0 + shift * device.step):06d}" for shift in (-1, 0, 1)
    }
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in accepted)


def test_login_page_and_wrong_password(demo: None) -> None:
    client = Client(**ENGLISH)
    page = client.get("/shop/login")
    assert page.status_code == 200
    assert 'name="csrfmiddlewaretoken"' in page.content.decode()
    assert 'action="/i18n/setlang/"' in page.content.decode()

    wrong = client.post("/shop/login", {"username": AGENT[0], "password": "not-it"})
    assert wrong.status_code == 401
    assert "correct username and password" in text_of(wrong)
    assert client.get("/shop/").status_code == 302


def test_demo_agent_logs_in_without_second_factor_and_sees_the_shop(demo: None) -> None:
    client = Client(**ENGLISH)
    console_login(client, *AGENT)
    home = client.get("/shop/")
    assert home.status_code == 200
    assert "Demo Mobile Brussel-Centraal" in text_of(home)
    assert "Call next" in text_of(home)


def test_anonymous_reaches_nothing(demo: None) -> None:
    client = Client(**ENGLISH)
    for url in CONSOLE_PAGES:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/shop/login?next="), url
    for url in CONSOLE_ACTIONS:
        response = client.post(url, {"msisdn": "+32470000001", "amount": "20"})
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/shop/login"), url
    assert client.get("/shop/two-factor/setup").headers["Location"] == "/shop/login"


def test_staff_without_a_shop_gets_403_everywhere(demo: None) -> None:
    client = Client(**ENGLISH)
    console_login(client, *NO_SHOP)
    for url in CONSOLE_PAGES:
        response = client.get(url)
        assert response.status_code == 403, url
        assert "not assigned to a shop" in text_of(response), url
    for url in CONSOLE_ACTIONS:
        assert client.post(url, {"msisdn": "+32470000001"}).status_code == 403, url


def test_login_returns_to_the_page_asked_for_but_never_elsewhere(demo: None) -> None:
    client = Client(**ENGLISH)
    asked = client.get("/shop/till")
    assert asked.headers["Location"] == "/shop/login?next=/shop/till"
    response = client.post(
        "/shop/login", {"username": AGENT[0], "password": AGENT[1], "next": "/shop/till"}
    )
    assert response.headers["Location"] == "/shop/till"
    client.logout()
    response = client.post(
        "/shop/login",
        {"username": AGENT[0], "password": AGENT[1], "next": "https://evil.example/shop/"},
    )
    assert response.headers["Location"] == "/shop/"


def test_logout_needs_post_and_ends_the_session(agent: Client) -> None:
    assert agent.get("/shop/logout").status_code == 405
    assert agent.post("/shop/logout").status_code == 302
    assert agent.get("/shop/").status_code == 302


@pytest.fixture
def two_factor(demo: None, settings: Settings) -> None:
    settings.TOPUP_STAFF_TWO_FACTOR_REQUIRED = True


def test_two_factor_required_code_before_any_page(two_factor: None) -> None:
    user = User.objects.get(username=AGENT[0])
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client = Client(**ENGLISH)
    response = client.post("/shop/login", {"username": AGENT[0], "password": AGENT[1]})
    assert response.headers["Location"] == "/shop/login/verify"
    # Password alone opens no console page.
    assert client.get("/shop/").headers["Location"] == "/shop/login/verify"
    assert client.get("/shop/topup").headers["Location"] == "/shop/login/verify"

    wrong = client.post("/shop/login/verify", {"code": wrong_code_for(device)})
    assert wrong.status_code == 401
    assert "code is wrong" in text_of(wrong)
    device.refresh_from_db()
    assert device.throttling_failure_count == 1

    # django-otp's throttling: right after a wrong code even the right one must wait.
    locked = client.post("/shop/login/verify", {"code": code_for(device)})
    assert locked.status_code == 429
    assert "Too many wrong codes" in text_of(locked)
    assert client.get("/shop/").status_code == 302

    # The wait is over (1 s after one failure).
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=timezone.now() - dt.timedelta(seconds=5)
    )
    verified = client.post("/shop/login/verify", {"code": code_for(device)})
    assert verified.status_code == 302, text_of(verified)
    assert verified.headers["Location"] == "/shop/"
    assert client.get("/shop/").status_code == 200
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


def test_two_factor_code_cannot_be_used_twice(two_factor: None) -> None:
    user = User.objects.get(username=AGENT[0])
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    first = Client(**ENGLISH)
    first.post("/shop/login", {"username": AGENT[0], "password": AGENT[1]})
    code = code_for(device)
    assert first.post("/shop/login/verify", {"code": code}).status_code == 302
    second = Client(**ENGLISH)
    second.post("/shop/login", {"username": AGENT[0], "password": AGENT[1]})
    replayed = second.post("/shop/login/verify", {"code": code})
    assert replayed.status_code == 401


def test_two_factor_without_device_points_to_enrolment(two_factor: None) -> None:
    client = Client(**ENGLISH)
    client.post("/shop/login", {"username": AGENT[0], "password": AGENT[1]})
    page = client.get("/shop/login/verify")
    assert "no two-factor device yet" in text_of(page)
    assert "ask an administrator" in text_of(page)
    assert 'href="/shop/two-factor/setup"' in page.content.decode()

    setup = client.get("/shop/two-factor/setup")
    assert setup.status_code == 200
    qr = re.search(r'<img class="qr" src="(data:image/svg\+xml[^"]+)"', setup.content.decode())
    assert qr is not None
    svg = unquote(html.unescape(qr.group(1)).split(",", 1)[1])
    assert "xmlns" in svg and "<path" in svg  # a standalone SVG an <img> can show
    device = TOTPDevice.objects.get(user__username=AGENT[0])
    assert not device.confirmed

    assert client.post("/shop/two-factor/setup", {"code": "12345"}).status_code in (401, 422)
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=None, throttling_failure_count=0
    )
    done = client.post("/shop/two-factor/setup", {"code": code_for(device)})
    assert done.status_code == 302, text_of(done)
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/shop/").status_code == 200
    assert AuditEvent.objects.filter(action="staff.two_factor_enrolled").count() == 1

    # With a device, the page refuses a second one (a stolen password cannot add a device).
    again = Client(**ENGLISH)
    again.post("/shop/login", {"username": AGENT[0], "password": AGENT[1]})
    assert again.get("/shop/two-factor/setup").status_code == 409


def test_two_factor_setup_needs_a_shop(two_factor: None) -> None:
    client = Client(**ENGLISH)
    client.post("/shop/login", {"username": NO_SHOP[0], "password": NO_SHOP[1]})
    assert client.get("/shop/two-factor/setup").status_code == 403
    assert not TOTPDevice.objects.exists()


def test_without_self_enrolment_only_an_administrator_enrols_a_device(
    two_factor: None, settings: Settings
) -> None:
    settings.TOPUP_STAFF_SELF_ENROLMENT = False  # as in production
    client = Client(**ENGLISH)
    client.post("/shop/login", {"username": AGENT[0], "password": AGENT[1]})
    assert client.get("/shop/two-factor/setup").status_code == 403
    assert not TOTPDevice.objects.exists()
