"""Counter sales: cash into the drawer, cash from a partner's float, cards on the terminal."""

from __future__ import annotations

from decimal import Decimal

import pytest
import structlog
from django.apps import apps
from django.contrib.auth.models import User

from tests.shops.conftest import (
    GOOD_CARD,
    GOOD_CARD_DIGITS,
    IDENTIFIED,
    IDENTIFIED_EMPTY,
    books_balance,
    key,
    staff,
)
from topup.audit.models import AuditEvent
from topup.audit.services import Actor
from topup.catalog.models import Shop, ShopKind
from topup.ledger.models import Transfer
from topup.ledger.selectors import ledger_account_balance_cents
from topup.ledger.services import ledger_provider_clearing_account
from topup.shops.errors import CardDeclined, FloatExhausted, StaffNotAssigned, TerminalError
from topup.shops.models import CounterSale, StaffMembership, StaffRole
from topup.shops.selectors import (
    shop_balance_cents,
    shop_sale_get,
    shop_sales_recent,
    shop_sales_today,
)
from topup.shops.services import (
    commission_cents,
    shop_float_topup,
    shop_topup_card,
    shop_topup_cash,
)
from topup.subscribers.selectors import sim_balance, sim_get_by_msisdn
from topup.topups.errors import AmountAboveLimit
from topup.topups.models import TopupOrder, TopupStatus

pytestmark = pytest.mark.django_db


def paid_cents(msisdn: str) -> int:
    return sim_balance(sim=sim_get_by_msisdn(msisdn=msisdn)).paid_cents


def bru() -> Shop:
    return Shop.objects.get(code="bru-central")


def antwerp() -> Shop:
    return Shop.objects.get(code="antwerp-night")


def test_cash_at_an_operator_shop_goes_into_the_drawer_once(agent: StaffMembership) -> None:
    sale_key = key()
    for _ in range(2):  # the agent's retry posts nothing twice
        order = shop_topup_cash(
            membership=agent, msisdn=IDENTIFIED_EMPTY, amount_cents=2000, idempotency_key=sale_key
        )
    assert order.status == TopupStatus.CREDITED
    assert (order.channel, order.payment_method) == ("shop", "cash")
    assert order.receipt_number
    assert paid_cents(IDENTIFIED_EMPTY) == 2000
    assert shop_balance_cents(shop=bru()) == 2000
    sale = CounterSale.objects.get()
    assert (sale.shop, sale.agent.username, sale.commission_cents) == (bru(), "agent.brussels", 0)
    assert [s.order_id for s in shop_sales_recent(membership=agent)] == [order.pk]
    books_balance()


def test_a_shop_sale_keeps_to_the_shop_channel_limits(agent: StaffMembership) -> None:
    with pytest.raises(AmountAboveLimit):
        shop_topup_cash(
            membership=agent, msisdn=IDENTIFIED, amount_cents=15001, idempotency_key=key()
        )
    assert not TopupOrder.objects.exists()
    assert shop_balance_cents(shop=bru()) == 0


def test_a_deactivated_agent_can_no_longer_sell(agent: StaffMembership) -> None:
    User.objects.filter(pk=agent.user_id).update(is_active=False)
    with pytest.raises(StaffNotAssigned):
        shop_topup_cash(
            membership=agent, msisdn=IDENTIFIED, amount_cents=1000, idempotency_key=key()
        )


@pytest.mark.parametrize(
    ("amount_cents", "basis_points", "expected"),
    [
        (2000, 300, 60),  # 3 % of € 20.00
        (1050, 300, 32),  # 31.5 cents: a half cent rounds up
        (1049, 300, 31),  # 31.47 cents rounds down
        (50, 300, 2),  # 1.5 cents rounds up
        (10, 300, 0),  # 0.3 cents: no commission
        (15000, 0, 0),
    ],
)
def test_the_commission_is_integer_cents_rounded_half_up(
    amount_cents: int, basis_points: int, expected: int
) -> None:
    assert commission_cents(amount_cents=amount_cents, basis_points=basis_points) == expected


