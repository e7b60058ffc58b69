"""The ledger façade: the only code that writes accounts, transfers and entries.

Every write is one short transaction (or joins the caller's): insert the transfer (its
idempotency key decides replays), update the tracked accounts in id order with the
non-negative rule inside the UPDATE's WHERE (so the check happens under the row lock),
then insert the entries. A database CHECK backs the rule.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

from django.db import DEFAULT_DB_ALIAS, connection, transaction

from topup.audit.services import Actor, audit_record
from topup.core import clock
from topup.core.errors import Conflict
from topup.ledger import domain
from topup.ledger.errors import (
    IdempotencyKeyReused,
    InsufficientBalance,
    TransferNotPending,
    TransferNotReversible,
)
from topup.ledger.models import Account, AccountKind, Transfer, TransferKind
from topup.ledger.postgres import (
    BulkCredit,
    transfer_posted_in_one_statement,
    transfers_posted_in_bulk,
)

# (kind, account type, tracked, may go negative) of the operator's system accounts.
SYSTEM_ACCOUNTS: dict[str, tuple[AccountKind, domain.AccountType, bool, bool]] = {
    "revenue": (AccountKind.REVENUE, domain.AccountType.INCOME, False, True),
    "refunds": (AccountKind.REFUNDS, domain.AccountType.EXPENSE, False, True),
    "promotions": (AccountKind.PROMOTION_EXPENSE, domain.AccountType.EXPENSE, False, True),
    "equity": (AccountKind.EQUITY, domain.AccountType.EQUITY, False, True),
    # Partner shops' commissions, and the differences found when a till is counted.
    "commissions": (AccountKind.PROMOTION_EXPENSE, domain.AccountType.EXPENSE, False, True),
    "cash_over": (AccountKind.REVENUE, domain.AccountType.INCOME, False, True),
    "cash_short": (AccountKind.PROMOTION_EXPENSE, domain.AccountType.EXPENSE, False, True),
    # Payment providers' fees from settlement reports, and reconciliation differences written
    # off (either sign: a positive balance is a net loss).
    "payment_fees": (AccountKind.PROMOTION_EXPENSE, domain.AccountType.EXPENSE, False, True),
    "settlement_differences": (
        AccountKind.PROMOTION_EXPENSE,
        domain.AccountType.EXPENSE,
        False,
        True,
    ),
}


@dataclass(frozen=True)
class _Movement:
    account: Account
    balance_delta_cents: int
    held_delta_cents: int


def ledger_account_open(
    *,
    code: str,
    name: str,
    kind: AccountKind,
    account_type: domain.AccountType,
    owner_type: str = "",
    owner_id: str = "",
    balance_tracked: bool = True,
    may_go_negative: bool = False,
) -> Account:
    """Open an account, or return the one with this code (opening is idempotent)."""
    account, _created = Account.objects.get_or_create(
        code=code,
        defaults={
            "name": name,
            "kind": kind,
            "account_type": account_type.value,
            "owner_type": owner_type,
            "owner_id": owner_id,
            "balance_tracked": balance_tracked,
            "may_go_negative": may_go_negative,
        },
    )
    return account


def ledger_system_account(*, name: str) -> Account:
    kind, account_type, tracked, may_go_negative = SYSTEM_ACCOUNTS[name]
    return ledger_account_open(
        code=f"system:{name}",
        name=name.capitalize(),
        kind=kind,
        account_type=account_type,
        owner_type="operator",
        balance_tracked=tracked,
        may_go_negative=may_go_negative,
    )


def ledger_provider_clearing_account(*, provider: str) -> Account:
    """One clearing account per payment provider; untracked so it is never a hot row."""
    return ledger_account_open(
        code=f"clearing:{provider}",
        name=f"Clearing {provider}",
        kind=AccountKind.PROVIDER_CLEARING,
        account_type=domain.AccountType.ASSET,
        owner_type="provider",
        owner_id=provider,
        balance_tracked=False,
        may_go_negative=True,
    )


@dataclass(frozen=True)
class _Request:
    """One asked-for transfer row: what the idempotency key stands for."""

    idempotency_key: str
    kind: TransferKind
    debit: Account
    credit: Account
    amount_cents: int
    reason_code: str
    actor: Actor
    memo: str
    pending_id: int | None = None
    reverses_id: int | None = None

    def row(self, transfer_id: int, created_at: dt.datetime) -> Transfer:
        """The stored row, built as a query builds it (positional values, in field order)."""
        values = (
            transfer_id,
            self.idempotency_key,
            self.kind.value,
            self.debit.pk,
            self.credit.pk,
            self.amount_cents,
            self.reason_code,
            self.pending_id,
            self.reverses_id,
            self.actor.label()[:100],
            self.memo[:255],
            created_at,
        )
        return Transfer.from_db(DEFAULT_DB_ALIAS, _TRANSFER_COLUMNS, values)


# The order of `_Request.row`'s values; checked once here, should a field move.
_TRANSFER_COLUMNS: Final = [
    "id",
    "idempotency_key",
    "kind",
    "debit_account_id",
    "credit_account_id",
    "amount_cents",
    "reason_code",
    "pending_id",
    "reverses_id",
    "actor",
    "memo",
    "created_at",
]
assert [field.attname for field in Transfer._meta.concrete_fields] == _TRANSFER_COLUMNS


_INSERT_TRANSFER_SQL = (
    "INSERT INTO ledger_transfer (idempotency_key, kind, debit_account_id, credit_account_id, "
    "amount_cents, reason_code, pending_id, reverses_id, actor, memo, created_at) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING id"
)


def _insert_transfer(request: _Request) -> Transfer | None:
    """Insert the transfer row; None when a unique key (idempotency, pending, reverses) exists."""
    created_at = clock.now()
    draft = request.row(0, created_at)
    created_at_db: str | dt.datetime | None = connection.ops.adapt_datetimefield_value(created_at)
    values: list[str | int | dt.datetime | None] = [
        draft.idempotency_key,
        draft.kind,
        draft.debit_account_id,
        draft.credit_account_id,
        draft.amount_cents,
        draft.reason_code,
        draft.pending_id,
        draft.reverses_id,
        draft.actor,
        draft.memo,
        created_at_db,
    ]
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_TRANSFER_SQL, values)
        row = cursor.fetchone()
    return None if row is None else request.row(row[0], created_at)


def _replay(request: _Request) -> Transfer | None:
    """The transfer stored under this key if it is the same request; refuse a different one."""
    existing = Transfer.objects.filter(idempotency_key=request.idempotency_key).first()
    if existing is None:
        return None
    same = (
        existing.kind == request.kind
        and existing.debit_account_id == request.debit.pk
        and existing.credit_account_id == request.credit.pk
        and existing.amount_cents == request.amount_cents
        and existing.reason_code == request.reason_code
        and existing.pending_id == request.pending_id
        and existing.reverses_id == request.reverses_id
    )
    if not same:
        raise IdempotencyKeyReused(details={"idempotency_key": request.idempotency_key})
    return existing


def _insert_or_replay(
    request: _Request, *, taken: type[Conflict] | None = None
) -> tuple[Transfer, bool]:
    """(transfer, True) when inserted now; (stored transfer, False) for a replay of the same key.

    `taken` is raised when the hold being settled or the transfer being reversed was already
    settled or reversed under another key.
    """
    transfer = _insert_transfer(request)
    if transfer is not None:
        return transfer, True
    try:
        replay = _replay(request)
    except IdempotencyKeyReused:
        if taken is None:
            raise
        replay = None
    if replay is None:
        assert taken is not None, "a plain transfer conflicts only on its idempotency key"
        linked = request.pending_id or request.reverses_id
        raise taken(details={"transfer_id": linked})
    return replay, False


# The non-negative rule sits in the WHERE so it is evaluated on the locked, latest row version.
_UPDATE_ACCOUNT_SQL = (
    "UPDATE ledger_account SET balance_cents = balance_cents + %s, held_cents = held_cents + %s "
    "WHERE id = %s AND (may_go_negative OR balance_cents + %s >= held_cents + %s)"
)
_INSERT_ENTRIES_SQL = (
    "INSERT INTO ledger_entry (transfer_id, account_id, amount_cents) "
    "VALUES (%s, %s, %s), (%s, %s, %s)"
)


def _apply(movements: list[_Movement]) -> None:
    """Update tracked accounts in id order; the WHERE refuses any overdraft under the row lock.

    Raw SQL on purpose: this is the hot path of every top-up, and the ORM's expression
    compilation cost more than the database work (bench/ledger_post.py).
    """
    with connection.cursor() as cursor:
        for movement in sorted(movements, key=lambda m: m.account.pk):
            if not movement.account.balance_tracked:
                continue
            balance, held = movement.balance_delta_cents, movement.held_delta_cents
            if balance == 0 and held == 0:
                continue
            cursor.execute(_UPDATE_ACCOUNT_SQL, [balance, held, movement.account.pk, balance, held])
            if cursor.rowcount != 1:
                raise InsufficientBalance(details={"account": movement.account.code})


def _posting_movements(debit: Account, credit: Account, amount_cents: int) -> list[_Movement]:
    return [
        _Movement(
            debit, domain.balance_delta(debit.type, debit_cents=amount_cents, credit_cents=0), 0
        ),
        _Movement(
            credit, domain.balance_delta(credit.type, debit_cents=0, credit_cents=amount_cents), 0
        ),
    ]


def _hold_movements(
    debit: Account, credit: Account, amount_cents: int, sign: int
) -> list[_Movement]:
    """The holds a pending transfer places (sign=+1) or releases (sign=-1) on shrinking sides."""
    return [
        _Movement(movement.account, 0, sign * amount_cents)
        for movement in _posting_movements(debit, credit, amount_cents)
        if movement.balance_delta_cents < 0 and movement.account.balance_tracked
    ]


def _write_entries(transfer: Transfer) -> None:
    entries = domain.entries_for(
        debit_account_id=transfer.debit_account_id,
        credit_account_id=transfer.credit_account_id,
        amount_cents=transfer.amount_cents,
    )
    params = [value for account_id, cents in entries for value in (transfer.pk, account_id, cents)]
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_ENTRIES_SQL, params)


def _audit_transfer(transfer: Transfer, actor: Actor) -> None:
    audit_record(
        actor=actor,
        action=f"ledger.{transfer.kind}",
        object_type="ledger.transfer",
        object_id=transfer.pk,
        reason=transfer.reason_code,
        data={
            "amount_cents": transfer.amount_cents,
            "debit_account_id": transfer.debit_account_id,
            "credit_account_id": transfer.credit_account_id,
        },
    )


def _posted_in_one_statement(request: _Request) -> Transfer:
    """A posting that moves at most one tracked balance: one statement, one round trip.

    The hot path of every top-up credit (bench/ledger_post.py); the same rows as the general
    path, written by `transfer_posted_in_one_statement`.
    """
    tracked = [
        movement
        for movement in _posting_movements(request.debit, request.credit, request.amount_cents)
        if movement.account.balance_tracked
    ]
    created_at = clock.now()
    transfer_id = transfer_posted_in_one_statement(
        idempotency_key=request.idempotency_key,
        debit_id=request.debit.pk,
        credit_id=request.credit.pk,
        amount_cents=request.amount_cents,
        reason_code=request.reason_code,
        actor=request.actor,
        memo=request.memo,
        tracked_account_id=tracked[0].account.pk if tracked else None,
        tracked_delta_cents=tracked[0].balance_delta_cents if tracked else 0,
        created_at=created_at,
    )
    if transfer_id is not None:
        return request.row(transfer_id, created_at)
    replay = _replay(request)
    assert replay is not None, "a plain transfer conflicts only on its idempotency key"
    return replay


def ledger_transfer(
    *,
    idempotency_key: str,
    debit: Account,
    credit: Account,
    amount_cents: int,
    reason_code: str,
    actor: Actor,
    memo: str = "",
) -> Transfer:
    """Post a movement now. Replaying the same key returns the stored transfer unchanged."""
    domain.entries_for(
        debit_account_id=debit.pk, credit_account_id=credit.pk, amount_cents=amount_cents
    )
    request = _Request(
        idempotency_key, TransferKind.POSTED, debit, credit, amount_cents, reason_code, actor, memo
    )
    if connection.vendor == "postgresql" and not (debit.balance_tracked and credit.balance_tracked):
        return _posted_in_one_statement(request)
    movements = _posting_movements(debit, credit, amount_cents)
    with transaction.atomic(savepoint=False):
        transfer, inserted = _insert_or_replay(request)
        if inserted:
            _apply(movements)
            _write_entries(transfer)
            _audit_transfer(transfer, actor)
    return transfer


def ledger_hold(
    *,
    idempotency_key: str,
    debit: Account,
    credit: Account,
    amount_cents: int,
    reason_code: str,
    actor: Actor,
    memo: str = "",
) -> Transfer:
    """Reserve an amount (a pending transfer): it counts against the available balance."""
    domain.entries_for(
        debit_account_id=debit.pk, credit_account_id=credit.pk, amount_cents=amount_cents
    )
    request = _Request(
        idempotency_key, TransferKind.PENDING, debit, credit, amount_cents, reason_code, actor, memo
    )
    with transaction.atomic(savepoint=False):
        transfer, inserted = _insert_or_replay(request)
        if inserted:
            _apply(_hold_movements(debit, credit, amount_cents, +1))
            _audit_transfer(transfer, actor)
    return transfer


def _settlement_movements(
    kind: TransferKind, debit: Account, credit: Account, amount_cents: int
) -> list[_Movement]:
    """Release the hold; when posting, move the money in the same update of each account."""
    movements = _hold_movements(debit, credit, amount_cents, -1)
    if kind != TransferKind.POST_PENDING:
        return movements
    releases = {m.account.pk: m.held_delta_cents for m in movements}
    return [
        _Movement(posting.account, posting.balance_delta_cents, releases.get(posting.account.pk, 0))
        for posting in _posting_movements(debit, credit, amount_cents)
    ]


def _resolve_pending(
    *,
    pending: Transfer,
    kind: TransferKind,
    idempotency_key: str,
    reason_code: str,
    actor: Actor,
    memo: str,
) -> Transfer:
    if pending.kind != TransferKind.PENDING:
        raise TransferNotPending(details={"transfer_id": pending.pk})
    debit = Account.objects.get(pk=pending.debit_account_id)
    credit = Account.objects.get(pk=pending.credit_account_id)
    request = _Request(
        idempotency_key,
        kind,
        debit,
        credit,
        pending.amount_cents,
        reason_code,
        actor,
        memo,
        pending_id=pending.pk,
    )
    with transaction.atomic(savepoint=False):
        transfer, inserted = _insert_or_replay(request, taken=TransferNotPending)
        if inserted:
            _apply(_settlement_movements(kind, debit, credit, pending.amount_cents))
            if kind == TransferKind.POST_PENDING:
                _write_entries(transfer)
            _audit_transfer(transfer, actor)
    return transfer


def ledger_post_pending(
    *, pending: Transfer, idempotency_key: str, reason_code: str, actor: Actor, memo: str = ""
) -> Transfer:
    """Turn a hold into a posted movement (once)."""
    return _resolve_pending(
        pending=pending,
        kind=TransferKind.POST_PENDING,
        idempotency_key=idempotency_key,
        reason_code=reason_code,
        actor=actor,
        memo=memo,
    )


def ledger_void_pending(
    *, pending: Transfer, idempotency_key: str, reason_code: str, actor: Actor, memo: str = ""
) -> Transfer:
    """Release a hold without moving money (once)."""
    return _resolve_pending(
        pending=pending,
        kind=TransferKind.VOID_PENDING,
        idempotency_key=idempotency_key,
        reason_code=reason_code,
        actor=actor,
        memo=memo,
    )


def ledger_reverse(
    *, transfer: Transfer, idempotency_key: str, reason_code: str, actor: Actor, memo: str = ""
) -> Transfer:
    """Correct a posted movement with a new, opposite one that says why. At most once."""
    if (
        transfer.kind not in (TransferKind.POSTED, TransferKind.POST_PENDING)
        or transfer.reverses_id
    ):
        raise TransferNotReversible(details={"transfer_id": transfer.pk})
    debit = Account.objects.get(pk=transfer.credit_account_id)
    credit = Account.objects.get(pk=transfer.debit_account_id)
    request = _Request(
        idempotency_key,
        TransferKind.POSTED,
        debit,
        credit,
        transfer.amount_cents,
        reason_code,
        actor,
        memo,
        reverses_id=transfer.pk,
    )
    with transaction.atomic(savepoint=False):
        reversal, inserted = _insert_or_replay(request, taken=TransferNotReversible)
        if inserted:
            _apply(_posting_movements(debit, credit, transfer.amount_cents))
            _write_entries(reversal)
            _audit_transfer(reversal, actor)
    return reversal


def ledger_transfers_post_many(
    *,
    debit: Account,
    credits: list[BulkCredit],
    reason_code: str,
    actor: Actor,
    memo: str = "",
) -> dict[str, int]:
    """Post a batch of credits from one untracked account to lines' credit (bulk top-ups).

    Runs in the caller's transaction. A key already stored is skipped, not compared: the result
    is {idempotency key: transfer id} of the transfers posted now, and the caller tells a replay
    from a key reused for something else. On PostgreSQL the batch is set-based
    (`transfers_posted_in_bulk`: a few statements per batch, none per credit); elsewhere each
    new key goes through `ledger_transfer`.
    """
    assert connection.in_atomic_block, "a batch is posted inside the caller's transaction"
    assert not debit.balance_tracked, "a batch is funded by an untracked account"
    keys = [credit.idempotency_key for credit in credits]
    assert len(set(keys)) == len(keys), "one credit per idempotency key in a batch"
    debit_id = debit.pk
    for credit in credits:
        domain.entries_for(
            debit_account_id=debit_id,
            credit_account_id=credit.credit_account_id,
            amount_cents=credit.amount_cents,
        )
    if connection.vendor == "postgresql":
        return transfers_posted_in_bulk(
            credits=credits,
            debit_id=debit_id,
            reason_code=reason_code,
            actor=actor,
            memo=memo,
            created_at=clock.now(),
        )
    stored = set(
        Transfer.objects.filter(idempotency_key__in=keys).values_list("idempotency_key", flat=True)
    )
    accounts = Account.objects.in_bulk({credit.credit_account_id for credit in credits})
    posted: dict[str, int] = {}
    for credit in credits:
        if credit.idempotency_key in stored:
            continue
        account = accounts[credit.credit_account_id]
        assert account.balance_tracked and account.type == domain.AccountType.LIABILITY
        posted[credit.idempotency_key] = ledger_transfer(
            idempotency_key=credit.idempotency_key,
            debit=debit,
            credit=account,
            amount_cents=credit.amount_cents,
            reason_code=reason_code,
            actor=actor,
            memo=memo,
        ).pk
    return posted
