"""Behind a load balancer that terminates TLS, the application sees plain HTTP while browsers
send `Origin: https://<public host>`: forms posted from the public URL must still pass CSRF."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import Client

pytestmark = pytest.mark.django_db


def test_a_form_posted_from_the_public_origin_passes_csrf_over_plain_http() -> None:
    client = Client(enforce_csrf_checks=True)
    client.get("/login")
    token = client.cookies["csrftoken"].value
    public_origin = settings.TOPUP_PUBLIC_URL  # e.g. https://topup.example.org at the balancer

    answer = client.post(
        "/i18n/setlang/",
        {"language": "nl", "next": "/", "csrfmiddlewaretoken": token},
        HTTP_ORIGIN=public_origin,
    )

    assert answer.status_code == 302


def test_a_form_posted_from_another_origin_is_refused() -> None:
    client = Client(enforce_csrf_checks=True)
    client.get("/login")
    token = client.cookies["csrftoken"].value

    answer = client.post(
        "/i18n/setlang/",
        {"language": "nl", "next": "/", "csrfmiddlewaretoken": token},
        HTTP_ORIGIN="https://evil.example.com",
    )

    assert answer.status_code == 403


def test_the_trusted_origin_is_the_public_urls_origin() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOPUP_")}
    env["TOPUP_PUBLIC_URL"] = "https://topup.example.org/base/"
    show = "import topup.config.settings as s; print(s.CSRF_TRUSTED_ORIGINS)"
    done = subprocess.run(
        [sys.executable, "-c", show], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['https://topup.example.org']"
