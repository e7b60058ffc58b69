"""The ledger façade: the only code that writes accounts, transfers and entries.

Every write is one short transaction (or joins the caller's): insert the transfer (its
idempotency key decides replays), update the tracked accounts in id order with the
non-negative rule inside the UPDATE's WHERE (so the check happens under the row lock),
then insert the entries. A database CHECK backs the rule.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction

from topup.audit.services import Actor, audit_record
from topup.core import clock
from topup.ledger import domain
from topup.ledger.errors import (
    IdempotencyKeyReused,
    InsufficientBalance,
    TransferNotPending,
    TransferNotReversible,
)
from topup.ledger.models import Account, AccountKind, Transfer, TransferKind
from topup.ledger.postgres import transfer_posted_in_one_statement

# (kind, account type, tracked, may go negative) of the operator's system accounts.
SYSTEM_ACCOUNTS: dict[str, tuple[AccountKind, domain.AccountType, bool, bool]] = {
    "revenue": (AccountKind.REVENUE, domain.AccountType.INCOME, False, True),
    "refunds": (AccountKind.REFUNDS, domain.AccountType.EXPENSE, False, True),
    "promotions": (AccountKind.PROMOTION_EXPENSE, domain.AccountType.EXPENSE, False, True),
    "equity": (AccountKind.EQUITY, domain.AccountType.EQUITY, False, True),
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


def _insert_transfer(
    *,
    idempotency_key: str,
    kind: TransferKind,
    debit: Account,
    credit: Account,
    amount_cents: int,
    reason_code: str,
    actor: Actor,
    memo: str,
    pending_id: int | None = None,
    reverses_id: int | None = None,
) -> Transfer | None:
    """Insert the transfer row; None when a unique key (idempotency, pending, reverses) exists."""
    created_at = clock.now()
    fields: dict[str, str | int | None] = {
        "idempotency_key": idempotency_key,
        "kind": kind.value,
        "debit_account_id": debit.pk,
        "credit_account_id": credit.pk,
        "amount_cents": amount_cents,
        "reason_code": reason_code,
        "pending_id": pending_id,
        "reverses_id": reverses_id,
        "actor": actor.label()[:100],
        "memo": memo[:255],
    }
    table = Transfer._meta.db_table
    columns = ", ".join([*fields, "created_at"])
    placeholders = ", ".join(["%s"] * (len(fields) + 1))
    values = [*fields.values(), connection.ops.adapt_datetimefield_value(created_at)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) "  # noqa: S608 - fixed names
            "ON CONFLICT DO NOTHING RETURNING id",
            values,
        )
        row = cursor.fetchone()
    if row is None:
        return None
    return Transfer(
        id=row[0],
        idempotency_key=idempotency_key,
        kind=kind.value,
        debit_account_id=debit.pk,
        credit_account_id=credit.pk,
        amount_cents=amount_cents,
        reason_code=reason_code,
        pending_id=pending_id,
        reverses_id=reverses_id,
        actor=actor.label()[:100],
        memo=memo[:255],
        created_at=created_at,
    )


def _replay_or_refuse(
    *,
    idempotency_key: str,
    kind: TransferKind,
    debit: Account,
    credit: Account,
    amount_cents: int,
    reason_code: str,
) -> Transfer | None:
    """The transfer already stored under this key, if it is the same request; else refuse."""
    existing = Transfer.objects.filter(idempotency_key=idempotency_key).first()
    if existing is None:
        return None
    same = (
        existing.kind == kind
        and existing.debit_account_id == debit.pk
        and existing.credit_account_id == credit.pk
        and existing.amount_cents == amount_cents
        and existing.reason_code == reason_code
    )
    if not same:
        raise IdempotencyKeyReused(details={"idempotency_key": idempotency_key})
    return existing


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
    movements = _posting_movements(debit, credit, amount_cents)
    tracked = [m for m in movements if m.account.balance_tracked]
    if connection.vendor == "postgresql" and len(tracked) <= 1:
        created_at = clock.now()
        transfer_id = transfer_posted_in_one_statement(
            idempotency_key=idempotency_key,
            debit_id=debit.pk,
            credit_id=credit.pk,
            amount_cents=amount_cents,
            reason_code=reason_code,
            actor=actor,
            memo=memo,
            tracked_account_id=tracked[0].account.pk if tracked else None,
            tracked_delta_cents=tracked[0].balance_delta_cents if tracked else 0,
            created_at=created_at,
        )
        if transfer_id is not None:
            return Transfer(
                id=transfer_id,
                idempotency_key=idempotency_key,
                kind=TransferKind.POSTED.value,
                debit_account_id=debit.pk,
                credit_account_id=credit.pk,
                amount_cents=amount_cents,
                reason_code=reason_code,
                actor=actor.label()[:100],
                memo=memo[:255],
                created_at=created_at,
            )
        replay = _replay_or_refuse(
            idempotency_key=idempotency_key,
            kind=TransferKind.POSTED,
            debit=debit,
            credit=credit,
            amount_cents=amount_cents,
            reason_code=reason_code,
        )
        assert replay is not None, "a posted transfer conflicts only on its idempotency key"
        return replay
    with transaction.atomic(savepoint=False):
        transfer = _insert_transfer(
            idempotency_key=idempotency_key,
            kind=TransferKind.POSTED,
            debit=debit,
            credit=credit,
            amount_cents=amount_cents,
            reason_code=reason_code,
            actor=actor,
            memo=memo,
        )
        if transfer is None:
            replay = _replay_or_refuse(
                idempotency_key=idempotency_key,
                kind=TransferKind.POSTED,
                debit=debit,
                credit=credit,
                amount_cents=amount_cents,
                reason_code=reason_code,
            )
            assert replay is not None, "a posted transfer conflicts only on its idempotency key"
            return replay
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
    with transaction.atomic(savepoint=False):
        transfer = _insert_transfer(
            idempotency_key=idempotency_key,
            kind=TransferKind.PENDING,
            debit=debit,
            credit=credit,
            amount_cents=amount_cents,
            reason_code=reason_code,
            actor=actor,
            memo=memo,
        )
        if transfer is None:
            replay = _replay_or_refuse(
                idempotency_key=idempotency_key,
                kind=TransferKind.PENDING,
                debit=debit,
                credit=credit,
                amount_cents=amount_cents,
                reason_code=reason_code,
            )
            assert replay is not None
            return replay
        _apply(_hold_movements(debit, credit, amount_cents, +1))
        _audit_transfer(transfer, actor)
    return transfer


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
    with transaction.atomic(savepoint=False):
        transfer = _insert_transfer(
            idempotency_key=idempotency_key,
            kind=kind,
            debit=debit,
            credit=credit,
            amount_cents=pending.amount_cents,
            reason_code=reason_code,
            actor=actor,
            memo=memo,
            pending_id=pending.pk,
        )
        if transfer is None:
            replay = _replay_or_refuse(
                idempotency_key=idempotency_key,
                kind=kind,
                debit=debit,
                credit=credit,
                amount_cents=pending.amount_cents,
                reason_code=reason_code,
            )
            if replay is None or replay.pending_id != pending.pk:
                raise TransferNotPending(details={"transfer_id": pending.pk})
            return replay
        movements = _hold_movements(debit, credit, pending.amount_cents, -1)
        if kind == TransferKind.POST_PENDING:
            by_account = {m.account.pk: m for m in movements}
            for posting in _posting_movements(debit, credit, pending.amount_cents):
                release = by_account.get(posting.account.pk)
                by_account[posting.account.pk] = _Movement(
                    posting.account,
                    posting.balance_delta_cents,
                    release.held_delta_cents if release else 0,
                )
            movements = list(by_account.values())
        _apply(movements)
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
    with transaction.atomic(savepoint=False):
        reversal = _insert_transfer(
            idempotency_key=idempotency_key,
            kind=TransferKind.POSTED,
            debit=debit,
            credit=credit,
            amount_cents=transfer.amount_cents,
            reason_code=reason_code,
            actor=actor,
            memo=memo,
            reverses_id=transfer.pk,
        )
        if reversal is None:
            replay = _replay_or_refuse(
                idempotency_key=idempotency_key,
                kind=TransferKind.POSTED,
                debit=debit,
                credit=credit,
                amount_cents=transfer.amount_cents,
                reason_code=reason_code,
            )
            if replay is None or replay.reverses_id != transfer.pk:
                raise TransferNotReversible(details={"transfer_id": transfer.pk})
            return replay
        _apply(_posting_movements(debit, credit, transfer.amount_cents))
        _write_entries(reversal)
        _audit_transfer(reversal, actor)
    return reversal
