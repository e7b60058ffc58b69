"""Voiding a counter sale: asked by the agent, executed by another manager of the same shop."""

from __future__ import annotations

import pytest

from tests.shops.conftest import IDENTIFIED, IDENTIFIED_EMPTY, books_balance, key, staff
from tests.support import FakeClock
from topup.audit.services import Actor
from topup.core.errors import NotFound
from topup.ledger.models import Transfer
from topup.ledger.services import ledger_system_account, ledger_transfer
from topup.shops.errors import (
    CreditAlreadySpent,
    OtherShop,
    VoidApprovalNotAllowed,
    VoidNotPossible,
    VoidWindowClosed,
)
from topup.shops.models import StaffMembership, StaffRole, VoidStatus
from topup.shops.selectors import shop_balance_cents, shop_voids_pending
from topup.shops.services import (
    VOID_WINDOW_S,
    shop_topup_cash,
    shop_void_approve,
    shop_void_refuse,
    shop_void_request,
)
from topup.subscribers.selectors import sim_balance, sim_get_by_msisdn
from topup.topups.models import TopupOrder

pytestmark = pytest.mark.django_db


def paid_cents(msisdn: str) -> int:
    return sim_balance(sim=sim_get_by_msisdn(msisdn=msisdn)).paid_cents


def sold(membership: StaffMembership, amount_cents: int = 2000) -> TopupOrder:
    return shop_topup_cash(
        membership=membership,
        msisdn=IDENTIFIED_EMPTY,
        amount_cents=amount_cents,
        idempotency_key=key(),
    )


def test_a_manager_executes_the_agents_void(
    agent: StaffMembership, manager: StaffMembership, clock: FakeClock
) -> None:
    order = sold(agent)
    clock.advance(seconds=60)
    void = shop_void_request(membership=agent, order_id=order.pk, reason="wrong number typed")
    assert void.status == VoidStatus.REQUESTED
    assert shop_voids_pending(membership=manager) == [void]
    assert paid_cents(IDENTIFIED_EMPTY) == 2000  # nothing moves before the approval
    void = shop_void_approve(membership=manager, void_id=void.pk)
    assert void.status == VoidStatus.EXECUTED
    assert void.approved_by_id == manager.user_id
    assert void.reversal_transfer is not None
    assert void.reversal_transfer.reverses_id == TopupOrder.objects.get().credit_transfer_id
    assert TopupOrder.objects.get().status == "refunded"
    assert paid_cents(IDENTIFIED_EMPTY) == 0
    assert shop_balance_cents(shop=agent.shop) == 0  # the cash went back to the customer
    assert shop_void_approve(membership=manager, void_id=void.pk).pk == void.pk  # once
    assert Transfer.objects.filter(reverses__isnull=False).count() == 1
    assert shop_voids_pending(membership=manager) == []
    books_balance()


def test_an_agent_cannot_approve_a_void(agent: StaffMembership, manager: StaffMembership) -> None:
    order = sold(manager)
    void = shop_void_request(membership=manager, order_id=order.pk, reason="customer changed mind")
    with pytest.raises(VoidApprovalNotAllowed) as caught:
        shop_void_approve(membership=agent, void_id=void.pk)
    assert caught.value.http_status == 403
    assert paid_cents(IDENTIFIED_EMPTY) == 2000
    books_balance()


def test_a_manager_cannot_approve_their_own_void(manager: StaffMembership) -> None:
    order = sold(manager)
    void = shop_void_request(membership=manager, order_id=order.pk, reason="double sale")
    with pytest.raises(VoidApprovalNotAllowed):
        shop_void_approve(membership=manager, void_id=void.pk)
    colleague = staff("manager2.brussels", shop=manager.shop, role=StaffRole.SHOP_MANAGER)
    assert shop_void_approve(membership=colleague, void_id=void.pk).status == "executed"
    books_balance()


