"""What must hold after a fault run, checked over the whole database (Django side, in a probe).

Money: every payment the provider captured is credited exactly once, no credit exists without a
captured payment (online) or a counter sale, the ledger verifier is clean, refunds at the
provider and in the ledger match one to one. Progress: no order waits for its payment once
reconciliation has run, no task is left running by a dead worker, no SMS is stuck in the queue.
Nothing half-done: each order's status is the one its last transition wrote, and each credit
queued exactly one receipt SMS. Nothing lost: every answer the load generator was given (an
order created, a payment made, a refund or a void done) is still true.
"""

from __future__ import annotations

from collections import Counter
from typing import Final

from django.db.models import Count, Max
from django_tasks_db.models import DBTaskResult

from topup.disputes.models import Dispute, DisputeStatus
from topup.ledger.models import Transfer
from topup.ledger.verify import ledger_verify
from topup.messaging.models import SmsMessage, SmsPurpose, SmsStatus
from topup.payments.models import SimulatorPayment, SimulatorRefund
from topup.shops.models import CounterSale, CounterVoid
from topup.topups.models import TopupOrder, TopupRefund, TopupRefundStatus, TopupTransition
from topup.topups.verify import topup_verify

CAPTURED: Final = ("captured", "refunded")
CREDITED: Final = ("credited", "refunded")
OPEN: Final = ("created", "awaiting_payment", "paid")
# Cards of the simulator whose payment ends captured (the last one after a processing delay).
CAPTURING_CARDS: Final = ("4242424242424242", "4000000000000119", "approve")


def _capture_problems() -> tuple[list[str], dict[str, int]]:
    problems: list[str] = []
    captured = list(
        SimulatorPayment.objects.filter(status__in=CAPTURED).values_list("id", flat=True)
    )
    orders_by_payment: dict[str, list[TopupOrder]] = {}
    for order in TopupOrder.objects.filter(payment_provider="simulator").exclude(
        provider_payment_id=""
    ):
        orders_by_payment.setdefault(order.provider_payment_id, []).append(order)
    credit_keys = Counter(
        Transfer.objects.filter(reason_code="topup", reverses__isnull=True).values_list(
            "idempotency_key", flat=True
        )
    )
    credited = 0
    for payment_id in captured:
        orders = orders_by_payment.get(payment_id, [])
        postings = sum(credit_keys[f"topup:{order.pk}:credit"] for order in orders)
        in_credited_state = sum(1 for order in orders if order.status in CREDITED)
        if postings != 1 or in_credited_state != 1:
            problems.append(
                f"payment {payment_id}: captured, {postings} credit posting(s), "
                f"{in_credited_state} credited order(s) (must be 1 and 1)"
            )
        credited += min(postings, 1)
    captured_ids = set(captured)
    online_credited = TopupOrder.objects.filter(status__in=CREDITED, payment_provider="simulator")
    for order in online_credited:
        if order.provider_payment_id not in captured_ids:
            problems.append(f"top-up {order.pk}: credited without a captured payment")
    counter_credited = TopupOrder.objects.filter(status__in=CREDITED).exclude(
        payment_provider="simulator"
    )
    sales = set(CounterSale.objects.values_list("order_id", flat=True))
    for order in counter_credited:
        if order.pk not in sales:
            problems.append(f"top-up {order.pk}: credited at a counter with no counter sale")
    figures = {
        "payments_captured": len(captured),
        "payments_credited": credited,
        "orders_credited_online": online_credited.count(),
        "orders_credited_counter": counter_credited.count(),
    }
    return problems, figures


def _refund_problems() -> list[str]:
    problems: list[str] = []
    by_key = {r.refund_key: r for r in TopupRefund.objects.all()}
    provider_refunds = SimulatorRefund.objects.filter(status="succeeded")
    provider_keys = set()
    for refund in provider_refunds:
        key = refund.idempotency_key.removesuffix(":refund")
        provider_keys.add(key)
        ours = by_key.get(key)
        if ours is None or ours.status != TopupRefundStatus.REFUNDED:
            state = ours.status if ours else "missing"
            problems.append(f"provider refund {refund.id} ({key}): ours is {state}")
    for key, ours in by_key.items():
        if ours.status == TopupRefundStatus.REFUNDED and key not in provider_keys:
            problems.append(f"refund {key}: refunded by us, unknown to the provider")
        if ours.status == TopupRefundStatus.RESERVED:
            problems.append(f"refund {key}: still reserved (credit held, never settled)")
    return problems


