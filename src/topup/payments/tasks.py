"""Background work of the payment simulator: webhook delivery with retries, pending resolution."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import structlog
from django.db import transaction
from django_tasks import task

from topup.core import clock
from topup.core.errors import JsonValue
from topup.payments.simulator.models import SimulatorWebhookDelivery
from topup.payments.simulator.webhooks import (
    MAX_ATTEMPTS,
    MAX_ERROR_CHARS,
    webhook_event_body,
    webhook_post,
    webhook_retry_delay_s,
)

logger = structlog.get_logger(__name__)


@dataclass(frozen=True)
class _Claimed:
    url: str
    payload: dict[str, JsonValue]
    attempt: int


@task(queue_name="webhooks")
def simulator_webhook_deliver_task(delivery_id: int) -> None:
    claimed = _attempt_claim(delivery_id=delivery_id)
    if claimed is None:
        return  # delivered or given up: a duplicate task must not send again
    # The HTTP call runs outside any transaction: no lock is held while the network is slow.
    error = webhook_post(url=claimed.url, body=webhook_event_body(claimed.payload))
    _attempt_record(delivery_id=delivery_id, attempt=claimed.attempt, error=error)


@task(queue_name="default")
def simulator_payment_resolve_task(payment_id: str) -> None:
    # Imported here because the simulator's services enqueue this very task.
    from topup.payments.simulator.services import simulator_payment_resolve_pending

    simulator_payment_resolve_pending(payment_id=payment_id)


def _attempt_claim(*, delivery_id: int) -> _Claimed | None:
    with transaction.atomic():
        delivery = (
            SimulatorWebhookDelivery.objects.select_for_update()
            .select_related("payment")
            .get(pk=delivery_id)
        )
        finished = delivery.delivered_at is not None or delivery.gave_up_at is not None
        if finished or delivery.attempts >= MAX_ATTEMPTS:
            return None
        delivery.attempts += 1
        delivery.save(update_fields=["attempts"])
    return _Claimed(
        url=delivery.payment.webhook_url, payload=delivery.payload, attempt=delivery.attempts
    )


def _attempt_record(*, delivery_id: int, attempt: int, error: str) -> None:
    now = clock.now()
    with transaction.atomic():
        delivery = SimulatorWebhookDelivery.objects.select_for_update().get(pk=delivery_id)
        delivery.last_error = error[:MAX_ERROR_CHARS]
        delivery.next_attempt_at = None
        if not error:
            delivery.delivered_at = now
        elif attempt >= MAX_ATTEMPTS:
            delivery.gave_up_at = now
        else:
            retry_at = now + dt.timedelta(seconds=webhook_retry_delay_s(attempts=attempt))
            delivery.next_attempt_at = retry_at
            simulator_webhook_deliver_task.using(run_after=retry_at).enqueue(
                delivery_id=delivery_id
            )
        delivery.save()
    logger.info(
        "simulator.webhook_attempt",
        delivery_id=delivery_id,
        event_id=delivery.event_id,
        attempt=attempt,
        outcome="delivered" if not error else "failed",
        error=error,
    )
    if delivery.gave_up_at is not None:
        logger.error("simulator.webhook_gave_up", delivery_id=delivery_id, attempts=attempt)