def test_a_partner_void_reverses_the_commission_and_a_partner_cannot_approve(
    partner: StaffMembership,
) -> None:
    order = sold(partner, amount_cents=1050)
    assert shop_balance_cents(shop=partner.shop) == 50_000 - 1050 + 32
    void = shop_void_request(membership=partner, order_id=order.pk, reason="wrong amount")
    with pytest.raises(VoidApprovalNotAllowed):
        shop_void_approve(membership=partner, void_id=void.pk)
    area_manager = staff("manager.antwerp", shop=partner.shop, role=StaffRole.SHOP_MANAGER)
    shop_void_approve(membership=area_manager, void_id=void.pk)
    assert shop_balance_cents(shop=partner.shop) == 50_000
    assert paid_cents(IDENTIFIED_EMPTY) == 0
    books_balance()


def test_a_void_after_the_window_is_refused(
    agent: StaffMembership, manager: StaffMembership, clock: FakeClock
) -> None:
    order = sold(agent)
    clock.advance(seconds=VOID_WINDOW_S + 1)
    with pytest.raises(VoidWindowClosed):
        shop_void_request(membership=agent, order_id=order.pk, reason="too late")


def test_an_approval_after_the_window_is_refused(
    agent: StaffMembership, manager: StaffMembership, clock: FakeClock
) -> None:
    order = sold(agent)
    void = shop_void_request(membership=agent, order_id=order.pk, reason="wrong number")
    clock.advance(seconds=VOID_WINDOW_S + 1)
    with pytest.raises(VoidWindowClosed):
        shop_void_approve(membership=manager, void_id=void.pk)
    assert paid_cents(IDENTIFIED_EMPTY) == 2000
    books_balance()


def test_a_void_of_credit_already_spent_is_refused_cleanly(
    agent: StaffMembership, manager: StaffMembership
) -> None:
    order = sold(agent)
    void = shop_void_request(membership=agent, order_id=order.pk, reason="wrong number")
    sim = sim_get_by_msisdn(msisdn=IDENTIFIED_EMPTY)
    ledger_transfer(
        idempotency_key="test:plan-bought",
        debit=sim.paid_account,
        credit=ledger_system_account(name="revenue"),
        amount_cents=1500,
        reason_code="plan_purchase",
        actor=Actor.system("test"),
    )
    transfers = Transfer.objects.count()
    with pytest.raises(CreditAlreadySpent):
        shop_void_approve(membership=manager, void_id=void.pk)
    assert Transfer.objects.count() == transfers
    void.refresh_from_db()
    assert void.status == VoidStatus.REQUESTED
    assert paid_cents(IDENTIFIED_EMPTY) == 500
    shop_void_refuse(membership=manager, void_id=void.pk, reason="credit already used")
    void.refresh_from_db()
    assert void.status == VoidStatus.REFUSED
    books_balance()


def test_a_sale_is_voided_once(agent: StaffMembership) -> None:
    order = sold(agent)
    shop_void_request(membership=agent, order_id=order.pk, reason="wrong number")
    with pytest.raises(VoidNotPossible):
        shop_void_request(membership=agent, order_id=order.pk, reason="again")


def test_another_shop_cannot_void_or_approve(
    agent: StaffMembership, ghent_agent: StaffMembership, partner: StaffMembership
) -> None:
    order = sold(agent)
    with pytest.raises(OtherShop):
        shop_void_request(membership=ghent_agent, order_id=order.pk, reason="not ours")
    void = shop_void_request(membership=agent, order_id=order.pk, reason="wrong number")
    ghent_manager = staff("manager.ghent", shop=ghent_agent.shop, role=StaffRole.SHOP_MANAGER)
    with pytest.raises(OtherShop):
        shop_void_approve(membership=ghent_manager, void_id=void.pk)
    with pytest.raises(OtherShop):
        shop_void_refuse(membership=ghent_manager, void_id=void.pk, reason="x")
    assert shop_voids_pending(membership=ghent_manager) == []
    with pytest.raises(NotFound):
        shop_void_request(membership=agent, order_id="not-an-order", reason="x")
    assert paid_cents(IDENTIFIED_EMPTY) == 2000
    assert paid_cents(IDENTIFIED) == 500
    books_balance()
