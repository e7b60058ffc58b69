"""The ledger verifier: re-checks every invariant over the whole database, in SQL aggregates."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Q, Sum

from topup.ledger import domain
from topup.ledger.models import Account, Entry, Transfer, TransferKind

_WITH_ENTRIES = (TransferKind.POSTED, TransferKind.POST_PENDING)


def _transfer_problems() -> list[str]:
    problems: list[str] = []
    unbalanced = (
        Entry.objects.values("transfer_id")
        .annotate(total=Sum("amount_cents"))
        .exclude(total=0)
        .order_by("transfer_id")
    )
    problems.extend(
        f"transfer {row['transfer_id']}: entries sum to {row['total']}, not 0" for row in unbalanced
    )
    wrong_count = (
        Transfer.objects.annotate(n=Count("entries__amount_cents"))
        .filter((Q(kind__in=_WITH_ENTRIES) & ~Q(n=2)) | (~Q(kind__in=_WITH_ENTRIES) & ~Q(n=0)))
        .order_by("id")
        .values_list("id", "kind", "n")
    )
    problems.extend(f"transfer {tid} ({kind}): has {n} entries" for tid, kind, n in wrong_count)
    mismatched = (
        Transfer.objects.filter(kind__in=_WITH_ENTRIES)
        .exclude(
            Exists(
                Entry.objects.filter(
                    transfer=OuterRef("pk"),
                    account=OuterRef("debit_account"),
                    amount_cents=OuterRef("amount_cents"),
                )
            )
        )
        .order_by("id")
        .values_list("id", flat=True)
    )
    problems.extend(f"transfer {tid}: no debit entry for its amount" for tid in mismatched)
    return problems


def _account_problems() -> list[str]:
    problems: list[str] = []
    sums = {
        row["account_id"]: (row["debits"] or 0, -(row["credits"] or 0))
        for row in Entry.objects.values("account_id").annotate(
            debits=Sum("amount_cents", filter=Q(amount_cents__gt=0)),
            credits=Sum("amount_cents", filter=Q(amount_cents__lt=0)),
        )
    }
    open_holds: dict[int, int] = {}
    pending = Transfer.objects.filter(kind=TransferKind.PENDING, resolutions__isnull=True)
    accounts = {a.pk: a for a in Account.objects.all()}
    for transfer in pending.only("debit_account_id", "credit_account_id", "amount_cents"):
        for account_id, is_debit in (
            (transfer.debit_account_id, True),
            (transfer.credit_account_id, False),
        ):
            account = accounts[account_id]
            delta = domain.balance_delta(
                account.type,
                debit_cents=transfer.amount_cents if is_debit else 0,
                credit_cents=0 if is_debit else transfer.amount_cents,
            )
            if delta < 0 and account.balance_tracked:
                open_holds[account_id] = open_holds.get(account_id, 0) + transfer.amount_cents
    for account_id, account in sorted(accounts.items()):
        debits, credits = sums.get(account_id, (0, 0))
        expected = domain.balance_delta(account.type, debit_cents=debits, credit_cents=credits)
        if not account.balance_tracked:
            if account.balance_cents or account.held_cents:
                problems.append(f"account {account.code}: untracked but stores a balance")
            continue
        if account.balance_cents != expected:
            problems.append(
                f"account {account.code}: stored balance {account.balance_cents}"
                f" != sum of entries {expected}"
            )
        if account.held_cents != open_holds.get(account_id, 0):
            problems.append(
                f"account {account.code}: held {account.held_cents}"
                f" != open holds {open_holds.get(account_id, 0)}"
            )
        negative_liability = account.type == domain.AccountType.LIABILITY and expected < 0
        if negative_liability or (
            not account.may_go_negative and account.balance_cents < account.held_cents
        ):
            problems.append(f"account {account.code}: balance below zero")
    return problems


def ledger_verify() -> list[str]:
    """Every violated ledger invariant, in words; empty when the ledger is sound."""
    return _transfer_problems() + _account_problems()