def _progress_problems() -> list[str]:
    problems = [
        f"top-up {pk}: still {status} after reconciliation"
        for pk, status in TopupOrder.objects.filter(status__in=OPEN).values_list("pk", "status")
    ]
    running = DBTaskResult.objects.filter(status="RUNNING")
    problems.extend(
        f"task {t.task_path} {t.pk}: left running by worker(s) {t.worker_ids}" for t in running
    )
    stuck = SmsMessage.objects.filter(status=SmsStatus.QUEUED)
    problems.extend(
        f"sms {s.pk} ({s.purpose}): still queued after {s.attempts} attempt(s)" for s in stuck
    )
    return problems


def _half_done_problems() -> list[str]:
    problems: list[str] = []
    last = TopupTransition.objects.values("order_id").annotate(last_id=Max("id"))
    last_status = dict(
        TopupTransition.objects.filter(id__in=[row["last_id"] for row in last]).values_list(
            "order_id", "to_status"
        )
    )
    for pk, status in TopupOrder.objects.values_list("pk", "status"):
        if last_status.get(pk) != status:
            problems.append(
                f"top-up {pk}: {status}, but its last transition says {last_status.get(pk)}"
            )
    credits = TopupOrder.objects.filter(credit_transfer__isnull=False).count()
    receipts = SmsMessage.objects.filter(purpose=SmsPurpose.RECEIPT).count()
    if receipts != credits:
        problems.append(f"{credits} credit(s) posted but {receipts} receipt SMS queued")
    return problems


def _ack_problems(acks: dict[str, object]) -> list[str]:
    """What the load generator was told is still true."""
    problems: list[str] = []
    orders = acks.get("orders", {})
    assert isinstance(orders, dict)
    known = {str(pk): o for pk, o in TopupOrder.objects.in_bulk(list(orders)).items()}
    for order_id, seen in orders.items():
        order = known.get(order_id)
        if order is None:
            problems.append(f"top-up {order_id}: acknowledged to the client, then lost")
            continue
        paid_with = seen.get("paid_with", "") if isinstance(seen, dict) else ""
        if not paid_with and order.status not in ("expired", "failed", *CREDITED):
            problems.append(f"top-up {order_id}: never paid, ends {order.status}")
        elif paid_with in CAPTURING_CARDS and order.status not in CREDITED:
            problems.append(f"top-up {order_id}: paid with {paid_with}, ends {order.status}")
        elif paid_with and paid_with not in CAPTURING_CARDS and order.status != "failed":
            problems.append(f"top-up {order_id}: refused payment, ends {order.status}")
    resolved = acks.get("disputes_resolved", [])
    assert isinstance(resolved, list)
    for dispute in Dispute.objects.filter(pk__in=resolved).exclude(status=DisputeStatus.RESOLVED):
        problems.append(f"dispute {dispute.pk}: resolved for the client, now {dispute.status}")
    missing = set(resolved) - set(
        Dispute.objects.filter(pk__in=resolved).values_list("pk", flat=True)
    )
    problems.extend(f"dispute {pk}: resolved for the client, then lost" for pk in sorted(missing))
    voided = acks.get("voids_approved", [])
    assert isinstance(voided, list)
    for order in TopupOrder.objects.filter(pk__in=voided).exclude(status="refunded"):
        problems.append(f"top-up {order.pk}: voided for the client, now {order.status}")
    return problems


def _figures() -> dict[str, object]:
    return {
        "orders_by_status": dict(
            TopupOrder.objects.values_list("status").annotate(n=Count("pk")).order_by("status")
        ),
        "refunds_by_status": dict(
            TopupRefund.objects.values_list("status").annotate(n=Count("pk")).order_by("status")
        ),
        "voids_by_status": dict(
            CounterVoid.objects.values_list("status").annotate(n=Count("pk")).order_by("status")
        ),
        "disputes_by_status": dict(
            Dispute.objects.values_list("status").annotate(n=Count("pk")).order_by("status")
        ),
        "tasks_by_status": dict(
            DBTaskResult.objects.values_list("status").annotate(n=Count("pk")).order_by("status")
        ),
        "tasks_failed": dict(
            DBTaskResult.objects.filter(status="FAILED")
            .values_list("exception_class_path")
            .annotate(n=Count("pk"))
            .order_by("exception_class_path")
        ),
        "sms_by_status": dict(
            SmsMessage.objects.values_list("status").annotate(n=Count("pk")).order_by("status")
        ),
    }


def invariants_check(*, acks: dict[str, object]) -> dict[str, object]:
    capture_problems, figures = _capture_problems()
    violations = (
        [f"ledger: {p}" for p in ledger_verify() + topup_verify()]
        + capture_problems
        + _refund_problems()
        + _progress_problems()
        + _half_done_problems()
        + _ack_problems(acks)
    )
    return {**figures, **_figures(), "violations": violations}