def test_cash_at_a_partner_spends_its_float_and_earns_a_commission(
    partner: StaffMembership,
) -> None:
    order = shop_topup_cash(
        membership=partner, msisdn=IDENTIFIED_EMPTY, amount_cents=1050, idempotency_key=key()
    )
    assert order.status == TopupStatus.CREDITED
    # € 500.00 float - € 10.50 sold + 32 cents commission (3 %, half up)
    assert shop_balance_cents(shop=antwerp()) == 50_000 - 1050 + 32
    sale = CounterSale.objects.get()
    assert sale.commission_cents == 32
    assert sale.commission_transfer is not None
    assert sale.commission_transfer.idempotency_key == f"shops:commission:{order.pk}"
    assert paid_cents(IDENTIFIED_EMPTY) == 1050
    books_balance()


def _small_partner(float_cents: int) -> StaffMembership:
    shop = Shop.objects.create(
        code="liege-night",
        name="Night shop Liège (partner)",
        kind=ShopKind.PARTNER,
        address="Rue Saint-Gilles 1, 4000 Liège",
        latitude=Decimal("50.640000"),
        longitude=Decimal("5.570000"),
    )
    shop_float_topup(shop=shop, amount_cents=float_cents, actor=Actor.system("finance"))
    return staff("partner.liege", shop=shop, role=StaffRole.PARTNER_RETAILER)


def test_a_sale_above_the_float_is_refused_and_nothing_is_written(demo: None) -> None:
    partner = _small_partner(5000)
    shop_topup_cash(
        membership=partner, msisdn=IDENTIFIED_EMPTY, amount_cents=3000, idempotency_key=key()
    )
    left = shop_balance_cents(shop=partner.shop)
    assert left == 5000 - 3000 + 90
    orders, transfers = TopupOrder.objects.count(), Transfer.objects.count()
    with pytest.raises(FloatExhausted) as caught:
        shop_topup_cash(
            membership=partner, msisdn=IDENTIFIED, amount_cents=left + 1, idempotency_key=key()
        )
    assert caught.value.http_status == 409
    assert (TopupOrder.objects.count(), Transfer.objects.count()) == (orders, transfers)
    assert shop_balance_cents(shop=partner.shop) == left
    books_balance()


