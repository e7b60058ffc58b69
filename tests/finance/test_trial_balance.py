"""The trial balance: every entry up to the end of a Brussels day, debits equal to credits."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from tests.finance.conftest import FINANCE, Credited, Refund
from tests.support import FakeClock
from topup.finance.exports import trial_balance_csv
from topup.finance.selectors import (
    TrialBalance,
    TrialBalanceRow,
    finance_day_bounds,
    finance_today,
    trial_balance,
)
from topup.finance.services import settlement_report_import
from topup.ledger.models import Entry
from topup.ledger.services import ledger_system_account, ledger_transfer
from topup.payments.simulator.settlement import simulator_settlement_csv

pytestmark = pytest.mark.django_db


def _row(balance: TrialBalance, *, kind: str = "", code: str = "") -> TrialBalanceRow:
    rows = [row for section in balance.sections for row in section.rows]
    return next(
        row for row in rows if (row.account_code == code) and (not kind or row.kind == kind)
    )


def test_debits_equal_credits_with_top_ups_refunds_and_fees(
    credited: Credited, refund: Refund
) -> None:
    order = credited(2000)
    credited(1000)
    refund(order, 500, "trial-balance:1")
    settlement_report_import(
        provider="simulator",
        filename="today.csv",
        content=simulator_settlement_csv(day=finance_today()),
        actor=FINANCE,
    )

    balance = trial_balance(on=finance_today())

    assert balance.balanced
    entries = list(Entry.objects.values_list("amount_cents", flat=True))
    assert balance.debits_cents == sum(cents for cents in entries if cents > 0)
    assert balance.credits_cents == -sum(cents for cents in entries if cents < 0)
    assert [section.account_type for section in balance.sections] == [
        "asset",
        "liability",
        "income",
        "expense",
        "equity",
    ]
    clearing = _row(balance, code="clearing:simulator")
    fees = _row(balance, code="system:payment_fees")
    assert fees.balance_cents > 0
    assert (clearing.debits_cents, clearing.credits_cents) == (3000, 500 + fees.balance_cents)
    assert clearing.balance_cents == 3000 - 500 - fees.balance_cents
    paid = _row(balance, kind="subscriber_paid")
    assert paid.accounts >= 1
    for section in balance.sections:
        assert section.debits_cents == sum(row.debits_cents for row in section.rows)
        assert section.balance_cents == sum(row.balance_cents for row in section.rows)


def test_only_entries_up_to_the_end_of_the_day_count(demo: None, clock: FakeClock) -> None:
    day = dt.date(2030, 3, 31)  # the clocks go forward in Brussels that night
    start, end = finance_day_bounds(day=day)
    assert end.astimezone(dt.UTC) - start.astimezone(dt.UTC) == dt.timedelta(hours=23)
    assert end.astimezone(dt.UTC) == dt.datetime(2030, 3, 31, 22, 0, tzinfo=dt.UTC)
    equity = ledger_system_account(name="equity")
    fees = ledger_system_account(name="payment_fees")

    clock.moment = end - dt.timedelta(seconds=1)
    ledger_transfer(
        idempotency_key="tb:in",
        debit=fees,
        credit=equity,
        amount_cents=100,
        reason_code="test",
        actor=FINANCE,
    )
    clock.moment = end
    ledger_transfer(
        idempotency_key="tb:out",
        debit=fees,
        credit=equity,
        amount_cents=7,
        reason_code="test",
        actor=FINANCE,
    )

    that_day = _row(trial_balance(on=day), code="system:payment_fees")
    next_day = _row(trial_balance(on=day + dt.timedelta(days=1)), code="system:payment_fees")

    assert that_day.debits_cents == 100
    assert next_day.debits_cents == 107


def test_the_csv_has_a_row_per_group_totals_and_belgian_numbers(credited: Credited) -> None:
    credited(1234)
    balance = trial_balance(on=finance_today())

    content = trial_balance_csv(balance=balance, decimal_comma=True)

    assert content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == [
        "Account type",
        "Account kind",
        "Ledger account",
        "Accounts",
        "Debits",
        "Credits",
        "Balance",
    ]
    clearing = next(row for row in rows if row[2] == "clearing:simulator")
    assert clearing[4] == "12,34"
    total = rows[-1]
    assert total[:3] == ["All accounts", "", "Total"]
    assert total[4] == total[5]
    english = trial_balance_csv(balance=balance, decimal_comma=False).decode("utf-8-sig")
    assert ",12.34," in english
