"""Reads of the ledger: balances and movements."""

from __future__ import annotations

from collections.abc import Collection

from django.db.models import Q, QuerySet, Sum

from topup.core.prepared import hot_query
from topup.ledger import domain
from topup.ledger.models import Account, Entry, Transfer, TransferKind


def ledger_account_balance_cents(*, account: Account) -> int:
    """The posted balance in the account's normal direction (derived where not tracked)."""
    if account.balance_tracked:
        return Account.objects.values_list("balance_cents", flat=True).get(pk=account.pk)
    totals = Entry.objects.filter(account=account).aggregate(
        debits=Sum("amount_cents", filter=Q(amount_cents__gt=0)),
        credits=Sum("amount_cents", filter=Q(amount_cents__lt=0)),
    )
    return domain.balance_delta(
        account.type, debit_cents=totals["debits"] or 0, credit_cents=-(totals["credits"] or 0)
    )


MAX_BALANCES_AT_ONCE = 100


def ledger_accounts_balance_cents(*, account_ids: Collection[int]) -> dict[int, int]:
    """Several accounts' posted balances (account id -> cents), tracked ones in one query."""
    if len(account_ids) > MAX_BALANCES_AT_ONCE:
        raise ValueError(f"at most {MAX_BALANCES_AT_ONCE} accounts at once")
    ids = list(account_ids)
    if not ids:
        return {}
    # Read on every GET /api/v1/me: a statement written once (prepared on PostgreSQL), not
    # compiled by the ORM each time.
    query = hot_query(
        "SELECT id, balance_tracked, balance_cents FROM ledger_account"  # noqa: S608 - fixed
        f" WHERE id IN ({', '.join(['%s'] * len(ids))})"
    )
    balances: dict[int, int] = {}
    for pk, tracked, balance_cents in query.rows(ids):
        if tracked:
            assert isinstance(pk, int) and isinstance(balance_cents, int)
            balances[pk] = balance_cents
    untracked_ids = set(account_ids) - set(balances)
    if untracked_ids:
        for account in Account.objects.filter(pk__in=untracked_ids):
            balances[account.pk] = ledger_account_balance_cents(account=account)
    return balances


def ledger_account_available_cents(*, account: Account) -> int:
    balance, held = Account.objects.values_list("balance_cents", "held_cents").get(pk=account.pk)
    return domain.available_cents(balance_cents=balance, held_cents=held)


def ledger_transfers_for_account(*, account: Account) -> QuerySet[Transfer]:
    """Posted movements (through the account's entries) and holds placed on it, newest first."""
    posted = Transfer.objects.filter(entries__account=account).values("pk")
    holds = Transfer.objects.filter(
        Q(kind=TransferKind.PENDING) & (Q(debit_account=account) | Q(credit_account=account))
    ).values("pk")
    return Transfer.objects.filter(Q(pk__in=posted) | Q(pk__in=holds)).order_by(
        "-created_at", "-id"
    )
