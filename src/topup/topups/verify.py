"""Top-up invariants for `topup ledger verify`: each credit posted once, each capture credited,
each refund posted once, within the order's amount, and matching the provider's payment."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Count, F, Q

from topup.ledger.models import Transfer, TransferKind
from topup.payments.gateway import PaymentStatus
from topup.payments.models import Payment
from topup.topups.bulk import topup_bulk_imports_verify
from topup.topups.models import TopupOrder, TopupRefund, TopupRefundStatus, TopupStatus

_CREDITED = (TopupStatus.CREDITED, TopupStatus.REFUNDED)


def _order_problems() -> list[str]:
    problems: list[str] = []
    missing = TopupOrder.objects.filter(status__in=_CREDITED, credit_transfer__isnull=True)
    problems.extend(f"top-up {o.pk}: credited without a posting" for o in missing)
    wrong = TopupOrder.objects.filter(status__in=_CREDITED, credit_transfer__isnull=False).exclude(
        credit_transfer__amount_cents=F("amount_cents"),
        credit_transfer__credit_account=F("sim__paid_account"),
        credit_transfer__reason_code="topup",
    )
    problems.extend(
        f"top-up {o.pk}: its posting does not credit its amount to its line" for o in wrong
    )
    credited_ids = {
        str(pk)
        for pk in TopupOrder.objects.filter(status__in=_CREDITED).values_list(
            "credit_transfer_id", flat=True
        )
    }
    postings = Transfer.objects.filter(reason_code="topup", reverses__isnull=True)
    problems.extend(
        f"transfer {t.pk} ({t.idempotency_key}): a top-up posting no credited order owns"
        for t in postings.only("pk", "idempotency_key")
        if str(t.pk) not in credited_ids
    )
    return problems


def _payment_problems() -> list[str]:
    problems: list[str] = []
    credited = (
        TopupOrder.objects.filter(status__in=_CREDITED)
        .values("payment_provider", "provider_payment_id")
        .annotate(n=Count("pk"))
    )
    credited_count = {(r["payment_provider"], r["provider_payment_id"]): r["n"] for r in credited}
    captured = Payment.objects.filter(
        Q(status=PaymentStatus.CAPTURED) | Q(status=PaymentStatus.REFUNDED)
    ).values_list("provider", "provider_payment_id")
    for provider, provider_payment_id in captured:
        n = credited_count.get((provider, provider_payment_id), 0)
        if n != 1:
            problems.append(
                f"payment {provider}:{provider_payment_id}: captured, credited {n} times (not 1)"
            )
    return problems


_REFUND_REASON = "refund"
_COUNTER_PROVIDER = "counter"  # topups.services.COUNTER_PROVIDER: refunded by a reversal


def _refund_posting_problems(refund: TopupRefund) -> list[str]:
    """A refund's hold and posting: the right state, amount, accounts and reason."""
    name = f"refund {refund.refund_key}"
    resolution = refund.hold.resolutions.first()
    expected_resolution = {
        TopupRefundStatus.RESERVED: None,
        TopupRefundStatus.REFUNDED: TransferKind.POST_PENDING,
        TopupRefundStatus.REFUSED: TransferKind.VOID_PENDING,
    }[TopupRefundStatus(refund.status)]
    if (resolution.kind if resolution else None) != expected_resolution:
        return [
            f"{name}: {refund.status} but its hold is {resolution.kind if resolution else 'open'}"
        ]
    order = refund.order
    hold = refund.hold
    if not (
        hold.amount_cents == refund.amount_cents
        and hold.reason_code == _REFUND_REASON
        and hold.debit_account_id == order.sim.paid_account_id
        and hold.credit_account.code == f"clearing:{order.payment_provider}"
    ):
        return [f"{name}: its hold does not take its amount from its line to its provider"]
    if refund.status == TopupRefundStatus.REFUNDED and (
        resolution is None or refund.transfer_id != resolution.pk
    ):
        return [f"{name}: refunded, but its posting is not the one that settled its hold"]
    return []


def _refund_problems() -> list[str]:
    problems: list[str] = []
    refunds = TopupRefund.objects.select_related("order__sim", "hold__credit_account").order_by(
        "pk"
    )
    refunded_by_order: dict[str, int] = defaultdict(int)
    for refund in refunds:
        problems.extend(_refund_posting_problems(refund))
        if refund.status == TopupRefundStatus.REFUNDED:
            refunded_by_order[str(refund.order_id)] += refund.amount_cents
    orders = TopupOrder.objects.filter(
        Q(pk__in=refunds.values("order_id")) | Q(status=TopupStatus.REFUNDED)
    ).only("pk", "status", "amount_cents", "payment_provider", "credit_transfer_id")
    for order in orders:
        problems.extend(_order_refund_problems(order, refunded_by_order[str(order.pk)]))
    owned = set(TopupRefund.objects.values_list("hold_id", flat=True)) | set(
        TopupRefund.objects.filter(transfer__isnull=False).values_list("transfer_id", flat=True)
    )
    stray = Transfer.objects.filter(reason_code=_REFUND_REASON).exclude(
        kind=TransferKind.VOID_PENDING
    )
    problems.extend(
        f"transfer {t.pk} ({t.idempotency_key}): a refund movement no refund owns"
        for t in stray.only("pk", "idempotency_key").order_by("pk")
        if t.pk not in owned
    )
    return problems


def _order_refund_problems(order: TopupOrder, refunded_cents: int) -> list[str]:
    if refunded_cents > order.amount_cents:
        return [f"top-up {order.pk}: refunded {refunded_cents}, more than its {order.amount_cents}"]
    if order.payment_provider == _COUNTER_PROVIDER:
        reversed_credit = Transfer.objects.filter(reverses_id=order.credit_transfer_id).exists()
        if order.status == TopupStatus.REFUNDED and not reversed_credit:
            return [f"top-up {order.pk}: refunded at the counter without reversing its credit"]
        return []
    fully = refunded_cents == order.amount_cents
    if order.status == TopupStatus.REFUNDED and not fully:
        return [f"top-up {order.pk}: refunded, but its refunds sum to {refunded_cents}"]
    if order.status != TopupStatus.REFUNDED and fully:
        return [f"top-up {order.pk}: refunded in full but still {order.status}"]
    return []


def _refunded_payment_problems() -> list[str]:
    """Each payment the provider says is refunded: its order's refunds add up to it."""
    problems: list[str] = []
    refunded = Payment.objects.filter(status=PaymentStatus.REFUNDED).order_by("pk")
    for payment in refunded.only("provider", "provider_payment_id", "amount_cents"):
        total = sum(
            TopupRefund.objects.filter(
                status=TopupRefundStatus.REFUNDED,
                order__payment_provider=payment.provider,
                order__provider_payment_id=payment.provider_payment_id,
            ).values_list("amount_cents", flat=True)
        )
        if total != payment.amount_cents:
            problems.append(
                f"payment {payment.provider}:{payment.provider_payment_id}: refunded, but "
                f"refunds of {total} are recorded for its {payment.amount_cents}"
            )
    return problems


def topup_verify() -> list[str]:
    return (
        _order_problems()
        + _payment_problems()
        + _refund_problems()
        + _refunded_payment_problems()
        + topup_bulk_imports_verify()
    )
