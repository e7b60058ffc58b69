"""Pure ledger arithmetic: account types, postings, holds and the invariants. No Django here."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

MAX_TRANSFER_CENTS = 100_000_000


class AccountType(enum.StrEnum):
    ASSET = "asset"
    LIABILITY = "liability"
    INCOME = "income"
    EXPENSE = "expense"
    EQUITY = "equity"


# Debit-normal accounts grow with debits; credit-normal accounts grow with credits.
DEBIT_NORMAL = frozenset({AccountType.ASSET, AccountType.EXPENSE})


class TransferStatus(enum.StrEnum):
    PENDING = "pending"
    POSTED = "posted"
    VOIDED = "voided"


class LedgerRuleBroken(ValueError):
    """A transfer that the ledger refuses; the message names the rule."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


def balance_delta(account_type: AccountType, *, debit_cents: int, credit_cents: int) -> int:
    """How much a posting moves an account's balance, in its normal direction."""
    if account_type in DEBIT_NORMAL:
        return debit_cents - credit_cents
    return credit_cents - debit_cents


def validate_amount(amount_cents: int) -> None:
    if not isinstance(amount_cents, int) or isinstance(amount_cents, bool):
        raise LedgerRuleBroken("amount_not_integer", "amounts are integer cents")
    if amount_cents <= 0:
        raise LedgerRuleBroken("amount_not_positive", "a transfer moves a positive amount")
    if amount_cents > MAX_TRANSFER_CENTS:
        raise LedgerRuleBroken("amount_too_large", "a transfer moves at most € 1,000,000.00")


def entries_for(
    *, debit_account_id: int, credit_account_id: int, amount_cents: int
) -> list[tuple[int, int]]:
    """The two entries of a posted transfer: (account_id, signed cents), debit positive."""
    validate_amount(amount_cents)
    if debit_account_id == credit_account_id:
        raise LedgerRuleBroken("same_account", "a transfer moves between two different accounts")
    entries = [(debit_account_id, amount_cents), (credit_account_id, -amount_cents)]
    assert sum(amount for _, amount in entries) == 0
    return entries


def available_cents(*, balance_cents: int, held_cents: int) -> int:
    return balance_cents - held_cents


@dataclass
class AccountState:
    account_type: AccountType
    may_go_negative: bool
    balance_cents: int = 0
    held_cents: int = 0


@dataclass
class PendingState:
    debit_account_id: int
    credit_account_id: int
    amount_cents: int
    status: TransferStatus = TransferStatus.PENDING


