"""The online top-up through the pages: choose, confirm the masked name, pay, follow, retry."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from django.conf import settings
from django.test import Client

from topup.audit.services import Actor
from topup.core.money import format_amount_for_locale
from topup.core.worker import worker_drain
from topup.messaging.selectors import sms_outbox_list
from topup.payments.simulator.services import simulator_settings_update
from topup.subscribers.models import Sim
from topup.subscribers.services import saved_number_add
from topup.topups.models import TopupOrder, TopupStatus
from topup.topups.services import topup_order_reconcile

from .conftest import (
    AWAITING_IDENTIFICATION,
    IDENTIFIED_EMPTY,
    IDENTIFIED_WITH_FIVE_EUROS,
    web_login,
)

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

pytestmark = pytest.mark.usefixtures("demo")

PUBLIC_URL = "http://localhost"
SUCCEEDS = "4242424242424242"
DECLINED = "4000000000000002"


@pytest.fixture(autouse=True)
def quiet_simulator(demo: None) -> None:
    simulator_settings_update(webhook_mode="never")  # the tests reconcile instead


def _english(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _text(response: TestResponse) -> str:
    return response.content.decode()


def _choose(client: Client, **fields: str) -> TestResponse:
    body = {"amount_choice": "1000", "payment_method": "card"} | fields
    return client.post("/topup", body)


def _confirm_page_key(client: Client) -> str:
    page = client.get("/topup/confirm")
    assert page.status_code == 200, page.content
    match = re.search(r'name="idempotency_key" value="([^"]+)"', _text(page))
    assert match is not None, "the confirm page carries no idempotency key"
    return match.group(1)


def _confirm(client: Client) -> TestResponse:
    return client.post("/topup/confirm", {"idempotency_key": _confirm_page_key(client)})


def _to_payment_page(client: Client, **fields: str) -> str:
    chosen = _choose(client, **fields)
    assert chosen.status_code == 302, chosen.content
    assert chosen.headers["Location"] == "/topup/confirm"
    paying = _confirm(client)
    assert paying.status_code == 303, paying.content
    return paying.headers["Location"]


def _pay(client: Client, payment_url: str, card_number: str) -> str:
    """Pay on the provider's page; returns the status page it sends the payer back to."""
    paid = client.post(payment_url.removeprefix(PUBLIC_URL), {"card_number": card_number})
    assert paid.status_code == 303, paid.content
    back = paid.headers["Location"].removeprefix(PUBLIC_URL)
    assert re.fullmatch(r"/topups/[0-9a-f-]{36}/return", back), back
    return back


def _order_of(status_page: str) -> TopupOrder:
    return TopupOrder.objects.get(pk=status_page.split("/")[2])


def _reconcile(order: TopupOrder) -> TopupOrder:
    return topup_order_reconcile(order=order, actor=Actor.system("tests"))


def _fragment(client: Client, order: TopupOrder, shown: str = "") -> TestResponse:
    query = f"?shown={shown}" if shown else ""
    return client.get(f"/topups/{order.pk}/status{query}", headers={"HX-Request": "true"})


def test_a_logged_in_line_tops_up_its_own_number_and_sees_the_credit_arrive(
    client: Client,
) -> None:
    web_login(client, IDENTIFIED_WITH_FIVE_EUROS)
    _english(client)

    form = client.get("/topup")
    assert form.status_code == 200
    assert re.search(r'value="\+32470000001" checked', _text(form)), "own number preselected"
    confirm = _choose(client, number_choice=IDENTIFIED_WITH_FIVE_EUROS)
    assert confirm.status_code == 302
    page = client.get("/topup/confirm")
    assert "0470 00 00 01" in _text(page)
    assert "J** P******" in _text(page)
    assert "+32470000001" not in confirm.headers["Location"]

    status_page = _pay(client, _confirm(client).headers["Location"], SUCCEEDS)
    waiting = client.get(status_page)
    assert waiting.status_code == 200
    assert 'hx-trigger="every 2s"' in _text(waiting)
    assert 'aria-live="polite"' in _text(waiting)
    assert "You will not be charged twice" in _text(waiting)

    order = _reconcile(_order_of(status_page))
    credited = _fragment(client, order, shown="waiting")
    assert credited.status_code == 200
    assert order.status == TopupStatus.CREDITED
    assert order.receipt_number and order.receipt_number in _text(credited)
    assert "hx-trigger" not in _text(credited), "polling stops once the top-up is final"
    assert format_amount_for_locale(1500, "en") in _text(credited), "the new balance"
    assert f"/history/{order.pk}/receipt" in _text(credited)
    assert f"/history/{order.pk}/receipt.pdf" in _text(credited)


