"""The database ledger behaves like the pure Book: the same random operations, compared step by
step, refused with the same rule, and `ledger_verify()` clean at the end."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import hypothesis.strategies as st
import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings

from tests.ledger.chart import Chart, chart_open
from topup.audit.models import AuditEvent
from topup.audit.services import Actor
from topup.ledger.domain import AccountState, AccountType, Book, LedgerRuleBroken
from topup.ledger.errors import InsufficientBalance, TransferNotPending, TransferNotReversible
from topup.ledger.models import Account, Entry, Transfer
from topup.ledger.selectors import ledger_account_balance_cents
from topup.ledger.services import (
    ledger_hold,
    ledger_post_pending,
    ledger_reverse,
    ledger_transfer,
    ledger_void_pending,
)
from topup.ledger.verify import ledger_verify

ACTOR = Actor.system("model-test")
ACCOUNTS = 7  # chart.all: clearing, revenue, 3 subscribers, cash drawer, partner float
SUBSCRIBER_INDEXES = (2, 3, 4)

amounts = st.one_of(
    st.integers(min_value=1, max_value=3_000), st.sampled_from([0, -5, 100_000_001])
)
account_index = st.integers(min_value=0, max_value=ACCOUNTS - 1)
subscriber_index = st.sampled_from(SUBSCRIBER_INDEXES)
reference = st.integers(min_value=0, max_value=50)

operations = st.one_of(
    st.tuples(st.just("transfer"), account_index, account_index, amounts),
    st.tuples(st.just("transfer"), st.just(0), subscriber_index, amounts),  # top-up
    st.tuples(st.just("transfer"), subscriber_index, st.just(1), amounts),  # spend
    st.tuples(st.just("hold"), account_index, account_index, amounts),
    st.tuples(st.just("hold"), subscriber_index, st.just(1), amounts),
    st.tuples(st.just("post"), reference, st.just(0), st.just(0)),
    st.tuples(st.just("void"), reference, st.just(0), st.just(0)),
    st.tuples(st.just("reverse"), reference, st.just(0), st.just(0)),
    st.tuples(st.just("replay"), reference, st.just(0), st.just(0)),
)

REFUSAL_CODES: dict[type[Exception], str] = {
    InsufficientBalance: "insufficient_balance",
    TransferNotPending: "not_pending",
    TransferNotReversible: "not_reversible",
}


@dataclass
class Run:
    chart: Chart
    book: Book
    holds: list[tuple[int, Transfer]] = field(default_factory=list)  # (book id, db transfer)
    posted: list[tuple[int, Transfer]] = field(default_factory=list)
    done: list[tuple[Callable[[], Transfer], Transfer]] = field(default_factory=list)


def book_for(chart: Chart) -> Book:
    book = Book()
    for account in chart.all:
        book.accounts[account.pk] = AccountState(
            AccountType(account.account_type), may_go_negative=account.may_go_negative
        )
    return book


def row_counts() -> tuple[int, int, int]:
    return Transfer.objects.count(), Entry.objects.count(), AuditEvent.objects.count()


def assert_same_state(run: Run) -> None:
    for account in run.chart.all:
        expected = run.book.accounts[account.pk]
        stored = Account.objects.get(pk=account.pk)
        assert ledger_account_balance_cents(account=account) == expected.balance_cents, account
        if account.balance_tracked:
            assert stored.balance_cents == expected.balance_cents, account
            assert stored.held_cents == expected.held_cents, account
        else:
            assert (stored.balance_cents, stored.held_cents) == (0, 0), account


def attempt(
    run: Run, db_call: Callable[[], Transfer], book_call: Callable[[], int | None]
) -> tuple[Transfer, int | None] | None:
    """Run both; both succeed, or both refuse with the same rule and the database is untouched."""
    book_refusal: str | None = None
    book_result: int | None = None
    try:
        book_result = book_call()
    except LedgerRuleBroken as refused:
        book_refusal = refused.code
    counts_before = row_counts()
    try:
        with transaction.atomic():
            db_result = db_call()
    except (LedgerRuleBroken, InsufficientBalance, TransferNotPending, TransferNotReversible) as e:
        code = e.code if isinstance(e, LedgerRuleBroken) else REFUSAL_CODES[type(e)]
        assert code == book_refusal, f"database refused with {code}, the book with {book_refusal}"
        assert row_counts() == counts_before, "a refused operation left rows behind"
        return None
    assert book_refusal is None, f"the book refused ({book_refusal}) but the database accepted"
    run.done.append((db_call, db_result))
    return db_result, book_result


def step(run: Run, operation: tuple[str, int, int, int], number: int) -> None:
    kind, first, second, amount_cents = operation
    key = f"model:{number}"
    accounts = run.chart.all
    if kind in ("transfer", "hold"):
        debit, credit = accounts[first], accounts[second]
        service = ledger_transfer if kind == "transfer" else ledger_hold
        book_op = run.book.transfer if kind == "transfer" else run.book.hold
        outcome = attempt(
            run,
            lambda: service(
                idempotency_key=key,
                debit=debit,
                credit=credit,
                amount_cents=amount_cents,
                reason_code=f"test_{kind}",
                actor=ACTOR,
            ),
            lambda: book_op(debit_id=debit.pk, credit_id=credit.pk, amount_cents=amount_cents),
        )
        if outcome is not None:
            (run.posted if kind == "transfer" else run.holds).append((outcome[1] or 0, outcome[0]))
    elif kind in ("post", "void") and run.holds:
        book_id, pending = run.holds[first % len(run.holds)]
        settle = ledger_post_pending if kind == "post" else ledger_void_pending
        outcome = attempt(
            run,
            lambda: settle(pending=pending, idempotency_key=key, reason_code=kind, actor=ACTOR),
            (lambda: run.book.post(book_id))
            if kind == "post"
            else (lambda: run.book.void(book_id)),
        )
        if outcome is not None and kind == "post":
            run.posted.append((outcome[1] or 0, outcome[0]))
    elif kind == "reverse" and run.posted:
        book_id, original = run.posted[first % len(run.posted)]
        outcome = attempt(
            run,
            lambda: ledger_reverse(
                transfer=original, idempotency_key=key, reason_code="correction", actor=ACTOR
            ),
            lambda: run.book.reverse(book_id),
        )
        if outcome is not None:
            run.posted.append((outcome[1] or 0, outcome[0]))
    elif kind == "replay" and run.done:
        db_call, stored = run.done[first % len(run.done)]
        counts_before = row_counts()
        with transaction.atomic():
            assert db_call().pk == stored.pk
        assert row_counts() == counts_before, "an idempotent replay wrote rows"


@pytest.mark.django_db
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.lists(operations, min_size=1, max_size=30))
def test_database_ledger_follows_the_book(sequence: list[tuple[str, int, int, int]]) -> None:
    with transaction.atomic():
        chart = chart_open(prefix="model")
        run = Run(chart=chart, book=book_for(chart))
        for number, operation in enumerate(sequence):
            step(run, operation, number)
            assert_same_state(run)
        assert ledger_verify() == []
        transaction.set_rollback(True)
