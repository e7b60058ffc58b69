"""Properties of the pure ledger: any sequence of operations keeps every invariant, and every
refused operation is refused without a trace."""

from __future__ import annotations

import copy
from collections.abc import Callable

import hypothesis.strategies as st
import pytest
from hypothesis import settings
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
)

from topup.ledger.domain import (
    MAX_TRANSFER_CENTS,
    AccountState,
    AccountType,
    Book,
    LedgerRuleBroken,
    TransferStatus,
    balance_delta,
    invariant_violations,
)

CLEARING, SUB_1, SUB_2, SUB_3, REVENUE, CASH_DRAWER, REFUNDS = range(1, 8)


def new_book() -> Book:
    book = Book()
    book.accounts = {
        CLEARING: AccountState(AccountType.ASSET, may_go_negative=True),
        SUB_1: AccountState(AccountType.LIABILITY, may_go_negative=False),
        SUB_2: AccountState(AccountType.LIABILITY, may_go_negative=False),
        SUB_3: AccountState(AccountType.LIABILITY, may_go_negative=False),
        REVENUE: AccountState(AccountType.INCOME, may_go_negative=True),
        CASH_DRAWER: AccountState(AccountType.ASSET, may_go_negative=False),
        REFUNDS: AccountState(AccountType.EXPENSE, may_go_negative=True),
    }
    return book


account_ids = st.sampled_from(list(range(CLEARING, REFUNDS + 1)))
# Mostly sensible amounts, sometimes zero, negative or above the limit.
amounts = st.one_of(
    st.integers(min_value=1, max_value=5_000),
    st.sampled_from([0, -1, -500, MAX_TRANSFER_CENTS, MAX_TRANSFER_CENTS + 1]),
)


def shrinks(book: Book, account_id: int, *, debit: bool, amount_cents: int) -> bool:
    account = book.accounts[account_id]
    delta = balance_delta(
        account.account_type,
        debit_cents=amount_cents if debit else 0,
        credit_cents=0 if debit else amount_cents,
    )
    return delta < 0


def expected_refusal(book: Book, debit_id: int, credit_id: int, amount_cents: int) -> str | None:
    """An independent statement of the rules: the code a transfer or hold must be refused with."""
    if amount_cents <= 0:
        return "amount_not_positive"
    if amount_cents > MAX_TRANSFER_CENTS:
        return "amount_too_large"
    if debit_id == credit_id:
        return "same_account"
    for account_id, debit in ((debit_id, True), (credit_id, False)):
        account = book.accounts[account_id]
        if account.may_go_negative or not shrinks(
            book, account_id, debit=debit, amount_cents=amount_cents
        ):
            continue
        if account.balance_cents - account.held_cents < amount_cents:
            return "insufficient_balance"
    return None


def assert_refused_without_trace(
    book: Book, operation: Callable[[], object], code: str | None = None
) -> None:
    before = copy.deepcopy(book)
    with pytest.raises(LedgerRuleBroken) as refused:
        operation()
    if code is not None:
        assert refused.value.code == code
    assert book == before, "a refused operation changed the book"


