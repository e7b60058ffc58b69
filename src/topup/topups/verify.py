"""Top-up invariants for `topup ledger verify`: each credit posted once, each capture credited."""

from __future__ import annotations

from django.db.models import Count, F, Q

from topup.ledger.models import Transfer
from topup.payments.gateway import PaymentStatus
from topup.payments.models import Payment
from topup.topups.models import TopupOrder, TopupStatus

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


def topup_verify() -> list[str]:
    return _order_problems() + _payment_problems()
