"""The operator records a partner's payment into its float from the command line, once."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from topup.catalog.models import Shop
from topup.ledger.selectors import ledger_account_balance_cents
from topup.ledger.verify import ledger_verify
from topup.shops.services import shop_accounts_open

pytestmark = pytest.mark.django_db


def _float_cents() -> int:
    accounts = shop_accounts_open(shop=Shop.objects.get(code="antwerp-night"))
    assert accounts.float_account is not None
    return ledger_account_balance_cents(account=accounts.float_account)


def test_a_float_payment_is_recorded_once(demo: None, capsys: pytest.CaptureFixture[str]) -> None:
    before = _float_cents()
    for _ in range(2):
        call_command(
            "shops",
            "float-topup",
            "--shop",
            "antwerp-night",
            "--amount",
            "250.00",
            "--reference",
            "BANK-2026-11-25-001",
        )
    assert _float_cents() == before + 25_000
    assert "float of antwerp-night" in capsys.readouterr().out
    assert ledger_verify() == []


def test_an_operator_shop_has_no_float(demo: None) -> None:
    with pytest.raises(CommandError):
        call_command(
            "shops", "float-topup", "--shop", "bru-central", "--amount", "10", "--reference", "x"
        )
