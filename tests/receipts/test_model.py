"""The receipt model: VAT inside a VAT-inclusive price, in integer cents."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from topup.core.money import MAX_AMOUNT_CENTS
from topup.receipts.model import Receipt, vat_included_cents

from .factories import receipt_make


@given(
    gross_cents=st.integers(min_value=0, max_value=MAX_AMOUNT_CENTS),
    rate=st.integers(min_value=0, max_value=100),
)
def test_vat_is_the_exact_share_rounded_half_up(gross_cents: int, rate: int) -> None:
    vat = vat_included_cents(gross_cents=gross_cents, vat_rate_percent=rate)

    exact = Decimal(gross_cents) * rate / (100 + rate)
    assert vat == int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    assert 0 <= vat <= gross_cents
    # Net plus VAT is the price, and the net price taxed again gives back the price (±1 cent).
    net = gross_cents - vat
    assert abs(net + net * rate / 100 - gross_cents) <= 1


@pytest.mark.parametrize(
    ("gross_cents", "vat_cents"),
    [(1000, 174), (500, 87), (121, 21), (1, 0), (3, 1), (2500, 434), (15000, 2603)],
)
def test_belgian_vat_on_familiar_amounts(gross_cents: int, vat_cents: int) -> None:
    receipt = receipt_make(amount_cents=gross_cents)

    assert receipt.vat_cents == vat_cents
    assert receipt.net_cents == gross_cents - vat_cents


@pytest.mark.parametrize(
    "changes",
    [
        {"amount_cents": 0},
        {"amount_cents": -100},
        {"vat_rate_percent": 101},
        {"vat_rate_percent": -1},
        {"issued_at": dt.datetime(2025, 1, 1, 12, 0)},  # naive: a receipt needs a time zone
    ],
)
def test_an_impossible_receipt_cannot_be_made(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"."):
        receipt_make(**changes)


def test_a_receipt_is_immutable() -> None:
    receipt = receipt_make()

    with pytest.raises(AttributeError):
        receipt.amount_cents = 1  # type: ignore[misc]

    assert isinstance(receipt, Receipt)