def test_a_saved_number_is_offered_and_topped_up_with_the_name_masked(client: Client) -> None:
    owner = Sim.objects.get(msisdn=IDENTIFIED_WITH_FIVE_EUROS)
    saved_number_add(
        owner=owner, msisdn=IDENTIFIED_EMPTY, nickname="Li at home", actor=Actor.system("tests")
    )
    web_login(client, IDENTIFIED_WITH_FIVE_EUROS)
    _english(client)

    form = client.get("/topup")
    assert "Li at home" in _text(form)
    assert "0470 00 00 02" in _text(form)
    _choose(client, number_choice=IDENTIFIED_EMPTY, amount_choice="2000")
    confirm = client.get("/topup/confirm")
    assert "L* W**" in _text(confirm)
    assert "J** P******" not in _text(confirm)

    status_page = _pay(client, _confirm(client).headers["Location"], SUCCEEDS)
    order = _reconcile(_order_of(status_page))
    assert order.sim.msisdn == IDENTIFIED_EMPTY
    assert order.requested_by == owner
    assert order.amount_cents == 2000
    assert order.status == TopupStatus.CREDITED


def test_a_logged_in_line_tops_up_a_typed_number(client: Client) -> None:
    web_login(client, IDENTIFIED_WITH_FIVE_EUROS)
    _english(client)

    # A typed number wins over the preselected own number.
    chosen = _choose(client, number_choice=IDENTIFIED_WITH_FIVE_EUROS, msisdn="0470 00 00 02")
    assert chosen.status_code == 302
    assert "L* W**" in _text(client.get("/topup/confirm"))
    payment_url = _confirm(client).headers["Location"]
    order = TopupOrder.objects.get()
    assert order.sim.msisdn == IDENTIFIED_EMPTY
    assert payment_url == order.payment_redirect_url


def test_a_guest_tops_up_an_identified_number_and_the_receipt_goes_to_it_by_sms(
    client: Client,
) -> None:
    _english(client)
    form = client.get("/topup")
    assert form.status_code == 200
    assert 'name="number_choice"' not in _text(form)
    assert 'id="msisdn"' in _text(form)

    payment_url = _to_payment_page(client, msisdn="0032 470 00 00 02", amount_other="12,50")
    assert "L* W**" in _text(client.get("/topup/confirm"))
    status_page = _pay(client, payment_url, SUCCEEDS)
    order = _reconcile(_order_of(status_page))

    shown = _text(client.get(status_page))
    assert order.status == TopupStatus.CREDITED
    assert order.amount_cents == 1250
    assert order.requested_by is None
    assert "0470 •• •• 02" in shown, "a guest sees the number masked"
    assert "0470 00 00 02" not in shown
    assert "sent by SMS" in shown
    assert "/receipt" not in shown
    worker_drain()
    sms = sms_outbox_list(msisdn=IDENTIFIED_EMPTY, last_only=True)
    assert sms and order.receipt_number and order.receipt_number in sms[0].body