class BookMachine(RuleBasedStateMachine):
    """Random transfers, holds, posts, voids and reversals against one in-memory book."""

    pendings = Bundle("pendings")
    posted = Bundle("posted")

    @initialize()
    def open_book(self) -> None:
        self.book = new_book()
        # The machine's own record of what may be settled or reversed, kept apart from the book's.
        self.open_pendings: dict[int, tuple[int, int, int]] = {}
        self.reversible: dict[int, tuple[int, int, int]] = {}

    def _attempt(
        self, operation: Callable[[], int], debit_id: int, credit_id: int, amount_cents: int
    ) -> int | None:
        refusal = expected_refusal(self.book, debit_id, credit_id, amount_cents)
        if refusal is not None:
            assert_refused_without_trace(self.book, operation, refusal)
            return None
        return operation()

    @rule(target=posted, debit_id=account_ids, credit_id=account_ids, amount_cents=amounts)
    def transfer(self, debit_id: int, credit_id: int, amount_cents: int) -> int:
        entries_before = len(self.book.entries)
        transfer_id = self._attempt(
            lambda: self.book.transfer(
                debit_id=debit_id, credit_id=credit_id, amount_cents=amount_cents
            ),
            debit_id,
            credit_id,
            amount_cents,
        )
        if transfer_id is not None:
            assert len(self.book.entries) == entries_before + 2
            self.reversible[transfer_id] = (debit_id, credit_id, amount_cents)
            return transfer_id
        return -1  # an id the book never issues: reversing it must be refused

    @rule(target=pendings, debit_id=account_ids, credit_id=account_ids, amount_cents=amounts)
    def hold(self, debit_id: int, credit_id: int, amount_cents: int) -> int:
        balances_before = {k: a.balance_cents for k, a in self.book.accounts.items()}
        pending_id = self._attempt(
            lambda: self.book.hold(
                debit_id=debit_id, credit_id=credit_id, amount_cents=amount_cents
            ),
            debit_id,
            credit_id,
            amount_cents,
        )
        # A hold reserves; it never moves a balance.
        assert balances_before == {k: a.balance_cents for k, a in self.book.accounts.items()}
        if pending_id is None:
            return -1
        self.open_pendings[pending_id] = (debit_id, credit_id, amount_cents)
        return pending_id

    @rule(target=posted, pending_id=pendings)
    def post(self, pending_id: int) -> int:
        if pending_id not in self.open_pendings:
            assert_refused_without_trace(
                self.book, lambda: self.book.post(pending_id), "not_pending"
            )
            return -1
        movement = self.open_pendings.pop(pending_id)
        transfer_id = self.book.post(pending_id)
        assert self.book.pending[pending_id].status is TransferStatus.POSTED
        assert self.book.posted[transfer_id] == movement
        self.reversible[transfer_id] = movement
        return transfer_id

    @rule(pending_id=pendings)
    def void(self, pending_id: int) -> None:
        if pending_id not in self.open_pendings:
            assert_refused_without_trace(
                self.book, lambda: self.book.void(pending_id), "not_pending"
            )
            return
        del self.open_pendings[pending_id]
        entries_before = list(self.book.entries)
        balances_before = {k: a.balance_cents for k, a in self.book.accounts.items()}
        self.book.void(pending_id)
        assert self.book.pending[pending_id].status is TransferStatus.VOIDED
        assert self.book.entries == entries_before
        assert balances_before == {k: a.balance_cents for k, a in self.book.accounts.items()}

    @rule(target=posted, transfer_id=posted)
    def reverse(self, transfer_id: int) -> int:
        if transfer_id not in self.reversible:
            assert_refused_without_trace(
                self.book, lambda: self.book.reverse(transfer_id), "not_reversible"
            )
            return -1
        debit_id, credit_id, amount_cents = self.reversible[transfer_id]
        if expected_refusal(self.book, credit_id, debit_id, amount_cents) is not None:
            assert_refused_without_trace(
                self.book, lambda: self.book.reverse(transfer_id), "insufficient_balance"
            )
            return -1
        del self.reversible[transfer_id]
        reversal = self.book.reverse(transfer_id)
        assert self.book.posted[reversal] == (credit_id, debit_id, amount_cents)
        return reversal  # a reversal is final: reversing it again must be refused

    @rule(transfer_id=posted)
    def posting_a_posted_transfer_is_refused(self, transfer_id: int) -> None:
        assert_refused_without_trace(self.book, lambda: self.book.post(transfer_id), "not_pending")

    # Biased rules so that sequences also reach funded, busy accounts.
    @rule(target=posted, subscriber_id=st.sampled_from([SUB_1, SUB_2, SUB_3]), amount_cents=amounts)
    def topup(self, subscriber_id: int, amount_cents: int) -> int:
        return self.transfer(CLEARING, subscriber_id, amount_cents)

    @rule(target=posted, subscriber_id=st.sampled_from([SUB_1, SUB_2, SUB_3]), amount_cents=amounts)
    def spend(self, subscriber_id: int, amount_cents: int) -> int:
        return self.transfer(subscriber_id, REVENUE, amount_cents)

    @rule(
        target=pendings, subscriber_id=st.sampled_from([SUB_1, SUB_2, SUB_3]), amount_cents=amounts
    )
    def reserve(self, subscriber_id: int, amount_cents: int) -> int:
        return self.hold(subscriber_id, REVENUE, amount_cents)

    @invariant()
    def every_invariant_holds(self) -> None:
        assert invariant_violations(accounts=self.book.accounts, entries=self.book.entries) == []

    @invariant()
    def holds_equal_open_pending_transfers(self) -> None:
        expected = dict.fromkeys(self.book.accounts, 0)
        for debit_id, credit_id, amount_cents in self.open_pendings.values():
            for account_id, debit in ((debit_id, True), (credit_id, False)):
                if shrinks(self.book, account_id, debit=debit, amount_cents=amount_cents):
                    expected[account_id] += amount_cents
        assert expected == {k: a.held_cents for k, a in self.book.accounts.items()}

    @invariant()
    def postings_balance_per_transfer(self) -> None:
        assert sum(cents for _, _, cents in self.book.entries) == 0


BookMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)
test_book_keeps_its_invariants = BookMachine.TestCase


# Focused examples: each invalid operation, named, refused without a trace.


def funded_book(amount_cents: int = 1_000) -> tuple[Book, int]:
    book = new_book()
    topup = book.transfer(debit_id=CLEARING, credit_id=SUB_1, amount_cents=amount_cents)
    return book, topup