def test_the_ledger_refuses_an_overdraft_the_early_check_missed(
    demo: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A concurrent sale may spend the float between the early check and the posting."""
    partner = _small_partner(1000)
    monkeypatch.setattr("topup.shops.services.ledger_account_balance_cents", lambda **_: 10**6)
    orders, transfers = TopupOrder.objects.count(), Transfer.objects.count()
    with pytest.raises(FloatExhausted):
        shop_topup_cash(
            membership=partner, msisdn=IDENTIFIED, amount_cents=1001, idempotency_key=key()
        )
    assert (TopupOrder.objects.count(), Transfer.objects.count()) == (orders, transfers)
    assert not CounterSale.objects.exists()
    books_balance()


def test_the_operator_tops_up_a_partners_float(partner: StaffMembership) -> None:
    shop_float_topup(shop=antwerp(), amount_cents=20_000, actor=Actor.system("finance"))
    assert shop_balance_cents(shop=antwerp()) == 70_000
    assert (
        ledger_account_balance_cents(account=ledger_provider_clearing_account(provider="bank"))
        == 70_000
    )
    books_balance()


def test_a_card_on_the_terminal_is_credited_from_the_terminal_clearing(
    agent: StaffMembership,
) -> None:
    order = shop_topup_card(
        membership=agent,
        msisdn=IDENTIFIED,
        amount_cents=2500,
        card_number=GOOD_CARD,
        idempotency_key=key(),
    )
    assert order.status == TopupStatus.CREDITED
    assert order.payment_instrument_masked == "•••• 4242"
    assert len(order.payment_instrument_hash) == 64
    clearing = ledger_provider_clearing_account(provider="terminal")
    assert ledger_account_balance_cents(account=clearing) == 2500
    assert shop_balance_cents(shop=bru()) == 0  # nothing went into the cash drawer
    assert paid_cents(IDENTIFIED) == 500 + 2500
    assert CounterSale.objects.get().terminal_token.startswith("tt_")
    books_balance()


def test_a_card_sale_at_a_partner_earns_the_commission_without_touching_the_float(
    partner: StaffMembership,
) -> None:
    shop_topup_card(
        membership=partner,
        msisdn=IDENTIFIED,
        amount_cents=2000,
        card_number=GOOD_CARD,
        idempotency_key=key(),
    )
    assert shop_balance_cents(shop=antwerp()) == 50_000 + 60
    books_balance()


@pytest.mark.parametrize(
    ("card", "reason"),
    [("4000000000000002", "card_declined"), ("4000 0000 0000 9995", "insufficient_funds")],
)
def test_a_declined_card_creates_no_order_and_says_why(
    agent: StaffMembership, card: str, reason: str
) -> None:
    with pytest.raises(CardDeclined) as caught:
        shop_topup_card(
            membership=agent,
            msisdn=IDENTIFIED,
            amount_cents=2000,
            card_number=card,
            idempotency_key=key(),
        )
    assert caught.value.details["reason"] == reason
    assert not TopupOrder.objects.exists()
    assert paid_cents(IDENTIFIED) == 500
    assert AuditEvent.objects.get(action="shops.card_refused").reason == reason
    books_balance()


def test_a_terminal_error_asks_to_try_again_and_the_retry_succeeds(
    agent: StaffMembership,
) -> None:
    sale_key = key()
    with pytest.raises(TerminalError) as caught:
        shop_topup_card(
            membership=agent,
            msisdn=IDENTIFIED,
            amount_cents=2000,
            card_number="4000000000000119",
            idempotency_key=sale_key,
        )
    assert caught.value.details["reason"] == "terminal_error"
    assert not TopupOrder.objects.exists()
    order = shop_topup_card(
        membership=agent,
        msisdn=IDENTIFIED,
        amount_cents=2000,
        card_number=GOOD_CARD,
        idempotency_key=sale_key,
    )
    assert order.status == TopupStatus.CREDITED
    books_balance()


def test_the_card_number_is_never_stored_nor_logged(agent: StaffMembership) -> None:
    with structlog.testing.capture_logs() as logs:
        shop_topup_card(
            membership=agent,
            msisdn=IDENTIFIED,
            amount_cents=2000,
            card_number=GOOD_CARD,
            idempotency_key=key(),
        )
        with pytest.raises(CardDeclined):
            shop_topup_card(
                membership=agent,
                msisdn=IDENTIFIED,
                amount_cents=2000,
                card_number="4000000000000002",
                idempotency_key=key(),
            )
    for pan in (GOOD_CARD_DIGITS, GOOD_CARD, "4000000000000002"):
        assert pan not in repr(logs)
        for model in apps.get_models():
            for row in model._default_manager.values():
                assert pan not in repr(row), f"{model.__name__} keeps a card number"


def test_another_shops_sale_is_not_shown(
    agent: StaffMembership, ghent_agent: StaffMembership
) -> None:
    from topup.shops.errors import OtherShop

    order = shop_topup_cash(
        membership=agent, msisdn=IDENTIFIED, amount_cents=1000, idempotency_key=key()
    )
    assert shop_sale_get(membership=agent, order_id=order.pk).order_id == order.pk
    with pytest.raises(OtherShop):
        shop_sale_get(membership=ghent_agent, order_id=order.pk)
    assert shop_sales_recent(membership=ghent_agent) == []


def test_todays_summary_counts_every_sale_of_the_day_in_the_database(
    agent: StaffMembership,
) -> None:
    for _ in range(3):
        shop_topup_cash(
            membership=agent, msisdn=IDENTIFIED_EMPTY, amount_cents=1000, idempotency_key=key()
        )
    summary = shop_sales_today(membership=agent)
    assert (summary.count, summary.total_cents) == (3, 3000)
