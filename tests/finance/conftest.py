"""Fixtures for finance: the demo data, credited top-ups, their refunds, and report files."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import pytest

from tests.topups.conftest import (  # noqa: F401 - fixtures
    IDENTIFIED_EMPTY,
    CreateOrder,
    Pay,
    create_order,
    customer,
    demo,
    pay,
)
from topup.audit.services import Actor
from topup.finance.selectors import finance_today
from topup.topups.models import TopupOrder, TopupRefund, TopupStatus
from topup.topups.services import (
    topup_order_reconcile,
    topup_order_refund_execute,
    topup_order_refund_reserve,
)

SUCCEEDS = "4242424242424242"
HEADER = "provider_payment_id,type,amount_cents,fee_cents,currency,settled_on"
FINANCE = Actor(actor_type="staff", actor_id="41", ip_address="192.0.2.41")


class Credited(Protocol):
    def __call__(
        self, amount_cents: int = 1000, *, msisdn: str = IDENTIFIED_EMPTY
    ) -> TopupOrder: ...


Refund = Callable[[TopupOrder, int, str], TopupRefund]
Line = tuple[str, str, int, int]  # provider_payment_id, type, amount_cents, fee_cents


@pytest.fixture
def credited(create_order: CreateOrder, pay: Pay) -> Credited:  # noqa: F811 - fixtures
    """A top-up paid on the simulator's page and credited (the provider captured it)."""

    def make(amount_cents: int = 1000, *, msisdn: str = IDENTIFIED_EMPTY) -> TopupOrder:
        order = create_order(msisdn=msisdn, amount_cents=amount_cents)
        pay(order, SUCCEEDS)
        order = topup_order_reconcile(order=order, actor=Actor.system("tests"))
        assert order.status == TopupStatus.CREDITED
        return order

    return make


@pytest.fixture
def refund() -> Refund:
    """A refund of (part of) a credited top-up, confirmed by the simulator and posted."""

    def make(order: TopupOrder, amount_cents: int, key: str) -> TopupRefund:
        reserved = topup_order_refund_reserve(
            order_id=order.pk, amount_cents=amount_cents, refund_key=key, actor=FINANCE
        )
        return topup_order_refund_execute(refund=reserved, actor=FINANCE)

    return make


def report_csv(lines: Sequence[Line], *, day: str | None = None, separator: str = ",") -> bytes:
    """A settlement report with these lines, all settled on `day` (today by default)."""
    settled_on = day or finance_today().isoformat()
    rows = [HEADER.replace(",", separator)]
    rows.extend(
        separator.join([payment_id, line_type, str(amount), str(fee), "EUR", settled_on])
        for payment_id, line_type, amount, fee in lines
    )
    return ("\n".join(rows) + "\n").encode("utf-8")
