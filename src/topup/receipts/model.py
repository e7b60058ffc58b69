"""One receipt, as plain data: every rendering (PDF, ESC/POS) prints exactly this."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

BELGIAN_STANDARD_VAT_RATE_PERCENT: Final = 21


def vat_included_cents(*, gross_cents: int, vat_rate_percent: int) -> int:
    """The VAT inside a VAT-inclusive price, rounded half up to the cent, in integers only.

    vat = gross * rate / (100 + rate); doubling numerator and denominator turns "round half up"
    into one floor division, so no float or Decimal ever sees the amount.
    """
    if gross_cents < 0:
        raise ValueError("a receipt amount is never negative")
    if not 0 <= vat_rate_percent <= 100:
        raise ValueError(f"VAT rate out of range: {vat_rate_percent}")
    denominator = 100 + vat_rate_percent
    return (2 * gross_cents * vat_rate_percent + denominator) // (2 * denominator)


@dataclass(frozen=True)
class Receipt:
    """What the customer paid for, who sold it, and how it was paid. Amounts include VAT."""

    receipt_number: str
    issued_at: datetime
    channel: str
    msisdn: str
    amount_cents: int
    currency: str
    payment_method: str
    payment_instrument_masked: str
    order_id: str
    operator_name: str
    operator_legal_name: str
    operator_vat_number: str
    operator_address: str
    brand_name: str
    vat_rate_percent: int = BELGIAN_STANDARD_VAT_RATE_PERCENT

    def __post_init__(self) -> None:
        if self.amount_cents <= 0:
            raise ValueError("a receipt is for a positive amount")
        if self.issued_at.tzinfo is None:
            raise ValueError("a receipt's issue time must be timezone-aware")
        # Validates the rate once, so the properties below cannot fail later.
        vat_included_cents(gross_cents=self.amount_cents, vat_rate_percent=self.vat_rate_percent)

    @property
    def vat_cents(self) -> int:
        return vat_included_cents(
            gross_cents=self.amount_cents, vat_rate_percent=self.vat_rate_percent
        )

    @property
    def net_cents(self) -> int:
        """The price without VAT: what is left of the VAT-inclusive amount."""
        return self.amount_cents - self.vat_cents
