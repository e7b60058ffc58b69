"""The simulator's daily settlement report: what a provider sends the operator's finance team.

The format is the one finance imports (topup.finance.settlement_csv): UTF-8, "," separated,

    provider_payment_id,type,amount_cents,fee_cents,currency,settled_on

one `capture` line per payment captured that day with the simulator's fee, and one `refund` line
per payment refunded that day (the day's refunds of a payment summed, no fee). Days are Brussels
days. The simulator keeps no capture time of its own: it books a capture on the day the payment
was created (its payments are answered within minutes), so a payment started just before
midnight and captured after it shows up in finance as a timing difference, as with a real
provider.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Final
from zoneinfo import ZoneInfo

from django.db.models import Sum

from topup.payments.gateway import PaymentStatus, RefundStatus
from topup.payments.simulator.models import SimulatorPayment, SimulatorRefund

HEADER: Final = (
    "provider_payment_id",
    "type",
    "amount_cents",
    "fee_cents",
    "currency",
    "settled_on",
)
FEE_FIXED_CENTS: Final = 25
FEE_PER_MILLE: Final = 14  # 1.4 % of the amount, rounded half up, plus the fixed part
MAX_LINES: Final = 200_000  # what finance imports in one report
_BRUSSELS: Final = ZoneInfo("Europe/Brussels")


def simulator_fee_cents(*, amount_cents: int) -> int:
    """The simulator's fee for capturing this amount; never more than the amount itself."""
    percentage_cents = (amount_cents * FEE_PER_MILLE + 500) // 1000
    return min(amount_cents, FEE_FIXED_CENTS + percentage_cents)


def _capture_rows(start: dt.datetime, end: dt.datetime, day: str) -> list[tuple[str, ...]]:
    captured = (
        SimulatorPayment.objects.filter(
            created_at__gte=start,
            created_at__lt=end,
            status__in=(PaymentStatus.CAPTURED, PaymentStatus.REFUNDED),
        )
        .order_by("created_at", "id")
        .values_list("id", "amount_cents", "currency")[:MAX_LINES]
    )
    return [
        (
            payment_id,
            "capture",
            str(amount_cents),
            str(simulator_fee_cents(amount_cents=amount_cents)),
            currency,
            day,
        )
        for payment_id, amount_cents, currency in captured
    ]


def _refund_rows(start: dt.datetime, end: dt.datetime, day: str) -> list[tuple[str, ...]]:
    refunded = (
        SimulatorRefund.objects.filter(
            created_at__gte=start, created_at__lt=end, status=RefundStatus.SUCCEEDED
        )
        .values("payment_id", "payment__currency")
        .annotate(total=Sum("amount_cents"))
        .order_by("payment_id")[:MAX_LINES]
    )
    return [
        (row["payment_id"], "refund", str(row["total"]), "0", row["payment__currency"], day)
        for row in refunded
    ]


def simulator_settlement_csv(*, day: dt.date) -> bytes:
    """The simulator's settlement report of one Brussels day (at most MAX_LINES lines)."""
    start = dt.datetime.combine(day, dt.time.min, tzinfo=_BRUSSELS)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=_BRUSSELS)
    rows = _capture_rows(start, end, day.isoformat()) + _refund_rows(start, end, day.isoformat())
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(rows[:MAX_LINES])
    return buffer.getvalue().encode("utf-8")