def test_the_form_shows_the_limits_in_the_customers_format(client: Client) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nl"
    page = _text(client.get("/topup"))
    assert format_amount_for_locale(500, "nl") in page  # € 5,00
    assert format_amount_for_locale(15000, "nl") in page  # € 150,00
    assert "€\xa05,00" in page
    for method in ("Visa / Mastercard", "Bancontact", "Alipay", "WeChat Pay"):
        assert method in page


@pytest.mark.parametrize(
    ("fields", "field_id", "message"),
    [
        ({"amount_other": "2"}, "amount-error", "below the minimum"),
        ({"amount_other": "200"}, "amount-error", "above the maximum"),
        ({"amount_other": "ten"}, "amount-error", "Enter the amount in euros"),
        ({"msisdn": AWAITING_IDENTIFICATION}, "msisdn-error", "not identified yet"),
        ({"msisdn": "0470 12"}, "msisdn-error", "not a Belgian mobile number"),
        ({"msisdn": ""}, "msisdn-error", "Type the mobile number"),
        ({"payment_method": "cash"}, "method-error", "Choose how you want to pay"),
    ],
)
def test_each_refusal_is_shown_next_to_its_field_and_keeps_the_input(
    client: Client, fields: dict[str, str], field_id: str, message: str
) -> None:
    _english(client)
    body = {"msisdn": IDENTIFIED_EMPTY} | fields
    response = _choose(client, **body)

    assert response.status_code == 422
    page = _text(response)
    match = re.search(rf'<p class="error" id="{field_id}">([^<]*)</p>', page)
    assert match is not None and message in match.group(1), page
    assert f'aria-describedby="{field_id}"' in page or f" {field_id}" in page
    if fields.get("amount_other"):
        assert f'value="{fields["amount_other"]}"' in page, "the typed amount is kept"
    assert TopupOrder.objects.count() == 0


def test_the_daily_limit_is_refused_on_the_form_and_on_the_confirm_page(client: Client) -> None:
    _english(client)
    _to_payment_page(client, msisdn=IDENTIFIED_EMPTY, amount_choice="", amount_other="150")

    # A second € 150 the same day goes over the € 250 daily limit: refused on the form ...
    again = _choose(client, msisdn=IDENTIFIED_EMPTY, amount_choice="", amount_other="150")
    assert again.status_code == 422
    assert "over today&#x27;s limit" in _text(again)

    # ... and on the confirm page when another payer used the limit in the meantime
    # (€ 150 + their € 100 + this € 100 > € 250).
    chosen = _choose(client, msisdn=IDENTIFIED_EMPTY, amount_choice="", amount_other="100")
    assert chosen.status_code == 302
    key = _confirm_page_key(client)
    other_payer = _english(Client())
    _to_payment_page(other_payer, msisdn=IDENTIFIED_EMPTY, amount_choice="", amount_other="100")
    refused = client.post("/topup/confirm", {"idempotency_key": key})
    assert refused.status_code == 422
    assert "over today&#x27;s limit" in _text(refused)
    assert 'role="alert"' in _text(refused)
    assert TopupOrder.objects.count() == 2


def test_a_double_submit_of_the_confirm_form_creates_one_order(client: Client) -> None:
    _english(client)
    _choose(client, msisdn=IDENTIFIED_EMPTY)
    key = _confirm_page_key(client)

    first = client.post("/topup/confirm", {"idempotency_key": key})
    second = client.post("/topup/confirm", {"idempotency_key": key})

    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert TopupOrder.objects.count() == 1


def test_an_old_confirm_page_does_not_pay_for_changed_details(client: Client) -> None:
    _english(client)
    _choose(client, msisdn=IDENTIFIED_EMPTY, amount_choice="1000")
    old_key = _confirm_page_key(client)
    _choose(client, msisdn=IDENTIFIED_EMPTY, amount_choice="5000")

    stale = client.post("/topup/confirm", {"idempotency_key": old_key})

    assert stale.status_code == 409
    assert "details changed" in _text(stale)
    assert format_amount_for_locale(5000, "en") in _text(stale)
    assert TopupOrder.objects.count() == 0


