"""Reads of the catalog: what a channel offers and which limits apply."""

from __future__ import annotations

from django.db.models import Q

from topup.catalog.models import (
    Brand,
    Channel,
    Denomination,
    Limit,
    Operator,
    PaymentMethod,
    Plan,
)


def channel_get(*, code: str) -> Channel | None:
    return Channel.objects.filter(code=code).first()


def channel_payment_methods(*, channel: Channel) -> list[PaymentMethod]:
    return list(
        PaymentMethod.objects.filter(
            channelpaymentmethod__channel=channel, channelpaymentmethod__enabled=True
        ).order_by("channelpaymentmethod__sort_order", "id")
    )


def channel_denominations_cents(*, channel: Channel) -> list[int]:
    return list(
        Denomination.objects.filter(channel=channel)
        .order_by("sort_order", "amount_cents")
        .values_list("amount_cents", flat=True)
    )


def limits_for_channel(*, channel: Channel) -> list[Limit]:
    """Channel-specific limits and the ones that apply to every channel."""
    return list(Limit.objects.filter(Q(channel=channel) | Q(channel__isnull=True)))


def operator_get() -> Operator:
    operator = Operator.objects.order_by("id").first()
    if operator is None:
        raise LookupError("no operator configured: load the catalog first")
    return operator


def brand_for_operator(*, operator: Operator) -> Brand | None:
    return Brand.objects.filter(operator=operator).order_by("id").first()


MAX_PLANS = 100


def plans_active(*, operator: Operator) -> list[Plan]:
    """The operator's plans on sale, cheapest first (bounded: a catalogue, not a table scan)."""
    return list(
        Plan.objects.filter(active=True, brand__operator=operator).order_by("price_cents", "name")[
            :MAX_PLANS
        ]
    )
