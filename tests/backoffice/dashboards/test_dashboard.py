"""The operations dashboard screen: who may open it, what it shows, and that it stays CSP-clean."""

from __future__ import annotations

import base64
import datetime as dt
import re

import pytest
from defusedxml import ElementTree
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django.fixtures import Settings

from tests.backoffice.conftest import StaffClientFactory
from tests.support import FakeClock
from tests.topups.conftest import IDENTIFIED, IDENTIFIED_EMPTY, CreateOrder, Pay
from topup.audit.services import Actor
from topup.catalog.models import Shop
from topup.core.money import format_amount_for_locale
from topup.kiosks.services import kiosks_demo_setup
from topup.ledger.verify import ledger_verify
from topup.topups.models import TopupOrder
from topup.topups.services import topup_order_reconcile
from topup.topups.verify import topup_verify
from topup.visits.services import queue_ticket_take

pytestmark = pytest.mark.django_db

URL = "/backoffice/dashboards/"
ROLES = ("customer_service", "compliance", "finance", "operations")
NOW = dt.datetime(2026, 6, 10, 12, 30, tzinfo=dt.UTC)
SUCCEEDS = "4242424242424242"
DECLINED = "4000000000000002"
DATA_URI = re.compile(r'src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"')


def _settle(pay: Pay, order: TopupOrder, card: str) -> None:
    pay(order, card)
    topup_order_reconcile(order=order, actor=Actor.system("tests"))


@pytest.fixture
def busy(clock: FakeClock, create_order: CreateOrder, pay: Pay, settings: Settings) -> None:
    """An afternoon: credited, declined and stuck orders, a silent kiosk, people in a queue."""
    settings.TOPUP_DASHBOARD_PENDING_MINUTES = 15
    clock.moment = NOW - dt.timedelta(hours=2)
    kiosks_demo_setup()  # the kiosks' last heartbeat: two hours ago
    _settle(pay, create_order(amount_cents=1000), SUCCEEDS)
    _settle(pay, create_order(amount_cents=2500), SUCCEEDS)
    _settle(pay, create_order(channel="kiosk", amount_cents=2000), SUCCEEDS)
    _settle(pay, create_order(), DECLINED)
    create_order(msisdn=IDENTIFIED_EMPTY, amount_cents=1500)  # stuck in awaiting payment
    queue_ticket_take(shop=Shop.objects.get(code="bru-central"), source="shop")
    clock.moment = NOW


def _page(client: Client, **params: str) -> str:
    response = client.get(URL, params)
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


def test_the_route_is_the_dashboard_area_index() -> None:
    assert reverse("backoffice:dashboard") == URL


@pytest.mark.parametrize("role", ROLES)
def test_every_back_office_role_may_open_it(role: str, staff_client: StaffClientFactory) -> None:
    page = _page(staff_client(role))
    assert "<h1>Operations dashboard</h1>" in page


def test_the_administrator_may_open_it(staff_client: StaffClientFactory) -> None:
    assert staff_client(None, superuser=True).get(URL).status_code == 200


def test_a_user_without_a_back_office_role_is_refused(staff_client: StaffClientFactory) -> None:
    response = staff_client(None).get(URL)
    assert response.status_code == 403
    assert 'data-error-code="permission_denied"' in response.content.decode()


def test_anonymous_is_sent_to_the_login_page(client: Client) -> None:
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/backoffice/login?next=")


def test_the_page_is_read_only(staff_client: StaffClientFactory) -> None:
    assert staff_client("operations").post(URL).status_code == 405


def test_an_empty_database_renders_with_charts_and_no_figures(
    staff_client: StaffClientFactory,
) -> None:
    page = _page(staff_client("operations"))
    assert len(DATA_URI.findall(page)) == 1  # top-ups per hour; no failures, so no chart
    assert "No channel is set up yet." in page
    assert "No top-up failed or expired in this window." in page
    assert "No order is stuck." in page
    assert "Every kiosk is in service." in page
    assert "No shop is set up yet." in page


def test_the_figures_of_an_afternoon(busy: None, staff_client: StaffClientFactory) -> None:
    page = _page(staff_client("operations"))
    online = _row(page, 'data-channel="online"')
    assert re.findall(r'<td class="num">(\d+)</td>', online) == ["4", "2", "1", "0"]
    assert "66.7&nbsp;%" in online
    assert "€35.00" in online
    kiosk = _row(page, 'data-channel="kiosk"')
    assert "100.0&nbsp;%" in kiosk
    assert "€20.00" in kiosk
    assert "no order has ended yet" in _row(page, 'data-channel="shop"')
    assert 'data-figure="credited">€55.00<' in page
    assert 'data-failure-reason="card_declined"' in page
    pending = _row(page, 'data-status="awaiting_payment"')
    assert "0470 •• •• 02" in pending
    assert "€15.00" in pending
    assert IDENTIFIED_EMPTY not in page and "0470 00 00 02" not in page
    assert IDENTIFIED not in page
    assert 'data-reason="silent"' in page
    assert re.search(r'data-shop="bru-central">.*?data-waiting>1<', page, re.S)
    assert len(DATA_URI.findall(page)) == 2
    assert ledger_verify() == []
    assert topup_verify() == []


