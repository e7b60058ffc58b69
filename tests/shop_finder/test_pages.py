"""The public shop finder under /shops/: search, shop page, online ticket, booking end to end."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.support import FakeClock
from tests.visits.conftest import local
from topup.catalog.models import Shop
from topup.core.worker import worker_drain
from topup.messaging.selectors import sms_outbox_list
from topup.visits.demo import visits_demo_setup
from topup.visits.models import QueueTicket, ShopBooking
from topup.visits.services import booking_reference_hash, queue_ticket_take

pytestmark = pytest.mark.django_db

NUMBER = "+32470000001"
THURSDAY = dt.date(2031, 1, 9)


def _text(response: object) -> str:
    content = getattr(response, "content", b"")
    assert isinstance(content, bytes)
    return content.decode()


def test_the_finder_form_is_public(client: Client, shop: Shop) -> None:
    response = client.get(reverse("shops:finder"))
    assert response.status_code == 200
    page = _text(response)
    assert 'name="q"' in page and 'name="latitude"' in page
    assert 'action="/i18n/setlang/"' in page
    assert "<script" not in page and "style=" not in page  # CSP: no inline script or style


def test_search_by_municipality_lists_the_nearest_shops_with_their_details(
    client: Client, now: FakeClock, shop: Shop, other_shop: Shop
) -> None:
    queue_ticket_take(shop=other_shop, source="shop")
    response = client.get(reverse("shops:finder"), {"q": "Antwerpen"})
    assert response.status_code == 200
    page = _text(response)
    assert page.index(other_shop.name) < page.index(shop.name)  # nearest first
    assert other_shop.address in page
    assert re.search(r"\d+,\d km|\d+\.\d km", page)
    assert "09:00\u201318:00" in page  # opening hours, with an en dash
    assert "Dutch" in page and "English" in page  # languages spoken
    assert "1 person waiting: about 6 minutes." in page


def test_liege_is_found_with_or_without_its_accent(client: Client, shop: Shop) -> None:
    for typed in ("Liège", "liege", "Luik"):
        response = client.get(reverse("shops:finder"), {"q": typed})
        assert response.status_code == 200
        assert "Shops nearest to Liège" in _text(response)


def test_an_unknown_municipality_or_a_postal_code_says_what_to_do(
    client: Client, shop: Shop
) -> None:
    response = client.get(reverse("shops:finder"), {"q": "Atlantis"})
    assert response.status_code == 422
    assert "Check the spelling or use coordinates" in _text(response)
    response = client.get(reverse("shops:finder"), {"q": "4000"})
    assert response.status_code == 422
    assert "Postal codes are not supported" in _text(response)


def test_coordinates_are_posted_never_put_in_the_address(client: Client, shop: Shop) -> None:
    response = client.post(
        reverse("shops:finder"), {"latitude": "50.846700", "longitude": "4.352500"}
    )
    assert response.status_code == 200
    assert shop.name in _text(response)
    assert response.request["QUERY_STRING"] == ""
    bad = client.post(reverse("shops:finder"), {"latitude": "123", "longitude": "4"})
    assert bad.status_code == 422


def test_the_shop_page_shows_hours_and_an_accessible_busy_hours_table(
    client: Client, now: FakeClock, demo: None
) -> None:
    visits_demo_setup()
    response = client.get(reverse("shops:shop", kwargs={"code": "bru-central"}))
    assert response.status_code == 200
    page = _text(response)
    assert "Opening hours" in page and "Closed" in page  # Sunday
    assert '<table class="busy">' in page and "<caption>" in page
    assert re.search(r'class="busy-[1-4]"', page)  # shading comes from classes
    assert re.search(
        r'<span class="visually-hidden">\d+ visits?</span>', page
    )  # for screen readers
    assert "Come at a quiet time" in page
    assert "<script" not in page and "style=" not in page


def test_an_unknown_shop_is_404(client: Client, shop: Shop) -> None:
    assert client.get("/shops/nowhere/").status_code == 404


def test_taking_a_ticket_online_shows_the_number_and_the_wait(
    client: Client, now: FakeClock, shop: Shop
) -> None:
    queue_ticket_take(shop=shop, source="shop")
    response = client.post(reverse("shops:ticket-take", kwargs={"code": shop.code}))
    assert response.status_code == 302
    assert response["Location"] == reverse("shops:ticket", kwargs={"code": shop.code})
    page = _text(client.get(response["Location"]))
    assert 'class="ticket-number"' in page and ">2<" in page
    assert "1 person before you." in page and "about 12 minutes" in page
    # A reload shows the same ticket; it does not take another one.
    client.get(response["Location"])
    assert QueueTicket.objects.filter(shop=shop).count() == 2
    assert client.get(reverse("shops:ticket-take", kwargs={"code": shop.code})).status_code == 405


def test_no_online_ticket_when_the_shop_is_closed(
    client: Client, now: FakeClock, shop: Shop
) -> None:
    now.advance(seconds=10 * 3600)
    response = client.post(reverse("shops:ticket-take", kwargs={"code": shop.code}), follow=True)
    assert "The shop is closed now" in _text(response)
    assert QueueTicket.objects.count() == 0


def test_booking_a_visit_end_to_end(client: Client, now: FakeClock, shop: Shop) -> None:
    days = client.get(reverse("shops:booking", kwargs={"code": shop.code}))
    assert days.status_code == 200
    assert "?day=2031-01-09" in _text(days)
    assert "?day=2031-01-12" not in _text(days)  # Sunday: closed, no link

    slots = client.get(reverse("shops:booking", kwargs={"code": shop.code}), {"day": "2031-01-09"})
    assert slots.status_code == 200
    slot_value = local(THURSDAY, 11).isoformat()
    assert f'value="{slot_value}"' in _text(slots)

    response = client.post(
        reverse("shops:booking", kwargs={"code": shop.code}),
        {"day": "2031-01-09", "slot": slot_value, "msisdn": "0470 00 00 01"},
    )
    assert response.status_code == 302
    location = response["Location"]
    assert "0470" not in location and "32470" not in location
    done = client.get(location)
    booking = ShopBooking.objects.get()
    page = _text(done)
    reference = _reference_in(page)
    assert booking.reference_hash == booking_reference_hash(reference)
    assert "11:00" in page and "+32470••••01" in page and NUMBER not in page
    worker_drain()
    [sms] = sms_outbox_list(msisdn=NUMBER)
    assert reference in sms.body


def test_a_refused_booking_shows_the_reason(client: Client, now: FakeClock, shop: Shop) -> None:
    response = client.post(
        reverse("shops:booking", kwargs={"code": shop.code}),
        {"day": "2031-01-09", "slot": local(THURSDAY, 11).isoformat(), "msisdn": "02 123 45 67"},
    )
    assert response.status_code == 422
    assert "Enter a Belgian mobile number" in _text(response)
    stale = client.post(
        reverse("shops:booking", kwargs={"code": shop.code}),
        {"day": "2031-01-09", "slot": local(THURSDAY, 11, 5).isoformat(), "msisdn": NUMBER},
    )
    assert stale.status_code == 422  # not one of the choices offered
    assert ShopBooking.objects.count() == 0


def test_cancelling_a_booking_by_its_reference(client: Client, now: FakeClock, shop: Shop) -> None:
    client.post(
        reverse("shops:booking", kwargs={"code": shop.code}),
        {"day": "2031-01-09", "slot": local(THURSDAY, 11).isoformat(), "msisdn": NUMBER},
    )
    booking = ShopBooking.objects.get()
    worker_drain()
    [sms] = sms_outbox_list(msisdn=NUMBER)
    wrong = client.post(reverse("shops:booking-cancel"), {"reference": "AAAA-AAAA"})
    assert wrong.status_code == 422
    response = client.post(
        reverse("shops:booking-cancel"), {"reference": _reference_in(sms.body)}, follow=True
    )
    assert "Your booking is cancelled." in _text(response)
    booking.refresh_from_db()
    assert booking.cancelled_at is not None


@pytest.mark.parametrize("language", ["nl", "fr", "de", "en", "zh-hans"])
def test_the_pages_render_in_every_language(
    client: Client, now: FakeClock, shop: Shop, language: str
) -> None:
    client.post("/i18n/setlang/", {"language": language, "next": "/shops/"})
    for path in (
        reverse("shops:finder") + "?q=Brussel",
        reverse("shops:shop", kwargs={"code": shop.code}),
        reverse("shops:booking", kwargs={"code": shop.code}) + "?day=2031-01-09",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert f'<html lang="{language}">' in _text(response)


def _reference_in(text: str) -> str:
    """The booking reference (XXXX-XXXX) a page or an SMS shows."""
    [reference] = re.findall(r"\b[A-Z0-9]{4}-[A-Z0-9]{4}\b", text)
    return reference
