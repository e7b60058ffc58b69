"""The plans page: the operator's active plans, what each includes, prices per locale."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from topup.catalog.models import Plan
from topup.core.money import format_amount_for_locale

pytestmark = pytest.mark.usefixtures("demo")


def _plans_page(client: Client, language: str) -> str:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get("/plans")
    assert response.status_code == 200
    return response.content.decode()


def test_the_active_plans_are_listed_with_what_each_includes(client: Client) -> None:
    page = _plans_page(client, "en")

    for name in ("Smart 10", "Smart 15", "Unlimited 25"):
        assert name in page
    assert "5 GB of mobile data" in page  # 5120 MB
    assert "15 GB of mobile data" in page
    assert "50 GB of mobile data" in page
    assert "300 minutes of calls" in page
    assert "1,000 text messages (SMS)" in page
    assert "Valid for 30 days" in page
    assert page.index("Smart 10") < page.index("Smart 15") < page.index("Unlimited 25")


@pytest.mark.parametrize(("language", "ten_euros"), [("fr", "10,00\xa0€"), ("nl", "€\xa010,00")])
def test_prices_are_formatted_for_the_language(
    client: Client, language: str, ten_euros: str
) -> None:
    page = _plans_page(client, language)

    assert ten_euros in page
    assert format_amount_for_locale(2500, language) in page


def test_a_plan_no_longer_on_offer_is_not_listed(client: Client) -> None:
    Plan.objects.filter(code="smart-15").update(active=False)

    page = _plans_page(client, "en")

    assert "Smart 10" in page
    assert "Smart 15" not in page