def _row(page: str, marker: str) -> str:
    match = re.search(rf"<tr [^>]*{marker}[^>]*>(.*?)</tr>", page, re.S)
    assert match is not None, f"no row {marker}"
    return match.group(1)


def test_amounts_and_rates_in_the_viewers_language(
    busy: None, staff_client: StaffClientFactory
) -> None:
    client = staff_client("operations")
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "nl"
    page = _page(client)
    online = _row(page, 'data-channel="online"')
    assert format_amount_for_locale(3500, "nl") == "€\u00a035,00"
    assert "€\u00a035,00" in online
    assert "66,7&nbsp;%" in online


def test_the_charts_are_embedded_svg_without_script(
    busy: None, staff_client: StaffClientFactory
) -> None:
    page = _page(staff_client("operations"))
    for encoded in DATA_URI.findall(page):
        svg = base64.b64decode(encoded)
        root = ElementTree.fromstring(svg)
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        assert not [element for element in root.iter() if element.tag.endswith("script")]
    images = re.findall(r"<img [^>]*>", page)
    assert images and all(re.search(r'alt="[^"]{40,}"', image) for image in images)


def test_the_page_has_no_inline_script_or_style(
    busy: None, staff_client: StaffClientFactory
) -> None:
    page = _page(staff_client("operations"))
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)
    assert "<style" not in page
    assert not re.search(r"\sstyle=", page)
    assert not re.search(r"\son[a-z]+=", page)


@pytest.mark.parametrize("hours", ["6", "24", "72", "168", "1"])
def test_the_window_is_chosen_with_hours(
    hours: str, busy: None, staff_client: StaffClientFactory
) -> None:
    page = _page(staff_client("operations"), hours=hours)
    assert f'data-window-hours="{hours}"' in page
    assert len(re.findall(r'<tr>\s*<th scope="row"><time', page)) == int(hours)
    if hours in ("6", "24", "72"):
        assert f'?hours={hours}" aria-current="true"' in page


def test_one_hour_leaves_the_older_orders_out(busy: None, staff_client: StaffClientFactory) -> None:
    page = _page(staff_client("operations"), hours="1")
    assert re.findall(r'<td class="num">(\d+)</td>', _row(page, 'data-channel="online"')) == [
        "0",
        "0",
        "0",
        "0",
    ]
    assert "0470 •• •• 02" in page  # pending orders do not depend on the window


@pytest.mark.parametrize("hours", ["0", "169", "999", "abc", "-6", "6.5", "²", "1" * 20])
def test_an_unknown_window_is_refused_with_a_next_step(
    hours: str, staff_client: StaffClientFactory
) -> None:
    response = staff_client("operations").get(URL, {"hours": hours})
    assert response.status_code == 422
    page = response.content.decode()
    assert 'data-error-code="dashboard_window_invalid"' in page
    assert "Choose 6, 24 or 72 hours." in page


def test_htmx_refresh_gets_only_the_figures(busy: None, staff_client: StaffClientFactory) -> None:
    response = staff_client("operations").get(URL, {"hours": "6"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="dashboard-figures"')
    assert "<html" not in page
    assert 'hx-get="/backoffice/dashboards/?hours=6"' in page
    assert 'hx-trigger="every 30s"' in page
    assert "HX-Request" in response["Vary"]


def test_the_page_reads_in_a_fixed_number_of_queries(
    busy: None, clock: FakeClock, create_order: CreateOrder, staff_client: StaffClientFactory
) -> None:
    client = staff_client("operations")
    with CaptureQueriesContext(connection) as before:
        _page(client)
    clock.moment = NOW - dt.timedelta(minutes=30)
    for channel in ("online", "kiosk", "shop", "online"):
        create_order(channel=channel, msisdn=IDENTIFIED_EMPTY)
    queue_ticket_take(shop=Shop.objects.get(code="antwerp-night"), source="shop")
    clock.moment = NOW
    with CaptureQueriesContext(connection) as after:
        page = _page(client)
    assert page.count('data-status="awaiting_payment"') == 5
    assert len(after.captured_queries) == len(before.captured_queries)