@dataclass
class Book:
    """An in-memory ledger with the same rules as the database one; used to check properties."""

    accounts: dict[int, AccountState] = field(default_factory=dict)
    entries: list[tuple[int, int, int]] = field(default_factory=list)  # (transfer, account, cents)
    pending: dict[int, PendingState] = field(default_factory=dict)
    reversed_ids: set[int] = field(default_factory=set)
    posted: dict[int, tuple[int, int, int]] = field(default_factory=dict)
    next_transfer_id: int = 1

    def _new_id(self) -> int:
        transfer_id = self.next_transfer_id
        self.next_transfer_id += 1
        return transfer_id

    def _shrink_check(self, account_id: int, *, shrink_cents: int) -> None:
        account = self.accounts[account_id]
        if account.may_go_negative:
            return
        remaining = available_cents(
            balance_cents=account.balance_cents, held_cents=account.held_cents
        )
        if remaining - shrink_cents < 0:
            raise LedgerRuleBroken("insufficient_balance", "the account would go below zero")

    def _shrink_of(self, account_id: int, *, debit: bool, amount_cents: int) -> int:
        delta = balance_delta(
            self.accounts[account_id].account_type,
            debit_cents=amount_cents if debit else 0,
            credit_cents=0 if debit else amount_cents,
        )
        return -delta if delta < 0 else 0

    def transfer(self, *, debit_id: int, credit_id: int, amount_cents: int) -> int:
        entries = entries_for(
            debit_account_id=debit_id, credit_account_id=credit_id, amount_cents=amount_cents
        )
        for account_id, signed in entries:
            shrink = self._shrink_of(account_id, debit=signed > 0, amount_cents=amount_cents)
            self._shrink_check(account_id, shrink_cents=shrink)
        transfer_id = self._new_id()
        for account_id, signed in entries:
            account = self.accounts[account_id]
            account.balance_cents += balance_delta(
                account.account_type,
                debit_cents=max(signed, 0),
                credit_cents=max(-signed, 0),
            )
            self.entries.append((transfer_id, account_id, signed))
        self.posted[transfer_id] = (debit_id, credit_id, amount_cents)
        return transfer_id

    def hold(self, *, debit_id: int, credit_id: int, amount_cents: int) -> int:
        entries_for(
            debit_account_id=debit_id, credit_account_id=credit_id, amount_cents=amount_cents
        )
        held_on = [
            account_id
            for account_id, debit in ((debit_id, True), (credit_id, False))
            if self._shrink_of(account_id, debit=debit, amount_cents=amount_cents)
        ]
        for account_id in held_on:
            self._shrink_check(account_id, shrink_cents=amount_cents)
        for account_id in held_on:
            self.accounts[account_id].held_cents += amount_cents
        transfer_id = self._new_id()
        self.pending[transfer_id] = PendingState(debit_id, credit_id, amount_cents)
        return transfer_id

    def _release(self, pending_id: int) -> PendingState:
        state = self.pending.get(pending_id)
        if state is None or state.status is not TransferStatus.PENDING:
            raise LedgerRuleBroken("not_pending", "only a pending transfer can be posted or voided")
        for account_id, debit in ((state.debit_account_id, True), (state.credit_account_id, False)):
            if self._shrink_of(account_id, debit=debit, amount_cents=state.amount_cents):
                self.accounts[account_id].held_cents -= state.amount_cents
        return state

    def post(self, pending_id: int) -> int:
        state = self._release(pending_id)
        try:
            transfer_id = self.transfer(
                debit_id=state.debit_account_id,
                credit_id=state.credit_account_id,
                amount_cents=state.amount_cents,
            )
        except LedgerRuleBroken:  # pragma: no cover - a hold guarantees the funds
            raise
        state.status = TransferStatus.POSTED
        return transfer_id

    def void(self, pending_id: int) -> None:
        state = self._release(pending_id)
        state.status = TransferStatus.VOIDED

    def reverse(self, transfer_id: int) -> int:
        if transfer_id not in self.posted or transfer_id in self.reversed_ids:
            raise LedgerRuleBroken("not_reversible", "a posted transfer is reversed at most once")
        debit_id, credit_id, amount_cents = self.posted[transfer_id]
        reversal = self.transfer(debit_id=credit_id, credit_id=debit_id, amount_cents=amount_cents)
        self.reversed_ids.add(transfer_id)
        self.reversed_ids.add(
            reversal
        )  # a reversal is itself final: correct it with a new transfer
        return reversal


def invariant_violations(
    *,
    accounts: Mapping[int, AccountState],
    entries: Iterable[tuple[int, int, int]],
) -> list[str]:
    """Every broken invariant in words: zero-sum transfers, balances match entries, no overdraft."""
    problems: list[str] = []
    per_transfer: dict[int, int] = {}
    per_account: dict[int, list[int]] = {}
    for transfer_id, account_id, signed in entries:
        per_transfer[transfer_id] = per_transfer.get(transfer_id, 0) + signed
        per_account.setdefault(account_id, []).append(signed)
    problems.extend(
        f"transfer {transfer_id}: entries sum to {total}, not 0"
        for transfer_id, total in sorted(per_transfer.items())
        if total != 0
    )
    for account_id, account in sorted(accounts.items()):
        signed_entries = per_account.get(account_id, [])
        expected = balance_delta(
            account.account_type,
            debit_cents=sum(s for s in signed_entries if s > 0),
            credit_cents=-sum(s for s in signed_entries if s < 0),
        )
        if expected != account.balance_cents:
            problems.append(
                f"account {account_id}: balance {account.balance_cents} != entries {expected}"
            )
        if not account.may_go_negative and account.balance_cents - account.held_cents < 0:
            problems.append(f"account {account_id}: available balance below zero")
        if account.held_cents < 0:
            problems.append(f"account {account_id}: negative hold")
    return problems
