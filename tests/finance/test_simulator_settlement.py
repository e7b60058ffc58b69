"""The simulator's settlement report: the day's captures with a fee, the day's refunds summed."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from tests.finance.conftest import Credited, Refund
from topup.finance.selectors import finance_today
from topup.finance.settlement_csv import settlement_report_parse
from topup.payments.models import SimulatorPayment
from topup.payments.simulator.settlement import simulator_fee_cents, simulator_settlement_csv

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("amount_cents", "fee_cents"), [(1, 1), (25, 25), (1000, 39), (1036, 40), (10_000, 165)]
)
def test_the_fee_is_fixed_plus_a_percentage_never_above_the_amount(
    amount_cents: int, fee_cents: int
) -> None:
    assert simulator_fee_cents(amount_cents=amount_cents) == fee_cents


def test_the_report_lists_the_days_captures_and_refunds(credited: Credited, refund: Refund) -> None:
    order = credited(2000)
    refund(order, 300, "simulator-report:1")
    refund(order, 200, "simulator-report:2")
    other_day = credited(1000)
    SimulatorPayment.objects.filter(id=other_day.provider_payment_id).update(
        created_at=dt.datetime(2020, 1, 1, 12, tzinfo=dt.UTC)
    )
    today = finance_today()

    content = simulator_settlement_csv(day=today)

    rows = list(csv.reader(io.StringIO(content.decode("utf-8"))))
    assert rows == [
        ["provider_payment_id", "type", "amount_cents", "fee_cents", "currency", "settled_on"],
        [order.provider_payment_id, "capture", "2000", "53", "EUR", today.isoformat()],
        [order.provider_payment_id, "refund", "500", "0", "EUR", today.isoformat()],
    ]
    assert len(settlement_report_parse(content=content)) == 2
    assert (
        simulator_settlement_csv(day=dt.date(2020, 1, 1))
        .decode()
        .splitlines()[1]
        .startswith(f"{other_day.provider_payment_id},capture,1000,39,EUR,2020-01-01")
    )
