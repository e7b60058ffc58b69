"""A small chart of accounts opened through the real ledger services, for the ledger tests."""

from __future__ import annotations

from dataclasses import dataclass

from topup.ledger import domain
from topup.ledger.models import Account, AccountKind
from topup.ledger.services import (
    ledger_account_open,
    ledger_provider_clearing_account,
    ledger_system_account,
)


@dataclass(frozen=True)
class Chart:
    clearing: Account  # untracked asset, may go negative
    revenue: Account  # untracked income
    subscribers: tuple[Account, ...]  # tracked liabilities, never below zero
    cash_drawer: Account  # tracked asset, never below zero
    partner_float: Account  # tracked asset that may go negative

    @property
    def all(self) -> tuple[Account, ...]:
        return (
            self.clearing,
            self.revenue,
            *self.subscribers,
            self.cash_drawer,
            self.partner_float,
        )


def subscriber_account(number: int, *, prefix: str = "sub") -> Account:
    return ledger_account_open(
        code=f"{prefix}:{number}:paid",
        name=f"Subscriber {number} paid credit",
        kind=AccountKind.SUBSCRIBER_PAID,
        account_type=domain.AccountType.LIABILITY,
        owner_type="subscriber",
        owner_id=str(number),
    )


def chart_open(*, prefix: str = "t", subscribers: int = 3) -> Chart:
    return Chart(
        clearing=ledger_provider_clearing_account(provider=f"{prefix}-simulator"),
        revenue=ledger_system_account(name="revenue"),
        subscribers=tuple(
            subscriber_account(n, prefix=f"{prefix}-sub") for n in range(1, subscribers + 1)
        ),
        cash_drawer=ledger_account_open(
            code=f"{prefix}:shop:1:cash",
            name="Shop 1 cash drawer",
            kind=AccountKind.SHOP_CASH_DRAWER,
            account_type=domain.AccountType.ASSET,
            owner_type="shop",
            owner_id="1",
        ),
        partner_float=ledger_account_open(
            code=f"{prefix}:partner:1:float",
            name="Partner 1 float",
            kind=AccountKind.PARTNER_FLOAT,
            account_type=domain.AccountType.ASSET,
            owner_type="partner",
            owner_id="1",
            may_go_negative=True,
        ),
    )
