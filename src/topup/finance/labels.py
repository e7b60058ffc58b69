"""Words for the ledger's account types and kinds on finance screens and in exports."""

from __future__ import annotations

from typing import Final

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from topup.ledger.domain import AccountType
from topup.ledger.models import AccountKind

ACCOUNT_TYPE_LABELS: Final[dict[str, str | Promise]] = {
    AccountType.ASSET: _("Assets"),
    AccountType.LIABILITY: _("Liabilities"),
    AccountType.INCOME: _("Income"),
    AccountType.EXPENSE: _("Expenses"),
    AccountType.EQUITY: _("Equity"),
}

ACCOUNT_KIND_LABELS: Final[dict[str, str | Promise]] = {
    AccountKind.SUBSCRIBER_PAID: _("Subscribers' paid credit"),
    AccountKind.SUBSCRIBER_PROMO: _("Subscribers' promotional credit"),
    AccountKind.PROVIDER_CLEARING: _("Payment provider clearing"),
    AccountKind.SHOP_CASH_DRAWER: _("Shop cash drawers"),
    AccountKind.PARTNER_FLOAT: _("Partner shop floats"),
    AccountKind.REVENUE: _("Revenue"),
    AccountKind.PROMOTION_EXPENSE: _("Promotions and other expenses"),
    AccountKind.REFUNDS: _("Refunds"),
    AccountKind.EQUITY: _("Operator equity"),
}


def account_type_label(account_type: str) -> str:
    return str(ACCOUNT_TYPE_LABELS.get(account_type, account_type))


def account_kind_label(kind: str) -> str:
    return str(ACCOUNT_KIND_LABELS.get(kind, kind))
