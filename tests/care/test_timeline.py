"""The timeline of one order: transitions, provider calls, webhooks, ledger and SMS, in order."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.conf import settings
from django.test import Client
from pytest_django.fixtures import Settings

from tests.support import FakeClock
from tests.topups.conftest import IDENTIFIED, CreateOrder, Pay
from topup.audit.services import Actor
from topup.core import clock as platform_clock
from topup.ledger.services import ledger_reverse
from topup.ledger.verify import ledger_verify
from topup.payments.simulator.services import simulator_settings_update
from topup.payments.simulator.signature import SIGNATURE_HEADER, signature_header_build
from topup.payments.simulator.webhooks import EVENT_TYPE, webhook_event_body
from topup.topups.models import TopupOrder, TopupStatus
from topup.topups.selectors import TimelineEvent, topup_order_timeline
from topup.topups.services import topup_order_reconcile, topup_receipt_resend

pytestmark = pytest.mark.django_db

SUCCEEDS = "4242424242424242"
DECLINED = "4000000000000002"
WEBHOOK = "/api/v1/payments/webhooks/simulator"


@pytest.fixture(autouse=True)
def webhooks_by_hand(demo: None, settings: Settings) -> None:
    simulator_settings_update(webhook_mode="never")  # the tests deliver the webhook themselves


def _deliver_webhook(client: Client, order: TopupOrder, *, event_id: str) -> None:
    body = webhook_event_body(
        {"id": event_id, "type": EVENT_TYPE, "data": {"payment_id": order.provider_payment_id}}
    )
    header = signature_header_build(
        secret=settings.TOPUP_SIMULATOR_WEBHOOK_SECRET,
        body=body,
        timestamp=int(platform_clock.now().timestamp()),
    )
    response = client.post(
        WEBHOOK, data=body, content_type="application/json", headers={SIGNATURE_HEADER: header}
    )
    assert response.status_code == 200, response.content


def _kinds(events: list[TimelineEvent]) -> list[str]:
    return [event.kind for event in events]


@pytest.fixture
def paid_by_webhook(
    clock: FakeClock,
    create_order: CreateOrder,
    pay: Pay,
    client: Client,
    drain_worker: Callable[..., int],
) -> TopupOrder:
    """Created, paid on the provider's page, announced by a webhook, credited by the worker —
    each step a second after the one before."""
    order = create_order(msisdn=IDENTIFIED, amount_cents=1000)
    clock.advance(seconds=1)
    pay(order, SUCCEEDS)
    clock.advance(seconds=1)
    _deliver_webhook(client, order, event_id="sim_evt_care_1")
    clock.advance(seconds=1)
    drain_worker()
    order.refresh_from_db()
    assert order.status == TopupStatus.CREDITED
    return order


def test_a_credited_order_tells_its_whole_story_in_order(paid_by_webhook: TopupOrder) -> None:
    events = topup_order_timeline(order=paid_by_webhook)

    assert [event.at for event in events] == sorted(event.at for event in events)
    transitions = [event.summary for event in events if event.kind == "transition"]
    assert transitions == [
        "∅ → created",
        "created → awaiting_payment",
        "awaiting_payment → paid",
        "paid → credited",
    ]
    created_at = events[0].at
    webhook = next(event for event in events if event.kind == "webhook")
    assert webhook.actor == "provider:simulator"
    assert "sim_evt_care_1" in webhook.summary
    assert (webhook.at - created_at).total_seconds() == 2
    calls = [event for event in events if event.kind == "payment_call"]
    assert [call.cause for call in calls] == ["pending", "captured"]
    assert [(call.at - created_at).total_seconds() for call in calls] == [0, 3]
    (credit,) = [event for event in events if event.kind == "ledger"]
    assert credit.cause.startswith("topup")
    (sms,) = [event for event in events if event.kind == "sms"]
    assert (sms.at - created_at).total_seconds() == 3
    assert set(_kinds(events)) == {"transition", "payment_call", "webhook", "ledger", "sms"}


def test_a_reversed_credit_and_a_resent_receipt_join_the_timeline(
    paid_by_webhook: TopupOrder, clock: FakeClock
) -> None:
    staff = Actor(actor_type="staff", actor_id="41")
    clock.advance(seconds=60)
    assert paid_by_webhook.credit_transfer is not None
    ledger_reverse(
        transfer=paid_by_webhook.credit_transfer,
        idempotency_key=f"care-test:{paid_by_webhook.pk}:reverse",
        reason_code="refund",
        actor=staff,
    )
    clock.advance(seconds=60)
    topup_receipt_resend(order=paid_by_webhook, actor=staff)

    events = topup_order_timeline(order=paid_by_webhook)

    assert _kinds(events)[-2:] == ["ledger", "sms"]
    reversal = events[-2]
    assert (reversal.actor, reversal.cause) == ("staff:41", "refund")
    assert len([event for event in events if event.kind == "sms"]) == 2
    assert ledger_verify() == []


def test_a_declined_payment_shows_the_providers_answer_and_no_money(
    create_order: CreateOrder, pay: Pay
) -> None:
    order = create_order(msisdn=IDENTIFIED)
    pay(order, DECLINED)
    order = topup_order_reconcile(order=order, actor=Actor.system("tests"))

    events = topup_order_timeline(order=order)

    assert "ledger" not in _kinds(events) and "sms" not in _kinds(events)
    assert events[-1].kind == "transition"
    assert events[-1].summary == "awaiting_payment → failed"
    assert events[-1].cause == "payment failed: card_declined"
    assert [e.cause for e in events if e.kind == "payment_call"][-1] == "failed"


def test_one_orders_timeline_holds_nothing_of_another_order_of_the_same_line(
    create_order: CreateOrder, pay: Pay
) -> None:
    orders = []
    for _ in range(2):
        order = create_order(msisdn=IDENTIFIED)
        pay(order, SUCCEEDS)
        orders.append(topup_order_reconcile(order=order, actor=Actor.system("tests")))

    first, second = (topup_order_timeline(order=order) for order in orders)

    assert _kinds(first).count("sms") == 1 and _kinds(second).count("sms") == 1
    assert _kinds(first).count("ledger") == 1 and _kinds(second).count("ledger") == 1
    assert not {(e.at, e.kind, e.summary) for e in first} & {
        (e.at, e.kind, e.summary) for e in second if e.kind in ("ledger", "sms", "payment_call")
    }
