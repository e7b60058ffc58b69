"""The platform's payment services: recorded gateway calls, state fetches and incoming webhooks."""

from __future__ import annotations

import json

import pytest
from prometheus_client import REGISTRY

from tests.payments.conftest import CreatePayment
from topup.core.clock import now
from topup.payments.gateway import (
    GatewayUnavailable,
    PaymentStatus,
    UnknownProvider,
    WebhookRejected,
)
from topup.payments.models import Payment, PaymentAttempt, WebhookEvent
from topup.payments.services import (
    payment_gateway_get,
    payment_state_fetch,
    payment_webhook_receive,
)
from topup.payments.simulator.services import simulator_card_submit, simulator_settings_update
from topup.payments.simulator.signature import signature_header_build

pytestmark = pytest.mark.django_db

SECRET = "whsec_demo_simulator"


def _signed(
    event: dict[str, object], *, timestamp: int | None = None
) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(event).encode()
    stamp = timestamp if timestamp is not None else int(now().timestamp())
    return body, {
        "topup-signature": signature_header_build(secret=SECRET, body=body, timestamp=stamp)
    }


def _event(event_id: str = "sim_evt_1", payment_id: str = "sim_pay_1") -> dict[str, object]:
    return {"id": event_id, "type": "payment.updated", "data": {"payment_id": payment_id}}


def _observations(operation: str, outcome: str) -> float:
    labels = {"provider": "simulator", "operation": operation, "outcome": outcome}
    value = REGISTRY.get_sample_value("topup_payment_gateway_seconds_count", labels)
    return float(value or 0)


def test_creating_a_payment_records_the_attempt_and_the_payment(
    create_payment: CreatePayment,
) -> None:
    before = _observations("create", "ok")
    session = create_payment(reference="order-7", amount_cents=2500)

    assert session.status == PaymentStatus.PENDING
    assert session.redirect_url == f"http://testserver/simulator/pay/{session.provider_payment_id}"
    payment = Payment.objects.get(
        provider="simulator", provider_payment_id=session.provider_payment_id
    )
    assert (payment.reference, payment.amount_cents, payment.status) == ("order-7", 2500, "pending")
    attempt = PaymentAttempt.objects.get()
    assert (attempt.operation, attempt.succeeded, attempt.payment) == ("create", True, payment)
    assert attempt.request_summary["amount_cents"] == 2500
    assert _observations("create", "ok") == before + 1


def test_the_same_idempotency_key_gives_the_same_provider_payment(
    create_payment: CreatePayment,
) -> None:
    first = create_payment(reference="order-retried")
    second = create_payment(reference="order-retried")
    assert first.provider_payment_id == second.provider_payment_id
    assert Payment.objects.count() == 1
    assert PaymentAttempt.objects.filter(succeeded=True).count() == 2


def test_an_unreachable_provider_raises_after_recording_the_failed_attempt(
    create_payment: CreatePayment,
) -> None:
    simulator_settings_update(outage=True)
    with pytest.raises(GatewayUnavailable):
        create_payment(reference="order-outage")
    attempt = PaymentAttempt.objects.get()
    assert (attempt.succeeded, attempt.error_code, attempt.reference) == (
        False,
        "provider_unreachable",
        "order-outage",
    )
    assert not Payment.objects.exists()


def test_fetching_the_state_updates_the_payment_row(create_payment: CreatePayment) -> None:
    session = create_payment()
    simulator_card_submit(payment_id=session.provider_payment_id, card_number="4000000000009995")

    state = payment_state_fetch(
        provider="simulator", provider_payment_id=session.provider_payment_id
    )

    payment = Payment.objects.get(provider_payment_id=session.provider_payment_id)
    assert (payment.status, payment.failure_code) == ("failed", "insufficient_funds")
    assert payment.instrument_masked == "•••• 9995" == state.instrument_masked
    get_attempt = PaymentAttempt.objects.get(operation="get")
    assert get_attempt.succeeded and get_attempt.payment == payment


def test_a_failed_state_fetch_is_recorded_against_the_payment(
    create_payment: CreatePayment,
) -> None:
    session = create_payment()
    simulator_settings_update(outage=True)
    with pytest.raises(GatewayUnavailable):
        payment_state_fetch(provider="simulator", provider_payment_id=session.provider_payment_id)
    attempt = PaymentAttempt.objects.get(operation="get")
    assert not attempt.succeeded
    assert attempt.payment is not None and attempt.payment.reference == attempt.reference


def test_an_unknown_provider_is_refused() -> None:
    with pytest.raises(UnknownProvider):
        payment_gateway_get(provider="nope")


def test_a_verified_webhook_is_stored_once_and_a_duplicate_returns_none() -> None:
    body, headers = _signed(_event())
    notice = payment_webhook_receive(provider="simulator", body=body, headers=headers)
    assert notice is not None
    assert (notice.event_id, notice.provider_payment_id) == ("sim_evt_1", "sim_pay_1")

    assert payment_webhook_receive(provider="simulator", body=body, headers=headers) is None
    event = WebhookEvent.objects.get()
    assert (event.event_type, event.provider_payment_id) == ("payment.updated", "sim_pay_1")
    assert json.loads(event.body) == _event()


def test_a_forged_webhook_is_rejected_and_not_stored() -> None:
    body = json.dumps(_event()).encode()
    forged = signature_header_build(secret="guess", body=body, timestamp=int(now().timestamp()))
    with pytest.raises(WebhookRejected) as caught:
        payment_webhook_receive(
            provider="simulator", body=body, headers={"Topup-Signature": forged}
        )
    assert caught.value.reason == "signature_mismatch"
    assert not WebhookEvent.objects.exists()


def test_a_replayed_webhook_with_an_old_timestamp_is_rejected() -> None:
    body, headers = _signed(_event(), timestamp=int(now().timestamp()) - 6 * 60)
    with pytest.raises(WebhookRejected) as caught:
        payment_webhook_receive(provider="simulator", body=body, headers=headers)
    assert caught.value.reason == "timestamp_outside_tolerance"
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize(
    "event",
    [
        {"id": "e"},
        {"id": 1, "type": "t", "data": {"payment_id": "p"}},
        ["not", "an", "object"],
        "x",
    ],
)
def test_a_signed_but_malformed_webhook_is_rejected(event: object) -> None:
    body, headers = _signed(event)  # type: ignore[arg-type]
    with pytest.raises(WebhookRejected) as caught:
        payment_webhook_receive(provider="simulator", body=body, headers=headers)
    assert caught.value.reason == "malformed_body"


def test_a_webhook_without_a_signature_is_rejected() -> None:
    with pytest.raises(WebhookRejected) as caught:
        payment_webhook_receive(provider="simulator", body=b"{}", headers={})
    assert caught.value.reason == "missing_signature"
