"""Back-office login: password (and TOTP where required), roles, logout, safe redirects."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from pytest_django.fixtures import Settings

from tests.backoffice.conftest import StaffClientFactory, StaffUserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "staff-password-2026"


def test_anonymous_is_sent_to_the_login_page(client: Client) -> None:
    response = client.get("/backoffice/")
    assert response.status_code == 302
    assert response["Location"] == "/backoffice/login"


def test_login_with_password_opens_the_home_with_the_roles_areas(
    client: Client, staff_user: StaffUserFactory
) -> None:
    user = staff_user("customer_service")
    response = client.post(
        "/backoffice/login", {"username": user.username, "password": PASSWORD}, follow=True
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-roles="customer_service"' in page
    assert 'href="/backoffice/customers/"' in page
    assert 'href="/backoffice/finance/"' not in page


def test_wrong_password_is_refused_with_401(client: Client, staff_user: StaffUserFactory) -> None:
    user = staff_user("finance")
    response = client.post("/backoffice/login", {"username": user.username, "password": "nope"})
    assert response.status_code == 401
    assert not response.wsgi_request.user.is_authenticated


def test_a_user_without_a_back_office_role_gets_403(staff_client: StaffClientFactory) -> None:
    response = staff_client(None).get("/backoffice/")
    assert response.status_code == 403
    assert 'data-error-code="permission_denied"' in response.content.decode()


def test_next_never_leaves_the_site(client: Client, staff_user: StaffUserFactory) -> None:
    user = staff_user("operations")
    response = client.post(
        "/backoffice/login",
        {"username": user.username, "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/backoffice/"


def test_logout(staff_client: StaffClientFactory) -> None:
    client = staff_client("operations")
    assert client.post("/backoffice/logout")["Location"] == "/backoffice/login"
    assert client.get("/backoffice/").status_code == 302


def _device(user: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="app", confirmed=True)


def test_with_two_factor_required_a_code_is_needed(
    client: Client, staff_user: StaffUserFactory, settings: Settings
) -> None:
    settings.TOPUP_STAFF_TWO_FACTOR_REQUIRED = True
    user = staff_user("compliance")
    device = _device(user)
    wrong = {"username": user.username, "password": PASSWORD, "otp_token": "000000"}
    refused = client.post("/backoffice/login", wrong)
    assert refused.status_code == 401
    code = f"{totp(device.bin_key, step=device.step, digits=device.digits):06d}"
    device.throttle_reset()
    accepted = client.post(
        "/backoffice/login", {"username": user.username, "password": PASSWORD, "otp_token": code}
    )
    assert accepted.status_code == 302
    assert client.get("/backoffice/").status_code == 200


def test_a_password_only_session_is_not_enough_when_two_factor_is_required(
    staff_client: StaffClientFactory, settings: Settings
) -> None:
    settings.TOPUP_STAFF_TWO_FACTOR_REQUIRED = True
    client = staff_client("finance")
    assert client.get("/backoffice/")["Location"] == "/backoffice/login"


def test_an_htmx_refresh_after_logout_redirects_the_whole_page(client: Client) -> None:
    response = client.get("/backoffice/dashboards/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response["HX-Redirect"].startswith("/backoffice/login?next=")
