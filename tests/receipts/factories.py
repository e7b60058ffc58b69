"""A receipt as the top-up service would build it."""

from __future__ import annotations

import dataclasses
import datetime as dt

from topup.receipts.model import Receipt

_RECEIPT = Receipt(
    receipt_number="TU-2025-000042",
    issued_at=dt.datetime(2025, 11, 25, 13, 5, tzinfo=dt.UTC),
    channel="online",
    msisdn="+32470000001",
    amount_cents=123456,
    currency="EUR",
    payment_method="card",
    payment_instrument_masked="•••• 4242",
    order_id="6f1c0c4e-8d7a-4e63-9a0b-3b1d3f0d2c11",
    operator_name="Topup Demo Mobile",
    operator_legal_name="Topup Demo Mobile NV",
    operator_vat_number="BE0123456749",
    operator_address="Koningsstraat 1, 1000 Brussel",
    brand_name="Demo Mobile",
)


def receipt_make(**changes: object) -> Receipt:
    # replace() re-runs __post_init__, so invalid changes raise as they would in production.
    return dataclasses.replace(_RECEIPT, **changes)  # type: ignore[arg-type]
