"""Background work for top-ups: apply webhook notices, reconcile and expire."""

from __future__ import annotations

from django_tasks import task

from topup.audit.services import Actor
from topup.topups.models import TopupOrder


@task(queue_name="default")
def topup_payment_notice_process(provider: str, provider_payment_id: str) -> str:
    from topup.topups.services import topup_order_reconcile

    order = TopupOrder.objects.filter(
        payment_provider=provider, provider_payment_id=provider_payment_id
    ).first()
    if order is None:
        return "unknown payment"
    order = topup_order_reconcile(
        order=order, actor=Actor(actor_type="provider", actor_id=provider)
    )
    return order.status


@task(queue_name="default")
def topup_sweep() -> dict[str, int]:
    from topup.topups.services import topup_orders_sweep

    report = topup_orders_sweep()
    return {"reconciled": report.reconciled, "expired": report.expired}
