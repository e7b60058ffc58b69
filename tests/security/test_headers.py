"""Security headers on every channel: strict CSP, no framing, referrer policy, HSTS in production.

Also that the pages themselves stay within the CSP: no inline script, style attribute or event
handler that the policy would block (or that a weakened policy would let an attacker reuse).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from typing import TYPE_CHECKING, Final

import pytest
from cryptography.fernet import Fernet
from django.test import Client

from tests.security.conftest import order_create, order_paid

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

pytestmark = pytest.mark.usefixtures("demo")

# One page (or answer) per surface; each must carry the headers, whatever its status.
PAGES: Final = [
    "/",
    "/login",
    "/help",
    "/api/v1/openapi.json",
    "/api/v1/kiosks?municipality=Brussel",
    "/api/v1/me",  # 401
    "/shop/login",
    "/shops/",
    "/kiosks/",
    "/kiosk/",  # 401 without a kiosk credential
    "/backoffice/login",
    "/idp/authorize",
    "/admin/login/",
    "/no-such-page",  # 404
    "/simulator/pay/not-a-payment",  # the simulator's own 404 page
]
SAFE_REFERRER_POLICIES: Final = {"no-referrer", "same-origin", "strict-origin"}


def csp_directives(response: TestResponse) -> dict[str, list[str]]:
    policy = response.headers.get("Content-Security-Policy", "")
    directives: dict[str, list[str]] = {}
    for part in policy.split(";"):
        if part.strip():
            name, *values = part.split()
            directives[name] = values
    return directives


def assert_strict_csp(response: TestResponse, *, form_action: list[str] | None = None) -> None:
    csp = csp_directives(response)
    assert csp.get("default-src") == ["'self'"], csp
    assert csp.get("frame-ancestors") == ["'none'"], csp
    assert csp.get("form-action") == (form_action or ["'self'"]), csp
    # base-uri does not fall back to default-src: without it an injected <base> re-points links.
    assert csp.get("base-uri") == ["'none'"], csp
    for directive in ("script-src", "style-src"):
        sources = csp.get(directive, [])
        assert sources, f"no {directive}: {csp}"
        unsafe = {"'unsafe-inline'", "'unsafe-eval'", "*", "data:", "http:", "https:"}
        assert not unsafe & set(sources), (directive, sources)


def assert_security_headers(response: TestResponse, *, path: str) -> None:
    # The payment simulator stands for a provider's site: its form returns the customer to
    # whichever merchant site made the payment, so form-action is widened there, and only there.
    simulator = path.startswith("/simulator/")
    assert_strict_csp(response, form_action=["'self'", "http:", "https:"] if simulator else None)
    assert response.headers.get("X-Frame-Options") == "DENY"
    assert response.headers.get("X-Content-Type-Options") == "nosniff"
    assert response.headers.get("Referrer-Policy") in SAFE_REFERRER_POLICIES
    assert response.headers.get("Cross-Origin-Opener-Policy") == "same-origin"


def assert_nothing_inline(response: TestResponse) -> None:
    """Scripts come from files; styles from files or a <style> carrying the response's nonce."""
    html = response.content.decode()
    for tag in re.findall(r"<script\b[^>]*>", html, flags=re.IGNORECASE):
        assert "src=" in tag, tag
    nonce = re.search(r"'nonce-([^']+)'", response.headers.get("Content-Security-Policy", ""))
    for tag in re.findall(r"<style\b[^>]*>", html, flags=re.IGNORECASE):
        assert nonce is not None and f'nonce="{nonce.group(1)}"' in tag, tag
    assert not re.search(r"<[^>]+\sstyle\s*=", html, flags=re.IGNORECASE)
    assert not re.search(r"<[^>]+\son[a-z]+\s*=", html, flags=re.IGNORECASE)
    assert "javascript:" not in html.lower()


@pytest.mark.parametrize("path", PAGES)
def test_every_surface_sends_the_security_headers(client: Client, path: str) -> None:
    response = client.get(path)

    assert response.status_code < 500, path
    assert_security_headers(response, path=path)
    if response["Content-Type"].startswith("text/html"):
        assert_nothing_inline(response)


