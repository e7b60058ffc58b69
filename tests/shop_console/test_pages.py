"""Every console page: CSRF on each form, no inline script or style (CSP), the language picker."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.shop_console.conftest import IDENTIFIED_WITH_FIVE_EUROS, sell_cash

pytestmark = pytest.mark.django_db


def test_pages_keep_the_csp_and_put_csrf_in_every_form(agent: Client) -> None:
    order_id = sell_cash(agent, msisdn=IDENTIFIED_WITH_FIVE_EUROS, amount="10")
    for url in (
        "/shop/",
        "/shop/customer",
        "/shop/customer/identify",
        "/shop/topup",
        f"/shop/orders/{order_id}",
        "/shop/voids",
        "/shop/till",
    ):
        response = agent.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert "script-src 'self'" in response["Content-Security-Policy"], url
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
        assert "<style" not in html and " style=" not in html, url
        forms = re.findall(r"<form\b[^>]*method=\"post\"[^>]*>(.*?)</form>", html, re.S)
        assert forms, url
        assert all("csrfmiddlewaretoken" in form for form in forms), url
        assert 'action="/i18n/setlang/"' in html, url


def test_language_picker_switches_the_console(agent: Client) -> None:
    response = agent.post("/i18n/setlang/", {"language": "nl", "next": "/shop/"})
    assert response.status_code == 302
    page = agent.get("/shop/")
    assert '<html lang="nl">' in page.content.decode()
