"""The simulator's hosted page, used as a customer's browser or a plain HTTP client would."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from tests.payments.conftest import CreatePayment, hosted_page_path
from topup.payments.gateway import PaymentSession, PaymentStatus
from topup.payments.models import SimulatorPayment
from topup.payments.services import payment_state_fetch

pytestmark = pytest.mark.django_db

PayWithCard = Callable[[PaymentSession, str], SimulatorPayment]


def test_the_card_page_is_a_plain_form_labelled_as_test_mode(
    client: Client, create_payment: CreatePayment
) -> None:
    session = create_payment(amount_cents=1500)
    response = client.get(hosted_page_path(session))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Payment simulator — test mode" in html
    assert '<form method="post"' in html
    assert 'name="card_number"' in html
    assert "15.00" in html
    assert "no-store" in response["Cache-Control"]
    # The page must be allowed to send the customer back to the merchant's own site.
    assert "form-action 'self' http: https:" in response["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("card_number", "status", "failure_code"),
    [
        ("4242424242424242", PaymentStatus.CAPTURED, ""),
        ("4242 4242 4242 4242", PaymentStatus.CAPTURED, ""),
        ("4000000000000002", PaymentStatus.FAILED, "card_declined"),
        ("4000000000009995", PaymentStatus.FAILED, "insufficient_funds"),
        ("4000000000000119", PaymentStatus.PENDING, ""),
        ("5555555555554444", PaymentStatus.CAPTURED, ""),  # any other Luhn-valid card
    ],
)
def test_each_test_card_gives_its_outcome_and_returns_to_the_merchant(
    create_payment: CreatePayment,
    pay_with_card: PayWithCard,
    card_number: str,
    status: PaymentStatus,
    failure_code: str,
) -> None:
    session = create_payment()
    payment = pay_with_card(session, card_number)

    state = payment_state_fetch(provider="simulator", provider_payment_id=payment.id)
    assert (state.status, state.failure_code) == (status, failure_code)
    assert state.instrument_masked == f"•••• {card_number[-4:]}"
    assert len(state.instrument_fingerprint) == 64


def test_the_post_redirects_with_303_to_the_return_url(
    client: Client, create_payment: CreatePayment
) -> None:
    session = create_payment(reference="order-redirect")
    response = client.post(hosted_page_path(session), {"card_number": "4242424242424242"})
    assert response.status_code == 303
    assert response["Location"] == "http://merchant.example/topups/order-redirect/return"


def test_a_plain_http_client_without_a_csrf_token_can_pay(create_payment: CreatePayment) -> None:
    session = create_payment()
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(hosted_page_path(session), {"card_number": "4242424242424242"})
    assert response.status_code == 303


def test_a_non_luhn_number_shows_the_form_again_with_an_error_and_no_echo(
    client: Client, create_payment: CreatePayment
) -> None:
    session = create_payment()
    response = client.post(hosted_page_path(session), {"card_number": "4242424242424241"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "This card number is not valid" in html
    assert "4242424242424241" not in html
    assert SimulatorPayment.objects.get(id=session.provider_payment_id).awaits_customer


def test_a_second_submit_does_not_change_the_first_answer(
    client: Client, create_payment: CreatePayment, pay_with_card: PayWithCard
) -> None:
    session = create_payment()
    pay_with_card(session, "4000000000000002")
    response = client.post(hosted_page_path(session), {"card_number": "4242424242424242"})
    assert response.status_code == 303
    payment = SimulatorPayment.objects.get(id=session.provider_payment_id)
    assert (payment.status, payment.card_last4) == (PaymentStatus.FAILED, "0002")
    assert "already been answered" in client.get(hosted_page_path(session)).content.decode()


@pytest.mark.parametrize("method", ["bancontact", "alipay", "wechat_pay"])
@pytest.mark.parametrize(
    ("action", "outcome"),
    [
        ("approve", (PaymentStatus.CAPTURED, "")),
        ("decline", (PaymentStatus.FAILED, "canceled_by_customer")),
    ],
)
def test_bancontact_and_wallets_are_approved_or_declined(
    client: Client,
    create_payment: CreatePayment,
    method: str,
    action: str,
    outcome: tuple[PaymentStatus, str],
) -> None:
    session = create_payment(method=method)
    page = client.get(hosted_page_path(session)).content.decode()
    assert 'value="approve"' in page and 'value="decline"' in page
    assert 'name="card_number"' not in page

    response = client.post(hosted_page_path(session), {"action": action})

    assert response.status_code == 303
    state = payment_state_fetch(
        provider="simulator", provider_payment_id=session.provider_payment_id
    )
    assert (state.status, state.failure_code) == outcome


def test_an_unknown_payment_is_a_404_page(client: Client) -> None:
    response = client.get("/simulator/pay/sim_pay_doesnotexist")
    assert response.status_code == 404
    assert "could not find this payment" in response.content.decode()


def test_the_page_speaks_the_language_the_merchant_asked_for(
    client: Client, create_payment: CreatePayment
) -> None:
    session = create_payment()
    SimulatorPayment.objects.filter(id=session.provider_payment_id).update(language="nl")
    html = client.get(hosted_page_path(session)).content.decode()
    assert '<html lang="nl">' in html
    assert "€" in html and "15,00" in html