def test_the_payment_page_and_a_receipt_send_them_too(client: Client) -> None:
    order = order_create()
    path = order.payment_redirect_url.removeprefix("http://localhost")
    page = client.get(path)

    assert page.status_code == 200
    assert_security_headers(page, path=path)
    assert_nothing_inline(page)
    receipt_path = f"/api/v1/topups/{order_paid(client).pk}/receipt.pdf"
    receipt = client.get(receipt_path)
    assert receipt.status_code == 200
    assert receipt["Content-Type"] == "application/pdf"
    assert_security_headers(receipt, path=receipt_path)


def test_the_headers_checker_catches_a_weakened_policy(client: Client) -> None:
    """The checks above can fail: an unsafe-inline script source or a missing frame-ancestors."""
    response = client.get("/login")
    policy = response.headers["Content-Security-Policy"]
    response.headers["Content-Security-Policy"] = policy.replace(
        "script-src 'self'", "script-src 'self' 'unsafe-inline'"
    )
    with pytest.raises(AssertionError):
        assert_strict_csp(response)
    response.headers["Content-Security-Policy"] = policy.replace("frame-ancestors 'none'", "")
    with pytest.raises(AssertionError):
        assert_strict_csp(response)


# --- Production: HSTS and secure cookies -----------------------------------------------------

_PRODUCTION_PROBE = """
import json, django
django.setup()
from django.test.utils import setup_test_environment
setup_test_environment()
from django.test import Client
answers = {}
for name, secure in (("https", True), ("http", False)):
    response = Client().get("/shop/login", secure=secure)
    answers[name] = {
        "status": response.status_code,
        "headers": dict(response.headers),
        "cookies": {
            key: {"secure": bool(morsel["secure"]), "httponly": bool(morsel["httponly"])}
            for key, morsel in response.cookies.items()
        },
    }
print(json.dumps(answers))
"""


def _production_answers() -> dict[str, dict[str, object]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOPUP_")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "topup.config.settings",
            "TOPUP_ENV": "production",
            "TOPUP_SECRET_KEY": "a-real-secret-key-for-this-test-only-0123456789-abcdefghijklmnop",
            "TOPUP_FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "TOPUP_SIMULATOR_WEBHOOK_SECRET": "whsec_real_for_this_test",
            "TOPUP_IDP_CLIENT_SECRET": "idp_real_for_this_test",
            "TOPUP_LOOKUP_HASH_KEY": "a-real-lookup-key-for-this-test-only-0123456789",
            "TOPUP_ALLOWED_HOSTS": "testserver",
        }
    )
    result = subprocess.run(
        [sys.executable, "-c", _PRODUCTION_PROBE],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    answers = json.loads(result.stdout.strip().splitlines()[-1])
    assert isinstance(answers, dict)
    return answers


def test_production_sends_hsts_over_https_and_marks_cookies_secure() -> None:
    answers = _production_answers()

    https = answers["https"]
    assert https["status"] == 200
    headers = https["headers"]
    assert isinstance(headers, dict)
    hsts = headers.get("Strict-Transport-Security", "")
    max_age = re.search(r"max-age=(\d+)", hsts)
    assert max_age is not None and int(max_age.group(1)) >= 31_536_000, hsts
    cookies = https["cookies"]
    assert isinstance(cookies, dict)
    assert cookies, "the login page sets the CSRF cookie"
    for name, flags in cookies.items():
        assert flags["secure"], f"cookie {name} is not Secure in production"
    # A plain-HTTP answer must not carry HSTS (browsers ignore it there; RFC 6797 §7.2).
    plain = answers["http"]["headers"]
    assert isinstance(plain, dict)
    assert "Strict-Transport-Security" not in plain


def test_development_sends_no_hsts(client: Client) -> None:
    """HSTS on localhost would pin the developer's browser to HTTPS for a year."""
    response = client.get("/shop/login", secure=True)

    assert "Strict-Transport-Security" not in response.headers
