"""`ledger_accounts_balance_cents`: several balances in one read, equal to one-by-one reads."""

from __future__ import annotations

import hypothesis.strategies as st
import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings

from tests.ledger.chart import Chart, chart_open
from topup.audit.services import Actor
from topup.ledger.selectors import (
    MAX_BALANCES_AT_ONCE,
    ledger_account_balance_cents,
    ledger_accounts_balance_cents,
)
from topup.ledger.services import ledger_transfer
from topup.ledger.verify import ledger_verify

ACTOR = Actor.system("test")

# (from subscriber, to subscriber, cents): each subscriber is first funded from clearing, then
# credit moves between subscribers and back to revenue; both untracked accounts move too.
moves = st.lists(
    st.tuples(st.integers(0, 2), st.integers(0, 2), st.integers(1, 5_000)), max_size=12
)


def _apply(chart: Chart, funding: list[int], sequence: list[tuple[int, int, int]]) -> None:
    for number, cents in enumerate(funding):
        ledger_transfer(
            idempotency_key=f"fund:{number}",
            debit=chart.clearing,
            credit=chart.subscribers[number],
            amount_cents=cents,
            reason_code="topup",
            actor=ACTOR,
        )
    for number, (source, target, cents) in enumerate(sequence):
        debit = chart.subscribers[source]
        credit = chart.subscribers[target] if source != target else chart.revenue
        if ledger_account_balance_cents(account=debit) < cents:
            continue  # a subscriber's credit never goes below zero: skip what it cannot pay
        ledger_transfer(
            idempotency_key=f"move:{number}",
            debit=debit,
            credit=credit,
            amount_cents=cents,
            reason_code="plan",
            actor=ACTOR,
        )


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(funding=st.lists(st.integers(1, 10_000), min_size=3, max_size=3), sequence=moves)
def test_balances_at_once_equal_the_balances_one_by_one(
    funding: list[int], sequence: list[tuple[int, int, int]]
) -> None:
    with transaction.atomic():
        chart = chart_open(prefix="once")
        _apply(chart, funding, sequence)

        at_once = ledger_accounts_balance_cents(account_ids=[a.pk for a in chart.all])

        assert at_once == {a.pk: ledger_account_balance_cents(account=a) for a in chart.all}
        assert (
            sum(at_once[a.pk] for a in chart.subscribers)
            == sum(funding) - (at_once[chart.revenue.pk])
        )
        assert ledger_verify() == []
        transaction.set_rollback(True)


def test_tracked_balances_take_one_query(chart: Chart) -> None:
    _apply(chart, [700, 1, 300], [(0, 1, 200)])
    tracked = [*chart.subscribers, chart.cash_drawer]

    with CaptureQueriesContext(connection) as captured:
        balances = ledger_accounts_balance_cents(account_ids=[a.pk for a in tracked])

    assert len(captured.captured_queries) == 1
    assert [balances[a.pk] for a in chart.subscribers] == [500, 201, 300]


def test_more_accounts_than_the_limit_are_refused(chart: Chart) -> None:
    with pytest.raises(ValueError, match="at most"):
        ledger_accounts_balance_cents(account_ids=range(MAX_BALANCES_AT_ONCE + 1))
