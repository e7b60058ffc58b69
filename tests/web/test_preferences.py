"""Settings on the website: language, low-balance alert, saved numbers with nicknames."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from topup.audit.models import AuditEvent
from topup.subscribers.models import SavedNumber, Sim
from topup.subscribers.services import MAX_SAVED_NUMBERS_PER_OWNER

from .conftest import IDENTIFIED_EMPTY, IDENTIFIED_WITH_FIVE_EUROS, web_login

pytestmark = pytest.mark.usefixtures("demo")


@pytest.fixture
def jan(client: Client) -> Client:
    """Jan's account speaks Dutch; the picker's cookie makes these pages English, to read them."""
    client.cookies["django_language"] = "en"
    web_login(client, IDENTIFIED_WITH_FIVE_EUROS)
    return client


def _jan() -> Sim:
    return Sim.objects.select_related("subscriber").get(msisdn=IDENTIFIED_WITH_FIVE_EUROS)


def _saved(nickname: str) -> SavedNumber:
    return SavedNumber.objects.get(owner=_jan(), nickname=nickname)


def test_settings_need_a_logged_in_line(client: Client) -> None:
    assert client.get("/settings").headers["Location"].endswith("/login")
    assert client.post("/settings/numbers", {}).headers["Location"].endswith("/login")


def test_the_settings_page_shows_the_current_preferences(jan: Client) -> None:
    body = jan.get("/settings").content.decode()

    assert re.search(r'<option value="nl" lang="nl" selected>Nederlands</option>', body)
    assert 'value="2.00"' in body  # the default alert threshold, € 2
    assert 'action="/settings/numbers"' in body


def test_preferences_are_saved_and_audited(jan: Client) -> None:
    response = jan.post("/settings", {"language": "fr", "low_balance_alert": "3,50"})

    assert response.status_code == 302 and response.headers["Location"].endswith("/settings")
    subscriber = _jan().subscriber
    assert subscriber is not None
    assert (subscriber.preferred_language, subscriber.low_balance_alert_cents) == ("fr", 350)
    event = AuditEvent.objects.get(action="subscribers.preferences_updated")
    assert event.actor_type == "subscriber" and event.actor_id == str(_jan().pk)
    assert event.data["to"] == {"preferred_language": "fr", "low_balance_alert_cents": 350}


def test_changing_the_language_in_the_settings_switches_the_site_at_once(jan: Client) -> None:
    assert '<html lang="en">' in jan.get("/settings").content.decode()

    saved = jan.post("/settings", {"language": "de", "low_balance_alert": "2"}, follow=True)

    body = saved.content.decode()
    assert '<html lang="de">' in body
    assert jan.cookies["django_language"].value == "de"
    assert re.search(r'<option value="de" lang="de" selected>Deutsch</option>', body)


@pytest.mark.parametrize("threshold", ["100.01", "-1", "lots"])
def test_an_alert_threshold_out_of_range_is_refused_next_to_the_field(
    jan: Client, threshold: str
) -> None:
    response = jan.post("/settings", {"language": "nl", "low_balance_alert": threshold})

    body = response.content.decode()
    assert response.status_code == 422
    assert "between € 0 and € 100" in body
    assert 'aria-describedby="id_low_balance_alert-hint id_low_balance_alert-error"' in body
    assert f'value="{threshold}"' in body  # the input is kept
    subscriber = _jan().subscriber
    assert subscriber is not None and subscriber.low_balance_alert_cents == 200
    assert not AuditEvent.objects.filter(action="subscribers.preferences_updated").exists()


def test_a_language_not_offered_is_refused(jan: Client) -> None:
    response = jan.post("/settings", {"language": "es", "low_balance_alert": "2"})

    assert response.status_code == 422
    subscriber = _jan().subscriber
    assert subscriber is not None and subscriber.preferred_language == "nl"


def test_a_saved_number_is_added_and_shown_nationally(jan: Client) -> None:
    response = jan.post("/settings/numbers", {"msisdn": "+32 470 00 00 02", "nickname": " Li "})

    assert response.status_code == 302
    saved = _saved("Li")
    assert saved.msisdn == IDENTIFIED_EMPTY
    body = jan.get("/settings").content.decode()
    assert "0470 00 00 02" in body and "The number is saved." in body
    assert f'action="/settings/numbers/{saved.pk}/delete"' in body
    event = AuditEvent.objects.get(action="subscribers.saved_number_added")
    assert event.data == {"saved_number_id": saved.pk}


def test_the_same_number_twice_is_refused(jan: Client) -> None:
    jan.post("/settings/numbers", {"msisdn": "0470 00 00 02", "nickname": "Li"})

    again = jan.post("/settings/numbers", {"msisdn": "0032470000002", "nickname": "Li again"})

    assert again.status_code == 409
    assert "You have already saved this number." in again.content.decode()
    assert 'value="Li again"' in again.content.decode()
    assert SavedNumber.objects.filter(owner=_jan()).count() == 1


@pytest.mark.parametrize(
    ("msisdn", "nickname", "message"),
    [
        ("12345", "Someone", "This is not a Belgian mobile number."),
        (IDENTIFIED_WITH_FIVE_EUROS, "Me", "This is your own number"),
        ("0470 00 00 02", "x" * 41, "1 to 40 characters"),
        ("0470 00 00 02", "   ", "This field is required."),
    ],
)
def test_a_number_the_service_refuses_says_why_next_to_the_field(
    jan: Client, msisdn: str, nickname: str, message: str
) -> None:
    response = jan.post("/settings/numbers", {"msisdn": msisdn, "nickname": nickname})

    assert response.status_code == 422
    assert message in response.content.decode()
    assert not SavedNumber.objects.exists()


def test_no_more_than_twenty_numbers(jan: Client) -> None:
    for index in range(MAX_SAVED_NUMBERS_PER_OWNER):
        added = jan.post(
            "/settings/numbers", {"msisdn": f"0470 10 00 {index:02d}", "nickname": f"N{index}"}
        )
        assert added.status_code == 302, added.content

    refused = jan.post("/settings/numbers", {"msisdn": "0470 20 00 00", "nickname": "One more"})

    assert refused.status_code == 409
    assert "You can save up to 20 numbers." in refused.content.decode()
    assert SavedNumber.objects.filter(owner=_jan()).count() == MAX_SAVED_NUMBERS_PER_OWNER


def test_a_saved_number_is_deleted(jan: Client) -> None:
    jan.post("/settings/numbers", {"msisdn": "0470 00 00 02", "nickname": "Li"})
    saved = _saved("Li")

    response = jan.post(f"/settings/numbers/{saved.pk}/delete")

    assert response.status_code == 302
    assert not SavedNumber.objects.filter(pk=saved.pk).exists()
    assert AuditEvent.objects.filter(action="subscribers.saved_number_deleted").count() == 1
    assert "The number is deleted." in jan.get("/settings").content.decode()


def test_another_lines_saved_number_cannot_be_deleted(client: Client) -> None:
    web_login(client, IDENTIFIED_WITH_FIVE_EUROS)
    client.post("/settings/numbers", {"msisdn": "0470 00 00 02", "nickname": "Li"})
    saved = _saved("Li")
    other = Client()
    web_login(other, IDENTIFIED_EMPTY)

    response = other.post(f"/settings/numbers/{saved.pk}/delete")

    assert response.status_code == 302
    assert SavedNumber.objects.filter(pk=saved.pk).exists()


def test_deleting_is_a_post(jan: Client) -> None:
    jan.post("/settings/numbers", {"msisdn": "0470 00 00 02", "nickname": "Li"})

    assert jan.get(f"/settings/numbers/{_saved('Li').pk}/delete").status_code == 405
