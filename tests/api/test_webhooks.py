"""The payment webhook: signed notices move orders on; forged and stale ones change nothing."""

from __future__ import annotations

import uuid

import pytest
from django.conf import settings
from django.test.client import Client
from pytest_django.fixtures import Settings

from topup.core import clock
from topup.core.worker import worker_drain
from topup.payments.simulator.services import simulator_settings_update
from topup.payments.simulator.signature import SIGNATURE_HEADER, signature_header_build
from topup.payments.simulator.webhooks import EVENT_TYPE, webhook_event_body
from topup.topups.models import TopupOrder

from ..receipts.pdf_text import pdf_text
from .conftest import IDENTIFIED_WITH_FIVE_EUROS, Api, assert_error, login

pytestmark = pytest.mark.usefixtures("demo")

PUBLIC_URL = "http://topup.example"
WEBHOOK = "/api/v1/payments/webhooks/simulator"
SUCCEEDS = "4242424242424242"
DECLINED = "4000000000000002"


@pytest.fixture(autouse=True)
def quiet_simulator(settings: Settings, db: None) -> None:
    settings.TOPUP_PUBLIC_URL = PUBLIC_URL
    simulator_settings_update(webhook_mode="never")  # these tests deliver the webhooks


def _order_paid_with(api: Api, card_number: str) -> str:
    response = api.post(
        "/topups",
        {"msisdn": IDENTIFIED_WITH_FIVE_EUROS, "amount": "10.00", "payment_method": "card"},
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert response.status_code == 201, response.content
    order = response.json()
    page = order["payment"]["redirect_url"].removeprefix(PUBLIC_URL)
    paid = api.client.post(page, {"card_number": card_number})
    assert paid.status_code == 303, paid.content
    return str(order["id"])


def _notice_for(order_id: str, *, event_id: str = "sim_evt_test_1") -> bytes:
    payment_id = TopupOrder.objects.get(pk=order_id).provider_payment_id
    return webhook_event_body(
        {"id": event_id, "type": EVENT_TYPE, "data": {"payment_id": payment_id}}
    )


def _deliver(
    client: Client, body: bytes, *, signed_at: int | None = None, secret: str | None = None
) -> object:
    timestamp = int(clock.now().timestamp()) if signed_at is None else signed_at
    header = signature_header_build(
        secret=secret or settings.TOPUP_SIMULATOR_WEBHOOK_SECRET, body=body, timestamp=timestamp
    )
    return client.post(
        WEBHOOK, data=body, content_type="application/json", headers={SIGNATURE_HEADER: header}
    )


def test_a_signed_notice_credits_the_line_once_even_if_it_comes_twice(api: Api) -> None:
    order_id = _order_paid_with(api, SUCCEEDS)
    body = _notice_for(order_id)

    first = _deliver(api.client, body)
    again = _deliver(api.client, body)
    worker_drain()

    for response in (first, again):
        assert response.status_code == 200, response.content
        assert response.json() == {"received": True}
    status = api.get(f"/topups/{order_id}").json()
    assert status["status"] == "credited"
    assert status["credited_at"] is not None
    assert login(api, IDENTIFIED_WITH_FIVE_EUROS).get("/me").json()["balance"]["amount"] == "15.00"


def test_a_declined_card_fails_the_order_with_the_reason(api: Api) -> None:
    order_id = _order_paid_with(api, DECLINED)

    assert _deliver(api.client, _notice_for(order_id)).status_code == 200
    worker_drain()

    status = api.get(f"/topups/{order_id}").json()
    assert (status["status"], status["failure_reason"]) == ("failed", "card_declined")
    assert status["payment"]["redirect_url"] is None


def test_a_forged_signature_is_rejected_and_nothing_is_credited(api: Api) -> None:
    order_id = _order_paid_with(api, SUCCEEDS)

    response = _deliver(api.client, _notice_for(order_id), secret="whsec_guessed")
    worker_drain()

    assert_error(response, 400, "webhook_rejected")
    assert api.get(f"/topups/{order_id}").json()["status"] == "awaiting_payment"


def test_a_replayed_old_notice_is_rejected(api: Api) -> None:
    order_id = _order_paid_with(api, SUCCEEDS)
    an_hour_ago = int(clock.now().timestamp()) - 3600

    response = _deliver(api.client, _notice_for(order_id), signed_at=an_hour_ago)

    assert_error(response, 400, "webhook_rejected")


def test_an_unsigned_notice_is_rejected(api: Api) -> None:
    response = api.client.post(WEBHOOK, data=b"{}", content_type="application/json")

    assert_error(response, 400, "webhook_rejected")


def test_a_credited_topup_has_a_pdf_receipt_in_the_callers_language(api: Api) -> None:
    order_id = _order_paid_with(api, SUCCEEDS)
    _deliver(api.client, _notice_for(order_id))
    worker_drain()
    receipt_number = api.get(f"/topups/{order_id}").json()["receipt_number"]

    response = api.as_language("nl").get(f"/topups/{order_id}/receipt.pdf")

    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert receipt_number and receipt_number in text
    assert "€10,00" in text  # nl-BE: € 10,00
    assert "€1,74" in text  # 21 % VAT inside € 10.00
    assert "+32470••••01" in text  # an anonymous caller gets the number masked
