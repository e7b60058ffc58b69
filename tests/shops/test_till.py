"""Closing the till: the count against the drawer, the difference posted, the cash to the safe."""

from __future__ import annotations

import pytest

from tests.shops.conftest import GOOD_CARD, IDENTIFIED, IDENTIFIED_EMPTY, books_balance, key
from tests.support import FakeClock
from topup.ledger.models import Account
from topup.ledger.selectors import ledger_account_balance_cents
from topup.shops.errors import InvalidAmount, NoCashDrawer, OtherShop
from topup.shops.models import StaffMembership, TillClose
from topup.shops.selectors import shop_balance_cents, shop_till_close_get, shop_z_report
from topup.shops.services import (
    shop_till_close,
    shop_topup_card,
    shop_topup_cash,
    shop_void_approve,
    shop_void_request,
)

pytestmark = pytest.mark.django_db


def a_day_of_sales(agent: StaffMembership, manager: StaffMembership) -> None:
    for msisdn, amount in ((IDENTIFIED, 2000), (IDENTIFIED_EMPTY, 1500), (IDENTIFIED, 1000)):
        shop_topup_cash(membership=agent, msisdn=msisdn, amount_cents=amount, idempotency_key=key())
    shop_topup_card(
        membership=agent,
        msisdn=IDENTIFIED_EMPTY,
        amount_cents=3000,
        card_number=GOOD_CARD,
        idempotency_key=key(),
    )
    voided = shop_topup_cash(
        membership=agent, msisdn=IDENTIFIED_EMPTY, amount_cents=500, idempotency_key=key()
    )
    void = shop_void_request(membership=agent, order_id=voided.pk, reason="wrong number")
    shop_void_approve(membership=manager, void_id=void.pk)


def safe_cents() -> int:
    return ledger_account_balance_cents(account=Account.objects.get(code="shop:bru-central:safe"))


def test_a_short_till_posts_the_difference_and_empties_the_drawer(
    agent: StaffMembership, manager: StaffMembership, clock: FakeClock
) -> None:
    a_day_of_sales(agent, manager)
    assert shop_balance_cents(shop=agent.shop) == 4500
    clock.advance(seconds=3600)
    close = shop_till_close(membership=agent, counted_cents=4480)
    assert (close.expected_cents, close.counted_cents, close.difference_cents) == (
        4500,
        4480,
        -20,
    )
    assert close.difference_transfer is not None
    assert close.difference_transfer.reason_code == "till_cash_short"
    assert close.difference_transfer.amount_cents == 20
    assert shop_balance_cents(shop=agent.shop) == 0  # the next day starts at zero
    assert safe_cents() == 4480
    report = shop_z_report(till_close=close)
    totals = {(m.method, m.count, m.total_cents) for m in report.sales_by_method}
    assert totals == {("cash", 4, 5000), ("card", 1, 3000)}
    assert (report.voids_count, report.voids_total_cents) == (1, 500)
    assert report.z_report_number == "Z-bru-central-000001"
    assert report.difference_cents == -20
    books_balance()


def test_cash_over_is_income_and_the_next_close_reports_only_its_own_day(
    agent: StaffMembership, manager: StaffMembership, clock: FakeClock
) -> None:
    shop_topup_cash(membership=agent, msisdn=IDENTIFIED, amount_cents=1000, idempotency_key=key())
    clock.advance(seconds=60)
    first = shop_till_close(membership=agent, counted_cents=1050)
    assert first.difference_cents == 50
    assert first.difference_transfer is not None
    assert first.difference_transfer.reason_code == "till_cash_over"
    clock.advance(seconds=86_400)
    shop_topup_cash(membership=agent, msisdn=IDENTIFIED, amount_cents=700, idempotency_key=key())
    clock.advance(seconds=60)
    second = shop_till_close(membership=manager, counted_cents=700)
    assert second.difference_transfer is None and second.difference_cents == 0
    assert second.z_report_number == "Z-bru-central-000002"
    report = shop_z_report(till_close=second)
    assert [(m.count, m.total_cents) for m in report.sales_by_method] == [(1, 700)]
    assert safe_cents() == 1750
    assert shop_balance_cents(shop=agent.shop) == 0
    books_balance()


def test_an_empty_till_closes_at_zero(agent: StaffMembership) -> None:
    close = shop_till_close(membership=agent, counted_cents=0)
    assert (close.expected_cents, close.difference_cents, close.deposit_transfer) == (0, 0, None)
    with pytest.raises(InvalidAmount):
        shop_till_close(membership=agent, counted_cents=-1)
    books_balance()


def test_a_partner_shop_has_no_till_to_close(partner: StaffMembership) -> None:
    with pytest.raises(NoCashDrawer) as caught:
        shop_till_close(membership=partner, counted_cents=0)
    assert caught.value.http_status == 409
    assert not TillClose.objects.exists()


def test_closing_one_shops_till_leaves_another_shops_drawer_alone(
    agent: StaffMembership, ghent_agent: StaffMembership
) -> None:
    shop_topup_cash(membership=agent, msisdn=IDENTIFIED, amount_cents=1000, idempotency_key=key())
    ghent_close = shop_till_close(membership=ghent_agent, counted_cents=0)
    assert ghent_close.expected_cents == 0
    assert shop_balance_cents(shop=agent.shop) == 1000
    bru_close = shop_till_close(membership=agent, counted_cents=1000)
    with pytest.raises(OtherShop):
        shop_till_close_get(membership=ghent_agent, till_close_id=bru_close.pk)
    assert shop_till_close_get(membership=agent, till_close_id=bru_close.pk) == bru_close
    books_balance()