def test_overdraft_is_refused_without_a_trace() -> None:
    book, _ = funded_book(1_000)
    assert_refused_without_trace(
        book,
        lambda: book.transfer(debit_id=SUB_1, credit_id=REVENUE, amount_cents=1_001),
        "insufficient_balance",
    )


def test_a_hold_counts_against_the_available_balance() -> None:
    book, _ = funded_book(1_000)
    book.hold(debit_id=SUB_1, credit_id=REVENUE, amount_cents=600)
    assert_refused_without_trace(
        book,
        lambda: book.transfer(debit_id=SUB_1, credit_id=REVENUE, amount_cents=401),
        "insufficient_balance",
    )
    assert_refused_without_trace(
        book,
        lambda: book.hold(debit_id=SUB_1, credit_id=REVENUE, amount_cents=401),
        "insufficient_balance",
    )


def test_double_post_and_void_after_post_are_refused() -> None:
    book, _ = funded_book(1_000)
    pending = book.hold(debit_id=SUB_1, credit_id=REVENUE, amount_cents=300)
    book.post(pending)
    assert book.accounts[SUB_1].balance_cents == 700
    assert book.accounts[SUB_1].held_cents == 0
    assert_refused_without_trace(book, lambda: book.post(pending), "not_pending")
    assert_refused_without_trace(book, lambda: book.void(pending), "not_pending")


def test_post_after_void_is_refused() -> None:
    book, _ = funded_book(1_000)
    pending = book.hold(debit_id=SUB_1, credit_id=REVENUE, amount_cents=300)
    book.void(pending)
    assert book.accounts[SUB_1].held_cents == 0
    assert_refused_without_trace(book, lambda: book.post(pending), "not_pending")
    assert_refused_without_trace(book, lambda: book.void(pending), "not_pending")


def test_double_reversal_and_reversing_a_reversal_are_refused() -> None:
    book, topup = funded_book(1_000)
    reversal = book.reverse(topup)
    assert book.accounts[SUB_1].balance_cents == 0
    assert_refused_without_trace(book, lambda: book.reverse(topup), "not_reversible")
    assert_refused_without_trace(book, lambda: book.reverse(reversal), "not_reversible")


def test_reversing_a_hold_is_refused() -> None:
    book, _ = funded_book(1_000)
    pending = book.hold(debit_id=SUB_1, credit_id=REVENUE, amount_cents=300)
    assert_refused_without_trace(book, lambda: book.reverse(pending), "not_reversible")


def test_reversal_that_would_overdraw_is_refused() -> None:
    book, topup = funded_book(1_000)
    book.transfer(debit_id=SUB_1, credit_id=REVENUE, amount_cents=600)
    assert_refused_without_trace(book, lambda: book.reverse(topup), "insufficient_balance")


@pytest.mark.parametrize(
    ("amount_cents", "code"),
    [
        (0, "amount_not_positive"),
        (-100, "amount_not_positive"),
        (MAX_TRANSFER_CENTS + 1, "amount_too_large"),
    ],
)
def test_non_positive_or_huge_amounts_are_refused(amount_cents: int, code: str) -> None:
    book, _ = funded_book(1_000)
    assert_refused_without_trace(
        book,
        lambda: book.transfer(debit_id=CLEARING, credit_id=SUB_1, amount_cents=amount_cents),
        code,
    )
    assert_refused_without_trace(
        book,
        lambda: book.hold(debit_id=CLEARING, credit_id=SUB_1, amount_cents=amount_cents),
        code,
    )


def test_fractional_cents_are_refused() -> None:
    book, _ = funded_book(1_000)
    assert_refused_without_trace(
        book,
        lambda: book.transfer(debit_id=CLEARING, credit_id=SUB_1, amount_cents=1.5),  # type: ignore[arg-type]
        "amount_not_integer",
    )


def test_same_account_is_refused() -> None:
    book, _ = funded_book(1_000)
    assert_refused_without_trace(
        book,
        lambda: book.transfer(debit_id=SUB_1, credit_id=SUB_1, amount_cents=100),
        "same_account",
    )
    assert_refused_without_trace(
        book,
        lambda: book.hold(debit_id=SUB_1, credit_id=SUB_1, amount_cents=100),
        "same_account",
    )


def test_invariant_violations_reports_a_corrupted_book() -> None:
    book, _ = funded_book(1_000)
    book.accounts[SUB_1].balance_cents += 1
    book.entries.append((99, SUB_2, 5))
    problems = invariant_violations(accounts=book.accounts, entries=book.entries)
    assert "account 2: balance 1001 != entries 1000" in problems
    assert "transfer 99: entries sum to 5, not 0" in problems
    book.accounts[SUB_3].held_cents = 10
    problems = invariant_violations(accounts=book.accounts, entries=book.entries)
    assert "account 4: available balance below zero" in problems
