"""Webhooks from the simulator, delivered by the real worker over real HTTP to a merchant."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from pytest_django.fixtures import Settings

from tests.payments.conftest import CreatePayment
from tests.payments.urls import ReceiverState
from topup.core.worker import worker_drain
from topup.payments.gateway import PaymentSession, PaymentStatus
from topup.payments.models import SimulatorPayment, SimulatorWebhookDelivery, WebhookEvent
from topup.payments.services import payment_state_fetch
from topup.payments.simulator.webhooks import MAX_ATTEMPTS, webhook_retry_delay_s

live = pytest.mark.django_db(transaction=True)
PayWithCard = Callable[[PaymentSession, str], SimulatorPayment]
WebhookMode = Callable[..., None]


def _queued_delivery_tasks() -> list[DBTaskResult]:
    return list(
        DBTaskResult.objects.filter(task_path__endswith="simulator_webhook_deliver_task").ready()
    )


def _pending_tasks_run_after(path_suffix: str) -> list[dt.datetime]:
    tasks = DBTaskResult.objects.filter(status="READY", task_path__endswith=path_suffix)
    return [task.run_after for task in tasks]


def _make_due_now() -> None:
    """Time passes: every waiting task becomes ready."""
    DBTaskResult.objects.filter(status="READY").update(
        run_after=timezone.now() - dt.timedelta(seconds=1)
    )


@live
def test_a_captured_payment_is_announced_by_a_signed_webhook(
    merchant: ReceiverState, create_payment: CreatePayment, pay_with_card: PayWithCard
) -> None:
    session = create_payment(webhook_url=merchant.url)
    pay_with_card(session, "4242424242424242")

    assert worker_drain() == 1

    assert merchant.statuses() == ["captured"]
    assert merchant.received[0].notice is not None
    assert merchant.received[0].notice.provider_payment_id == session.provider_payment_id
    delivery = SimulatorWebhookDelivery.objects.get()
    assert delivery.attempts == 1 and delivery.delivered_at is not None
    assert WebhookEvent.objects.get().event_id == delivery.event_id


@live
def test_a_failing_merchant_is_retried_with_backoff_until_it_answers(
    merchant: ReceiverState,
    create_payment: CreatePayment,
    pay_with_card: PayWithCard,
) -> None:
    session = create_payment(webhook_url=merchant.url)
    merchant.fail_next = 2
    pay_with_card(session, "4000000000000002")

    assert worker_drain() == 1  # the retry waits for its backoff
    delivery = SimulatorWebhookDelivery.objects.get()
    assert (delivery.attempts, delivery.last_error, delivery.delivered_at) == (1, "HTTP 500", None)
    (retry_at,) = _pending_tasks_run_after("simulator_webhook_deliver_task")
    waited_s = (retry_at - timezone.now()).total_seconds()
    assert webhook_retry_delay_s(attempts=1) - 2 < waited_s <= webhook_retry_delay_s(attempts=1)
    assert delivery.next_attempt_at == retry_at

    _make_due_now()
    assert worker_drain() == 1
    _make_due_now()
    assert worker_drain() == 1

    delivery.refresh_from_db()
    assert delivery.attempts == 3 and delivery.delivered_at is not None
    assert merchant.answered_500 == 2
    assert merchant.statuses() == ["failed"]


@live
def test_delivery_gives_up_after_eight_attempts(
    merchant: ReceiverState,
    create_payment: CreatePayment,
    pay_with_card: PayWithCard,
    settings: Settings,
) -> None:
    settings.TOPUP_SIMULATOR_WEBHOOK_RETRY_BASE_S = 0  # no waiting between attempts
    session = create_payment(webhook_url=merchant.url)
    merchant.fail_next = 100
    pay_with_card(session, "4242424242424242")

    assert worker_drain() == MAX_ATTEMPTS == 8

    delivery = SimulatorWebhookDelivery.objects.get()
    assert delivery.attempts == 8 and delivery.gave_up_at is not None
    assert delivery.delivered_at is None
    assert merchant.answered_500 == 8
    assert _queued_delivery_tasks() == []


def test_the_backoff_doubles_and_is_capped() -> None:
    delays = [webhook_retry_delay_s(attempts=n) for n in range(1, 8)]
    assert delays == [5, 10, 20, 40, 80, 160, 320]
    assert webhook_retry_delay_s(attempts=30) == 3600


@live
def test_twice_mode_delivers_the_same_event_twice_and_the_platform_keeps_one(
    merchant: ReceiverState,
    create_payment: CreatePayment,
    pay_with_card: PayWithCard,
    webhook_mode: WebhookMode,
) -> None:
    webhook_mode("twice")
    session = create_payment(webhook_url=merchant.url)
    pay_with_card(session, "4242424242424242")

    assert worker_drain() == 2

    first, second = merchant.received
    assert first.event_id == second.event_id
    assert first.notice is not None and second.notice is None
    assert WebhookEvent.objects.count() == 1


@live
def test_late_mode_holds_webhooks_back(
    merchant: ReceiverState,
    create_payment: CreatePayment,
    pay_with_card: PayWithCard,
    webhook_mode: WebhookMode,
) -> None:
    webhook_mode("late", late_delay_s=120)
    session = create_payment(webhook_url=merchant.url)
    pay_with_card(session, "4242424242424242")

    assert worker_drain() == 0
    assert merchant.received == []
    (run_after,) = _pending_tasks_run_after("simulator_webhook_deliver_task")
    assert 115 < (run_after - timezone.now()).total_seconds() <= 120

    _make_due_now()
    assert worker_drain() == 1
    assert merchant.statuses() == ["captured"]


@live
def test_out_of_order_mode_sends_a_stale_pending_event_after_the_final_one(
    merchant: ReceiverState,
    create_payment: CreatePayment,
    pay_with_card: PayWithCard,
    webhook_mode: WebhookMode,
) -> None:
    webhook_mode("out_of_order")
    session = create_payment(webhook_url=merchant.url)
    pay_with_card(session, "4242424242424242")

    assert worker_drain() == 2

    assert merchant.statuses() == ["captured", "pending"]
    assert len({item.event_id for item in merchant.received}) == 2
    # The status query still tells the truth whatever arrived last.
    state = payment_state_fetch(
        provider="simulator", provider_payment_id=session.provider_payment_id
    )
    assert state.status == PaymentStatus.CAPTURED


@live
def test_never_mode_sends_nothing_and_the_status_query_reconciles(
    merchant: ReceiverState,
    create_payment: CreatePayment,
    pay_with_card: PayWithCard,
    webhook_mode: WebhookMode,
) -> None:
    webhook_mode("never")
    session = create_payment(webhook_url=merchant.url)
    pay_with_card(session, "4242424242424242")

    assert worker_drain() == 0
    assert merchant.received == []
    assert not SimulatorWebhookDelivery.objects.exists()
    state = payment_state_fetch(
        provider="simulator", provider_payment_id=session.provider_payment_id
    )
    assert state.status == PaymentStatus.CAPTURED


@live
def test_the_processing_card_stays_pending_then_the_worker_captures_it(
    merchant: ReceiverState,
    create_payment: CreatePayment,
    pay_with_card: PayWithCard,
) -> None:
    session = create_payment(webhook_url=merchant.url)
    payment = pay_with_card(session, "4000000000000119")

    assert payment.status == PaymentStatus.PENDING
    assert worker_drain() == 0  # resolves after 20 s by default
    (resolve_at,) = _pending_tasks_run_after("simulator_payment_resolve_task")
    assert resolve_at == payment.resolve_after
    assert 15 < (resolve_at - timezone.now()).total_seconds() <= 20
    state = payment_state_fetch(provider="simulator", provider_payment_id=payment.id)
    assert state.status == PaymentStatus.PENDING

    SimulatorPayment.objects.filter(id=payment.id).update(
        resolve_after=timezone.now() - dt.timedelta(seconds=1)
    )
    _make_due_now()
    assert worker_drain() == 2  # the resolution, then its webhook

    assert merchant.statuses() == ["captured"]
    state = payment_state_fetch(provider="simulator", provider_payment_id=payment.id)
    assert state.status == PaymentStatus.CAPTURED


@pytest.mark.django_db
def test_with_no_resolve_delay_the_next_worker_run_captures_the_pending_payment(
    create_payment: CreatePayment,
    pay_with_card: PayWithCard,
    webhook_mode: WebhookMode,
    settings: Settings,
) -> None:
    settings.TOPUP_SIMULATOR_PENDING_RESOLVE_S = 0
    webhook_mode("never")
    payment = pay_with_card(create_payment(), "4000000000000119")
    assert payment.status == PaymentStatus.PENDING

    assert worker_drain() == 1

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CAPTURED


@pytest.mark.django_db
def test_a_resolve_task_that_runs_early_waits_for_its_time(
    create_payment: CreatePayment, pay_with_card: PayWithCard, webhook_mode: WebhookMode
) -> None:
    webhook_mode("never")
    payment = pay_with_card(create_payment(), "4000000000000119")
    _make_due_now()  # the task runs, but the payment's own time has not come

    assert worker_drain() == 1

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert _pending_tasks_run_after("simulator_payment_resolve_task") == [payment.resolve_after]
