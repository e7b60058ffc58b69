"""Counter sales: an order paid and credited at once from a shop's account, never sent online."""

from __future__ import annotations

import uuid

import pytest

from tests.topups.conftest import IDENTIFIED_EMPTY, CreateOrder
from topup.audit.services import Actor
from topup.core.errors import InvariantViolation
from topup.ledger.domain import AccountType
from topup.ledger.models import AccountKind
from topup.ledger.services import ledger_account_open
from topup.ledger.verify import ledger_verify
from topup.payments.models import PaymentAttempt
from topup.subscribers.selectors import sim_balance, sim_get_by_msisdn
from topup.topups.models import TopupStatus
from topup.topups.services import TopupRequest, topup_order_create, topup_order_settle_at_counter
from topup.topups.verify import topup_verify

pytestmark = pytest.mark.django_db


def _counter_order(customer: Actor, *, amount_cents: int = 2000) -> uuid.UUID:
    request = TopupRequest(
        msisdn=IDENTIFIED_EMPTY,
        amount_cents=amount_cents,
        currency="EUR",
        payment_method="cash",
        channel="shop",
        idempotency_scope="shop:test",
        idempotency_key=uuid.uuid4().hex,
        requested_by=None,
        language="nl",
        settlement="counter",
    )
    order = topup_order_create(request=request, actor=customer)
    assert order.status == TopupStatus.CREATED  # no online payment was started
    return order.pk


def test_a_cash_sale_is_credited_from_the_drawer_once(demo: None, customer: Actor) -> None:
    drawer = ledger_account_open(
        code="test:drawer",
        name="Drawer",
        kind=AccountKind.SHOP_CASH_DRAWER,
        account_type=AccountType.ASSET,
    )
    order_id = _counter_order(customer)
    assert PaymentAttempt.objects.count() == 0
    for _ in range(2):
        order = topup_order_settle_at_counter(
            order_id=order_id,
            funding=drawer,
            instrument_masked="",
            instrument_hash="",
            actor=customer,
        )
    assert order.status == TopupStatus.CREDITED
    assert [t.to_status for t in order.transitions.all()] == [
        "created",
        "awaiting_payment",
        "paid",
        "credited",
    ]
    drawer.refresh_from_db()
    assert drawer.balance_cents == 2000
    assert sim_balance(sim=sim_get_by_msisdn(msisdn=IDENTIFIED_EMPTY)).paid_cents == 2000
    assert ledger_verify() == [] and topup_verify() == []


def test_an_online_order_cannot_be_settled_at_a_counter(
    create_order: CreateOrder, customer: Actor
) -> None:
    order = create_order()
    drawer = ledger_account_open(
        code="test:drawer",
        name="Drawer",
        kind=AccountKind.SHOP_CASH_DRAWER,
        account_type=AccountType.ASSET,
    )
    with pytest.raises(InvariantViolation):
        topup_order_settle_at_counter(
            order_id=order.pk,
            funding=drawer,
            instrument_masked="",
            instrument_hash="",
            actor=customer,
        )
