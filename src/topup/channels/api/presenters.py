"""Domain objects turned into the API's response bodies."""

from __future__ import annotations

from topup.channels.api.schemas import MoneyOut, PaymentOut, TopupOut
from topup.topups import state
from topup.topups.models import TopupOrder

_PAYMENT_OPEN = frozenset({state.CREATED, state.AWAITING_PAYMENT})


def msisdn_masked(msisdn: str) -> str:
    """`+32470••••01`: enough to recognise one's own number, not to learn someone else's."""
    if len(msisdn) <= 8:
        return "•" * len(msisdn)
    return msisdn[:6] + "•" * (len(msisdn) - 8) + msisdn[-2:]


def topup_out(order: TopupOrder, *, show_msisdn: bool) -> TopupOut:
    msisdn = order.sim.msisdn
    return TopupOut(
        id=order.id,
        status=order.status,
        failure_reason=order.failure_reason or None,
        msisdn=msisdn if show_msisdn else msisdn_masked(msisdn),
        amount=MoneyOut.of(order.amount_cents, order.currency),
        channel=order.channel,
        payment=PaymentOut(
            method=order.payment_method,
            redirect_url=(
                order.payment_redirect_url
                if order.status in _PAYMENT_OPEN and order.payment_redirect_url
                else None
            ),
        ),
        receipt_number=order.receipt_number,
        created_at=order.created_at,
        updated_at=order.updated_at,
        expires_at=order.expires_at,
        credited_at=order.credited_at,
    )