def test_change_goes_back_to_the_form_with_the_choice_kept(client: Client) -> None:
    _english(client)
    _choose(client, msisdn="0470 00 00 02", amount_choice="", amount_other="12.50")
    assert 'href="/topup"' in _text(client.get("/topup/confirm"))

    form = _text(client.get("/topup"))
    assert 'value="0470 00 00 02"' in form
    assert 'value="12.50"' in form


def test_a_declined_card_says_why_and_the_retry_makes_a_new_order(client: Client) -> None:
    web_login(client, IDENTIFIED_WITH_FIVE_EUROS)
    _english(client)
    status_page = _pay(client, _to_payment_page(client, msisdn=IDENTIFIED_EMPTY), DECLINED)
    failed = _reconcile(_order_of(status_page))

    fragment = _text(_fragment(client, failed, shown="waiting"))
    assert failed.status == TopupStatus.FAILED
    assert "Your card was declined" in fragment
    assert "Nothing is ever charged or credited twice" in fragment
    assert "hx-trigger" not in fragment
    assert re.search(r'value="card" checked', fragment), "the same method is preselected"
    assert f'action="/topups/{failed.pk}/retry"' in fragment

    retried = client.post(f"/topups/{failed.pk}/retry", {"payment_method": "bancontact"})
    assert retried.status_code == 302
    assert retried.headers["Location"] == "/topup/confirm"
    confirm = _text(client.get("/topup/confirm"))
    assert "Bancontact" in confirm and "L* W**" in confirm
    paying = _confirm(client)
    assert paying.status_code == 303
    new_order = TopupOrder.objects.exclude(pk=failed.pk).get()
    assert new_order.payment_method == "bancontact"
    assert new_order.amount_cents == failed.amount_cents
    assert new_order.sim_id == failed.sim_id
    assert new_order.idempotency_key != failed.idempotency_key


def test_the_status_fragment_polls_until_final_and_answers_204_while_unchanged(
    client: Client,
) -> None:
    _english(client)
    _to_payment_page(client, msisdn=IDENTIFIED_EMPTY)
    order = TopupOrder.objects.get()

    waiting = _fragment(client, order)
    assert waiting.status_code == 200
    assert 'hx-trigger="every 2s"' in _text(waiting)
    assert f'hx-get="/topups/{order.pk}/status?shown=waiting"' in _text(waiting)
    assert _fragment(client, order, shown="waiting").status_code == 204
    assert "Refresh" in _text(waiting), "without JavaScript a plain link refreshes"

    _pay(client, order.payment_redirect_url, SUCCEEDS)
    _reconcile(order)
    final = _fragment(client, order, shown="waiting")
    assert final.status_code == 200
    assert 'data-state="credited"' in _text(final)
    assert "hx-get" not in _text(final) and "hx-trigger" not in _text(final)


def test_an_unreachable_provider_is_explained_on_the_confirm_page(client: Client) -> None:
    _english(client)
    _choose(client, msisdn=IDENTIFIED_EMPTY)
    simulator_settings_update(outage=True)

    refused = _confirm(client)

    assert refused.status_code == 200
    assert 'role="alert"' in _text(refused)
    assert "could not reach the payment provider" in _text(refused)
    assert TopupOrder.objects.get().failure_reason == "provider_unreachable"
    simulator_settings_update(outage=False)
    assert _confirm(client).status_code == 303, "a new attempt gets a new key and goes through"
    assert TopupOrder.objects.count() == 2


def test_the_confirm_page_without_a_choice_goes_back_to_the_form(client: Client) -> None:
    response = client.get("/topup/confirm")
    assert response.status_code == 302
    assert response.headers["Location"] == "/topup"


def test_an_unknown_top_up_is_a_friendly_404(client: Client) -> None:
    _english(client)
    response = client.get("/topups/00000000-0000-4000-8000-000000000000/return")
    assert response.status_code == 404
    assert "Top-up not found" in _text(response)
