"""The hosted page keeps its styling under the site's CSP: a nonce, never unsafe-inline."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.payments.conftest import CreatePayment, hosted_page_path

pytestmark = pytest.mark.django_db


def test_the_page_style_carries_the_nonce_the_policy_allows(
    client: Client, create_payment: CreatePayment
) -> None:
    response = client.get(hosted_page_path(create_payment()))
    policy = response.headers["Content-Security-Policy"]
    allowed = re.search(r"style-src [^;]*'nonce-([^']+)'", policy)
    assert allowed is not None, policy
    assert f'<style nonce="{allowed.group(1)}">' in response.content.decode()
    assert "'unsafe-inline'" not in policy
